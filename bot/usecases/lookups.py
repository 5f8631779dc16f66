"""Looking things up: one visit, my visits, and the allowance used against each cap."""
from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Sequence

from bot import rules
from bot.domain.calendar import Session
from bot.domain.model import (
    OPEN_STATUSES,
    Staff,
    Visit,
    VisitKind,
    VisitStatus,
)
from bot.domain.school import School
from bot.ports import Clock, UnitOfWork
from bot.usecases import commands as c
from bot.usecases.kernel import Scope, open_scope, require, visit_for
from bot.usecases.results import Allowance, VisitDetail, VisitList


def show_visit(cmd: c.ShowVisit, uow: UnitOfWork, clock: Clock) -> VisitDetail:
    with uow:
        scope = open_scope(uow, cmd, clock)
        visit = visit_for(scope, cmd.visit_id, lock=False)
        return VisitDetail(scope.school, visit, scope.names, show_notes=scope.actor.chat_id in visit.people)


def list_visits(cmd: c.ListVisits, uow: UnitOfWork, clock: Clock) -> VisitList:
    with uow:
        return my_visits(open_scope(uow, cmd, clock))


def my_visits(scope: Scope) -> VisitList:
    """The asker's visits from a month ago on, by what each waits for."""
    return visit_list(scope, scope.uow.visits.of_person(scope.school.id, scope.actor.chat_id, since(scope)))


def since(scope: Scope) -> datetime:
    """From when `visit list` shows a person's visits."""
    return scope.now - timedelta(days=30)


def visit_list(scope: Scope, mine: Sequence[Visit], shown: int | None = None) -> VisitList:
    """The asker's visits (as my_visits reads them) by what each waits for; with `shown`, only the soonest that many
    of each (the App Home's glance), from `mine` read with one more than that of each status as teacher and as
    visitor (VisitRepo.of_person's `each`), so that it can say whether there are more."""
    me = scope.actor.chat_id

    def waits_for_me(v: Visit) -> bool:
        return (v.status is VisitStatus.PROPOSED and v.teacher == me) or (
            v.status is VisitStatus.COUNTERED and me in v.visitors)

    sections = (
        tuple(v for v in mine if waits_for_me(v) and v.start > scope.now),
        tuple(v for v in mine if v.status in OPEN_STATUSES and not waits_for_me(v) and v.start > scope.now),
        tuple(v for v in mine if v.status is VisitStatus.AGREED and v.end > scope.now),
        tuple(v for v in mine if v.status is VisitStatus.HELD and not v.record_agreed
              and not (v.kind is VisitKind.PEER and scope.school.policy.peer_visits_date_only)),
    )
    if shown is None:
        return VisitList(scope.school, scope.names, *sections)
    # A status as teacher or as visitor with one more than `shown` read: there are more than were read.
    groups = Counter((v.status, v.teacher == me) for v in mine)
    complete = max(groups.values(), default=0) <= shown and all(len(part) <= shown for part in sections)
    return VisitList(scope.school, scope.names, *(part[:shown] for part in sections), complete=complete)


def show_limits(cmd: c.ShowLimits, uow: UnitOfWork, clock: Clock) -> Allowance:
    with uow:
        scope = open_scope(uow, cmd, clock)
        teacher = scope.person(cmd.teacher) if cmd.teacher else scope.actor
        require(teacher.chat_id == scope.actor.chat_id or scope.actor.is_slt or
                 teacher.line_manager == scope.actor.chat_id,
                 "You can see your own allowance; SLT and line managers can see others'.")
        session = this_session(scope)
        return allowance(scope, teacher, session, usage_by_teacher(uow, scope.school, [teacher], session,
                                                                   scope.ctx)[teacher.chat_id])


def this_session(scope: Scope) -> Session:
    """The session today is in, else the next one (or, after the last, the last)."""
    cal = scope.school.calendar
    today = cal.local(scope.now).date()
    return cal.session_of(today) or next((s for s in cal.sessions if s.start > today), cal.sessions[-1])


def allowance(scope: Scope, teacher: Staff, session: Session, lines: Sequence[rules.Usage]) -> Allowance:
    citations = tuple(str(scope.school.policy.cite(line.param)) for line in lines)
    return Allowance(teacher, session, tuple(lines), citations)


def usage_by_teacher(uow: UnitOfWork, school: School, teachers: Sequence[Staff], session: Session,
                     ctx: rules.Context) -> dict[str, list[rules.Usage]]:
    """Each teacher's allowance used this session against every cap, from the visits counted as they were written
    (VisitRepo.booked_by_teacher): a row a teacher and kind, however many visits the session holds."""
    counted = uow.visits.booked_by_teacher(school.id, [t.chat_id for t in teachers], session.start)
    return usage_from(counted, teachers, session, ctx)


def usage_from(counted: dict[str, dict[VisitKind, tuple[int, int]]], teachers: Sequence[Staff], session: Session,
               ctx: rules.Context) -> dict[str, list[rules.Usage]]:
    """Each teacher's allowance used, from the booked visits counted per teacher and kind (usage_by_teacher)."""
    policy = ctx.policy
    caps = rules.usage((), session.start, session.end, ctx)  # every cap the policy sets, none used yet

    def used(cap: rules.Usage, kinds: dict[VisitKind, tuple[int, int]]) -> int:
        # What counts toward each cap, as the cap rule reads it (bot.rules.allowance.cap_violations).
        counts = rules.counted_kinds(policy, policy.formal_kinds if cap.param == "formal_visits_per_session"
                                     else policy.observation_kinds)
        return sum(minutes if cap.unit == "minutes" else n for kind, (n, minutes) in kinds.items() if kind in counts)

    return {t.chat_id: [replace(cap, used=used(cap, counted.get(t.chat_id, {}))) for cap in caps] for t in teachers}
