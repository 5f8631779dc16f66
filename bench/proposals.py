"""What one proposal costs (the rules and the storage behind them) as history grows.

The same authority is seeded with 1,000, 100,000 and 1,000,000 visits, each in a fresh database: the
schools, the staff and the current session stay the same, only the past sessions fill up. The same
proposals into Spring 2027 are then made through bot.usecases.visits.propose_visit, each in its own unit of work
and committed, in turns across the databases. A booking check reads the visits around the wanted time and
the teacher's current session, never all history, so the cost should barely move; the EXPLAIN of its
queries shows which index each uses.

    python -m bench.proposals --db postgresql+psycopg://postgres@127.0.0.1:5432/test --sizes 1000,100000,1000000
"""
from __future__ import annotations

import argparse
import math
import os
import random
import statistics
import time as timer
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, event, text
from sqlalchemy.engine import make_url

from bench.seed import CURRENT_SHARE, Authority, seed_authority
from bot.chat.router import Walkbot
from bot.domain.clock import FixedClock
from bot.domain.model import VisitKind
from bot.usecases import commands as c
from bot.usecases.visits import propose_visit
from storage import Store, open_store
from storage.db import make_engine

NOW = datetime(2027, 1, 11, 8, 0, tzinfo=ZoneInfo("Europe/London"))  # Monday of Spring 2027's second week
# From two weeks on (past every agreement's notice) to the end of the Spring term.
FIRST_DAY, LAST_DAY = date(2027, 1, 25), date(2027, 3, 26)
KINDS = (VisitKind.PEER, VisitKind.FORMAL)
FOCUS, FEEDBACK = "how pupils explain their reasoning", "a conversation after school that week"
WARMUP = 20  # untimed proposals first: connections opened, presets parsed, statements cached
ROUND = 10  # proposals timed in one database before the next one's turn


@dataclass(frozen=True)
class ProposalCost:
    visits_in_db: int
    proposals: int
    p50_ms: float
    p95_ms: float
    mean_ms: float
    plan: str  # EXPLAIN of the visits queries a booking check runs, showing the index each uses


def _proposals(store: Store, authority: Authority, count: int, rng: random.Random) -> list[c.ProposeVisit]:
    """`count` proposals that break no rule: colleagues who are both free then, in term time."""
    with store.uow() as uow:
        calendars = {s.id: uow.schools.get(s.id).calendar for s in authority.schools}
    days = [FIRST_DAY + timedelta(days=n) for n in range((LAST_DAY - FIRST_DAY).days + 1)]
    taken, found = set(), []
    while len(found) < count:
        school = rng.choice(authority.schools)
        calendar = calendars[school.id]
        teacher = rng.choice(school.teachers)
        visitor = rng.choice([p for p in school.slt + school.teachers if p != teacher])
        day, period = rng.choice(days), rng.choice(calendar.periods)
        times = {(school.id, person, day, period.name) for person in (teacher, visitor)}
        if not calendar.is_school_day(day) or times & taken:
            continue
        taken |= times
        found.append(c.ProposeVisit(school_id=school.id, actor=visitor, teacher=teacher,
                                    when=c.When(day=day, time=period.start), minutes=30, kind=rng.choice(KINDS),
                                    focus=FOCUS, feedback=FEEDBACK))
    return found


def _timed(store: Store, commands: Sequence[c.ProposeVisit], clock: FixedClock) -> list[float]:
    """Milliseconds per proposal; a refusal raises, since it would time a different path."""
    took = []
    for command in commands:
        started = timer.perf_counter()
        propose_visit(command, store.uow(), clock)
        took.append((timer.perf_counter() - started) * 1000)
    return took


def _through_the_router(store: Store, command: c.ProposeVisit, clock: FixedClock) -> None:
    """The same proposal as staff type it: the benchmark's data must work the way people reach it."""
    typed = (f"/visit propose @{command.teacher} {command.when.day.isoformat()} {command.when.time:%H:%M} 30m "
             f'kind {command.kind.value} focus "{FOCUS}" feedback "{FEEDBACK}"')
    reply = Walkbot(uow_factory=store.uow, clock=clock).handle(typed, school_id=command.school_id, actor=command.actor)
    if not reply.ok:
        raise RuntimeError(f"The router refused a benchmark proposal: {reply.text}")


def _visit_queries(store: Store, command: c.ProposeVisit, clock: FixedClock) -> list[tuple[str, object]]:
    """The SELECTs on visits one proposal runs, as sent to the database, with their parameters."""
    seen = []

    def keep(_conn, _cursor, statement, parameters, _context, _many) -> None:
        if statement.lstrip().startswith("SELECT") and "FROM visits" in statement:
            seen.append((statement, parameters))

    event.listen(store.engine, "before_cursor_execute", keep)
    try:
        propose_visit(command, store.uow(), clock)
    finally:
        event.remove(store.engine, "before_cursor_execute", keep)
    return seen


def _explain(store: Store, queries: list[tuple[str, object]]) -> str:
    postgres = store.engine.dialect.name == "postgresql"
    explain = "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, TIMING OFF, SUMMARY OFF)" if postgres else "EXPLAIN QUERY PLAN"
    parts = []
    with store.engine.connect() as conn:
        for statement, parameters in queries:
            rows = conn.exec_driver_sql(f"{explain} {statement}", parameters).all()
            what = ("visits involving the teacher or a visitor near that time (clashes)" if "UNION" in statement
                    else "the teacher's booked visits in the session (caps)")
            parts.append("\n".join([f"-- {what}", *(str(row[-1]) for row in rows)]))
    return "\n\n".join(parts)


def _p95(took: list[float]) -> float:
    return sorted(took)[math.ceil(0.95 * len(took)) - 1]


@dataclass
class _Run:
    """One seeded database being measured: its proposals, and how long each timed one took."""

    visits: int
    store: Store
    commands: list[c.ProposeVisit]
    took: list[float] = field(default_factory=list)


def _seeded(db_url: str, visits: int, proposals: int, seed: int, schools: int, staff_per_school: int,
            this_session: int | None, progress: Callable[[str], None] | None) -> _Run:
    authority = seed_authority(db_url, schools=schools, staff_per_school=staff_per_school, visits=visits,
                               seed=seed, this_session=this_session, progress=progress)
    store = open_store(db_url)
    # The same proposals at every size: the authority's shape and the seed are the same.
    return _Run(visits, store, _proposals(store, authority, WARMUP + proposals + 2, random.Random(seed)))


def _measure(runs: list[_Run], proposals: int) -> list[ProposalCost]:
    """Time the proposals in rounds across the databases, so a busy moment on the machine weighs on each alike."""
    clock = FixedClock(NOW)
    for run in runs:
        _timed(run.store, run.commands[:WARMUP], clock)
    for first in range(WARMUP, WARMUP + proposals, ROUND):
        for run in runs:
            run.took += _timed(run.store, run.commands[first:min(first + ROUND, WARMUP + proposals)], clock)
    costs = []
    for run in runs:
        _through_the_router(run.store, run.commands[-2], clock)
        costs.append(ProposalCost(
            visits_in_db=run.visits, proposals=proposals, p50_ms=statistics.median(run.took), p95_ms=_p95(run.took),
            mean_ms=statistics.fmean(run.took), plan=_explain(run.store, _visit_queries(run.store, run.commands[-1], clock)),
        ))
    return costs


def proposal_cost(db_url: str, *, visits: int, proposals: int = 300, seed: int = 1, schools: int = 100,
                  staff_per_school: int = 50, this_session: int | None = None,
                  progress: Callable[[str], None] | None = None) -> ProposalCost:
    """Seed the empty database at `db_url` with `visits` (`this_session` of them in the current session: see
    seed_authority), then time `proposals` proposals into Spring 2027."""
    run = _seeded(db_url, visits, proposals, seed, schools, staff_per_school, this_session, progress)
    try:
        return _measure([run], proposals)[0]
    finally:
        run.store.close()


@contextmanager
def fresh_database(admin: Engine, base_url: str, name: str) -> Iterator[str]:
    """A new, empty PostgreSQL database beside the base URL's, dropped afterwards. Its name ends in this process's
    id: two runs at once (the tests' --quick beside a full run) never drop each other's."""
    name = f"{name}_{os.getpid()}"
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(base_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def scaling(base_url: str, sizes: Sequence[int] = (1_000, 100_000, 1_000_000), *, proposals: int = 300,
            seed: int = 1, schools: int = 100, staff_per_school: int = 50, this_session: int | None = None,
            progress: Callable[[str], None] | None = None) -> list[ProposalCost]:
    """proposal_cost at each size, each in its own database `walkbot_bench_<size>` on PostgreSQL, timed in turns.
    Every size has the same current session (by default the smallest size's), so only history differs."""
    say = progress or (lambda _line: None)
    current = min(sizes) // CURRENT_SHARE if this_session is None else this_session
    engine = make_engine(base_url)
    if engine.dialect.name != "postgresql":
        raise ValueError("The scaling benchmark runs on PostgreSQL: pass a postgresql:// URL.")
    admin = engine.execution_options(isolation_level="AUTOCOMMIT")  # CREATE DATABASE runs outside a transaction
    runs = []
    try:
        with ExitStack() as databases:
            for size in sizes:
                url = databases.enter_context(fresh_database(admin, base_url, f"walkbot_bench_{size}"))
                say(f"Seeding {size:,} visits")
                runs.append(_seeded(url, size, proposals, seed, schools, staff_per_school, current, progress))
                databases.callback(runs[-1].store.close)  # closed before its database is dropped
            say(f"Timing {proposals} proposals at each size")
            return _measure(runs, proposals)
    finally:
        engine.dispose()


def report(costs: Sequence[ProposalCost]) -> str:
    """The table, the ratio largest/smallest, and the booking check's plan at the largest size."""
    lines = [f"{'visits in db':>14} {'proposals':>10} {'p50 ms':>8} {'p95 ms':>8} {'mean ms':>8}"]
    lines += [f"{c.visits_in_db:>14,} {c.proposals:>10} {c.p50_ms:>8.2f} {c.p95_ms:>8.2f} {c.mean_ms:>8.2f}"
              for c in costs]
    small, large = costs[0], costs[-1]
    lines.append(f"{large.visits_in_db:,} / {small.visits_in_db:,} visits: p50 ×{large.p50_ms / small.p50_ms:.2f}, "
                 f"p95 ×{large.p95_ms / small.p95_ms:.2f}, mean ×{large.mean_ms / small.mean_ms:.2f}")
    lines += ["", f"The booking check's visits queries with {large.visits_in_db:,} visits:", large.plan]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.proposals",
                                     description="The cost of a proposal as the visits in the database grow.")
    parser.add_argument("--db", required=True, help="PostgreSQL URL; a database per size is created beside it")
    parser.add_argument("--sizes", default="1000,100000,1000000", help="visits to seed, comma-separated")
    parser.add_argument("--proposals", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    sizes = [int(size) for size in args.sizes.split(",")]
    print(report(scaling(args.db, sizes, proposals=args.proposals, seed=args.seed, progress=print)))


if __name__ == "__main__":
    main()
