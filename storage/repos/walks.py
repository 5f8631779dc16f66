"""Learning-walk programmes, their walkers and their findings."""
from __future__ import annotations

from datetime import date
from typing import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.domain.model import Finding, FindingKind, Walk
from bot.errors import NotFound
from storage.repos.children import ordered_people
from storage.tables import WalkFindingRow, WalkRow, WalkWalkerRow


def _walk_from_row(row: WalkRow) -> Walk:
    return Walk(
        id=row.id,
        school_id=row.school_id,
        planned_by=row.planned_by,
        day=row.day,
        start=row.start_at,
        end=row.end_at,
        focus=row.focus,
        walkers=tuple(w.chat_id for w in row.walkers),
        cancelled=row.cancelled,
        announce_at=row.announce_at,
        purpose=row.purpose,
        feedback=row.feedback,
        report_shared_at=row.report_shared_at,
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
        row = WalkRow(school_id=walk.school_id)
        _fill(row, walk)
        self.session.add(row)
        self.session.flush()
        return _walk_from_row(row)

    def get(self, school_id: int, walk_id: int) -> Walk | None:
        row = self._row(school_id, walk_id)
        return _walk_from_row(row) if row else None

    def update(self, walk: Walk) -> None:
        row = self._row(walk.school_id, walk.id) if walk.id is not None else None
        if row is None:
            raise NotFound(f"There is no learning walk number {walk.id}.")
        _fill(row, walk)
        self.session.flush()

    def between(self, school_id: int, first: date, last: date) -> list[Walk]:
        rows = self.session.scalars(
            select(WalkRow)
            .where(WalkRow.school_id == school_id, WalkRow.day >= first, WalkRow.day <= last)
            .order_by(WalkRow.day, WalkRow.start_at, WalkRow.id)
        )
        return [_walk_from_row(r) for r in rows]

    def add_findings(self, findings: Iterable[Finding]) -> None:
        self.session.add_all(WalkFindingRow(walk_id=f.walk_id, author=f.author, kind=f.kind.value, text=f.text,
                                            written_at=f.written_at) for f in findings)
        self.session.flush()

    def findings(self, walk_id: int) -> list[Finding]:
        rows = self.session.scalars(select(WalkFindingRow).where(WalkFindingRow.walk_id == walk_id)
                                    .order_by(WalkFindingRow.written_at, WalkFindingRow.id))
        return [Finding(r.id, r.walk_id, r.author, FindingKind(r.kind), r.text, r.written_at) for r in rows]
