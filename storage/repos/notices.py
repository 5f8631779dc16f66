"""The outbox: notices written with the change that implies them, sent later by the dispatcher."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from bot.errors import NotFound
from bot.model import Notice
from storage.tables import NoticeRow


def _notice_from_row(row: NoticeRow) -> Notice:
    return Notice(
        school_id=row.school_id,
        kind=row.kind,
        recipient=row.recipient,
        due_at=row.due_at,
        text=row.text,
        visit_id=row.visit_id,
        walk_id=row.walk_id,
        id=row.id,
        status=row.status,
        sent_at=row.sent_at,
    )


class SqlNoticeRepo:
    def __init__(self, session: Session):
        self.session = session

    def add(self, notice: Notice) -> Notice:
        row = NoticeRow(
            school_id=notice.school_id,
            kind=notice.kind,
            recipient=notice.recipient,
            due_at=notice.due_at,
            text=notice.text,
            visit_id=notice.visit_id,
            walk_id=notice.walk_id,
            status=notice.status,
            sent_at=notice.sent_at,
        )
        self.session.add(row)
        self.session.flush()
        return _notice_from_row(row)

    def due(self, until: datetime, limit: int = 100) -> list[Notice]:
        """Pending notices due by `until`, every school, oldest first (ix_notices_status_due_at)."""
        rows = self.session.scalars(
            select(NoticeRow)
            .where(NoticeRow.status == "pending", NoticeRow.due_at <= until)
            .order_by(NoticeRow.due_at, NoticeRow.id)
            .limit(limit)
        )
        return [_notice_from_row(r) for r in rows]

    def mark_sent(self, notice_id: int, at: datetime, message_id: str | None = None) -> None:
        row = self.session.get(NoticeRow, notice_id)
        if row is None:
            raise NotFound(f"There is no notice number {notice_id}.")
        row.status, row.sent_at, row.message_id = "sent", at, message_id
        self.session.flush()

    def supersede(self, *, visit_id: int | None = None, walk_id: int | None = None) -> int:
        """Mark superseded the pending notices about this visit or this walk; returns how many."""
        about = []
        if visit_id is not None:
            about.append(NoticeRow.visit_id == visit_id)
        if walk_id is not None:
            about.append(NoticeRow.walk_id == walk_id)
        if not about:
            raise ValueError("supersede() needs a visit_id or a walk_id")
        result = self.session.execute(
            update(NoticeRow).where(NoticeRow.status == "pending", or_(*about)).values(status="superseded")
        )
        return result.rowcount
