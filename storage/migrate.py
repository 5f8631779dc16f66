"""Run the Alembic migrations shipped inside this package, from any working directory.

Alembic is loaded only when there is something to upgrade: a process starting on a database already at the
shipped heads (every start but the first after an upgrade) compares its alembic_version with the revisions
the scripts name, and goes on without loading Alembic or the scripts.
"""
from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, inspect, text

if TYPE_CHECKING:  # pragma: no cover
    from alembic.config import Config

HERE = Path(__file__).resolve().parent
# Any fixed number: PostgreSQL processes starting together migrate one at a time.
_MIGRATION_LOCK = 0x77616C6B
_REVISION_LINE = re.compile(r"^(revision|down_revision)\b[^=\n]*=\s*(.+)$", re.MULTILINE)
_QUOTED = re.compile(r"""["']([^"']+)["']""")


def alembic_config() -> Config:
    from alembic.config import Config

    config = Config(str(HERE / "alembic.ini"))
    config.set_main_option("script_location", str(HERE / "migrations"))
    return config


@cache
def shipped_heads() -> frozenset[str]:
    """The revisions no shipped script builds on, from each script's `revision` and `down_revision` lines."""
    revisions, below = set(), set()
    for script in (HERE / "migrations" / "versions").glob("*.py"):
        lines = dict(_REVISION_LINE.findall(script.read_text(encoding="utf-8")))
        revisions.update(_QUOTED.findall(lines.get("revision", "")))
        below.update(_QUOTED.findall(lines.get("down_revision", "")))
    return frozenset(revisions - below)


def _at_heads(connection: Connection) -> bool:
    if not inspect(connection).has_table("alembic_version"):
        return False
    return frozenset(connection.scalars(text("SELECT version_num FROM alembic_version"))) == shipped_heads()


def migrate(engine: Engine) -> None:
    """`alembic upgrade heads` on this engine, unless it is there already."""
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
        if _at_heads(connection):
            return
        from alembic import command

        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, "heads")
