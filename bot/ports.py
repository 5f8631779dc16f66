"""What the core needs from the outside world, as protocols. storage/ implements them."""
from __future__ import annotations

from datetime import date, datetime
from typing import Iterable, Protocol

from bot.model import Concern, Note, Notice, Objection, Staff, Visit, VisitStatus, Walk
from bot.school import School, SchoolConfig


class Clock(Protocol):
    def now(self) -> datetime:
        """The current moment, timezone-aware."""


class SchoolRepo(Protocol):
    def get(self, school_id: int) -> School | None: ...
    def by_key(self, key: str) -> School | None: ...
    def by_slack_team(self, team_id: str) -> School | None: ...
    def save(self, config: SchoolConfig) -> School:
        """Insert or update the school and its staff list (idempotent)."""


class StaffRepo(Protocol):
    def get(self, school_id: int, chat_id: str) -> Staff | None: ...
    def find(self, school_id: int, mention: str) -> Staff | None:
        """By chat id or handle, case-insensitive."""
    def all(self, school_id: int) -> list[Staff]: ...
    def add(self, staff: Staff) -> Staff: ...
    def lock(self, school_id: int, chat_id: str) -> None:
        """Hold this person's row until commit, so two bookings for one teacher run one after the other."""


class VisitRepo(Protocol):
    def add(self, visit: Visit) -> Visit: ...
    def get(self, school_id: int, visit_id: int) -> Visit | None: ...
    def update(self, visit: Visit) -> None: ...
    def add_note(self, school_id: int, visit_id: int, note: Note) -> None: ...
    def for_teacher(
        self, school_id: int, teacher: str, start: datetime, end: datetime, statuses: Iterable[VisitStatus]
    ) -> list[Visit]:
        """Visits to this teacher starting in [start, end)."""
    def involving(
        self, school_id: int, people: Iterable[str], start: datetime, end: datetime, statuses: Iterable[VisitStatus]
    ) -> list[Visit]:
        """Visits where any of `people` is teacher or visitor, overlapping [start, end)."""
    def of_person(self, school_id: int, chat_id: str, since: datetime) -> list[Visit]:
        """Visits where this person is teacher or visitor, starting at or after `since`, soonest first."""


class WalkRepo(Protocol):
    def add(self, walk: Walk) -> Walk: ...
    def get(self, school_id: int, walk_id: int) -> Walk | None: ...
    def update(self, walk: Walk) -> None: ...
    def between(self, school_id: int, first: date, last: date) -> list[Walk]:
        """Walks (cancelled included) on days in [first, last]."""


class NoticeRepo(Protocol):
    def add(self, notice: Notice) -> Notice: ...
    def due(self, until: datetime, limit: int = 100) -> list[Notice]:
        """Pending notices due at or before `until`, oldest first."""
    def mark_sent(self, notice_id: int, at: datetime, message_id: str | None = None) -> None: ...
    def supersede(self, *, visit_id: int | None = None, walk_id: int | None = None) -> int:
        """Pending notices about a visit or walk that no longer apply: marked superseded."""


class ConcernRepo(Protocol):
    def add(self, concern: Concern) -> Concern: ...


class ObjectionRepo(Protocol):
    def add(self, objection: Objection) -> Objection: ...
    def for_teacher(self, school_id: int, teacher: str) -> list[Objection]: ...


class UnitOfWork(Protocol):
    schools: SchoolRepo
    staff: StaffRepo
    visits: VisitRepo
    walks: WalkRepo
    notices: NoticeRepo
    concerns: ConcernRepo
    objections: ObjectionRepo

    def __enter__(self) -> "UnitOfWork": ...
    def __exit__(self, *exc) -> None:
        """Roll back whatever was not committed."""
    def commit(self) -> None: ...
