"""Slack end to end in tests: the real Bolt app behind walkbot's real HTTP server (uvicorn, 127.0.0.1,
port 0), requests signed and shaped as Slack sends them, and notices posted through the Web API stand-in.

Every surface walkbot shows is checked by Slack's documented limits (tests/support/slack_limits.py): what it
sends the Web API by the stand-in, which refuses it as Slack would, and what it acks here. A test whose
walkbot sent anything Slack would refuse, or any text with live markup, fails.

Use the fixtures: `from slack_support import slack, standin  # noqa: F401` in a test module.
"""
from __future__ import annotations

import itertools
import json
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Iterator
from urllib.parse import parse_qsl, urlencode

import pytest
from live import Client, serving
from slack_limits import ack_problems, live_markup, message_problems
from slack_sdk import WebClient
from sqlalchemy import select
from standin import Call, SlackStandIn, sign

from bot.chat.router import Walkbot
from bot.domain.model import Notice
from bot.notices.delivery import dispatch_due
from handlers.slack.app import build_slack_app, slack_inbox
from handlers.slack.blocks import notice_message
from handlers.slack.server import EVENTS_PATH, SlackHttp
from handlers.slack.transport import SlackTransport
from handlers.wiring import load_school
from storage.tables import Base

SECRET = "test-signing-secret"
TEAM = "T0DEMO"  # the demo school's slack_team_id


@dataclass
class Posted:
    """A message walkbot posted: where, its ts, and what it said (text and blocks)."""

    notice: Notice
    channel: str
    ts: str
    message: dict

    @property
    def buttons(self) -> list[str]:
        return [e["action_id"] for b in self.message["blocks"] if b["type"] == "actions" for e in b["elements"]]

    def button(self, action_id: str) -> dict:
        return button(self.message, action_id)


def buttons(surface: dict) -> list[dict]:
    """Every button of a message or a view, each with the block_id of its block."""
    return [{**e, "block_id": b.get("block_id")} for b in surface.get("blocks") or () if b["type"] == "actions"
            for e in b["elements"]]


def button(surface: dict, action_id: str) -> dict:
    """The button with this action id in a message or view; a verb alone ("visit.agree") finds the one
    button of that verb, whatever its key."""
    found = [e for e in buttons(surface) if e["action_id"] == action_id
             or e["action_id"].rpartition(".")[0] == action_id]
    assert len(found) == 1, f"no one button {action_id!r}: there are {[e['action_id'] for e in buttons(surface)]}"
    return found[0]


class RecordingTransport(SlackTransport):
    """The Slack transport, drawing notices with notice_message, remembering where each message went."""

    def __init__(self, client: WebClient):
        super().__init__(client, render=notice_message)
        self.posted: list[Posted] = []

    def send(self, notice: Notice) -> str:
        ts = super().send(notice)
        self.posted.append(Posted(notice, notice.recipient, ts, notice_message(notice)))
        return ts


@dataclass
class Answer:
    status: int
    body: Any  # the parsed JSON, or the text

    @property
    def text(self) -> str:
        return self.body.get("text", "") if isinstance(self.body, dict) else self.body


# What each input element sends back in a view's state.
_PICKED = {"users_select": "selected_user", "multi_users_select": "selected_users", "datepicker": "selected_date",
           "timepicker": "selected_time", "plain_text_input": "value", "url_text_input": "value"}


def state(view: dict, values: dict[str, Any]) -> dict:
    """A view's state as Slack sends it, for the given values by block id."""
    found = {}
    for block in view["blocks"]:
        if block["type"] == "input" and block["block_id"] in values:
            kind, value = block["element"]["type"], values[block["block_id"]]
            picked = ({"selected_option": {"value": value, "text": {"type": "plain_text", "text": value}}}
                      if kind == "static_select" else {_PICKED[kind]: value})
            found[block["block_id"]] = {"value": {"type": kind, **picked}}
    return {"values": found}


@dataclass
class Workspace:
    """The Slack workspace T0DEMO as the tests see it: people who type, click and submit, and the Web API."""

    http: Client
    standin: SlackStandIn
    client: WebClient
    store: Any
    clock: Any
    secret: str = SECRET
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    # --- requests into walkbot -------------------------------------------------------------------------------------

    def post(self, body: str, content_type: str, headers: dict[str, str] | None = None) -> Answer:
        answer = self.http.post(EVENTS_PATH, body, {"Content-Type": content_type, **sign(body, self.secret),
                                                    **(headers or {})})
        try:
            parsed = Answer(answer.status, json.loads(answer.body))
        except ValueError:
            return Answer(answer.status, answer.text)
        self._check_ack(body, parsed.body)
        return parsed

    def _check_ack(self, request: str, ack: Any) -> None:
        """What walkbot put in an ack, checked as Slack checks it: a command's answer is a message, a form's
        a view to update to or errors against the form's own fields."""
        if not isinstance(ack, dict):
            return
        if "response_action" in ack:
            payload = dict(parse_qsl(request)).get("payload")
            try:
                submitted = json.loads(payload).get("view") if payload else None
            except (ValueError, AttributeError):
                submitted = None
            problems = ack_problems(ack, submitted if isinstance(submitted, dict) else None)
            markup = live_markup(ack.get("view"))
        elif "text" in ack or "blocks" in ack:
            problems, markup = message_problems(ack), live_markup({k: ack.get(k) for k in ("text", "blocks")})
        else:
            return
        assert not problems, f"Slack would refuse this ack: {problems}"
        assert not markup, f"live markup in an ack: {markup}"

    def _interact(self, payload: dict) -> Answer:
        body = urlencode({"payload": json.dumps(payload)})
        return self.post(body, "application/x-www-form-urlencoded")

    def _who(self, user: str) -> dict:
        return {"team": {"id": TEAM}, "user": {"id": user, "team_id": TEAM}, "api_app_id": "A0WALK",
                "trigger_id": f"trigger-{next(self._ids)}"}

    def command(self, user: str, text: str = "", command: str = "/visit", team: str = TEAM) -> Answer:
        body = urlencode({"token": "legacy", "team_id": team, "team_domain": "demo", "channel_id": "C0STAFF",
                          "channel_name": "staff", "user_id": user, "user_name": user.lower(), "command": command,
                          "text": text, "api_app_id": "A0WALK", "response_url": f"{self.standin.url}hooks/command",
                          "trigger_id": f"trigger-{next(self._ids)}"})
        return self.post(body, "application/x-www-form-urlencoded")

    def click(self, user: str, action_id: str, value: str | None = None, *, message: Posted | None = None,
              view: dict | None = None, values: dict | None = None) -> Answer:
        """A button in a message walkbot posted, or in a view (a form or the App Home). Without a value it
        is the button itself, as that message or view shows it: its action id, block id and value (an
        action id may then be a verb alone, "visit.agree", for the one button of that verb)."""
        block_id = "b"
        if value is None:
            shown = button(message.message if message is not None else view, action_id)
            action_id, block_id, value = shown["action_id"], shown["block_id"] or "b", shown.get("value")
        action = {"type": "button", "action_id": action_id, "block_id": block_id, "action_ts": f"{next(self._ids)}.0"}
        if value is not None:
            action["value"] = value
        payload = {"type": "block_actions", **self._who(user), "actions": [action]}
        if message is not None:
            payload |= {"container": {"type": "message", "channel_id": message.channel, "message_ts": message.ts},
                        "channel": {"id": message.channel}, "message": {"ts": message.ts, **message.message},
                        "response_url": f"{self.standin.url}hooks/response"}
        else:
            payload |= {"container": {"type": "view", "view_id": "V0"},
                        "view": {"id": "V0", "hash": "h", **view, "state": state(view, values or {})}}
        return self._interact(payload)

    def submit(self, user: str, view: dict, values: dict[str, Any]) -> Answer:
        return self._interact({"type": "view_submission", **self._who(user),
                               "view": {"id": "V0", "hash": "h", **view, "state": state(view, values)}})

    def open_home(self, user: str, event_id: str | None = None, headers: dict[str, str] | None = None,
                  tab: str = "home", team: str = TEAM) -> Answer:
        body = json.dumps({"token": "legacy", "team_id": team, "api_app_id": "A0WALK", "type": "event_callback",
                           "event_id": event_id or f"Ev{next(self._ids):08d}", "event_time": 1,
                           "event": {"type": "app_home_opened", "user": user, "channel": f"D{user}", "tab": tab}})
        return self.post(body, "application/json", headers)

    def dm(self, user: str, text: str, *, event_id: str | None = None, headers: dict[str, str] | None = None,
           team: str = TEAM, **event: Any) -> Answer:
        """A message typed in walkbot's DM (its Messages tab): a `message` event, channel_type im."""
        body = json.dumps({"token": "legacy", "team_id": team, "api_app_id": "A0WALK", "type": "event_callback",
                           "event_id": event_id or f"Ev{next(self._ids):08d}", "event_time": 1,
                           "event": {"type": "message", "channel": f"D{user}", "channel_type": "im", "user": user,
                                     "text": text, "ts": f"{next(self._ids)}.000100", **event}})
        return self.post(body, "application/json", headers)

    # --- what walkbot did --------------------------------------------------------------------------------------------

    def calls(self, method: str) -> list[Call]:
        return self.standin.of(method)

    def last(self, method: str) -> Call:
        found = self.calls(method)
        assert found, f"walkbot made no {method} call; it made {[c.method for c in self.standin.calls]}"
        return found[-1]

    def deliver(self) -> list[Posted]:
        """Run the dispatcher once, as the scheduler will: every notice due is posted."""
        transport = RecordingTransport(self.client)
        dispatch_due(self.store.uow, transport, self.clock)
        return transport.posted

    def home_of(self, user: str) -> str:
        """Everything the App Home published for this person last shows, as one text."""
        publishes = [call for call in self.calls("views.publish") if call.args["user_id"] == user]
        assert publishes, f"no App Home was published for {user}"
        return texts(publishes[-1].args["view"])


def rows(store) -> dict:
    """Every row of every table: to show a request changed nothing."""
    with store.engine.connect() as conn:
        return {name: sorted(map(tuple, conn.execute(select(table)).all()), key=repr)
                for name, table in Base.metadata.tables.items()}


def texts(payload: Any) -> str:
    """Every text in a Block Kit payload, in order, one per line."""
    if isinstance(payload, dict):
        own = [payload["text"]] if isinstance(payload.get("text"), str) else []
        found = own + [texts(v) for k, v in payload.items() if k != "text" or not own]
    elif isinstance(payload, list):
        found = [texts(item) for item in payload]
    else:
        return ""
    return "\n".join(text for text in found if text)


@pytest.fixture(scope="module")
def standin() -> Iterator[SlackStandIn]:
    """One Web API stand-in per module (stopping one takes half a second); each test starts with no calls."""
    with SlackStandIn() as running:
        yield running


@contextmanager
def workspace(store, clock, standin: SlackStandIn, *, ack_first: bool = False) -> Iterator[Workspace]:
    """The demo school linked to Slack workspace T0DEMO, its Slack app served over HTTP, the Web API stand-in."""
    load_school(store, None)
    standin.calls.clear()
    standin.refused.clear()
    standin.unsafe.clear()
    standin.override = None
    client = WebClient(token="xoxb-test", base_url=standin.url)
    walkbot = Walkbot(uow_factory=store.uow, clock=clock)
    # ack_first: as `walkbot serve` runs, each request kept in the inbox and worked by its threads.
    inbox = slack_inbox(walkbot=walkbot, store=store, client=client) if ack_first else None
    app = build_slack_app(walkbot=walkbot, store=store, signing_secret=SECRET, client=client, inbox=inbox)
    stop = inbox.start() if inbox else None
    try:
        with serving(SlackHttp(bolt=app)) as http:
            yield Workspace(http, standin, client, store, clock)
    finally:
        if stop:
            stop()
    # Whatever the test asserted: nothing walkbot sent may be what Slack refuses, nor carry live markup.
    assert not standin.refused, f"Slack would refuse what walkbot sent: {_said(standin.refused)}"
    assert not standin.unsafe, f"live markup in what walkbot sent: {_said(standin.unsafe)}"


def _said(found: list) -> list:
    return [(call.method, problems[:5]) for call, problems in found[:5]]


@pytest.fixture
def slack(store, clock, standin) -> Iterator[Workspace]:
    """Walkbot's work done before each ack, a command's answer in the ack: what most Slack tests drive."""
    with workspace(store, clock, standin) as running:
        yield running
