"""Opening the database: engine settings per backend, migrations, and the unit-of-work factory."""
from __future__ import annotations

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import sessionmaker

from storage.migrate import migrate
from storage.uow import SqlAlchemyUnitOfWork

SQLITE_BUSY_SECONDS = 30


def make_engine(url: str) -> Engine:
    """An engine for a database URL; a bare path means a SQLite file."""
    parsed = make_url(url if "://" in url else f"sqlite:///{url}")
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed)
    if parsed.drivername in ("postgres", "postgresql"):  # hosts hand out postgres://; psycopg 3 is what we ship
        parsed = parsed.set(drivername="postgresql+psycopg")
    return create_engine(parsed, pool_pre_ping=True, hide_parameters=True)  # see _sqlite_engine


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
        # instead of failing with "database is locked" when a read upgrades to a write.
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


class Store:
    """One database: hands out units of work."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    def uow(self) -> SqlAlchemyUnitOfWork:
        return SqlAlchemyUnitOfWork(self._sessions)

    def close(self) -> None:
        self.engine.dispose()


def open_store(url: str) -> Store:
    """Connect to `url` (or a SQLite file path) and bring its schema up to date."""
    engine = make_engine(url)
    migrate(engine)
    return Store(engine)
