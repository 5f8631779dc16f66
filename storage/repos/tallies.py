"""The visit tallies: the booked visits (agreed or held) to each teacher of each kind in each session, and their
minutes, kept by the database's own triggers as visits are written (migration 0018), for every way a visit is
written, by walkbot or not. They count by the school's sessions, stored with the school (store_sessions), which
counts a school's tallies again at each load. Counting the caps reads a row a teacher and kind."""
from __future__ import annotations

from datetime import date
from typing import Any, Iterable, Sequence

from sqlalchemy import Select, delete, func, insert, select
from sqlalchemy.orm import Session

from bot.domain.calendar import SchoolCalendar
from bot.domain.model import BOOKED_STATUSES, VisitKind
from storage.tables import SchoolSessionRow, VisitRow, VisitTallyRow

SESSIONS, TALLIES = SchoolSessionRow.__table__, VisitTallyRow.__table__


def store_sessions(session: Session, school_id: int, calendar: SchoolCalendar) -> None:
    """The school's sessions as its calendar sets them, and its tallies counted again from its visits. A school.yml
    is loaded seldom, and counting at each load means a booking that raced a load moving the sessions (its
    trigger saw the sessions before) is counted right again by the next load."""
    session.execute(delete(SESSIONS).where(SESSIONS.c.school_id == school_id))
    if calendar.sessions:
        session.execute(insert(SESSIONS), [
            dict(zip(("school_id", "starts", "first_at", "last_at"), (school_id, s.start, *calendar.span(s))))
            for s in calendar.sessions])
    session.execute(delete(TALLIES).where(TALLIES.c.school_id == school_id))
    session.execute(insert(TALLIES).from_select(
        ["school_id", "session_starts", "teacher", "kind", "visits", "minutes"],
        select(VisitRow.school_id, SESSIONS.c.starts, VisitRow.teacher, VisitRow.kind, func.count(),
               func.sum(VisitRow.minutes))
        .join(SESSIONS, (SESSIONS.c.school_id == VisitRow.school_id)
              & VisitRow.start_at.between(SESSIONS.c.first_at, SESSIONS.c.last_at))
        .where(VisitRow.school_id == school_id, VisitRow.status.in_(sorted(s.value for s in BOOKED_STATUSES)))
        .group_by(VisitRow.school_id, SESSIONS.c.starts, VisitRow.teacher, VisitRow.kind)))


def booked_counts_read(school_id: Any, teachers: Sequence[str] | Any, session_starts: date | Any) -> Select:
    """The tallies of these teachers (their chat ids, or a parameter bound to them) in the session beginning then;
    as booked_counts reads them."""
    return select(TALLIES.c.teacher, TALLIES.c.kind, TALLIES.c.visits, TALLIES.c.minutes).where(
        TALLIES.c.school_id == school_id, TALLIES.c.session_starts == session_starts, TALLIES.c.teacher.in_(teachers),
        TALLIES.c.visits > 0)


def booked_counts(rows: Iterable[Any]) -> dict[str, dict[VisitKind, tuple[int, int]]]:
    """booked_counts_read's rows as counts: by teacher, by kind, (how many, their minutes)."""
    counted: dict[str, dict[VisitKind, tuple[int, int]]] = {}
    for row in rows:
        counted.setdefault(row.teacher, {})[VisitKind(row.kind)] = (row.visits, row.minutes)
    return counted
