"""Opening the database: engine settings per backend, migrations, and the unit-of-work factory."""
from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from sqlalchemy import Engine, create_engine, event, exc
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import sessionmaker

from storage.migrate import migrate
from storage.uow import PartOfRequest, SqlAlchemyUnitOfWork, watch_writes

SQLITE_BUSY_SECONDS = 30
IDLE_PING_SECONDS = 10.0  # a pooled connection idle this long is checked before use (_ping_when_idle)
LAST_USED, PINGED = "walkbot_last_used", "walkbot_pinged"  # pool record info: when it was handed back; pinged now
_BESIDE = "walkbot_beside"


def make_engine(url: str) -> Engine:
    """An engine for a database URL; a bare path means a SQLite file."""
    parsed = make_url(url if "://" in url else f"sqlite:///{url}")
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed)
    if parsed.drivername in ("postgres", "postgresql"):  # hosts hand out postgres://; psycopg 3 is what we ship
        parsed = parsed.set(drivername="postgresql+psycopg")
    engine = create_engine(parsed, hide_parameters=True)  # hide_parameters: see _sqlite_engine
    _custom_plans(engine)
    _ping_when_idle(engine)
    return engine


def _custom_plans(engine: Engine) -> None:
    """Plan every statement for its own values. psycopg prepares a statement on the server from its fifth use, and
    PostgreSQL then soon plans it once for any values: a plan that cannot see that a school's teachers, a status or a
    session's dates pick few rows. SLT's App Home over 20,000 visits took 80 ms so, against 23 ms planned each time
    (planning costs well under a millisecond; the parse is still saved)."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        dbapi_connection.execute("SET plan_cache_mode = force_custom_plan")
        dbapi_connection.commit()


def _ping_when_idle(engine: Engine) -> None:
    """Check a pooled connection is alive as it is taken, if it has lain idle: a server restarted meanwhile
    would otherwise fail the next request. A connection used a moment ago is not asked (a round trip each
    request); if the server went in that moment, the request fails as unreachable, and the pool, told of the
    disconnect, replaces every connection older than it."""

    @event.listens_for(engine.pool, "checkin")
    def _used(_dbapi_connection, record) -> None:
        record.info[LAST_USED] = time.monotonic()

    @event.listens_for(engine.pool, "checkout")
    def _taken(dbapi_connection, record, _proxy) -> None:
        last = record.info.get(LAST_USED)
        record.info[PINGED] = last is not None and time.monotonic() - last >= IDLE_PING_SECONDS
        if record.info[PINGED]:
            try:
                engine.dialect.do_ping(dbapi_connection)
            except engine.dialect.loaded_dbapi.Error as error:
                raise exc.InvalidatePoolError() from error  # the pool reconnects, and replaces the older ones


def _sqlite_engine(url: URL) -> Engine:
    # timeout is sqlite3's busy timeout: how long a transaction waits for another to finish. hide_parameters:
    # a statement's values are names and what people wrote, never to appear in an error's text or a log.
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_SECONDS},
                           hide_parameters=True)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        # Let SQLAlchemy, not sqlite3, decide when transactions begin (see _on_begin).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn) -> None:
        # Take the write lock up front: concurrent writers then wait their turn (busy_timeout)
        # instead of failing with "database is locked" when a read upgrades to a write. Not for
        # Store.beside (see there).
        conn.exec_driver_sql("BEGIN" if conn.get_execution_options().get(_BESIDE) else "BEGIN IMMEDIATE")

    return engine


class Store:
    """One database: hands out units of work."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        watch_writes(self._sessions)
        self._each_statement = sessionmaker(engine.execution_options(isolation_level="AUTOCOMMIT"),
                                            expire_on_commit=False)
        # The request this thread is working on, if any: its units of work share one transaction.
        self._request: ContextVar[SqlAlchemyUnitOfWork | None] = ContextVar(f"walkbot_request_{id(self)}",
                                                                            default=None)

    @property
    def beside(self) -> Engine:
        """The engine for other libraries' tables in this database (Bolt's OAuth installations): on SQLite its
        transactions take the write lock only when they write, so that a request's transaction, which holds it
        from the start, can read an installation meanwhile."""
        return self.engine.execution_options(**{_BESIDE: True})

    def uow(self) -> SqlAlchemyUnitOfWork:
        request = self._request.get()
        return SqlAlchemyUnitOfWork(self._sessions) if request is None else PartOfRequest(request)

    def each_statement_uow(self) -> SqlAlchemyUnitOfWork:
        """On PostgreSQL, a unit of work whose statements each commit as they run (autocommit): for writes of one
        statement, which then cost no BEGIN and COMMIT round trips (the dispatcher's records). On SQLite, `uow`."""
        if self.engine.dialect.name != "postgresql":
            return self.uow()
        return SqlAlchemyUnitOfWork(self._each_statement)

    @contextmanager
    def request(self, *, careful: bool = False) -> Iterator[SqlAlchemyUnitOfWork]:
        """One transaction for all of a request's work (handlers.inbox): every `uow()` opened in this thread
        meanwhile is part of it, and nothing is kept unless the request's own unit of work commits. Careful: each
        part that writes can be undone alone from its first write (storage.uow.PartOfRequest)."""
        if self._request.get() is not None:
            raise RuntimeError("a request is being worked on in this thread already")
        with SqlAlchemyUnitOfWork(self._sessions) as uow:
            uow.careful = careful
            bound = self._request.set(uow)
            try:
                yield uow
            finally:
                self._request.reset(bound)

    def close(self) -> None:
        self.engine.dispose()


def open_store(url: str) -> Store:
    """Connect to `url` (or a SQLite file path) and bring its schema up to date."""
    engine = make_engine(url)
    migrate(engine)
    return Store(engine)
