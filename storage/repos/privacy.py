"""Retention, subject access and erasure in SQL: each kind of record's disposal, a person's records, and their erasure.

Every change is a set-based UPDATE or DELETE that skips what is already done, so a purge run twice (or by two
processes at once: the second waits on the first's row locks, then finds nothing left) disposes of each record once.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

from sqlalchemy import (
    ColumnElement,
    and_,
    case,
    column,
    delete,
    false,
    func,
    inspect,
    or_,
    select,
    table,
    true,
    update,
)
from sqlalchemy.orm import Session

from bot.domain.model import Concern, Finding, FindingKind, Notice, Objection, ObjectionStatus
from bot.domain.retention import ERASED_NAME, REMOVED, RecordKind, Span
from bot.ports import Disposal, SubjectAccess
from bot.reply.card import card
from storage.repos.notices import _body, _notice_from_row
from storage.repos.people import _concern_from_row, objection_from_row
from storage.repos.schools import school_changed
from storage.tables import (
    CalendarFeedRow,
    ConcernRow,
    DisposalRow,
    InboxRow,
    NoticeRow,
    ObjectionRow,
    SchoolRow,
    StaffRow,
    SubjectAccessRow,
    TeamsConversationRow,
    TimetableLessonRow,
    VisitCoverRow,
    VisitNoteRow,
    VisitRecordAgreementRow,
    VisitRow,
    VisitVisitorRow,
    WalkFindingRow,
    WalkRow,
    WalkWalkerRow,
)

# slack_sdk's installation tables (handlers.slack.oauth), by name: storage does not import Slack's SDK.
_SLACK_TABLES = tuple(table(name, column("team_id"), column("installed_at")) for name in
                      ("slack_bots", "slack_installations"))
_VISIT_WORDS = ("focus", "feedback", "pro_forma", "reason")
REMOVED_BODY = _body(card(REMOVED))
_DONE_WITH = ("answered", "failed")  # inbox rows whose work is over


def _within(moment: ColumnElement, spans: list[Span]) -> ColumnElement[bool]:
    return or_(false(), *(and_(moment >= start if start is not None else true(), moment < end)
                          for start, end in spans))


class SqlPrivacyRepo:
    def __init__(self, session: Session):
        self.session = session

    # --- retention ---------------------------------------------------------------------------------------------

    def dispose(self, school_id: int | None, kind: RecordKind, spans: list[Span], *, count_only: bool) -> int:
        if not spans:
            return 0
        if school_id is None:
            if kind is RecordKind.INBOX:
                return self._inbox(InboxRow.school_id.is_(None), spans, count_only)
            if kind is RecordKind.INSTALLATIONS:
                return self._slack_installations(spans, count_only)
            return 0
        return self._KINDS[kind](self, school_id, spans, count_only)

    def _run(self, statement, count_only: bool, counted) -> int:
        if count_only:
            return self.session.scalar(select(func.count()).select_from(counted.subquery())) or 0
        return self.session.execute(statement, execution_options={"synchronize_session": False}).rowcount

    def _visits(self, school_id: int, spans: list[Span], count_only: bool) -> int:
        words = [getattr(VisitRow, name) for name in _VISIT_WORDS]
        where = (VisitRow.school_id == school_id, _within(VisitRow.start_at, spans),
                 or_(*(and_(w.is_not(None), w != REMOVED) for w in words)))
        # Each word de-identified where there was one; the visit itself (who, when, what kind) stays for the counts.
        values = {w.key: _removed_if_given(w) for w in words}
        return self._run(update(VisitRow).where(*where).values(**values), count_only,
                         select(VisitRow.id).where(*where))

    def _records(self, school_id: int, spans: list[Span], count_only: bool) -> int:
        where = (VisitRow.school_id == school_id, _within(VisitRow.start_at, spans), VisitRow.record.is_not(None),
                 VisitRow.record != REMOVED)
        # Its agreement stays: the record was agreed, whatever it said.
        return self._run(update(VisitRow).where(*where).values(record=REMOVED), count_only,
                         select(VisitRow.id).where(*where))

    def _notes(self, school_id: int, spans: list[Span], count_only: bool) -> int:
        where = (VisitNoteRow.visit_id.in_(select(VisitRow.id).where(VisitRow.school_id == school_id)),
                 _within(VisitNoteRow.written_at, spans))
        return self._run(delete(VisitNoteRow).where(*where), count_only, select(VisitNoteRow.id).where(*where))

    def _concerns(self, school_id: int, spans: list[Span], count_only: bool) -> int:
        where = (ConcernRow.school_id == school_id, _within(ConcernRow.raised_at, spans))
        return self._run(delete(ConcernRow).where(*where), count_only, select(ConcernRow.id).where(*where))

    def _objections(self, school_id: int, spans: list[Span], count_only: bool) -> int:
        # An open objection keeps the observer out of the teacher's lessons: only settled ones are disposed of.
        where = (ObjectionRow.school_id == school_id, ObjectionRow.status != ObjectionStatus.OPEN.value,
                 _within(ObjectionRow.settled_at, spans))
        return self._run(delete(ObjectionRow).where(*where), count_only, select(ObjectionRow.id).where(*where))

    def _findings(self, school_id: int, spans: list[Span], count_only: bool) -> int:
        where = (WalkFindingRow.walk_id.in_(select(WalkRow.id).where(WalkRow.school_id == school_id)),
                 _within(WalkFindingRow.written_at, spans))
        return self._run(delete(WalkFindingRow).where(*where), count_only, select(WalkFindingRow.id).where(*where))

    def _messages(self, school_id: int, spans: list[Span], count_only: bool) -> int:
        # Pending ones are still to be said; the rest keep who was sent what kind of message, and when.
        where = (NoticeRow.school_id == school_id, NoticeRow.status != "pending", _within(NoticeRow.due_at, spans),
                 or_(NoticeRow.body != REMOVED_BODY, NoticeRow.ics.is_not(None), NoticeRow.last_error.is_not(None)))
        return self._run(update(NoticeRow).where(*where).values(body=REMOVED_BODY, ics=None, last_error=None),
                         count_only, select(NoticeRow.id).where(*where))

    def _school_inbox(self, school_id: int, spans: list[Span], count_only: bool) -> int:
        return self._inbox(InboxRow.school_id == school_id, spans, count_only)

    def _inbox(self, whose: ColumnElement[bool], spans: list[Span], count_only: bool) -> int:
        where = (whose, InboxRow.status.in_(_DONE_WITH),
                 _within(func.coalesce(InboxRow.answered_at, InboxRow.worked_at, InboxRow.received_at), spans))
        return self._run(delete(InboxRow).where(*where), count_only, select(InboxRow.id).where(*where))

    def _teams_installations(self, school_id: int, spans: list[Span], count_only: bool) -> int:
        """Teams conversations in a tenant the school is no longer linked to."""
        tenant = select(SchoolRow.teams_tenant_id).where(SchoolRow.id == school_id).scalar_subquery()
        where = (TeamsConversationRow.school_id == school_id,
                 or_(tenant.is_(None), func.lower(TeamsConversationRow.tenant_id) != tenant),  # stored lower case
                 _within(TeamsConversationRow.installed_at, spans))
        return self._run(delete(TeamsConversationRow).where(*where), count_only,
                         select(TeamsConversationRow.id).where(*where))

    def _slack_installations(self, spans: list[Span], count_only: bool) -> int:
        """Slack workspaces no school is linked to (one that uninstalled walkbot was removed at once)."""
        linked = select(SchoolRow.slack_team_id).where(SchoolRow.slack_team_id.is_not(None))
        spans = [(_naive(start), _naive(end)) for start, end in spans]  # slack_sdk keeps naive UTC times
        total = 0
        for found in _SLACK_TABLES:
            where = (or_(found.c.team_id.is_(None), found.c.team_id.not_in(linked)),
                     _within(found.c.installed_at, spans))
            total += self._run(delete(found).where(*where), count_only, select(found.c.team_id).where(*where))
        return total

    _KINDS: dict[RecordKind, Callable[..., int]] = {
        RecordKind.VISITS: _visits, RecordKind.RECORDS: _records, RecordKind.NOTES: _notes,
        RecordKind.CONCERNS: _concerns, RecordKind.OBJECTIONS: _objections, RecordKind.FINDINGS: _findings,
        RecordKind.MESSAGES: _messages, RecordKind.INBOX: _school_inbox, RecordKind.INSTALLATIONS: _teams_installations,
    }

    def log(self, disposal: Disposal) -> None:
        self.session.add(DisposalRow(school_id=disposal.school_id, kind=disposal.kind, action=disposal.action,
                                     count=disposal.count, cause=disposal.cause, disposed_at=disposal.at))
        self.session.flush()

    def disposals(self, school_id: int | None, limit: int = 50) -> list[Disposal]:
        rows = self.session.scalars(select(DisposalRow).where(
            DisposalRow.school_id.is_(None) if school_id is None else DisposalRow.school_id == school_id)
            .order_by(DisposalRow.disposed_at.desc(), DisposalRow.id.desc()).limit(limit))
        return [Disposal(school_id=r.school_id, kind=r.kind, action=r.action, count=r.count, cause=r.cause,
                         at=r.disposed_at) for r in rows]

    # --- a person's records ------------------------------------------------------------------------------------

    def concerns_involving(self, school_id: int, person: str) -> list[Concern]:
        rows = self.session.scalars(select(ConcernRow).where(
            ConcernRow.school_id == school_id,
            or_(ConcernRow.raised_by == person, ConcernRow.routed_to == person, ConcernRow.about == person))
            .order_by(ConcernRow.raised_at, ConcernRow.id))
        return [_concern_from_row(r) for r in rows]

    def objections_involving(self, school_id: int, person: str) -> list[Objection]:
        rows = self.session.scalars(select(ObjectionRow).where(
            ObjectionRow.school_id == school_id,
            or_(ObjectionRow.teacher == person, ObjectionRow.observer == person, ObjectionRow.routed_to == person))
            .order_by(ObjectionRow.raised_at, ObjectionRow.id))
        return [objection_from_row(r) for r in rows]

    def notices_to(self, school_id: int, person: str) -> list[Notice]:
        rows = self.session.scalars(select(NoticeRow).where(NoticeRow.school_id == school_id,
                                                            NoticeRow.recipient == person)
                                    .order_by(NoticeRow.due_at, NoticeRow.id))
        return [_notice_from_row(r) for r in rows]

    def findings_by(self, school_id: int, person: str) -> list[Finding]:
        rows = self.session.scalars(
            select(WalkFindingRow).join(WalkRow, WalkRow.id == WalkFindingRow.walk_id)
            .where(WalkRow.school_id == school_id, WalkFindingRow.author == person)
            .order_by(WalkFindingRow.written_at, WalkFindingRow.id))
        return [Finding(r.id, r.walk_id, r.author, FindingKind(r.kind), r.text, r.written_at) for r in rows]

    # --- subject access requests -------------------------------------------------------------------------------

    def log_request(self, request: SubjectAccess, at: datetime) -> SubjectAccess:
        row = SubjectAccessRow(school_id=request.school_id, person=request.person, received_on=request.received_on,
                               due_on=request.due_on, answered_on=request.answered_on, logged_at=at)
        self.session.add(row)
        self.session.flush()
        return _request(row)

    def requests(self, school_id: int | None, *, open_only: bool) -> list[SubjectAccess]:
        query = select(SubjectAccessRow)
        if school_id is not None:
            query = query.where(SubjectAccessRow.school_id == school_id)
        if open_only:
            query = query.where(SubjectAccessRow.answered_on.is_(None))
        return [_request(r) for r in self.session.scalars(query.order_by(SubjectAccessRow.due_on,
                                                                         SubjectAccessRow.id))]

    def answer_request(self, school_id: int, request_id: int, on: date) -> SubjectAccess | None:
        row = self.session.get(SubjectAccessRow, request_id)
        if row is None or row.school_id != school_id:
            return None
        row.answered_on = row.answered_on or on
        self.session.flush()
        return _request(row)

    # --- erasure -----------------------------------------------------------------------------------------------

    def erase(self, school_id: int, person: str, pseudonym: str) -> dict[str, int]:
        s = self.session
        visits = select(VisitRow.id).where(VisitRow.school_id == school_id)
        theirs = select(VisitRow.id).where(VisitRow.school_id == school_id, or_(
            VisitRow.teacher == person,
            VisitRow.id.in_(select(VisitVisitorRow.visit_id).where(VisitVisitorRow.chat_id == person))))
        walks = select(WalkRow.id).where(WalkRow.school_id == school_id)
        their_walks = select(WalkRow.id).where(WalkRow.school_id == school_id, or_(
            WalkRow.planned_by == person,
            WalkRow.id.in_(select(WalkWalkerRow.walk_id).where(WalkWalkerRow.chat_id == person))))
        touched: dict[str, int] = {
            # Rows counted once each, before their ids change (a visit may name them as teacher and proposer).
            RecordKind.VISITS: s.scalar(select(func.count()).select_from(theirs.subquery())) or 0,
            RecordKind.CONCERNS: len(self.concerns_involving(school_id, person)),
            RecordKind.OBJECTIONS: len(self.objections_involving(school_id, person)),
        }

        def put(kind: str, statement) -> None:
            touched[kind] = touched.get(kind, 0) + s.execute(
                statement, execution_options={"synchronize_session": False}).rowcount

        # The words of messages to them, or about their visits and walks (which name them), before ids change.
        put(RecordKind.MESSAGES, update(NoticeRow).where(
            NoticeRow.school_id == school_id,
            or_(NoticeRow.recipient == person, NoticeRow.visit_id.in_(theirs), NoticeRow.walk_id.in_(their_walks)),
            or_(NoticeRow.body != REMOVED_BODY, NoticeRow.ics.is_not(None)))
            .values(body=REMOVED_BODY, ics=None, last_error=None,
                    status=func.coalesce(func.nullif(NoticeRow.status, "pending"), "superseded")))
        s.execute(update(NoticeRow).where(NoticeRow.school_id == school_id, NoticeRow.recipient == person)
                  .values(recipient=pseudonym))
        school_changed(s, school_id)  # every process reads the staff list afresh
        put("staff", update(StaffRow).where(StaffRow.school_id == school_id, StaffRow.chat_id == person).values(
            chat_id=pseudonym, name=ERASED_NAME, handle=None, email=None, line_manager=None, mis_id=None))
        s.execute(update(StaffRow).where(StaffRow.school_id == school_id, StaffRow.line_manager == person)
                  .values(line_manager=pseudonym))
        for field in (VisitRow.teacher, VisitRow.proposer):
            s.execute(update(VisitRow).where(VisitRow.school_id == school_id, field == person)
                      .values({field.key: pseudonym}))
        for child in (VisitVisitorRow, VisitRecordAgreementRow):
            s.execute(update(child).where(child.visit_id.in_(visits), child.chat_id == person)
                      .values(chat_id=pseudonym))
        s.execute(update(VisitCoverRow).where(VisitCoverRow.visit_id.in_(visits), VisitCoverRow.chat_id == person)
                  .values(chat_id=pseudonym))
        s.execute(update(TimetableLessonRow).where(TimetableLessonRow.school_id == school_id,
                                                   TimetableLessonRow.chat_id == person).values(chat_id=pseudonym))
        # A calendar feed is a standing link to their visits: it goes.
        s.execute(delete(CalendarFeedRow).where(CalendarFeedRow.school_id == school_id,
                                                CalendarFeedRow.chat_id == person))
        put(RecordKind.NOTES, update(VisitNoteRow).where(VisitNoteRow.visit_id.in_(visits),
                                                         VisitNoteRow.author == person).values(author=pseudonym))
        s.execute(update(WalkRow).where(WalkRow.school_id == school_id, WalkRow.planned_by == person)
                  .values(planned_by=pseudonym))
        s.execute(update(WalkWalkerRow).where(WalkWalkerRow.walk_id.in_(walks), WalkWalkerRow.chat_id == person)
                  .values(chat_id=pseudonym))
        put(RecordKind.FINDINGS, update(WalkFindingRow).where(WalkFindingRow.walk_id.in_(walks),
                                                              WalkFindingRow.author == person)
            .values(author=pseudonym))
        for field in (ConcernRow.raised_by, ConcernRow.routed_to, ConcernRow.about):
            s.execute(update(ConcernRow).where(ConcernRow.school_id == school_id, field == person)
                      .values({field.key: pseudonym}))
        for field in (ObjectionRow.teacher, ObjectionRow.observer, ObjectionRow.routed_to):
            s.execute(update(ObjectionRow).where(ObjectionRow.school_id == school_id, field == person)
                      .values({field.key: pseudonym}))
        put(RecordKind.INSTALLATIONS, delete(TeamsConversationRow).where(TeamsConversationRow.school_id == school_id,
                                                                         TeamsConversationRow.chat_id == person))
        # What Slack or Teams sent holds the person's id wherever they acted; rows still at work are left to finish.
        put(RecordKind.INBOX, delete(InboxRow).where(InboxRow.school_id == school_id,
                                                     InboxRow.status.in_(_DONE_WITH),
                                                     InboxRow.request.contains(person, autoescape=True)))
        s.execute(update(SubjectAccessRow).where(SubjectAccessRow.school_id == school_id,
                                                 SubjectAccessRow.person == person).values(person=pseudonym))
        return {kind: n for kind, n in touched.items() if n}


def _naive(moment: datetime | None) -> datetime | None:
    return None if moment is None else moment.astimezone(UTC).replace(tzinfo=None)


def _removed_if_given(word) -> ColumnElement:
    return case((word.is_(None), None), else_=REMOVED)


def _request(row: SubjectAccessRow) -> SubjectAccess:
    return SubjectAccess(id=row.id, school_id=row.school_id, person=row.person, received_on=row.received_on,
                         due_on=row.due_on, answered_on=row.answered_on)


def reseal(session: Session, columns: tuple[str, ...], rotate: Callable[[str], str]) -> int:
    """Every stored credential in slack_sdk's installation tables, opened and sealed again by `rotate` (under the
    first key of a handlers.slack.oauth cipher), in the caller's transaction. How many values were sealed again."""
    count = 0
    for name in ("slack_bots", "slack_installations"):
        present = {c["name"] for c in inspect(session.connection()).get_columns(name)}
        sealed = tuple(c for c in columns if c in present)  # slack_bots holds no user token
        found = table(name, column("id"), *(column(c) for c in sealed))
        for row in session.execute(select(found)).all():
            values = {c: rotate(getattr(row, c)) for c in sealed if getattr(row, c) is not None}
            if values:
                session.execute(update(found).where(found.c.id == row.id).values(**values))
                count += len(values)
    return count
