"""Run the Alembic migrations shipped inside this package, from any working directory."""
from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, text

HERE = Path(__file__).resolve().parent
# Any fixed number: PostgreSQL processes starting together migrate one at a time.
_MIGRATION_LOCK = 0x77616C6B


def alembic_config() -> Config:
    config = Config(str(HERE / "alembic.ini"))
    config.set_main_option("script_location", str(HERE / "migrations"))
    return config


def migrate(engine: Engine) -> None:
    """`alembic upgrade heads` on this engine."""
    config = alembic_config()
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
        config.attributes["connection"] = connection
        command.upgrade(config, "heads")
