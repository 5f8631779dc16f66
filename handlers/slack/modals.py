"""Modals: the forms behind a bare /visit and /walk plan, and the answers that need a time or a reason.

A form's values become a core command directly (no round trip through text). When the core says no,
the form comes back: against its fields when that says it all, otherwise re-drawn with the user's values
and the core's own reply at the top (a refusal: every broken rule with its clause, and the nearest
allowed times as buttons), drawn by the one renderer of cards (handlers.slack.blocks).
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time
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

from bot.chat.reader import keepable
from bot.chat.router import Reply
from bot.domain.model import VisitKind
from bot.domain.school import School
from bot.domain.words import kind_words
from bot.errors import Refused
from bot.reply.card import Card
from bot.rules.verdict import Subject
from bot.usecases import commands as c
from handlers.slack.blocks import (  # noqa: F401 (the time buttons a refused form offers)
    PROPOSE_AT,
    SUGGEST_AT,
    VIEW_BLOCKS_MAX,
    context,
    mrkdwn,
    plain,
    view_blocks,
)

PROPOSE, WALK, SUGGEST, DECLINE = "propose", "walk", "suggest", "decline"  # callback ids
VALUE = "value"  # every input's action id; its block id says which field it is
TEXT_MAX = 2000  # the grammar's limit for focus, feedback and reasons
ERROR_MAX = 1000
LABEL_MAX, HINT_MAX, TITLE_MAX = 2000, 2000, 24
_MINUTES = (10, 15, 20, 30, 40, 45, 50, 60, 90, 120)
MINUTES_MAX = max(_MINUTES)


# --- fields ----------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Field:
    block: str
    label: str
    kind: str  # user, users, date, time, select, text, long_text, url
    optional: bool = False
    hint: str | None = None
    options: tuple[tuple[str, str], ...] = ()  # (value, label) of a select


def _element(f: Field, value: Any):
    match f.kind:
        case "user":
            return UserSelectElement(action_id=VALUE, initial_user=value, placeholder=plain("Choose someone", 150))
        case "users":
            return UserMultiSelectElement(action_id=VALUE, initial_users=value or None,
                                          placeholder=plain("Choose people", 150))
        case "date":
            return DatePickerElement(action_id=VALUE, initial_date=_shaped(value, _SLACK_DATE))
        case "time":
            return TimePickerElement(action_id=VALUE, initial_time=_shaped(value, _SLACK_TIME))
        case "select":
            options = [Option(value=v, label=mrkdwn(label, 75)) for v, label in f.options]
            chosen = next((o for o in options if o.value == value), None)
            return StaticSelectElement(action_id=VALUE, options=options, initial_option=chosen)
        case "url":
            return UrlInputElement(action_id=VALUE, initial_value=value)
        case _:
            return PlainTextInputElement(action_id=VALUE, initial_value=(value or "")[:TEXT_MAX] or None,
                                         multiline=f.kind == "long_text", max_length=TEXT_MAX)


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

    def ack(self, redraw) -> dict:
        """What to answer the submission with; `redraw(trouble)` builds the form again with the user's values."""
        if self.card is None:
            return {"response_action": "errors",
                    "errors": {block: _clipped(message, ERROR_MAX) for block, message in self.fields.items()}}
        return {"response_action": "update", "view": redraw(self)}


def _clipped(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


class FieldError(Exception):
    """A form value the core could not even be asked about (a missing date...)."""

    def __init__(self, block: str, message: str):
        super().__init__(message)
        self.trouble = Trouble(fields={block: message})


def trouble_from(reply: Reply, school: School, blocks: Mapping[Subject, str]) -> Trouble:
    """The core's no, sorted onto a form: each broken rule against its field (clause quoted). When that says
    it all, only there; else the form shows the core's reply at the top, its times as buttons."""
    err = reply.error
    if not isinstance(err, Refused):
        return Trouble(card=reply.card)
    on_fields: dict[str, str] = {}
    for v in err.violations:
        block = blocks.get(v.field) if v.field else None
        if block:
            on_fields[block] = f"{on_fields[block]}\n{v}" if block in on_fields else str(v)
    if all(v.field in blocks for v in err.violations) and not err.alternatives:
        return Trouble(on_fields)
    return Trouble(on_fields, reply.card, school.calendar.local)


def _form(callback: str, title: str, submit: str, fields: tuple[Field, ...], values: Mapping[str, Any],
          trouble: Trouble | None, *, intro: str | None = None, metadata: str | None = None) -> View:
    blocks: list[Block] = [context(intro)] if intro else []
    inputs = []
    for f in fields:
        problem = trouble.fields.get(f.block) if trouble else None
        hint = f"⚠️ {problem}" if problem else f.hint
        inputs.append(InputBlock(block_id=f.block, label=plain(f.label, LABEL_MAX), optional=f.optional,
                                 element=_element(f, values.get(f.block)),
                                 hint=plain(hint, HINT_MAX) if hint else None))
    if trouble and trouble.card:
        blocks += view_blocks(trouble.card, most=VIEW_BLOCKS_MAX - len(blocks) - len(inputs),
                              local=trouble.local or (lambda moment: moment))
    return View(type="modal", callback_id=callback, title=plain(title, TITLE_MAX), submit=plain(submit, TITLE_MAX),
                close=plain("Cancel", TITLE_MAX), blocks=blocks + inputs, private_metadata=metadata)


def done_view(title: str, said: Card) -> View:
    """What a form turns into once the core has said yes (or can't be asked): its reply, nothing to submit."""
    return View(type="modal", title=plain(title, TITLE_MAX), close=plain("Done", TITLE_MAX), blocks=view_blocks(said))


def at(values: Mapping[str, Any], local_iso: object) -> dict[str, Any] | None:
    """The form's values with the date and time of an alternative the user picked (None if it is no time)."""
    try:
        moment = datetime.fromisoformat(local_iso)
    except (TypeError, ValueError):
        return None
    return {**values, "date": moment.date().isoformat(), "time": f"{moment:%H:%M}"}


def _when(values: Mapping[str, Any]) -> c.When:
    return c.When(day=_day(values, "date"), time=_time(values, "time"))


def _day(values: Mapping[str, Any], block: str) -> date:
    try:
        return date.fromisoformat(values.get(block) or "")
    except ValueError:
        raise FieldError(block, "Choose a date.")


def _time(values: Mapping[str, Any], block: str) -> time:
    try:
        return time.fromisoformat(values.get(block) or "")
    except ValueError:
        raise FieldError(block, "Choose a time.")


def _text(values: Mapping[str, Any], block: str) -> str | None:
    text = (values.get(block) or "").strip() or None
    if text and not keepable(text):
        raise FieldError(block, "This holds an invisible control character (a NUL, say), which walkbot can't keep: "
                                "type it again.")
    return text


def _people(values: Mapping[str, Any], block: str) -> tuple[str, ...]:
    """Slack user ids as the command language names people: @ and the id."""
    return tuple(f"@{user}" for user in values.get(block) or ())


def _minutes_words(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"{minutes} minutes"
    return f"{hours} hour{'s' if hours > 1 else ''}" + (f" {rest} minutes" if rest else "")


# --- proposing a visit -----------------------------------------------------------------------------------------------

# Violation.field -> the block showing it; the start is the date and time together, shown on the date.
PROPOSE_BLOCKS = {Subject.START: "date", Subject.MINUTES: "minutes", Subject.VISITORS: "visitors",
                  Subject.FOCUS: "focus", Subject.FEEDBACK: "feedback", Subject.TEACHER: "teacher",
                  Subject.KIND: "kind"}


def _propose_fields(school: School) -> tuple[Field, ...]:
    policy = school.policy
    longest = policy.max_visit_minutes or max(_MINUTES)
    lengths = sorted({m for m in _MINUTES if m <= longest} | {policy.default_visit_minutes})
    kinds = [k for k in VisitKind if k is not VisitKind.LEARNING_WALK]  # walks are planned with /walk plan
    return (
        Field("teacher", "Whose class?", "user"),
        Field("date", "Date", "date"),
        Field("time", "Time", "time"),
        Field("minutes", "How long", "select", options=tuple((str(m), _minutes_words(m)) for m in lengths)),
        Field("kind", "Kind of visit", "select", options=tuple((k.value, kind_words(k).capitalize()) for k in kinds)),
        Field("focus", "Focus", "long_text", optional=True, hint="What you will look at, agreed with the teacher"),
        Field("feedback", "Feedback arrangements", "long_text", optional=True,
              hint="When and how you will talk about it afterwards"),
        Field("visitors", "Who else is visiting", "users", optional=True),
        Field("pro_forma", "Pro forma link", "url", optional=True,
              hint="Any note-taking sheet: it is shared with the teacher before the visit"),
    )


def propose_view(school: School, values: Mapping[str, Any] | None = None, trouble: Trouble | None = None) -> View:
    given = {k: v for k, v in (values or {}).items() if v}
    values = {"minutes": str(school.policy.default_visit_minutes), "kind": VisitKind.PEER.value, **given}
    return _form(PROPOSE, "Propose a visit", "Propose", _propose_fields(school), values, trouble,
                 intro="The class teacher is asked to agree. walkbot checks your school's agreement first.")


def propose_command(values: Mapping[str, Any], *, school_id: int, actor: str) -> c.ProposeVisit:
    if not values.get("teacher"):
        raise FieldError("teacher", "Choose whose class to visit.")
    minutes = values.get("minutes")
    # Only a length the form offers: a value Slack never sends (0, 10**12, "20.5") is not quietly changed.
    if minutes is not None and not (isinstance(minutes, str) and minutes.isascii() and minutes.isdigit()
                                    and len(minutes) <= 4
                                    and 0 < int(minutes) <= MINUTES_MAX):
        raise FieldError("minutes", "Choose how long the visit lasts.")
    minutes = int(minutes) if minutes else None
    try:
        kind = VisitKind(values.get("kind") or VisitKind.PEER)
    except ValueError:
        raise FieldError("kind", "Choose the kind of visit.")
    return c.ProposeVisit(school_id=school_id, actor=actor, teacher=f"@{values['teacher']}", when=_when(values),
                          minutes=minutes, kind=kind, focus=_text(values, "focus"),
                          feedback=_text(values, "feedback"), pro_forma=_text(values, "pro_forma"),
                          visitors=_people(values, "visitors"))


# --- planning a learning walk ----------------------------------------------------------------------------------------

WALK_BLOCKS = {Subject.START: "date", Subject.VISITORS: "walkers", Subject.FOCUS: "focus"}


def _walk_fields(school: School) -> tuple[Field, ...]:
    minutes = school.policy.walk_visit_max_minutes
    each = f", {minutes} minutes each" if minutes else ""
    return (
        Field("date", "Date", "date"),
        Field("start", "Starts", "time"),
        Field("end", "Ends", "time"),
        Field("focus", "Focus", "long_text", hint="What the walk looks at: learning, never one person's performance"),
        Field("walkers", "Who is walking", "users"),
        Field("rooms", "Whose rooms", "users", optional=True,
              hint=f"Each room is proposed to its teacher, back to back{each}"),
    )


def walk_view(school: School, values: Mapping[str, Any] | None = None, trouble: Trouble | None = None) -> View:
    return _form(WALK, "Plan a learning walk", "Plan", _walk_fields(school), values or {}, trouble,
                 intro="The programme goes to all staff when your agreement says it must.")


def walk_command(values: Mapping[str, Any], *, school_id: int, actor: str) -> c.PlanWalk:
    day, start, end = _day(values, "date"), _time(values, "start"), _time(values, "end")
    if end <= start:
        raise FieldError("end", "The walk must end after it starts.")
    return c.PlanWalk(school_id=school_id, actor=actor, day=day, start=start, end=end, focus=_text(values, "focus"),
                      walkers=_people(values, "walkers"), rooms=_people(values, "rooms"))


# --- answering: another time, or a reason to decline -----------------------------------------------------------------

SUGGEST_BLOCKS = {Subject.START: "date"}
DECLINE_BLOCKS: dict[Subject, str] = {}
# A form or button walkbot did not make (its metadata or value unreadable): Slack never sends one.
UNREADABLE = ("walkbot can't tell which visit this is about, so nothing was changed. "
              "Close it and answer from the message or your Home tab again.")


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
    fields = (Field("date", "Date", "date"), Field("time", "Time", "time"))
    return _form(SUGGEST, "Suggest another time", "Suggest", fields, values or {}, trouble,
                 intro=f"Visit #{origin.visit_id}: the visitor is asked to accept the time you suggest.",
                 metadata=origin.dump())


def suggest_command(values: Mapping[str, Any], origin: Origin, *, school_id: int, actor: str) -> c.SuggestTime:
    return c.SuggestTime(school_id=school_id, actor=actor, visit_id=origin.visit_id, when=_when(values))


def decline_view(origin: Origin, values: Mapping[str, Any] | None = None, trouble: Trouble | None = None) -> View:
    fields = (Field("reason", "Why?", "long_text", hint="The visitor sees this."),)
    return _form(DECLINE, f"Decline visit #{origin.visit_id}", "Decline", fields, values or {}, trouble,
                 metadata=origin.dump())


def decline_command(values: Mapping[str, Any], origin: Origin, *, school_id: int, actor: str) -> c.DeclineVisit:
    reason = _text(values, "reason")
    if not reason:
        raise FieldError("reason", "Say why, so the visitor understands.")
    return c.DeclineVisit(school_id=school_id, actor=actor, visit_id=origin.visit_id, reason=reason)
