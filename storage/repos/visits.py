"""Visits, with their visitors, notes and record agreements."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Iterable

from sqlalchemy import ColumnElement, CompoundSelect, select, union
from sqlalchemy.orm import Session

from bot.domain.model import Note, Visit, VisitKind, VisitStatus
from bot.errors import NotFound
from storage.repos.children import ordered_people
from storage.tables import (
    VisitNoteRow,
    VisitRecordAgreementRow,
    VisitRow,
    VisitVisitorRow,
)


def _visit_from_row(row: VisitRow) -> Visit:
    return Visit(
        id=row.id,
        school_id=row.school_id,
        teacher=row.teacher,
        visitors=tuple(v.chat_id for v in row.visitors),
        proposer=row.proposer,
        kind=VisitKind(row.kind),
        start=row.start_at,
        minutes=row.minutes,
        status=VisitStatus(row.status),
        focus=row.focus,
        feedback=row.feedback,
        pro_forma=row.pro_forma,
        walk_id=row.walk_id,
        suggested_start=row.suggested_start_at,
        reason=row.reason,
        dialogue_at=row.dialogue_at,
        record=row.record,
        record_agreed_by=frozenset(a.chat_id for a in row.record_agreements),
        notes=tuple(Note(n.author, n.text, n.written_at) for n in row.notes),
        created_at=row.created_at,
    )


def _fill(row: VisitRow, visit: Visit) -> None:
    """Everything but notes, which are only ever added (add_note)."""
    row.teacher, row.proposer = visit.teacher, visit.proposer
    row.kind, row.status = visit.kind.value, visit.status.value
    row.start_at, row.end_at, row.minutes = visit.start, visit.end, visit.minutes
    row.focus, row.feedback, row.pro_forma = visit.focus, visit.feedback, visit.pro_forma
    row.walk_id, row.suggested_start_at, row.reason = visit.walk_id, visit.suggested_start, visit.reason
    row.dialogue_at, row.record = visit.dialogue_at, visit.record
    row.visitors = ordered_people(row.visitors, visit.visitors, VisitVisitorRow)
    agreed = {a.chat_id: a for a in row.record_agreements}
    row.record_agreements = [
        agreed.get(chat_id) or VisitRecordAgreementRow(chat_id=chat_id) for chat_id in sorted(visit.record_agreed_by)
    ]


# A visit lies within one school day (bot.rules.calendar_violations), so one overlapping a span starts
# less than a day before it: the lower bound that keeps an overlap query off the years of history before.
LONGEST_VISIT = timedelta(days=1)


def _statuses(statuses: Iterable[VisitStatus]) -> list[str]:
    return [VisitStatus(s).value for s in statuses]


class SqlVisitRepo:
    def __init__(self, session: Session):
        self.session = session

    def _row(self, school_id: int, visit_id: int, *, lock: bool = False) -> VisitRow:
        query = select(VisitRow).where(VisitRow.id == visit_id, VisitRow.school_id == school_id)
        row = self.session.scalar(query.with_for_update(of=VisitRow) if lock else query)
        if row is None:
            raise NotFound(f"There is no visit number {visit_id}.")
        return row

    def add(self, visit: Visit) -> Visit:
        row = VisitRow(school_id=visit.school_id)
        _fill(row, visit)
        row.notes = [VisitNoteRow(author=n.author, text=n.text, written_at=n.written_at) for n in visit.notes]
        if visit.created_at is not None:
            row.created_at = visit.created_at
        self.session.add(row)
        self.session.flush()
        return _visit_from_row(row)

    def get(self, school_id: int, visit_id: int, *, lock: bool = False) -> Visit | None:
        """lock=True holds the row until commit (FOR UPDATE): two answers to one visit run one after the other."""
        try:
            return _visit_from_row(self._row(school_id, visit_id, lock=lock))
        except NotFound:
            return None

    def update(self, visit: Visit) -> None:
        """Store every field of `visit` except notes (use add_note)."""
        if visit.id is None:
            raise ValueError("update() needs a stored visit; use add()")
        _fill(self._row(visit.school_id, visit.id), visit)
        self.session.flush()

    def add_note(self, school_id: int, visit_id: int, note: Note) -> None:
        row = self._row(school_id, visit_id)
        row.notes.append(VisitNoteRow(author=note.author, text=note.text, written_at=note.written_at))
        self.session.flush()

    def for_teacher(
        self, school_id: int, teacher: str, start: datetime, end: datetime, statuses: Iterable[VisitStatus]
    ) -> list[Visit]:
        """Visits to this teacher starting in [start, end): a range on ix_visits_teacher_school_id_start_at."""
        return self._visits(
            VisitRow.school_id == school_id,
            VisitRow.teacher == teacher,
            VisitRow.start_at >= start,
            VisitRow.start_at < end,
            VisitRow.status.in_(_statuses(statuses)),
        )

    def involving(
        self, school_id: int, people: Iterable[str], start: datetime, end: datetime, statuses: Iterable[VisitStatus]
    ) -> list[Visit]:
        """Visits where any of `people` is teacher or visitor, overlapping [start, end)."""
        overlapping = (VisitRow.start_at > start - LONGEST_VISIT, VisitRow.start_at < end, VisitRow.end_at > start,
                       VisitRow.status.in_(_statuses(statuses)))
        return self._visits(VisitRow.id.in_(_ids_involving(school_id, people, *overlapping)))

    def of_person(self, school_id: int, chat_id: str, since: datetime) -> list[Visit]:
        return self._visits(VisitRow.id.in_(_ids_involving(school_id, [chat_id], VisitRow.start_at >= since)))

    def _visits(self, *conditions: ColumnElement[bool]) -> list[Visit]:
        rows = self.session.scalars(select(VisitRow).where(*conditions).order_by(VisitRow.start_at, VisitRow.id))
        return [_visit_from_row(r) for r in rows]


def _ids_involving(school_id: int, people: Iterable[str], *conditions: ColumnElement[bool]) -> CompoundSelect:
    # A union, not an OR, so each half has its own index: teachers ix_visits_teacher_school_id_start_at;
    # visitors ix_visit_visitors_chat_id then each visit by primary key, or (PostgreSQL's choice when a
    # visitor's history outgrows the span) the school's visits in the span, ix_visits_school_id_start_at.
    people = sorted(set(people))
    as_teacher = select(VisitRow.id).where(VisitRow.school_id == school_id, VisitRow.teacher.in_(people), *conditions)
    visiting = select(VisitVisitorRow.visit_id).where(VisitVisitorRow.chat_id.in_(people))
    as_visitor = select(VisitRow.id).where(VisitRow.id.in_(visiting), VisitRow.school_id == school_id, *conditions)
    return union(as_teacher, as_visitor)
