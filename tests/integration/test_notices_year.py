"""A whole school year per preset, replayed on a fixed clock through the real dispatcher.

Each school week a visit runs one of eight courses (kept, unanswered, counter-offer ignored, moved
and never marked held, held with no dialogue, cancelled, declined, a peer visit), and each term a
learning walk is planned with two rooms. The clock steps through every moment a notice falls due
(Dispatcher.deliver_until, as `advance` does in the console). Then:

- every notice went exactly once, at its due time, on a school day, in school hours;
- nothing is left pending, failed or expired;
- the reminders, nudges, escalations, digests and walk programmes sent are exactly those an
  independent reckoning from the calendar expects (below: not bot.notices.reminders' code).
"""
from __future__ import annotations

import os
import re
import time as clock_time
from collections import Counter
from datetime import date, datetime, time, timedelta

import pytest
import yaml
from notices_support import Recorder, demo_config

from bot import rules
from bot.chat.router import Walkbot
from bot.domain.clock import FixedClock
from bot.domain.policy import PRESET_IDS
from bot.notices.delivery import Settings
from handlers.dispatcher import Dispatcher
from handlers.wiring import load_school
from storage.db import open_store

LONG = os.environ.get("WALKBOT_LONG_TESTS") == "1"
START, END = date(2026, 9, 1), date(2027, 7, 31)
SLT = ("U01HEAD", "U02DEPUTY")
VISITORS = ("U05SAM", "U01HEAD", "U02DEPUTY")  # Sam Patel, Rachel Carli, Daniela Barzanti
TEACHERS = tuple(f"U9T{n:02d}" for n in range(1, 16))
COURSES = ("kept", "unanswered", "countered", "moved", "held", "cancelled", "declined", "peer")
CHECKED = {"reminder", "reminder.soon", "reminder.teacher", "reminder.dialogue", "nudge", "nudge.held",
           "nudge.dialogue", "escalation", "digest", "walk.announcement"}


class Year:
    """The script, as actions to run in time order, and alongside it what should be sent: (kind, recipient, moment)."""

    def __init__(self, school):
        self.school, self.cal, self.policy = school, school.calendar, school.policy
        self.actions: list[tuple[datetime, int, str, str, str | None]] = []  # moment, order, actor, text, saved as
        self.expected: list[tuple[str, str, datetime]] = []

    # --- the calendar, reckoned independently ---------------------------------------------------------

    def school_day(self, day: date) -> bool:
        return self.cal.is_school_day(day)

    def after(self, day: date, n: int = 1) -> date:
        last = self.cal.sessions[-1].end
        while n and day <= last:
            day += timedelta(days=1)
            n -= self.school_day(day)
        return day

    def before(self, day: date) -> date:
        day -= timedelta(days=1)
        while not self.school_day(day):
            day -= timedelta(days=1)
        return day

    def first_school_day(self, monday: date) -> date | None:
        return next((d for d in (monday + timedelta(days=n) for n in range(5)) if self.school_day(d)), None)

    def at(self, day: date, hhmm: str) -> datetime:
        return self.cal.at(day, time.fromisoformat(hhmm))

    def morning(self, day: date) -> datetime:
        return self.at(day, "07:50")  # an hour before the 08:50 school day

    def expect(self, kind: str, who, moment: datetime) -> None:
        self.expected += [(kind, person, moment) for person in ((who,) if isinstance(who, str) else who)]

    def do(self, moment: datetime, actor: str, text: str, save_as: str | None = None) -> None:
        """`text` may name an earlier visit as {key}: its number once created."""
        self.actions.append((moment, len(self.actions), actor, text, save_as))

    # --- the courses ------------------------------------------------------------------------------------

    def visit(self, week: int, monday: date) -> None:
        asked = self.first_school_day(monday)
        day = monday + timedelta(days=10)  # Thursday of the week after
        if asked is None or not self.school_day(day) or not self.school_day(self.after(day, 12)):
            return
        course = COURSES[week % len(COURSES)]
        teacher, visitor = TEACHERS[week % len(TEACHERS)], VISITORS[week % len(VISITORS)]
        answer, next_day, v = self.after(asked), self.after(day), f"w{week}"
        kind = "peer" if course == "peer" else "formal"
        self.do(self.at(asked, "09:00"), visitor, f"/visit propose @t{teacher[-2:]} {day} P2 30m kind {kind} "
                f'focus "questioning" feedback "after school"', save_as=v)
        start = self.at(day, "09:50")
        if course == "unanswered":
            self.expect("nudge", teacher, self.morning(self.after(asked, 2)))
            return
        if course == "declined":
            self.do(self.at(answer, "09:00"), teacher, f'/visit decline {{{v}}} "mock exams that week"')
            return
        if course == "countered":
            self.do(self.at(answer, "09:00"), teacher, f"/visit suggest {{{v}}} {next_day} P3")
            self.expect("nudge", visitor, self.morning(self.after(answer, 2)))
            return
        self.do(self.at(answer, "09:00"), teacher, f"/visit agree {{{v}}}")
        if course == "cancelled":
            self.do(self.at(answer, "10:00"), teacher, f'/visit cancel {{{v}}} "fire drill"')
            return
        if course == "moved":
            self.do(self.at(answer, "10:00"), visitor, f"/visit move {{{v}}} {next_day} P3")
            self.do(self.at(answer, "11:00"), teacher, f"/visit agree {{{v}}}")
            day, start = next_day, self.at(next_day, "11:10")
        self.expect("reminder", visitor, self.morning(self.before(day)))
        self.expect("reminder.teacher", teacher, self.morning(self.before(day)))
        self.expect("reminder.soon", visitor, start - timedelta(minutes=30))
        dialogue = not (course == "peer" and self.policy.peer_visits_date_only)
        if dialogue:
            self.expect("nudge.held", (teacher, visitor), start + timedelta(minutes=30))
        others = [s for s in SLT if s != visitor]
        if course == "moved":  # never marked held, no dialogue: SLT hear once the window has closed
            self.expect("escalation", others, self.morning(self.after(day, 6)))
            return
        self.do(self.at(day, "12:00"), visitor, f"/visit held {{{v}}}")
        if course == "kept":
            self.do(self.at(day, "12:05"), visitor, f"/visit dialogue {{{v}}} {next_day} 14:00")
            self.expect("reminder.dialogue", (teacher, visitor), self.morning(next_day))
            self.do(self.at(next_day, "15:30"), visitor, f'/visit record {{{v}}} "We agreed to try hinge questions."')
            self.do(self.at(next_day, "15:45"), teacher, f"/visit record {{{v}}} agree")
        elif dialogue:  # held, and then nobody arranges the dialogue
            for n in (2, 4):
                self.expect("nudge.dialogue", (teacher, visitor), self.morning(self.after(day, n)))
            self.expect("escalation", others, self.morning(self.after(day, 6)))

    def walk(self, n: int, term) -> None:
        """In the term's fourth week, planned two weeks ahead: Tom agrees his room, Amy declines hers."""
        monday = term.start - timedelta(days=term.start.weekday()) + timedelta(weeks=3)
        day = monday + timedelta(days=2)
        planned = self.first_school_day(monday - timedelta(weeks=2))
        self.do(self.at(planned, "09:30"), "U01HEAD", f'/walk plan {day} 13:10-13:50 focus "feedback in books" '
                                                     'purpose "share marking practice" feedback "a staff meeting '
                                                     'summary" walkers @rachel @daniela rooms @tom @amy',
                save_as=f"walk{n}")
        ctx = rules.Context(self.cal, self.policy, self.at(planned, "09:30"))
        self.expect("walk.announcement", "C0STAFF", rules.walk_announcement_due(day, ctx)[0])
        self.expect("reminder", SLT, self.morning(self.before(day)))
        self.expect("reminder.soon", SLT, self.at(day, "12:40"))
        self.do(self.at(self.after(planned), "09:10"), "U03TOM", f"/visit agree {{walk{n}.0}}")
        self.do(self.at(self.after(planned), "09:15"), "U04AMY", f'/visit decline {{walk{n}.1}} "exam practice"')
        self.expect("reminder.teacher", "U03TOM", self.morning(self.before(day)))
        self.expect("reminder", SLT, self.at(day, "13:50"))  # as it ends: record the walk's findings

    def digests(self) -> None:
        monday = START - timedelta(days=START.weekday())
        while monday <= END:
            first = self.first_school_day(monday)
            if first is not None and START <= first <= END:
                self.expect("digest", SLT, self.morning(first))
            monday += timedelta(days=7)

    def write(self) -> None:
        monday, week = START - timedelta(days=START.weekday()), 0
        while monday <= END:
            self.visit(week, monday)
            monday, week = monday + timedelta(weeks=1), week + 1
        for n, term in enumerate(t for s in self.cal.sessions for t in s.terms):
            self.walk(n, term)
        self.digests()

    # --- playing it --------------------------------------------------------------------------------------

    def play(self, bot: Walkbot, dispatcher: Dispatcher) -> int:
        ids: dict[str, int] = {}
        for moment, _, actor, text, save_as in sorted(self.actions):
            dispatcher.deliver_until(moment)
            reply = bot.handle(re.sub(r"\{([\w.]+)\}", lambda m: str(ids[m.group(1)]), text),
                               school_id=self.school.id, actor=actor)
            assert reply.ok, (moment, text, reply.text)
            if save_as and hasattr(reply.result, "room_visits"):
                ids |= {f"{save_as}.{n}": room.id for n, room in enumerate(reply.result.room_visits)}
            elif save_as:
                ids[save_as] = reply.result.visit.id
        return len(self.actions)


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=[
    pytest.mark.postgres, pytest.mark.skipif(not LONG, reason="on PostgreSQL with WALKBOT_LONG_TESTS=1")])])
@pytest.mark.parametrize("preset", PRESET_IDS)
def test_a_school_year_sends_every_notice_once_on_time_and_only_in_school_time(preset, backend, request, tmp_path):
    url = request.getfixturevalue("postgres_url") if backend == "postgres" else f"sqlite:///{tmp_path / 'year.db'}"
    store = open_store(url)
    config = tmp_path / "school.yml"
    config.write_text(yaml.safe_dump(demo_config(preset, extra_staff=len(TEACHERS))))
    school = load_school(store, config)
    clock = FixedClock(datetime.combine(START, time(8, 0), tzinfo=school.calendar.tz))
    transport = Recorder(clock)
    dispatcher = Dispatcher(store, transport, clock, Settings(worker="replay", batch=200))
    year = Year(school)
    year.write()
    started = clock_time.monotonic()
    commands = year.play(Walkbot(uow_factory=store.uow, clock=clock), dispatcher)
    dispatcher.deliver_until(datetime.combine(END, time(12, 0), tzinfo=school.calendar.tz))
    seconds = clock_time.monotonic() - started

    sent = transport.sent
    print(f"\n[{preset}, {backend}] {commands} commands, {len(sent)} notices sent over the year in {seconds:.1f} s")
    assert len({n.id for _, n in sent}) == len(sent), "a notice was sent twice"
    late = [(at, n.kind, n.due_at) for at, n in sent if at != n.due_at]
    assert late == [], "every notice goes at its due time"
    cal = school.calendar
    for at, notice in sent:
        local = cal.local(at)
        assert cal.is_school_day(local.date()), (notice.kind, local)  # no weekends, no holidays
        assert time(7, 50) <= local.time() < time(16, 20), (notice.kind, local)  # no nights
    with store.uow() as uow:
        left = uow.notices.listing(["pending", "failed", "expired"], limit=10_000)
    assert [(n.kind, n.status, n.due_at) for n in left if n.status != "pending" or n.due_at <= clock.now()] == []

    got = Counter((n.kind, n.recipient, at) for at, n in sent if n.kind in CHECKED)
    wanted = Counter(year.expected)
    assert got - wanted == Counter(), f"sent but not expected: {sorted(got - wanted)[:5]}"
    assert wanted - got == Counter(), f"expected but not sent: {sorted(wanted - got)[:5]}"
    store.close()
