"""Block Kit messages: core replies and notices as Slack shows them.

Every payload is built with slack_sdk's Block Kit models and turned into dicts with `to_dict()`,
which checks Slack's lengths and counts; texts are clipped first, so Slack never rejects one.
"""
from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Iterable, Mapping

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ConfirmObject,
    ContextBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from bot.model import Notice, Visit, VisitStatus
from bot.notices import visit_line, when_text
from bot.school import School

SECTION_MAX = 3000  # characters in a section's text
CONTEXT_MAX = 2000
HEADER_MAX = 150
BUTTON_MAX = 75
MESSAGE_BLOCKS_MAX = 50
FALLBACK_MAX = 4000  # the notification text; Slack cuts messages far longer than this

# Action ids: the value of each visit button is the visit's number.
AGREE, SUGGEST, DECLINE = "visit.agree", "visit.suggest", "visit.decline"
ACCEPT, WITHDRAW = "visit.accept", "visit.withdraw"

# The one kind of markup walkbot's texts may carry on purpose: people as Slack mentions, <@U123> or <@U123|nina>.
_MENTION = re.compile(r"(<@[A-Z0-9]+(?:\|[^<>]*)?>)")
_CUT_ENTITY = re.compile(r"(&[a-z]*|<@[^>]*)$")


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def mrkdwn(text: str, limit: int = SECTION_MAX) -> str:
    """Text safe to show as mrkdwn: &, < and > escaped (mentions kept), at most `limit` characters."""
    parts = _MENTION.split(text)
    escaped = "".join(part if n % 2 else part.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
                      for n, part in enumerate(parts))
    if len(escaped) <= limit:
        return escaped
    # Never cut an escape or a mention in half: Slack would show the pieces.
    return _CUT_ENTITY.sub("", escaped[: limit - 1]).rstrip() + "…"


def plain(text: str, limit: int) -> PlainTextObject:
    return PlainTextObject(text=clip(text, limit), emoji=True)


def sections(text: str, *, most: int = 10) -> list[Block]:
    """A long text as sections of whole lines; beyond `most` sections the rest is cut."""
    chunks: list[str] = []
    for line in text.splitlines() or [""]:
        line = mrkdwn(line) or " "
        if chunks and len(chunks[-1]) + 1 + len(line) <= SECTION_MAX:
            chunks[-1] += "\n" + line
        else:
            chunks.append(line)
    if len(chunks) > most:
        chunks = chunks[: most - 1] + [mrkdwn("… (cut short: too long to show here)")]
    return [SectionBlock(text=MarkdownTextObject(text=chunk)) for chunk in chunks]


def context(text: str) -> ContextBlock:
    return ContextBlock(elements=[MarkdownTextObject(text=mrkdwn(text, CONTEXT_MAX))])


def button(text: str, action_id: str, value: str, style: str | None = None,
           confirm: ConfirmObject | None = None) -> ButtonElement:
    return ButtonElement(text=plain(text, BUTTON_MAX), action_id=action_id, value=value, style=style,
                         confirm=confirm)


def message(text: str, blocks: Iterable[Block]) -> dict:
    """A chat message: `text` is what notifications and screen readers say, `blocks` what Slack shows."""
    blocks = list(blocks)[:MESSAGE_BLOCKS_MAX]
    return {"text": clip(text, FALLBACK_MAX), "blocks": [block.to_dict() for block in blocks]}


def reply_message(text: str) -> dict:
    """A core reply (plain text) as a message."""
    return message(text, sections(text))


# --- visits: the buttons that answer them and their settled state -----------------------------------------------

def answer_value(visit_id: int, asked: datetime | None) -> str:
    """A button's value: the visit, and the time it asks about, so an answer on an older message is not
    taken for a time the person was never shown."""
    return f"{visit_id}@{int(asked.timestamp())}" if asked else str(visit_id)


def read_answer_value(value: object) -> tuple[int, datetime | None] | None:
    """What answer_value wrote; None for a value it never writes (garbled or forged: not from walkbot's buttons)."""
    if not isinstance(value, str):
        return None
    visit_id, _, at = value.partition("@")
    # A visit number as the grammar reads one (the length first: int() refuses over 4300 digits); a time in
    # whole seconds, within datetime's years.
    if not (visit_id.isascii() and visit_id.isdigit() and len(visit_id) <= 10 and 0 < int(visit_id) < 2**31):
        return None
    if at and not (at.isascii() and at.isdigit() and len(at) <= 11):
        return None
    return int(visit_id), datetime.fromtimestamp(int(at), timezone.utc) if at else None


def answer_buttons(visit_id: int, *, to_teacher: bool, asked: datetime | None = None) -> ActionsBlock:
    """The teacher answers a proposal; the visitor answers the teacher's suggested time."""
    value = answer_value(visit_id, asked)
    if to_teacher:
        elements = [button("Agree", AGREE, value, "primary"), button("Suggest another time", SUGGEST, value),
                    button("Decline", DECLINE, value, "danger")]
    else:
        elements = [button("Accept this time", ACCEPT, value, "primary"),
                    button("Withdraw", WITHDRAW, value, "danger", ConfirmObject(
                        title="Withdraw this visit?", text=f"Visit #{visit_id} will be called off.",
                        confirm="Withdraw", deny="Keep it"))]
    return ActionsBlock(block_id=f"answer-{visit_id}", elements=elements)


def state_line(school: School, visit: Visit) -> str:
    """Where a visit stands, for a message whose buttons have been used."""
    match visit.status:
        case VisitStatus.AGREED:
            return f"✅ Agreed: {when_text(school, visit.start, visit.minutes)}"
        case VisitStatus.COUNTERED:
            return f"🕑 Another time suggested: {when_text(school, visit.suggested_start)}; waiting for the visitor"
        case VisitStatus.DECLINED:
            return f"Declined: “{visit.reason}”"
        case VisitStatus.WITHDRAWN:
            return "Withdrawn by the visitor"
        case VisitStatus.CANCELLED:
            return f"Cancelled: “{visit.reason}”"
        case VisitStatus.HELD:
            return "Held"
        case _:
            return "Waiting for the class teacher to answer"


def settled_message(school: School, visit: Visit, names: Mapping[str, str]) -> dict:
    """A question that has been answered: the visit and where it stands now, no buttons left to press."""
    line, state = visit_line(school, visit, names), state_line(school, visit)
    return message(f"{line}\n{state}", [*sections(line), context(state)])


# --- notices ---------------------------------------------------------------------------------------------------------

_LABEL = re.compile(r"^([A-Z][\w ]{0,40}):", re.MULTILINE)


def notice_message(notice: Notice) -> dict:
    """What a notice looks like in Slack: its text, and for a question the buttons that answer it.

    The hook SlackTransport calls to render every notice it posts.
    """
    if notice.visit_id is not None and notice.kind in ("proposal", "suggestion"):
        blocks = [*sections(notice.text, most=5), answer_buttons(notice.visit_id, to_teacher=notice.kind == "proposal",
                                                                   asked=notice.useful_until)]
        return message(notice.text, blocks)
    if notice.kind == "walk.announcement":
        title, _, rest = notice.text.partition("\n")
        # "Focus: …", "Walking: …": the labels in bold, so the programme reads at a glance.
        body = mrkdwn(_LABEL.sub(r"*\1:*", rest))
        blocks = [HeaderBlock(text=plain(f"📣 {title}", HEADER_MAX))]
        if body:
            blocks.append(SectionBlock(text=MarkdownTextObject(text=body)))
        return message(notice.text, blocks)
    return reply_message(notice.text)
