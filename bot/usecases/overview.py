"""Everything a person sees at a glance (Slack's App Home): their visits and allowance and the next
learning walk; for SLT also every teacher's visit counts against the caps (counts only) and the walks.
"""
from __future__ import annotations

from bot.domain.calendar import Session
from bot.domain.model import Role
from bot.ports import Clock, UnitOfWork
from bot.usecases import commands as c
from bot.usecases import lookups
from bot.usecases.kernel import Scope, open_scope
from bot.usecases.results import Overview, TeacherCounts


def show_overview(cmd: c.ShowOverview, uow: UnitOfWork, clock: Clock) -> Overview:
    # The same use cases as the list and limits commands, so the overview never disagrees with them.
    me = {"school_id": cmd.school_id, "actor": cmd.actor}
    visits = lookups.list_visits(c.ListVisits(**me), uow, clock)
    allowance = lookups.show_limits(c.ShowLimits(**me), uow, clock)
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
    used = lookups.usage_by_teacher(scope.uow, scope.school, teachers, session, scope.ctx)
    return tuple(TeacherCounts(t, tuple(used[t.chat_id])) for t in teachers)
