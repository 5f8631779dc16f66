"""`walkbot teams`: the Teams endpoint on walkbot's own ASGI stack, served by uvicorn (127.0.0.1 unless told).

`TeamsHttp` is both the Teams SDK's HTTP adapter (the SDK registers its messaging endpoint on it, and
validates each activity's token there) and the ASGI app uvicorn serves: POST /api/messages, GET /healthz,
GET /calendar/<token>.ics (handlers.teams.calendar), GET /calendar/feed/<token>.ics (handlers.feed), and, when one process serves Slack as well, every other
path handed to the Slack app (`fallback`).
Before the SDK sees a request it must look like one the Bot Framework sends: JSON, within MAX_BODY,
its framing headers once, and a token that handlers.teams.auth.screen lets through (401 otherwise).

Run it with `main(["--port", "3978"])`, or `serve_teams(...)` from walkbot's CLI.
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable
from typing import Any

import uvicorn
from microsoft_teams.api import ActivityTypeAdapter
from pydantic import ValidationError

from bot.errors import WalkbotError
from handlers.lifecycle import until_stopped
from handlers.teams.auth import screen

log = logging.getLogger("walkbot.teams")

MESSAGES_PATH = "/api/messages"
HEALTH_PATH = "/healthz"
MAX_BODY = 1 << 20  # far above any activity Teams sends (a message is at most about 100 KB)
ONCE_ONLY = ("content-type", "content-length", "transfer-encoding", "authorization")
DEFAULT_PORT = 3978  # the Bot Framework's usual port

OnStart = Callable[[Any], Callable[[], None] | None]  # given the TeamsRuntime; what it returns is called on exit


class TeamsHttp:
    """The ASGI app, and the Teams SDK's HttpServerAdapter (register_route; it starts no server of its own)."""

    def __init__(self, *, issuer: str, authenticate: bool = True, fallback: Any = None, max_body: int = MAX_BODY):
        self.issuer, self.authenticate, self.fallback, self.max_body = issuer, authenticate, fallback, max_body
        self.routes: dict[str, Callable] = {}
        self.pages: dict[str, Callable] = {}  # walkbot's own GET pages by path prefix (ASGI apps): calendar files

    # --- the SDK's adapter ---------------------------------------------------------------------------------------

    def register_route(self, method: str, path: str, handler: Callable) -> None:
        if method != "POST":
            raise ValueError(f"walkbot serves no {method} route for the Teams SDK")
        self.routes[path] = handler

    def serve_static(self, path: str, directory: str) -> None:
        raise NotImplementedError("walkbot serves no static pages for Teams")

    async def start(self, port: int) -> None:
        raise RuntimeError("walkbot runs the Teams endpoint on its own server (handlers.teams.server.serve_teams)")

    async def stop(self) -> None:
        return None

    @property
    def paths(self) -> frozenset[str]:
        return frozenset(self.routes)

    # --- ASGI ----------------------------------------------------------------------------------------------------

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            return
        path, method = scope["path"], scope["method"]
        # The longest prefix that fits: /calendar/feed/ is a feed, other /calendar/ paths are notices' files.
        page = max(((prefix, app) for prefix, app in self.pages.items() if path.startswith(prefix)),
                   default=(None, None), key=lambda found: len(found[0]))[1]
        if page is not None:
            await page(scope, receive, send)
            return
        if self.fallback is not None and path not in self.routes:
            await self.fallback(scope, receive, send)  # the Slack app answers its own paths, and /healthz
            return
        status, body = await self._respond(scope, receive, path, method)
        data = b"" if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
        kind = b"text/plain; charset=utf-8" if isinstance(body, bytes) else b"application/json; charset=utf-8"
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", kind), (b"content-length", str(len(data)).encode())]})
        await send({"type": "http.response.body", "body": data})

    async def _respond(self, scope: dict, receive: Callable, path: str, method: str) -> tuple[int, Any]:
        if path == HEALTH_PATH:
            return (200, b"ok") if method in ("GET", "HEAD") else (405, b"Method Not Allowed")
        handler = self.routes.get(path)
        if handler is None:
            return 404, b"Not Found"
        if method != "POST":
            return 405, b"Method Not Allowed"
        pairs = [(k.decode("latin-1").lower(), v.decode("latin-1")) for k, v in scope["headers"]]
        names = [k for k, _ in pairs]
        if any(names.count(n) > 1 for n in ONCE_ONLY) or {"content-length", "transfer-encoding"} <= set(names):
            return 400, b"Bad Request"
        headers = dict(pairs)
        if headers.get("content-type", "").split(";")[0].strip().lower() != "application/json":
            return 415, b"Unsupported Media Type"
        length = headers.get("content-length", "0")
        if not length.isdigit():
            return 400, b"Bad Request"
        if int(length) > self.max_body:
            return 413, b"Payload Too Large"
        raw = await _read_body(receive, self.max_body)
        if raw is None:
            return 413, b"Payload Too Large"
        try:
            body = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return 400, b"Bad Request"
        if not isinstance(body, dict) or not isinstance(body.get("type"), str):
            return 400, b"Bad Request"
        if self.authenticate:
            refused = screen(headers, body, issuer=self.issuer)
            if refused is not None:
                log.warning("refused an activity (%s)", refused.reason)
                return 401, {"error": "Unauthorized"}
        if not readable(body):
            log.warning("refused a %.40r activity the Teams SDK cannot read", body["type"])
            return 400, b"Bad Request"
        answer = await handler({"body": body, "headers": headers})  # the SDK: the token checked, then walkbot
        return answer["status"], answer.get("body")


def readable(body: dict) -> bool:
    """Whether the Teams SDK can read the activity as the kind it says it is, read as the SDK reads it: one it
    cannot (a field missing, of another type) it would answer with a 500 and a stack trace in its log, though the
    fault is the sender's."""
    from microsoft_teams.apps.events.types import CoreActivity  # loaded with the SDK, as handlers.teams.app loads it

    try:
        ActivityTypeAdapter.validate_python(CoreActivity.model_validate(body).model_dump(by_alias=True,
                                                                                         exclude_none=True))
    except ValidationError:
        return False
    return True


async def _read_body(receive: Callable, limit: int) -> bytes | None:
    body = bytearray()
    while True:
        message = await receive()
        body += message.get("body", b"")
        if len(body) > limit:
            return None
        if not message.get("more_body", False):
            return bytes(body)


# --- running it ----------------------------------------------------------------------------------------------------

def serve_teams(*, settings, db_url: str | None = None, host: str = "127.0.0.1", port: int = DEFAULT_PORT,
                with_slack: bool = False, on_start: OnStart | None = None, cloud=None) -> int:
    """`walkbot teams`: refuses to start without its settings; runs until Ctrl-C or SIGTERM. with_slack: the same
    process serves `walkbot serve`'s Slack endpoints too (Slack's settings are then required as well)."""
    from bot.domain.clock import SystemClock
    from handlers.teams.app import build_teams
    from handlers.teams.calendar import serve_files

    settings.check(host)
    fallback, slack_store, stop_slack_work = None, None, None
    if with_slack:
        from handlers.slack.runtime import build_slack
        from handlers.slack.server import SlackHttp
        from handlers.slack.settings import SlackSettings

        slack_settings = SlackSettings.from_env()
        slack_settings.check_http()
        slack = build_slack(settings=slack_settings, db_url=db_url, clock=SystemClock())
        fallback, slack_store = SlackHttp(bolt=slack.app), slack.store
        stop_slack_work = slack.inbox.start()  # the Slack requests it keeps are worked by its threads
    runtime = build_teams(settings=settings, db_url=db_url, clock=SystemClock(), cloud=cloud, fallback=fallback)
    serve_files(runtime)  # the "Add to calendar" links of Teams notices
    config = uvicorn.Config(runtime.http, host=host, port=port, lifespan="off", server_header=False,
                            timeout_graceful_shutdown=10)
    stop = on_start(runtime) if on_start else None
    try:
        with until_stopped():
            uvicorn.Server(config).run()
    finally:
        if stop:
            stop()
        if stop_slack_work:
            stop_slack_work()
        runtime.store.close()
        if slack_store is not None:
            slack_store.close()
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="walkbot teams", description="Run walkbot's Microsoft Teams endpoint "
                                "(TEAMS_APP_ID, TEAMS_APP_SECRET, TEAMS_TENANT_ID) at /api/messages.")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default: {DEFAULT_PORT}; 0: any free port)")
    p.add_argument("--db", help="database URL (default: $DATABASE_URL, else sqlite:///walkbot.db)")
    p.add_argument("--with-slack", action="store_true", help="serve walkbot serve's Slack endpoints here as well")
    return p


def main(argv: list[str] | None = None, *, on_start: OnStart | None = None) -> int:
    """`walkbot teams [--host H] [--port P] [--db URL] [--with-slack]`: a sentence and exit 2 on a setting."""
    from handlers.teams.settings import TeamsSettings

    args = parser().parse_args(argv)
    try:
        return serve_teams(settings=TeamsSettings.from_env(), db_url=args.db, host=args.host, port=args.port,
                           with_slack=args.with_slack, on_start=on_start)
    except WalkbotError as err:
        print(f"walkbot: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
