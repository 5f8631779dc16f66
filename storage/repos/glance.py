"""The App Home's reads, together: the person's visits with every teacher's counts against the caps, and the walks
with whom notices wait to reach, two statements in all (storage.repos.together), each read as its own repository
reads it alone."""
from __future__ import annotations

from datetime import date, datetime
from typing import Iterable

from sqlalchemy.orm import Session

from bot.ports import Glance
from storage.repos.notices import waiting_read
from storage.repos.together import read_together
from storage.repos.visits import booked_counts, booked_counts_read, person_visits, visit_from_row, visits_where
from storage.repos.walks import walk_from_read, walk_key, walks_between


class SqlGlanceRepo:
    def __init__(self, session: Session):
        self.session = session

    def read(self, school_id: int, person: str, since: datetime, each: int, teachers: Iterable[str],
             session: tuple[datetime, datetime], days: tuple[date, date], *, waiting: bool) -> Glance:
        visits, counts = read_together(self.session, visits_where(person_visits(school_id, person, since, each)),
                                       booked_counts_read(school_id, teachers, *session))
        later = [walks_between(school_id, *days)] + ([waiting_read(school_id)] if waiting else [])
        walks, *waits = read_together(self.session, *later)
        return Glance(visits=sorted((visit_from_row(row) for row in visits), key=lambda v: (v.start, v.id)),
                      counts=booked_counts(counts), walks=sorted((walk_from_read(row) for row in walks), key=walk_key),
                      waiting=sorted((row.recipient, row.waiting_for) for rows in waits for row in rows))
