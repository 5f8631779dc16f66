"""The outbox: notices written with the change that implies them, sent later by the dispatcher.

Delivery bookkeeping: a dispatcher claims rows by setting claimed_by and claimed_until (a lease);
claimed_until also serves as "not before" for a row held back after a 429 or a failed attempt.
A row is claimable when it is pending, due, and its lease or hold has run out (claimed_until <= now).
"""
from __future__ import annotations

import json
import uuid
import zlib
from datetime import UTC, datetime, timedelta
from typing import Iterable

from sqlalchemy import func, or_, select, text, update
from sqlalchemy.orm import Session

from bot.domain.model import Notice, NoticeKind
from bot.errors import NotFound, WrongState
from bot.reply.card import Card, from_data, to_data
from storage.tables import NoticeRow


def _body(card: Card) -> str:
    return json.dumps(to_data(card), ensure_ascii=False)


def _notice_from_row(row: NoticeRow) -> Notice:
    return Notice(
        school_id=row.school_id,
        kind=NoticeKind(row.kind),
        recipient=row.recipient,
        due_at=row.due_at,
        card=from_data(json.loads(row.body)),
        visit_id=row.visit_id,
        walk_id=row.walk_id,
        useful_until=row.useful_until,
        ics=row.ics,
        id=row.id,
        status=row.status,
        sent_at=row.sent_at,
        attempts=row.attempts,
        last_error=row.last_error,
        message_id=row.message_id,
    )


def _claimable(now: datetime, db_now: datetime):
    """Pending, due by `now` (school time, the app's clock), not held back, and nobody's lease running
    by the database's clock: dispatchers whose clocks disagree still agree on who holds what."""
    return (NoticeRow.status == "pending", NoticeRow.due_at <= now,
            or_(NoticeRow.claimed_until.is_(None), NoticeRow.claimed_until <= now),
            or_(NoticeRow.lease_until.is_(None), NoticeRow.lease_until <= db_now))


_SETTLED = {"claimed_by": None, "claim_token": None, "lease_until": None}


class SqlNoticeRepo:
    def __init__(self, session: Session):
        self.session = session

    def add(self, notice: Notice) -> Notice:
        row = NoticeRow(
            school_id=notice.school_id,
            kind=notice.kind,
            recipient=notice.recipient,
            due_at=notice.due_at,
            body=_body(notice.card),
            visit_id=notice.visit_id,
            walk_id=notice.walk_id,
            useful_until=notice.useful_until,
            ics=notice.ics,
            status=notice.status,
            sent_at=notice.sent_at,
        )
        self.session.add(row)
        self.session.flush()
        return _notice_from_row(row)

    def add_once(self, notice: Notice) -> Notice | None:
        """Add it unless a notice of this kind, to this recipient, due at this moment (or deferred from it) was
        written before.

        For periodic jobs, which every walkbot process runs: the first writes, the others find it.
        """
        if self.session.get_bind().dialect.name == "postgresql":
            # Serialise the writers of this kind for this school until commit (SQLite's BEGIN IMMEDIATE already does).
            key = zlib.crc32(f"{notice.school_id}:{notice.kind}".encode())
            self.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
        written = self.written(notice.school_id, notice.kind, notice.recipient, notice.due_at)
        return None if written else self.add(notice)

    def written(self, school_id: int, kind: str, recipient: str, due_at: datetime) -> bool:
        """One of this kind to this recipient, due at `due_at` or later: a notice that was deferred (to the
        next school morning) keeps counting as the one written for its moment."""
        return self.session.scalar(select(NoticeRow.id).where(
            NoticeRow.school_id == school_id, NoticeRow.kind == kind,
            NoticeRow.recipient == recipient, NoticeRow.due_at >= due_at).limit(1)) is not None

    def due(self, until: datetime, limit: int = 100) -> list[Notice]:
        """Pending notices due by `until`, every school, oldest first (ix_notices_status_due_at)."""
        rows = self.session.scalars(
            select(NoticeRow)
            .where(NoticeRow.status == "pending", NoticeRow.due_at <= until)
            .order_by(NoticeRow.due_at, NoticeRow.id)
            .limit(limit)
        )
        return [_notice_from_row(r) for r in rows]

    def next_moment(self, until: datetime) -> datetime | None:
        """The earliest moment, up to `until`, at which some pending notice may be sent (due, and not held)."""
        pending = (NoticeRow.status == "pending", NoticeRow.due_at <= until)
        held = NoticeRow.claimed_until > NoticeRow.due_at
        free_at = self.session.scalar(select(func.min(NoticeRow.due_at)).where(
            *pending, or_(NoticeRow.claimed_until.is_(None), ~held)))
        held_until = self.session.scalar(select(func.min(NoticeRow.claimed_until)).where(*pending, held))
        moments = [m for m in (free_at, held_until) if m is not None and m <= until]
        return min(moments, default=None)

    def db_now(self) -> datetime:
        """The database's clock: PostgreSQL's, shared by every machine; SQLite lives on this one."""
        if self.session.get_bind().dialect.name == "postgresql":
            return self.session.scalar(select(func.clock_timestamp()))
        return datetime.now(UTC)

    def claim(self, now: datetime, worker: str, lease: timedelta, limit: int) -> tuple[str, list[Notice]]:
        """Take up to `limit` claimable notices for `worker`, for `lease` by the database's clock, oldest
        first; returns the claim's token, which recording a notice's outcome must give.

        PostgreSQL skips rows another dispatcher is claiming (FOR UPDATE SKIP LOCKED) and holds the
        rest until commit; SQLite renders no FOR UPDATE but holds its write lock from BEGIN. On both,
        the UPDATE re-checks that each row is still claimable, so a row is never taken twice.
        The ids are fetched first, not in a subquery of the UPDATE: PostgreSQL may re-run such a
        subquery, and with SKIP LOCKED each run finds new rows, so far more than `limit` were taken.
        """
        db_now, token = self.db_now(), uuid.uuid4().hex
        ids = self.session.scalars(
            select(NoticeRow.id).where(*_claimable(now, db_now)).order_by(NoticeRow.due_at, NoticeRow.id)
            .limit(limit).with_for_update(skip_locked=True)).all()
        if not ids:
            return token, []
        rows = self.session.scalars(
            update(NoticeRow)
            .where(NoticeRow.id.in_(ids), *_claimable(now, db_now))
            .values(claimed_by=worker, claim_token=token, lease_until=db_now + lease)
            .returning(NoticeRow)
            .execution_options(synchronize_session=False)
        ).all()
        return token, sorted((_notice_from_row(r) for r in rows), key=lambda n: (n.due_at, n.id))

    def renew(self, notice_ids: Iterable[int], token: str, lease: timedelta) -> set[int]:
        """Extend this claim on these notices by `lease` from now (the database's clock); the ids still held."""
        db_now = self.db_now()
        held = self.session.scalars(
            update(NoticeRow)
            .where(NoticeRow.id.in_(list(notice_ids)), NoticeRow.claim_token == token, NoticeRow.lease_until > db_now)
            .values(lease_until=db_now + lease).returning(NoticeRow.id)
            .execution_options(synchronize_session=False)).all()
        return set(held)

    def _set(self, notice_id: int, token: str | None, **values) -> bool:
        """Record an outcome. With a claim's `token`, only while that claim is the notice's: False if another
        dispatcher has taken it since (its lease ran out), and nothing is changed."""
        which = [NoticeRow.id == notice_id] + ([NoticeRow.claim_token == token] if token else [])
        result = self.session.execute(update(NoticeRow).where(*which).values(**values))
        if result.rowcount == 0 and token is None:
            raise NotFound(f"There is no notice number {notice_id}.")
        return result.rowcount == 1

    def mark_sent(self, notice_id: int, at: datetime, message_id: str | None = None, *,
                  token: str | None = None) -> bool:
        return self._set(notice_id, token, status="sent", sent_at=at, message_id=message_id, claimed_until=None,
                         **_SETTLED)

    def mark_failed(self, notice_id: int, error: str, *, token: str | None = None) -> bool:
        return self._set(notice_id, token, status="failed", last_error=error, claimed_until=None, **_SETTLED)

    def mark_expired(self, notice_id: int, reason: str, *, token: str | None = None) -> bool:
        return self._set(notice_id, token, status="expired", last_error=reason, claimed_until=None, **_SETTLED)

    def hold(self, notice_id: int, until: datetime, error: str, *, attempt_failed: bool,
             token: str | None = None) -> bool:
        """Not before `until` (Retry-After, or back-off after a failed attempt); the claim is given back."""
        values = {"claimed_until": until, "last_error": error, **_SETTLED}
        if attempt_failed:
            values["attempts"] = NoticeRow.attempts + 1
        return self._set(notice_id, token, **values)

    def defer(self, notice_id: int, due_at: datetime, *, token: str | None = None) -> bool:
        """Due later (the next school morning); the claim is given back."""
        return self._set(notice_id, token, due_at=due_at, claimed_until=None, **_SETTLED)

    def release(self, notice_ids: Iterable[int], token: str) -> None:
        """Give back what this claim will not get to, so another dispatcher may take it at once."""
        self.session.execute(update(NoticeRow).where(NoticeRow.id.in_(list(notice_ids)), NoticeRow.claim_token == token)
                             .values(**_SETTLED))

    def retry(self, notice_id: int, now: datetime) -> Notice:
        """A failed or expired notice, pending again and due now: someone asked for it to go after all."""
        row = self.session.get(NoticeRow, notice_id)
        if row is None:
            raise NotFound(f"There is no notice number {notice_id}.")
        if row.status not in ("failed", "expired"):
            raise WrongState(f"Notice {notice_id} is {row.status}; only failed or expired notices can be retried.")
        row.status, row.due_at, row.useful_until, row.attempts = "pending", now, None, 0
        row.claimed_by = row.claimed_until = row.claim_token = row.lease_until = None
        self.session.flush()
        return _notice_from_row(row)

    def listing(self, statuses: Iterable[str], limit: int = 200) -> list[Notice]:
        rows = self.session.scalars(
            select(NoticeRow).where(NoticeRow.status.in_(list(statuses)))
            .order_by(NoticeRow.due_at, NoticeRow.id).limit(limit))
        return [_notice_from_row(r) for r in rows]

    def supersede(self, *, visit_id: int | None = None, walk_id: int | None = None,
                  kinds: Iterable[str] | None = None) -> int:
        """Mark superseded the pending notices about this visit or this walk (only `kinds`, if given)."""
        about = []
        if visit_id is not None:
            about.append(NoticeRow.visit_id == visit_id)
        if walk_id is not None:
            about.append(NoticeRow.walk_id == walk_id)
        if not about:
            raise ValueError("supersede() needs a visit_id or a walk_id")
        which = [NoticeRow.status == "pending", or_(*about)]
        if kinds is not None:
            which.append(NoticeRow.kind.in_(sorted(kinds)))
        result = self.session.execute(update(NoticeRow).where(*which).values(status="superseded"))
        return result.rowcount
