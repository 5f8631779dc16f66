"""Dialogs (task modules): the forms behind propose, plan a walk, suggest a time and decline, as Adaptive
Cards 1.5 with inputs, drawn with the one renderer of cards (handlers.teams.cards).

A dialog sends back only an Action.Submit (a task/submit invoke): its data names the form ({"form":
"propose"}, and the visit for an answer) and the button ({"action": "propose.submit"}), and Teams adds the
inputs' values under their ids (the same ids as the Slack forms' blocks: teacher, date, time, ...). With
`inline=True` the same form can stand in a message refreshed in place instead, and every button is an
Action.Execute whose verb is its id (an Execute cannot open a dialog; a card in a message can be replaced).

People are chosen from the school's staff list (an Input.ChoiceSet, staff chat ids as values): no Graph
people picker, so the app needs no Graph permission. When the core says no, the form comes back with the
person's values, the core's reply at the top (each broken rule with its clause, and the nearest allowed
times as buttons, propose.at.0 ..., their data carrying the time) and messages under the fields concerned.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from bot.domain.model import Staff, VisitKind
from bot.domain.school import School
from bot.domain.words import kind_words
from bot.reply.card import Action, Card
from handlers.teams.cards import (BODY_MAX, CONTENT_TYPE, SCHEMA, VERSION, clip, elements, execute, note, submit,
                                  text_block)

PROPOSE, WALK, SUGGEST, DECLINE = "propose", "walk", "suggest", "decline"  # the forms, as their data names them
TITLES = {PROPOSE: "Propose a visit", WALK: "Plan a learning walk", SUGGEST: "Suggest another time",
          DECLINE: "Decline a visit"}
TEXT_MAX = 2000  # the grammar's limit for focus, feedback and reasons
LABEL_MAX, CHOICE_MAX, DIALOG_TITLE_MAX = 200, 100, 64
MULTI = frozenset({"visitors", "walkers", "rooms"})  # inputs choosing several people
_MINUTES = (10, 15, 20, 30, 40, 45, 50, 60, 90, 120)


@dataclass(frozen=True)
class Field:
    id: str
    label: str
    kind: str  # person, people, date, time, select, text, long_text, url
    need: str | None = None  # what Teams says when it is left empty; None: optional
    hint: str | None = None
    options: tuple[tuple[str, str], ...] = ()  # (value, label) of a select


# The only forms of date and time Teams' pickers take (the core reads more: "1110", "20270204").
_DATE = re.compile(r"\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])")
_TIME = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9]")


def _shaped(value: Any, form: re.Pattern) -> str | None:
    return value if isinstance(value, str) and form.fullmatch(value) else None


def _chosen(value: Any) -> list[str]:
    """Values given again: a list, a tuple, or a comma-separated string as Teams sends a multi-select."""
    if isinstance(value, str):
        return [v for v in value.split(",") if v]
    return [v for v in value if isinstance(v, str)] if isinstance(value, (list, tuple)) else []


def _input(f: Field, value: Any, people: list[dict]) -> dict:
    found: dict[str, Any] = {"id": f.id, "label": clip(f.label, LABEL_MAX)}
    if f.need:
        found |= {"isRequired": True, "errorMessage": f.need}
    if f.kind in ("person", "people", "select"):
        choices = people if f.kind != "select" else [{"title": clip(label, CHOICE_MAX), "value": v}
                                                     for v, label in f.options]
        known = {c["value"] for c in choices}
        picked = [v for v in _chosen(value) if v in known][: 1 if f.kind != "people" else None]
        found |= {"type": "Input.ChoiceSet", "choices": choices, "style": "compact",
                  "isMultiSelect": f.kind == "people"}
        if f.kind != "select":
            found["placeholder"] = "Choose people" if f.kind == "people" else "Choose someone"
        if picked:
            found["value"] = ",".join(picked)
    elif f.kind in ("date", "time"):
        found["type"] = "Input.Date" if f.kind == "date" else "Input.Time"
        shown = _shaped(value, _DATE if f.kind == "date" else _TIME)
        if shown:
            found["value"] = shown
    else:
        found |= {"type": "Input.Text", "maxLength": TEXT_MAX, "isMultiline": f.kind == "long_text"}
        if f.kind == "url":
            found["style"] = "url"
        if isinstance(value, str) and value:
            found["value"] = value[:TEXT_MAX]
    return {"type": found.pop("type"), **found}


def _people(staff: Iterable[Staff]) -> list[dict]:
    return [{"title": clip(p.name, CHOICE_MAX) or p.chat_id, "value": p.chat_id}
            for p in sorted((p for p in staff if p.active), key=lambda p: (p.name.casefold(), p.chat_id))]


def _send(form: str, label: str, style: str, inline: bool, data: dict) -> dict:
    """The form's own button: it sends the form."""
    found = {"type": "Action.Execute" if inline else "Action.Submit", "id": f"{form}.submit", "title": label}
    if inline:
        found["verb"] = found["id"]
    return found | {"style": style, "data": {"action": found["id"], **data}}


def _form(form: str, label: str, fields: tuple[Field, ...], values: Mapping[str, Any] | None, refusal: Card | None,
          problems: Mapping[str, str] | None, *, school: School, staff: Iterable[Staff] = (), inline: bool = False,
          intro: str | None = None, visit_id: int | None = None, style: str = "positive") -> dict:
    values, problems = values or {}, problems or {}
    data: dict[str, Any] = {"form": form} | ({"visit": visit_id} if visit_id is not None else {})
    body = [note(intro)] if intro else []
    if refusal is not None:  # the core's reply, its times as buttons that send the form again at that time

        def again(action: Action) -> dict:
            pressed = (execute if inline else submit)(action, school.calendar.local)
            return pressed | {"data": {**pressed["data"], **data}}

        body += elements(refusal, keep=lambda action: True, button=again, most=BODY_MAX // 2)
    people = _people(staff)
    for f in fields:
        body.append(_input(f, values.get(f.id), people))
        if problems.get(f.id):
            body.append(text_block(f"⚠️ {problems[f.id]}", size="small", color="attention", spacing="small"))
        elif f.hint:
            body.append(note(f.hint))
    return {"type": "AdaptiveCard", "$schema": SCHEMA, "version": VERSION, "body": body,
            "actions": [_send(form, label, style, inline, data)]}


def dialog(form: str, card: dict) -> dict:
    """The answer to task/fetch or task/submit that shows (or shows again) a form in a dialog."""
    return {"task": {"type": "continue", "value": {"title": clip(TITLES.get(form, form), DIALOG_TITLE_MAX),
                                                   "card": {"contentType": CONTENT_TYPE, "content": card}}}}


def read_values(data: Any) -> dict[str, Any]:
    """A submitted form's values by input id: strings, and a tuple of staff ids for an input choosing several
    people (Teams sends those comma-separated). Anything not a string is read as no value."""
    if not isinstance(data, Mapping):
        return {}
    found: dict[str, Any] = {}
    for key in INPUT_IDS:
        value = data.get(key)
        if isinstance(value, str) and value.strip():
            found[key] = tuple(_chosen(value)) if key in MULTI else value
    return found


# --- the forms ----------------------------------------------------------------------------------------------------

def _minutes_words(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"{minutes} minutes"
    return f"{hours} hour{'s' if hours > 1 else ''}" + (f" {rest} minutes" if rest else "")


def propose_fields(school: School) -> tuple[Field, ...]:
    policy = school.policy
    longest = policy.max_visit_minutes or max(_MINUTES)
    lengths = sorted({m for m in _MINUTES if m <= longest} | {policy.default_visit_minutes})
    kinds = [k for k in VisitKind if k is not VisitKind.LEARNING_WALK]  # walks are planned as walks
    return (
        Field("teacher", "Whose class?", "person", need="Choose whose class to visit."),
        Field("date", "Date", "date", need="Choose a date."),
        Field("time", "Time", "time", need="Choose a time."),
        Field("minutes", "How long", "select", need="Choose how long the visit lasts.",
              options=tuple((str(m), _minutes_words(m)) for m in lengths)),
        Field("kind", "Kind of visit", "select", need="Choose the kind of visit.",
              options=tuple((k.value, kind_words(k).capitalize()) for k in kinds)),
        Field("focus", "Focus", "long_text", hint="What you will look at, agreed with the teacher"),
        Field("feedback", "Feedback arrangements", "long_text", hint="When and how you will talk about it afterwards"),
        Field("visitors", "Who else is visiting", "people"),
        Field("pro_forma", "Pro forma link", "url",
              hint="Any note-taking sheet: it is shared with the teacher before the visit"),
    )


def walk_fields(school: School) -> tuple[Field, ...]:
    minutes = school.policy.walk_visit_max_minutes
    each = f", {minutes} minutes each" if minutes else ""
    return (
        Field("date", "Date", "date", need="Choose a date."),
        Field("start", "Starts", "time", need="Choose when the walk starts."),
        Field("end", "Ends", "time", need="Choose when the walk ends."),
        Field("focus", "Focus", "long_text", need="Say what the walk looks at.",
              hint="What the walk looks at: learning, never one person's performance"),
        Field("walkers", "Who is walking", "people", need="Choose who is walking."),
        Field("rooms", "Whose rooms", "people", hint=f"Each room is proposed to its teacher, back to back{each}"),
    )


SUGGEST_FIELDS = (Field("date", "Date", "date", need="Choose a date."),
                  Field("time", "Time", "time", need="Choose a time."))
DECLINE_FIELDS = (Field("reason", "Why?", "long_text", need="Say why, so the visitor understands.",
                        hint="The visitor sees this."),)
INPUT_IDS = ("teacher", "date", "time", "minutes", "kind", "focus", "feedback", "visitors", "pro_forma", "start",
             "end", "walkers", "rooms", "reason")


def propose_form(school: School, staff: Iterable[Staff], values: Mapping[str, Any] | None = None,
                 refusal: Card | None = None, *, problems: Mapping[str, str] | None = None,
                 inline: bool = False) -> dict:
    given = {k: v for k, v in (values or {}).items() if v}
    shown = {"minutes": str(school.policy.default_visit_minutes), "kind": VisitKind.PEER.value, **given}
    return _form(PROPOSE, "Propose", propose_fields(school), shown, refusal, problems, school=school, staff=staff,
                 inline=inline,
                 intro="The class teacher is asked to agree. walkbot checks your school's agreement first.")


def walk_form(school: School, staff: Iterable[Staff], values: Mapping[str, Any] | None = None,
              refusal: Card | None = None, *, problems: Mapping[str, str] | None = None, inline: bool = False) -> dict:
    return _form(WALK, "Plan", walk_fields(school), values, refusal, problems, school=school, staff=staff,
                 inline=inline, intro="The programme goes to all staff when your agreement says it must.")


def suggest_form(school: School, visit_id: int, values: Mapping[str, Any] | None = None, refusal: Card | None = None,
                 *, problems: Mapping[str, str] | None = None, inline: bool = False) -> dict:
    return _form(SUGGEST, "Suggest", SUGGEST_FIELDS, values, refusal, problems, school=school, inline=inline,
                 visit_id=visit_id, intro=f"Visit #{visit_id}: the visitor is asked to accept the time you suggest.")


def decline_form(school: School, visit_id: int, values: Mapping[str, Any] | None = None, refusal: Card | None = None,
                 *, problems: Mapping[str, str] | None = None, inline: bool = False) -> dict:
    return _form(DECLINE, "Decline", DECLINE_FIELDS, values, refusal, problems, school=school, inline=inline,
                 visit_id=visit_id, intro=f"Decline visit #{visit_id}.", style="destructive")
