"""Slack's side of a benchmark: the tests' Web API stand-in (tests/support/standin.py), signed requests
shaped as Slack sends them, and when walkbot's answer to each came back.

The stand-in runs in the benchmark's own process; walkbot runs in processes of its own.
"""
from __future__ import annotations

import json
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

# The stand-in and the request shapes are the tests' own: one stand-in for tests and benchmarks.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "support"))

from live import slash_command  # noqa: E402
from standin import Call, PostingLimits, SlackStandIn, fake_token, sign  # noqa: E402

__all__ = ["Answers", "PostingLimits", "SlackRequest", "SlackStandIn", "click", "command", "fake_token",
           "home_opened"]

FORM, JSON = "application/x-www-form-urlencoded", "application/json"


@dataclass(frozen=True)
class SlackRequest:
    """One request Slack would send to walkbot's /slack/events; signed when it is sent."""

    kind: str  # what the benchmark calls it: propose, agree, limits, list, home
    body: str
    content_type: str
    answered_by: str  # the Web API call that shows walkbot has answered it (see Answers)

    def headers(self, secret: str) -> dict[str, str]:
        return {"Content-Type": self.content_type, **sign(self.body, secret)}


def command(kind: str, text: str, *, user: str, team: str, slack_url: str, request_id: str,
            command: str = "/visit") -> SlackRequest:
    """A slash command whose answer goes to the stand-in at hooks/REQUEST_ID."""
    body = slash_command(text, user=user, command=command, team=team,
                         response_url=f"{slack_url}hooks/{request_id}")
    return SlackRequest(kind, body, FORM, request_id)


def click(kind: str, action_id: str, value: str, *, user: str, team: str, slack_url: str, request_id: str) -> SlackRequest:
    """A button on a message walkbot posted in a DM; the message (ts REQUEST_ID) is updated in answer."""
    channel, ts = f"D{user}", request_id
    payload = {"type": "block_actions", "team": {"id": team}, "user": {"id": user, "team_id": team},
               "api_app_id": "A0WALK", "trigger_id": "1.2.trigger",
               "container": {"type": "message", "channel_id": channel, "message_ts": ts},
               "channel": {"id": channel}, "message": {"ts": ts, "text": "", "blocks": []},
               "response_url": f"{slack_url}hooks/{request_id}",
               "actions": [{"type": "button", "action_id": action_id, "block_id": "b", "value": value,
                            "action_ts": ts}]}
    return SlackRequest(kind, urlencode({"payload": json.dumps(payload)}), FORM, request_id)


def home_opened(kind: str, *, user: str, team: str, request_id: str) -> SlackRequest:
    body = {"token": "legacy", "team_id": team, "api_app_id": "A0WALK", "type": "event_callback",
            "event_id": f"Ev{request_id}", "event_time": 1,
            "event": {"type": "app_home_opened", "user": user, "channel": f"D{user}", "tab": "home"}}
    return SlackRequest(kind, json.dumps(body), JSON, f"home:{user}")


class Answers:
    """When each request was answered, as the stand-in sees it: the command's response_url called, the
    clicked message updated (or the response_url told why not), the person's App Home published."""

    def __init__(self):
        self._at: dict[str, tuple[float, str]] = {}  # when, and what walkbot said
        self._changed = threading.Condition()

    def __call__(self, call: Call) -> None:  # the stand-in's override hook; it answers as usual
        match call.method:
            case "chat.update":
                key = str(call.args.get("ts"))
            case "views.publish":
                key = f"home:{call.args.get('user_id')}"
            case method:
                key = method  # hooks/REQUEST_ID
        with self._changed:
            self._at[key] = (time.perf_counter(), str(call.args.get("text") or ""))
            self._changed.notify_all()
        return None

    def wait(self, key: str, since: float, timeout: float = 30) -> tuple[float, str] | None:
        """When `key` was answered after `since` (perf_counter) and what walkbot said, or None if it was
        not within `timeout`."""
        deadline = since + timeout
        with self._changed:
            while (answer := self._at.get(key, (0.0, "")))[0] < since:
                left = deadline - time.perf_counter()
                if left <= 0:
                    return None
                self._changed.wait(left)
            return answer
