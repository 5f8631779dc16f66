"""Which process of a deployment runs the periodic jobs: the one holding the lead on its database.

Every walkbot process (each `walkbot serve`, `walkbot teams serve`, `walkbot dispatch`) schedules the periodic
jobs; only the leader runs them, so their reads are made once per deployment, not once per process.

- PostgreSQL: a session's advisory lock, held on a connection of its own for as long as the process lives. It
  is the database's to release: a process that dies, or loses its connection, loses the lead, and the next
  process to ask takes it. The key is the schema's, so deployments (or tests) sharing a database each have one.
- SQLite: an exclusive lock on a file beside the database, which the system releases when the process ends.
  An in-memory database has one process by nature.
"""
from __future__ import annotations

import fcntl
import logging
import os
import threading

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError

log = logging.getLogger("walkbot.leader")

_TAKE = text("SELECT pg_try_advisory_lock(hashtext('walkbot:periodic:' || current_schema()))")


class Leadership:
    def __init__(self, engine: Engine):
        self.engine = engine
        self._held: Connection | int | None = None  # PostgreSQL's connection, or SQLite's file descriptor
        self._lock = threading.Lock()

    def holds(self) -> bool:
        """Whether this process leads: taken now if free, still held if taken before."""
        with self._lock:
            if self.engine.dialect.name == "postgresql":
                return self._postgresql()
            return self._sqlite()

    def _postgresql(self) -> bool:
        try:
            if self._held is not None:
                self._held.execute(text("SELECT 1"))  # still connected, so still holding it
                return True
            connection = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            if connection.scalar(_TAKE):
                self._held = connection
                log.info("this process runs the periodic jobs")
                return True
            connection.close()
            return False
        except DBAPIError:  # the connection went, and the lock with it: asked again at the next run
            self._drop()
            return False

    def _sqlite(self) -> bool:
        database = self.engine.url.database
        if not database or database == ":memory:":
            return True
        if self._held is None:
            fd = os.open(f"{database}.lead", os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                os.close(fd)
                return False
            self._held = fd
        return True

    def _drop(self) -> None:
        held, self._held = self._held, None
        if isinstance(held, Connection):
            try:  # given back to the pool, so unlocked first: the lock is the session's, not the transaction's
                held.execute(text("SELECT pg_advisory_unlock_all()"))
                held.close()
            except DBAPIError:
                held.invalidate()
        elif isinstance(held, int):
            os.close(held)

    def close(self) -> None:
        """Give the lead up (the process is stopping): another process takes it at its next run."""
        with self._lock:
            self._drop()
