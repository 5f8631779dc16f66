"""What every rule hands back and what it judges: the verdict types, the plan, the facts.

A rule is a pure function of (the change, the facts it needs, the policy, now): it never reads the
database, the network or the clock. Use cases gather `Facts`, call a check, and refuse with every
violation found, not just the first.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from bot.domain.calendar import SchoolCalendar
from bot.domain.model import Objection, Staff, Visit, VisitKind, Walk
from bot.domain.policy import Citation, Policy
from bot.domain.timetable import Timetable


class Subject(StrEnum):
    """The part of a request a violation is about: what to change (a form shows it against that field)."""

    START = "start"  # the date and time together
    MINUTES = "minutes"
    VISITORS = "visitors"
    FOCUS = "focus"
    FEEDBACK = "feedback"
    PURPOSE = "purpose"  # a learning walk's
    KIND = "kind"
    TEACHER = "teacher"
    TEXT = "text"  # a note's or a record's words


@dataclass(frozen=True)
class Violation:
    code: str
    message: str
    citation: Citation | None = None
    field: Subject | None = None  # the part of the request to change
    warning: bool = False  # shown, but does not refuse

    def __str__(self) -> str:
        return self.message + (f" ({self.citation})" if self.citation else "")


@dataclass(frozen=True)
class Slot:
    start: datetime
    minutes: int

    @property
    def end(self) -> datetime:
        return self.start + timedelta(minutes=self.minutes)


@dataclass(frozen=True)
class Context:
    calendar: SchoolCalendar
    policy: Policy
    now: datetime


@dataclass(frozen=True)
class VisitPlan:
    """A visit as someone wants it booked: the thing every rule judges."""

    teacher: Staff
    visitors: tuple[Staff, ...]
    kind: VisitKind
    start: datetime
    minutes: int
    focus: str | None = None
    feedback: str | None = None
    visit_id: int | None = None  # when re-checking an existing visit, it is not its own clash

    def at(self, start: datetime) -> "VisitPlan":
        return VisitPlan(self.teacher, self.visitors, self.kind, start, self.minutes, self.focus, self.feedback, self.visit_id)

    @property
    def end(self) -> datetime:
        return self.start + timedelta(minutes=self.minutes)


@dataclass(frozen=True)
class Facts:
    """What the rules need to know, gathered by the service for a window around the wanted time."""

    teacher_booked: tuple[Visit, ...] = ()  # the teacher's agreed/held visits in the sessions concerned
    busy: tuple[Visit, ...] = ()  # open or booked visits involving the teacher or a visitor, in the window
    objections: tuple[Objection, ...] = ()  # the teacher's objections to particular observers
    staff: tuple[Staff, ...] = ()  # the school's staff, to spot a focus naming one person
    walks: tuple[Walk, ...] = ()  # walks in the session concerned (for walk frequency and walkers at once)
    timetable: Timetable | None = None  # the lessons of the teacher and visitors, if the school imported a timetable
