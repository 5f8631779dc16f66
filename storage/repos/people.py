"""What staff raise: concerns, unsafe practice seen on a visit, and objections to an observer (open until settled)."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.domain.model import Concern, Objection, ObjectionStatus
from storage.tables import ConcernRow, ObjectionRow


def _concern_from_row(row: ConcernRow) -> Concern:
    return Concern(row.id, row.school_id, row.raised_by, row.routed_to, row.text, row.raised_at, row.about,
                   row.visit_id)


def objection_from_row(row) -> Objection:
    """An objection from its row: an ObjectionRow, or a row of its table's columns read in Core."""
    return Objection(row.id, row.school_id, row.teacher, row.observer, row.reason, row.raised_at, row.visit_id,
                     row.routed_to, ObjectionStatus(row.status), row.settled_at, row.resolution)


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
            about=concern.about,
            visit_id=concern.visit_id,
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
            routed_to=objection.routed_to,
            status=objection.status.value,
        )
        self.session.add(row)
        self.session.flush()
        return objection_from_row(row)

    def for_teacher(self, school_id: int, teacher: str) -> list[Objection]:
        rows = self.session.scalars(
            select(ObjectionRow)
            .where(ObjectionRow.school_id == school_id, ObjectionRow.teacher == teacher,
                   ObjectionRow.status == ObjectionStatus.OPEN.value)
            .order_by(ObjectionRow.raised_at, ObjectionRow.id)
        )
        return [objection_from_row(r) for r in rows]

    def open_on_visit(self, school_id: int, visit_id: int) -> list[Objection]:
        rows = self.session.scalars(
            select(ObjectionRow)
            .where(ObjectionRow.school_id == school_id, ObjectionRow.visit_id == visit_id,
                   ObjectionRow.status == ObjectionStatus.OPEN.value)
            .order_by(ObjectionRow.raised_at, ObjectionRow.id)
            .with_for_update()
        )
        return [objection_from_row(r) for r in rows]

    def settle(self, objection: Objection) -> None:
        row = self.session.get(ObjectionRow, objection.id)
        row.status, row.settled_at, row.resolution = objection.status.value, objection.settled_at, objection.resolution
        self.session.flush()
