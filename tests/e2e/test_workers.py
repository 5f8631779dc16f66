"""Several `walkbot serve` processes over one PostgreSQL database, as docs/deploy.md runs them: requests
for the same teacher land on different workers at once, and the agreement's cap still holds.

(Several dispatchers on one database: tests/e2e/test_dispatch_processes.py.)
"""
from __future__ import annotations

import re
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import text
from standin import SlackStandIn, fake_token

from bench import processes
from bench.slack import Answers, SlackRequest, click, command
from handlers.slack.blocks import AGREE
from handlers.wiring import load_school
from storage.db import open_store

SECRET = "workers-signing-secret"
WORKERS = 3
VISITORS = ["U05SAM", "U01HEAD", "U04AMY", "U02DEPUTY"]
SLOTS = [f"2027-03-{day:02d} {time}" for day in (1, 2, 3, 4, 5, 8) for time in ("09:00", "13:30")]


@pytest.mark.postgres
def test_bookings_for_one_teacher_across_several_workers_hold_the_cap(postgres_url, tmp_path):
    store = open_store(postgres_url)
    load_school(store, None)  # the demo school (Durants: 3 observations a year), workspace T0DEMO
    answers = Answers()
    with SlackStandIn(override=answers) as slack:
        env = {"DATABASE_URL": postgres_url, "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": slack.url,
               "SLACK_BOT_TOKEN": fake_token("xoxb", "workers")}
        ports = [processes.free_port() for _ in range(WORKERS)]
        with processes.running(processes.walkbot("serve", "--port", str(ports[0])), env, tmp_path / "0.log") as first, \
                processes.running(processes.walkbot("serve", "--port", str(ports[1])), env, tmp_path / "1.log") as second, \
                processes.running(processes.walkbot("serve", "--port", str(ports[2])), env, tmp_path / "2.log") as third:
            for port, worker, n in zip(ports, (first, second, third), range(WORKERS)):
                processes.wait_healthy(port, worker, tmp_path / f"{n}.log")

            def ask(n: int, request: SlackRequest) -> str:
                since = time.perf_counter()
                assert request.post(ports[n % WORKERS], SECRET) == 200
                answered = answers.wait(request.answered_by, since)
                assert answered, f"no answer to {request.kind} {n}"
                return answered[1]

            where = {"team": "T0DEMO", "slack_url": slack.url}
            proposals = [command("propose", f'propose <@U03TOM|tom> {slot} 30m kind formal focus "questioning" '
                                            'feedback "a chat after school"', user=VISITORS[n % len(VISITORS)],
                                 request_id=f"propose-{n}", **where) for n, slot in enumerate(SLOTS)]
            with ThreadPoolExecutor(len(SLOTS)) as pool:
                proposed = list(pool.map(ask, range(len(SLOTS)), proposals))
            visit_ids = [re.search(r"#(\d+)", said).group(1) for said in proposed]
            assert len(visit_ids) == len(SLOTS), proposed
            agreements = [click("agree", AGREE, visit_id, user="U03TOM", request_id=f"agree-{n}", team="T0DEMO")
                          for n, visit_id in enumerate(visit_ids)]
            with ThreadPoolExecutor(len(SLOTS)) as pool:
                answered = list(pool.map(ask, range(len(SLOTS)), agreements))
    with store.engine.connect() as conn:
        agreed = conn.scalar(text("SELECT count(*) FROM visits WHERE status = 'agreed'"))
        waiting = conn.scalar(text("SELECT count(*) FROM visits WHERE status = 'proposed'"))
    store.close()
    # Each Agree was answered (Tom's App Home published anew, with why when it was refused); the cap held.
    print(f"\n{len(SLOTS)} agreements sent to {WORKERS} workers at once: {agreed} agreed, {waiting} refused")
    assert len(answered) == len(SLOTS) and agreed == 3 and waiting == len(SLOTS) - 3
