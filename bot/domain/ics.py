"""Calendar events (RFC 5545) for visits, feedback dialogues and learning walks: the one event each of them is,
in the file a notice carries and in each person's calendar feed alike.

A calendar keeps one event per UID and takes a new version of it only when its SEQUENCE is higher, so an event's
UID is fixed for good and its SEQUENCE is the revision of what it is about (Visit.revision, Walk.revision: every
change of time or status). A call-off stays the same event, STATUS:CANCELLED, which calendars remove.

What a calendar on a phone shows is seen on a lock screen and synced to other companies' servers: an event says
what, when and who, and no more. No focus, feedback, notes, records or reasons (what people wrote); walkbot
itself shows the rest to whoever may see it.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Iterable, Mapping

from bot.domain.model import Visit, VisitStatus, Walk
from bot.domain.school import School
from bot.domain.words import kind_words

if TYPE_CHECKING:  # pragma: no cover (icalendar is loaded only when a calendar file is written)
    from icalendar import Event

PRODID = "-//walkbot//classroom visits//EN"
# Subscribed calendars poll; these ask for the hour (Outlook and Apple read the first, others the second).
REFRESH = timedelta(hours=1)

CANCELLED_STATUSES = frozenset({VisitStatus.CANCELLED, VisitStatus.DECLINED, VisitStatus.WITHDRAWN})
_STATUS = {VisitStatus.AGREED: "CONFIRMED", VisitStatus.HELD: "CONFIRMED",
           # Asked, not yet agreed: the time is held in both calendars, shown as not settled.
           VisitStatus.PROPOSED: "TENTATIVE", VisitStatus.COUNTERED: "TENTATIVE",
           **{status: "CANCELLED" for status in CANCELLED_STATUSES}}


def _event(uid: str, sequence: int, start: datetime, end: datetime, summary: str, description: str, status: str,
           now: datetime) -> Event:
    from icalendar import Event

    event = Event()
    event.add("uid", uid)
    event.add("sequence", sequence)
    event.add("dtstamp", now.astimezone(timezone.utc))
    event.add("dtstart", start.astimezone(timezone.utc))
    event.add("dtend", end.astimezone(timezone.utc))
    event.add("summary", summary)
    event.add("description", description)
    event.add("status", status)
    # Opaque while it stands (the person is busy then); a call-off frees the time.
    event.add("transp", "TRANSPARENT" if status == "CANCELLED" else "OPAQUE")
    return event


def _names(people: Iterable[str], names: Mapping[str, str]) -> str:
    return ", ".join(names.get(p, p) for p in people)


def visit_event(school: School, visit: Visit, names: Mapping[str, str], now: datetime) -> Event:
    """The visit: its class, its kind and who visits; tentative until agreed, cancelled once called off."""
    teacher = names.get(visit.teacher, visit.teacher)
    return _event(f"visit-{visit.id}.{school.key}@walkbot", visit.revision, visit.start, visit.end,
                  f"{kind_words(visit.kind).capitalize()} to {teacher}'s class (walkbot #{visit.id})",
                  f"Visitors: {_names(visit.visitors, names)}\nIn walkbot: visit show {visit.id}",
                  _STATUS[visit.status], now)


def dialogue_event(school: School, visit: Visit, names: Mapping[str, str], now: datetime) -> Event | None:
    """The feedback dialogue after a visit, once arranged: the teacher and the visitors."""
    if visit.dialogue_at is None:
        return None
    teacher = names.get(visit.teacher, visit.teacher)
    end = visit.dialogue_at + timedelta(minutes=school.policy.dialogue_minutes)
    return _event(f"dialogue-{visit.id}.{school.key}@walkbot", visit.revision, visit.dialogue_at, end,
                  f"Feedback dialogue: {kind_words(visit.kind)} to {teacher}'s class (walkbot #{visit.id})",
                  f"With: {_names((visit.teacher, *visit.visitors), names)}\nIn walkbot: visit show {visit.id}",
                  "CANCELLED" if visit.status in CANCELLED_STATUSES else "CONFIRMED", now)


def walk_event(school: School, walk: Walk, names: Mapping[str, str], now: datetime) -> Event:
    """A learning walk, for its walkers (each room's teacher has the room's visit)."""
    return _event(f"walk-{walk.id}.{school.key}@walkbot", walk.revision, walk.start, walk.end,
                  f"Learning walk (walkbot walk #{walk.id})",
                  f"Walkers: {_names(walk.walkers, names)}\nIn walkbot: walk show {walk.id}",
                  "CANCELLED" if walk.cancelled else "CONFIRMED", now)


def calendar(events: Iterable[Event], *, method: str | None = None, name: str | None = None) -> str:
    """A calendar of these events: a file with a METHOD (what a notice carries), or a feed with a NAME."""
    from icalendar import Calendar

    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    if method:
        cal.add("method", method)
    if name:
        cal.add("name", name)
        cal.add("x-wr-calname", name)
        cal.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
        cal.add("x-published-ttl", REFRESH)
    for event in events:
        cal.add_component(event)
    return cal.to_ical().decode()


def visit_ics(school: School, visit: Visit, names: Mapping[str, str], now: datetime, *,
              cancelled: bool = False) -> str:
    """The file a notice carries: the visit's event as the feed has it; `cancelled`, its call-off."""
    if cancelled and visit.status not in CANCELLED_STATUSES:
        # Told of before the visit itself is stored as called off (a walk's rooms): the revision it will have.
        visit = visit.but(status=VisitStatus.CANCELLED)
    return calendar([visit_event(school, visit, names, now)], method="CANCEL" if cancelled else "PUBLISH")


def ics_filename(visit_id: int | None) -> str:
    return f"walkbot-visit-{visit_id}.ics"
