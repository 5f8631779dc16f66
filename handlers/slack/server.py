"""The two ways walkbot meets Slack: HTTP on an ASGI server (`walkbot serve`) and Socket Mode
(`walkbot slack`). Both build everything when called, from settings; nothing happens at import.
"""
from __future__ import annotations

import asyncio
import logging
import re
import threading
from collections.abc import Callable

import uvicorn
from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.adapter.asgi.http_response import AsgiHttpResponse
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk.errors import SlackApiError

from bot.domain.clock import SystemClock
from handlers import feed
from handlers.lifecycle import until_stopped
from handlers.slack.runtime import SlackRuntime, build_slack
from handlers.slack.settings import SettingsError, SlackSettings

log = logging.getLogger("walkbot.slack")

EVENTS_PATH = "/slack/events"  # commands, interactivity and events all come here
HEALTH_PATH = "/healthz"
# Far above anything Slack sends (a big view submission is tens of kilobytes), far below harm.
MAX_BODY = 1 << 20
SLACK_TYPES = ("application/x-www-form-urlencoded", "application/json")
# What Slack sends: a Unix time in seconds and "v0=" with a SHA-256 HMAC in lower-case hex.
TIMESTAMP, SIGNATURE = re.compile(r"[0-9]{1,20}"), re.compile(r"v0=[0-9a-f]{64}")
# Headers that say how to read and trust a request: sent twice, a proxy in front of walkbot and
# walkbot itself could each go by a different copy.
ONCE_ONLY = ("content-type", "content-length", "transfer-encoding", "x-slack-request-timestamp",
             "x-slack-signature")

# Called with the runtime once it is built, before serving; what it returns (if anything) is called
# on the way out. The notices dispatcher starts and stops here, or with worker processes in the first of them
# (`walkbot work --dispatch`), so that this process only acknowledges.
OnStart = Callable[[SlackRuntime], Callable[[], None] | None]


class SlackHttp:
    """The ASGI app: Slack's requests into Bolt, the OAuth pages, GET /healthz, calendar feeds; nothing else.

    Bolt's own ASGI adapter runs the synchronous App on the event loop and reads bodies without
    limit. Here Bolt runs in worker threads, so one slow request holds up no other, and requests
    Slack would never send get a 4xx before Bolt sees them: too big (413), a content type Slack
    does not use (415), a timestamp or signature not in Slack's form (401), a header Slack sends
    once sent twice, bytes that are not UTF-8 or a body that does not parse, even a payload whose
    shape Bolt cannot read (400). The signature itself is Bolt's to check (401).
    """

    def __init__(self, *, bolt: App, max_body: int = MAX_BODY, pages: dict[str, Callable] | None = None):
        self.max_body = max_body
        self.pages = pages or {}  # walkbot's own GET pages by path prefix (ASGI apps): calendar feeds
        self.routes: dict[tuple[str, str], Callable[[BoltRequest], BoltResponse]] = {("POST", EVENTS_PATH): bolt.dispatch}
        if bolt.oauth_flow is not None:
            self.routes[("GET", bolt.oauth_flow.install_path)] = bolt.oauth_flow.handle_installation
            self.routes[("GET", bolt.oauth_flow.redirect_uri_path)] = bolt.oauth_flow.handle_callback

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":  # uvicorn runs with lifespan off; walkbot serves no websockets
            return
        page = next((app for prefix, app in self.pages.items() if scope["path"].startswith(prefix)), None)
        if page is not None:
            return await page(scope, receive, send)
        response = await self._respond(scope, receive)
        await send(response.get_response_start())
        await send(response.get_response_body())

    async def _respond(self, scope: dict, receive: Callable) -> AsgiHttpResponse:
        method, path = scope["method"], scope["path"]
        if path == HEALTH_PATH:
            return _plain(200, "ok") if method in ("GET", "HEAD") else _plain(405, "Method Not Allowed")
        handler = self.routes.get((method, path))
        if handler is None:
            known = any(path == p for _, p in self.routes)
            return _plain(405, "Method Not Allowed") if known else _plain(404, "Not Found")
        pairs = [(name.decode("latin-1").lower(), value.decode("latin-1")) for name, value in scope["headers"]]
        headers = dict(pairs)
        if method == "POST":
            names = [name for name, _ in pairs]
            framed_twice = {"content-length", "transfer-encoding"} <= set(names)  # a smuggling trick
            if framed_twice or any(names.count(name) > 1 for name in ONCE_ONLY):
                return _plain(400, "Bad Request")
            content_type = headers.get("content-type", "").split(";")[0].strip().lower()
            if content_type not in SLACK_TYPES:
                return _plain(415, "Unsupported Media Type")
            # Bolt checks the signature, but slack_sdk's verifier raises on a timestamp int() cannot read
            # ("²", 5000 digits) or a signature that is not ASCII, and the app's error handler would
            # answer that with a 200: no such request is Slack's.
            if not (TIMESTAMP.fullmatch(headers.get("x-slack-request-timestamp", ""))
                    and SIGNATURE.fullmatch(headers.get("x-slack-signature", ""))):
                return _plain(401, "Unauthorized")
            if not headers.get("content-length", "0").isdigit():
                return _plain(400, "Bad Request")
            if int(headers.get("content-length", "0")) > self.max_body:
                return _plain(413, "Payload Too Large")
        body = await _read_body(receive, self.max_body)
        if body is None:
            return _plain(413, "Payload Too Large")
        try:
            request = BoltRequest(body=body.decode("utf-8"), query=scope["query_string"].decode("latin-1"),
                                  headers=headers)
        except Exception:  # only parsing so far: not UTF-8, not JSON, JSON that is not an object...
            return _plain(400, "Bad Request")
        if method == "POST" and not _readable(request.body):
            return _plain(400, "Bad Request")
        try:
            answer = await asyncio.to_thread(handler, request)
        except Exception as error:
            if path != EVENTS_PATH:
                raise
            # Bolt hands what listeners and middleware raise to the app's error handler; what still escapes
            # is Bolt itself failing on a payload's shape (a view with no type...), which Slack never sends.
            log.warning("refused a request Bolt could not read: %r", error, exc_info=error)
            return _plain(400, "Bad Request")
        return AsgiHttpResponse(status=answer.status, headers=answer.headers, body=answer.body)


def _readable(body: dict) -> bool:
    """Whether the parts of a payload that Bolt reads before any listener runs are as Slack sends them:
    Bolt indexes them without looking, and what it raises would reach the app's error handler as a
    listener's failure (a view with no callback_id, a button with no action_id...)."""
    kind = body.get("type")
    if kind == "block_actions":
        actions = body.get("actions")
        return bool(actions) and isinstance(actions, list) and all(
            isinstance(a, dict) and isinstance(a.get("action_id"), str) for a in actions)
    if kind in ("view_submission", "view_closed"):
        view = body.get("view")
        return isinstance(view, dict) and all(isinstance(view.get(key), str) for key in ("type", "callback_id"))
    if kind == "event_callback":
        event = body.get("event")
        return isinstance(event, dict) and isinstance(event.get("type"), str)
    return True


async def _read_body(receive: Callable, limit: int) -> bytes | None:
    """The whole body, or None once it passes `limit` bytes (a chunked body has no Content-Length)."""
    body = bytearray()
    while True:
        message = await receive()
        body += message.get("body", b"")
        if len(body) > limit:
            return None
        if not message.get("more_body", False):  # also the end when the client disconnects
            return bytes(body)


def _plain(status: int, text: str) -> AsgiHttpResponse:
    return AsgiHttpResponse(status=status, headers={"content-type": ["text/plain; charset=utf-8"]}, body=text)


def serve(*, settings: SlackSettings, db_url: str | None = None, host: str = "127.0.0.1", port: int = 3000,
          on_start: OnStart | None = None, workers: int | None = None) -> int:
    """`walkbot serve`: refuses to start without SLACK_SIGNING_SECRET; runs until Ctrl-C or SIGTERM.
    Kept requests are worked by `workers` `walkbot work` processes, or with none by threads of this process.
    By default one on PostgreSQL, so that this process only acknowledges, its acks never waiting on the work's
    Python; none on SQLite, whose workers elsewhere would only find a request at their next poll."""
    settings.check_http()
    runtime = build_slack(settings=settings, db_url=db_url, clock=SystemClock())
    # lifespan off: start-up and shut-down are on_start's, around the server, in this thread.
    http = SlackHttp(bolt=runtime.app, pages=feed.pages(runtime.store.uow, runtime.walkbot.clock))
    config = uvicorn.Config(http, host=host, port=port, lifespan="off",
                            server_header=False, timeout_graceful_shutdown=10)
    if workers is None:
        workers = 1 if runtime.store.engine.dialect.name == "postgresql" else 0
    _run(runtime, on_start, uvicorn.Server(config).run, workers=workers, db_url=db_url)
    return 0


def socket_mode(*, settings: SlackSettings, db_url: str | None = None, on_start: OnStart | None = None) -> int:
    """`walkbot slack`: one workspace over Socket Mode (no public URL needed); runs until stopped."""
    settings.check_socket_mode()
    runtime = build_slack(settings=settings, db_url=db_url, clock=SystemClock())
    handler = SocketModeHandler(runtime.app, app_token=settings.app_token)

    def connect_and_wait() -> None:
        try:
            handler.connect()
        except SlackApiError as err:
            raise SettingsError(f"Slack did not accept SLACK_APP_TOKEN ({err.response.get('error')}): it must be "
                                "an app-level token with the connections:write scope.") from None
        if not handler.client.is_connected():  # slack_sdk logs why and would retry; say so and stop
            raise SettingsError("walkbot could not connect to Slack over Socket Mode: the log above says why.")
        print("walkbot: connected to Slack over Socket Mode (Ctrl-C to stop).", flush=True)
        threading.Event().wait()

    try:
        _run(runtime, on_start, connect_and_wait)
    finally:
        handler.close()
    return 0


def _run(runtime: SlackRuntime, on_start: OnStart | None, run: Callable[[], None], *, workers: int = 0,
         db_url: str | None = None) -> None:
    from handlers import work

    stop_work = work.beside(workers, db_url, dispatch=on_start is not None) if workers else runtime.inbox.start()
    stop = on_start(runtime) if on_start and not workers else None
    try:
        with until_stopped():
            run()
    finally:
        if stop:
            stop()
        stop_work()
        runtime.store.close()
