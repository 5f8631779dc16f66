"""When walkbot may speak: on school days, from a little before the school day to a little after it.

Never at night, at weekends or in holidays; anything due then waits for the next school morning.
The margins are the policy's (notices_from/until_...), so staff hear before lessons and after them.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time, timedelta

from bot.domain.calendar import SchoolCalendar
from bot.domain.school import School


def _shift(at: time, minutes: int) -> time:
    day = date(2000, 1, 1)
    moved = datetime.combine(day, at) + timedelta(minutes=minutes)
    # A margin can't carry the window past midnight: the day is the day.
    if moved.date() != day:
        return time.max if minutes > 0 else time.min
    return moved.time()


def sending_hours(school: School) -> SchoolCalendar:
    """The school's calendar with its day widened to the hours notices may go out."""
    cal, p = school.calendar, school.policy
    return replace(cal, day_start=_shift(cal.day_start, -p.notices_from_minutes_before_school_day),
                   day_end=_shift(cal.day_end, p.notices_until_minutes_after_school_day))


def next_sending_moment(school: School, moment: datetime) -> datetime:
    """`moment` itself if a notice may go out then, else the next school morning."""
    return sending_hours(school).next_school_morning(moment)


def school_morning(school: School, day) -> datetime:
    """When notices start on `day` (a school day): where 'the morning of' reminders and digests land."""
    hours = sending_hours(school)
    return hours.at(day, hours.day_start)
