"""The inbox's rows (handlers.inbox): requests kept from before their ack until worked and answered.

A row goes pending → worked (the work, and the answer it gives, committed in one transaction) → answered
(the answer reached the platform). A worker holds the row it works on with FOR UPDATE SKIP LOCKED on
PostgreSQL, so no two workers take one request and a worker that dies lets go of it with its connection;
on SQLite every transaction is BEGIN IMMEDIATE, which already lets one in at a time.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, func, select, true, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from storage.repos.schools import version_read
from storage.tables import InboxRow, SchoolRow

NOTIFY_CHANNEL = "walkbot_inbox"  # what workers LISTEN on (handlers.inbox)
# A request whose work fails this many times (a bug, not the database) is given up and its person told.
MOST_ATTEMPTS = 3


@dataclass(frozen=True)
class Kept:
    id: int
    surface: str
    school_id: int | None
    request: dict[str, Any]
    attempts: int
    answer: list[dict[str, Any]] | None = None


# Every request costs the inbox a few statements (kept, taken, worked, answered): each is built once, here, in
# Core over the table, so a request pays neither building it nor the ORM's bookkeeping, only its values.
_INBOX = InboxRow.__table__
_ROW = tuple(_INBOX.c[name] for name in ("id", "surface", "school_id", "request", "attempts", "answer"))
_PENDING = _INBOX.c.status == "pending"


def _keep(dialect: str):
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    wake = (func.pg_notify(NOTIFY_CHANNEL, ""),) if dialect == "postgresql" else ()
    return (insert(_INBOX).values(status="pending", **{name: bindparam(name) for name in
                                                       ("surface", "key", "school_id", "request", "received_at")})
            .on_conflict_do_nothing(index_elements=["surface", "key"]).returning(_INBOX.c.id, *wake))


_KEEP = {dialect: _keep(dialect) for dialect in ("postgresql", "sqlite")}
_OLDEST = (select(*_ROW).where(_INBOX.c.surface == bindparam("surface"), _INBOX.c.status == bindparam("status"))
           .order_by(_INBOX.c.id).limit(1).with_for_update(skip_locked=True))


def _to_work(one: bool):
    which = _INBOX.c.id == bindparam("item_id") if one else true()
    return (select(*_ROW, SchoolRow.updated_at).outerjoin(SchoolRow, SchoolRow.id == _INBOX.c.school_id)
            .where(_INBOX.c.surface == bindparam("surface"), _PENDING, which)
            .order_by(_INBOX.c.id).limit(1).with_for_update(of=_INBOX, skip_locked=True))


_TO_WORK = {one: _to_work(one) for one in (False, True)}
_HOLD_WORKED = (select(*_ROW).where(_INBOX.c.id == bindparam("item_id"), _INBOX.c.status == "worked")
                .with_for_update(skip_locked=True))
_WORKED = (update(_INBOX).where(_INBOX.c.id == bindparam("item_id"))
           .values(status="worked", answer=bindparam("answer"), attempts=bindparam("attempts"),
                   worked_at=bindparam("at")))
# The answer is forgotten once given: it may hold what no one should find later (a calendar feed's address).
_ANSWERED = (update(_INBOX).where(_INBOX.c.id == bindparam("item_id"))
             .values(status="answered", answer=None, answered_at=bindparam("at")))


def _kept(row) -> Kept:
    return Kept(row.id, row.surface, row.school_id, json.loads(row.request), row.attempts,
                json.loads(row.answer) if row.answer is not None else None)


class SqlInboxRepo:
    def __init__(self, session: Session):
        self.session = session

    def add(self, surface: str, key: str, school_id: int | None, request: dict[str, Any]) -> bool:
        """Keep a request; False when the platform sent this one before (a retry), which is kept already.
        On PostgreSQL the same statement wakes every process's workers (NOTIFY, sent when this commits)."""
        connection = self.session.connection()
        stored = connection.execute(_KEEP[connection.dialect.name], dict(
            surface=surface, key=key, school_id=school_id, request=json.dumps(request, ensure_ascii=False),
            received_at=datetime.now(UTC)))
        return stored.first() is not None

    def next_to_work(self, surface: str, item_id: int | None = None) -> Kept | None:
        """The oldest request waiting to be worked (or this one, if it still waits), held until this transaction
        ends. Its school's version is read with it, so the request's own reads of the school
        (storage.repos.schools) cost no statement more."""
        found = self.session.connection().execute(_TO_WORK[item_id is not None],
                                                  dict(surface=surface, item_id=item_id)).first()
        if found is None:
            return None
        if found.updated_at is not None:
            version_read(self.session, found.school_id, found.updated_at)
        return _kept(found)

    def next_to_answer(self, surface: str) -> Kept | None:
        """The oldest request worked and not yet answered, held until this transaction ends."""
        row = self.session.connection().execute(_OLDEST, dict(surface=surface, status="worked")).first()
        return _kept(row) if row else None

    def hold_worked(self, item_id: int) -> Kept | None:
        """The request, if it is worked and unanswered and no one else holds it; held until this transaction ends
        (on PostgreSQL: SQLite has no row locks)."""
        row = self.session.connection().execute(_HOLD_WORKED, dict(item_id=item_id)).first()
        return _kept(row) if row else None

    def worked(self, item: Kept, answer: list[dict[str, Any]]) -> None:
        self.session.connection().execute(_WORKED, dict(item_id=item.id, answer=json.dumps(answer, ensure_ascii=False),
                                                        attempts=item.attempts + 1, at=datetime.now(UTC)))

    def answered(self, item: Kept) -> None:
        self.session.connection().execute(_ANSWERED, dict(item_id=item.id, at=datetime.now(UTC)))

    def failed_attempt(self, item_id: int, sorry: list[dict[str, Any]]) -> None:
        """Count a failed attempt at the work; at the last, the request is given up and `sorry` is its answer."""
        row = self.session.scalar(select(InboxRow).where(InboxRow.id == item_id, InboxRow.status == "pending")
                                  .with_for_update())
        if row is None:  # another worker took it meanwhile
            return
        row.attempts += 1
        if row.attempts >= MOST_ATTEMPTS:
            row.status, row.answer, row.worked_at = "worked", json.dumps(sorry), datetime.now(UTC)
        self.session.flush()

    def waiting(self, surface: str) -> int:
        """How many requests wait to be worked or answered: for tests and the operator."""
        return self.session.scalar(select(func.count()).select_from(InboxRow).where(
            InboxRow.surface == surface, InboxRow.status.in_(("pending", "worked"))))
