"""Learning-walk programmes, their walkers and their findings."""
from __future__ import annotations

from datetime import date
from typing import Iterable

from sqlalchemy import Row, Select, select
from sqlalchemy.orm import Session

from bot.domain.model import Finding, FindingKind, Walk
from bot.errors import NotFound
from storage.repos.children import child_rows, json_rows, ordered_people
from storage.tables import WalkFindingRow, WalkRow, WalkWalkerRow

# A walk and its walkers in one row (SQLAlchemy Core): what reading walks costs is one statement.
_READ = select(WalkRow.__table__, child_rows(WalkWalkerRow.position, WalkWalkerRow.chat_id, of=WalkWalkerRow.walk_id,
                                             parent=WalkRow).label("walker_rows"))


def walks_between(school_id: int, first: date, last: date) -> Select:
    """The school's walks on the days from `first` to `last`, with their walkers, as walk_from_read reads them."""
    return _READ.where(WalkRow.school_id == school_id, WalkRow.day >= first, WalkRow.day <= last)


def walk_key(walk: Walk) -> tuple:
    """The order walks are read in: by day and time."""
    return walk.day, walk.start, walk.id


def walk_from_read(row: Row) -> Walk:
    return _walk_from_row(row, tuple(chat_id for _, chat_id in sorted(json_rows(row.walker_rows))))


def _walk_from_row(row: WalkRow | Row, walkers: tuple[str, ...] | None = None) -> Walk:
    """A walk from its row: an ORM row's walkers are its own, a Core row's are given."""
    return Walk(
        id=row.id,
        school_id=row.school_id,
        planned_by=row.planned_by,
        day=row.day,
        start=row.start_at,
        end=row.end_at,
        focus=row.focus,
        walkers=walkers if walkers is not None else tuple(w.chat_id for w in row.walkers),
        cancelled=row.cancelled,
        announce_at=row.announce_at,
        purpose=row.purpose,
        feedback=row.feedback,
        report_shared_at=row.report_shared_at,
        revision=row.revision,
    )


def _fill(row: WalkRow, walk: Walk) -> None:
    row.planned_by, row.day, row.focus = walk.planned_by, walk.day, walk.focus
    row.start_at, row.end_at = walk.start, walk.end
    row.cancelled, row.announce_at = walk.cancelled, walk.announce_at
    row.purpose, row.feedback, row.report_shared_at = walk.purpose, walk.feedback, walk.report_shared_at
    row.walkers = ordered_people(row.walkers, walk.walkers, WalkWalkerRow)


class SqlWalkRepo:
    def __init__(self, session: Session):
        self.session = session

    def _row(self, school_id: int, walk_id: int) -> WalkRow | None:
        return self.session.scalar(select(WalkRow).where(WalkRow.id == walk_id, WalkRow.school_id == school_id))

    def add(self, walk: Walk) -> Walk:
        row = WalkRow(school_id=walk.school_id, revision=walk.revision)
        _fill(row, walk)
        self.session.add(row)
        self.session.flush()
        return _walk_from_row(row)

    def get(self, school_id: int, walk_id: int) -> Walk | None:
        row = self.session.execute(_READ.where(WalkRow.id == walk_id, WalkRow.school_id == school_id)).first()
        return walk_from_read(row) if row else None

    def update(self, walk: Walk) -> None:
        row = self._row(walk.school_id, walk.id) if walk.id is not None else None
        if row is None:
            raise NotFound(f"There is no learning walk number {walk.id}.")
        was = (row.start_at, row.end_at, row.cancelled)
        _fill(row, walk)
        # Its time or its cancellation changed: a new revision, its calendar event's SEQUENCE.
        moved = (row.start_at, row.end_at, row.cancelled) != was
        row.revision = max(walk.revision, row.revision + 1 if moved else row.revision)
        self.session.flush()

    def between(self, school_id: int, first: date, last: date) -> list[Walk]:
        rows = self.session.execute(walks_between(school_id, first, last)
                                    .order_by(WalkRow.day, WalkRow.start_at, WalkRow.id))
        return [walk_from_read(r) for r in rows]

    def add_findings(self, findings: Iterable[Finding]) -> None:
        self.session.add_all(WalkFindingRow(walk_id=f.walk_id, author=f.author, kind=f.kind.value, text=f.text,
                                            written_at=f.written_at) for f in findings)
        self.session.flush()

    def findings(self, walk_id: int) -> list[Finding]:
        rows = self.session.scalars(select(WalkFindingRow).where(WalkFindingRow.walk_id == walk_id)
                                    .order_by(WalkFindingRow.written_at, WalkFindingRow.id))
        return [Finding(r.id, r.walk_id, r.author, FindingKind(r.kind), r.text, r.written_at) for r in rows]
