"""The outbox: notices written with the change that implies them, sent later by the dispatcher.

Delivery bookkeeping: a dispatcher claims rows by setting claimed_by, claim_token and lease_until (a lease,
by the database's clock); claimed_until is "not before" for a row held back after a 429 or a failed attempt.
A row is claimable when it is pending, due, its lease and hold have run out, and no earlier notice to the
same person is waiting on a lease or a hold (each person's notices go in order).
"""
from __future__ import annotations

import json
import uuid
import zlib
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Iterable, Mapping

from sqlalchemy import Select, and_, case, exists, func, insert, literal, null, or_, select, text, update
from sqlalchemy.orm import Session, aliased

from bot.domain.model import Notice, NoticeKind, Role
from bot.errors import NotFound, WrongState
from bot.reply.card import Card, from_data, to_data
from storage.tables import NoticeRow, StaffRow

if TYPE_CHECKING:  # pragma: no cover
    from bot.notices.delivery import Outcome


def _columns(notice: Notice) -> dict:
    return dict(school_id=notice.school_id, kind=notice.kind, recipient=notice.recipient, due_at=notice.due_at,
                body=_body(notice.card), visit_id=notice.visit_id, walk_id=notice.walk_id,
                useful_until=notice.useful_until, ics=notice.ics, status=notice.status, sent_at=notice.sent_at)


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


def _free(row, now: datetime, db_now: datetime):
    """Not held back (by the app's clock) and nobody's lease running (by the database's clock: dispatchers
    whose clocks disagree still agree on who holds what)."""
    return (or_(row.claimed_until.is_(None), row.claimed_until <= now),
            or_(row.lease_until.is_(None), row.lease_until <= db_now))


def _pending_free(row, now: datetime, db_now: datetime):
    """Pending, due by `now` (school time, the app's clock) and free."""
    return (row.status == "pending", row.due_at <= now, *_free(row, now, db_now))


def _earlier():
    return aliased(NoticeRow, name="earlier")


def _before(earlier):
    """`earlier` is a pending notice to the same person, in the same school, that goes before this one."""
    return (earlier.school_id == NoticeRow.school_id, earlier.recipient == NoticeRow.recipient,
            earlier.status == "pending",
            or_(earlier.due_at < NoticeRow.due_at, and_(earlier.due_at == NoticeRow.due_at, earlier.id < NoticeRow.id)))


_SETTLED = {"claimed_by": None, "claim_token": None, "lease_until": None}
_CLAIMING = zlib.crc32(b"walkbot:notices:claim")  # the advisory lock claims are made under, one at a time


# Staff.is_slt, as stored: SLT, admin, or head (which implies SLT, and is stored with it since; not always before).
_SLT_ROLES = (Role.SLT, Role.ADMIN, Role.HEAD)
_ONE_MORE = object()  # attempts + 1, in an outcome's columns


def _outcome_columns(outcome: Outcome) -> dict[str, object]:
    """The columns an outcome sets: a claim given back, and what it says."""
    columns: dict[str, object] = dict(_SETTLED)
    if outcome.status != "pending":  # sent, failed or expired: settled for good
        columns.update(status=outcome.status, claimed_until=None)
        if outcome.status == "sent":
            columns.update(sent_at=outcome.sent_at, message_id=outcome.message_id)
        else:
            columns["last_error"] = outcome.error
    elif outcome.due_at is not None:  # deferred
        columns.update(due_at=outcome.due_at, claimed_until=None)
    elif outcome.not_before is not None:  # held back
        columns.update(claimed_until=outcome.not_before, last_error=outcome.error)
        if outcome.waiting_for is not None:
            columns["waiting_for"] = outcome.waiting_for
        if outcome.attempt_failed:
            columns["attempts"] = _ONE_MORE
    return columns


def _value(column, value):
    if value is _ONE_MORE:
        return column + 1
    return null() if value is None else literal(value, column.type)


class SqlNoticeRepo:
    def __init__(self, session: Session):
        self.session = session

    def add(self, notice: Notice) -> Notice:
        row = NoticeRow(**_columns(notice))
        self.session.add(row)
        self.session.flush()
        return _notice_from_row(row)

    def add_all(self, notices: Iterable[Notice]) -> None:
        """All of a change's notices in one multi-row INSERT. Given as many rows, not as `.values(rows)`, so the
        statement is compiled once a process (SQLAlchemy's insertmanyvalues, which RETURNING selects, writes the
        rows into one INSERT) rather than once a change."""
        rows = [_columns(notice) for notice in notices]
        if rows:
            table = NoticeRow.__table__
            self.session.execute(insert(table).returning(table.c.id), rows)

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

    def digests_missing(self, kind: str, moments: Mapping[int, datetime]) -> list[tuple[int, str]]:
        """(school id, chat id) of each active SLT member of these schools with no notice of this kind due at or
        after the school's moment (as `written`): in one query, however many schools, so a periodic job that
        finds its work done costs one statement."""
        if not moments:
            return []
        moment = case({school_id: literal(at, NoticeRow.due_at.type) for school_id, at in moments.items()},
                      value=StaffRow.school_id)
        roles = literal(",") + StaffRow.roles + literal(",")  # comma-joined Role values
        written = exists().where(NoticeRow.school_id == StaffRow.school_id, NoticeRow.kind == kind,
                                 NoticeRow.recipient == StaffRow.chat_id, NoticeRow.due_at >= moment)
        return [(school_id, chat_id) for school_id, chat_id in self.session.execute(
            select(StaffRow.school_id, StaffRow.chat_id).where(
                StaffRow.school_id.in_(sorted(moments)), StaffRow.active.is_(True),
                or_(*(roles.like(f"%,{role},%") for role in _SLT_ROLES)), ~written)
            .order_by(StaffRow.school_id, StaffRow.chat_id))]

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
        earlier = _earlier()  # one behind a held notice to the same person goes after it, not at its due time
        behind_held = exists().where(*_before(earlier), earlier.claimed_until > NoticeRow.due_at)
        free_at = self.session.scalar(select(func.min(NoticeRow.due_at)).where(
            *pending, or_(NoticeRow.claimed_until.is_(None), ~held), ~behind_held))
        held_until = self.session.scalar(select(func.min(NoticeRow.claimed_until)).where(*pending, held))
        moments = [m for m in (free_at, held_until) if m is not None and m <= until]
        return min(moments, default=None)

    def db_now(self) -> datetime:
        """The database's clock: PostgreSQL's, shared by every machine; SQLite lives on this one."""
        if self.session.get_bind().dialect.name == "postgresql":
            return self.session.scalar(select(func.clock_timestamp()))
        return datetime.now(UTC)

    def claim(self, now: datetime, worker: str, lease: timedelta, limit: int, *,
              skip_schools: Iterable[int] = ()) -> tuple[str, list[Notice]]:
        """Take up to `limit` claimable notices for `worker`, for `lease` by the database's clock, oldest
        first, none of `skip_schools` (their installation said to wait); returns the claim's token, which
        recording a notice's outcome must give.

        Claims are made one at a time: on PostgreSQL under a transaction's advisory lock, on SQLite under the
        write lock it takes from BEGIN. So a claim sees every earlier claim's leases, and never takes a
        person's later notices while another claim is taking their earlier ones. PostgreSQL still skips rows
        a change is holding (FOR UPDATE SKIP LOCKED) and holds the rest until commit, and the UPDATE re-checks
        that each row is still claimable, so a row is never taken twice. The ids are fetched first, not in a
        subquery of the UPDATE: PostgreSQL may re-run such a subquery, and with SKIP LOCKED each run finds
        new rows, so far more than `limit` were taken.
        """
        if self.session.get_bind().dialect.name == "postgresql":
            self.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _CLAIMING})
        db_now, token = self.db_now(), uuid.uuid4().hex
        ids = self._claimable(now, db_now, limit, sorted(skip_schools))
        if not ids:
            return token, []
        ids = self.session.scalars(select(NoticeRow.id).where(NoticeRow.id.in_(ids))
                                   .with_for_update(skip_locked=True)).all()
        rows = self.session.scalars(
            update(NoticeRow)
            .where(NoticeRow.id.in_(ids), *_pending_free(NoticeRow, now, db_now))
            .values(claimed_by=worker, claim_token=token, lease_until=db_now + lease)
            .returning(NoticeRow)
            .execution_options(synchronize_session=False)
        ).all()
        return token, sorted((_notice_from_row(r) for r in rows), key=lambda n: (n.due_at, n.id))

    def _claimable(self, now: datetime, db_now: datetime, limit: int, skip_schools: list[int]) -> list[int]:
        """The first `limit` notices free to send, oldest first, skipping any that waits behind an earlier notice to
        the same person (in the same school) that is still pending and not free: leased to another dispatcher (or
        to one that died), or held after a 429 or a failed attempt. Sending it first would put the person's
        messages out of order. A failed, expired or superseded notice blocks nothing; a lease runs out, a hold
        ends and failed attempts are counted to a limit, so nothing waits for ever.

        Those not free are few (what is in flight, and what is held), so they are read first and each person's
        first one kept; the free ones are then read in order until enough are found. Under the claim's lock no
        notice becomes not free meanwhile: only a claim makes one so, or its holder, which had it leased already."""
        stuck: dict[tuple[int, str], tuple[datetime, int]] = {}
        for school_id, recipient, due_at, notice_id in self.session.execute(
                select(NoticeRow.school_id, NoticeRow.recipient, NoticeRow.due_at, NoticeRow.id)
                .where(NoticeRow.status == "pending", ~and_(*_free(NoticeRow, now, db_now)))):
            first = stuck.get((school_id, recipient))
            if first is None or (due_at, notice_id) < first:
                stuck[(school_id, recipient)] = (due_at, notice_id)
        ids: list[int] = []
        free = self.session.execute(
            select(NoticeRow.id, NoticeRow.school_id, NoticeRow.recipient, NoticeRow.due_at)
            .where(*_pending_free(NoticeRow, now, db_now),
                   *([NoticeRow.school_id.not_in(skip_schools)] if skip_schools else []))
            .order_by(NoticeRow.due_at, NoticeRow.id)
            .execution_options(yield_per=max(limit, 100)))
        try:
            for notice_id, school_id, recipient, due_at in free:
                first = stuck.get((school_id, recipient))
                if first is None or (due_at, notice_id) < first:
                    ids.append(notice_id)
                    if len(ids) == limit:
                        break
        finally:
            free.close()
        return ids

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

    def settle(self, outcomes: Iterable[Outcome], token: str) -> set[int]:
        """Record what became of these notices (bot.notices.delivery.Outcome), all in one UPDATE, only where the
        claim `token` is still the notice's; the ids recorded. A column that differs between them is set by
        a CASE on the id."""
        changes = {outcome.notice_id: _outcome_columns(outcome) for outcome in outcomes}
        if not changes:
            return set()
        values = {}
        for name in sorted(set().union(*changes.values())):
            column = getattr(NoticeRow, name)
            given = {notice_id: change[name] for notice_id, change in changes.items() if name in change}
            if len(given) == len(changes) and len(set(given.values())) == 1:
                values[name] = _value(column, next(iter(given.values())))
            else:
                values[name] = case({notice_id: _value(column, value) for notice_id, value in given.items()},
                                    value=NoticeRow.id, else_=column)
        return set(self.session.scalars(
            update(NoticeRow).where(NoticeRow.id.in_(list(changes)), NoticeRow.claim_token == token)
            .values(**values).returning(NoticeRow.id).execution_options(synchronize_session=False)))

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

    def get(self, notice_id: int) -> Notice | None:
        row = self.session.get(NoticeRow, notice_id)
        return _notice_from_row(row) if row else None

    def wait_for(self, notice_id: int, reach: str, until: datetime, error: str, *, token: str | None = None) -> bool:
        """Not before `until`: walkbot cannot reach the recipient yet (why: `reach`, a bot.notices.delivery.Reach).
        No attempt is counted, and the claim is given back."""
        return self._set(notice_id, token, claimed_until=until, last_error=error, waiting_for=reach, **_SETTLED)

    def waiting(self, school_id: int) -> list[tuple[str, str]]:
        """Whom this school's pending notices wait to reach, and why: (recipient, reach), each pair once."""
        return sorted((row.recipient, row.waiting_for) for row in self.session.execute(waiting_read(school_id)))

    def reached(self, school_id: int, recipient: str) -> int:
        """walkbot can reach this recipient now (walkbot was installed for them): what waited for that goes at the
        next dispatch, not at its next hourly try. How many notices were waiting."""
        done = self.session.execute(update(NoticeRow).where(
            NoticeRow.school_id == school_id, NoticeRow.recipient == recipient, NoticeRow.status == "pending",
            NoticeRow.waiting_for.is_not(None)).values(waiting_for=None, claimed_until=None))
        return done.rowcount

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

    def sent_message(self, school_id: int, visit_id: int, recipient: str, message_id: str) -> bool:
        """Whether walkbot sent `recipient` a notice about this visit as the message `message_id`
        (ix_notices_visit_id): a message a surface may update in place for them."""
        return self.session.scalar(select(NoticeRow.id).where(
            NoticeRow.visit_id == visit_id, NoticeRow.school_id == school_id, NoticeRow.recipient == recipient,
            NoticeRow.message_id == message_id, NoticeRow.status == "sent").limit(1)) is not None

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


def waiting_read(school_id: int) -> Select:
    """SqlNoticeRepo.waiting's read, for storage.repos.glance: (recipient, waiting_for) pairs, each once."""
    return (select(NoticeRow.recipient, NoticeRow.waiting_for).where(
        NoticeRow.school_id == school_id, NoticeRow.status == "pending", NoticeRow.waiting_for.is_not(None))
        .distinct())
