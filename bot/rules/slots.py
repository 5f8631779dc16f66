"""The nearest allowed times: where to look around a wanted time, and which candidates break no rule."""
from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta

from bot.domain.calendar import SchoolCalendar
from bot.domain.model import Visit
from bot.domain.policy import Hours
from bot.rules.records import check_dialogue
from bot.rules.verdict import Context, Facts, Slot, VisitPlan
from bot.rules.visit import check_visit

_SEARCH_SCHOOL_DAYS = 15


def _search_days(start: datetime, cal: SchoolCalendar) -> list[date]:
    day = cal.local(start).date()
    return [*cal.school_days(day, _SEARCH_SCHOOL_DAYS, step=1),
            *cal.school_days(day - timedelta(days=1), _SEARCH_SCHOOL_DAYS, step=-1)]


def search_window(start: datetime, cal: SchoolCalendar) -> tuple[datetime, datetime]:
    """The span `nearest_slots` may look in for a visit wanted at `start`: the facts must cover it."""
    days = _search_days(start, cal) or [cal.local(start).date()]
    return cal.at(min(days), cal.day_start), cal.at(max(days), cal.day_end)


def nearest_slots(plan: VisitPlan, facts: Facts, ctx: Context, *, count: int = 3,
                  check_notice: bool = True) -> list[Slot]:
    """Up to `count` times nearest the wanted one at which the plan breaks no rule.

    Candidates are the period starts (or every half hour) on school days within three school
    weeks either side of the wanted day, nearest first; with a timetable, the starts of the class
    teacher's lessons, and only times at which no visitor needs cover for a class of their own.
    """
    cal = ctx.calendar
    wanted = cal.local(plan.start)
    earliest = cal.local(ctx.now).date()
    days = [d for d in _search_days(plan.start, cal) if d >= earliest]
    timetable = facts.timetable
    if timetable is not None:
        facts = replace(facts, timetable=timetable.but(()))  # cover was said for the time asked, not for these
    candidates = []
    for day in days:
        lessons = timetable.on(plan.teacher.chat_id, day) if timetable is not None else None
        for start_time in start_times(cal, plan.minutes) if lessons is None else [x.start for x in lessons]:
            start = cal.at(day, start_time)
            candidates.append((abs((start - wanted).total_seconds()), start))
    slots = []
    for _, start in sorted(candidates):
        if start == plan.start:
            continue
        moved = plan.at(start)
        if not [v for v in check_visit(moved, facts, ctx, check_notice=check_notice) if not v.warning]:
            slots.append(Slot(start, plan.minutes))
            if len(slots) == count:
                break
    return slots


def start_times(cal: SchoolCalendar, minutes: int):
    """Where to look for a free time: the period starts, or every half hour of the school day."""
    if cal.periods:
        return [p.start for p in cal.periods]
    return _half_hours(Hours(cal.day_start, cal.day_end), minutes)


def _half_hours(hours: Hours, minutes: int):
    times, t = [], datetime.combine(date.min, hours.start)
    last = datetime.combine(date.min, hours.end) - timedelta(minutes=minutes)
    while t <= last:
        times.append(t.time())
        t += timedelta(minutes=30)
    return times


def nearest_dialogue_times(visit: Visit, wanted: datetime, facts: Facts, ctx: Context, *, count: int = 3) -> list[Slot]:
    """Up to `count` times nearest the wanted one at which the feedback dialogue breaks no rule: every half hour
    of the dialogue hours (after school too), from the end of the visit to the last day it may be held."""
    cal, p = ctx.calendar, ctx.policy
    minutes = p.dialogue_minutes
    day = cal.local(max(ctx.now, visit.end)).date()
    last = cal.add_school_days(cal.local(visit.start).date(), p.dialogue_within_school_days)
    candidates = []
    while day <= last:
        if cal.is_school_day(day):
            candidates += [cal.at(day, t) for t in _half_hours(p.dialogue_hours, minutes)]
        day += timedelta(days=1)
    candidates.sort(key=lambda start: abs((start - wanted).total_seconds()))
    fits = (start for start in candidates if start != wanted and not check_dialogue(visit, start, minutes, facts, ctx))
    return [Slot(start, minutes) for start, _ in zip(fits, range(count))]
