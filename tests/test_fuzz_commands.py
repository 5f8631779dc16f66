"""Hundreds of malformed commands: each gets a reply saying what was wrong, none raises, nothing changes."""
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from bot.chat.router import SORRY, Walkbot
from bot.domain.clock import FixedClock
from handlers.wiring import load_school
from storage import open_store
from storage.tables import Base

VALID = [
    '/visit propose @tom 2027-02-04 P3 30m kind formal focus "questioning" feedback "after school"',
    "/visit agree 1",
    '/visit decline 1 "exams"',
    "/visit suggest 1 2027-02-05 P2",
    "/visit move 1 2027-02-05 P2 20m",
    '/visit notes 1 "wait time"',
    "/visit record 1 agree",
    "/visit limits @tom",
    "/visit show 1",
    '/walk plan 2027-03-10 09:00-11:00 focus "books" walkers @rachel',
    '/walk cancel 1 "snow"',
]
# Each is wrong in a way the grammar or the services must catch.
BAD_TOKENS = ["@", "@nobody", "#x", "0", "-1", "99999999999", "31 Feb", "2027-13-01", "25:00", "10:61",
              "P9", "0m", "-5m", "999h", '"unclosed', "kind", "kind lecture", "with", "focus", "‽", "\x00",
              "<@>", "<@U123|", "twelve", "yesterday-ish", "1/0", "12:00pm:00", "'", "“smart"]


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


def mutate(draw) -> str:
    words = draw(st.sampled_from(VALID)).split(" ")
    bad = draw(st.sampled_from(BAD_TOKENS))
    how = draw(st.sampled_from(["replace", "insert", "append", "truncate"]))
    at = draw(st.integers(min_value=2, max_value=max(2, len(words) - 1)))
    if how == "replace":
        words[min(at, len(words) - 1)] = bad
    elif how == "insert":
        words.insert(at, bad)
    elif how == "append":
        words.append(bad)
    else:
        words = words[:2] + [bad]
    return " ".join(words)


malformed = st.one_of(
    st.composite(mutate)(),
    st.text(max_size=80),  # anything at all
    st.builds(lambda verb, rest: f"/visit {verb} {rest}",
              st.sampled_from(["propose", "agree", "suggest", "move", "dialogue", "record", "object", "limits",
                               "frobnicate"]),
              st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40)),
)


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
    assert snapshot(store) == before, (text, reply.text)
