"""Modals: the forms (bot.chat.forms) behind a bare /visit and /walk plan, and the answers that need a time or a
reason, drawn in Block Kit.

A form's values become a core command directly (no round trip through text), by the form model every surface
shares. When the core says no, the form comes back: against its fields when that says it all, otherwise
re-drawn with the user's values and the core's own reply at the top (a refusal: every broken rule with its
clause, and the nearest allowed times as buttons), drawn by the one renderer of cards (handlers.slack.blocks).
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, Mapping

from slack_sdk.models.blocks import (
    Block,
    DatePickerElement,
    InputBlock,
    Option,
    PlainTextInputElement,
    StaticSelectElement,
    TimePickerElement,
    UrlInputElement,
    UserMultiSelectElement,
    UserSelectElement,
)
from slack_sdk.models.views import View

from bot.chat import forms
from bot.chat.forms import TEXT_MAX, UNREADABLE, Field, FieldError, Form, FormName, Input  # noqa: F401 (re-exported)
from bot.chat.router import Reply
from bot.domain.school import School
from bot.reply.card import Card
from handlers.slack.blocks import (  # noqa: F401 (the time buttons a refused form offers)
    PROPOSE_AT,
    SUGGEST_AT,
    VIEW_BLOCKS_MAX,
    context,
    mrkdwn,
    plain,
    view_blocks,
)

PROPOSE, WALK, SUGGEST, DECLINE = (name.value for name in FormName)  # callback ids
VALUE = "value"  # every input's action id; its block id is the form's field id
ERROR_MAX = 1000
LABEL_MAX, HINT_MAX, TITLE_MAX = 2000, 2000, 24
at = forms.at

# --- fields ----------------------------------------------------------------------------------------------------------

def _element(f: Field, value: Any):
    match f.kind:
        case Input.PERSON:
            return UserSelectElement(action_id=VALUE, initial_user=value, placeholder=plain("Choose someone", 150))
        case Input.PEOPLE:
            return UserMultiSelectElement(action_id=VALUE, initial_users=value or None,
                                          placeholder=plain("Choose people", 150))
        case Input.DATE:
            return DatePickerElement(action_id=VALUE, initial_date=_shaped(value, _SLACK_DATE))
        case Input.TIME:
            return TimePickerElement(action_id=VALUE, initial_time=_shaped(value, _SLACK_TIME))
        case Input.CHOICE:
            options = [Option(value=v, label=mrkdwn(label, 75)) for v, label in f.options]
            chosen = next((o for o in options if o.value == value), None)
            return StaticSelectElement(action_id=VALUE, options=options, initial_option=chosen)
        case Input.URL:
            return UrlInputElement(action_id=VALUE, initial_value=value)
        case _:
            return PlainTextInputElement(action_id=VALUE, initial_value=(value or "")[:TEXT_MAX] or None,
                                         multiline=f.kind is Input.LONG_TEXT, max_length=TEXT_MAX)


# The only forms of date and time Slack's pickers take (the core reads more: "1110", "20270204").
_SLACK_DATE = re.compile(r"\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])")
_SLACK_TIME = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9]")


def _shaped(value: Any, form: re.Pattern) -> str | None:
    """A value to show again in a picker, if it is in the picker's form; else the picker starts empty."""
    return value if isinstance(value, str) and form.fullmatch(value) else None


def read_values(view: Mapping[str, Any]) -> dict[str, Any]:
    """A submitted (or clicked-in) form's values by block id: user ids, ISO dates, HH:MM, option values, text.

    Anything not in the shape Slack gives is read as no value (the form then asks for it again).
    """
    found = {}
    for block, actions in _mapping(_mapping(view.get("state")).get("values")).items():
        picked = _mapping(_mapping(actions).get(VALUE))
        option = _mapping(picked.get("selected_option"))
        users = picked.get("selected_users")
        found[block] = (_string(picked.get("selected_user"))
                        or (users if isinstance(users, list) and all(isinstance(u, str) for u in users) else None)
                        or _string(picked.get("selected_date")) or _string(picked.get("selected_time"))
                        or _string(option.get("value")) or _string(picked.get("value")))
    return found


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _string(value: Any) -> str | None:
    return value if isinstance(value, str) else None


@dataclass(frozen=True)
class Trouble:
    """Why a form comes back: messages for its fields, and what the core said, to show above them."""

    fields: Mapping[str, str] = field(default_factory=dict)  # block id -> message
    card: Card | None = None  # the core's reply: a refusal with its clauses and the times it offers instead
    local: Callable[[datetime], datetime] | None = None  # the school's time, for the values of those times

    @classmethod
    def of(cls, error: FieldError) -> "Trouble":
        return cls(fields={error.field: str(error)})

    def ack(self, redraw) -> dict:
        """What to answer the submission with; `redraw(trouble)` builds the form again with the user's values."""
        if self.card is None:
            return {"response_action": "errors",
                    "errors": {block: _clipped(message, ERROR_MAX) for block, message in self.fields.items()}}
        return {"response_action": "update", "view": redraw(self)}


def _clipped(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def trouble_from(reply: Reply, school: School, form: Form) -> Trouble:
    """The core's no, on the form (bot.chat.forms.on_fields), the school's times for any times it offers."""
    on_fields, said = forms.on_fields(reply, form)
    return Trouble(on_fields, said, school.calendar.local if said is not None else None)


def _view(form: Form, values: Mapping[str, Any] | None, trouble: Trouble | None, *,
          metadata: str | None = None) -> View:
    shown = form.values(values)
    blocks: list[Block] = [context(form.intro)] if form.intro else []
    inputs = []
    for f in form.fields:
        problem = trouble.fields.get(f.id) if trouble else None
        hint = f"⚠️ {problem}" if problem else f.hint
        inputs.append(InputBlock(block_id=f.id, label=plain(f.label, LABEL_MAX), optional=f.optional,
                                 element=_element(f, shown.get(f.id)), dispatch_action=f.id in form.refreshes,
                                 hint=plain(hint, HINT_MAX) if hint else None))
    if trouble and trouble.card:
        blocks += view_blocks(trouble.card, most=VIEW_BLOCKS_MAX - len(blocks) - len(inputs),
                              local=trouble.local or (lambda moment: moment))
    return View(type="modal", callback_id=form.name.value, title=plain(form.title, TITLE_MAX),
                submit=plain(form.submit, TITLE_MAX), close=plain("Cancel", TITLE_MAX), blocks=blocks + inputs,
                private_metadata=metadata)


def done_view(title: str, said: Card) -> View:
    """What a form turns into once the core has said yes (or can't be asked): its reply, nothing to submit."""
    return View(type="modal", title=plain(title, TITLE_MAX), close=plain("Done", TITLE_MAX), blocks=view_blocks(said))


# --- the forms -------------------------------------------------------------------------------------------------------

def propose_view(school: School, values: Mapping[str, Any] | None = None, trouble: Trouble | None = None,
                 lessons=None) -> View:
    """`lessons`: Walkbot.lessons, what a school with a timetable offers (None: no timetable)."""
    return _view(forms.propose_form(school, lessons), values, trouble)


def walk_view(school: School, values: Mapping[str, Any] | None = None, trouble: Trouble | None = None) -> View:
    return _view(forms.walk_form(school), values, trouble)


@dataclass(frozen=True)
class Origin:
    """Where an answer's form was opened: a message to update in place (channel, ts), or the App Home."""

    visit_id: int
    channel: str | None = None
    ts: str | None = None

    def dump(self) -> str:
        return json.dumps({"visit": self.visit_id, "channel": self.channel, "ts": self.ts})

    @classmethod
    def of(cls, view: Mapping[str, Any]) -> "Origin | None":
        """What dump() wrote in the form; None if the form carries anything else (it is not walkbot's)."""
        try:
            data = json.loads(view.get("private_metadata") or "")
        except (TypeError, ValueError):
            return None
        if not isinstance(data, dict):
            return None
        visit, channel, ts = data.get("visit"), data.get("channel"), data.get("ts")
        if type(visit) is not int or not 0 < visit < 2**31:  # type(): True is an int, but no visit
            return None
        if not all(v is None or isinstance(v, str) for v in (channel, ts)):
            return None
        return cls(visit, channel, ts)


def suggest_view(origin: Origin, values: Mapping[str, Any] | None = None, trouble: Trouble | None = None) -> View:
    return _view(forms.suggest_form(origin.visit_id), values, trouble, metadata=origin.dump())


def decline_view(origin: Origin, values: Mapping[str, Any] | None = None, trouble: Trouble | None = None) -> View:
    return _view(forms.decline_form(origin.visit_id), values, trouble, metadata=origin.dump())
