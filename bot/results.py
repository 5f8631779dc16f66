"""What a service hands back: plain data that each chat surface renders in its own way."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

from bot.calendar import Session
from bot.model import Staff, Visit, Walk
from bot.rules import Usage, Violation
from bot.school import School


@dataclass(frozen=True)
class VisitDone:
    school: School
    visit: Visit
    names: Mapping[str, str]
    what: str  # "proposed", "agreed", ... the past tense of what just happened
    warnings: tuple[Violation, ...] = ()


@dataclass(frozen=True)
class VisitDetail:
    school: School
    visit: Visit
    names: Mapping[str, str]
    show_notes: bool  # notes are for the teacher visited and the visitors only


@dataclass(frozen=True)
class VisitList:
    school: School
    names: Mapping[str, str]
    awaiting_me: tuple[Visit, ...]
    awaiting_others: tuple[Visit, ...]
    upcoming: tuple[Visit, ...]
    follow_up: tuple[Visit, ...]  # held visits whose dialogue or record is still to do


@dataclass(frozen=True)
class Allowance:
    teacher: Staff
    session: Session
    lines: tuple[Usage, ...]
    citations: tuple[str, ...]


@dataclass(frozen=True)
class WalkDone:
    school: School
    walk: Walk
    names: Mapping[str, str]
    what: str
    room_visits: tuple[Visit, ...] = ()
    room_refusals: tuple[tuple[str, str], ...] = ()  # (teacher name, why) for rooms that could not be booked


@dataclass(frozen=True)
class WalkList:
    school: School
    names: Mapping[str, str]
    walks: tuple[Walk, ...]


@dataclass(frozen=True)
class Said:
    """A plain sentence: help, a concern passed on, an objection recorded."""

    text: str
    extra: tuple[str, ...] = field(default=())
