"""Proposing a visit and answering it: agree, suggest another time, accept, decline, withdraw, cancel, move.

Every surface (console, Slack, Teams) calls these plain functions, so the agreement is enforced once.
"""
from __future__ import annotations

from bot.reply.card import Say, line

from datetime import datetime

from bot import rules
from bot.domain.ics import visit_ics
from bot.domain.model import OPEN_STATUSES, NoticeKind, Visit, VisitKind, VisitStatus
from bot.domain.timetable import Lesson
from bot.domain.words import when_text
from bot.errors import InputError, WrongState
from bot.notices import words
from bot.notices.outbox import Outbox
from bot.ports import Clock, UnitOfWork
from bot.reply.card import Card
from bot.usecases import commands as c
from bot.usecases.kernel import (
    Scope,
    enforce_rules,
    need_state,
    open_scope,
    plan_for,
    plan_people,
    replan,
    require,
    require_class,
    start_of,
    timetable_for,
    visit_for,
)
from bot.usecases.results import Outcome, VisitDone


def propose_visit(cmd: c.ProposeVisit, uow: UnitOfWork, clock: Clock) -> VisitDone:
    with uow:
        scope = open_scope(uow, cmd, clock)
        teacher = scope.person(cmd.teacher)
        require_class(scope, teacher)
        visitors = [scope.actor] + [scope.person(m) for m in cmd.visitors]
        visitors = list({v.chat_id: v for v in visitors}.values())
        policy = scope.school.policy
        if cmd.kind is VisitKind.INSPECTION:
            require(scope.actor.is_slt, "Only SLT record inspection visits.")
            visitors = [v for v in visitors if v.chat_id != scope.actor.chat_id] or visitors
        if cmd.kind is VisitKind.LEARNING_WALK:
            raise InputError(line("Learning-walk visits are booked with ", Say("walk plan"),
                                  ", so the whole staff is told."))
        minutes = policy.default_visit_minutes if cmd.minutes is None else cmd.minutes
        plan = rules.VisitPlan(teacher, tuple(visitors), cmd.kind, start_of(scope, cmd.when), minutes,
                               cmd.focus, cmd.feedback)
        cover = [v.chat_id for v in visitors] if cmd.cover else []
        warnings = enforce_rules(scope, plan, booking=cmd.kind is VisitKind.INSPECTION, cover=cover)
        # Inspections cannot be agreed in advance (000 §2b): recorded as they are, and they still count.
        status = VisitStatus.AGREED if cmd.kind is VisitKind.INSPECTION else VisitStatus.PROPOSED
        visit = uow.visits.add(Visit(
            id=None, school_id=scope.school.id, teacher=teacher.chat_id, visitors=tuple(v.chat_id for v in visitors),
            proposer=scope.actor.chat_id, kind=cmd.kind, start=plan.start, minutes=minutes, status=status,
            focus=cmd.focus, feedback=cmd.feedback, pro_forma=cmd.pro_forma, created_at=scope.now,
        ))
        out = scope.outbox()
        out.created(visit=visit)
        if status is VisitStatus.PROPOSED:
            lesson = _keep_cover(scope, visit, plan, cover, fresh=True)
            out.tell(teacher.chat_id, NoticeKind.PROPOSAL,
                     words.proposal(scope.school, visit, scope.names, scope.actor.name, lesson), visit=visit,
                     useful_until=visit.start)
        else:
            out.tell(teacher.chat_id, NoticeKind.INSPECTION, words.inspection(scope.school, visit, scope.names),
                     visit=visit, ics=visit_ics(scope.school, visit, scope.names, scope.now))
        replan(scope, out, visit)
        return scope.done(visit, Outcome.RECORDED if status is VisitStatus.AGREED else Outcome.PROPOSED, out, warnings)


def agree_visit(cmd: c.AgreeVisit, uow: UnitOfWork, clock: Clock) -> VisitDone:
    with uow:
        scope = open_scope(uow, cmd, clock)
        visit = visit_for(scope, cmd.visit_id)
        if visit.status is VisitStatus.COUNTERED and scope.actor.chat_id in visit.visitors:
            _still_asked(scope, visit, visit.suggested_start, cmd.asked_start)
            return _accept(scope, visit)
        require(scope.actor.chat_id == visit.teacher, "Only the class teacher can agree a visit to their class.")
        need_state(visit, {VisitStatus.PROPOSED}, "agreed")
        _still_asked(scope, visit, visit.start, cmd.asked_start)
        plan = plan_for(scope, visit)
        timetabled = timetable_for(scope, plan_people(plan)) is not None
        cover = uow.timetable.cover(visit.id) if timetabled else frozenset()
        warnings = enforce_rules(scope, plan, booking=True, cover=cover)
        visit = visit.but(status=VisitStatus.AGREED)
        uow.visits.update(visit)
        out = scope.outbox()
        out.supersede(visit=visit)  # the proposal is answered: no nudge, and no proposal still to deliver
        _confirm(scope, out, visit, words.agreed(scope.school, visit, scope.names, scope.actor.name))
        _cover_request(scope, out, visit, plan, cover)
        return scope.done(visit, Outcome.AGREED, out, warnings)


def suggest_time(cmd: c.SuggestTime, uow: UnitOfWork, clock: Clock) -> VisitDone:
    with uow:
        scope = open_scope(uow, cmd, clock)
        return _suggest(scope, visit_for(scope, cmd.visit_id), start_of(scope, cmd.when))


def _suggest(scope: Scope, visit: Visit, start: datetime) -> VisitDone:
    """The class teacher offers another time; the visitor must accept it."""
    uow = scope.uow
    require(scope.actor.chat_id == visit.teacher, "Only the class teacher can suggest another time.")
    need_state(visit, {VisitStatus.PROPOSED, VisitStatus.AGREED}, "given another time")
    warnings = enforce_rules(scope, plan_for(scope, visit, start), booking=True)
    before, visit = visit, visit.but(status=VisitStatus.COUNTERED, suggested_start=start)
    uow.visits.update(visit)
    out = scope.outbox()
    out.supersede(visit=visit)
    _cover_released(scope, out, before, "given another time")
    out.tell_all(visit.visitors, NoticeKind.SUGGESTION, words.suggestion(scope.school, visit, scope.actor.name),
                 visit=visit, useful_until=start)
    replan(scope, out, visit)
    return scope.done(visit, Outcome.COUNTERED, out, warnings)


def accept_suggestion(cmd: c.AcceptSuggestion, uow: UnitOfWork, clock: Clock) -> VisitDone:
    with uow:
        scope = open_scope(uow, cmd, clock)
        visit = visit_for(scope, cmd.visit_id)
        require(scope.actor.chat_id in visit.visitors, "Only a visitor can accept the time the teacher suggested.")
        need_state(visit, {VisitStatus.COUNTERED}, "accepted")
        _still_asked(scope, visit, visit.suggested_start, cmd.asked_start)
        return _accept(scope, visit)


def _still_asked(scope: Scope, visit: Visit, now_asked: datetime | None, asked: datetime | None) -> None:
    """An answer given on an older message must be about the time the visit is still asking about."""
    if asked is not None and now_asked != asked:
        raise WrongState(line(f"Visit #{visit.id} has changed since that message: it now asks about "
                         f"{when_text(scope.school, now_asked)}. Say ", Say(f"visit show {visit.id}"), " to see it."))


def _accept(scope: Scope, visit: Visit) -> VisitDone:
    plan = plan_for(scope, visit, visit.suggested_start)
    warnings = enforce_rules(scope, plan, booking=True)
    visit = visit.but(status=VisitStatus.AGREED, start=visit.suggested_start, suggested_start=None)
    scope.uow.visits.update(visit)
    if timetable_for(scope, plan_people(plan)) is not None:
        scope.uow.timetable.set_cover(visit.id, ())  # cover said for the old time is not cover for this one
    out = scope.outbox()
    out.supersede(visit=visit)
    _confirm(scope, out, visit, words.accepted(scope.school, visit, scope.names, scope.actor.name))
    return scope.done(visit, Outcome.AGREED, out, warnings)


def decline_visit(cmd: c.DeclineVisit, uow: UnitOfWork, clock: Clock) -> VisitDone:
    with uow:
        scope = open_scope(uow, cmd, clock)
        visit = visit_for(scope, cmd.visit_id)
        require(scope.actor.chat_id == visit.teacher, "Only the class teacher can decline a visit to their class.")
        need_state(visit, OPEN_STATUSES, "declined")
        visit = visit.but(status=VisitStatus.DECLINED, reason=cmd.reason)
        uow.visits.update(visit)
        out = scope.outbox()
        out.supersede(visit=visit)
        out.tell_all(visit.visitors, NoticeKind.DECLINED, words.declined(visit, scope.actor.name, cmd.reason),
                     visit=visit)
        return scope.done(visit, Outcome.DECLINED, out)


def withdraw_visit(cmd: c.WithdrawVisit, uow: UnitOfWork, clock: Clock) -> VisitDone:
    with uow:
        scope = open_scope(uow, cmd, clock)
        visit = visit_for(scope, cmd.visit_id)
        require(scope.actor.chat_id in visit.visitors, "Only a visitor can withdraw a proposal.")
        need_state(visit, OPEN_STATUSES, "withdrawn")
        visit = visit.but(status=VisitStatus.WITHDRAWN)
        uow.visits.update(visit)
        out = scope.outbox()
        out.supersede(visit=visit)
        out.tell(visit.teacher, NoticeKind.WITHDRAWN, words.withdrawn(visit, scope.actor.name), visit=visit)
        return scope.done(visit, Outcome.WITHDRAWN, out)


def cancel_visit(cmd: c.CancelVisit, uow: UnitOfWork, clock: Clock) -> VisitDone:
    with uow:
        scope = open_scope(uow, cmd, clock)
        visit = visit_for(scope, cmd.visit_id)
        require(scope.actor.chat_id in visit.people or scope.actor.is_slt,
                 "Only the teacher, the visitors or SLT can cancel a visit.")
        need_state(visit, {VisitStatus.AGREED}, "cancelled")
        agreed, visit = visit, visit.but(status=VisitStatus.CANCELLED, reason=cmd.reason)
        uow.visits.update(visit)
        out = scope.outbox()
        out.supersede(visit=visit)
        _cover_released(scope, out, agreed, "cancelled")
        out.tell_all(visit.people, NoticeKind.CANCELLED,
                     words.cancelled(scope.school, visit, scope.actor.name, cmd.reason), visit=visit,
                     except_=scope.actor.chat_id,
                     ics=visit_ics(scope.school, visit, scope.names, scope.now, cancelled=True))
        return scope.done(visit, Outcome.CANCELLED, out)


def move_visit(cmd: c.MoveVisit, uow: UnitOfWork, clock: Clock) -> VisitDone:
    """A new time needs fresh agreement: a visitor's move goes back to the teacher, a teacher's to the visitor."""
    with uow:
        scope = open_scope(uow, cmd, clock)
        visit = visit_for(scope, cmd.visit_id)
        if scope.actor.chat_id == visit.teacher:
            return _suggest(scope, visit, start_of(scope, cmd.when))
        require(scope.actor.chat_id in visit.visitors, "Only the teacher or a visitor can move a visit.")
        need_state(visit, {VisitStatus.PROPOSED, VisitStatus.COUNTERED, VisitStatus.AGREED}, "moved")
        start = start_of(scope, cmd.when)
        minutes = visit.minutes if cmd.minutes is None else cmd.minutes
        plan = plan_for(scope, visit, start, minutes)
        cover = list(visit.visitors) if cmd.cover else []
        warnings = enforce_rules(scope, plan, booking=False, cover=cover)
        before, visit = visit, visit.but(status=VisitStatus.PROPOSED, start=start, minutes=minutes,
                                         suggested_start=None)
        uow.visits.update(visit)
        out = scope.outbox()
        out.supersede(visit=visit)
        _cover_released(scope, out, before, "moved")  # before the cover kept is the new time's
        _keep_cover(scope, visit, plan, cover, fresh=False)
        out.tell(visit.teacher, NoticeKind.PROPOSAL, words.moved(scope.school, visit, scope.actor.name), visit=visit,
                 useful_until=start)
        replan(scope, out, visit)
        return scope.done(visit, Outcome.MOVED, out, warnings)


def week_lessons(cmd: c.ListLessons, uow: UnitOfWork, clock: Clock) -> tuple[tuple[datetime, Lesson], ...] | None:
    """What the propose form offers (bot.chat.forms.propose_form): the teacher's lessons, each with when it meets, on
    the five school days from the first the agreement's notice allows; none until the teacher is known; None when
    the school has no timetable."""
    with uow:
        scope = open_scope(uow, cmd, clock)
        teacher = scope.person(cmd.teacher) if cmd.teacher else None
        timetable = timetable_for(scope, [teacher.chat_id] if teacher else [])
        if timetable is None or teacher is None:
            return None if timetable is None else ()
        cal, notice = scope.school.calendar, scope.school.policy.min_notice_school_days
        today = cal.local(scope.now).date()
        first = cal.add_school_days(today, notice) if notice else today
        return tuple((cal.at(day, x.start), x) for day in cal.school_days(first, 5)
                     for x in timetable.on(teacher.chat_id, day) if cal.at(day, x.start) > scope.now)


def _keep_cover(scope: Scope, visit: Visit, plan: rules.VisitPlan, cover: list[str], *,
                fresh: bool) -> Lesson | None:
    """With a timetable: keep whose own classes are covered for the visit's time (only those teaching then; `fresh`:
    a new visit, which has none kept yet), and return the lesson visited."""
    timetable = timetable_for(scope, plan_people(plan), cover)
    if timetable is None:
        return None
    covered = {v.chat_id for v, _ in rules.covered_lessons(plan, timetable, scope.ctx)}
    if covered or not fresh:
        scope.uow.timetable.set_cover(visit.id, covered)
    return rules.lesson_of(plan, timetable, scope.ctx)


def _cover_request(scope: Scope, out: Outbox, visit: Visit, plan: rules.VisitPlan, cover: frozenset[str]) -> None:
    """The visit is agreed and a visitor leaves a class of their own, cover arranged: SLT are told a cover request
    is needed."""
    if not cover:
        return
    covered = rules.covered_lessons(plan, timetable_for(scope, plan_people(plan), cover), scope.ctx)
    if covered:
        out.tell_all([s.chat_id for s in scope.staff if s.is_slt], NoticeKind.COVER,
                     words.cover_request(scope.school, visit, scope.names, covered), visit=visit,
                     useful_until=visit.start)


def _cover_released(scope: Scope, out: Outbox, agreed: Visit, why: str) -> None:
    """An agreed visit with cover arranged is cancelled or loses its time: SLT are told that cover is not needed
    (a cover request not yet delivered is superseded with the visit's other pending notices)."""
    if agreed.status is not VisitStatus.AGREED:
        return
    plan = plan_for(scope, agreed, booking=False)
    cover = scope.uow.timetable.cover(agreed.id) if timetable_for(scope, plan_people(plan)) is not None else ()
    covered = rules.covered_lessons(plan, timetable_for(scope, plan_people(plan), cover), scope.ctx) if cover else []
    if covered:
        out.tell_all([s.chat_id for s in scope.staff if s.is_slt], NoticeKind.COVER,
                     words.cover_released(scope.school, agreed, scope.names, covered, why), visit=agreed,
                     useful_until=agreed.start)


def _confirm(scope: Scope, out: Outbox, visit: Visit, news: Card) -> None:
    """An agreed visit: the others hear the news; everyone gets the visit for their own calendar."""
    ics = visit_ics(scope.school, visit, scope.names, scope.now)
    out.tell_all(visit.people, NoticeKind.AGREED, news, visit=visit, except_=scope.actor.chat_id, ics=ics,
                 useful_until=visit.start)
    if scope.actor.chat_id in visit.people:  # who agreed needs no news, but does want the calendar file
        out.tell(scope.actor.chat_id, NoticeKind.CONFIRMED, words.confirmed(scope.school, visit, scope.names),
                 visit=visit, ics=ics, useful_until=visit.start)
    replan(scope, out, visit)
