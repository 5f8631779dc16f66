"""Ack latency: `walkbot serve` over a seeded database against a bare Bolt app served the same way,
both driven by the same signed requests (propose, agree, limits, list, App Home opened).
"""
from __future__ import annotations

import itertools
import random
import re
import sys
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from bench import load, processes
from bench.seed import Authority
from bench.slack import (
    Answers,
    SlackRequest,
    SlackStandIn,
    click,
    command,
    fake_token,
    home_opened,
)
from handlers.slack.blocks import AGREE

SECRET = "bench-signing-secret-0123456789abcdef"
EVENTS_PATH = "/slack/events"
KINDS = ("propose", "agree", "limits", "list", "home")
TIMES = ("09:00", "10:00", "11:15", "13:30", "14:15")
VISIT = re.compile(r"#(\d+)")


@dataclass(frozen=True)
class Run:
    target: str  # "walkbot", or the bare bot beside it ("bare Bolt", "bare Teams SDK")
    concurrency: int
    latencies: load.Latencies
    cpu_ms: float | None = None  # the server's CPU time per request, its workers' included, over the run


@dataclass(frozen=True)
class AckResult:
    runs: list[Run]
    idle_mib: float  # walkbot's server, started and answering, before any load
    loaded_mib: float  # ...after all the runs
    peak_mib: float
    bare_idle_mib: float | None = None  # the bare Bolt app's, at the same moment as idle_mib
    workers_idle_mib: float = 0.0  # the `walkbot work` processes walkbot serve started, together, at idle_mib
    workers: int = 0


def spring_days() -> list[date]:
    """School days of Spring 2027 (outside half-term) in every seeded school's calendar."""
    days, day = [], date(2027, 1, 11)
    while day <= date(2027, 3, 26):
        if day.weekday() < 5 and not date(2027, 2, 15) <= day <= date(2027, 2, 19):
            days.append(day)
        day += timedelta(days=1)
    return days


def script(authority: Authority, seed: int, slack_url: str) -> load.Script:
    """Each person works through propose → agree → limits → list → App Home, over and over, as
    different people in different schools, reproducibly."""
    days, ids = spring_days(), itertools.count(1)

    def next_request(client: int, step: int, previous: load.Answered | None) -> SlackRequest:
        rng = random.Random(seed * 1_000_003 + client * 10_007 + step // len(KINDS))
        school = rng.choice(authority.on_slack)
        teacher, visitor = rng.sample(school.teachers, 2)
        kind, team, request_id = KINDS[step % len(KINDS)], school.team_id, f"{time.time():.0f}.{next(ids):06d}"
        asked = {"team": school.team_id, "slack_url": slack_url, "request_id": request_id}
        if kind == "propose":
            when = f"{rng.choice(days).isoformat()} {rng.choice(TIMES)}"
            return command(kind, f'propose <@{teacher}> {when} 30m kind formal focus "questioning" '
                                 'feedback "a chat after school"', user=visitor, **asked)
        found = VISIT.search(previous.said) if previous and kind == "agree" else None
        if found:
            return click(kind, AGREE, found.group(1), user=teacher, team=team, request_id=request_id)
        if kind in ("agree", "limits"):  # a refused proposal leaves nothing to agree: the teacher's limits instead
            return command("limits", "limits", user=teacher, **asked)
        if kind == "list":
            return command(kind, "list", user=visitor, **asked)
        return home_opened(kind, user=teacher, team=team, request_id=request_id)

    return next_request


def ack_latency(db_url: str, authority: Authority, *, logs: Path, concurrencies=(1, 8), requests: int = 500,
                warmup: int = 10, seed: int = 1, progress=print) -> AckResult:
    runs: list[Run] = []
    answers = Answers()
    with SlackStandIn(override=answers) as slack:
        env = {"DATABASE_URL": db_url, "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": slack.url,
               "SLACK_BOT_TOKEN": fake_token("xoxb", "bench-walkbot")}
        walkbot_port, bare_port = processes.free_port(), processes.free_port()
        serve_log, bare_log = logs / "serve.log", logs / "bare-bolt.log"
        with processes.running(processes.walkbot("serve", "--port", str(walkbot_port)), env, serve_log) as serve, \
                processes.running([sys.executable, "-m", "bench.bare_bolt", "--port", str(bare_port)], env,
                                  bare_log) as bare:
            processes.wait_healthy(walkbot_port, serve, serve_log)
            processes.wait_healthy(bare_port, bare, bare_log)
            time.sleep(2)  # settled: imports done, the dispatcher's first run over
            idle, _ = processes.memory_mib(serve.pid)
            workers = processes.children(serve.pid)
            workers_idle = sum(processes.memory_mib(worker)[0] for worker in workers)
            bare_idle, _ = processes.memory_mib(bare.pid)
            for concurrency in concurrencies:
                for target, port, pid, awaited in (("walkbot", walkbot_port, serve.pid, answers),
                                                   ("bare Bolt", bare_port, bare.pid, None)):
                    progress(f"ack latency: {target}, concurrency {concurrency}, {requests} requests")
                    latencies = load.run(port, EVENTS_PATH, SECRET, script(authority, seed, slack.url),
                                         concurrency=concurrency, requests=requests, warmup=warmup, answers=awaited,
                                         cpu=lambda pid=pid: processes.cpu_seconds(pid))
                    runs.append(Run(target, concurrency, latencies, latencies.cpu_ms))
            loaded, peak = processes.memory_mib(serve.pid)
    return AckResult(runs, idle, loaded, peak, bare_idle, workers_idle, len(workers))
