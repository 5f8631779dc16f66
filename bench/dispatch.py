"""Dispatch: 10,000 due notices sent by `walkbot dispatch` through the Slack stand-in, which holds
walkbot to Slack's posting limits (PostingLimits); notices a second against the stand-in's ceiling,
and the dispatcher's memory.
"""
from __future__ import annotations

import random
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from bench import processes
from bench.seed import seed_authority
from bench.slack import PostingLimits, SlackStandIn, fake_token
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
    sent: int
    seconds: float  # first post to last
    per_second: float
    ceiling: float  # the stand-in's workspace-wide limit, messages a second
    refused: int  # posts the stand-in answered with a 429
    peak_mib: float  # the dispatcher's peak resident memory while sending
    idle_mib: float  # ...and once everything had gone


def write_notices(db_url: str, count: int, *, schools: int, staff_per_school: int, seed: int, progress) -> int:
    """`count` notices due now, to staff across an authority in random order (two or so each)."""
    authority = seed_authority(db_url, schools=schools, staff_per_school=staff_per_school, visits=0, seed=seed,
                               progress=progress)
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


def dispatch_rate(db_url: str, *, logs: Path, notices: int = 10_000, schools: int = 100, staff_per_school: int = 50,
                  limits: PostingLimits = LIMITS, seed: int = 1, timeout: float = 900, progress=print) -> DispatchResult:
    recipients = write_notices(db_url, notices, schools=schools, staff_per_school=staff_per_school, seed=seed,
                               progress=progress)
    progress(f"dispatch: {notices:,} notices to {recipients:,} people, ceiling {limits.workspace:g} a second")
    with SlackStandIn(limits=limits) as slack:
        env = {"DATABASE_URL": db_url, "SLACK_API_URL": slack.url, "SLACK_BOT_TOKEN": fake_token("xoxb", "bench-dispatch")}
        argv = processes.walkbot("dispatch", "--now", NOW, "--every", "1")
        with processes.running(argv, env, logs / "dispatch.log") as dispatcher:
            deadline, peak = time.monotonic() + timeout, 0.0
            while len(slack.posted_at) < notices and time.monotonic() < deadline:
                if dispatcher.poll() is not None:
                    raise RuntimeError(f"walkbot dispatch stopped:\n{(logs / 'dispatch.log').read_text()[-2000:]}")
                peak = max(peak, processes.memory_mib(dispatcher.pid)[1])
                time.sleep(0.5)
            time.sleep(3)  # a few idle runs of the scheduler
            idle, peak_now = processes.memory_mib(dispatcher.pid)
        posted = sorted(slack.posted_at)
    seconds = posted[-1] - posted[0] if len(posted) > 1 else 0.0
    return DispatchResult(notices, recipients, len(posted), seconds, (len(posted) - 1) / seconds if seconds else 0.0,
                          limits.workspace, slack.limited, max(peak, peak_now), idle)
