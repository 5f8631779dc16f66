"""What teachers raise: concerns (to their line manager) and objections to an observer."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.domain.model import Concern, Objection
from storage.tables import ConcernRow, ObjectionRow


def _concern_from_row(row: ConcernRow) -> Concern:
    return Concern(row.id, row.school_id, row.raised_by, row.routed_to, row.text, row.raised_at)


def _objection_from_row(row: ObjectionRow) -> Objection:
    return Objection(row.id, row.school_id, row.teacher, row.observer, row.reason, row.raised_at, row.visit_id)


class SqlConcernRepo:
    def __init__(self, session: Session):
        self.session = session

    def add(self, concern: Concern) -> Concern:
        row = ConcernRow(
            school_id=concern.school_id,
            raised_by=concern.raised_by,
            routed_to=concern.routed_to,
            text=concern.text,
            raised_at=concern.raised_at,
        )
        self.session.add(row)
        self.session.flush()
        return _concern_from_row(row)


class SqlObjectionRepo:
    def __init__(self, session: Session):
        self.session = session

    def add(self, objection: Objection) -> Objection:
        row = ObjectionRow(
            school_id=objection.school_id,
            teacher=objection.teacher,
            observer=objection.observer,
            reason=objection.reason,
            raised_at=objection.raised_at,
            visit_id=objection.visit_id,
        )
        self.session.add(row)
        self.session.flush()
        return _objection_from_row(row)

    def for_teacher(self, school_id: int, teacher: str) -> list[Objection]:
        rows = self.session.scalars(
            select(ObjectionRow)
            .where(ObjectionRow.school_id == school_id, ObjectionRow.teacher == teacher)
            .order_by(ObjectionRow.raised_at, ObjectionRow.id)
        )
        return [_objection_from_row(r) for r in rows]
