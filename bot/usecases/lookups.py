"""Looking things up: one visit, my visits, and the allowance used against each cap."""
from __future__ import annotations

from datetime import time, timedelta
from typing import Sequence

from bot import rules
from bot.domain.calendar import Session
from bot.domain.model import (
    BOOKED_STATUSES,
    OPEN_STATUSES,
    Staff,
    Visit,
    VisitKind,
    VisitStatus,
)
from bot.domain.school import School
from bot.ports import Clock, UnitOfWork
from bot.usecases import commands as c
from bot.usecases.kernel import open_scope, require, visit_for
from bot.usecases.results import Allowance, VisitDetail, VisitList


def show_visit(cmd: c.ShowVisit, uow: UnitOfWork, clock: Clock) -> VisitDetail:
    with uow:
        scope = open_scope(uow, cmd, clock)
        visit = visit_for(scope, cmd.visit_id, lock=False)
        return VisitDetail(scope.school, visit, scope.names, show_notes=scope.actor.chat_id in visit.people)


def list_visits(cmd: c.ListVisits, uow: UnitOfWork, clock: Clock) -> VisitList:
    with uow:
        scope = open_scope(uow, cmd, clock)
        me = scope.actor.chat_id
        mine = uow.visits.of_person(scope.school.id, me, scope.now - timedelta(days=30))

        def waits_for_me(v: Visit) -> bool:
            return (v.status is VisitStatus.PROPOSED and v.teacher == me) or (
                v.status is VisitStatus.COUNTERED and me in v.visitors)

        return VisitList(
            school=scope.school, names=scope.names,
            awaiting_me=tuple(v for v in mine if waits_for_me(v) and v.start > scope.now),
            awaiting_others=tuple(v for v in mine if v.status in OPEN_STATUSES and not waits_for_me(v)
                                  and v.start > scope.now),
            upcoming=tuple(v for v in mine if v.status is VisitStatus.AGREED and v.end > scope.now),
            follow_up=tuple(v for v in mine if v.status is VisitStatus.HELD and not v.record_agreed
                            and not (v.kind is VisitKind.PEER and scope.school.policy.peer_visits_date_only)),
        )


def show_limits(cmd: c.ShowLimits, uow: UnitOfWork, clock: Clock) -> Allowance:
    with uow:
        scope = open_scope(uow, cmd, clock)
        teacher = scope.person(cmd.teacher) if cmd.teacher else scope.actor
        require(teacher.chat_id == scope.actor.chat_id or scope.actor.is_slt or
                 teacher.line_manager == scope.actor.chat_id,
                 "You can see your own allowance; SLT and line managers can see others'.")
        cal = scope.school.calendar
        today = cal.local(scope.now).date()
        session = cal.session_of(today) or next((s for s in cal.sessions if s.start > today), cal.sessions[-1])
        lines = usage_by_teacher(uow, scope.school, [teacher], session, scope.ctx)[teacher.chat_id]
        citations = tuple(str(scope.school.policy.cite(line.param)) for line in lines)
        return Allowance(teacher, session, tuple(lines), citations)


def usage_by_teacher(uow: UnitOfWork, school: School, teachers: Sequence[Staff], session: Session,
                     ctx: rules.Context) -> dict[str, list[rules.Usage]]:
    """Each teacher's allowance used this session against every cap, from one indexed query."""
    cal = school.calendar
    booked = uow.visits.involving(school.id, [t.chat_id for t in teachers], cal.at(session.start, time.min),
                                  cal.at(session.end, time.max), BOOKED_STATUSES)
    return {t.chat_id: rules.usage(tuple(v for v in booked if v.teacher == t.chat_id), session.start, session.end, ctx)
            for t in teachers}
