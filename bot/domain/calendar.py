"""The school's year: sessions, terms, holidays, the school day and its periods."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class Term:
    name: str
    start: date
    end: date

    def __contains__(self, day: date) -> bool:
        return self.start <= day <= self.end


@dataclass(frozen=True)
class InspectionPeriod:
    """Dates SLT declare for an inspection (HMIe, Ofsted, a VSE): inspection visits are recorded only inside them."""

    body: str
    start: date
    end: date

    def __contains__(self, day: date) -> bool:
        return self.start <= day <= self.end

    def __str__(self) -> str:
        return f"{self.body} inspection, {self.start:%a %-d %b} to {self.end:%a %-d %b %Y}"


@dataclass(frozen=True)
class Session:
    """A school year ("session" in Scotland), with what the school set for it in school.yml."""

    name: str
    terms: tuple[Term, ...]
    focus_areas: tuple[str, ...] = ()  # this session's priorities from the school improvement plan
    inspections: tuple[InspectionPeriod, ...] = ()

    @property
    def start(self) -> date:
        return self.terms[0].start

    @property
    def end(self) -> date:
        return self.terms[-1].end


@dataclass(frozen=True)
class Period:
    name: str
    start: time
    end: time


@dataclass(frozen=True)
class SchoolCalendar:
    timezone: str
    day_start: time
    day_end: time
    sessions: tuple[Session, ...]
    holidays: tuple[tuple[date, date], ...] = ()
    periods: tuple[Period, ...] = field(default=())

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(self.tz)

    def at(self, day: date, clock_time: time) -> datetime:
        return datetime.combine(day, clock_time, tzinfo=self.tz)

    def span(self, session: Session) -> tuple[datetime, datetime]:
        """The session's first moment to its last, in the school's time."""
        return self.at(session.start, time.min), self.at(session.end, time.max)

    def term_of(self, day: date) -> Term | None:
        for session in self.sessions:
            for term in session.terms:
                if day in term:
                    return term
        return None

    def session_of(self, day: date) -> Session | None:
        for session in self.sessions:
            if session.start <= day <= session.end:
                return session
        return None

    def inspection_on(self, day: date) -> InspectionPeriod | None:
        """The inspection period SLT declared that covers `day`, if any."""
        session = self.session_of(day)
        return next((p for p in session.inspections if day in p), None) if session else None

    def holiday_on(self, day: date) -> bool:
        return any(first <= day <= last for first, last in self.holidays)

    def is_school_day(self, day: date) -> bool:
        return day.weekday() < 5 and self.term_of(day) is not None and not self.holiday_on(day)

    def within_school_day(self, start: datetime, end: datetime) -> bool:
        s, e = self.local(start), self.local(end)
        return (
            s.date() == e.date()
            and self.is_school_day(s.date())
            and self.day_start <= s.timetz().replace(tzinfo=None)
            and e.timetz().replace(tzinfo=None) <= self.day_end
        )

    def school_days(self, first: date, count: int, step: int = 1):
        """Yield up to `count` school days from `first` (inclusive), forwards or backwards."""
        day, found, guard = first, 0, 0
        while found < count and guard < 800:
            if self.is_school_day(day):
                found += 1
                yield day
            day += timedelta(days=step)
            guard += 1

    def school_days_between(self, first: date, last: date) -> int:
        """School days strictly after `first` up to and including `last`."""
        if last <= first:
            return 0
        return sum(1 for n in range(1, (last - first).days + 1) if self.is_school_day(first + timedelta(days=n)))

    def add_school_days(self, day: date, count: int) -> date:
        """The school day `count` school days after `day` (count >= 1)."""
        found, current = 0, day
        for _ in range(800):
            current += timedelta(days=1)
            if self.is_school_day(current):
                found += 1
                if found == count:
                    return current
        return current

    def period(self, name: str) -> Period | None:
        for p in self.periods:
            if p.name.lower() == name.lower():
                return p
        return None

    def next_school_morning(self, moment: datetime) -> datetime:
        """`moment` if it falls in school hours, else the start of the next school day."""
        local = self.local(moment)
        if self.is_school_day(local.date()) and self.day_start <= local.time() < self.day_end:
            return moment
        day = local.date()
        if not (self.is_school_day(day) and local.time() < self.day_start):
            day = self.add_school_days(day, 1)
        return self.at(day, self.day_start)
