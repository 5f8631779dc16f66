"""Periodic jobs cost nothing when there is nothing to do, and run in one process of a deployment (storage.leader,
handlers.scheduler.add_periodic), on SQLite and PostgreSQL."""
from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger
from notices_support import at
from sqlalchemy import event

from bot.domain.clock import FixedClock
from bot.usecases.digest import write_weekly_digests
from handlers.scheduler import add_periodic
from handlers.wiring import load_school
from storage.db import open_store
from storage.leader import Leadership


@pytest.fixture
def school(store):
    return load_school(store, None)


def statements(store, run) -> list[str]:
    """The SQL statements `run()` sends (transaction control aside), as a profiler counts them."""
    seen: list[str] = []

    def keep(_conn, _cursor, statement, *_rest) -> None:
        if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK")):
            seen.append(statement)

    event.listen(store.engine, "before_cursor_execute", keep)
    try:
        run()
    finally:
        event.remove(store.engine, "before_cursor_execute", keep)
    return seen


def test_the_digest_tick_with_nothing_due_costs_two_statements(store, school):
    clock = FixedClock(at("2027-02-08", "19:00"))  # Monday evening: this week's digest was due at 07:50
    assert sorted(n.recipient for n in write_weekly_digests(store.uow, clock)) == ["U01HEAD", "U02DEPUTY"]
    for _ in range(3):  # every quarter hour after, with this week's written
        clock.advance(timedelta(minutes=15))
        done: list = []
        sent = statements(store, lambda: done.extend(write_weekly_digests(store.uow, clock)))
        assert done == [] and len(sent) <= 2, sent
    clock.set(at("2027-02-22", "09:00"))  # after half-term: that week's, once more to each
    assert sorted(n.recipient for n in write_weekly_digests(store.uow, clock)) == ["U01HEAD", "U02DEPUTY"]


def test_the_digest_tick_before_any_digest_is_due_reads_no_staff(store, school):
    clock = FixedClock(at("2027-02-08", "07:00"))  # Monday, before this week's first school morning
    sent = statements(store, lambda: write_weekly_digests(store.uow, clock))
    assert len(sent) <= 2 and not [s for s in sent if "FROM staff" in s], sent


def test_one_process_leads_and_another_takes_over_when_it_stops(store_url):
    stores = [open_store(store_url), open_store(store_url)]  # two processes' engines on one database
    first, second = (Leadership(s.engine) for s in stores)
    try:
        assert first.holds() and first.holds()  # taken, then still held
        assert not second.holds()
        first.close()  # the leading process stops (or dies: the database, or the system, lets the lock go)
        assert second.holds() and not first.holds()
    finally:
        first.close()
        second.close()
        for s in stores:
            s.close()


def test_a_periodic_job_runs_only_in_the_leading_process(store_url):
    stores = [open_store(store_url), open_store(store_url)]
    leaders = [Leadership(s.engine) for s in stores]
    runs = {0: 0, 1: 0}
    lock = threading.Lock()

    def job(n: int) -> None:
        with lock:
            runs[n] += 1

    schedulers = []
    try:
        for n, leader in enumerate(leaders):
            scheduler = BackgroundScheduler()
            add_periodic(scheduler, leader, job, IntervalTrigger(seconds=0.05), args=(n,), id="periodic",
                         name="a periodic job")
            scheduler.start()
            schedulers.append(scheduler)
        deadline = time.monotonic() + 10
        while sum(runs.values()) < 5 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        for scheduler in schedulers:
            scheduler.shutdown(wait=True)
        for leader, s in zip(leaders, stores):
            leader.close()
            s.close()
    assert sum(runs.values()) >= 5 and 0 in runs.values()  # all in one of them, none in the other
