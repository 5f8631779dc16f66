"""Caps hold under concurrency: many people booking one teacher at once never exceed the cap, and
two hundred bookings on twenty teachers at once, on PostgreSQL, stop at each teacher's cap."""
import re
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import create_engine

from bot.chat.router import Walkbot
from bot.domain.clock import FixedClock
from bot.domain.school import parse_school_config
from handlers.wiring import load_school, read_school_file
from storage import Store
from storage.migrate import migrate

THREADS = 50


def slots(count: int) -> list[str]:
    """`count` distinct (date, period) pairs on school days from Wed 3 Feb 2027."""
    found, day = [], date(2027, 2, 3)
    while len(found) < count:
        if day.weekday() < 5 and not date(2027, 2, 15) <= day <= date(2027, 2, 19):
            found += [f"{day.isoformat()} P{p}" for p in range(1, 6)]
        day += timedelta(days=1)
    return found[:count]


def test_fifty_people_booking_one_teacher_at_once_get_exactly_the_cap(store):
    clock = FixedClock(datetime(2027, 2, 1, 8, 30, tzinfo=ZoneInfo("Europe/London")))
    school = load_school(store, None)  # the demo school: durants-learning-walks, 3 observations a year
    bot = Walkbot(uow_factory=store.uow, clock=clock)
    visitors = ["U05SAM", "U01HEAD", "U04AMY", "U02DEPUTY"]

    def propose_and_agree(n: int, when: str) -> str:
        proposed = bot.handle(f'/visit propose @tom {when} 30m kind formal focus "questioning" feedback "after school"',
                              school_id=school.id, actor=visitors[n % len(visitors)])
        if not proposed.ok:  # once the cap is reached, proposing is refused too
            return proposed.text
        visit_id = int(re.search(r"#(\d+)", proposed.text).group(1))
        return bot.handle(f"/visit agree {visit_id}", school_id=school.id, actor="U03TOM").text

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        replies = list(pool.map(propose_and_agree, range(THREADS), slots(THREADS)))

    agreed = [r for r in replies if r.startswith("Agreed:")]
    refused = [r for r in replies if "has already had 3 of 3 observations" in r]
    assert len(agreed) == 3, replies
    assert len(refused) == THREADS - 3, [r for r in replies if r not in agreed and r not in refused]
    assert all("overall maximum of three observations per year" in r for r in refused)
    reply = bot.handle("/visit limits", school_id=school.id, actor="U03TOM").text
    assert "3 of 3 observations used this year · 90 of 180 minutes" in reply


def test_two_answers_to_one_visit_at_once_have_one_effect(store):
    """A double-click, or two devices: the visit row is locked, so the second answer sees the first."""
    clock = FixedClock(datetime(2027, 2, 1, 8, 30, tzinfo=ZoneInfo("Europe/London")))
    school = load_school(store, None)
    bot = Walkbot(uow_factory=store.uow, clock=clock)
    for attempt in range(3):  # the demo preset allows Tom three observations
        proposed = bot.handle(f'/visit propose @tom {slots(3)[attempt]} 30m kind peer focus "questioning"',
                              school_id=school.id, actor="U05SAM")
        visit_id = int(re.search(r"#(\d+)", proposed.text).group(1))
        with ThreadPoolExecutor(max_workers=4) as pool:
            replies = list(pool.map(lambda _: bot.handle(f"/visit agree {visit_id}", school_id=school.id,
                                                         actor="U03TOM").text, range(4)))
        assert sum(r.startswith("Agreed:") for r in replies) == 1, replies
        assert sum("is agreed, so it can't be agreed now" in r for r in replies) == 3, replies
        with store.uow() as uow:
            agreed_notices = [n for n in uow.notices.due(clock.now() + timedelta(days=400), limit=10_000)
                              if n.visit_id == visit_id and n.kind == "agreed"]
        assert len(agreed_notices) == 1


# --- at scale, on PostgreSQL ------------------------------------------------------------------------------------------

TEACHERS, VISITORS, BOOKINGS, SCALE_THREADS = 20, 12, 200, 40
CAP_QUOTE = "overall maximum of three observations per year"  # Durants §9, quoted by every refusal


def school_of_twenty() -> dict:
    """The demo school (Durants: 3 observations a year) with 20 more class teachers and 12 visiting colleagues."""
    config = read_school_file(None)
    config["school"].update(key="durants-at-scale", slack_team_id="T0SCALE")
    config["staff"] += [{"id": f"U9T{n:02d}", "handle": f"t{n:02d}", "name": f"Teacher {n:02d}", "roles": ["teacher"],
                         "line_manager": "U02DEPUTY"} for n in range(1, TEACHERS + 1)]
    config["staff"] += [{"id": f"U8V{n:02d}", "handle": f"v{n:02d}", "name": f"Visitor {n:02d}",
                         "roles": ["teacher", "promoted"]} for n in range(1, VISITORS + 1)]
    return config


def times_in_term(calendar, count: int) -> list[str]:
    """`count` distinct half-hour visits on school days from Wed 3 Feb 2027, ten a day, so no two clash."""
    starts = [f"{8 + (50 + 40 * n) // 60:02d}:{(50 + 40 * n) % 60:02d}" for n in range(10)]  # 08:50 … 14:50
    found, day = [], date(2027, 2, 3)
    while len(found) < count:
        if calendar.is_school_day(day):
            found += [f"{day.isoformat()} {at}" for at in starts]
        day += timedelta(days=1)
    return found[:count]


@pytest.mark.postgres
def test_two_hundred_bookings_on_twenty_teachers_at_once_stop_at_each_cap_on_postgresql(postgres_url):
    """Ten bookings for each teacher, a teacher's ten sent together, forty at a time: each teacher's
    row lock lets exactly three through, and every other booking is refused quoting the clause."""
    engine = create_engine(postgres_url, pool_size=SCALE_THREADS, max_overflow=0)  # a connection per thread
    migrate(engine)
    store = Store(engine)
    try:
        with store.uow() as uow:
            school = uow.schools.save(parse_school_config(school_of_twenty()))
            uow.commit()
        clock = FixedClock(datetime(2027, 2, 1, 8, 30, tzinfo=ZoneInfo("Europe/London")))
        bot = Walkbot(uow_factory=store.uow, clock=clock)
        when = times_in_term(school.calendar, BOOKINGS)

        def book(n: int) -> tuple[int, str, str]:
            """(teacher, the step that answered last, its answer)"""
            teacher = n // (BOOKINGS // TEACHERS) + 1
            proposed = bot.handle(f'/visit propose @t{teacher:02d} {when[n]} 30m kind formal focus "questioning" '
                                  'feedback "after school"', school_id=school.id, actor=f"U8V{n % VISITORS + 1:02d}")
            if not proposed.ok:  # once a teacher's cap is reached, proposing is refused too
                return teacher, "propose", proposed.text
            visit_id = int(re.search(r"#(\d+)", proposed.text).group(1))
            agreed = bot.handle(f"/visit agree {visit_id}", school_id=school.id, actor=f"U9T{teacher:02d}")
            return teacher, "agree", agreed.text

        with ThreadPoolExecutor(max_workers=SCALE_THREADS) as pool:
            replies = list(pool.map(book, range(BOOKINGS)))

        agreed = [teacher for teacher, _, text in replies if text.startswith("Agreed:")]
        refused = [(step, text) for _, step, text in replies if not text.startswith("Agreed:")]
        on_agreeing = sum(step == "agree" for step, _ in refused)
        print(f"\n{BOOKINGS} bookings on {TEACHERS} teachers by {VISITORS} visitors, {SCALE_THREADS} at a time: "
              f"{len(agreed)} agreed, {len(refused)} refused ({len(refused) - on_agreeing} on proposing, "
              f"{on_agreeing} on agreeing)")
        assert len(agreed) == 3 * TEACHERS
        assert sorted(Counter(agreed).values()) == [3] * TEACHERS
        assert all("has already had 3 of 3 observations" in text and CAP_QUOTE in text for _, text in refused), \
            [text for _, text in refused if CAP_QUOTE not in text][:3]
        for teacher in range(1, TEACHERS + 1):
            reply = bot.handle(f"/visit limits @t{teacher:02d}", school_id=school.id, actor="U01HEAD").text
            assert "3 of 3 observations used this year · 90 of 180 minutes" in reply
    finally:
        store.close()


def test_one_visitor_proposing_to_two_teachers_for_one_slot_at_once_is_booked_once(store):
    """What the clash rule forbids is locked while it is checked: the visitor's row as well as the teacher's."""
    clock = FixedClock(datetime(2027, 2, 1, 8, 30, tzinfo=ZoneInfo("Europe/London")))
    school = load_school(store, None)
    bot = Walkbot(uow_factory=store.uow, clock=clock)

    def propose(teacher_when: tuple[str, str]) -> str:
        teacher, when = teacher_when
        return bot.handle(f'/visit propose @{teacher} {when} 30m kind peer focus "questioning"',
                          school_id=school.id, actor="U05SAM").text

    for when in slots(5):
        with ThreadPoolExecutor(max_workers=2) as pool:
            replies = list(pool.map(propose, [("tom", when), ("amy", when)]))
        assert sum(r.startswith("Proposed #") for r in replies) == 1, replies
        assert any("Sam Patel is already booked then" in r for r in replies), replies


def test_four_walks_planned_at_once_leave_one_in_the_term(store):
    """Walks per term are counted school-wide: planning holds the school while it counts (Durants §3)."""
    clock = FixedClock(datetime(2027, 2, 1, 8, 30, tzinfo=ZoneInfo("Europe/London")))
    school = load_school(store, None)
    bot = Walkbot(uow_factory=store.uow, clock=clock)
    days = ["2027-03-02", "2027-03-03", "2027-03-04", "2027-03-05"]
    with ThreadPoolExecutor(max_workers=4) as pool:
        replies = list(pool.map(lambda day: bot.handle(
            f'/walk plan {day} 09:00-11:00 focus "feedback in books" purpose "share practice" walkers @rachel',
            school_id=school.id, actor="U01HEAD").text, days))
    assert sum(r.startswith("Planned Learning walk") for r in replies) == 1, replies
    assert sum("already has 1 learning walk" in r for r in replies) == 3, replies
