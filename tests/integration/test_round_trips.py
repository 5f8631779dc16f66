"""How many statements and round trips each kind of request costs, through the router, kept and worked as the inbox
works a request, and that the count does not grow with the history a request should not read (issue 13).

A round trip is any exchange with the database server: each statement, each transaction's start and end, and
the liveness check PostgreSQL's pool makes as it hands out a connection that lay idle. Counts, never timings:
they are the same on every machine.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, insert

from bench.costs import INBOX_OWN, Count, counting, kept_request  # the bench's own count, so that the page and these pins count alike
from bot.chat.router import Walkbot
from bot.domain.model import VisitKind, VisitStatus
from bot.usecases import commands as c
from bot.chat.router import Reply
from storage import Store, open_store
from storage.tables import VisitRow, VisitVisitorRow

TOM, AMY, RACHEL = "U03TOM", "U04AMY", "U01HEAD"
PROPOSE = '/visit propose @tom {day} P1 30m kind formal focus "questioning" feedback "after school"'


@pytest.fixture
def bot(store, demo_config, clock) -> Walkbot:
    from bot.usecases import roster

    roster.load_school(demo_config, store.uow(), clock)
    bot = Walkbot(uow_factory=store.uow, clock=clock)
    assert bot.handle("/visit list", school_id=1, actor=RACHEL).ok  # the process has read the school once
    with store.uow() as uow:  # ...and, as an earlier booking would have, found it has no timetable
        uow.schools.get(1)
        assert uow.timetable.lessons(1, [TOM]) is None
    return bot


def seed_history(store: Store, teacher: str, visitor: str, count: int, start: datetime,
                 status: VisitStatus = VisitStatus.HELD, step: timedelta = timedelta(days=1)) -> None:
    """`count` visits to `teacher` from `visitor`, one per `step` from `start`, in bulk INSERTs."""
    visits = [dict(school_id=1, teacher=teacher, proposer=visitor, kind=VisitKind.FORMAL.value, status=status.value,
                   start_at=start + i * step, end_at=start + i * step + timedelta(minutes=30), minutes=30,
                   focus="questioning", created_at=start)
              for i in range(count)]
    with store.engine.begin() as conn:
        first = conn.execute(insert(VisitRow).returning(VisitRow.id), visits[:1]).scalar_one()
        if count > 1:
            conn.execute(insert(VisitRow), visits[1:])
        conn.execute(insert(VisitVisitorRow), [dict(visit_id=first + i, chat_id=visitor, position=0)
                                               for i in range(count)])


@pytest.fixture
def acks(store_url) -> Iterator[Store]:
    """The acking process's engine: what it keeps is not counted in the worker's."""
    acks = open_store(store_url)
    yield acks
    acks.close()


def kept(store: Store, acks: Store, work: Callable[[], Reply]) -> tuple[Count, Reply]:
    """`work` as handlers.inbox's worker does a kept request, counted without the inbox's own statements."""
    with counting(store) as count, kept_request(store, acks, 1):
        reply = work()
    return replace(count, statements=count.statements - INBOX_OWN, round_trips=count.round_trips - INBOX_OWN), reply


def ask(bot: Walkbot, store: Store, acks: Store, text: str, actor: str) -> tuple[Count, str]:
    count, reply = kept(store, acks, lambda: bot.handle(text, school_id=1, actor=actor))
    assert reply.ok, reply.text
    return count, reply.text


def home(bot: Walkbot, store: Store, acks: Store, actor: str) -> Count:
    count, reply = kept(store, acks, lambda: bot.run(c.ShowOverview(school_id=1, actor=actor)))
    assert reply.ok, reply.text
    return count


def proposed_id(text: str) -> int:
    return int(re.search(r"#(\d+)", text).group(1))



# What each kind of request costs, kept and worked as handlers.inbox works it (the school's version read with the
# inbox's take of the request, whose own two statements are left out): statements, and round trips on each backend
# (a transaction's start and end; no savepoint, as the request's first part to write begins none).
# Propose: the people locked with the teacher's objections; the teacher's booked visits and everyone's near the
# time in one query; the visit with its visitors (one statement on PostgreSQL, whose WITH can write; two on
# SQLite), its notices in one insert. Agree: the visit (locked), the locks, the same read, the visit changed, what
# was pending about it superseded, the notices. Limits and list: one query. App Home: my visits with every cap
# counted, then the walks with who can't be reached (storage.repos.glance). A school without a timetable is not
# asked for lessons.
COSTS = {
    "sqlite": {"propose": (5, 7), "agree": (6, 8), "limits": (1, 3), "list": (1, 3), "home": (2, 4)},
    "postgresql": {"propose": (4, 6), "agree": (6, 8), "limits": (1, 3), "list": (1, 3), "home": (2, 4)},
}


def test_each_kind_of_request_costs_the_statements_and_round_trips_pinned(bot, store, acks):
    seed_history(store, TOM, AMY, 2, datetime(2025, 9, 10, 9, 0, tzinfo=UTC))
    costs = {}
    costs["propose"], proposed = ask(bot, store, acks, PROPOSE.format(day="2027-02-04"), RACHEL)
    costs["agree"], agreed = ask(bot, store, acks, f"/visit agree {proposed_id(proposed)}", TOM)
    costs["limits"], limits = ask(bot, store, acks, "/visit limits", TOM)
    costs["list"], listed = ask(bot, store, acks, "/visit list", TOM)
    costs["home"] = home(bot, store, acks, RACHEL)
    assert agreed.startswith("Agreed:") and "1 of 3 observations" in limits
    assert f"#{proposed_id(proposed)} formal visit" in listed
    assert {kind: (c.statements, c.round_trips) for kind, c in costs.items()} == COSTS[store.engine.dialect.name]


def test_a_school_without_a_timetable_is_asked_for_lessons_once_at_each_version(bot, store, acks):
    from storage.repos.schools import school_changed

    lessons = []
    event.listen(store.engine, "before_cursor_execute",
                 lambda _c, _cur, text, *_: lessons.append(1) if "FROM timetable_lessons" in text else None)
    ask(bot, store, acks, PROPOSE.format(day="2027-02-04"), RACHEL)
    assert lessons == []  # the fixture's read found none at this version
    with store.uow() as uow:  # an import with nothing in it changes nothing, so the version stands
        uow.timetable.replace(1, [])  # nothing to import: nothing changes
        uow.commit()
    lessons.clear()  # the import's own read
    ask(bot, store, acks, PROPOSE.format(day="2027-02-05"), RACHEL)
    assert lessons == []
    with store.uow() as uow:  # the school changed otherwise (the staff list)
        school_changed(uow.session, 1)
        uow.commit()
    ask(bot, store, acks, PROPOSE.format(day="2027-02-08"), RACHEL)
    ask(bot, store, acks, PROPOSE.format(day="2027-02-09"), RACHEL)
    assert lessons == [1]  # asked again once at the new version, then known


def test_the_school_is_parsed_once_a_process_and_read_again_only_when_it_changed(bot, store, acks, monkeypatch):
    from bot.domain import school as school_module
    from storage.repos import schools

    parsed = []
    monkeypatch.setattr(schools, "parse_school_config",
                        lambda *a, **k: parsed.append(1) or school_module.parse_school_config(*a, **k))
    ask(bot, store, acks, "/visit limits", TOM)
    assert parsed == []  # the fixture's first request parsed it

    ask(bot, store, acks, '/visit staff add @U09NEW "Nia Lee" roles teacher', RACHEL)  # another process would see it at once
    _, listed = ask(bot, store, acks, "/visit limits @U09NEW", RACHEL)
    assert parsed == [1] and "Nia Lee" in listed


def test_a_proposal_to_a_teacher_with_400_visits_behind_them_costs_what_one_with_2_does(bot, store, acks):
    seed_history(store, TOM, AMY, 2, datetime(2024, 9, 10, 9, 0, tzinfo=UTC))
    few, _ = ask(bot, store, acks, PROPOSE.format(day="2027-02-04"), RACHEL)
    seed_history(store, TOM, AMY, 398, datetime(2024, 9, 12, 9, 0, tzinfo=UTC), step=timedelta(hours=20))
    many, _ = ask(bot, store, acks, PROPOSE.format(day="2027-05-04"), RACHEL)
    assert (many.statements, many.round_trips, many.rows) == (few.statements, few.round_trips, few.rows)


def test_a_refused_proposal_offers_other_times_from_what_it_read_anyway(bot, store, acks):
    accepted, _ = ask(bot, store, acks, PROPOSE.format(day="2027-02-04"), RACHEL)
    refused, reply = kept(store, acks, lambda: bot.handle(PROPOSE.format(day="2027-02-04").replace("@tom", "@amy"),
                                                          school_id=1, actor=TOM))
    assert not reply.ok and "Nearest times that would be allowed" in reply.text  # Tom is busy then
    assert refused.statements <= accepted.statements


def test_slt_app_home_reads_as_many_rows_with_20000_visits_in_the_session_as_with_200(bot, store, acks):
    start = datetime(2026, 9, 3, 9, 0, tzinfo=UTC)
    seed_history(store, TOM, AMY, 200, start, status=VisitStatus.AGREED, step=timedelta(days=1))
    seed_history(store, TOM, RACHEL, 20, datetime(2027, 2, 10, 9, 0, tzinfo=UTC), status=VisitStatus.AGREED)
    few, few_limits = home(bot, store, acks, RACHEL), ask(bot, store, acks, "/visit limits @tom", RACHEL)[0]
    seed_history(store, TOM, AMY, 19_800, start + timedelta(minutes=30), status=VisitStatus.AGREED,
                 step=timedelta(minutes=20))
    seed_history(store, TOM, RACHEL, 180, datetime(2027, 2, 10, 9, 30, tzinfo=UTC), status=VisitStatus.AGREED,
                 step=timedelta(hours=3))  # her own coming visits too: the glance shows the soonest
    many, many_limits = home(bot, store, acks, RACHEL), ask(bot, store, acks, "/visit limits @tom", RACHEL)[0]
    assert (many.statements, many.round_trips, many.rows) == (few.statements, few.round_trips, few.rows)
    assert (many_limits.statements, many_limits.rows) == (few_limits.statements, few_limits.rows)


def test_a_staff_change_another_process_makes_is_seen_by_this_one_at_once(bot, store, acks, store_url, clock):
    from storage import open_store

    ask(bot, store, acks, "/visit list", TOM)  # this process has Tom's school and staff parsed
    other = open_store(store_url)  # another process: its own engine, its own parsed schools
    try:
        theirs = Walkbot(uow_factory=other.uow, clock=clock)
        assert theirs.handle('/visit staff add @U09NEW "Nia Lee" roles teacher', school_id=1, actor=RACHEL).ok
        assert theirs.handle("/visit staff remove @tom", school_id=1, actor=RACHEL).ok
    finally:
        other.close()
    _, limits = ask(bot, store, acks, "/visit limits @U09NEW", RACHEL)
    assert "Nia Lee" in limits
    refused = bot.handle("/visit list", school_id=1, actor=TOM)
    assert not refused.ok and "not on Durants Test School's staff list" in refused.text
