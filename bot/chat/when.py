"""Reading the dates, times and lengths people type in chat commands.

Pure functions: "today" is always passed in, nothing here reads the clock, so
tests and the scheduler agree on what "tomorrow" means.

dateutil supplies the month/weekday name tables and the weekday arithmetic.
Its free-form `parser.parse` is deliberately not used: even with dayfirst=True
it silently swaps day and month when that "fixes" a date ('3/13' -> 13 March,
'2027-02-03' -> 2 March), accepts '3' or '10:30' as dates, and picks the
century of two-digit years from the wall clock. Each accepted shape is matched
by a strict pattern instead and the date built with `datetime.date`.
"""
from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from dateutil.parser import parserinfo
from dateutil.relativedelta import MO, relativedelta, weekdays

from bot.domain.calendar import SchoolCalendar
from bot.errors import InputError

__all__ = [
    "parse_date",
    "parse_time",
    "parse_time_or_period",
    "parse_duration",
    "looks_like_duration",
    "parse_span",
    "MAX_VISIT_MINUTES",
]

MAX_VISIT_MINUTES = 600
MAX_SPAN = timedelta(days=366)

# Class attributes only: instantiating parserinfo reads the clock (for 2-digit years).
_MONTHS = {n.lower(): i for i, names in enumerate(parserinfo.MONTHS, 1) for n in names}
_MONTH_NAMES = [names[-1] for names in parserinfo.MONTHS]
_WEEKDAYS = {n.lower(): i for i, names in enumerate(parserinfo.WEEKDAYS) for n in names}
_WEEKDAYS.update({"tues": 1, "weds": 2, "thur": 3, "thurs": 3})  # common in chat, not in dateutil
_DAY_NAMES = [names[-1] for names in parserinfo.WEEKDAYS]

_A = re.ASCII  # \d must not match other scripts' digits, which int() would happily accept
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})", _A)
_NUMERIC = re.compile(r"(\d{1,2})([/-])(\d{1,2})(?:\2(\d{4}|\d{2}))?", _A)  # day first, UK style
_ORD = r"(\d{1,2})(?:st|nd|rd|th)?"
_DAY_MONTH = re.compile(_ORD + r" ([a-z]+)\.?,?(?: (\d{4}))?", _A)
_MONTH_DAY = re.compile(r"([a-z]+)\.? " + _ORD + r",?(?: (\d{4}))?", _A)
_WEEKDAY = re.compile(r"(?:(next|this) )?([a-z]+)", _A)

_DATE_EXAMPLES = "Try 2027-02-03, 3 Feb, tomorrow or next tue."


def _quote(text: str) -> str:
    text = " ".join(text.split())
    return f"'{text[:40]}…'" if len(text) > 40 else f"'{text}'"


def _show(day: date) -> str:
    return f"{_DAY_NAMES[day.weekday()]} {day.day} {_MONTH_NAMES[day.month - 1]} {day.year}"


# ---------------------------------------------------------------- dates


def parse_date(text: str, today: date) -> date:
    """The day meant by `text`, read relative to `today`. Raises InputError."""
    s = " ".join(text.lower().split())
    if not s:
        raise InputError(f"Please give a date. {_DATE_EXAMPLES}")
    if s == "today":
        return today
    if s == "tomorrow":
        return today + timedelta(days=1)

    if m := _ISO.fullmatch(s):
        return _build(text, int(m[3]), int(m[2]), int(m[1]))
    if m := _NUMERIC.fullmatch(s):
        year = m[4] and int(m[4])
        if m[4] and len(m[4]) == 2:
            year += 2000  # dateutil would choose the century from the wall clock
        return _dated(text, int(m[1]), int(m[3]), year, today)
    for pattern, day_group, month_group in ((_DAY_MONTH, 1, 2), (_MONTH_DAY, 2, 1)):
        m = pattern.fullmatch(s)
        if m and m[month_group] in _MONTHS:
            return _dated(text, int(m[day_group]), _MONTHS[m[month_group]], m[3] and int(m[3]), today)
    if (m := _WEEKDAY.fullmatch(s)) and m[2] in _WEEKDAYS:
        return _weekday(m[1], _WEEKDAYS[m[2]], today)

    raise InputError(f"I couldn't read {_quote(text)} as a date. {_DATE_EXAMPLES}")


def _dated(text: str, day: int, month: int, year: int | None, today: date) -> date:
    if year is None:
        # No year: the next time this day comes round, today included.
        year = today.year if (month, day) >= (today.month, today.day) else today.year + 1
    return _build(text, day, month, year)


def _build(text: str, day: int, month: int, year: int) -> date:
    if not 1 <= month <= 12:
        raise InputError(f"{_quote(text)} isn't a date that exists: months go from 1 to 12. {_DATE_EXAMPLES}")
    try:
        return date(year, month, day)
    except ValueError:
        pass
    try:  # only mention the year when it matters (29 Feb); 2000 was a leap year
        date(2000, month, day)
        name = f"{day} {_MONTH_NAMES[month - 1]} {year}"
    except ValueError:
        name = f"{day} {_MONTH_NAMES[month - 1]}"
    raise InputError(f"{name} doesn't exist, so I can't use {_quote(text)}. {_DATE_EXAMPLES}")


def _weekday(which: str | None, wanted: int, today: date) -> date:
    wd = weekdays[wanted]
    if which is None:
        # Bare "tue": the next one strictly after today (a visit can't be booked for the past,
        # and "tue" said on a Tuesday nearly always means next week's).
        return today + relativedelta(days=1, weekday=wd(+1))
    monday = today + relativedelta(weekday=MO(-1))  # weeks run Monday to Sunday
    if which == "next":
        return monday + relativedelta(weeks=1, weekday=wd(+1))
    day = monday + relativedelta(weekday=wd(+1))
    if day < today:
        raise InputError(
            f"This {_DAY_NAMES[wanted]} ({_show(day)}) has already gone. "
            f"Did you mean next {_DAY_NAMES[wanted][:3].lower()}?"
        )
    return day


# ---------------------------------------------------------------- times

_CLOCK = re.compile(r"(\d{1,2})[:.](\d{2})", _A)
_AMPM = re.compile(r"(\d{1,2})(?:[:.](\d{2}))? ?([ap])\.?m\.?", _A)
_PERIODISH = re.compile(r"p(?:eriod)? ?(\d+)", _A)


def parse_time(text: str, calendar: SchoolCalendar | None = None) -> time:
    """A clock time ('10:30', '2pm') or the start of a named period ('P3')."""
    return parse_time_or_period(text, calendar)[0]


def parse_time_or_period(text: str, calendar: SchoolCalendar | None = None) -> tuple[time, int | None]:
    """Like parse_time, plus the period's length in minutes when a period was named (else None)."""
    s = " ".join(text.lower().split())
    periods = calendar.periods if calendar else ()
    examples = "Try 10:30, 2pm" + (f" or a period name like {periods[0].name}." if periods else ".")
    if not s:
        raise InputError(f"Please give a time. {examples}")

    period = calendar.period(s) if calendar else None
    if period is None and (m := _PERIODISH.fullmatch(s)) and calendar:
        period = calendar.period(f"P{m[1]}") or calendar.period(f"Period {m[1]}")
    if period is not None:
        minutes = (datetime.combine(date.min, period.end) - datetime.combine(date.min, period.start)).seconds // 60
        return period.start, minutes
    if _PERIODISH.fullmatch(s):
        if periods:
            known = ", ".join(p.name for p in periods)
            raise InputError(f"There's no period {_quote(text)} in the timetable. The periods are {known}.")
        raise InputError(f"No periods are set up for this school, so I can't use {_quote(text)}. Give a clock time like 10:30.")

    if s in ("noon", "midday"):
        return time(12, 0), None
    if m := _CLOCK.fullmatch(s):
        hour, minute = int(m[1]), int(m[2])
        if hour > 23:
            raise InputError(f"{_quote(text)} isn't a time: hours go from 0 to 23. {examples}")
    elif m := _AMPM.fullmatch(s):
        hour, minute = int(m[1]), int(m[2] or 0)
        if not 1 <= hour <= 12:
            raise InputError(f"{_quote(text)} isn't a time: with am/pm, hours go from 1 to 12. {examples}")
        hour = hour % 12 + (12 if m[3] == "p" else 0)  # 12am is midnight, 12pm is noon
    elif re.fullmatch(r"\d{1,4}", s, _A):
        raise InputError(f"I can't tell which time {_quote(text)} means. Write it with a colon or am/pm, like 10:30 or 2pm.")
    else:
        raise InputError(f"I couldn't read {_quote(text)} as a time. {examples}")
    if minute > 59:
        raise InputError(f"{_quote(text)} isn't a time: minutes go from 00 to 59. {examples}")
    return time(hour, minute), None


# ---------------------------------------------------------------- durations

_H = r"(?:h|hrs?|hours?)"
_M = r"(?:m|mins?|minutes?)"
_DURATION = re.compile(rf"(?:(\d+(?:\.\d+)?) ?{_H})? ?(?:(\d+) ?({_M})?)?", _A)
_DURATION_EXAMPLES = "Try 20m, 45min, 1h or 1h30."


def looks_like_duration(token: str) -> bool:
    """Whether `token` is shaped like a visit length ('20m', '1h30'), even a bad one ('0m', '-5m')."""
    t = token.strip().lower().lstrip("-")
    m = _DURATION.fullmatch(t)
    return bool(m and t and (m[1] is not None or m[3] is not None))


def parse_duration(text: str) -> int:
    """A visit's length in whole minutes, 1..MAX_VISIT_MINUTES. Raises InputError."""
    s = " ".join(text.lower().split())
    if not s:
        raise InputError(f"Please say how long the visit lasts. {_DURATION_EXAMPLES}")
    if s.startswith("-"):
        raise InputError(f"A visit can't last a negative time ({_quote(text)}). {_DURATION_EXAMPLES}")
    m = _DURATION.fullmatch(s)
    # A bare number ('20') has no unit: reject rather than guess minutes or hours.
    if not m or (m[1] is None and m[3] is None):
        raise InputError(f"I couldn't read {_quote(text)} as a length of time. {_DURATION_EXAMPLES}")
    hours, extra = m[1], m[2]
    if hours is not None and extra is not None and ("." in hours or Decimal(extra) >= 60):
        raise InputError(f"I couldn't read {_quote(text)} as a length of time. {_DURATION_EXAMPLES}")
    # Decimal, not float or int: exact for '1.5h' and no limit on how many digits someone types.
    minutes = Decimal(hours or 0) * 60 + Decimal(extra or 0)
    if minutes != minutes.to_integral_value():
        raise InputError(f"Please give the length in whole minutes ({_quote(text)} isn't). {_DURATION_EXAMPLES}")
    if minutes == 0:
        raise InputError(f"A visit can't last 0 minutes. {_DURATION_EXAMPLES}")
    if minutes > MAX_VISIT_MINUTES:
        raise InputError(
            f"A visit can't last longer than {MAX_VISIT_MINUTES // 60} hours ({MAX_VISIT_MINUTES} minutes); "
            f"{_quote(text)} is too long."
        )
    return int(minutes)


# ---------------------------------------------------------------- spans (console clock)

_SPAN_PART = re.compile(r"(\d+)([wdhm])", _A)
_SPAN_UNITS = {"w": "weeks", "d": "days", "h": "hours", "m": "minutes"}
_SPAN_EXAMPLES = "Try 2d, 3h, 45m, 1w or 2d3h."


def parse_span(text: str) -> timedelta:
    """A positive stretch of time like '2d3h' (w, d, h, m), at most MAX_SPAN."""
    s = "".join(text.lower().split())
    if s.startswith("-"):
        raise InputError(f"The time must be positive, not {_quote(text)}. {_SPAN_EXAMPLES}")
    parts = _SPAN_PART.findall(s)
    units = [unit for _, unit in parts]
    if not s or "".join(n + u for n, u in parts) != s or len(set(units)) != len(units):
        raise InputError(f"I couldn't read {_quote(text)} as a length of time. {_SPAN_EXAMPLES}")
    # Check the size before building a timedelta, which overflows on huge numbers.
    minutes = sum(int(n) * {"w": 10080, "d": 1440, "h": 60, "m": 1}[u] for n, u in parts if len(n) <= 9)
    if any(len(n) > 9 for n, _ in parts) or minutes > MAX_SPAN.total_seconds() // 60:
        raise InputError(f"That's too far: {_quote(text)} is more than {MAX_SPAN.days} days.")
    if minutes == 0:
        raise InputError(f"The time must be more than zero. {_SPAN_EXAMPLES}")
    return timedelta(**{_SPAN_UNITS[u]: int(n) for n, u in parts})
