"""Everything a person sees at a glance (Slack's App Home): their visits and allowance and the next
learning walk; for SLT also every teacher's visit counts against the caps (counts only) and the walks.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from bot import commands as c
from bot import rules, services
from bot.calendar import Session
from bot.model import BOOKED_STATUSES, Role, Staff, Walk
from bot.ports import Clock, UnitOfWork
from bot.results import Allowance, VisitList
from bot.rules import Usage
from bot.school import School
from bot.services import Scope, open_scope


@dataclass(frozen=True)
class TeacherCounts:
    teacher: Staff
    lines: tuple[Usage, ...]


@dataclass(frozen=True)
class Overview:
    school: School
    me: Staff
    visits: VisitList
    allowance: Allowance  # shown to teachers; its session is the one the overview covers
    walks: tuple[Walk, ...]  # this session's learning walks still to come, soonest first
    counts: tuple[TeacherCounts, ...] = ()  # SLT only

    @property
    def is_teacher(self) -> bool:
        return Role.TEACHER in self.me.roles


def show_overview(cmd: c.ShowOverview, uow: UnitOfWork, clock: Clock) -> Overview:
    # The same services as /visit list and /visit limits, so the overview never disagrees with them.
    me = {"school_id": cmd.school_id, "actor": cmd.actor}
    visits = services.list_visits(c.ListVisits(**me), uow, clock)
    allowance = services.show_limits(c.ShowLimits(**me), uow, clock)
    with uow:
        scope = open_scope(uow, cmd, clock)
        session = allowance.session
        walks = tuple(w for w in uow.walks.between(scope.school.id, session.start, session.end)
                      if not w.cancelled and w.end > scope.now)
        counts = _counts(scope, session) if scope.actor.is_slt else ()
        return Overview(scope.school, scope.actor, visits, allowance, walks, counts)


def _counts(scope: Scope, session: Session) -> tuple[TeacherCounts, ...]:
    """Each teacher's booked visits this session against each cap: one indexed query per teacher."""
    cal = scope.school.calendar
    first, last = cal.at(session.start, cal.day_start) - timedelta(days=1), cal.at(session.end, cal.day_end)
    counts = []
    for teacher in scope.staff:
        if Role.TEACHER in teacher.roles:
            booked = scope.uow.visits.for_teacher(scope.school.id, teacher.chat_id, first, last, BOOKED_STATUSES)
            counts.append(TeacherCounts(teacher, tuple(rules.usage(tuple(booked), session.start, session.end,
                                                                   scope.ctx))))
    return tuple(counts)
