"""The visit tallies (migration 0018, storage.repos.tallies) always say what counting the visits would say: after
every kind of write to visits (a booking, an answer, a move across a session's edge, another teacher or length,
a deletion as retention deletes), after a school.yml that moves its sessions, and after the migration itself over
visits written before it; on SQLite and PostgreSQL."""
from __future__ import annotations

import random
from collections import Counter
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import delete, select, text

from bot.domain.model import BOOKED_STATUSES, Visit, VisitKind, VisitStatus
from handlers.wiring import load_school
from storage import open_store
from storage.tables import VisitRow
from tests.integration.test_notice_migration import migrate_to

DEMO = Path(__file__).resolve().parents[2] / "bot" / "demo" / "school.yml"
TEACHERS = ("U03TOM", "U04AMY", "U05SAM", "U02DEPUTY")
KINDS = (VisitKind.PEER, VisitKind.FORMAL, VisitKind.SUPPORT)


def counted(store, school) -> dict[tuple, tuple[int, int]]:
    """What the tallies should say, worked out from every visit: booked ones, by the session their start is in."""
    spans = {s.start: school.calendar.span(s) for s in school.calendar.sessions}
    found: Counter = Counter()
    minutes: Counter = Counter()
    with store.engine.connect() as conn:
        for teacher, kind, status, start_at, length in conn.execute(select(
                VisitRow.teacher, VisitRow.kind, VisitRow.status, VisitRow.start_at, VisitRow.minutes)):
            if status not in {s.value for s in BOOKED_STATUSES}:
                continue
            for starts, (first, last) in spans.items():
                if first <= start_at <= last:
                    found[(starts, teacher, kind)] += 1
                    minutes[(starts, teacher, kind)] += length
    return {key: (found[key], minutes[key]) for key in found}


def tallied(store) -> dict[tuple, tuple[int, int]]:
    with store.engine.connect() as conn:
        rows = conn.execute(text("SELECT session_starts, teacher, kind, visits, minutes FROM visit_tallies "
                                 "WHERE visits > 0")).all()
    return {(starts if not isinstance(starts, str) else datetime.fromisoformat(starts).date(), teacher, kind):
            (visits, length) for starts, teacher, kind, visits, length in rows}


def a_visit(rng: random.Random, school, start: datetime) -> Visit:
    teacher, visitor = rng.sample(TEACHERS, 2)
    return Visit(None, school.id, teacher, (visitor,), visitor, rng.choice(KINDS), start, rng.choice((20, 30, 50)),
                 status=rng.choice(list(VisitStatus)), focus="questioning")


def times(school) -> list[datetime]:
    """Moments in term, at the edges of the session and outside it."""
    session = school.calendar.sessions[0]
    first, last = school.calendar.span(session)
    return [first, first - timedelta(minutes=1), last, last + timedelta(minutes=1),
            *(first + timedelta(days=d, hours=10) for d in range(0, 320, 7))]


@pytest.mark.parametrize("seed", [1, 2])
def test_the_tallies_follow_every_write_to_visits(store, seed):
    school = load_school(store, None)
    rng, moments = random.Random(seed), times(school)
    ids: list[int] = []
    for step in range(120):
        with store.uow() as uow:
            move = rng.random()
            if move < 0.4 or not ids:
                ids.append(uow.visits.add(a_visit(rng, school, rng.choice(moments))).id)
            elif move < 0.9:
                visit = uow.visits.get(school.id, rng.choice(ids), lock=True)
                change = rng.choice(("status", "start", "teacher", "minutes", "kind"))
                visit = replace(visit, **{
                    "status": dict(status=rng.choice(list(VisitStatus))),
                    "start": dict(start=rng.choice(moments)),
                    "teacher": dict(teacher=rng.choice(TEACHERS)),
                    "minutes": dict(minutes=rng.choice((15, 45, 60))),
                    "kind": dict(kind=rng.choice(KINDS)),
                }[change])
                uow.visits.update(visit)
            else:  # as the retention purge deletes
                gone = ids.pop(rng.randrange(len(ids)))
                uow.session.execute(delete(VisitRow).where(VisitRow.id == gone))
            uow.commit()
        assert tallied(store) == counted(store, school), f"after step {step}"
    assert tallied(store)  # something was counted


def test_a_school_yml_that_moves_its_sessions_counts_its_visits_again(store, tmp_path):
    school = load_school(store, None)
    rng = random.Random(3)
    with store.uow() as uow:
        for moment in times(school):
            uow.visits.add(replace(a_visit(rng, school, moment), status=VisitStatus.AGREED))
        uow.commit()
    before = tallied(store)
    moved = tmp_path / "school.yml"  # the autumn term starts a week later: the first week's visits leave the session
    moved.write_text(DEMO.read_text().replace("start: 2026-09-02", "start: 2026-09-09"))
    school = load_school(store, moved)
    assert school.calendar.sessions[0].start.isoformat() == "2026-09-09"
    assert tallied(store) == counted(store, school) != before


def test_the_migration_counts_the_visits_written_before_it(store_url):
    store = open_store(store_url)
    school = load_school(store, None)
    migrate_to(store_url, "0017", down=True)
    rng = random.Random(4)
    with store.engine.begin() as conn:  # visits written by a walkbot before the tallies
        conn.execute(VisitRow.__table__.insert(), [
            dict(school_id=school.id, teacher=v.teacher, proposer=v.proposer, kind=v.kind.value,
                 status=v.status.value, start_at=v.start, end_at=v.end, minutes=v.minutes)
            for v in (a_visit(rng, school, moment) for moment in times(school) * 3)])
    migrate_to(store_url, "heads")
    assert tallied(store) == counted(store, school) and tallied(store)
    store.close()
