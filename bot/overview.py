"""Everything a person sees at a glance (Slack's App Home): their visits and allowance and the next
learning walk; for SLT also every teacher's visit counts against the caps (counts only) and the walks.
"""
from __future__ import annotations

from dataclasses import dataclass

from bot import commands as c
from bot import services
from bot.calendar import Session
from bot.model import Role, Staff, Walk
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
    """Each teacher's booked visits this session against each cap."""
    teachers = [s for s in scope.staff if s.has(Role.TEACHER)]
    used = services.usage_by_teacher(scope.uow, scope.school, teachers, session, scope.ctx)
    return tuple(TeacherCounts(t, tuple(used[t.chat_id])) for t in teachers)
