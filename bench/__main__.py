"""`python -m bench` (or `python3 dev.py bench`): every benchmark in one go, written to docs/benchmarks.md.

    python -m bench [--db POSTGRES_URL] [--out docs/benchmarks.md] [--quick] [--shared]

Databases are created beside the one in --db (walkbot_bench_*) and dropped afterwards. --quick runs
the same code at toy sizes, to see that it works (the tests do that); its figures mean nothing.
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from bench import report
from bench.ack import ack_latency
from bench.costs import request_costs
from bench.dispatch import dispatch_rate, teams_dispatch_rate
from bench.proposals import fresh_database, scaling
from bench.seed import seed_authority
from bench.teams import teams_latency
from storage.db import make_engine

DEFAULT_DB = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@dataclass(frozen=True)
class Sizes:
    schools: int
    teams_schools: int  # of them, on Teams (the rest on Slack)
    staff_per_school: int
    visits: int
    requests: int  # timed requests per (target, concurrency)
    history: tuple[int, ...]  # visits in the database for the scaling benchmark
    proposals: int
    notices: int
    dispatch_staff: int  # of the one school whose Slack workspace the notices go through (a large secondary's)
    dispatch_timeout: float  # seconds a dispatch benchmark waits for every notice to go
    timed_costs: int  # requests timed per case of bench/costs.py
    history_behind: tuple[int, ...]  # booked visits behind a teacher
    session_visits: tuple[int, ...]  # visits in the session, for SLT's App Home
    counted_notices: int  # notices whose dispatch round trips are counted


FULL = Sizes(schools=100, teams_schools=20, staff_per_school=50, visits=200_000, requests=600,
             history=(1_000, 100_000, 1_000_000), proposals=300, notices=10_000, dispatch_staff=200,
             dispatch_timeout=900, timed_costs=10, history_behind=(2, 16, 187, 374),
             session_visits=(200, 2_000, 20_000), counted_notices=2_000)
QUICK = Sizes(schools=3, teams_schools=1, staff_per_school=10, visits=300, requests=20, history=(200, 600),
              proposals=5, notices=40, dispatch_staff=10, dispatch_timeout=120, timed_costs=2, history_behind=(2, 16),
              session_visits=(20, 200), counted_notices=100)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--db", default=os.environ.get("WALKBOT_TEST_POSTGRES_URL", DEFAULT_DB),
                        help=f"a PostgreSQL URL (default: $WALKBOT_TEST_POSTGRES_URL, else {DEFAULT_DB})")
    parser.add_argument("--out", type=Path, default=Path("docs/benchmarks.md"))
    parser.add_argument("--quick", action="store_true", help="toy sizes: shows that it runs, measures nothing")
    parser.add_argument("--shared", action="store_true", help="say on the page that others used the machine meanwhile")
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    began = time.monotonic()

    def progress(line: str) -> None:
        print(f"[{time.monotonic() - began:6.0f} s] {line}", flush=True)

    engine = make_engine(args.db)
    admin = engine.execution_options(isolation_level="AUTOCOMMIT")
    try:
        with ExitStack() as stack:
            logs = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="walkbot-bench-")))
            authority_db = stack.enter_context(fresh_database(admin, args.db, "walkbot_bench_authority"))
            seeding = time.monotonic()
            authority = seed_authority(authority_db, schools=sizes.schools, staff_per_school=sizes.staff_per_school,
                                       visits=sizes.visits, teams_schools=sizes.teams_schools, progress=progress)
            seeded_in = time.monotonic() - seeding
            acks = ack_latency(authority_db, authority, logs=logs, requests=sizes.requests, progress=progress)
            teams = teams_latency(authority_db, authority, logs=logs, requests=sizes.requests, progress=progress)
            costs = scaling(args.db, sizes.history, proposals=sizes.proposals, schools=sizes.schools,
                            staff_per_school=sizes.staff_per_school, progress=progress)
            dispatch_db = stack.enter_context(fresh_database(admin, args.db, "walkbot_bench_dispatch"))
            sent = dispatch_rate(dispatch_db, logs=logs, notices=sizes.notices, staff=sizes.dispatch_staff,
                                 timeout=sizes.dispatch_timeout, progress=progress)
            teams_db = stack.enter_context(fresh_database(admin, args.db, "walkbot_bench_dispatch_teams"))
            costs_db = stack.enter_context(fresh_database(admin, args.db, "walkbot_bench_costs"))
            requests = request_costs(costs_db, authority_db, times=sizes.timed_costs, notices=sizes.counted_notices,
                                     history=sizes.history_behind, session_visits=sizes.session_visits,
                                     progress=progress)
            teams_sent = teams_dispatch_rate(teams_db, logs=logs, notices=sizes.notices, schools=sizes.teams_schools,
                                             staff_per_school=sizes.staff_per_school, timeout=sizes.dispatch_timeout,
                                             progress=progress)
    finally:
        engine.dispose()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(report.markdown(authority=authority, seeded_in=seeded_in, acks=acks, teams=teams,
                                        costs=costs, sent=sent, teams_sent=teams_sent, requests=requests,
                                        db_url=args.db,
                                        took=time.monotonic() - began, quick=args.quick, shared=args.shared))
    progress(f"written: {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
