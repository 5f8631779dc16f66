"""The Slack listeners: each reads the request, runs one core command through the router, shows the reply.

The answer goes back in the ack (Slack wants one within 3 s, and a booking is fast). Nothing here
sends bulk messages: what other people are told goes to the outbox, and the dispatcher posts it.
"""
from __future__ import annotations

from typing import Any, Callable, Mapping

from slack_bolt import App
from slack_sdk import WebClient

from bot import commands as c
from bot.errors import WrongState
from bot.model import OPEN_STATUSES, Visit
from bot.router import Reply, Walkbot
from bot.school import School
from handlers.slack import modals as m
from handlers.slack.blocks import (ACCEPT, AGREE, DECLINE, SUGGEST, WITHDRAW, read_answer_value, reply_message,
                                   settled_message)
from handlers.slack.home import OPEN_PROPOSE, OPEN_WALK, home_view, notice_home

ANSWERS = {AGREE: c.AgreeVisit, ACCEPT: c.AcceptSuggestion, WITHDRAW: c.WithdrawVisit}
NOT_SLT_WALK = "Learning walks are planned by SLT. Say /walk list to see this session's walks."
UNLINKED = ("This Slack workspace isn't linked to a school in walkbot yet, so I can't help here. "
            "Your IT lead links it by adding its team id to school.yml (slack_team_id) and loading it.")


def register(app: App, walkbot: Walkbot) -> None:
    on = Listeners(walkbot)
    app.command("/visit")(on.command)
    app.command("/walk")(on.command)
    app.action(OPEN_PROPOSE)(on.open_form)
    app.action(OPEN_WALK)(on.open_form)
    app.view(m.PROPOSE)(on.propose_submitted)
    app.action(m.PROPOSE_AT)(on.propose_at)
    app.view(m.WALK)(on.walk_submitted)
    for action_id in ANSWERS:
        app.action(action_id)(on.answer)
    app.action(SUGGEST)(on.ask_time)
    app.action(DECLINE)(on.ask_reason)
    app.view(m.SUGGEST)(on.suggest_submitted)
    app.action(m.SUGGEST_AT)(on.suggest_at)
    app.view(m.DECLINE)(on.decline_submitted)
    app.event("app_home_opened")(on.home_opened)


def _typed(text: str) -> str:
    """A command's text as the person typed it: Slack sends &, < and > as &amp;, &lt; and &gt;, so that
    its own markup (<@U123|tom>, a mention) stands apart."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _form_for(command: str, text: str) -> str | None:
    """A bare /visit (or /visit propose) and a bare /walk plan open a form instead of answering in words."""
    words = text.lower().split()
    if command == "/visit" and words in ([], ["propose"]):
        return m.PROPOSE
    if command == "/walk" and words == ["plan"]:
        return m.WALK
    return None


class Listeners:
    def __init__(self, walkbot: Walkbot):
        self.walkbot = walkbot

    # --- typed commands, and the forms they open ------------------------------------------------------------------

    def command(self, ack, command: dict, client: WebClient, context) -> None:
        school, user, text = context["school"], context.user_id, _typed(command.get("text") or "")
        form = _form_for(command["command"], text)
        if form is None:
            reply = self.walkbot.handle(f"{command['command']} {text}", school_id=school.id, actor=user)
            ack(response_type="ephemeral", **reply_message(reply.text))
            return
        problem = self._cannot_open(form, school, user)
        if problem:
            ack(response_type="ephemeral", **reply_message(problem))
            return
        # Opened before the ack, so that if Slack refuses (an expired trigger) the ack can still say sorry.
        client.views_open(trigger_id=command["trigger_id"], view=self._blank(form, school))
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
        school, values = context["school"], m.at(m.read_values(body["view"]), action["value"])
        reply, trouble = self._propose(school, context.user_id, values)
        view = m.propose_view(school, values, trouble) if trouble else m.done_view("Visit proposed", reply.text)
        client.views_update(view_id=body["view"]["id"], hash=body["view"].get("hash"), view=view)

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
        visit_id, asked = read_answer_value(action["value"])
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

    def ask_time(self, ack, body: dict, action: dict, client: WebClient) -> None:
        ack()
        origin = self._origin(body, read_answer_value(action["value"])[0])
        client.views_open(trigger_id=body["trigger_id"], view=m.suggest_view(origin))

    def ask_reason(self, ack, body: dict, action: dict, client: WebClient) -> None:
        ack()
        origin = self._origin(body, read_answer_value(action["value"])[0])
        client.views_open(trigger_id=body["trigger_id"], view=m.decline_view(origin))

    def _answer_form(self, school: School, user: str, origin: m.Origin, build, values, blocks, verb: str):
        return self._try(school, lambda v: build(v, origin, school_id=school.id, actor=user), values, blocks,
                             verb)

    def suggest_submitted(self, ack, view: dict, client: WebClient, context) -> None:
        school, user, values, origin = context["school"], context.user_id, m.read_values(view), m.Origin.of(view)
        reply, trouble = self._answer_form(school, user, origin, m.suggest_command, values, m.SUGGEST_BLOCKS,
                                           "Suggest")
        if trouble:
            ack(**trouble.ack(lambda t: m.suggest_view(origin, values, t)))
            return
        ack()
        self._settle(client, school, user, origin, reply.result.visit, reply.result.names)

    def suggest_at(self, ack, body: dict, action: dict, client: WebClient, context) -> None:
        ack()
        school, user, origin = context["school"], context.user_id, m.Origin.of(body["view"])
        values = m.at(m.read_values(body["view"]), action["value"])
        reply, trouble = self._answer_form(school, user, origin, m.suggest_command, values, m.SUGGEST_BLOCKS,
                                           "Suggest")
        view = m.suggest_view(origin, values, trouble) if trouble else m.done_view("Time suggested", reply.text)
        client.views_update(view_id=body["view"]["id"], hash=body["view"].get("hash"), view=view)
        if not trouble:
            self._settle(client, school, user, origin, reply.result.visit, reply.result.names)

    def decline_submitted(self, ack, view: dict, client: WebClient, context) -> None:
        school, user, values, origin = context["school"], context.user_id, m.read_values(view), m.Origin.of(view)
        reply, trouble = self._answer_form(school, user, origin, m.decline_command, values, {}, "Decline")
        if trouble:
            ack(**trouble.ack(lambda t: m.decline_view(origin, values, t)))
            return
        ack()
        self._settle(client, school, user, origin, reply.result.visit, reply.result.names)

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
