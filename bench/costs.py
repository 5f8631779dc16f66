"""What a request costs in SQL, and whether that grows with history the request should not read.

In this process, through the router as `walkbot serve`'s workers call it (bot.chat.router.Walkbot), each request
kept in the inbox and worked as handlers.inbox works one (kept_request: taken from the inbox with its school's
version, in one transaction; the inbox's own two statements, taking it and recording it worked, are not
counted), on a
PostgreSQL database of one 200-staff school seeded as bench/seed.py seeds one (its sessions 2022-23 … 2027-28):
- each kind of request the ack benchmark sends (propose, agree, limits, list, the App Home's overview), with
  the SQL statements and round trips it makes (counted as tests/integration/test_round_trips.py counts them);
- a proposal to teachers with 2, 16, 187 and 374 booked visits behind them, `/visit limits` for them, and a
  proposal refused because the teacher is busy then (which searches for other times);
- SLT's App Home with 200, 2,000 and 20,000 visits in the current session;
- the weekly-digest tick with nothing due, over the whole authority (100 schools);
- dispatch: round trips per notice, `walkbot dispatch`'s settings, a platform that answers at once.
Counts are the same on every machine; the milliseconds are this one's.
"""
from __future__ import annotations

import itertools
import os
import random
import re
import statistics
import time as timer
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import event, insert

from bench.dispatch import DUE, write_notices
from bench.seed import Authority, seed_authority
from bot.chat.router import Walkbot
from bot.domain.clock import FixedClock
from bot.domain.model import Notice, VisitKind, VisitStatus
from bot.notices.delivery import SENDERS, Settings
from bot.usecases import commands as c
from bot.usecases.digest import write_weekly_digests
from handlers.dispatcher import Dispatcher
from storage import Store, open_store
from storage.db import PINGED
from storage.uow import SqlAlchemyUnitOfWork
from storage.tables import VisitRow, VisitVisitorRow

LONDON = ZoneInfo("Europe/London")
NOW = datetime(2027, 1, 11, 8, 0, tzinfo=LONDON)  # as bench/proposals.py: Monday of Spring 2027's second week
FIRST_DAY, LAST_DAY = date(2027, 1, 25), date(2027, 3, 26)
HISTORY = (2, 16, 187, 374)  # booked visits behind a teacher (the sizes)
SESSION_VISITS = (200, 2_000, 20_000)  # visits in the current session, for SLT's App Home
SESSION_START, SESSION_END = date(2026, 9, 3), date(2027, 7, 20)
VISIT = re.compile(r"#(\d+)")


@dataclass
class Count:
    statements: int = 0
    round_trips: int = 0
    rows: int = 0  # rows PostgreSQL returned to SELECTs (SQLite's driver does not say)


@contextmanager
def counting(store: Store) -> Iterator[Count]:
    """Statements, and round trips: each statement, each transaction's start and end (none under autocommit,
    where the driver sends no BEGIN or COMMIT), and the liveness check the pool makes as it hands out a
    connection that has lain idle (storage.db: IDLE_PING_SECONDS)."""
    engine, count = store.engine, Count()

    def statement(_conn, _cursor, text, *_rest) -> None:
        if text != "BEGIN IMMEDIATE":  # SQLite's transaction start, counted as "begin" below
            count.statements += 1
            count.round_trips += 1

    def rows(_conn, cursor, text, *_rest) -> None:
        if text.lstrip().upper().startswith(("SELECT", "WITH")) and engine.dialect.name == "postgresql":
            count.rows += max(cursor.rowcount, 0)

    def transaction(conn, *_rest) -> None:
        if conn.get_execution_options().get("isolation_level") != "AUTOCOMMIT":
            count.round_trips += 1

    def checkout(_dbapi_connection, record, _proxy) -> None:  # after storage.db's own listener, which pings
        count.round_trips += int(record.info.get(PINGED, False))

    listeners = [(engine, "before_cursor_execute", statement), (engine, "after_cursor_execute", rows),
                 (engine, "begin", transaction), (engine, "commit", transaction), (engine, "rollback", transaction),
                 (engine.pool, "checkout", checkout)]
    for target, name, listener in listeners:
        event.listen(target, name, listener)
    try:
        yield count
    finally:
        for target, name, listener in listeners:
            event.remove(target, name, listener)


@dataclass(frozen=True)
class Cost:
    case: str
    statements: int
    round_trips: int
    p50_ms: float
    times: int  # how many were timed


@dataclass(frozen=True)
class RequestCosts:
    kinds: list[Cost]
    proposals: list[Cost]  # by history behind the teacher
    limits: list[Cost]  # ...and their /visit limits
    refused: Cost  # a proposal refused with other times offered, beside `proposals[0]`, the same teachers'
    home: list[Cost]  # SLT's App Home by visits in the session
    digest_tick: Cost
    dispatch_notices: int
    dispatch_round_trips: int

    def kind(self, name: str) -> Cost:
        return next(cost for cost in self.kinds if cost.case == name)


INBOX_OWN = 2  # statements a kept request costs the inbox itself, taking it and recording it worked: not the request's
_BENCH = "bench"  # the inbox surface the bench's requests are kept under
_keys = itertools.count()


@contextmanager
def kept_request(store: Store, acks: Store, school_id: int) -> Iterator[SqlAlchemyUnitOfWork]:
    """Work a request as handlers.inbox's worker works one: kept first (by `acks`, another process's engine, as
    the acking process's is, so its INSERT is not counted here), then taken from the inbox — which reads the
    school's version with it — and worked in one transaction with the inbox's record of it. The block is the
    request's work; leaving it commits. Counted, the inbox's own two statements are INBOX_OWN."""
    key = f"{os.getpid()}-{next(_keys)}"
    with acks.uow() as uow:
        uow.inbox.add(_BENCH, key, school_id, {})
        uow.commit()
    with store.request() as uow:
        item = uow.inbox.next_to_work(_BENCH)
        yield uow
        uow.inbox.worked(item, [])
        uow.commit()


def _cost(case: str, store: Store, runs: list[Callable[[], object]], *, kept: bool = True) -> Cost:
    """Time each run; the counts are the last run's (the first ones warm what a process keeps). kept: each run is
    a kept request (kept_request), whose inbox statements are left out of its counts."""
    took = []
    for run in runs[:-1]:
        started = timer.perf_counter()
        run()
        took.append((timer.perf_counter() - started) * 1000)
    with counting(store) as count:
        started = timer.perf_counter()
        runs[-1]()
        took.append((timer.perf_counter() - started) * 1000)
    inbox = INBOX_OWN if kept else 0
    return Cost(case, count.statements - inbox, count.round_trips - inbox, statistics.median(took), len(took))


class _School:
    """The seeded school, its people handed out so that no proposal meets a cap or a clash it is not meant to."""

    def __init__(self, store: Store, acks: Store, authority: Authority, rng: random.Random):
        self.store, self.acks, self.rng = store, acks, rng
        seeded = authority.schools[0]
        self.id, self.slt = seeded.id, seeded.slt[0]
        self.staff = list(seeded.teachers)
        rng.shuffle(self.staff)
        with store.uow() as uow:
            calendar = uow.schools.get(self.id).calendar
        self.slots = [(day, period.start) for n in range((LAST_DAY - FIRST_DAY).days + 1)
                      if calendar.is_school_day(day := FIRST_DAY + timedelta(days=n)) for period in calendar.periods]
        rng.shuffle(self.slots)
        self.bot = Walkbot(uow_factory=store.uow, clock=FixedClock(NOW))

    def people(self, count: int) -> list[str]:
        taken, self.staff = self.staff[:count], self.staff[count:]
        if len(taken) < count:
            raise ValueError("the benchmark's school has too few teachers for its cases")
        return taken

    def say(self, text: str, actor: str, *, ok: bool = True) -> str:
        with kept_request(self.store, self.acks, self.id):
            reply = self.bot.handle(text, school_id=self.id, actor=actor)
        if reply.ok != ok:
            raise RuntimeError(f"the benchmark expected {'an answer' if ok else 'a refusal'} to {text!r}: {reply.text}")
        return reply.text

    def proposal(self, teacher: str, slot: tuple[date, object]) -> str:
        day, start = slot
        return (f"/visit propose @{teacher} {day.isoformat()} {start:%H:%M} 30m kind formal "
                'focus "how pupils explain their reasoning" feedback "a conversation after school that week"')

    def home(self) -> None:
        with kept_request(self.store, self.acks, self.id):  # the App Home opening is kept too
            reply = self.bot.run(c.ShowOverview(school_id=self.id, actor=self.slt))
        if not reply.ok:
            raise RuntimeError(f"SLT's overview was refused: {reply.text}")


def _history(store: Store, school_id: int, teacher: str, visitor: str, count: int) -> None:
    """`count` held visits to `teacher` in past sessions, one a day from September 2023, in bulk."""
    first = datetime(2023, 9, 4, 10, 0, tzinfo=UTC)
    _visits(store, [(school_id, teacher, visitor, first + timedelta(days=n), VisitStatus.HELD) for n in range(count)])


def _visits(store: Store, visits: list[tuple[int, str, str, datetime, VisitStatus]]) -> None:
    rows = [dict(school_id=school_id, teacher=teacher, proposer=visitor, kind=VisitKind.PEER.value,
                 status=status.value, start_at=start, end_at=start + timedelta(minutes=30), minutes=30,
                 focus="questioning", created_at=start - timedelta(days=14))
            for school_id, teacher, visitor, start, status in visits]
    with store.engine.begin() as conn:
        for first in range(0, len(rows), 5_000):
            chunk = rows[first:first + 5_000]
            ids = conn.execute(insert(VisitRow).returning(VisitRow.id, sort_by_parameter_order=True), chunk).scalars()
            conn.execute(insert(VisitVisitorRow), [dict(visit_id=visit_id, chat_id=visitor, position=0)
                                                   for visit_id, (_, _, visitor, _, _) in
                                                   zip(ids, visits[first:first + 5_000])])
    if store.engine.dialect.name == "postgresql":  # the planner's statistics, as autovacuum keeps them for a school
        with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("ANALYZE visits, visit_visitors")


def _kinds(school: _School, times: int) -> list[Cost]:
    pairs = list(zip(school.people(times), school.people(times)))
    proposed: dict[str, str] = {}

    def propose(teacher: str, visitor: str) -> None:
        said = school.say(school.proposal(teacher, school.slots.pop()), visitor)
        proposed[teacher] = VISIT.search(said).group(1)

    costs = [_cost("propose", school.store, [lambda t=t, v=v: propose(t, v) for t, v in pairs])]
    costs.append(_cost("agree", school.store, [lambda t=t: school.say(f"/visit agree {proposed[t]}", t)
                                               for t, _ in pairs]))
    costs.append(_cost("limits", school.store, [lambda t=t: school.say("/visit limits", t) for t, _ in pairs]))
    costs.append(_cost("list", school.store, [lambda v=v: school.say("/visit list", v) for _, v in pairs]))
    costs.append(_cost("home", school.store, [school.home] * times))
    return costs


def _growth(school: _School, times: int, history: tuple[int, ...]) -> tuple[list[Cost], list[Cost], Cost]:
    proposals, limits, refused = [], [], None
    visitors = school.people(times)
    for size in history:
        teachers = school.people(times)
        for teacher, visitor in zip(teachers, visitors):
            _history(school.store, school.id, teacher, visitor, size)
        slots = [school.slots.pop() for _ in teachers]
        proposals.append(_cost(f"{size}", school.store, [
            lambda t=t, v=v, s=s: school.say(school.proposal(t, s), v) for t, v, s in zip(teachers, visitors, slots)]))
        limits.append(_cost(f"{size}", school.store, [lambda t=t: school.say("/visit limits", t) for t in teachers]))
        if refused is None:  # the same teachers, asked for the times they were just booked: each is busy then
            others = school.people(times)
            refused = _cost("refused", school.store, [
                lambda t=t, o=o, s=s: school.say(school.proposal(t, s), o, ok=False)
                for t, o, s in zip(teachers, others, slots)])
    return proposals, limits, refused


def _home(school: _School, times: int, sizes: tuple[int, ...], rng: random.Random) -> list[Cost]:
    everyone = [school.slt, *school.staff]
    days = [SESSION_START + timedelta(days=n) for n in range((SESSION_END - SESSION_START).days + 1)]
    costs, there = [], 0
    for size in sizes:
        visits = []
        for _ in range(size - there):
            teacher, visitor = rng.sample(everyone, 2)
            start = datetime.combine(rng.choice(days), datetime.min.time(), tzinfo=UTC) + timedelta(
                hours=rng.randint(9, 14), minutes=rng.choice((0, 30)))
            visits.append((school.id, teacher, visitor, start, VisitStatus.AGREED))
        _visits(school.store, visits)
        there = size
        costs.append(_cost(f"{size}", school.store, [school.home] * times))
    return costs


def digest_tick(db_url: str, times: int) -> Cost:
    """The weekly-digest tick over the authority, once this week's digests are written: what every quarter hour
    costs (the deployment's one leading process runs it)."""
    store = open_store(db_url)
    try:
        clock = FixedClock(datetime(2027, 1, 11, 19, 0, tzinfo=LONDON))  # a Monday evening in term
        write_weekly_digests(store.uow, clock)
        return _cost("digest tick", store, [lambda: write_weekly_digests(store.uow, clock)] * times, kept=False)
    finally:
        store.close()


class _Answering:
    """A chat platform that takes every notice at once: what is left is the dispatcher's own work."""

    def send(self, notice: Notice) -> str:
        return f"m{notice.id}"


def dispatch_round_trips(db_url: str, authority: Authority, notices: int) -> tuple[int, int]:
    """(notices, round trips) for `notices` due notices sent with `walkbot dispatch`'s settings."""
    write_notices(db_url, authority, notices, seed=2)
    store = open_store(db_url)
    try:
        dispatcher = Dispatcher(store, _Answering(), FixedClock(DUE + timedelta(hours=1)),
                                Settings(worker="bench", senders=SENDERS))
        with counting(store) as count:
            sent = len(dispatcher.deliver_due().sent)
        return sent, count.round_trips
    finally:
        store.close()


def request_costs(db_url: str, authority_url: str, *, times: int, notices: int, history: tuple[int, ...] = HISTORY,
                  session_visits: tuple[int, ...] = SESSION_VISITS, seed: int = 1,
                  progress: Callable[[str], None] = print) -> RequestCosts:
    """Every case above; `db_url` an empty PostgreSQL database for the 200-staff school, `authority_url` the
    seeded authority's."""
    authority = seed_authority(db_url, schools=1, staff_per_school=200, visits=0, seed=seed, progress=progress)
    store, acks, rng = open_store(db_url), open_store(db_url), random.Random(seed)
    try:
        school = _School(store, acks, authority, rng)
        school.say("/visit list", school.slt)  # the process has read the school once, as a running one has
        progress("request costs: each kind")
        kinds = _kinds(school, times)
        progress("request costs: history behind a teacher")
        proposals, limits, refused = _growth(school, times, history)
        progress("request costs: SLT's App Home as the session fills")
        home = _home(school, times, session_visits, rng)
    finally:
        store.close()
        acks.close()
    progress("request costs: the digest tick, dispatch")
    tick = digest_tick(authority_url, times)
    sent, trips = dispatch_round_trips(db_url, authority, notices)
    return RequestCosts(kinds, proposals, limits, refused, home, tick, sent, trips)
