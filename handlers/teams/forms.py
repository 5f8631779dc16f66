"""Dialogs (task modules): the forms (bot.chat.forms) behind propose, plan a walk, suggest a time and decline,
as Adaptive Cards 1.5 with inputs, drawn with the one renderer of cards (handlers.teams.cards).

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
from typing import Any, Iterable, Mapping

from bot.chat.forms import TEXT_MAX, Field, Form, FormName, Input
from bot.domain.model import Staff
from bot.domain.school import School
from bot.reply.card import Action, Card
from handlers.teams.cards import (BODY_MAX, CONTENT_TYPE, SCHEMA, VERSION, clip, elements, execute, note, submit,
                                  text_block)

PROPOSE, WALK, SUGGEST, DECLINE = (name.value for name in FormName)  # the forms, as their data names them
LABEL_MAX, CHOICE_MAX, DIALOG_TITLE_MAX = 200, 100, 64


# The only forms of date and time Teams' pickers take (the core reads more: "1110", "20270204").
_DATE = re.compile(r"\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])")
_TIME = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9]")
_PICKERS = {Input.DATE: ("Input.Date", _DATE), Input.TIME: ("Input.Time", _TIME)}


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
    if f.kind in (Input.PERSON, Input.PEOPLE, Input.CHOICE):
        choices = people if f.kind is not Input.CHOICE else [{"title": clip(label, CHOICE_MAX), "value": v}
                                                             for v, label in f.options]
        known = {c["value"] for c in choices}
        picked = [v for v in _chosen(value) if v in known][: None if f.kind is Input.PEOPLE else 1]
        found |= {"type": "Input.ChoiceSet", "choices": choices, "style": "compact",
                  "isMultiSelect": f.kind is Input.PEOPLE}
        if f.kind is not Input.CHOICE:
            found["placeholder"] = "Choose people" if f.kind is Input.PEOPLE else "Choose someone"
        if picked:
            found["value"] = ",".join(picked)
    elif f.kind in _PICKERS:
        found["type"], shape = _PICKERS[f.kind]
        shown = _shaped(value, shape)
        if shown:
            found["value"] = shown
    else:
        found |= {"type": "Input.Text", "maxLength": TEXT_MAX, "isMultiline": f.kind is Input.LONG_TEXT}
        if f.kind is Input.URL:
            found["style"] = "url"
        if isinstance(value, str) and value:
            found["value"] = value[:TEXT_MAX]
    return {"type": found.pop("type"), **found}


def _people(staff: Iterable[Staff]) -> list[dict]:
    return [{"title": clip(p.name, CHOICE_MAX) or p.chat_id, "value": p.chat_id}
            for p in sorted((p for p in staff if p.active), key=lambda p: (p.name.casefold(), p.chat_id))]


def _send(form: Form, inline: bool, data: dict) -> dict:
    """The form's own button: it sends the form."""
    name = f"{form.name.value}.submit"
    found = {"type": "Action.Execute" if inline else "Action.Submit", "id": name, "title": form.submit}
    if inline:
        found["verb"] = name
    style = "destructive" if form.name is FormName.DECLINE else "positive"
    return found | {"style": style, "data": {"action": name, **data}}


def card(form: Form, values: Mapping[str, Any] | None, refusal: Card | None, problems: Mapping[str, str] | None, *,
         school: School, staff: Iterable[Staff] = (), inline: bool = False, visit_id: int | None = None) -> dict:
    """The form as an Adaptive Card: in a dialog, or (inline) standing in a message's place."""
    shown, problems = form.values(values), problems or {}
    data: dict[str, Any] = {"form": form.name.value} | ({"visit": visit_id} if visit_id is not None else {})
    body = [note(form.intro)] if form.intro else []
    if refusal is not None:  # the core's reply, its times as buttons that send the form again at that time

        def again(action: Action) -> dict:
            pressed = (execute if inline else submit)(action, school.calendar.local)
            return pressed | {"data": {**pressed["data"], **data}}

        body += elements(refusal, keep=lambda action: True, button=again, most=BODY_MAX // 2)
    people = _people(staff)
    for f in form.fields:
        body.append(_input(f, shown.get(f.id), people))
        if problems.get(f.id):
            body.append(text_block(f"⚠️ {problems[f.id]}", size="small", color="attention", spacing="small"))
        elif f.hint:
            body.append(note(f.hint))
    return {"type": "AdaptiveCard", "$schema": SCHEMA, "version": VERSION, "body": body,
            "actions": [_send(form, inline, data)]}


def dialog(form: Form, content: dict) -> dict:
    """The answer to task/fetch or task/submit that shows (or shows again) a form in a dialog."""
    return {"task": {"type": "continue", "value": {"title": clip(form.title, DIALOG_TITLE_MAX),
                                                   "card": {"contentType": CONTENT_TYPE, "content": content}}}}


def read_values(data: Any, form: Form) -> dict[str, Any]:
    """A submitted form's values by field id: strings, and a tuple of staff ids for a field choosing several
    people (Teams sends those comma-separated). Anything not a string is read as no value."""
    if not isinstance(data, Mapping):
        return {}
    found: dict[str, Any] = {}
    for f in form.fields:
        value = data.get(f.id)
        if isinstance(value, str) and value.strip():
            found[f.id] = tuple(_chosen(value)) if f.kind is Input.PEOPLE else value
    return found
