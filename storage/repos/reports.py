"""Reads for SLT's reports: walks with their findings and rooms, and which visits have a record of dialogue
everyone agreed (SqlVisitRepo.booked_by_teacher gives the visit counts). No note's or record's words are read."""
from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.domain.model import BOOKED_STATUSES, Finding, FindingKind
from bot.ports import WalkFindings
from storage.repos.walks import _walk_from_row
from storage.tables import VisitRecordAgreementRow, VisitRow, VisitVisitorRow, WalkFindingRow, WalkRow

_BOOKED = [s.value for s in BOOKED_STATUSES]


class SqlReportRepo:
    def __init__(self, session: Session):
        self.session = session

    def walk_findings(self, school_id: int, first: date, last: date) -> list[WalkFindings]:
        walks = list(self.session.scalars(
            select(WalkRow).where(WalkRow.school_id == school_id, WalkRow.day >= first, WalkRow.day <= last,
                                  WalkRow.cancelled.is_(False))
            .order_by(WalkRow.day, WalkRow.start_at, WalkRow.id)))
        ids = [w.id for w in walks]
        findings: dict[int, list[Finding]] = defaultdict(list)
        rooms: dict[int, list[str]] = defaultdict(list)
        if ids:
            for r in self.session.scalars(select(WalkFindingRow).where(WalkFindingRow.walk_id.in_(ids))
                                          .order_by(WalkFindingRow.written_at, WalkFindingRow.id)):
                findings[r.walk_id].append(Finding(r.id, r.walk_id, r.author, FindingKind(r.kind), r.text,
                                                   r.written_at))
            for walk_id, teacher in self.session.execute(
                    select(VisitRow.walk_id, VisitRow.teacher)
                    .where(VisitRow.school_id == school_id, VisitRow.walk_id.in_(ids), VisitRow.status.in_(_BOOKED))
                    .order_by(VisitRow.start_at, VisitRow.id)):
                rooms[walk_id].append(teacher)
        return [WalkFindings(_walk_from_row(w), tuple(findings[w.id]), tuple(rooms[w.id])) for w in walks]

    def records_agreed(self, school_id: int, start: datetime, end: datetime) -> list[tuple[str, str | None]]:
        # Agreed by everyone: as many agreements, by people in the visit, as there are people in it.
        visitors = select(VisitVisitorRow.chat_id).where(VisitVisitorRow.visit_id == VisitRow.id)
        agreed = (select(func.count()).where(VisitRecordAgreementRow.visit_id == VisitRow.id,
                                             (VisitRecordAgreementRow.chat_id == VisitRow.teacher)
                                             | VisitRecordAgreementRow.chat_id.in_(visitors))
                  .correlate(VisitRow).scalar_subquery())
        people = (select(func.count()).where(VisitVisitorRow.visit_id == VisitRow.id)
                  .correlate(VisitRow).scalar_subquery() + 1)
        rows = self.session.execute(
            select(VisitRow.teacher, VisitRow.focus)
            .where(VisitRow.school_id == school_id, VisitRow.start_at >= start, VisitRow.start_at < end,
                   VisitRow.record.is_not(None), agreed >= people)
            .order_by(VisitRow.start_at, VisitRow.id))
        return [(teacher, focus) for teacher, focus in rows]
