"""Adaptive Cards: the reply model (bot.reply.card) as Microsoft Teams shows it. The one renderer of every
card walkbot sends in Teams: a reply, a notice, an answered question, a refusal inside a form.

A card's title is a large bold TextBlock (coloured by tone), each of its lines a wrapped TextBlock, its
fields a FactSet, its notes small subtle TextBlocks, and its actions an ActionSet of Action.Execute under
their section. An Execute's `verb` (and `id`) is the action's id: Teams delivers an Execute to the bot by
its verb, and never delivers one without. Its `data` is {"visit": the visit, "at": the unix seconds of
the time the question showed, or null}, so an answer acts only on the time the person was shown.

Texts Teams reads as markdown (TextBlocks, facts, the fallback text) are escaped: each markdown character
gets a backslash, and so do a line's list and heading markers, HTML entities and {{DATE()}} functions, so
nothing a person typed turns bold, becomes a link or an <at> mention. Button titles, tooltips, labels and
choices are plain text to Teams, and are only clipped.

Teams has no confirmation step on Action.Execute: a confirm's words become the button's tooltip, shown
on hover before it is pressed (a second card to confirm would cost a round trip for every answer).

Commands are written as Teams takes them (`typed`): no slash, and no leading "visit" ("agree 3").

The card is version 1.5, what Teams renders from a bot, and within Teams' 100 KB a message: what does not
fit is left out from the end, and a note says how many lines went.

The microsoft-teams-cards models are not used to build these: their dump writes `schema` for `$schema`,
numbers as floats (maxLength 2000.0) and, excluding unset fields, drops the null "at" from an action's data.
"""
from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any, Callable

from bot.domain.model import Notice
from bot.reply import text as plain_text
from bot.reply.card import Action, Card, Line, Say, Section, Style, Tone, Verb

VERSION = "1.5"
SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
ACTIVITY_MAX = 100_000  # bytes of a message's JSON (UTF-8): the most Teams takes from a bot
BODY_MAX = 75_000  # a card body's share of it; the fallback text, the message text and the envelope take the rest
TITLE_MAX, LINE_MAX, FACT_TITLE_MAX = 500, 3000, 200  # characters, before escaping
FALLBACK_MAX, SUMMARY_MAX = 4000, 200
BUTTON_MAX, TOOLTIP_MAX = 80, 500
BUTTONS_SHOWN = 6  # Teams shows at most six buttons in a row: the rest go into its "…" menu (mode secondary)

# What only works inside a form (a time that fills the form in again): no use in a message.
FORM_ONLY = frozenset({Verb.PROPOSE_AT, Verb.SUGGEST_AT})
_STYLE = {Style.DEFAULT: None, Style.PRIMARY: "positive", Style.DANGER: "destructive"}
_COLOR = {Tone.REFUSED: "attention", Tone.PROBLEM: "attention", Tone.DONE: "good"}
_ICON = {Tone.ANNOUNCEMENT: "📣 "}

Button = Callable[[Action], dict]
Keep = Callable[[Action], bool]


# --- text ---------------------------------------------------------------------------------------------------

_MARKUP = re.compile(r"([\\*_\[\]<>`~{}])")  # emphasis, links, HTML and <at>, code, strike, {{DATE()}}
_ENTITY = re.compile(r"&(?=#?[A-Za-z0-9]+;)")  # &lt; &#64; ... would be read as the character they name
_MARKER = re.compile(r"(?m)^([ \t]*)([-+#=])")  # a list item, a heading, a setext underline
_NUMBERED = re.compile(r"(?m)^([ \t]*\d+)([.)])")  # a numbered list item


def escape(text: str) -> str:
    """Text to show as itself in a TextBlock: every markdown character escaped; each line a line."""
    text = re.sub(r"\r\n?", "\n", text)
    text = _MARKUP.sub(r"\\\1", text)
    text = _ENTITY.sub(r"\\&", text)
    text = _NUMBERED.sub(r"\1\\\2", _MARKER.sub(r"\1\\\2", text))
    return re.sub(r"\n+", "\n\n", text)  # markdown joins single newlines into one paragraph


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def typed(say: Say) -> str:
    """A command as Teams takes it: no slash, and no "visit" before it (Teams talks to walkbot directly)."""
    return say.words.removeprefix("visit ")


def _quoted(say: Say) -> str:
    return f"“{typed(say)}”"


def flat(line: Line) -> str:
    """A line as plain text, its commands written as Teams takes them."""
    return plain_text.flat(line, write=_quoted)


def text_block(text: Line, limit: int = LINE_MAX, **style: Any) -> dict:
    found = {"type": "TextBlock", "text": escape(clip(flat(text), limit)) or " ", "wrap": True}
    return found | {k: v for k, v in style.items() if v is not None}


def note(text: str) -> dict:
    return text_block(text, LINE_MAX, size="small", isSubtle=True, spacing="small")


def headline(card: Card) -> str:
    """One line for notifications: the title, or the first line."""
    first = next((t for s in card.sections for t in (*((s.title,) if s.title else ()), *s.lines)), "")
    return clip(" ".join(flat(card.title or first).split()), SUMMARY_MAX) or "walkbot"


def plain(card: Card) -> str:
    """The card as plain text, its commands as Teams takes them: what an answer says under the card or closes a
    dialog with, where no card is drawn (bot.reply.text writes commands with their slash, as Slack takes them)."""
    lines = [card.title] if card.title else []
    for s in card.sections:
        lines += [s.title] if s.title else []
        lines += [flat(t) for t in s.lines] + [f"{f.label}: {f.value}" for f in s.fields] + list(s.notes)
        commands = plain_text.listed(s.actions, write=typed)
        lines += [f"{s.ask} {commands}."] if commands else []
    return "\n".join(lines)


def fallback(card: Card) -> str:
    """The card as plain text, for a client that cannot draw it (commands as Teams takes them)."""
    return escape(clip(plain(card), FALLBACK_MAX)) or " "


# --- actions ------------------------------------------------------------------------------------------------

def _same(moment: datetime) -> datetime:
    return moment


def action_data(action: Action, local: Callable[[datetime], datetime] = _same) -> dict:
    """{"visit", "at"}: the visit, and the unix seconds of the time it asks about (null: none). A time to
    fill a form in with ("Propose Fri 5 Feb 11:10 instead") adds "local": the school's date and time."""
    found: dict[str, Any] = {"visit": action.visit_id, "at": int(action.at.timestamp()) if action.at else None}
    if action.at is not None and action.visit_id is None:
        found["local"] = f"{local(action.at):%Y-%m-%dT%H:%M}"
    return found


def _button(kind: str, action: Action, data: dict) -> dict:
    found = {"type": kind, "id": action.id, "title": clip(action.label, BUTTON_MAX) or " "}
    if kind == "Action.Execute":
        found["verb"] = action.id
    found["data"] = data
    if _STYLE[action.style]:
        found["style"] = _STYLE[action.style]
    if action.confirm:  # Teams asks nothing before an Execute runs: the confirm's words show on hover
        found["tooltip"] = clip(f"{action.confirm.title}: {action.confirm.text}", TOOLTIP_MAX)
    return found


def execute(action: Action, local: Callable[[datetime], datetime] = _same) -> dict:
    """An action as an Action.Execute: sent to the bot as an adaptiveCard/action invoke, by its verb."""
    return _button("Action.Execute", action, action_data(action, local))


def submit(action: Action, local: Callable[[datetime], datetime] = _same, **data: Any) -> dict:
    """An action as an Action.Submit, the only action a dialog sends back (task/submit): its id in the data."""
    return _button("Action.Submit", action, {"action": action.id, **action_data(action, local), **data})


def in_message(action: Action) -> bool:
    """An action a message keeps: it runs a command (a form's own times and buttons stay in the form)."""
    return action.command is not None and action.verb not in FORM_ONLY


# --- a card as elements -------------------------------------------------------------------------------------

def _section(s: Section, first: bool, keep: Keep, button: Button) -> list[tuple[dict, int]]:
    """A section's elements, each with the number of lines it shows (what a cut leaves out is counted)."""
    parts: list[tuple[dict, int]] = []
    if s.title:
        parts.append((text_block(s.title, TITLE_MAX, weight="bolder", size="medium"), 1))
    parts += [(text_block(t), 1) for t in s.lines]
    if s.fields:
        facts = [{"title": escape(clip(f.label, FACT_TITLE_MAX)) or " ",
                  "value": escape(clip(f.value, LINE_MAX)) or " "} for f in s.fields]
        parts.append(({"type": "FactSet", "facts": facts}, len(facts)))
    parts += [(note(n), 1) for n in s.notes]
    kept = [button(a) for a in s.actions if keep(a)]
    for n, b in enumerate(kept[BUTTONS_SHOWN:]):
        kept[BUTTONS_SHOWN + n] = {**b, "mode": "secondary"}
    if kept:
        parts.append(({"type": "ActionSet", "actions": kept}, 0))
    if parts and not first:
        parts[0] = ({**parts[0][0], "spacing": "medium"}, parts[0][1])
    return parts


def _size(value: Any) -> int:
    return len(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()) + 1


def elements(card: Card, *, keep: Keep = in_message, button: Button = execute, most: int = BODY_MAX) -> list[dict]:
    """A card's body: its title and sections in at most `most` bytes of JSON. When they do not fit, the
    sections are shown up to where the room ends, and a note says how many lines are left out.
    `keep`: which actions to draw; `button`: how (an Execute in a message, a Submit in a dialog)."""
    title = f"{_ICON.get(card.tone, '')}{card.title}" if card.title else None
    found = [text_block(title, TITLE_MAX, weight="bolder", size="large", style="heading",
                        color=_COLOR.get(card.tone))] if title else []
    parts = [p for n, s in enumerate(card.sections) for p in _section(s, n == 0, keep, button)]
    room = most - _size(found)
    for n, (element, _) in enumerate(parts):
        size = _size(element)
        if size > room - (0 if n + 1 == len(parts) else _size(note("… and 999999 more not shown here"))):
            left = sum(lines for _, lines in parts[n:])
            found.append(note(f"… and {left} more not shown here" if left else "… and more not shown here"))
            break
        found.append(element)
        room -= size
    return found or [text_block(" ")]


def adaptive_card(card: Card, *, keep: Keep = in_message, button: Button = execute, most: int = BODY_MAX) -> dict:
    return {"type": "AdaptiveCard", "$schema": SCHEMA, "version": VERSION, "fallbackText": fallback(card),
            "body": elements(card, keep=keep, button=button, most=most)}


# --- surfaces -----------------------------------------------------------------------------------------------

def _activity(card: Card, content: dict) -> dict:
    # No `text`: Teams would draw it above the card, the card's words twice, and an answer (which replaces
    # only the card) would leave it saying what no longer holds. `summary` is what notifications show instead
    # of "sent a card"; the card's fallbackText is the whole card for a client that cannot draw it.
    return {"type": "message", "summary": headline(card),
            "attachments": [{"contentType": CONTENT_TYPE, "content": content}]}


def message(card: Card) -> dict:
    """A message activity (a post, a proactive notice, an update): the card, and its line for notifications."""
    return _activity(card, adaptive_card(card))


def _answered(action: Action) -> bool:
    return False


def refreshed(card: Card) -> dict:
    """The message that replaces an answered one (update_activity): the card with no actions left."""
    return _activity(card, adaptive_card(card, keep=_answered))


def execute_response(card: Card | dict) -> dict:
    """The answer to an Action.Execute (adaptiveCard/action invoke): the card that replaces the pressed one.
    A reply card shows with no actions left; an Adaptive Card already drawn (an inline form) as it is."""
    value = card if isinstance(card, dict) else adaptive_card(card, keep=_answered)
    return {"statusCode": 200, "type": CONTENT_TYPE, "value": value}


def notice_message(notice: Notice) -> dict:
    """What a notice looks like in Teams: its card (the hook a Teams transport calls for each notice)."""
    return message(notice.card)
