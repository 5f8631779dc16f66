"""The real HTTP server (uvicorn) in a thread on 127.0.0.1, port 0, a plain client for it, and
requests shaped as Slack sends them (sign them with standin.sign).

    with serving(SlackHttp(bolt=app)) as http:
        answer = http.post("/slack/events", body, {**FORM, **sign(body, secret)})
"""
from __future__ import annotations

import http.client
import itertools
import re
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urlencode

import pytest
import uvicorn

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@dataclass
class Answer:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


@dataclass
class Client:
    port: int

    def request(self, method: str, path: str, body: bytes | str | Iterable[bytes] = b"",
                headers: dict[str, str] | None = None, chunked: bool = False) -> Answer:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            data = body.encode() if isinstance(body, str) else body
            conn.request(method, path, body=data, headers=headers or {}, encode_chunked=chunked)
            response = conn.getresponse()
            return Answer(response.status, response.headers, response.read())
        finally:
            conn.close()

    def get(self, path: str, headers: dict[str, str] | None = None) -> Answer:
        return self.request("GET", path, headers=headers)

    def post(self, path: str, body: bytes | str, headers: dict[str, str] | None = None, **kw) -> Answer:
        return self.request("POST", path, body, headers, **kw)


@contextmanager
def serving(asgi_app) -> Iterator[Client]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))  # the port is known before the server starts; uvicorn listens on it
    # log_config None: uvicorn's loggers propagate to the root, where pytest's caplog sees them.
    server = uvicorn.Server(uvicorn.Config(asgi_app, lifespan="off", log_config=None))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.01)
    try:
        yield Client(sock.getsockname()[1])
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


_TRIGGERS = itertools.count(1)


def slash_command(text: str, *, user: str, command: str = "/visit", team: str = "T0DEMO",
                  response_url: str | None = None) -> str:
    """A slash command's form body, as Slack posts it. Answers after the ack go to `response_url`
    (point it at the stand-in, `f"{standin.url}hooks/command"`, to see them)."""
    return urlencode({
        "token": "deprecated-verification-token", "team_id": team, "team_domain": "demo",
        "channel_id": "D0DM", "channel_name": "directmessage", "user_id": user, "user_name": user.lower(),
        "command": command, "text": text, "api_app_id": "A0WALK", "is_enterprise_install": "false",
        "response_url": response_url or f"https://hooks.slack.com/commands/{team}/1/x",
        # Slack's own id for each command sent: a resend of it is this one again, never a second command.
        "trigger_id": f"{next(_TRIGGERS)}.{uuid.uuid4().hex[:12]}.trigger",
    })


def port_announced(server: subprocess.Popen) -> int:
    """The port a `walkbot serve` started with --port 0 listens on, as uvicorn says it on stderr (text mode)."""
    lines = []
    for line in server.stderr:
        lines.append(line)
        found = re.search(r"Uvicorn running on http://127\.0\.0\.1:(\d+)", line)
        if found:
            return int(found.group(1))
    pytest.fail(f"walkbot serve did not start:\n{''.join(lines)}")
