"""A local stand-in for the Slack Web API, and signed requests into walkbot: the test seam at the transport.

The stand-in listens on 127.0.0.1, port 0, records every call, and answers like Slack would
(enough for the methods walkbot uses). Tests point slack_sdk's WebClient at `standin.url`.
Given PostingLimits it also refuses posts beyond Slack's posting limits with a 429, as Slack does.

Every message and view walkbot sends (chat.postMessage, chat.update, views.open, views.update,
views.publish, a response_url body) is checked against Slack's documented limits (tests/support/slack_limits.py):
one that breaks them is refused with {"ok": false, "error": "invalid_blocks"}, as Slack refuses it, and
kept in `refused`; one whose text carries live markup (an unescaped <, > or &) is kept in `unsafe`.
The Slack workspace in tests (slack_support.workspace) fails the test when either is not empty.
"""
from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import math
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable
from urllib.parse import parse_qsl

from slack_limits import live_markup, message_problems, view_problems

# What each method sends that Slack shows: a message, or a view.
MESSAGES = frozenset({"chat.postMessage", "chat.postEphemeral", "chat.update",
                      "command", "response"})  # the last two: response_url bodies (…/hooks/command, …/hooks/response)
VIEWS = frozenset({"views.open", "views.push", "views.update", "views.publish"})


@dataclass
class Call:
    method: str  # e.g. "chat.postMessage"
    args: dict[str, Any]
    token: str | None


@dataclass(frozen=True)
class PostingLimits:
    """Slack's limits on chat.postMessage: "one message per second per channel" with short bursts allowed,
    "while also maintaining a workspace-wide limit" (api.slack.com/docs/rate-limits). Slack does not publish
    the workspace figure, so whoever starts the stand-in chooses it. A workspace is a bot token here."""

    per_channel: float = 1.0  # messages a second in one channel (a DM is a channel)...
    channel_burst: int = 3  # ...with this many at once allowed
    workspace: float = 100.0  # messages a second across the workspace...
    workspace_burst: int = 100  # ...with this many at once allowed


class _Bucket:
    """A token bucket: `rate` tokens a second, holding at most `size`."""

    def __init__(self, rate: float, size: int, now: float):
        self.rate, self.size, self.tokens, self.at = rate, size, float(size), now

    def wait(self, now: float) -> float:
        """Seconds until a token is free (0: one is free now)."""
        self.tokens = min(self.size, self.tokens + (now - self.at) * self.rate)
        self.at = now
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate

    def take(self) -> None:
        self.tokens -= 1


@dataclass
class SlackStandIn:
    """Start with `with SlackStandIn() as slack:`; `slack.url` is the Web API base URL (ends with /)."""

    calls: list[Call] = field(default_factory=list)
    # A hook to answer differently (e.g. 429s): return (status, headers, body) or None for the default.
    override: Callable[[Call], tuple[int, dict, dict] | None] | None = None
    limits: PostingLimits | None = None
    posted_at: list[float] = field(default_factory=list)  # when each post was accepted (time.monotonic)
    limited: int = 0  # posts refused with a 429
    refused: list[tuple[Call, list[str]]] = field(default_factory=list)  # broke Slack's limits: invalid_blocks
    unsafe: list[tuple[Call, list[str]]] = field(default_factory=list)  # texts with live markup

    def __post_init__(self):
        self._lock = threading.Lock()
        self._buckets: dict[tuple[str | None, str | None], _Bucket] = {}
        self._ts = itertools.count(1)
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's naming)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode()
                if "json" in (self.headers.get("Content-Type") or ""):
                    args = json.loads(raw or "{}")
                else:
                    args = dict(parse_qsl(raw))
                    for key in ("blocks", "view", "attachments"):
                        if isinstance(args.get(key), str):
                            args[key] = json.loads(args[key])
                auth = self.headers.get("Authorization") or ""
                call = Call(self.path.strip("/").split("/")[-1], args, auth.removeprefix("Bearer ") or None)
                status, headers, body = standin.answer(call)
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(payload)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST

            def log_message(self, *args):  # keep test output clean
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/api/"

    def __enter__(self) -> "SlackStandIn":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()

    def answer(self, call: Call) -> tuple[int, dict, dict]:
        problems, markup = self.check(call)
        with self._lock:
            self.calls.append(call)
            if markup:
                self.unsafe.append((call, markup))
            if problems:
                self.refused.append((call, problems))
                return 200, {}, {"ok": False, "error": "invalid_blocks", "errors": problems}
            if call.method == "chat.postMessage" and self.limits:
                wait = self._posting_wait(call)
                if wait:
                    self.limited += 1
                    # Slack's Retry-After is whole seconds.
                    return 429, {"Retry-After": str(max(1, math.ceil(wait)))}, {"ok": False, "error": "ratelimited"}
                self.posted_at.append(time.monotonic())
        if self.override:
            custom = self.override(call)
            if custom is not None:
                return custom
        return 200, {}, self.default_body(call)

    @staticmethod
    def check(call: Call) -> tuple[list[str], list[str]]:
        """What Slack would refuse in this call, and which of its texts carry live markup."""
        if call.method in MESSAGES:
            return message_problems(call.args), live_markup({k: call.args.get(k) for k in ("text", "blocks")})
        if call.method in VIEWS:
            view = call.args.get("view")
            return view_problems(view), live_markup(view)
        return [], []

    def _posting_wait(self, call: Call) -> float:
        """Seconds until this post would be within the limits; 0 takes it (both buckets give a token)."""
        now, limits = time.monotonic(), self.limits
        workspace = self._bucket((call.token, None), limits.workspace, limits.workspace_burst, now)
        channel = self._bucket((call.token, str(call.args.get("channel"))), limits.per_channel,
                               limits.channel_burst, now)
        wait = max(workspace.wait(now), channel.wait(now))
        if not wait:
            workspace.take()
            channel.take()
        return wait

    def _bucket(self, key: tuple[str | None, str | None], rate: float, size: int, now: float) -> _Bucket:
        if key not in self._buckets:
            self._buckets[key] = _Bucket(rate, size, now)
        return self._buckets[key]

    def default_body(self, call: Call) -> dict:
        ts = f"{int(time.time())}.{next(self._ts):06d}"
        a = call.args
        match call.method:
            case "chat.postMessage" | "chat.postEphemeral" | "chat.update":
                channel = a.get("channel", "D0DM")
                return {"ok": True, "channel": channel, "ts": a.get("ts", ts), "message_ts": ts,
                        "message": {"text": a.get("text", ""), "ts": ts}}
            case "views.open" | "views.push" | "views.update" | "views.publish":
                return {"ok": True, "view": {"id": f"V{next(self._ts):08d}", **(a.get("view") or {})}}
            case "conversations.open":
                return {"ok": True, "channel": {"id": f"D{a.get('users', 'U0')}"}}
            case "auth.test":
                return {"ok": True, "url": "https://demo.slack.com/", "team": "Demo", "user": "walkbot",
                        "team_id": "T0DEMO", "user_id": "U0BOT", "bot_id": "B0BOT"}
            case "users.info":
                user = a.get("user", "U0")
                return {"ok": True, "user": {"id": user, "team_id": "T0DEMO", "name": user.lower(),
                                             "real_name": f"User {user}", "profile": {"real_name": f"User {user}"}}}
            case "oauth.v2.access":
                return {"ok": True, "app_id": "A0WALK", "access_token": fake_token("xoxb", "standin-bot-token"),
                        "token_type": "bot", "scope": "commands,chat:write", "bot_user_id": "U0BOT",
                        "team": {"id": "T0DEMO", "name": "Demo"}, "enterprise": None,
                        "authed_user": {"id": "U01HEAD"}, "is_enterprise_install": False}
            case _:
                return {"ok": True}

    def of(self, method: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method == method]

    def wait_for(self, method: str, count: int = 1, timeout: float = 10) -> list[Call]:
        """The calls of `method` once there are `count`: for work done after an ack, in another thread."""
        deadline = time.monotonic() + timeout
        while len(found := self.of(method)) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"no {count} {method} call(s) within {timeout:g} s; calls: "
                                     f"{[c.method for c in self.calls]}")
            time.sleep(0.01)
        return found


def sign(body: str, secret: str, timestamp: int | None = None) -> dict[str, str]:
    """The headers Slack sends with a request: X-Slack-Request-Timestamp and X-Slack-Signature (v0)."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}


def fake_token(prefix: str, body: str) -> str:
    """A made-up Slack token for tests, assembled at run time so that no token-shaped string sits in
    the source for secret scanners (and our own pre-stop check) to mistake for a real one."""
    return f"{prefix}-{body}"
