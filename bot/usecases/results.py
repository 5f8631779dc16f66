"""What a service hands back: plain data that each chat surface renders in its own way."""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Mapping

from bot.domain.calendar import Session
from bot.domain.model import Finding, Role, Staff, Visit, Walk
from bot.domain.school import School
from bot.notices.delivery import Reach
from bot.rules import Usage, Violation


class Outcome(StrEnum):
    """What just happened to a visit."""

    PROPOSED = "proposed"
    RECORDED = "recorded"  # an inspection visit, recorded without agreement
    AGREED = "agreed"
    COUNTERED = "countered"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"
    CANCELLED = "cancelled"
    MOVED = "moved"
    HELD = "held"
    DIALOGUE_SCHEDULED = "dialogue scheduled"
    NOTED = "noted"
    RECORD_WRITTEN = "record written"
    RECORD_AGREED = "record agreed"  # by everyone: kept
    RECORD_AGREED_BY_YOU = "record agreed by you"  # the others still to agree
    WALK_ROOM_HELD = "walk room held"  # a walk's room: no dialogue follows, the walk reports as a whole
    HELD_DATE_ONLY = "held, date kept"  # a peer visit that keeps only its date (004 §7): nothing follows


class WalkOutcome(StrEnum):
    PLANNED = "planned"
    CANCELLED = "cancelled"
    SHOWN = "shown"


class ReportOutcome(StrEnum):
    """What just happened to a learning walk's findings and report."""

    RECORDED = "findings recorded"
    SHOWN = "shown"
    SHARED = "shared"


class StaffOutcome(StrEnum):
    ADDED = "added"
    BACK = "back"  # added again after being taken off the list
    REMOVED = "removed"


@dataclass(frozen=True)
class VisitDone:
    school: School
    visit: Visit
    names: Mapping[str, str]
    what: Outcome
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
    complete: bool = True  # False: only the soonest of a section are here (the App Home's), `visit list` has all


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
    what: WalkOutcome
    room_visits: tuple[Visit, ...] = ()  # a walk is planned with all its rooms or not at all


@dataclass(frozen=True)
class WalkReport:
    """A walk's findings, compiled as its report: by kind, never by room or by walker."""

    school: School
    walk: Walk
    names: Mapping[str, str]
    what: ReportOutcome
    findings: tuple[Finding, ...]
    rooms_visited: int  # how many classrooms: the report names none
    told: int = 0  # RECORDED: how many teachers were told that findings exist


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


@dataclass(frozen=True)
class StaffChange:
    school: School
    person: Staff
    what: StaffOutcome
    names: Mapping[str, str]
    in_school_file: bool  # listed in school.yml, whose next load wins


@dataclass(frozen=True)
class StaffList:
    school: School
    staff: tuple[Staff, ...]
    names: Mapping[str, str]
    in_school_file: frozenset[str]  # chat ids school.yml lists


@dataclass(frozen=True)
class Member:
    """Who is asking, found on the staff list: what a chat surface needs before it opens a form."""

    school: School
    person: Staff


@dataclass(frozen=True)
class TeacherCounts:
    teacher: Staff
    lines: tuple[Usage, ...]


@dataclass(frozen=True)
class Unreached:
    """Those walkbot has notices for but cannot reach yet, for one reason (SLT put it right)."""

    reach: Reach
    names: tuple[str, ...]  # the people's names, by name
    channel: bool = False  # the staff channel too


@dataclass(frozen=True)
class Overview:
    school: School
    me: Staff
    visits: VisitList
    allowance: Allowance  # shown to teachers; its session is the one the overview covers
    walks: tuple[Walk, ...]  # this session's learning walks still to come, soonest first
    counts: tuple[TeacherCounts, ...] = ()  # SLT only
    unreached: tuple[Unreached, ...] = ()  # SLT only: whose notices wait for walkbot to be installed

    @property
    def is_teacher(self) -> bool:
        return Role.TEACHER in self.me.roles
