"""Shared fixtures. `store` runs a test on SQLite and on PostgreSQL, each in a database of its own."""
from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bot.domain.school import SchoolConfig, parse_school_config
from storage import Store, open_store

POSTGRES_ENV = "WALKBOT_TEST_POSTGRES_URL"
REQUIRE_ENV = "WALKBOT_REQUIRE_POSTGRES"


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A URL whose search_path is a fresh, empty schema, dropped after the test.

    A schema per test is much cheaper than a database per test; tables, sequences and
    alembic_version all land in it because it is first (and only) on the search_path.
    """
    base = os.environ.get(POSTGRES_ENV)
    if not base:
        if os.environ.get(REQUIRE_ENV) == "1":
            pytest.fail(f"{REQUIRE_ENV}=1 but {POSTGRES_ENV} is not set: PostgreSQL tests must run here.")
        pytest.skip(f"set {POSTGRES_ENV} (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test) to run this on PostgreSQL")
    schema = f"walkbot_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request, tmp_path) -> str:
    if request.param == "postgres":
        return request.getfixturevalue("postgres_url")
    return f"sqlite:///{tmp_path / 'walkbot.db'}"


@pytest.fixture
def store(store_url) -> Iterator[Store]:
    store = open_store(store_url)
    yield store
    store.close()


DEMO_SCHOOL = {
    "school": {
        "key": "durants-test",
        "name": "Durants Test School",
        "timezone": "Europe/London",
        "policy": "durants-learning-walks",
        "overrides": {
            "min_notice_school_days": {"value": 2, "agreed_by": "Test SNC", "agreed_on": "2026-09-01"},
        },
        "school_day": {"start": "08:50", "end": "15:20"},
        "periods": {"P1": "08:50-09:50", "P2": "09:50-10:50"},
        "announcements_channel": "C0STAFF",
    },
    "sessions": [
        {
            "name": "2026-27",
            "terms": [
                {"name": "Autumn", "start": "2026-09-02", "end": "2026-12-18"},
                {"name": "Spring", "start": "2027-01-05", "end": "2027-03-26"},
                {"name": "Summer", "start": "2027-04-12", "end": "2027-07-21"},
            ],
            "holidays": ["2026-10-26/2026-10-30"],
        }
    ],
    "staff": [
        {"id": "U01HEAD", "handle": "rachel", "name": "Rachel Carli", "roles": ["slt", "promoted"]},
        {"id": "U03TOM", "handle": "tom", "name": "Tom Baker", "roles": ["teacher"], "line_manager": "U01HEAD"},
        {"id": "U04AMY", "handle": "amy", "name": "Amy Chen", "roles": ["teacher"], "line_manager": "U01HEAD"},
        {"id": "U07GORDON", "handle": "gordon", "name": "Gordon Reid", "roles": ["governor"]},
    ],
}


@pytest.fixture
def demo_config() -> SchoolConfig:
    return parse_school_config(DEMO_SCHOOL)


@pytest.fixture
def clock():
    """Monday 1 February 2027, 08:30 in school: a fixed clock that tests move by hand."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from bot.domain.clock import FixedClock

    return FixedClock(datetime(2027, 2, 1, 8, 30, tzinfo=ZoneInfo("Europe/London")))


@pytest.fixture
def chat(store, clock):
    """The test chat backend: the console over the demo school, speaking as @rachel (SLT).

    One test style for the whole product: chat.say("as @tom"), chat.say("/visit agree 1").
    """
    from bot.chat.router import Walkbot
    from handlers.console import Console
    from handlers.wiring import load_school

    school = load_school(store, None)
    with store.uow() as uow:
        actor = uow.staff.find(school.id, "@rachel")
    return Console(bot=Walkbot(uow_factory=store.uow, clock=clock), store=store, school=school, clock=clock,
                   actor=actor)
