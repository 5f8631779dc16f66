"""Caps hold under concurrency: many people booking one teacher at once never exceed the cap."""
import re
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.clock import FixedClock
from bot.router import Walkbot
from handlers.wiring import load_school

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
