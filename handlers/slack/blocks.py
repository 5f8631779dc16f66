"""Block Kit: the reply model (bot.reply.card) as Slack shows it. The one renderer of every surface
walkbot draws in Slack: a reply, a notice, an answered question, a refusal inside a form, the App Home.

A card's title is a header (a bold line in a message or a form), its lines mrkdwn sections of whole
lines, its fields "*Label:* value" lines, its notes a context block, and its actions an actions block
of buttons: a button's action_id is the action's id (the verb, and the key that tells apart actions of
one verb), unique within the card and so within the message or view. Every text is escaped, &, < and
>, the notification text too: nothing a person typed becomes a live mention, link or @channel.

Texts are clipped and blocks counted to Slack's documented limits (an escape is never cut in half), and
the payload is built with slack_sdk's models, whose to_dict() checks those limits again.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable

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

from bot.domain.model import Notice
from bot.reply import text as plain_text
from bot.reply.card import Action, Card, Confirm, Line, Say, Section, Style, Tone, Verb

# Slack's documented limits (docs.slack.dev/reference/block-kit): what a text, a button or a surface holds.
SECTION_MAX = 3000  # a section's text
CONTEXT_MAX = 2000  # one text of a context block (walkbot's choice, below the 3000 of any text object)
HEADER_MAX = 150
BUTTON_MAX = 75
CONFIRM_TITLE_MAX, CONFIRM_TEXT_MAX, CONFIRM_BUTTON_MAX = 100, 300, 30
ACTIONS_MAX = 25  # buttons in one actions block
MESSAGE_BLOCKS_MAX = 50
VIEW_BLOCKS_MAX = 100  # a modal or the Home tab
FALLBACK_MAX = 4000  # the notification text; Slack cuts message texts far longer than this

# Action ids, as the listeners know them: the verb, and a key after a dot when a card has several.
AGREE, SUGGEST, DECLINE = Verb.AGREE.value, Verb.SUGGEST.value, Verb.DECLINE.value
ACCEPT, WITHDRAW = Verb.ACCEPT.value, Verb.WITHDRAW.value
PROPOSE_AT, SUGGEST_AT = Verb.PROPOSE_AT.value, Verb.SUGGEST_AT.value
OPEN_PROPOSE, OPEN_WALK = Verb.OPEN_PROPOSE.value, Verb.OPEN_WALK.value

# What only works inside a form (a time that fills the form in again): no use in a message.
FORM_ONLY = frozenset({Verb.PROPOSE_AT, Verb.SUGGEST_AT})
_STYLE = {Style.DEFAULT: None, Style.PRIMARY: "primary", Style.DANGER: "danger"}
_ICON = {Tone.ANNOUNCEMENT: "📣 "}
_KEY = r"(?:\.[A-Za-z0-9_-]{1,64})?"


def pressed(verb: Verb) -> re.Pattern:
    """The action ids of one verb's buttons: "visit.agree", "visit.agree.12" (\\Z: no newline after)."""
    return re.compile(rf"^{re.escape(verb.value)}{_KEY}\Z")


def verb_of(action_id: object) -> Verb | None:
    """The verb a button's action id names (None: not one of walkbot's buttons)."""
    if not isinstance(action_id, str):
        return None
    return next((verb for verb in Verb if pressed(verb).match(action_id)), None)


# --- text ------------------------------------------------------------------------------------------------

_HALF_ESCAPE = re.compile(r"&[a-z]{0,3}\Z")  # the start of &amp; &lt; or &gt;, its end cut off


def escape(text: str) -> str:
    """Slack's control characters as the entities Slack shows as themselves."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def fit(escaped: str, limit: int) -> str:
    """Escaped text in at most `limit` characters; cut, it ends "…", and never in the middle of an escape."""
    if len(escaped) <= limit:
        return escaped
    return _HALF_ESCAPE.sub("", escaped[: limit - 1]).rstrip() + "…"


def mrkdwn(text: str, limit: int = SECTION_MAX) -> str:
    """Text safe to show as mrkdwn: escaped, at most `limit` characters."""
    return fit(escape(text), limit)


def plain(text: str, limit: int) -> PlainTextObject:
    return PlainTextObject(text=mrkdwn(text, limit) or " ", emoji=True)


def fallback(card: Card) -> str:
    """The message's own text: what notifications, screen readers and old clients show."""
    return mrkdwn(plain_text.render(card), FALLBACK_MAX) or " "


def _said(say: Say) -> str:
    return f"`{plain_text.typed(say)}`"  # Slack takes a command as typed, slash first


def _line(line: Line) -> str:
    return "".join(escape(part) if isinstance(part, str) else _said(part)
                   for part in ((line,) if isinstance(line, str) else line))


def context(text: str) -> ContextBlock:
    return ContextBlock(elements=[MarkdownTextObject(text=mrkdwn(text, CONTEXT_MAX) or " ")])


# --- actions -----------------------------------------------------------------------------------------------

def answer_value(visit_id: int, asked: datetime | None) -> str:
    """A visit button's value: the visit, and the time it asks about, so an answer on an older message is
    not taken for a time the person was never shown."""
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


def time_value(at: datetime, local: Callable[[datetime], datetime]) -> str:
    """A time button's value: the school's local date and time, as the form's pickers hold them."""
    return f"{local(at):%Y-%m-%dT%H:%M}"


def _same(moment: datetime) -> datetime:
    return moment


def button(action: Action, local: Callable[[datetime], datetime] = _same) -> ButtonElement:
    if action.visit_id is not None:
        value = answer_value(action.visit_id, action.at)
    elif action.at is not None:
        value = time_value(action.at, local)
    else:
        value = None  # the action id says it all ("Propose a visit")
    return ButtonElement(text=plain(action.label, BUTTON_MAX), action_id=action.id, value=value,
                         style=_STYLE[action.style], confirm=_confirm(action.confirm))


def _confirm(c: Confirm | None) -> ConfirmObject | None:
    if c is None:
        return None
    return ConfirmObject(title=plain(c.title, CONFIRM_TITLE_MAX), text=plain(c.text, CONFIRM_TEXT_MAX),
                         confirm=plain(c.yes, CONFIRM_BUTTON_MAX), deny=plain(c.no, CONFIRM_BUTTON_MAX))


# --- a card as blocks ------------------------------------------------------------------------------------------

_ROOM = SECTION_MAX - 60  # a chunk of lines leaves room for the "… and N more" that may end it


@dataclass(eq=False)  # told apart by identity: two sections may read alike
class _Drawn:
    """One section of a card: its lines in chunks of whole lines (one section block each), its notes, its
    buttons. At least its first chunk is shown; the others as the surface has room."""

    chunks: list[list[str]]
    notes: ContextBlock | None
    actions: ActionsBlock | None
    group: int  # sections that belong together: a titled section and the untitled ones after it
    shown: int = 1  # chunks shown

    @property
    def least(self) -> int:
        return min(1, len(self.chunks)) + (self.notes is not None) + (self.actions is not None)

    def blocks(self) -> list[Block]:
        shown = self.chunks[: self.shown]
        hidden = sum(map(len, self.chunks[self.shown:]))
        texts = ["\n".join(chunk) for chunk in shown]
        if hidden:
            texts[-1] += f"\n… and {hidden} more"
        found: list[Block] = [SectionBlock(text=MarkdownTextObject(text=t)) for t in texts]
        return found + [b for b in (self.notes, self.actions) if b is not None]


def _chunks(lines: list[str]) -> list[list[str]]:
    chunks: list[list[str]] = []
    size = 0
    for line in lines:
        line = fit(line, _ROOM) or " "
        if chunks and size + 1 + len(line) <= _ROOM:
            chunks[-1].append(line)
            size += 1 + len(line)
        else:
            chunks.append([line])
            size = len(line)
    return chunks


def _draw(section: Section, group: int, *, in_message: bool, first: list[str],
          local: Callable[[datetime], datetime]) -> _Drawn:
    lines = list(first)
    if section.title:
        lines.append(f"*{escape(section.title)}*")
    lines += [_line(t) for t in section.lines]
    lines += [f"*{escape(f.label)}:* {escape(f.value)}" for f in section.fields]
    notes = context("\n".join(section.notes)) if section.notes else None
    actions = [a for a in section.actions
               if not (in_message and (a.command is None or a.verb in FORM_ONLY))][:ACTIONS_MAX]
    block = ActionsBlock(block_id=f"actions.{actions[0].id}", elements=[button(a, local) for a in actions]
                         ) if actions else None
    return _Drawn(_chunks(lines), notes, block, group)


def card_blocks(card: Card, *, most: int, in_message: bool, header: bool = False,
                local: Callable[[datetime], datetime] = _same) -> list[Block]:
    """A card as at most `most` blocks. `in_message`: leave out the actions that only work in a form.
    `header`: the title as a header block (else a bold first line). `local`: the school's time, for the
    values of time buttons."""
    title = f"{_ICON.get(card.tone, '')}{card.title}" if card.title else None
    blocks: list[Block] = [HeaderBlock(text=plain(title, HEADER_MAX))] if title and header else []
    first = [f"*{escape(title)}*"] if title and not header else []
    sections = list(card.sections) or [Section()]
    drawn, group = [], 0
    for n, section in enumerate(sections):
        group += bool(section.title) and n > 0
        drawn.append(_draw(section, group, in_message=in_message, first=first if n == 0 else [], local=local))
    return blocks + _fitted(drawn, most - len(blocks))


def _fitted(drawn: list[_Drawn], room: int) -> list[Block]:
    """The sections in `room` blocks. When even their first chunks do not fit, the longest group loses
    sections from its end (a note says how many); the room left shows more of each section, in order."""
    cut: dict[int, int] = {}  # group -> sections left out

    def need() -> int:
        return sum(d.least for d in drawn) + len(cut)

    while need() > room:
        sizes: dict[int, list[_Drawn]] = {}
        for d in drawn:
            sizes.setdefault(d.group, []).append(d)
        longest = max((g for g in sizes.values() if len(g) > 1), key=lambda g: sum(d.least for d in g), default=None)
        gone = longest[-1] if longest else drawn[-1]
        drawn.remove(gone)
        cut[gone.group] = cut.get(gone.group, 0) + 1
        if not drawn:
            break
    spare = room - need()
    for d in drawn:
        more = min(spare, len(d.chunks) - d.shown)
        d.shown += max(more, 0)
        spare -= max(more, 0)
    blocks: list[Block] = []
    for n, d in enumerate(drawn):
        blocks += d.blocks()
        last_of_group = n + 1 == len(drawn) or drawn[n + 1].group != d.group
        if last_of_group and d.group in cut:
            blocks.append(context(f"… and {cut.pop(d.group)} more not shown here"))
    if cut:  # whole groups left out, after the last one shown
        blocks.append(context(f"… and {sum(cut.values())} more not shown here"))
    return blocks[:room] if room > 0 else []


# --- surfaces -------------------------------------------------------------------------------------------------

def message(card: Card) -> dict:
    """A chat message (a post, an update, an ephemeral reply): the card, and its text for notifications."""
    blocks = card_blocks(card, most=MESSAGE_BLOCKS_MAX, in_message=True, header=card.tone is Tone.ANNOUNCEMENT)
    return {"text": fallback(card), "blocks": [block.to_dict() for block in blocks]}


def view_blocks(card: Card, *, most: int = VIEW_BLOCKS_MAX, header: bool = False,
                local: Callable[[datetime], datetime] = _same) -> list[Block]:
    """A card inside a view (a form, the Home tab): every action stays, a form's times too."""
    return card_blocks(card, most=most, in_message=False, header=header, local=local)


def notice_message(notice: Notice) -> dict:
    """What a notice looks like in Slack: its card. The hook SlackTransport calls for every notice it posts."""
    return message(notice.card)
