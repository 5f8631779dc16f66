"""The benchmarks' seeded authority, small: reproducible, under every cap this session, and bookable;
and the proposal benchmark, run tiny so it keeps working."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from bench.proposals import proposal_cost
from bench.seed import VISIT_TABLES, Authority, seed_authority
from bot.chat.router import Walkbot
from bot.domain.clock import FixedClock
from bot.domain.policy import PRESET_IDS
from bot.usecases.results import Allowance
from storage import open_store
from storage.tables import VisitRow

SMALL = {"schools": 3, "staff_per_school": 10, "visits": 500}
SPRING = FixedClock(datetime(2027, 1, 11, 8, 0, tzinfo=ZoneInfo("Europe/London")))


def _snapshot(url: str) -> tuple[list[int], list[tuple]]:
    """Row counts of the visit tables, and the first visits in full."""
    store = open_store(url)
    try:
        with store.engine.connect() as conn:
            counts = [conn.scalar(select(func.count()).select_from(t)) for t in VISIT_TABLES]
            first = [tuple(row) for row in conn.execute(select(VisitRow.__table__).order_by(VisitRow.id).limit(20))]
    finally:
        store.close()
    return counts, first


@pytest.fixture
def authority(store_url) -> Authority:
    return seed_authority(store_url, **SMALL)


def test_the_same_seed_writes_the_same_authority_on_either_database(authority, store_url, tmp_path):
    again = seed_authority(f"sqlite:///{tmp_path / 'again.db'}", **SMALL)
    other = seed_authority(f"sqlite:///{tmp_path / 'other.db'}", **SMALL, seed=2)

    assert again == authority
    assert authority.visits == 500 and authority.staff == 30
    assert [len(s.slt) for s in authority.schools] == [1, 1, 1]
    assert all(len(s.teachers) == 8 for s in authority.schools)
    assert len({s.team_id for s in authority.schools}) == 3
    counts, first = _snapshot(store_url)
    assert counts[0] == 500 and counts[1] >= 500
    assert (counts, first) == _snapshot(f"sqlite:///{tmp_path / 'again.db'}")
    assert first != _snapshot(f"sqlite:///{tmp_path / 'other.db'}")[1]


def test_every_teacher_has_room_under_each_cap_this_session(authority, store_url):
    store = open_store(store_url)
    bot = Walkbot(uow_factory=store.uow, clock=SPRING)
    presets = set()
    try:
        for school in authority.schools:
            with store.uow() as uow:
                presets.add(uow.schools.get(school.id).policy.preset_id)
            for teacher in school.teachers:
                reply = bot.handle(f"/visit limits @{teacher}", school_id=school.id, actor=school.slt[0])
                assert isinstance(reply.result, Allowance), reply.text
                assert reply.result.session.name == "2026-27"
                assert all(line.used < line.cap for line in reply.result.lines), reply.text
    finally:
        store.close()
    assert presets == set(PRESET_IDS[:3])


def test_a_proposal_through_the_router_is_accepted_at_every_school(authority, store_url):
    store = open_store(store_url)
    bot = Walkbot(uow_factory=store.uow, clock=SPRING)
    try:
        for school in authority.schools:
            teacher, visitor = school.teachers[:2]
            reply = bot.handle(f'/visit propose @{teacher} 2027-02-03 P3 30m kind formal '
                               f'focus "questioning" feedback "a chat after school"',
                               school_id=school.id, actor=visitor)
            assert reply.ok and reply.text.startswith("Proposed #"), reply.text
    finally:
        store.close()


def test_the_proposal_benchmark_runs_on_a_small_authority(tmp_path):
    cost = proposal_cost(f"sqlite:///{tmp_path / 'bench.db'}", visits=200, proposals=5, schools=3, staff_per_school=10)

    assert (cost.visits_in_db, cost.proposals) == (200, 5)
    assert 0 < cost.p50_ms <= cost.p95_ms
    assert "ix_visits_teacher_school_id_start_at" in cost.plan and "ix_visits_school_id_start_at" in cost.plan
    assert "(teacher=? AND school_id=? AND start_at>? AND start_at<?)" in cost.plan  # both ends: not all history
