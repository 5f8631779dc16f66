"""Slack's side of a benchmark: the tests' Web API stand-in (tests/support/standin.py), signed requests
shaped as Slack sends them, and when walkbot's answer to each came back.

The stand-in runs in the benchmark's own process; walkbot runs in processes of its own.
"""
from __future__ import annotations

import http.client
import json
from dataclasses import dataclass
from urllib.parse import urlencode

from live import slash_command
from standin import Call, PostingLimits, SlackStandIn, fake_token, sign

from bench import load

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

    def post(self, port: int, secret: str) -> int:
        """Send it, signed, to a walkbot on this machine; the HTTP status it answered."""
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            conn.request("POST", "/slack/events", body=self.body.encode(), headers=self.headers(secret))
            return conn.getresponse().status
        finally:
            conn.close()


def command(kind: str, text: str, *, user: str, team: str, slack_url: str, request_id: str,
            command: str = "/visit") -> SlackRequest:
    """A slash command whose answer goes to the stand-in at hooks/REQUEST_ID."""
    body = slash_command(text, user=user, command=command, team=team,
                         response_url=f"{slack_url}hooks/{request_id}")
    return SlackRequest(kind, body, FORM, request_id)


def click(kind: str, action_id: str, value: str, *, user: str, team: str, request_id: str) -> SlackRequest:
    """A button on the person's App Home, where what awaits their answer shows; walkbot publishes the Home anew
    in answer. (A button in a DM names walkbot's message, which walkbot updates only if it sent it them.)"""
    payload = {"type": "block_actions", "team": {"id": team}, "user": {"id": user, "team_id": team},
               "api_app_id": "A0WALK", "trigger_id": f"{request_id}.trigger",
               "container": {"type": "view", "view_id": "V0HOME"},
               "view": {"id": "V0HOME", "type": "home", "hash": "h", "blocks": [], "state": {"values": {}}},
               "actions": [{"type": "button", "action_id": action_id, "block_id": "b", "value": value,
                            "action_ts": request_id}]}
    return SlackRequest(kind, urlencode({"payload": json.dumps(payload)}), FORM, f"home:{user}")


def home_opened(kind: str, *, user: str, team: str, request_id: str) -> SlackRequest:
    body = {"token": "legacy", "team_id": team, "api_app_id": "A0WALK", "type": "event_callback",
            "event_id": f"Ev{request_id}", "event_time": 1,
            "event": {"type": "app_home_opened", "user": user, "channel": f"D{user}", "tab": "home"}}
    return SlackRequest(kind, json.dumps(body), JSON, f"home:{user}")


class Answers(load.Answers):
    """When each request was answered, as the stand-in sees it: the command's response_url called, the person's
    App Home published."""

    def __call__(self, call: Call) -> None:  # the stand-in's override hook; it answers as usual
        key = f"home:{call.args.get('user_id')}" if call.method == "views.publish" else call.method  # hooks/REQUEST_ID
        self.record(key, str(call.args.get("text") or ""))
        return None
