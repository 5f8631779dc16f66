"""Private calendar feeds: a hash of each person's token (storage.tables.CalendarFeedRow)."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.ports import CalendarFeed
from storage.tables import CalendarFeedRow


def _feed(row: CalendarFeedRow) -> CalendarFeed:
    return CalendarFeed(row.school_id, row.chat_id, row.token_hash, row.created_at)


class SqlCalendarFeedRepo:
    def __init__(self, session: Session):
        self.session = session

    def _row(self, school_id: int, chat_id: str) -> CalendarFeedRow | None:
        return self.session.scalar(select(CalendarFeedRow).where(CalendarFeedRow.school_id == school_id,
                                                                 CalendarFeedRow.chat_id == chat_id))

    def of_person(self, school_id: int, chat_id: str) -> CalendarFeed | None:
        row = self._row(school_id, chat_id)
        return _feed(row) if row else None

    def by_hash(self, token_hash: str) -> CalendarFeed | None:
        row = self.session.scalar(select(CalendarFeedRow).where(CalendarFeedRow.token_hash == token_hash))
        return _feed(row) if row else None

    def replace(self, feed: CalendarFeed) -> None:
        row = self._row(feed.school_id, feed.chat_id)
        if row is None:
            row = CalendarFeedRow(school_id=feed.school_id, chat_id=feed.chat_id)
            self.session.add(row)
        row.token_hash, row.created_at = feed.token_hash, feed.created_at
        self.session.flush()
