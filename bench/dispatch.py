"""Dispatch: 10,000 due notices sent by `walkbot dispatch` through a stand-in that holds walkbot to a chat's limits:
Slack's posting limits (PostingLimits) in one school's workspace, and Teams' per-conversation limits (the connector
stand-in's) across the schools on Teams; notices a second, the 429s taken, and the dispatcher's memory.
"""
from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from teams_support import APP_ID, SECRET, key

from bench import processes
from bench.seed import Authority, seed_authority
from bench.slack import PostingLimits, SlackStandIn, fake_token
from bench.teams import TeamsStandIn, install, settings
from bot.domain.model import Notice, NoticeKind
from bot.reply.card import card
from storage import open_store

LONDON = ZoneInfo("Europe/London")
DUE = datetime(2027, 2, 2, 9, 0, tzinfo=LONDON)  # a Tuesday morning in term...
NOW = "2027-02-02T10:00"  # ...and the dispatcher's clock starts an hour later, all of them due
LIMITS = PostingLimits(per_channel=1.0, channel_burst=3, workspace=100.0, workspace_burst=100)
TEXT = ("Reminder: tomorrow, Wed 3 Feb 2027 at 11:10, a formal visit to your class for 30 minutes. Focus: "
        "questioning. Feedback: a chat after school. Say /visit show {n} for everything about it.")


@dataclass(frozen=True)
class DispatchResult:
    notices: int
    recipients: int
    schools: int
    sent: int
    seconds: float  # first post to last
    per_second: float
    ceiling: float | None  # Slack's workspace-wide limit, messages a second (Teams has none per workspace)
    refused: int  # posts the stand-in answered with a 429
    peak_mib: float  # the dispatcher's peak resident memory while sending
    idle_mib: float  # ...and once everything had gone


def write_notices(db_url: str, authority: Authority, count: int, *, seed: int) -> int:
    """`count` notices due now, to the SLT and teachers of the authority in random order (two or so each); how
    many people they go to."""
    people = [(school.id, person) for school in authority.schools for person in school.slt + school.teachers]
    rng = random.Random(seed)
    store = open_store(db_url)
    try:
        with store.uow() as uow:
            for n in range(count):
                school_id, person = rng.choice(people)
                uow.notices.add(Notice(school_id, NoticeKind.REMINDER, person, DUE, card(TEXT.format(n=n + 1))))
            uow.commit()
    finally:
        store.close()
    return len({person for _, person in people})


def _sending(env: dict[str, str], log: Path, posted: list[float], notices: int,
             timeout: float) -> tuple[list[float], float, float]:
    """`walkbot dispatch` until the stand-in has taken `notices` posts: when each came, peak and idle memory."""
    with processes.running(processes.walkbot("dispatch", "--now", NOW, "--every", "1"), env, log) as dispatcher:
        deadline, peak = time.monotonic() + timeout, 0.0
        while len(posted) < notices and time.monotonic() < deadline:
            if dispatcher.poll() is not None:
                raise RuntimeError(f"walkbot dispatch stopped:\n{log.read_text()[-2000:]}")
            peak = max(peak, processes.memory_mib(dispatcher.pid)[1])
            time.sleep(0.5)
        time.sleep(3)  # a few idle runs of the scheduler
        idle, peak_now = processes.memory_mib(dispatcher.pid)
    return sorted(posted), max(peak, peak_now), idle


def _result(authority: Authority, notices: int, recipients: int, sent: tuple[list[float], float, float],
            ceiling: float | None, refused: int) -> DispatchResult:
    posted, peak, idle = sent
    seconds = posted[-1] - posted[0] if len(posted) > 1 else 0.0
    return DispatchResult(notices, recipients, len(authority.schools), len(posted), seconds,
                          (len(posted) - 1) / seconds if seconds else 0.0, ceiling, refused, peak, idle)


def _workspace(team: str) -> Callable:
    """The stand-in's hook: its bot token is this school's workspace's (auth.test says so)."""
    def answer(call):
        if call.method == "auth.test":
            return 200, {}, {"ok": True, "team_id": team, "user_id": "U0BOT", "bot_id": "B0BOT"}
        return None
    return answer


def dispatch_rate(db_url: str, *, logs: Path, notices: int = 10_000, staff: int = 200, limits: PostingLimits = LIMITS,
                  seed: int = 1, timeout: float = 900, progress=print) -> DispatchResult:
    """Through Slack: a workspace's limits hold for its one school (SLACK_BOT_TOKEN serves that school alone)."""
    authority = seed_authority(db_url, schools=1, staff_per_school=staff, visits=0, seed=seed, progress=progress)
    recipients = write_notices(db_url, authority, notices, seed=seed)
    progress(f"dispatch: {notices:,} notices to {recipients:,} people, ceiling {limits.workspace:g} a second")
    with SlackStandIn(limits=limits, override=_workspace(authority.schools[0].team_id)) as slack:
        env = {"DATABASE_URL": db_url, "SLACK_API_URL": slack.url,
               "SLACK_BOT_TOKEN": fake_token("xoxb", "bench-dispatch")}
        sent = _sending(env, logs / "dispatch.log", slack.posted_at, notices, timeout)
    return _result(authority, notices, recipients, sent, limits.workspace, slack.limited)


def teams_dispatch_rate(db_url: str, *, logs: Path, notices: int = 10_000, schools: int = 20,
                        staff_per_school: int = 50, seed: int = 1, timeout: float = 900,
                        progress=print) -> DispatchResult:
    """Through Teams: each school its own tenant, everyone's personal chat stored (walkbot installed for all)."""
    authority = seed_authority(db_url, schools=schools, staff_per_school=staff_per_school, visits=0, seed=seed,
                               teams_schools=schools, progress=progress)
    recipients = write_notices(db_url, authority, notices, seed=seed)
    progress(f"Teams dispatch: {notices:,} notices to {recipients:,} people in the schools on Teams")
    with TeamsStandIn(key=key(), client_id=APP_ID, client_secret=SECRET) as connector:
        install(db_url, authority, connector)
        env = {"DATABASE_URL": db_url, "TEAMS_LOGIN_URL": connector.cloud.login_endpoint, **settings()}
        sent = _sending(env, logs / "teams-dispatch.log", connector.posted_at, notices, timeout)
    return _result(authority, notices, recipients, sent, None, len(connector.throttled))
