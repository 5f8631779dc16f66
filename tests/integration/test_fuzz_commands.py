"""Hundreds of malformed commands: each gets a reply saying what was wrong, none raises, nothing changes."""
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from malformed import VALID, malformed
from sqlalchemy import select

from bot.chat.router import SORRY, Walkbot
from bot.domain.clock import FixedClock
from handlers.wiring import load_school
from storage import open_store
from storage.tables import Base


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    store = open_store(f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'walkbot.db'}")
    clock = FixedClock(datetime(2027, 2, 1, 8, 30, tzinfo=ZoneInfo("Europe/London")))
    school = load_school(store, None)
    bot = Walkbot(uow_factory=store.uow, clock=clock)
    # One proposal in the database, so ids exist and actions have something to act upon.
    assert bot.handle(VALID[0], school_id=school.id, actor="U05SAM").ok
    yield store, bot, school
    store.close()


def snapshot(store) -> dict:
    """Every row of every table."""
    with store.engine.connect() as conn:
        return {name: sorted(map(tuple, conn.execute(select(table)).all()), key=repr)
                for name, table in Base.metadata.tables.items()}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=malformed)
def test_malformed_commands_get_a_friendly_reply_and_change_nothing(world, text):
    store, bot, school = world
    before = snapshot(store)
    # Gordon (a governor) is party to no visit: nothing he mistypes should change anything.
    reply = bot.handle(text, school_id=school.id, actor="U07GORDON")
    assert reply.text and reply.text != SORRY, (text, reply.text)
    assert "Traceback" not in reply.text
    if not reply.ok:
        assert len(reply.text) > 15  # a sentence saying what was wrong, not a bare code
    elif [word.lower() for word in text.split()[:2]] in (["visit", "concern"], ["/visit", "concern"]):
        return  # "anything at all" may be a real concern ("VISIT CONCERN 0"), which anyone may raise
    assert snapshot(store) == before, (text, reply.text)
