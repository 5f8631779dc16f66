"""Calendar files (RFC 5545 .ics) for agreed visits, so a visit lands in each person's own calendar."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Mapping

from icalendar import Calendar, Event

from bot.domain.model import Visit
from bot.domain.school import School
from bot.domain.words import kind_words


def visit_ics(school: School, visit: Visit, names: Mapping[str, str], now: datetime, *,
              cancelled: bool = False) -> str:
    """One event for the visit; `cancelled` makes the same event a cancellation calendars remove."""
    teacher = names.get(visit.teacher, visit.teacher)
    calendar = Calendar()
    calendar.add("prodid", "-//walkbot//classroom visits//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "CANCEL" if cancelled else "PUBLISH")
    event = Event()
    # The same UID in every file about this visit, so a move or a cancellation updates the one event.
    event.add("uid", f"visit-{visit.id}.{school.key}@walkbot")
    # Calendars take a revision only if its SEQUENCE is higher; the minute of writing always is.
    event.add("sequence", int(now.timestamp()) // 60)
    event.add("dtstamp", now.astimezone(timezone.utc))
    event.add("dtstart", visit.start.astimezone(timezone.utc))
    event.add("dtend", visit.end.astimezone(timezone.utc))
    event.add("summary", f"{kind_words(visit.kind).capitalize()} to {teacher}'s class (walkbot #{visit.id})")
    details = [f"Visitors: {', '.join(names.get(v, v) for v in visit.visitors)}"]
    if visit.focus:
        details.append(f"Focus: {visit.focus}")
    if visit.feedback:
        details.append(f"Feedback: {visit.feedback}")
    if visit.pro_forma:
        details.append(f"Pro forma: {visit.pro_forma}")
    event.add("description", "\n".join(details))
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    calendar.add_component(event)
    return calendar.to_ical().decode()


def ics_filename(visit_id: int | None) -> str:
    return f"walkbot-visit-{visit_id}.ics"
