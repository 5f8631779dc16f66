"""Each person's private calendar feed: one address, with a secret token in it, that Outlook, Google or Apple
calendars subscribe to, listing the person's visits, learning walks and feedback dialogues as they stand.

Only a SHA-256 of the token is stored, so walkbot shows an address once, when it is made; a new one (asked for in
chat, or made by IT) replaces it, and the old address then finds nothing. An address finds nothing either once its
person is off the staff list.
"""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from bot.domain.ics import CANCELLED_STATUSES, calendar, dialogue_event, visit_event, walk_event
from bot.domain.model import OPEN_STATUSES, Staff
from bot.domain.school import School
from bot.errors import NotFound, WalkbotError
from bot.ports import CalendarFeed, Clock, UnitOfWork
from bot.usecases import commands as c
from bot.usecases.kernel import open_scope

PATH = "/calendar/feed/"  # then the token and .ics
PUBLIC_URL_ENV = "WALKBOT_PUBLIC_URL"  # where people reach walkbot: the handlers read it, IT is told to set it
TOKEN_BYTES = 32  # 256 bits: as hard to guess as the hash that keeps it
# secrets.token_hex(TOKEN_BYTES): hex, so no chat's markdown (Slack's _italics_, Teams' escapes) alters the address
TOKEN = re.compile(r"[0-9a-f]{64}")
PAST = timedelta(days=120)  # about a term back: recent visits stay in people's calendars
# A call-off stays listed (STATUS:CANCELLED) this long after its time, so every calendar polling the feed removes it.
CANCELLED_KEPT = timedelta(days=14)


class FeedsNotSetUp(WalkbotError):
    """walkbot is not told where people reach it, so it can make no address."""


@dataclass(frozen=True)
class FeedAddress:
    school: School
    person: Staff
    url: str | None  # the address, made just now; None: the person has one already, made `since`
    since: datetime
    renewed: bool = False  # it replaces an older address, which no longer works


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def feed_url(public_url: str, token: str) -> str:
    return f"{public_url.rstrip('/')}{PATH}{token}.ics"


def _base(public_url: str | None) -> str:
    if not public_url:
        raise FeedsNotSetUp(f"Calendar feeds aren't set up here yet, so nothing was changed: your IT lead sets "
                            f"{PUBLIC_URL_ENV} to the address people reach walkbot at (like "
                            "https://walkbot.school.example), where walkbot serve or walkbot teams serve answers.")
    return public_url


def _make(uow: UnitOfWork, school_id: int, chat_id: str, now: datetime) -> str:
    """A new token for the person, its hash stored in place of any older one's; the token itself is not kept."""
    token = secrets.token_hex(TOKEN_BYTES)
    uow.feeds.replace(CalendarFeed(school_id, chat_id, token_hash(token), now))
    return token


def show_feed(cmd: c.ShowCalendar, uow: UnitOfWork, clock: Clock, *, public_url: str | None) -> FeedAddress:
    """The person's feed address if they have none yet; else when theirs was made (it can't be shown again)."""
    with uow:
        scope = open_scope(uow, cmd, clock)
        base = _base(public_url)
        mine = uow.feeds.of_person(scope.school.id, scope.actor.chat_id)
        if mine is not None:
            return FeedAddress(scope.school, scope.actor, None, mine.created_at)
        token = _make(uow, scope.school.id, scope.actor.chat_id, scope.now)
        scope.commit()
        return FeedAddress(scope.school, scope.actor, feed_url(base, token), scope.now)


def new_feed(cmd: c.NewCalendar, uow: UnitOfWork, clock: Clock, *, public_url: str | None) -> FeedAddress:
    with uow:
        scope = open_scope(uow, cmd, clock)
        base = _base(public_url)
        renewed = uow.feeds.of_person(scope.school.id, scope.actor.chat_id) is not None
        token = _make(uow, scope.school.id, scope.actor.chat_id, scope.now)
        scope.commit()
        return FeedAddress(scope.school, scope.actor, feed_url(base, token), scope.now, renewed)


def rotate(uow: UnitOfWork, clock: Clock, *, school_key: str, person: str) -> tuple[School, Staff, str, bool]:
    """IT's rotation: a new token for someone on a school's staff list (by staff id or handle). The school, the
    person, the token, and whether it replaced one."""
    with uow:
        school = uow.schools.by_key(school_key)
        if school is None:
            raise NotFound(f"There is no school with the key {school_key!r}: it is the key in its school.yml.")
        staff = uow.staff.find(school.id, person.removeprefix("@"))
        if staff is None or not staff.active:
            raise NotFound(f"There is nobody with the staff id or handle {person!r} on {school.name}'s staff list.")
        renewed = uow.feeds.of_person(school.id, staff.chat_id) is not None
        token = _make(uow, school.id, staff.chat_id, clock.now())
        uow.commit()
        return school, staff, token, renewed


def feed(token: str, uow: UnitOfWork, clock: Clock) -> str | None:
    """The calendar of the person whose token this is, or None: no such token (never made, or replaced), or its
    person is no longer on the staff list. Each None is the same None, so trying tokens tells nothing."""
    if not TOKEN.fullmatch(token):  # the form is public; no query for what is not one
        return None
    digest = token_hash(token)
    with uow:
        found = uow.feeds.by_hash(digest)
        # Looked up by the hash (what a lookup's timing could tell is about the hash, not the token), then
        # compared in constant time all the same.
        if found is None or not hmac.compare_digest(found.token_hash, digest):
            return None
        school = uow.schools.get(found.school_id)
        everyone = uow.staff.all(found.school_id, with_leavers=True) if school else []
        if not any(p.chat_id == found.chat_id and p.active for p in everyone):
            return None
        now = clock.now()
        visits = uow.visits.of_person(school.id, found.chat_id, now - PAST)
        walks = uow.walks.between(school.id, school.calendar.local(now - PAST).date(), date.max)
    names = {p.chat_id: p.name for p in everyone}
    me, kept_from = found.chat_id, now - CANCELLED_KEPT
    events = []
    for visit in visits:
        if visit.walk_id is not None and me in visit.visitors:
            continue  # a walker has the walk itself; its rooms are its programme
        if visit.status in OPEN_STATUSES and visit.start <= now:
            continue  # asked and never agreed: it did not happen
        if visit.status in CANCELLED_STATUSES and visit.end < kept_from:
            continue
        events.append(visit_event(school, visit, names, now))
        dialogue = dialogue_event(school, visit, names, now)
        if dialogue is not None:
            events.append(dialogue)
    events += [walk_event(school, walk, names, now) for walk in walks
               if me in walk.walkers and not (walk.cancelled and walk.end < kept_from)]
    return calendar(events, name=f"walkbot: {school.name}")
