"""The App Home's reads, together: the person's visits with every teacher's counts against the caps, and the walks
with whom notices wait to reach, two statements in all (storage.repos.together), each read as its own repository
reads it alone."""
from __future__ import annotations

from datetime import date, datetime
from functools import cache
from typing import Iterable

from sqlalchemy import bindparam
from sqlalchemy.orm import Session

from bot.ports import Glance
from storage.repos.notices import waiting_read
from storage.repos.together import Together
from storage.repos.tallies import booked_counts, booked_counts_read
from storage.repos.visits import person_visits, visit_from_row, visits_where
from storage.repos.walks import walk_from_read, walk_key, walks_between


@cache
def _glance(waiting: bool) -> tuple[Together, Together]:
    school = bindparam("school_id")
    mine = Together(visits_where(person_visits(school, bindparam("person"), bindparam("since"), bindparam("each"))),
                    booked_counts_read(school, bindparam("teachers", expanding=True), bindparam("session_starts")))
    later = Together(walks_between(school, bindparam("first_day"), bindparam("last_day")),
                     *([waiting_read(school)] if waiting else []))
    return mine, later


class SqlGlanceRepo:
    def __init__(self, session: Session):
        self.session = session

    def read(self, school_id: int, person: str, since: datetime, each: int, teachers: Iterable[str],
             session_starts: date, days: tuple[date, date], *, waiting: bool) -> Glance:
        mine, later = _glance(waiting)
        visits, counts = mine.read(self.session, dict(
            school_id=school_id, person=person, since=since, each=each, teachers=sorted(set(teachers)),
            session_starts=session_starts))
        walks, *waits = later.read(self.session, dict(school_id=school_id, first_day=days[0], last_day=days[1]))
        return Glance(visits=sorted((visit_from_row(row) for row in visits), key=lambda v: (v.start, v.id)),
                      counts=booked_counts(counts), walks=sorted((walk_from_read(row) for row in walks), key=walk_key),
                      waiting=sorted((row.recipient, row.waiting_for) for rows in waits for row in rows))
