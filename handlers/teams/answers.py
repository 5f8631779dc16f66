"""Cards in action: the buttons on walkbot's cards (adaptiveCard/action invokes) and its dialogs (task/fetch,
task/submit). Each runs one core command as the person who pressed, through the router.

- Agree, Accept this time, Withdraw (an Action.Execute, verb visit.agree.12, data {"visit", "at"}): the answer
  acts only on the time the card showed (asked_start). The invoke's answer replaces the card in place with
  the settled card, no buttons left, so whoever sees it sees the outcome; a question answered already shows
  where the visit stands; a refusal or failure comes back as a message saying why, the card left as it was.
- Suggest another time, Decline, Propose a visit, Plan a learning walk: an Execute cannot open a dialog, so a
  message's button replaces its card with the form (forms.py, inline), whose own buttons are Executes too.
  The same forms open as dialogs from a task/fetch (an Action.Submit with msteams {"type": "task/fetch"} and
  the action's data), and a dialog sends them back as task/submit. Either way a form the core says no to
  comes back with the person's values, each broken rule with its clause, and the nearest allowed times as
  buttons; pressing one sends the form again at that time. A dialog's answer, once given, settles the
  message it was opened from (update_activity, by the invoke's replyToId).

The forms and how their values become commands are bot.chat.forms, which the Slack forms draw too: both
surfaces ask the same things and check them the same way.
"""
from __future__ import annotations

import asyncio
import logging
import re
from datetime import UTC, datetime
from typing import Any, Callable, Mapping

from microsoft_teams.api import MessageActivityInput

from bot.chat import replies
from bot.chat.router import Reply, Walkbot
from bot.domain.model import OPEN_STATUSES
from bot.domain.school import School
from bot.errors import WrongState
from bot.reply.card import Verb
from bot.usecases import commands as c
from bot.chat.forms import (UNREADABLE, FieldError, Form, FormName, at, decline_command, decline_form, on_fields,
                            propose_command, propose_form, suggest_command, suggest_form, walk_command, walk_form)
from handlers.teams import cards, forms
from handlers.teams.forms import read_values

log = logging.getLogger("walkbot.teams")

MESSAGE = "application/vnd.microsoft.activity.message"
ANSWERS = {Verb.AGREE: c.AgreeVisit, Verb.ACCEPT: c.AcceptSuggestion, Verb.WITHDRAW: c.WithdrawVisit}
OPENS = {Verb.SUGGEST: FormName.SUGGEST, Verb.DECLINE: FormName.DECLINE, Verb.OPEN_PROPOSE: FormName.PROPOSE,
         Verb.OPEN_WALK: FormName.WALK}
AGAIN = {Verb.PROPOSE_AT: FormName.PROPOSE, Verb.SUGGEST_AT: FormName.SUGGEST}  # a refused form's times
SUBMITS = {f"{name.value}.submit": name for name in FormName}
ANSWERING = (FormName.SUGGEST, FormName.DECLINE)  # the forms that answer one visit
NOT_SLT_WALK = "Learning walks are planned by SLT. Say “walk list” to see this session's walks."
TOAST_MAX = 1000
_KEY = r"(?:\.[A-Za-z0-9_-]{1,20})?"


def verb_of(action_id: object) -> Verb | None:
    """The verb an action id names ("visit.agree.12" → AGREE); None: not one of walkbot's."""
    if not isinstance(action_id, str):
        return None
    return next((v for v in Verb if re.fullmatch(rf"{re.escape(v.value)}{_KEY}", action_id)), None)


def visit_of(value: object) -> int | None:
    return value if type(value) is int and 0 < value < 2**31 else None  # type(): True is an int, but no visit


def moment_of(value: object) -> datetime | None:
    """A unix time in whole seconds (cards.action_data), within datetime's years."""
    if type(value) is int and 0 <= value < 10**11:
        return datetime.fromtimestamp(value, UTC)
    return None


def toast(text: str) -> dict:
    """The answer to an Execute that leaves the card as it was and tells the person why."""
    return {"status": 200, "body": {"statusCode": 200, "type": MESSAGE, "value": cards.clip(text, TOAST_MAX)}}


def replace(content: dict) -> dict:
    return {"status": 200, "body": {"statusCode": 200, "type": cards.CONTENT_TYPE, "value": content}}


def task(body: dict) -> dict:
    return {"status": 200, "body": body}


def task_message(text: str) -> dict:
    return task({"task": {"type": "message", "value": cards.clip(text, TOAST_MAX)}})


class Answers:
    def __init__(self, walkbot: Walkbot, uow_factory: Callable):
        self.walkbot, self.uow_factory = walkbot, uow_factory

    async def invoke(self, ctx: Any, raw: Mapping[str, Any], school: School, actor: str) -> Any:
        """An invoke from someone found on the school's staff list (listeners.py has answered anyone else)."""
        name, value = raw.get("name"), raw.get("value")
        value = value if isinstance(value, Mapping) else {}
        if name == "adaptiveCard/action":
            action = value.get("action") if isinstance(value.get("action"), Mapping) else {}
            data = action.get("data") if isinstance(action.get("data"), Mapping) else {}
            return await asyncio.to_thread(self.pressed, school, actor, action.get("verb"), data)
        if name in ("task/fetch", "task/submit"):
            data = value.get("data") if isinstance(value.get("data"), Mapping) else {}
            if name == "task/fetch":
                return await asyncio.to_thread(self.fetched, school, actor, data)
            reply, again, form = await asyncio.to_thread(self.run_form, school, actor, data, data.get("action"),
                                                         inline=False)
            if again is not None and form is not None:
                return task(forms.dialog(form, again))
            if reply is None:
                return task_message(UNREADABLE)
            if reply.settled is not None and isinstance(raw.get("replyToId"), str):
                await self._settle(ctx, raw["replyToId"], reply)
            return task_message(cards.plain(reply.card))
        return None  # no other invoke is walkbot's: 200, nothing done

    async def _settle(self, ctx: Any, message_id: str, reply: Reply) -> None:
        """The message a dialog was opened from: its question answered, its card settled in place."""
        activity = MessageActivityInput.model_validate(cards.refreshed(reply.settled))
        activity.id = message_id
        try:
            await ctx.send(activity)
        except Exception as error:
            log.warning("Teams did not take the settled card: %r", error)

    # --- a button on a card ---------------------------------------------------------------------------------------

    def pressed(self, school: School, actor: str, action_id: object, data: Mapping[str, Any]) -> dict:
        verb = verb_of(action_id)
        if verb in ANSWERS:
            return self.answer(school, actor, verb, data)
        if verb in OPENS:
            drawn = self.blank(school, actor, OPENS[verb], data, inline=True)
            return replace(drawn[1]) if isinstance(drawn, tuple) else toast(drawn)
        if verb in AGAIN or action_id in SUBMITS:
            reply, again, form = self.run_form(school, actor, data, action_id, inline=True)
            if again is not None:
                return replace(again)
            if reply is None:
                return toast(UNREADABLE)
            # An answer settles the question the card asked; a proposal or a walk says what was done.
            shown = (reply.settled if form is not None and form.name in ANSWERING else None) or reply.card
            return replace(cards.adaptive_card(shown, keep=lambda a: False))
        log.warning("ignored a card action walkbot did not make: %.200r", action_id)
        return toast(UNREADABLE)

    def answer(self, school: School, actor: str, verb: Verb, data: Mapping[str, Any]) -> dict:
        visit_id, asked = visit_of(data.get("visit")), moment_of(data.get("at"))
        if visit_id is None:
            return toast(UNREADABLE)
        extra = {"asked_start": asked} if verb in (Verb.AGREE, Verb.ACCEPT) else {}
        reply = self.walkbot.run(ANSWERS[verb](school_id=school.id, actor=actor, visit_id=visit_id, **extra), school)
        if reply.ok:
            return replace(cards.adaptive_card(reply.settled or reply.card, keep=lambda a: False))
        if isinstance(reply.error, WrongState):
            # Answered already (twice pressed, an old card): the card shows where the visit stands. If it still
            # awaits an answer it was moved since, and the newer card asks about the new time: say so too.
            shown = self.walkbot.run(c.ShowVisit(school_id=school.id, actor=actor, visit_id=visit_id), school)
            if shown.ok and shown.result.visit.status not in OPEN_STATUSES:
                settled = replies.settled(shown.result.school, shown.result.visit, shown.result.names)
                return replace(cards.adaptive_card(settled, keep=lambda a: False))
        return toast(cards.plain(reply.card))

    # --- forms: inline in a card, or in a dialog ------------------------------------------------------------------

    def fetched(self, school: School, actor: str, data: Mapping[str, Any]) -> dict:
        verb = verb_of(data.get("action") if data.get("action") is not None else data.get("verb"))
        if verb not in OPENS:
            return task_message(UNREADABLE)
        drawn = self.blank(school, actor, OPENS[verb], data, inline=False)
        return task(forms.dialog(*drawn)) if isinstance(drawn, tuple) else task_message(drawn)

    def blank(self, school: School, actor: str, name: FormName, data: Mapping[str, Any], *,
              inline: bool) -> tuple[Form, dict] | str:
        """The empty form, or why this person can't use it (said before they fill it in)."""
        who = self.walkbot.run(c.WhoAmI(school_id=school.id, actor=actor), school)
        if not who.ok:
            return cards.plain(who.card)
        if name is FormName.WALK and not who.result.person.is_slt:
            return NOT_SLT_WALK
        visit_id = visit_of(data.get("visit"))
        form = _form(name, school, visit_id, self._lessons(school, actor, name))
        if form is None:
            return UNREADABLE
        return form, self._draw(form, school, {}, None, {}, inline=inline, visit_id=visit_id)

    def _draw(self, form: Form, school: School, values: Mapping[str, Any], refusal, problems, *, inline: bool,
              visit_id: int | None) -> dict:
        staff = self._staff(school) if form.name not in ANSWERING else ()
        return forms.card(form, values, refusal, problems, school=school, staff=staff, inline=inline,
                          visit_id=visit_id if form.name in ANSWERING else None)

    def _lessons(self, school: School, actor: str, name: FormName | None):
        return self.walkbot.lessons(school, actor) if name is FormName.PROPOSE else None

    def _staff(self, school: School):
        with self.uow_factory() as uow:
            return uow.staff.all(school.id)

    def run_form(self, school: School, actor: str, data: Mapping[str, Any], action_id: object, *,
                 inline: bool) -> tuple[Reply | None, dict | None, Form | None]:
        """A form sent (or one of its times pressed): the core's reply, or the form to show again, and which form;
        neither when the form is not one walkbot made."""
        pressed = verb_of(action_id)  # the form's own button, or one of the times it offers
        name = next((n for n in FormName if n.value == data.get("form")), None)
        visit_id = visit_of(data.get("visit"))
        form = _form(name, school, visit_id, self._lessons(school, actor, name)) if name is not None else None
        if form is None or (pressed in AGAIN and AGAIN[pressed] is not name):
            return None, None, form
        values = read_values(data, form)
        if pressed in AGAIN:
            values = at(values, data.get("local"))
            if values is None:
                return None, None, form
        base = {"school_id": school.id, "actor": actor}
        build = {FormName.PROPOSE: lambda v: propose_command(v, **base),
                 FormName.WALK: lambda v: walk_command(v, **base),
                 FormName.SUGGEST: lambda v: suggest_command(v, visit_id, **base),
                 FormName.DECLINE: lambda v: decline_command(v, visit_id, **base)}[form.name]
        try:
            cmd = build(values)
        except FieldError as err:
            return None, self._draw(form, school, values, None, {err.field: str(err)}, inline=inline,
                                    visit_id=visit_id), form
        reply = self.walkbot.run(cmd, school)
        if reply.ok:
            return reply, None, form
        problems, refusal = on_fields(reply, form)
        return reply, self._draw(form, school, values, refusal, problems, inline=inline, visit_id=visit_id), form


def _form(name: FormName | None, school: School, visit_id: int | None, lessons=None) -> Form | None:
    """The form a name asks for; an answer's is about one visit, and without one it is no form of walkbot's.
    `lessons` (Walkbot.lessons): at a school with a timetable the propose form asks whether cover is arranged."""
    if name is FormName.PROPOSE:
        return propose_form(school, lessons)
    if name is FormName.WALK:
        return walk_form(school)
    if name in ANSWERING and visit_id is not None:
        return (suggest_form if name is FormName.SUGGEST else decline_form)(visit_id)
    return None
