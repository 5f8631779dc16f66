"""Helpers for the notice tests: schools on any preset, a recording transport, notices in bulk, and
`walkbot dispatch` as a subprocess against the Slack stand-in."""
from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from dataclasses import replace
from datetime import datetime
from importlib import resources
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml
from sqlalchemy import select

from bot.domain.clock import FixedClock
from bot.domain.model import Notice, NoticeKind, Staff
from bot.domain.school import School, parse_school_config
from bot.reply.card import card
from storage.db import Store

LONDON = ZoneInfo("Europe/London")
ROOT = Path(__file__).resolve().parents[2]
DEMO = yaml.safe_load(resources.files("bot").joinpath("demo/school.yml").read_text(encoding="utf-8"))
# A school morning with nothing special about it: the clock for tests that run in real time.
TUESDAY_10 = datetime(2027, 2, 2, 10, 0, tzinfo=LONDON)
FAKE_TOKEN = "xoxb-fake"  # short, so it never looks like a real one


def at(day: str, hhmm: str = "09:00") -> datetime:
    return datetime.fromisoformat(f"{day}T{hhmm}").replace(tzinfo=LONDON)


def demo_config(preset: str = "durants-learning-walks", *, extra_staff: int = 0) -> dict:
    """The demo school on any preset, with `extra_staff` more class teachers (t01, t02, …)."""
    config = copy.deepcopy(DEMO)
    config["school"]["policy"] = preset
    config["school"]["key"] = f"demo-{preset}"
    config["staff"] += [{"id": f"U9T{n:02d}", "handle": f"t{n:02d}", "name": f"Teacher {n:02d}", "roles": ["teacher"],
                         "line_manager": "U02DEPUTY"} for n in range(1, extra_staff + 1)]
    return config


def demo_school(preset: str = "durants-learning-walks", **overrides) -> tuple[School, tuple[Staff, ...]]:
    """A school and its staff as plain data, for the pure modules."""
    config = demo_config(preset)
    config["school"]["overrides"] = {**config["school"].get("overrides", {}), **{
        name: {"value": value, "agreed_by": "Test SNC", "agreed_on": "2026-09-01"} for name, value in overrides.items()}}
    parsed = parse_school_config(config)
    school = replace(parsed.school, id=1)
    staff = tuple(Staff(None, 1, s.chat_id, s.name, s.roles, s.handle, s.line_manager) for s in parsed.staff)
    return school, staff


class Recorder:
    """A transport that keeps what it was given and when (by the dispatcher's clock)."""

    def __init__(self, clock):
        self.clock = clock
        self.sent: list[tuple[datetime, Notice]] = []

    def send(self, notice: Notice) -> str:
        self.sent.append((self.clock.now(), notice))
        return f"rec-{notice.id}"


def add_notices(store: Store, school_id: int, count: int, due_at: datetime | list[datetime], *,
                recipient: str = "U03TOM", **fields) -> list[int]:
    """`count` pending notices, texts "notice 0", "notice 1", …"""
    dues = due_at if isinstance(due_at, list) else [due_at] * count
    with store.uow() as uow:
        ids = [uow.notices.add(Notice(school_id, NoticeKind.REMINDER, recipient, dues[n], card(f"notice {n}"), **fields)).id
               for n in range(count)]
        uow.commit()
    return ids


def statuses(store: Store) -> dict[str, int]:
    with store.uow() as uow:
        found: dict[str, int] = {}
        for status in ("pending", "sent", "failed", "expired", "superseded"):
            found[status] = len(uow.notices.listing([status], limit=100_000))
    return found


def dispatcher_process(db_url: str, slack_url: str, *args: str, now: datetime = TUESDAY_10,
                       once: bool = True) -> subprocess.Popen:
    """`walkbot dispatch [--once]` in a process of its own, posting to the stand-in, its clock starting at `now`."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SLACK_BOT_TOKEN": FAKE_TOKEN, "SLACK_API_URL": slack_url}
    env.pop("DATABASE_URL", None)
    return subprocess.Popen(
        [sys.executable, "-m", "handlers.cli", "dispatch", "--db", db_url, *(["--once"] if once else []),
         "--now", now.replace(tzinfo=None).isoformat(), *args],
        env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


SPRING_TERM = ROOT / "tests" / "data" / "spring_term.txt"


def replayed_term_notices(store: Store) -> list[Notice]:
    """Every notice a term of the demo school writes (tests/data/spring_term.txt through the console), as stored."""
    from bot.chat.router import Walkbot
    from bot.reply.card import from_data
    from handlers.console import (
        Console,  # here, not at the top: the subprocess helpers above need none of it
    )
    from handlers.wiring import load_school
    from storage.tables import NoticeRow

    demo = load_school(store, None)
    clock = FixedClock(datetime(2027, 1, 11, 8, 30, tzinfo=LONDON))
    with store.uow() as uow:
        rachel = uow.staff.find(demo.id, "@rachel")
    console = Console(bot=Walkbot(uow_factory=store.uow, clock=clock), store=store, school=demo, clock=clock,
                      actor=rachel)
    for said in SPRING_TERM.read_text().splitlines():
        console.say(said)
    with store.engine.connect() as conn:
        return [Notice(school_id=r.school_id, kind=r.kind, recipient=r.recipient, due_at=r.due_at,
                       card=from_data(json.loads(r.body)), visit_id=r.visit_id, walk_id=r.walk_id)
                for r in conn.execute(select(NoticeRow))]
