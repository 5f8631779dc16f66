"""The school's timetable: who teaches which class, when, in a one-week or a two-week (A/B) cycle.

A lesson repeats every week, or every other week when its week is A or B; which week a date is in comes from
school.yml's `timetable: {week_a_starts: DATE}`, counting calendar weeks (holidays included) from that Monday.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Iterable

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri")
WEEKS = ("A", "B")


def week_of(day: date, week_a_starts: date | None) -> str | None:
    """A or B for a two-week timetable anchored at `week_a_starts` (a Monday of week A); None without one."""
    if week_a_starts is None:
        return None
    monday = day - timedelta(days=day.weekday())
    return WEEKS[((monday - week_a_starts).days // 7) % 2]


@dataclass(frozen=True)
class Lesson:
    """One timetabled class: the teacher (a staff id), when it meets, and what it is. Nothing about pupils."""

    teacher: str
    day: int  # 0 Monday .. 4 Friday
    start: time
    end: time
    week: str | None = None  # "A" or "B"; None: every week
    period: str | None = None  # the period's name in school.yml, when it is one
    group: str | None = None  # the class, as the school names it: 8B
    subject: str | None = None
    room: str | None = None

    def meets_on(self, day: date, week: str | None) -> bool:
        return day.weekday() == self.day and (self.week is None or self.week == week)

    def holds(self, start: time, end: time) -> bool:
        """The span lies within this lesson."""
        return self.start <= start and end <= self.end

    def overlaps(self, start: time, end: time) -> bool:
        return self.start < end and start < self.end

    def label(self) -> str:
        """How a reply names it: 8B Maths, room S12, P3."""
        what = " ".join(part for part in (self.group, self.subject) if part) or "a lesson"
        parts = [what]
        if self.room:
            parts.append(f"room {self.room}")
        parts.append(self.period or f"{self.start:%H:%M}–{self.end:%H:%M}")
        return ", ".join(parts)

    def key(self) -> tuple:
        """What makes a lesson itself: a teacher teaches one lesson at a time in a given week."""
        return (self.teacher, self.week or "", self.day, self.start)


@dataclass(frozen=True)
class Timetable:
    """The lessons of the people a request is about, and the week A anchor: what the lesson rules read.

    `cover`: the visitors who said their own classes are covered (cover arranged) for the visit being judged.
    """

    lessons: tuple[Lesson, ...]
    week_a_starts: date | None = None
    cover: frozenset[str] = frozenset()

    def week(self, day: date) -> str | None:
        return week_of(day, self.week_a_starts)

    def on(self, teacher: str, day: date) -> list[Lesson]:
        """The teacher's lessons that day, in order."""
        week = self.week(day)
        return sorted((x for x in self.lessons if x.teacher == teacher and x.meets_on(day, week)),
                      key=lambda x: x.start)

    def holding(self, teacher: str, start: datetime, end: datetime) -> Lesson | None:
        """The teacher's lesson that the span (local times, one day) lies within."""
        return next((x for x in self.on(teacher, start.date()) if x.holds(start.time(), end.time())), None)

    def overlapping(self, teacher: str, start: datetime, end: datetime) -> list[Lesson]:
        return [x for x in self.on(teacher, start.date()) if x.overlaps(start.time(), end.time())]

    def but(self, cover: Iterable[str]) -> Timetable:
        return Timetable(self.lessons, self.week_a_starts, frozenset(cover))


def lesson_when(lesson: Lesson) -> str:
    """When a lesson meets, as a timetable says it: Wed P3 (week A)."""
    week = f" (week {lesson.week})" if lesson.week else ""
    return f"{DAYS[lesson.day]} {lesson.period or f'{lesson.start:%H:%M}'}{week}"
