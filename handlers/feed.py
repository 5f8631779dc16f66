"""GET /calendar/feed/<token>.ics: a person's private calendar feed (bot.usecases.calendar), served by `walkbot
serve` (handlers.slack.server) and `walkbot teams serve` (handlers.teams.server) alike.

A token that is malformed, never made, replaced by a newer one, or whose person left the staff list: each gets
the same 404, so nothing is learnt by trying. Tokens never reach a log: uvicorn's access log shows the path as
/calendar/[redacted] (every calendar link's, the Teams notice files' too).
"""
from __future__ import annotations

import asyncio
import logging
import os
import re
from typing import Any, Callable

from bot.errors import Unavailable
from bot.ports import Clock
from bot.usecases import calendar
from bot.usecases.calendar import PATH, PUBLIC_URL_ENV

log = logging.getLogger("walkbot.feed")

_CALENDAR_PATH = re.compile(r"/calendar/[^\s\"?]*")


def public_url() -> str | None:
    """Where people reach walkbot (WALKBOT_PUBLIC_URL): the base of every calendar address."""
    return (os.environ.get(PUBLIC_URL_ENV) or "").strip().rstrip("/") or None


def _masked(value: Any) -> Any:
    return _CALENDAR_PATH.sub("/calendar/[redacted]", value) if isinstance(value, str) else value


class _HidePaths(logging.Filter):
    """What follows /calendar/ in an access-log line (a secret token) is masked, in each of its arguments: uvicorn's
    access formatter reads them one by one (client, method, path, version, status)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = _masked(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(map(_masked, record.args))
        return True


def hide_tokens_in_access_log() -> None:
    """On uvicorn's access logger, once: it logs every request's path as it is."""
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, _HidePaths) for f in access.filters):
        access.addFilter(_HidePaths())


async def answer(send: Callable, status: int, body: bytes, kind: bytes = b"text/plain; charset=utf-8",
                 headers: tuple[tuple[bytes, bytes], ...] = (), *, head: bool = False) -> None:
    """An ASGI response; a calendar's is kept out of caches and sends no referrer with its links."""
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", kind), (b"content-length", str(len(body)).encode()),
                            (b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"no-referrer"),
                            (b"cache-control", b"private, no-store"), *headers]})
    await send({"type": "http.response.body", "body": b"" if head else body})


class CalendarFeeds:
    """The ASGI app for GET (and HEAD) /calendar/feed/<token>.ics."""

    def __init__(self, uow_factory: Callable[[], Any], clock: Clock):
        self.uow_factory, self.clock = uow_factory, clock
        hide_tokens_in_access_log()

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["method"] not in ("GET", "HEAD"):
            return await answer(send, 405, b"Method Not Allowed", headers=((b"allow", b"GET, HEAD"),))
        name = scope["path"].removeprefix(PATH)
        token = name.removesuffix(".ics") if name.endswith(".ics") else ""
        try:
            ics = await asyncio.to_thread(calendar.feed, token, self.uow_factory(), self.clock)
        except Unavailable as err:
            log.warning("a calendar feed could not be read: the database could not be reached (%r)", err.__cause__)
            return await answer(send, 503, b"Service Unavailable", headers=((b"retry-after", b"60"),))
        if ics is None:
            return await answer(send, 404, b"Not Found")
        await answer(send, 200, ics.encode(), b"text/calendar; charset=utf-8",
                     ((b"content-disposition", b'inline; filename="walkbot.ics"'),), head=scope["method"] == "HEAD")


def pages(uow_factory: Callable[[], Any], clock: Clock) -> dict[str, Callable]:
    """The pages a walkbot server adds for calendar feeds, by path prefix."""
    return {PATH: CalendarFeeds(uow_factory, clock)}
