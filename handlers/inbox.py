"""The inbox: each request a chat platform sends is kept in the database before it is acknowledged, and
worked from there — by threads of the process that acknowledged it, or by `walkbot work` processes — so a
process that dies after its ack loses nothing: after a restart the work is done and the person answered.

A request's work and the answer it gives are committed in one transaction (storage.db.Store.request), then
the answer is sent and the request marked answered. A worker that dies mid-work leaves nothing behind (its
transaction is rolled back; another worker takes the request); one that dies after the work and before the
answer leaves an answer that the next worker to look sends. The platform's own id for a request is its key:
a retry of it is dropped, in any process.

Each surface says how to work and answer its requests (Surface); this module holds the loop.
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

from bot.errors import Unavailable, WalkbotError
from storage.db import Store
from storage.repos.inbox import NOTIFY_CHANNEL, Kept  # Kept: what a surface is given, a request as kept
from storage.uow import UNAVAILABLE

__all__ = ["AnswerLater", "Call", "Inbox", "Kept", "Surface"]

log = logging.getLogger("walkbot.inbox")

# How often an idle worker looks for requests another process kept (or answers a platform did not take).
POLL_SECONDS = 1.0

Call = dict[str, Any]  # one call to the platform that answers a request, as data (see the surfaces)


class AnswerLater(Exception):
    """The platform could not take an answer just now (unreachable, rate-limited): it is tried again."""


class Surface(Protocol):
    name: str

    def work(self, item: Kept) -> list[Call]:
        """Do what the request asks, inside the request's transaction; the calls that answer it."""

    def sorry(self, item: Kept) -> list[Call]:
        """The answer when the work keeps failing."""

    def answer(self, item: Kept, calls: list[Call]) -> None:
        """Make the calls. Raise AnswerLater to have them made again later."""


class Inbox:
    def __init__(self, store: Store, surface: Surface, *, threads: int = 2, poll: float = POLL_SECONDS):
        self.store, self.surface, self.threads, self.poll = store, surface, threads, poll
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._workers: list[threading.Thread] = []
        self._answering: set[int] = set()  # on SQLite nothing else stops two threads answering one request
        self._guard = threading.Lock()
        self._postgres = store.engine.dialect.name == "postgresql"

    # --- at the ack -------------------------------------------------------------------------------------------

    def keep(self, key: str, school_id: int | None, request: dict[str, Any]) -> bool:
        """Store a request before its ack (False: a retry of one kept already). Raises Unavailable when the
        database is out of reach: then the ack must say "try again", as nothing was kept."""
        with self.store.uow() as uow:
            new = uow.inbox.add(self.surface.name, key, school_id, request)
            uow.commit()
        self._wake.set()
        return new

    # --- the workers ----------------------------------------------------------------------------------------

    def start(self) -> Callable[[], None]:
        """Start the worker threads; returns what stops them."""
        self._stop.clear()
        self._workers = [threading.Thread(target=self._run, name=f"walkbot-inbox-{n}", daemon=True)
                         for n in range(self.threads)]
        if self._postgres:
            self._workers.append(threading.Thread(target=self._listen, name="walkbot-inbox-listen", daemon=True))
        for worker in self._workers:
            worker.start()
        return self.stop

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        for worker in self._workers:
            worker.join(timeout=10)
        self._workers = []

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                busy = self.work_one()
                busy = self.answer_one() or busy
            except WalkbotError:  # the database is out of reach: wait, then look again
                log.warning("the inbox cannot reach the database; trying again in %.0f s", self.poll)
                busy = False
            except Exception:
                log.exception("the inbox worker failed; carrying on")
                busy = False
            if not busy:
                self._wake.wait(self.poll)
                self._wake.clear()

    def _listen(self) -> None:
        """PostgreSQL: wake the workers when any process keeps a request (LISTEN/NOTIFY), not a poll later."""
        while not self._stop.is_set():
            try:
                raw = self.store.engine.raw_connection()
                try:
                    conn = raw.driver_connection
                    conn.autocommit = True
                    conn.execute(f"LISTEN {NOTIFY_CHANNEL}")
                    while not self._stop.is_set():
                        for _ in conn.notifies(timeout=self.poll, stop_after=1):
                            self._wake.set()
                finally:
                    raw.invalidate()  # never handed back to the pool still listening
            except Exception:
                log.warning("the inbox lost its database notifications; polling until they are back")
                self._stop.wait(self.poll)

    def drain(self, timeout: float = 30.0) -> None:
        """Work and answer everything waiting, in this thread (tests, and `walkbot work --once`)."""
        until = time.monotonic() + timeout
        while (self.work_one() or self.answer_one()) and time.monotonic() < until:
            pass

    def work_one(self) -> bool:
        """Work the oldest waiting request, if any; then answer it. True if there was one."""
        item, careful = None, False
        try:
            while True:
                with self.store.request(careful=careful) as uow:
                    taken = uow.inbox.next_to_work(self.surface.name, item.id if item else None)
                    if taken is None:  # none waits; or, taken again, another worker took it meanwhile and answers it
                        return item is not None
                    item = taken
                    calls = self.surface.work(item)
                    if uow.unreachable:  # the use case told the person "try again": the inbox tries again instead
                        raise Unavailable(UNAVAILABLE)
                    if not uow.spoiled:
                        uow.inbox.worked(item, calls)
                        uow.commit()
                        break
                careful = True  # a part that failed had written with no savepoint (storage.uow): again, carefully
        except WalkbotError:
            raise  # the database: the request stays as it was, for the next look
        except Exception:  # a bug: the work is undone with the transaction; the attempt is counted
            log.exception("working on inbox request %s failed (attempt %s)", item.id if item else "?",
                          item.attempts + 1 if item else "?")
            if item is None:
                raise
            with self.store.uow() as uow:
                uow.inbox.failed_attempt(item.id, self.surface.sorry(item))
                uow.commit()
        self._answer(item.id)
        return True

    def answer_one(self) -> bool:
        """Send the oldest answer still unsent (its worker died, or the platform could not take it)."""
        with self.store.uow() as uow:
            item = uow.inbox.next_to_answer(self.surface.name)
        return item is not None and self._answer(item.id)

    def _answer(self, item_id: int) -> bool:
        with self._guard:
            if item_id in self._answering:
                return False
            self._answering.add(item_id)
        try:
            # On PostgreSQL the row is held while its answer goes, so no other process sends it too; on
            # SQLite that would hold every writer back for as long, and one process is all it serves.
            with self.store.uow() as uow:
                item = uow.inbox.hold_worked(item_id)
                if item is None:
                    return False
                if not self._postgres:
                    uow.session.rollback()  # let go of SQLite's write lock while the platform is called
                try:
                    self.surface.answer(item, item.answer or [])
                except AnswerLater as why:
                    log.warning("the answer to inbox request %s could not be sent yet: %s", item.id, why)
                    return False
                except Exception:  # the platform refused it for good: trying again would be refused again
                    log.exception("the answer to inbox request %s could not be sent", item.id)
                uow.inbox.answered(item)
                uow.commit()
            return True
        finally:
            with self._guard:
                self._answering.discard(item_id)

