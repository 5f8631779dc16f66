"""A local stand-in for the Slack Web API, and signed requests into walkbot: the test seam at the transport.

The stand-in listens on 127.0.0.1, port 0, records every call, and answers like Slack would
(enough for the methods walkbot uses). Tests point slack_sdk's WebClient at `standin.url`.
"""
from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable
from urllib.parse import parse_qsl


@dataclass
class Call:
    method: str  # e.g. "chat.postMessage"
    args: dict[str, Any]
    token: str | None


@dataclass
class SlackStandIn:
    """Start with `with SlackStandIn() as slack:`; `slack.url` is the Web API base URL (ends with /)."""

    calls: list[Call] = field(default_factory=list)
    # A hook to answer differently (e.g. 429s): return (status, headers, body) or None for the default.
    override: Callable[[Call], tuple[int, dict, dict] | None] | None = None

    def __post_init__(self):
        self._lock = threading.Lock()
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
        with self._lock:
            self.calls.append(call)
        if self.override:
            custom = self.override(call)
            if custom is not None:
                return custom
        return 200, {}, self.default_body(call)

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


def sign(body: str, secret: str, timestamp: int | None = None) -> dict[str, str]:
    """The headers Slack sends with a request: X-Slack-Request-Timestamp and X-Slack-Signature (v0)."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}


def fake_token(prefix: str, body: str) -> str:
    """A made-up Slack token for tests, assembled at run time so that no token-shaped string sits in
    the source for secret scanners (and our own pre-stop check) to mistake for a real one."""
    return f"{prefix}-{body}"
