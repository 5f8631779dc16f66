"""The request kernel every use case runs in: the school, who asks, its staff, now; the checks all share.

Who may do what is checked in the use cases; what the agreement allows is checked by bot.rules.
"""
from __future__ import annotations

from bot.reply.card import Say, line

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property
from typing import Iterable

from bot import rules
from bot.domain.model import (
    BOOKED_STATUSES,
    BUSY_STATUSES,
    Objection,
    Role,
    Staff,
    Visit,
    VisitStatus,
    Walk,
)
from bot.domain.school import School
from bot.domain.timetable import Lesson, Timetable
from bot.errors import NotAllowed, NotFound, Refused, WrongState
from bot.notices import reminders
from bot.notices.outbox import Outbox
from bot.ports import Clock, UnitOfWork
from bot.usecases import commands as c
from bot.usecases.results import Outcome, VisitDone


@dataclass
class Scope:
    """One request's setting: the school, who is asking, its staff, and now."""

    uow: UnitOfWork
    school: School
    actor: Staff
    staff: tuple[Staff, ...]  # active: who may act, and be named in a command
    now: datetime
    leavers: tuple[Staff, ...] = ()  # taken off the list: still named in the visits they were part of
    # People's lessons as read in this request, by who (None: the school has no timetable): read once a request.
    lessons: dict[frozenset[str], tuple[Lesson, ...] | None] = field(default_factory=dict)

    @cached_property
    def names(self) -> dict[str, str]:
        return {s.chat_id: s.name for s in self.leavers + self.staff}

    @property
    def ctx(self) -> rules.Context:
        return rules.Context(self.school.calendar, self.school.policy, self.now)

    def person(self, mention: str) -> Staff:
        found = self.uow.staff.find(self.school.id, mention)
        if found is None:
            raise NotFound(f"I can't find {mention} on {self.school.name}'s staff list. "
                           "Check the spelling, or ask SLT to add them.")
        return found

    def outbox(self) -> Outbox:
        return Outbox(self.school, self.names, self.now)

    def commit(self, outbox: Outbox | None = None) -> None:
        """The change and the notices it implies, in one transaction."""
        if outbox:
            outbox.write(self.uow.notices)
        self.uow.commit()

    def done(self, visit: Visit, what: Outcome, outbox: Outbox | None = None, warnings=()) -> VisitDone:
        self.commit(outbox)
        return VisitDone(self.school, visit, self.names, what, tuple(warnings))


def open_scope(uow: UnitOfWork, cmd: c.Command, clock: Clock) -> Scope:
    """Call inside `with uow:`. Refuses people who are not on the school's staff list."""
    found = uow.schools.with_staff(cmd.school_id)  # one query, when this process has read them before
    if found is None:
        raise NotFound("This workspace is not linked to a school yet: ask your IT lead to load school.yml.")
    school, everyone = found
    staff = _active(everyone)
    actor = next((s for s in staff if s.chat_id == cmd.actor), None)
    if actor is None:
        slt = [s.name for s in staff if s.is_slt]
        raise NotAllowed(f"You're not on {school.name}'s staff list in walkbot, so I can't act for you. "
                         f"Ask {' or '.join(slt[:2]) or 'SLT'} to add you.")
    return Scope(uow, school, actor, staff, clock.now(), tuple(s for s in everyone if not s.active))


_actives: dict[int, tuple[tuple[Staff, ...], tuple[Staff, ...]]] = {}


def _active(everyone: tuple[Staff, ...]) -> tuple[Staff, ...]:
    """Who is on the list now, as one tuple for as long as the process keeps the school's list (`everyone`, kept
    by storage until the school changes), so that what is worked out from it once (bot.rules.focus) is kept too."""
    kept = _actives.get(id(everyone))
    if kept is None or kept[0] is not everyone:
        if len(_actives) >= 16:  # a few schools at a time; another is filtered again when it comes back
            _actives.clear()
        kept = _actives[id(everyone)] = everyone, tuple(s for s in everyone if s.active)
    return kept[1]


def visit_for(scope: Scope, visit_id: int, *, lock: bool = True) -> Visit:
    """The visit, held until commit unless only read: two answers to one visit run one after the other."""
    visit = scope.uow.visits.get(scope.school.id, visit_id, lock=lock)
    if visit is None or not may_see(scope.actor, visit):
        raise NotFound(line(f"There is no visit #{visit_id} that you can see. Say ", Say("visit list"), " for yours."))
    return visit


def may_see(person: Staff, visit: Visit) -> bool:
    return person.chat_id in visit.people or person.is_slt


def facts_for(scope: Scope, plan: rules.VisitPlan, statuses=BUSY_STATUSES, cover: Iterable[str] = (),
              objections: Iterable[Objection] | None = None) -> rules.Facts:
    """What the rules need for this plan: the teacher's booked visits in the sessions around it,
    everyone's commitments near it, the teacher's objections (read here unless given: enforce_rules reads them
    as it locks), and everyone's lessons if the school has a timetable (`cover`: the visitors whose own classes
    are covered). Index-backed, never all history."""
    cal, uow, sid = scope.school.calendar, scope.uow, scope.school.id
    first, last = rules.search_window(plan.start, cal)
    first, last = min(first, plan.start), max(last, plan.end)
    sessions = [s for s in cal.sessions if s.start <= cal.local(last).date() and cal.local(first).date() <= s.end]
    span_start = cal.at(min((s.start for s in sessions), default=cal.local(first).date()), cal.day_start) - timedelta(days=1)
    span_end = cal.at(max((s.end for s in sessions), default=cal.local(last).date()), cal.day_end) + timedelta(days=1)
    people = plan_people(plan)
    booked, busy = uow.visits.for_plan(sid, plan.teacher.chat_id, (span_start, span_end), BOOKED_STATUSES,
                                       people, (first, last), statuses)
    return rules.Facts(
        teacher_booked=tuple(booked),
        busy=tuple(busy),
        objections=tuple(uow.objections.for_teacher(sid, plan.teacher.chat_id) if objections is None else objections),
        staff=scope.staff,
        timetable=timetable_for(scope, people, cover),
    )


def plan_people(plan: rules.VisitPlan) -> set[str]:
    return {plan.teacher.chat_id, *(v.chat_id for v in plan.visitors)}


def timetable_for(scope: Scope, people: Iterable[str], cover: Iterable[str] = ()) -> Timetable | None:
    """These people's lessons, or None when the school has imported no timetable (then no lesson rule applies)."""
    who = frozenset(people)
    if who not in scope.lessons:
        found = scope.uow.timetable.lessons(scope.school.id, who)
        scope.lessons[who] = None if found is None else tuple(found)
    lessons = scope.lessons[who]
    return None if lessons is None else Timetable(lessons, scope.school.week_a_starts, frozenset(cover))


def member(scope: Scope, chat_id: str) -> Staff:
    """Someone in a visit: from the staff list or, if SLT have taken them off it since, as they were."""
    found = next((s for s in scope.staff if s.chat_id == chat_id), None)
    found = found or scope.uow.staff.get(scope.school.id, chat_id)
    return found or Staff(None, scope.school.id, chat_id, chat_id, frozenset(), active=False)


def plan_for(scope: Scope, visit: Visit, start: datetime | None = None, minutes: int | None = None, *,
          booking: bool = True) -> rules.VisitPlan:
    """The visit as the rules see it. booking: it is being agreed or given a time, which needs everyone
    in it still on the staff list; it can still be declined, withdrawn or cancelled."""
    teacher, visitors = member(scope, visit.teacher), tuple(member(scope, v) for v in visit.visitors)
    gone = [p.name for p in (teacher, *visitors) if not p.active]
    if booking and gone:
        raise WrongState(f"{' and '.join(gone)} {'is' if len(gone) == 1 else 'are'} no longer on "
                         f"{scope.school.name}'s staff list, so visit #{visit.id} can't be agreed or given a new "
                         "time. It can still be declined, withdrawn or cancelled.")
    return rules.VisitPlan(
        teacher=teacher, visitors=visitors, kind=visit.kind,
        start=start or visit.start, minutes=minutes or visit.minutes, focus=visit.focus, feedback=visit.feedback,
        visit_id=visit.id,
    )


def enforce_rules(scope: Scope, plan: rules.VisitPlan, *, booking: bool,
                  cover: Iterable[str] = ()) -> list[rules.Violation]:
    """Refuse with every broken rule and the nearest allowed times; return the warnings.

    booking=True is the moment a visit becomes agreed: the teacher is consenting, so notice is
    theirs to waive, and only booked visits (not other pending proposals) can clash. `cover`: the
    visitors who said their own classes are covered at this time.
    """
    # What the rules count is held while they count it: the teacher's caps and clashes, and each visitor's
    # clashes, so two bookings touching one person (as teacher or visitor) run one after the other.
    objections = scope.uow.staff.lock(scope.school.id, [plan.teacher.chat_id, *(v.chat_id for v in plan.visitors)],
                                      objections_to=plan.teacher.chat_id)
    facts = facts_for(scope, plan, BOOKED_STATUSES if booking else BUSY_STATUSES, cover, objections)
    found = rules.check_visit(plan, facts, scope.ctx, check_notice=not booking)
    refusals = [v for v in found if not v.warning]
    if refusals:
        raise Refused(refusals, rules.nearest_slots(plan, facts, scope.ctx, check_notice=not booking))
    return [v for v in found if v.warning]


def start_of(scope: Scope, when: c.When) -> datetime:
    return scope.school.calendar.at(when.day, when.time)


def require(condition: bool, message: str) -> None:
    if not condition:
        raise NotAllowed(message)


def require_class(scope: Scope, person: Staff) -> None:
    """Only someone with the teacher role has a class to visit."""
    require(person.has(Role.TEACHER), f"{person.name} ({', '.join(sorted(person.roles))}) is not a class teacher "
                                      f"on {scope.school.name}'s staff list, so there is no class of theirs to visit.")


def need_state(visit: Visit, allowed: set[VisitStatus], doing: str) -> None:
    if visit.status not in allowed:
        raise WrongState(f"Visit #{visit.id} is {visit.status}, so it can't be {doing} now.")


def room_visits(scope: Scope, walk: Walk) -> list[Visit]:
    nearby = scope.uow.visits.involving(scope.school.id, walk.walkers, walk.start, walk.end, BUSY_STATUSES)
    return [v for v in nearby if v.walk_id == walk.id]


def replan(scope: Scope, out: Outbox, visit: Visit) -> None:
    """The reminders and nudges the visit's new state implies replace its old state's (its walk's too)."""
    out.replan(reminders.for_visit(scope.school, visit, scope.staff, scope.now), visit=visit)
    walk = scope.uow.walks.get(scope.school.id, visit.walk_id) if visit.walk_id is not None else None
    if walk is not None:
        out.replan(reminders.for_walk(scope.school, walk, room_visits(scope, walk), scope.staff, scope.now), walk=walk)
