"""Coverage for SLT: counts only, no judgements. Visits per teacher and per department against each cap this
session, who has had none, who is at or near a cap, learning walks per term against the agreement, and feedback
dialogues not arranged by their deadline.

The caps are the very lines a teacher's own `visit limits` shows (bot.usecases.lookups.usage_by_teacher), so the
two never disagree.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot import rules
from bot.domain.calendar import Session
from bot.domain.model import Role, Staff, VisitStatus
from bot.domain.school import School
from bot.notices.reminders import dialogue_deadline, dialogue_expected
from bot.ports import Clock, UnitOfWork
from bot.reports.commands import ShowCoverage
from bot.reports.period import report_session
from bot.usecases.kernel import open_scope, require
from bot.usecases.lookups import usage_by_teacher

NEAR = 1  # "near a cap": this many or fewer left
NO_DEPARTMENT = "No department"


@dataclass(frozen=True)
class TeacherCoverage:
    teacher: Staff
    visits: int  # booked (agreed or held) this session, of every kind
    lines: tuple[rules.Usage, ...]

    @property
    def near(self) -> tuple[rules.Usage, ...]:
        """The caps this teacher is at, over or within NEAR of."""
        return tuple(u for u in self.lines if u.cap - u.used <= NEAR)


@dataclass(frozen=True)
class DepartmentCoverage:
    name: str
    teachers: int
    visits: int
    lines: tuple[rules.Usage, ...]  # used by its teachers together, against their caps together


@dataclass(frozen=True)
class TermWalks:
    term: str
    done: int  # walks that have taken place
    planned: int  # walks still to come
    allowed: int | None  # the agreement's walks per term; None: it sets no number


@dataclass(frozen=True)
class Coverage:
    school: School
    session: Session
    teachers: tuple[TeacherCoverage, ...]  # by name
    departments: tuple[DepartmentCoverage, ...]
    terms: tuple[TermWalks, ...]
    dialogues_overdue: int
    made_at: datetime
    citations: tuple[str, ...]  # the clause of each cap

    @property
    def none_yet(self) -> tuple[Staff, ...]:
        return tuple(t.teacher for t in self.teachers if t.visits == 0)

    @property
    def near(self) -> tuple[TeacherCoverage, ...]:
        return tuple(t for t in self.teachers if t.near)


def show_coverage(cmd: ShowCoverage, uow: UnitOfWork, clock: Clock) -> Coverage:
    with uow:
        scope = open_scope(uow, cmd, clock)
        require(scope.actor.is_slt, "Coverage against the caps is for SLT; your own allowance is visit limits.")
        return coverage(uow, scope.school, scope.now)


def coverage(uow: UnitOfWork, school: School, now: datetime) -> Coverage:
    """This session's coverage, read inside an open unit of work (the chat command and `walkbot report coverage`)."""
    session = report_session(school, now)
    cal, policy = school.calendar, school.policy
    ctx = rules.Context(cal, policy, now)
    teachers = [s for s in uow.staff.all(school.id) if s.has(Role.TEACHER)]
    ids = [t.chat_id for t in teachers]
    start, end = cal.span(session)
    lines = usage_by_teacher(uow, school, teachers, session, ctx)
    counted = uow.visits.booked_by_teacher(school.id, ids, session.start)
    rows = [TeacherCoverage(t, sum(n for n, _ in counted.get(t.chat_id, {}).values()), tuple(lines[t.chat_id]))
            for t in teachers]
    today = cal.local(now).date()
    held = uow.visits.involving(school.id, ids, start, end, {VisitStatus.HELD})
    overdue = {v.id for v in held if v.teacher in lines and v.dialogue_at is None
               and dialogue_expected(v, policy) and dialogue_deadline(cal, policy, v) < today}
    walks = [w for w in uow.walks.between(school.id, session.start, session.end) if not w.cancelled]
    terms = tuple(TermWalks(term.name, sum(w.day in term and w.end <= now for w in walks),
                            sum(w.day in term and w.end > now for w in walks), policy.walks_per_term)
                  for term in session.terms)
    params = dict.fromkeys(u.param for r in rows for u in r.lines)
    return Coverage(school, session, tuple(rows), _departments(rows), terms, len(overdue), now,
                    tuple(str(policy.cite(p)) for p in params))


def _departments(rows: list[TeacherCoverage]) -> tuple[DepartmentCoverage, ...]:
    by: dict[str, list[TeacherCoverage]] = {}
    for r in rows:
        by.setdefault(r.teacher.department or NO_DEPARTMENT, []).append(r)
    found = []
    for name in sorted(by, key=lambda n: (n == NO_DEPARTMENT, n)):
        members = by[name]
        lines = tuple(rules.Usage(first.label, sum(m.lines[i].used for m in members),
                                  sum(m.lines[i].cap for m in members), first.param, first.unit)
                      for i, first in enumerate(members[0].lines))
        found.append(DepartmentCoverage(name, len(members), sum(m.visits for m in members), lines))
    return tuple(found)
