"""Calendar files in Teams: a bot cannot attach a file to a Teams message, so a notice's calendar file
(notice.ics) is a button on its card, "Add to calendar", opening GET /calendar/<token>.ics on walkbot's Teams
endpoint, which answers the file from the database.

The token is the notice's number and the moment the link expires, signed (HMAC-SHA256) with a key made from
the bot's secret (TEAMS_APP_SECRET), which the endpoint and every dispatcher have: nobody can make a link to
another notice's file, or keep one past its time. A forged, expired or malformed token, and a notice with no
file, all get the same 404: there is nothing to learn by trying.

WALKBOT_PUBLIC_URL is where people reach walkbot's Teams endpoint (https://walkbot.school.example, the host of
the bot's messaging endpoint): links are made there. Without it notices go without the button. The same
address serves each person's calendar feed (handlers.feed), whose events are the ones these files hold.
"""
from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import logging
import re
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from bot.domain.ics import ics_filename
from bot.usecases.calendar import PUBLIC_URL_ENV
from handlers import feed
from handlers.feed import answer

log = logging.getLogger("walkbot.teams")

PATH = "/calendar/"
LIFETIME = 30 * 24 * 3600  # seconds a link works: past the visit it is for, long before anyone could guess one
BUTTON_ID = "calendar.add"  # no action of walkbot's reply model has it (their ids are Verbs)
_PURPOSE = b"walkbot: calendar links"  # the link key is the bot secret's for this use only
_TOKEN = re.compile(r"(\d{1,12})\.(\d{1,12})\.([A-Za-z0-9_-]{43})\.ics")


def _signature(key: bytes, notice_id: int, expires: int) -> str:
    digest = hmac.new(key, f"{notice_id}.{expires}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


@dataclass(frozen=True)
class CalendarLinks:
    """Signed links to notices' calendar files, and their checking (real time, whatever a dispatcher's clock says)."""

    key: bytes = field(repr=False)
    base_url: str  # where walkbot's Teams endpoint is reached, without a trailing slash
    clock: Callable[[], float] = time.time

    @classmethod
    def for_bot(cls, secret: str, base_url: str, clock: Callable[[], float] = time.time) -> CalendarLinks:
        return cls(hmac.new(secret.encode(), _PURPOSE, hashlib.sha256).digest(), base_url.rstrip("/"), clock)

    @classmethod
    def from_environment(cls, secret: str) -> CalendarLinks | None:
        base_url = feed.public_url()
        if not base_url:
            log.warning("calendar files will not be linked in Teams notices: set %s to the address of walkbot's "
                        "Teams endpoint", PUBLIC_URL_ENV)
            return None
        return cls.for_bot(secret, base_url)

    def link(self, notice_id: int) -> str:
        expires = int(self.clock()) + LIFETIME
        return f"{self.base_url}{PATH}{notice_id}.{expires}.{_signature(self.key, notice_id, expires)}.ics"

    def notice_of(self, token: str) -> int | None:
        """The notice a link's token is for, or None: malformed, not signed with this key, or expired."""
        found = _TOKEN.fullmatch(token)
        if found is None:
            return None
        notice_id, expires, signature = int(found[1]), int(found[2]), found[3]
        if not hmac.compare_digest(signature, _signature(self.key, notice_id, expires)) or expires <= self.clock():
            return None
        return notice_id

    def button(self, notice_id: int) -> dict:
        """The card's "Add to calendar" button (Action.OpenUrl: Teams opens the link in the person's browser)."""
        return {"type": "Action.OpenUrl", "id": BUTTON_ID, "title": "Add to calendar", "url": self.link(notice_id)}


def with_button(message: dict, links: CalendarLinks | None, notice_id: int) -> dict:
    """A notice's message (handlers.teams.cards.message) with the card's "Add to calendar" button, when links
    are made at all."""
    if links is None:
        return message
    (attachment, *others) = message["attachments"]
    content = attachment["content"]
    card = {**content, "actions": [*content.get("actions", ()), links.button(notice_id)]}
    return {**message, "attachments": [{**attachment, "content": card}, *others]}


class CalendarFiles:
    """The ASGI app for GET /calendar/<token>.ics: the notice's calendar file, as text/calendar; 404 otherwise."""

    def __init__(self, links: CalendarLinks, uow_factory: Callable[[], Any]):
        self.links, self.uow_factory = links, uow_factory

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["method"] not in ("GET", "HEAD"):
            return await answer(send, 405, b"Method Not Allowed")
        notice_id = self.links.notice_of(scope["path"].removeprefix(PATH))
        found = None if notice_id is None else await asyncio.to_thread(self._file, notice_id)
        if found is None:
            return await answer(send, 404, b"Not Found")
        visit_id, ics = found
        await answer(send, 200, ics.encode(), b"text/calendar; charset=utf-8",
                     ((b"content-disposition", f'attachment; filename="{ics_filename(visit_id)}"'.encode()),),
                     head=scope["method"] == "HEAD")

    def _file(self, notice_id: int) -> tuple[int | None, str] | None:
        with self.uow_factory() as uow:
            notice = uow.notices.get(notice_id)
        return (notice.visit_id, notice.ics) if notice is not None and notice.ics else None


def serve_files(runtime: Any) -> None:
    """Serve calendar files on the running Teams endpoint (handlers.teams.server), links checked with its secret;
    and people's calendar feeds (handlers.feed), under /calendar/feed/, as `walkbot serve` does."""
    runtime.http.pages[PATH] = CalendarFiles(CalendarLinks.for_bot(runtime.settings.app_secret or "", ""),
                                             runtime.store.uow)
    runtime.http.pages.update(feed.pages(runtime.store.uow, runtime.walkbot.clock))
