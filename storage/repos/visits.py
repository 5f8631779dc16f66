"""Visits, with their visitors, notes and record agreements: each read one statement (SQLAlchemy Core, the
child rows folded in as JSON), each write only what changed."""
from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from functools import cache
from typing import Any, Iterable

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Integer,
    Row,
    Select,
    String,
    and_,
    bindparam,
    column,
    delete,
    func,
    insert,
    literal,
    or_,
    select,
    true,
    union,
    update,
    values,
)
from sqlalchemy.orm import Session

from bot.domain.model import Note, Visit, VisitKind, VisitStatus
from bot.errors import NotFound
from storage.repos.among import ids_among
from storage.repos.children import child_rows, json_rows
from storage.repos.tallies import booked_counts, booked_counts_read
from storage.repos.writes import WRITES
from storage.tables import (
    VisitNoteRow,
    VisitRecordAgreementRow,
    VisitRow,
    VisitVisitorRow,
)

VISITS = VisitRow.__table__
# A visit and its child rows in one row: no second query per list, nor one per visit.
_READ = select(
    VISITS,
    child_rows(VisitVisitorRow.position, VisitVisitorRow.chat_id, of=VisitVisitorRow.visit_id,
               parent=VisitRow).label("visitor_rows"),
    child_rows(VisitRecordAgreementRow.chat_id, of=VisitRecordAgreementRow.visit_id,
               parent=VisitRow).label("agreed_rows"),
    child_rows(VisitNoteRow.written_at, VisitNoteRow.id, VisitNoteRow.author, VisitNoteRow.text,
               of=VisitNoteRow.visit_id, parent=VisitRow).label("note_rows"),
)

_ONE_VISIT = _READ.where(VisitRow.id == bindparam("visit_id"), VisitRow.school_id == bindparam("school_id"))
_ONE = {False: _ONE_VISIT, True: _ONE_VISIT.with_for_update(of=VISITS)}  # by whether the row is held


def _instant(text: str) -> datetime:
    # PostgreSQL's JSON writes a timestamptz with its offset; SQLite keeps naive UTC text (storage.coltypes).
    at = datetime.fromisoformat(text)
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def visit_from_row(row: Row) -> Visit:
    notes = sorted((_instant(at), note_id, author, text) for at, note_id, author, text in json_rows(row.note_rows))
    return Visit(
        id=row.id,
        school_id=row.school_id,
        teacher=row.teacher,
        visitors=tuple(chat_id for _, chat_id in sorted(json_rows(row.visitor_rows))),
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
        record_agreed_by=frozenset(chat_id for (chat_id,) in json_rows(row.agreed_rows)),
        notes=tuple(Note(author, text, at) for at, _, author, text in notes),
        created_at=row.created_at,
        revision=row.revision,
    )


def _values(visit: Visit) -> dict[str, Any]:
    """Every column but notes, which are only ever added (add_note), and the revision (update counts it)."""
    return dict(
        teacher=visit.teacher, proposer=visit.proposer, kind=visit.kind.value, status=visit.status.value,
        start_at=visit.start, end_at=visit.end, minutes=visit.minutes, focus=visit.focus, feedback=visit.feedback,
        pro_forma=visit.pro_forma, walk_id=visit.walk_id, suggested_start_at=visit.suggested_start,
        reason=visit.reason, dialogue_at=visit.dialogue_at, record=visit.record,
    )


# A visit lies within one school day (bot.rules.calendar_violations), so one overlapping a span starts
# less than a day before it: the lower bound that keeps an overlap query off the years of history before.
LONGEST_VISIT = timedelta(days=1)

# session.info: the visits this transaction holds (locked when read, or written), as stored now, so that a
# change writes only what differs without reading the visit again.
_HELD = "walkbot.visits_held"


def _statuses(statuses: Iterable[VisitStatus]) -> list[str]:
    return [VisitStatus(s).value for s in statuses]


class SqlVisitRepo:
    def __init__(self, session: Session):
        self.session = session

    def _transaction(self) -> object:
        # The innermost transaction: what a savepoint rolled back is not held any more.
        return self.session.get_nested_transaction() or self.session.get_transaction()

    def _hold(self, visit: Visit) -> Visit:
        self.session.info.setdefault(_HELD, {})[visit.id] = (self._transaction(), visit)
        return visit

    def _held(self, visit_id: int) -> Visit | None:
        transaction, visit = self.session.info.get(_HELD, {}).get(visit_id, (None, None))
        return visit if transaction is not None and transaction is self._transaction() else None

    def _read(self, school_id: int, visit_id: int, *, lock: bool = False) -> Visit | None:
        row = self.session.execute(_ONE[lock], dict(visit_id=visit_id, school_id=school_id)).first()
        return visit_from_row(row) if row else None

    def add(self, visit: Visit) -> Visit:
        fields = {**_values(visit), "school_id": visit.school_id, "revision": visit.revision}
        if visit.created_at is not None:
            fields["created_at"] = visit.created_at
        visitors = tuple(dict.fromkeys(visit.visitors))
        made = insert(VISITS).values(fields).returning(VISITS.c.id, VISITS.c.created_at)
        together = visitors and self.session.get_bind().dialect.name == "postgresql"
        if together:  # the visit and its visitors in one statement: PostgreSQL's WITH can write
            made = made.cte("made")
            seats = values(column("chat_id", String), column("position", Integer), name="seats").data(
                [(chat_id, position) for position, chat_id in enumerate(visitors)])
            seated = insert(VisitVisitorRow.__table__).from_select(
                ["visit_id", "chat_id", "position"],
                select(made.c.id, seats.c.chat_id, seats.c.position).join_from(made, seats, true())).cte("seated")
            made = select(made.c.id, made.c.created_at).add_cte(seated)
        visit_id, created_at = self.session.execute(made, execution_options={WRITES: True}).one()
        stored = replace(visit, id=visit_id, created_at=created_at, visitors=visitors,
                         notes=tuple(sorted(visit.notes, key=lambda n: n.written_at)))
        self._write_people(stored, visitors=visitors if together else (), agreed=frozenset())
        if stored.notes:
            self.session.execute(insert(VisitNoteRow.__table__), [
                dict(visit_id=visit_id, author=n.author, text=n.text, written_at=n.written_at) for n in stored.notes])
        return self._hold(stored)

    def get(self, school_id: int, visit_id: int, *, lock: bool = False) -> Visit | None:
        """lock=True holds the row until commit (FOR UPDATE): two answers to one visit run one after the other."""
        visit = self._read(school_id, visit_id, lock=lock)
        return self._hold(visit) if visit is not None and lock else visit

    def update(self, visit: Visit) -> None:
        """Store every field of `visit` except notes (use add_note)."""
        if visit.id is None:
            raise ValueError("update() needs a stored visit; use add()")
        stored = self._held(visit.id) or self._read(visit.school_id, visit.id)
        if stored is None or stored.school_id != visit.school_id:
            raise NotFound(f"There is no visit number {visit.id}.")
        # A change of time or status is a new revision however it was made (Visit.but counts the same changes).
        moved = (stored.start, stored.minutes, stored.status, stored.dialogue_at) != (
            visit.start, visit.minutes, visit.status, visit.dialogue_at)
        revision = max(visit.revision, stored.revision + 1 if moved else stored.revision)
        self.session.execute(update(VISITS).where(VISITS.c.id == visit.id).values(**_values(visit), revision=revision))
        changed = replace(visit, visitors=tuple(dict.fromkeys(visit.visitors)), notes=stored.notes, revision=revision,
                          created_at=stored.created_at)
        self._write_people(changed, visitors=stored.visitors, agreed=stored.record_agreed_by)
        self._hold(changed)

    def _write_people(self, visit: Visit, *, visitors: tuple[str, ...], agreed: frozenset[str]) -> None:
        """The visitors (in order) and the record's agreements as `visit` has them, where they differ from these."""
        if visit.visitors != visitors:
            if visitors:
                self.session.execute(delete(VisitVisitorRow.__table__).where(VisitVisitorRow.visit_id == visit.id))
            if visit.visitors:
                self.session.execute(insert(VisitVisitorRow.__table__), [
                    dict(visit_id=visit.id, chat_id=chat_id, position=position)
                    for position, chat_id in enumerate(visit.visitors)])
        if gone := agreed - visit.record_agreed_by:
            self.session.execute(delete(VisitRecordAgreementRow.__table__).where(
                VisitRecordAgreementRow.visit_id == visit.id, VisitRecordAgreementRow.chat_id.in_(sorted(gone))))
        if new := visit.record_agreed_by - agreed:
            self.session.execute(insert(VisitRecordAgreementRow.__table__),
                                 [dict(visit_id=visit.id, chat_id=chat_id) for chat_id in sorted(new)])

    def add_note(self, school_id: int, visit_id: int, note: Note) -> None:
        notes = VisitNoteRow.__table__
        # One statement: the note is written only if the visit is this school's.
        found = select(VisitRow.id, literal(note.author, notes.c.author.type), literal(note.text, notes.c.text.type),
                       literal(note.written_at, notes.c.written_at.type)).where(
            VisitRow.id == visit_id, VisitRow.school_id == school_id)
        added = self.session.execute(insert(notes).from_select(["visit_id", "author", "text", "written_at"], found)
                                     .returning(notes.c.id))
        if added.first() is None:
            raise NotFound(f"There is no visit number {visit_id}.")

    def for_plan(self, school_id: int, teacher: str, span: tuple[datetime, datetime], booked: Iterable[VisitStatus],
                 people: Iterable[str], near: tuple[datetime, datetime],
                 busy: Iterable[VisitStatus]) -> tuple[list[Visit], list[Visit]]:
        """What the rules read for a plan, in one query: the visits to `teacher` starting in `span` with a status in
        `booked`, and the visits where any of `people` is teacher or visitor overlapping `near` with one in `busy`."""
        rows = self.session.connection().execute(_plan_read(tuple(_statuses(booked)), tuple(_statuses(busy))), dict(
            school_id=school_id, teacher=teacher, span_start=span[0], span_end=span[1], people=sorted(set(people)),
            near_start=near[0], near_end=near[1], near_earliest=near[0] - LONGEST_VISIT))
        found = [(visit_from_row(row), row.to_teacher, row.involved) for row in rows]
        return [visit for visit, yes, _ in found if yes], [visit for visit, _, yes in found if yes]

    def involving(
        self, school_id: int, people: Iterable[str], start: datetime, end: datetime, statuses: Iterable[VisitStatus]
    ) -> list[Visit]:
        """Visits where any of `people` is teacher or visitor, overlapping [start, end)."""
        return self._visits(VisitRow.id.in_(_ids_involving(school_id, people, *_overlapping((start, end), statuses))))

    def of_person(self, school_id: int, chat_id: str, since: datetime, *, each: int | None = None) -> list[Visit]:
        return self._visits(person_visits(school_id, chat_id, since, each))

    def booked_by_teacher(self, school_id: int, teachers: Iterable[str],
                          session_starts: date) -> dict[str, dict[VisitKind, tuple[int, int]]]:
        """Booked visits to these teachers in the session beginning then, counted per teacher and kind as they
        were written (storage.repos.tallies): how many, and their minutes."""
        return booked_counts(self.session.execute(booked_counts_read(school_id, sorted(set(teachers)),
                                                                     session_starts)))

    def _visits(self, *conditions: ColumnElement[bool]) -> list[Visit]:
        rows = self.session.execute(_READ.where(*conditions).order_by(VisitRow.start_at, VisitRow.id))
        return [visit_from_row(r) for r in rows]


# What SqlVisitRepo reads, for storage.repos.glance to read with other things in one statement.

def person_visits(school_id: int, chat_id: str, since: datetime, each: int | None = None) -> ColumnElement[bool]:
    """The visits where the person is teacher or visitor, from `since`; with `each`, only the soonest that many
    of each status as teacher and as visitor."""
    mine = _ids_involving(school_id, [chat_id], VisitRow.start_at >= since, by_key=True)
    if each is None:
        return VisitRow.id.in_(mine)
    ranked = select(VisitRow.id, func.row_number().over(
        partition_by=(VisitRow.status, VisitRow.teacher == chat_id),
        order_by=(VisitRow.start_at, VisitRow.id)).label("place")).where(ids_among(VisitRow.id, mine)).subquery()
    return ids_among(VisitRow.id, select(ranked.c.id).where(ranked.c.place <= each))


def visits_where(condition: ColumnElement[bool]) -> Select:
    """The visits, each with its child rows in one row, as visit_from_row reads them."""
    return _READ.where(condition)


def _overlapping(span: tuple[Any, Any], statuses: Iterable[VisitStatus], earliest: Any = None
                 ) -> tuple[ColumnElement[bool], ...]:
    """Visits overlapping the span, with one of the statuses; `earliest`: the span's start less LONGEST_VISIT (the
    index's range), given when the span is bound at each read."""
    start, end = span
    earliest = start - LONGEST_VISIT if earliest is None else earliest
    return (VisitRow.start_at > earliest, VisitRow.start_at < end, VisitRow.end_at > start,
            VisitRow.status.in_(_statuses(statuses)))


@cache
def _plan_read(booked: tuple[str, ...], busy: tuple[str, ...]) -> Select:
    """SqlVisitRepo.for_plan's statement, built once for its statuses; every other value bound at each read."""
    school_id, people = bindparam("school_id"), bindparam("people", expanding=True)
    to_teacher = (VisitRow.school_id == school_id, VisitRow.teacher == bindparam("teacher"),
                  VisitRow.start_at >= bindparam("span_start"), VisitRow.start_at < bindparam("span_end"),
                  VisitRow.status.in_(booked))
    overlapping = _overlapping((bindparam("near_start"), bindparam("near_end")), busy, bindparam("near_earliest"))
    as_teacher, as_visitor = _involving(school_id, people, *overlapping)
    ids = union(select(VisitRow.id).where(*to_teacher), as_teacher, as_visitor)
    visiting = select(VisitVisitorRow.visit_id).where(VisitVisitorRow.chat_id.in_(people))
    involved = and_(*overlapping, or_(VisitRow.teacher.in_(people), VisitRow.id.in_(visiting)))
    return (_READ.add_columns(and_(*to_teacher).label("to_teacher"), involved.label("involved"))
            .where(VisitRow.id.in_(ids)).order_by(VisitRow.start_at, VisitRow.id))


def _involving(school_id: Any, people: Any, *conditions: ColumnElement[bool], by_key: bool = False
               ) -> tuple[Select, Select]:
    # Two halves for a union, not an OR, so each has its own index: teachers ix_visits_teacher_school_id_start_at;
    # visitors ix_visit_visitors_chat_id then each visit by primary key, or (PostgreSQL's choice when a
    # visitor's history outgrows the span) the school's visits in the span, ix_visits_school_id_start_at;
    # by_key: always by primary key (ids_among), for conditions no index bounds (from a moment on, with no end).
    # `people`: their chat ids, or a parameter bound to them at each read.
    as_teacher = select(VisitRow.id).where(VisitRow.school_id == school_id, VisitRow.teacher.in_(people), *conditions)
    visiting = select(VisitVisitorRow.visit_id).where(VisitVisitorRow.chat_id.in_(people))
    among = ids_among(VisitRow.id, visiting) if by_key else VisitRow.id.in_(visiting)
    as_visitor = select(VisitRow.id).where(among, VisitRow.school_id == school_id, *conditions)
    return as_teacher, as_visitor


def _ids_involving(school_id: int, people: Iterable[str], *conditions: ColumnElement[bool],
                   by_key: bool = False) -> CompoundSelect:
    return union(*_involving(school_id, sorted(set(people)), *conditions, by_key=by_key))
