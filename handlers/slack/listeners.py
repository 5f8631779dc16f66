"""The Slack listeners: each reads the request, runs one core command through the router, shows the reply.

Two ways to answer, one set of listeners. With `ack_first` (how `walkbot serve` and `walkbot slack`
run) a command, a button or an event is acknowledged at once and worked on afterwards, in Bolt's lazy
listeners: Slack's 3-second deadline never depends on the database or on load, and a command's answer
comes by its response_url. Without it the work is done before the ack and a command's answer is in the
ack itself, which is what most tests drive. A form submission is always worked on before its ack: a
refusal has to come back inside the form. Nothing here sends bulk messages: what other people are told
goes to the outbox, and the dispatcher posts it.
"""
from __future__ import annotations

import functools
import logging
from typing import Any, Callable, Mapping

from slack_bolt import App
from slack_sdk import WebClient

from bot import commands as c
from bot.errors import WrongState
from bot.model import OPEN_STATUSES, Visit
from bot.router import SORRY, Reply, Walkbot
from bot.school import School
from handlers.slack import modals as m
from handlers.slack.blocks import (ACCEPT, AGREE, DECLINE, SUGGEST, WITHDRAW, read_answer_value, reply_message,
                                   settled_message)
from handlers.slack.home import OPEN_PROPOSE, OPEN_WALK, home_view, notice_home

log = logging.getLogger("walkbot.slack")

ANSWERS = {AGREE: c.AgreeVisit, ACCEPT: c.AcceptSuggestion, WITHDRAW: c.WithdrawVisit}
NOT_SLT_WALK = "Learning walks are planned by SLT. Say /walk list to see this session's walks."
UNLINKED = ("This Slack workspace isn't linked to a school in walkbot yet, so I can't help here. "
            "Your IT lead links it by adding its team id to school.yml (slack_team_id) and loading it.")


def register(app: App, walkbot: Walkbot, *, ack_first: bool = False) -> None:
    on = Listeners(walkbot, ack_first=ack_first)

    def work(listener: Callable) -> dict[str, Any]:
        """Work that may follow the ack: after it (ack first), or before it."""
        return {"ack": _acknowledge, "lazy": [_guarded(listener)]} if ack_first else {"ack": listener, "lazy": []}

    app.command("/visit")(**work(on.command))
    app.command("/walk")(**work(on.command))
    app.action(OPEN_PROPOSE)(**work(on.open_form))
    app.action(OPEN_WALK)(**work(on.open_form))
    app.view(m.PROPOSE)(on.propose_submitted)
    app.action(m.PROPOSE_AT)(**work(on.propose_at))
    app.view(m.WALK)(on.walk_submitted)
    for action_id in ANSWERS:
        app.action(action_id)(**work(on.answer))
    app.action(SUGGEST)(**work(on.ask))
    app.action(DECLINE)(**work(on.ask))
    app.view(m.SUGGEST)(on.suggest_submitted)
    app.action(m.SUGGEST_AT)(**work(on.suggest_at))
    app.view(m.DECLINE)(on.decline_submitted)
    app.event("app_home_opened")(**work(on.home_opened))


def _acknowledge(ack) -> None:
    ack()


def _guarded(listener: Callable) -> Callable:
    """After the ack Bolt's error handler no longer runs: a failure is logged here, and whoever asked is
    told (where Slack gave a response_url) rather than left waiting."""

    @functools.wraps(listener)  # Bolt passes the arguments the listener names
    def guarded(**kwargs) -> None:
        try:
            listener(**kwargs)
        except Exception as error:
            log.error("walkbot's Slack listener failed after its ack: %r", error, exc_info=error)
            respond = kwargs.get("respond")  # there when the listener names it and Slack gave a response_url
            if respond is not None:
                try:
                    respond(response_type="ephemeral", replace_original=False, **reply_message(SORRY))
                except Exception:  # Slack out of reach as well: the log above is all there is
                    log.warning("could not tell the person that their request failed", exc_info=True)

    return guarded


def _typed(text: str) -> str:
    """A command's text as the person typed it: Slack sends &, < and > as &amp;, &lt; and &gt;, so that
    its own markup (<@U123|tom>, a mention) stands apart."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _unreadable(what: str, given: object) -> None:
    """A button or form walkbot did not make (Slack never sends one, so it is garbled or forged): ignored."""
    log.warning("ignored a %s walkbot did not make: %.300r", what, given)


def _time_clicked(body: dict, action: dict) -> tuple[dict, dict[str, Any]] | None:
    """The form a "... instead" button is in, and its values at the time the button offers."""
    shown = body.get("view")
    if not isinstance(shown, dict) or not isinstance(shown.get("id"), str):
        return None
    values = m.at(m.read_values(shown), action.get("value"))
    return None if values is None else (shown, values)


def _form_for(command: str, text: str) -> str | None:
    """A bare /visit (or /visit propose) and a bare /walk plan open a form instead of answering in words."""
    words = text.lower().split()
    if command == "/visit" and words in ([], ["propose"]):
        return m.PROPOSE
    if command == "/walk" and words == ["plan"]:
        return m.WALK
    return None


class Listeners:
    def __init__(self, walkbot: Walkbot, *, ack_first: bool = False):
        self.walkbot = walkbot
        self.ack_first = ack_first

    # --- typed commands, and the forms they open ------------------------------------------------------------------

    def command(self, ack, respond, command: dict, client: WebClient, context) -> None:
        school, user, text = context["school"], context.user_id, _typed(command.get("text") or "")
        # The answer, only to the person who typed: in the ack, or after it by the command's response_url.
        answer = respond if self.ack_first else ack
        form = _form_for(command["command"], text)
        if form is None:
            reply = self.walkbot.handle(f"{command['command']} {text}", school_id=school.id, actor=user)
            answer(response_type="ephemeral", **reply_message(reply.text))
            return
        problem = self._cannot_open(form, school, user)
        if problem:
            answer(response_type="ephemeral", **reply_message(problem))
            return
        # Before an ack still to come, so that if Slack refuses (an expired trigger) the ack can say sorry.
        client.views_open(trigger_id=command["trigger_id"], view=self._blank(form, school))
        if not self.ack_first:
            ack()

    def open_form(self, ack, body: dict, action: dict, client: WebClient, context) -> None:
        """The App Home's "Propose a visit" and "Plan a learning walk" buttons."""
        ack()
        school, user = context["school"], context.user_id
        form = m.PROPOSE if action["action_id"] == OPEN_PROPOSE else m.WALK
        problem = self._cannot_open(form, school, user)
        if problem:
            self._publish_home(client, school, user, flash=problem)
            return
        client.views_open(trigger_id=body["trigger_id"], view=self._blank(form, school))

    def _cannot_open(self, form: str, school: School, user: str) -> str | None:
        """Why this person can't use this form (not on the staff list; a walk, not SLT), before they fill it in."""
        reply = self.walkbot.run(c.WhoAmI(school_id=school.id, actor=user), school)
        if not reply.ok:
            return reply.text
        if form == m.WALK and not reply.result.person.is_slt:
            return NOT_SLT_WALK
        return None

    @staticmethod
    def _blank(form: str, school: School):
        return m.propose_view(school) if form == m.PROPOSE else m.walk_view(school)

    def _try(self, school: School, build: Callable[[Mapping[str, Any]], c.Command], values: Mapping[str, Any],
             blocks: Mapping[str | None, str], verb: str) -> tuple[Reply | None, m.Trouble | None]:
        """Build the command from a form and run it: the reply, or the trouble to show in the form."""
        try:
            cmd = build(values)
        except m.FieldError as err:
            return None, err.trouble
        reply = self.walkbot.run(cmd, school)
        return (reply, None) if reply.ok else (reply, m.trouble_from(reply, school, blocks, verb))

    def _propose(self, school: School, user: str, values: Mapping[str, Any]):
        return self._try(school, lambda v: m.propose_command(v, school_id=school.id, actor=user), values,
                         m.PROPOSE_BLOCKS, "Propose")

    def propose_submitted(self, ack, view: dict, context) -> None:
        school, values = context["school"], m.read_values(view)
        reply, trouble = self._propose(school, context.user_id, values)
        if trouble:
            ack(**trouble.ack(lambda t: m.propose_view(school, values, t)))
        else:
            ack(response_action="update", view=m.done_view("Visit proposed", reply.text))

    def propose_at(self, ack, body: dict, action: dict, client: WebClient, context) -> None:
        """One of the nearest allowed times, offered as a button in the refused form: propose at that time."""
        ack()
        clicked = _time_clicked(body, action)
        if clicked is None:
            return _unreadable("time button", action)
        (shown, values), school = clicked, context["school"]
        reply, trouble = self._propose(school, context.user_id, values)
        view = m.propose_view(school, values, trouble) if trouble else m.done_view("Visit proposed", reply.text)
        client.views_update(view_id=shown["id"], hash=shown.get("hash"), view=view)

    def walk_submitted(self, ack, view: dict, context) -> None:
        school, user, values = context["school"], context.user_id, m.read_values(view)
        reply, trouble = self._try(school, lambda v: m.walk_command(v, school_id=school.id, actor=user), values,
                                   m.WALK_BLOCKS, "Plan")
        if trouble:
            ack(**trouble.ack(lambda t: m.walk_view(school, values, t)))
        else:
            ack(response_action="update", view=m.done_view("Walk planned", reply.text))

    # --- answering a visit: buttons on a message or on the App Home -------------------------------------------------

    @staticmethod
    def _origin(body: dict, visit_id: int) -> m.Origin:
        container = body.get("container") or {}
        if container.get("type") == "message":
            return m.Origin(visit_id, container.get("channel_id"), container.get("message_ts"))
        return m.Origin(visit_id)

    def answer(self, ack, body: dict, action: dict, client: WebClient, context, respond) -> None:
        """Agree, Accept this time, Withdraw: the command runs as the person clicking."""
        ack()
        school, user = context["school"], context.user_id
        read = read_answer_value(action.get("value"))
        if read is None:
            return _unreadable("button", action)
        visit_id, asked = read
        extra = {"asked_start": asked} if action["action_id"] in (AGREE, ACCEPT) else {}
        cmd = ANSWERS[action["action_id"]](school_id=school.id, actor=user, visit_id=visit_id, **extra)
        origin = self._origin(body, visit_id)
        reply = self.walkbot.run(cmd, school)
        if reply.ok:
            self._settle(client, school, user, origin, reply.result.visit, reply.result.names)
            return
        if isinstance(reply.error, WrongState):
            # Answered already (a double click, an old message): show where the visit stands, not an error.
            # If it still awaits an answer, it was moved since: the newer message asks about the new time.
            shown = self.walkbot.run(c.ShowVisit(school_id=school.id, actor=user, visit_id=visit_id), school)
            if shown.ok:
                self._settle(client, school, user, origin, shown.result.visit, shown.result.names)
                if shown.result.visit.status not in OPEN_STATUSES:
                    return
        if origin.channel:
            respond(response_type="ephemeral", replace_original=False, **reply_message(reply.text))
        else:
            self._publish_home(client, school, user, flash=reply.text)

    def _settle(self, client: WebClient, school: School, user: str, origin: m.Origin, visit: Visit,
                names: Mapping[str, str]) -> None:
        """The question is answered: its message shows the outcome, buttons gone; or the App Home is redrawn."""
        if origin.channel and origin.ts:
            client.chat_update(channel=origin.channel, ts=origin.ts, **settled_message(school, visit, names))
        else:
            self._publish_home(client, school, user)

    def ask(self, ack, body: dict, action: dict, client: WebClient) -> None:
        """Suggest another time, Decline: the form that asks for the time, or for the reason."""
        ack()
        read = read_answer_value(action.get("value"))
        if read is None:
            return _unreadable("button", action)
        form = m.suggest_view if action["action_id"] == SUGGEST else m.decline_view
        client.views_open(trigger_id=body["trigger_id"], view=form(self._origin(body, read[0])))

    def _answer_form(self, school: School, user: str, origin: m.Origin, build, values, blocks, verb: str):
        return self._try(school, lambda v: build(v, origin, school_id=school.id, actor=user), values, blocks, verb)

    def suggest_submitted(self, ack, view: dict, client: WebClient, context) -> None:
        self._answer_submitted(ack, view, client, context, m.suggest_command, m.SUGGEST_BLOCKS, "Suggest",
                               m.suggest_view)

    def _answer_submitted(self, ack, view: dict, client: WebClient, context, build, blocks, verb: str,
                          redraw) -> None:
        """The Suggest or Decline form sent: the answer given, or the form again with what stands in its way."""
        school, user, values, origin = context["school"], context.user_id, m.read_values(view), m.Origin.of(view)
        if origin is None:
            _unreadable("form", view.get("private_metadata"))
            ack(response_action="update", view=m.done_view("walkbot", m.UNREADABLE))
            return
        reply, trouble = self._answer_form(school, user, origin, build, values, blocks, verb)
        if trouble:
            ack(**trouble.ack(lambda t: redraw(origin, values, t)))
            return
        ack()
        self._settle(client, school, user, origin, reply.result.visit, reply.result.names)

    def suggest_at(self, ack, body: dict, action: dict, client: WebClient, context) -> None:
        ack()
        clicked = _time_clicked(body, action)
        origin = m.Origin.of(clicked[0]) if clicked else None
        if origin is None:
            return _unreadable("time button", action)
        (shown, values), school, user = clicked, context["school"], context.user_id
        reply, trouble = self._answer_form(school, user, origin, m.suggest_command, values, m.SUGGEST_BLOCKS,
                                           "Suggest")
        view = m.suggest_view(origin, values, trouble) if trouble else m.done_view("Time suggested", reply.text)
        client.views_update(view_id=shown["id"], hash=shown.get("hash"), view=view)
        if not trouble:
            self._settle(client, school, user, origin, reply.result.visit, reply.result.names)

    def decline_submitted(self, ack, view: dict, client: WebClient, context) -> None:
        self._answer_submitted(ack, view, client, context, m.decline_command, {}, "Decline", m.decline_view)

    # --- the App Home -------------------------------------------------------------------------------------------------

    def home_opened(self, event: dict, client: WebClient, context) -> None:
        if event.get("tab", "home") == "home":  # the Messages tab sends this event too
            self._publish_home(client, context["school"], event["user"])

    def _publish_home(self, client: WebClient, school: School | None, user: str, flash: str | None = None) -> None:
        if school is None:
            view = notice_home(UNLINKED)
        else:
            reply = self.walkbot.run(c.ShowOverview(school_id=school.id, actor=user), school)
            view = home_view(reply.result, flash) if reply.ok else notice_home(reply.text)
        client.views_publish(user_id=user, view=view)
