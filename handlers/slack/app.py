"""The Slack app, built by a factory: nothing happens at import time, all configuration is passed in.

    app = build_slack_app(walkbot=walkbot, store=store, signing_secret=..., token=...)

Bolt checks every request's signature, then two middlewares run before any listener: repeats of an
event Slack already sent are dropped, and the school is found from the request's workspace.
"""
from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor

from slack_bolt import App, BoltResponse
from slack_sdk import WebClient

from bot.chat.router import SORRY, Walkbot
from bot.domain.school import School
from bot.errors import WalkbotError
from bot.reply.card import Tone, card
from handlers.inbox import Inbox
from handlers.slack import listeners, uninstall
from handlers.slack.blocks import message, mrkdwn
from handlers.slack.home import notice_home
from handlers.slack.inbox import SlackWork, client_for, key_of, record_answers
from handlers.slack.modals import done_view
from storage.db import Store

log = logging.getLogger("walkbot.slack")

# Threads for the work that follows an ack. The work is mostly Python, and threads beyond two only
# contend with the acks for the interpreter: in a trial on 2 cores at 8 requests at once, 2 threads gave
# half the acks' p99 that Bolt's default of 10 gave, and answered as many requests a second.
# A process answers tens of requests a second; for more, run more processes (docs/deploy.md).
WORK_THREADS = 2


def build_slack_app(*, walkbot: Walkbot, store: Store, signing_secret: str, token: str | None = None,
                    installation_store=None, oauth_settings=None, client: WebClient | None = None,
                    inbox: Inbox | None = None, worker: bool = False) -> App:
    """One Bolt app for every way of running it (HTTP, Socket Mode, multi-workspace OAuth).

    `client` (e.g. pointed at a local stand-in) wins over `token`. Building never calls Slack: with a
    single workspace's token Bolt runs auth.test on the first request instead of at start. With an `inbox`
    (slack_inbox) every request is acknowledged before it is worked on: what changes or answers anything is
    kept in the inbox first, and opening a form follows its ack (handlers.slack.listeners). `worker` builds
    the inbox's own app, which works on requests verified and kept already and records its answers.
    """
    app = App(
        name="walkbot",
        logger=log,
        signing_secret=signing_secret,
        token=None if client else token,
        client=client,
        installation_store=installation_store,
        oauth_settings=oauth_settings,
        token_verification_enabled=False,
        request_verification_enabled=not worker,
        # Bolt finishes a listener before answering Slack; with an inbox the listener is only the ack, and
        # the work follows in the inbox's workers or (opening a form) in lazy listeners.
        process_before_response=True,
        listener_executor=ThreadPoolExecutor(WORK_THREADS, thread_name_prefix="walkbot-work"),
    )
    if worker:
        app.use(record_answers)
    app.use(_drop_repeated_events(RecentEvents()))
    app.use(_find_school(store))
    if inbox is not None:
        app.use(_keep_in(inbox))
    app.error(_never_a_500)
    listeners.register(app, walkbot, ack_first=inbox is not None)
    uninstall.register(app)  # app_uninstalled, tokens_revoked: the workspace's stored tokens deleted
    return app


def slack_inbox(*, walkbot: Walkbot, store: Store, client: WebClient, installation_store=None,
                threads: int = 2) -> Inbox:
    """The inbox Slack's requests are kept in, and the app its workers run them through."""
    work = build_slack_app(walkbot=walkbot, store=store, signing_secret="", client=client,
                           installation_store=installation_store, worker=True)
    return Inbox(store, SlackWork(work, client_for(work)), threads=threads)


def _keep_in(inbox: Inbox):
    def keep_in_inbox(body: dict, context, next) -> BoltResponse | None:
        key = key_of(body, listeners.opens_form)
        if key is None:
            return next()
        school = context.get("school")
        try:
            # Slack's old verification token is a credential, and the request is verified already: not kept.
            kept = {name: value for name, value in body.items() if name != "token"}
            inbox.keep(key, school.id if school else None, {"body": kept})
        except WalkbotError as err:  # nothing was kept: the person is asked to try again
            return _say(body, str(err), context, keep_form=True)
        return BoltResponse(status=200, body="")

    return keep_in_inbox


class RecentEvents:
    """Event ids seen lately. Slack sends an event again when an answer was slow (X-Slack-Retry-Num)."""

    def __init__(self, size: int = 5000):
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def first_time(self, event_id: str) -> bool:
        with self._lock:
            if event_id in self._seen:
                return False
            self._seen[event_id] = None
            if len(self._seen) > self._size:
                self._seen.popitem(last=False)
            return True


def _drop_repeated_events(recent: RecentEvents):
    def drop_repeated_events(body: dict, next) -> BoltResponse | None:
        event_id = body.get("event_id")
        if isinstance(event_id, str) and event_id and not recent.first_time(event_id):
            log.info("event %s already handled: a retry, acknowledged and dropped", event_id)
            return BoltResponse(status=200, body="")
        return next()

    return drop_repeated_events


class LinkedSchools:
    """Which school each Slack workspace is. Every request asks, before its ack, and the answer rarely
    changes, so it is remembered for `ttl` seconds: a school.yml loaded again reaches Slack within that.
    What a command may do is still decided on the school as stored then: the core reads it again in the
    command's own transaction."""

    def __init__(self, store: Store, ttl: float = 30.0):
        self._store, self._ttl = store, ttl
        self._known: dict[str, tuple[float, School | None]] = {}
        self._lock = threading.Lock()

    def of(self, team_id: str) -> School | None:
        now = time.monotonic()
        with self._lock:
            known = self._known.get(team_id)
        if known and now - known[0] < self._ttl:
            return known[1]
        with self._store.uow() as uow:
            school = uow.schools.by_slack_team(team_id)
        with self._lock:
            self._known[team_id] = (now, school)
        return school


def _find_school(store: Store):
    """context["school"]: the school whose Slack workspace sent the request (None only for App Home events)."""
    linked = LinkedSchools(store)

    def find_school(body: dict, context, next) -> BoltResponse | None:
        try:
            school = linked.of(context.team_id) if context.team_id else None
        except WalkbotError as err:  # the database is out of reach: say so, change nothing
            return _say(body, str(err), context, keep_form=True)
        if school is None and body.get("type") != "event_callback":
            log.warning("a request from Slack workspace %s, which no school is linked to", context.team_id)
            return _say(body, listeners.UNLINKED, context)
        context["school"] = school
        return next()

    return find_school


def _say(body: dict, text: str, context=None, keep_form: bool = False) -> BoltResponse:
    """Answer a request straight away, without a listener: in words for a command; for a form, in its place
    (or, to try again, on its first field); for a button or the App Home, by the message's response_url or
    on the Home tab."""
    if body.get("command"):
        return BoltResponse(status=200, body={"response_type": "ephemeral", "text": mrkdwn(text)})
    if body.get("type") == "view_submission":
        view = body.get("view") if isinstance(body.get("view"), dict) else {}
        fields = [block.get("block_id") for block in view.get("blocks") or ()
                  if isinstance(block, dict) and block.get("type") == "input"]
        if keep_form and fields:  # the form stays open, all filled in, to be sent again
            return BoltResponse(status=200, body={"response_action": "errors", "errors": {fields[0]: text}})
        return BoltResponse(status=200, body={"response_action": "update",
                                              "view": done_view("walkbot", card(text, tone=Tone.PROBLEM)).to_dict()})
    if context is not None:
        _tell(body, text, context)
    return BoltResponse(status=200, body="")


def _tell(body: dict, text: str, context) -> None:
    """Tell whoever pressed a button (or opened the App Home) what `text` says; Slack's ack carries no words."""
    try:
        if context.respond is not None and body.get("response_url"):  # a button on a message
            context.respond(response_type="ephemeral", replace_original=False, **message(card(text)))
        elif context.user_id:  # a button on the Home tab, or the tab opening
            context.client.views_publish(user_id=context.user_id, view=notice_home(card(text)))
    except Exception:  # Slack out of reach too: the log is all there is
        log.warning("could not tell %s: %s", context.user_id, text, exc_info=True)


def _never_a_500(error: Exception, body: dict, request) -> BoltResponse:
    """A listener failed (a bug, Slack refusing a call): log it; the person still gets an answer."""
    log.error("walkbot's Slack listener failed: %r", error, exc_info=error)
    acked = request.context.ack.response
    if acked is not None:  # they have their answer already; what failed came after it
        return BoltResponse(status=200, body=acked.body, headers=acked.headers)
    return _say(body, SORRY)
