"""The Slack listeners: each reads the request, runs one core command through the router, shows the reply:
the reply's card, drawn by handlers.slack.blocks (an answered question's message becomes its settled card,
the App Home is the core's overview card). Commands come as /visit and /walk, or typed in walkbot's DM
(its Messages tab) with or without the slash command in front; buttons come back by their action ids,
each the verb of its action and a key (visit.agree.12), so the listeners match a verb, whatever its key.

Two ways to answer, one set of listeners. With `ack_first` (how `walkbot serve` and `walkbot slack`
run) a command, a button or an event is kept in the inbox (handlers.inbox), acknowledged, and worked on
afterwards by the inbox's workers (one opening a form, in a lazy listener): Slack's 3-second deadline never
depends on the work or on load, and a command's answer comes by its response_url. Without it the work is
done before the ack and a command's answer is in the ack itself, which is what most tests drive. A form
submission is always worked on before its ack: a refusal has to come back inside the form. Nothing here
sends bulk messages: what other people are told goes to the outbox, and the dispatcher posts it.
"""
from __future__ import annotations

import functools
import logging
import re
from typing import Any, Callable, Mapping

from slack_bolt import App
from slack_sdk import WebClient

from bot.chat import forms, replies
from bot.chat.router import SORRY, Reply, Walkbot
from bot.chat.usage import USAGE
from bot.domain.model import OPEN_STATUSES
from bot.domain.school import School
from bot.errors import WrongState
from bot.reply import text as plain_text
from bot.reply.card import Card, Tone, Verb, card
from bot.usecases import commands as c
from handlers.slack import modals as m
from handlers.slack.blocks import (
    ACCEPT,
    AGREE,
    WITHDRAW,
    message,
    pressed,
    read_answer_value,
    verb_of,
)
from handlers.slack.home import home_view, notice_home

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

    # A button's action id is its verb, and a key when a card has several of one verb (visit.agree.12).
    app.command("/visit")(**work(on.command))
    app.command("/walk")(**work(on.command))
    app.action(pressed(Verb.OPEN_PROPOSE))(**work(on.open_form))
    app.action(pressed(Verb.OPEN_WALK))(**work(on.open_form))
    app.view(m.PROPOSE)(on.propose_submitted)
    app.block_action({"block_id": "teacher", "action_id": m.VALUE})(**work(on.teacher_chosen))
    app.action(pressed(Verb.PROPOSE_AT))(**work(on.propose_at))
    app.view(m.WALK)(on.walk_submitted)
    for verb in (Verb.AGREE, Verb.ACCEPT, Verb.WITHDRAW):
        app.action(pressed(verb))(**work(on.answer))
    app.action(pressed(Verb.SUGGEST))(**work(on.ask))
    app.action(pressed(Verb.DECLINE))(**work(on.ask))
    app.view(m.SUGGEST)(on.suggest_submitted)
    app.action(pressed(Verb.SUGGEST_AT))(**work(on.suggest_at))
    app.view(m.DECLINE)(on.decline_submitted)
    app.event("app_home_opened")(**work(on.home_opened))
    # Every message event, so that each is acknowledged; only what a person typed in walkbot's DM is read.
    app.event("message")(**work(on.direct_message))


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
                    respond(response_type="ephemeral", replace_original=False, **message(card(SORRY, tone=Tone.PROBLEM)))
                except Exception:  # Slack out of reach as well: the log above is all there is
                    log.warning("could not tell the person that their request failed", exc_info=True)

    return guarded


# Slack's own markup for a person: <@U123> or <@U123|tom> (W… for Enterprise Grid users).
_MENTION = re.compile(r"<@([UW][A-Z0-9]{1,20})(?:\|[^<>]*)?>")


def _typed(text: str) -> str:
    """A command's text in the command language: Slack's mentions become @ and the staff id, then the
    &, < and > that Slack sends as &amp;, &lt; and &gt; (so its markup stands apart) are put back."""
    text = _MENTION.sub(r"@\1", text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _unreadable(what: str, given: object) -> None:
    """A button or form walkbot did not make (Slack never sends one, so it is garbled or forged): ignored."""
    # Only its shape: what it holds may be what a person wrote.
    log.warning("ignored a %s walkbot did not make (a %s of %d characters)", what, type(given).__name__,
                len(repr(given)))


def _time_clicked(body: dict, action: dict) -> tuple[dict, dict[str, Any]] | None:
    """The form a "... instead" button is in, and its values at the time the button offers."""
    shown = body.get("view")
    if not isinstance(shown, dict) or not isinstance(shown.get("id"), str):
        return None
    values = forms.at(m.read_values(shown), action.get("value"))
    return None if values is None else (shown, values)


def opens_form(command: str, text: str) -> bool:
    """Whether a typed command, as Slack sent it, opens a form rather than being answered in words."""
    return _form_for(command, _typed(text)) is not None


def _form_for(command: str, text: str) -> str | None:
    """A bare /visit (or /visit propose) and a bare /walk plan open a form instead of answering in words."""
    words = text.lower().split()
    if command == "/visit" and words in ([], ["propose"]):
        return m.PROPOSE
    if command == "/walk" and words == ["plan"]:
        return m.WALK
    return None


# In walkbot's DM (its Messages tab) a command may start as typed on the slash command, or without it.
_HEAD = re.compile(r"\s*/?(visit|walk)\b", re.IGNORECASE)
_VISIT_VERBS = frozenset(name.split()[0] for name in USAGE if not name.startswith("walk "))
_WALK_VERBS = frozenset(name.split()[1] for name in USAGE if name.startswith("walk ")) | {"help"}


def _dm_command(text: str) -> str:
    """What a person typed in walkbot's DM, as a command: "list", "visit list" and "/visit list" are all
    /visit list, "walk list" is /walk list; words that are no command get the help."""
    head = _HEAD.match(text)
    command, rest = (f"/{head.group(1).lower()}", text[head.end():]) if head else ("/visit", text)
    words = rest.split()
    verb = words[0].lower() if words else ""
    known = verb in (_WALK_VERBS if command == "/walk" else _VISIT_VERBS)
    return f"{command} {rest.strip()}" if known or not words else f"{command} help"


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
            answer(response_type="ephemeral", **message(reply.card))
            return
        problem = self._cannot_open(form, school, user)
        if problem:
            answer(response_type="ephemeral", **message(problem))
            return
        # Before an ack still to come, so that if Slack refuses (an expired trigger) the ack can say sorry.
        client.views_open(trigger_id=command["trigger_id"], view=self._blank(form, school, user))
        if not self.ack_first:
            ack()

    def direct_message(self, event: dict, client: WebClient, context) -> None:
        """A message typed in walkbot's DM (its Messages tab): read as a command, answered in that DM.
        Walkbot's own posts, other bots', edits and deletions (a subtype) and other conversations are not."""
        user, channel = event.get("user"), event.get("channel")
        if event.get("channel_type") != "im" or event.get("bot_id") or event.get("subtype"):
            return
        if not isinstance(user, str) or not isinstance(channel, str) or not isinstance(event.get("text", ""), str):
            return
        school = context.get("school")
        if school is None:
            said = card(UNLINKED)
        else:
            said = self.walkbot.handle(_dm_command(_typed(event.get("text") or "")), school_id=school.id,
                                       actor=user).card
        client.chat_postMessage(channel=channel, **message(said))

    def open_form(self, ack, body: dict, action: dict, client: WebClient, context, respond) -> None:
        """The App Home's "Propose a visit" and "Plan a learning walk" buttons."""
        ack()
        school, user = context["school"], context.user_id
        form = m.PROPOSE if verb_of(action.get("action_id")) is Verb.OPEN_PROPOSE else m.WALK
        problem = self._cannot_open(form, school, user)
        if problem:
            if self._origin(body, 0).channel:
                respond(response_type="ephemeral", replace_original=False, **message(problem))
            else:
                self._publish_home(client, school, user, flash=plain_text.render(problem))
            return
        client.views_open(trigger_id=body["trigger_id"], view=self._blank(form, school, user))

    def _cannot_open(self, form: str, school: School, user: str) -> Card | None:
        """Why this person can't use this form (not on the staff list; a walk, not SLT), before they fill it in."""
        reply = self.walkbot.run(c.WhoAmI(school_id=school.id, actor=user), school)
        if not reply.ok:
            return reply.card
        if form == m.WALK and not reply.result.person.is_slt:
            return card(NOT_SLT_WALK, tone=Tone.PROBLEM)
        return None

    def _blank(self, form: str, school: School, user: str):
        return m.propose_view(school, lessons=self.walkbot.lessons(school, user)) if form == m.PROPOSE \
            else m.walk_view(school)

    def _lessons(self, school: School, user: str, values: Mapping[str, Any]):
        """What the propose form offers for the teacher chosen in it (Walkbot.lessons)."""
        teacher = values.get("teacher")
        return self.walkbot.lessons(school, user, f"@{teacher}" if isinstance(teacher, str) and teacher else None)

    def _try(self, school: School, build: Callable[[Mapping[str, Any]], c.Command], values: Mapping[str, Any],
             form: forms.Form) -> tuple[Reply | None, m.Trouble | None]:
        """Build the command from a form and run it: the reply, or the trouble to show in the form."""
        try:
            cmd = build(values)
        except forms.FieldError as err:
            return None, m.Trouble.of(err)
        reply = self.walkbot.run(cmd, school)
        return (reply, None) if reply.ok else (reply, m.trouble_from(reply, school, form))

    def _propose(self, school: School, user: str, values: Mapping[str, Any], lessons):
        return self._try(school, lambda v: forms.propose_command(v, school_id=school.id, actor=user), values,
                         forms.propose_form(school, lessons))

    def propose_submitted(self, ack, view: dict, context) -> None:
        school, user, values = context["school"], context.user_id, m.read_values(view)
        lessons = self._lessons(school, user, values)
        reply, trouble = self._propose(school, user, values, lessons)
        if trouble:
            ack(**trouble.ack(lambda t: m.propose_view(school, values, t, lessons)))
        else:
            ack(response_action="update", view=m.done_view("Visit proposed", reply.card))

    def propose_at(self, ack, body: dict, action: dict, client: WebClient, context) -> None:
        """One of the nearest allowed times, offered as a button in the refused form: propose at that time."""
        ack()
        clicked = _time_clicked(body, action)
        if clicked is None:
            return _unreadable("time button", action)
        (shown, values), school = clicked, context["school"]
        lessons = self._lessons(school, context.user_id, values)
        reply, trouble = self._propose(school, context.user_id, values, lessons)
        view = m.propose_view(school, values, trouble, lessons) if trouble else m.done_view("Visit proposed", reply.card)
        client.views_update(view_id=shown["id"], hash=shown.get("hash"), view=view)

    def teacher_chosen(self, ack, body: dict, client: WebClient, context) -> None:
        """In the propose form of a school with a timetable: the teacher chosen, the form offers their lessons."""
        ack()
        shown = body.get("view")
        if not isinstance(shown, dict) or shown.get("callback_id") != m.PROPOSE or not isinstance(shown.get("id"), str):
            return _unreadable("form", shown)
        school, values = context["school"], m.read_values(shown)
        view = m.propose_view(school, values, lessons=self._lessons(school, context.user_id, values))
        client.views_update(view_id=shown["id"], hash=shown.get("hash"), view=view)

    def walk_submitted(self, ack, view: dict, context) -> None:
        school, user, values = context["school"], context.user_id, m.read_values(view)
        reply, trouble = self._try(school, lambda v: forms.walk_command(v, school_id=school.id, actor=user), values,
                                   forms.walk_form(school))
        if trouble:
            ack(**trouble.ack(lambda t: m.walk_view(school, values, t)))
        else:
            ack(response_action="update", view=m.done_view("Walk planned", reply.card))

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
        read, verb = read_answer_value(action.get("value")), verb_of(action.get("action_id"))
        if read is None or verb not in ANSWERS:
            return _unreadable("button", action)
        visit_id, asked = read
        extra = {"asked_start": asked} if verb in (AGREE, ACCEPT) else {}
        cmd = ANSWERS[verb](school_id=school.id, actor=user, visit_id=visit_id, **extra)
        origin = self._origin(body, visit_id)
        reply = self.walkbot.run(cmd, school)
        if reply.ok:
            self._settle(client, school, user, origin, reply.settled)
            return
        if isinstance(reply.error, WrongState):
            # Answered already (a double click, an old message): show where the visit stands, not an error.
            # If it still awaits an answer, it was moved since: the newer message asks about the new time.
            shown = self.walkbot.run(c.ShowVisit(school_id=school.id, actor=user, visit_id=visit_id), school)
            if shown.ok:
                visit = shown.result.visit
                self._settle(client, school, user, origin, replies.settled(shown.result.school, visit,
                                                                           shown.result.names))
                if visit.status not in OPEN_STATUSES:
                    return
        if origin.channel:
            respond(response_type="ephemeral", replace_original=False, **message(reply.card))
        else:
            self._publish_home(client, school, user, flash=reply.text)

    def _settle(self, client: WebClient, school: School, user: str, origin: m.Origin, settled: Card | None) -> None:
        """The question is answered: its message shows the outcome, buttons gone; or the App Home is redrawn."""
        if origin.channel and origin.ts and settled is not None and self._sent_them(school, user, origin):
            client.chat_update(channel=origin.channel, ts=origin.ts, **message(settled))
        else:
            self._publish_home(client, school, user)

    def _sent_them(self, school: School, user: str, origin: m.Origin) -> bool:
        """Whether the message is one walkbot sent this person about this visit, as the outbox recorded it.
        A button's container and a form's metadata come in the request: naming any other message (the staff
        channel's, someone else's DM) they are forged, and that message is left alone."""
        with self.walkbot.uow_factory() as uow:
            ours = uow.notices.sent_message(school.id, origin.visit_id, user, origin.ts)
        if not ours:
            log.warning("an answer named a message walkbot did not send to whoever answered: it was not updated")
        return ours

    def ask(self, ack, body: dict, action: dict, client: WebClient) -> None:
        """Suggest another time, Decline: the form that asks for the time, or for the reason."""
        ack()
        read = read_answer_value(action.get("value"))
        if read is None:
            return _unreadable("button", action)
        form = m.suggest_view if verb_of(action.get("action_id")) is Verb.SUGGEST else m.decline_view
        client.views_open(trigger_id=body["trigger_id"], view=form(self._origin(body, read[0])))

    def _answer_form(self, school: School, user: str, origin: m.Origin, build, values, form: forms.Form):
        return self._try(school, lambda v: build(v, origin.visit_id, school_id=school.id, actor=user), values, form)

    def suggest_submitted(self, ack, view: dict, client: WebClient, context) -> None:
        self._answer_submitted(ack, view, client, context, forms.suggest_command, forms.suggest_form, m.suggest_view)

    def _answer_submitted(self, ack, view: dict, client: WebClient, context, build, form, redraw) -> None:
        """The Suggest or Decline form sent: the answer given, or the form again with what stands in its way."""
        school, user, values, origin = context["school"], context.user_id, m.read_values(view), m.Origin.of(view)
        if origin is None:
            _unreadable("form", view.get("private_metadata"))
            ack(response_action="update", view=m.done_view("walkbot", card(forms.UNREADABLE, tone=Tone.PROBLEM)))
            return
        reply, trouble = self._answer_form(school, user, origin, build, values, form(origin.visit_id))
        if trouble:
            ack(**trouble.ack(lambda t: redraw(origin, values, t)))
            return
        ack()
        self._settle(client, school, user, origin, reply.settled)

    def suggest_at(self, ack, body: dict, action: dict, client: WebClient, context) -> None:
        ack()
        clicked = _time_clicked(body, action)
        origin = m.Origin.of(clicked[0]) if clicked else None
        if origin is None:
            return _unreadable("time button", action)
        (shown, values), school, user = clicked, context["school"], context.user_id
        reply, trouble = self._answer_form(school, user, origin, forms.suggest_command, values,
                                           forms.suggest_form(origin.visit_id))
        view = m.suggest_view(origin, values, trouble) if trouble else m.done_view("Time suggested", reply.card)
        client.views_update(view_id=shown["id"], hash=shown.get("hash"), view=view)
        if not trouble:
            self._settle(client, school, user, origin, reply.settled)

    def decline_submitted(self, ack, view: dict, client: WebClient, context) -> None:
        self._answer_submitted(ack, view, client, context, forms.decline_command, forms.decline_form, m.decline_view)

    # --- the App Home -------------------------------------------------------------------------------------------------

    def home_opened(self, event: dict, client: WebClient, context) -> None:
        if event.get("tab", "home") == "home":  # the Messages tab sends this event too
            self._publish_home(client, context["school"], event["user"])

    def _publish_home(self, client: WebClient, school: School | None, user: str, flash: str | None = None) -> None:
        if school is None:
            view = notice_home(card(UNLINKED))
        else:
            reply = self.walkbot.run(c.ShowOverview(school_id=school.id, actor=user), school)
            view = home_view(replies.overview_card(reply.result, flash)) if reply.ok else notice_home(reply.card)
        client.views_publish(user_id=user, view=view)
