"""The visit life as plain functions: each takes a command, a unit of work and a clock.

Every surface (console, Slack, Teams) calls these, so the agreement is enforced once.
Who may do what is checked here; what the agreement allows is checked by bot.rules.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence
from datetime import datetime, time, timedelta
from functools import cached_property

from bot import commands as c
from bot import reminders, rules
from bot.errors import InputError, NotAllowed, NotFound, Refused, WrongState
from bot.ics import visit_ics
from bot.model import (BOOKED_STATUSES, BUSY_STATUSES, OPEN_STATUSES, Concern, Note, Objection, Role, Staff,
                       Visit, VisitKind, VisitStatus, Walk)
from bot.notices import Outbox, visit_line, when_text
from bot.ports import Clock, UnitOfWork
from bot.results import Allowance, Said, VisitDetail, VisitDone, VisitList
from bot.calendar import Session
from bot.school import School


@dataclass
class Scope:
    """One request's setting: the school, who is asking, its staff, and now."""

    uow: UnitOfWork
    school: School
    actor: Staff
    staff: tuple[Staff, ...]  # active: who may act, and be named in a command
    now: datetime
    leavers: tuple[Staff, ...] = ()  # taken off the list: still named in the visits they were part of

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

    def done(self, visit: Visit, what: str, outbox: Outbox | None = None, warnings=()) -> VisitDone:
        self.commit(outbox)
        return VisitDone(self.school, visit, self.names, what, tuple(warnings))


def open_scope(uow: UnitOfWork, cmd: c.Command, clock: Clock) -> Scope:
    """Call inside `with uow:`. Refuses people who are not on the school's staff list."""
    school = uow.schools.get(cmd.school_id)
    if school is None:
        raise NotFound("This workspace is not linked to a school yet: ask your IT lead to load school.yml.")
    everyone = uow.staff.all(school.id, with_leavers=True)  # one query serves the names and the check
    staff = tuple(s for s in everyone if s.active)
    actor = next((s for s in staff if s.chat_id == cmd.actor), None)
    if actor is None:
        slt = [s.name for s in staff if s.is_slt]
        raise NotAllowed(f"You're not on {school.name}'s staff list in walkbot, so I can't act for you. "
                         f"Ask {' or '.join(slt[:2]) or 'SLT'} to add you.")
    return Scope(uow, school, actor, staff, clock.now(), tuple(s for s in everyone if not s.active))


def _visit(scope: Scope, visit_id: int, *, lock: bool = True) -> Visit:
    """The visit, held until commit unless only read: two answers to one visit run one after the other."""
    visit = scope.uow.visits.get(scope.school.id, visit_id, lock=lock)
    if visit is None or not _may_see(scope.actor, visit):
        raise NotFound(f"There is no visit #{visit_id} that you can see. Say /visit list for yours.")
    return visit


def _may_see(person: Staff, visit: Visit) -> bool:
    return person.chat_id in visit.people or person.is_slt


def _facts(scope: Scope, plan: rules.VisitPlan, statuses=BUSY_STATUSES) -> rules.Facts:
    """What the rules need for this plan: the teacher's booked visits in the sessions around it,
    everyone's commitments near it, and the teacher's objections. Index-backed, never all history."""
    cal, uow, sid = scope.school.calendar, scope.uow, scope.school.id
    first, last = rules.search_window(plan.start, cal)
    first, last = min(first, plan.start), max(last, plan.end)
    sessions = [s for s in cal.sessions if s.start <= cal.local(last).date() and cal.local(first).date() <= s.end]
    span_start = cal.at(min((s.start for s in sessions), default=cal.local(first).date()), cal.day_start) - timedelta(days=1)
    span_end = cal.at(max((s.end for s in sessions), default=cal.local(last).date()), cal.day_end) + timedelta(days=1)
    people = {plan.teacher.chat_id, *(v.chat_id for v in plan.visitors)}
    return rules.Facts(
        teacher_booked=tuple(uow.visits.for_teacher(sid, plan.teacher.chat_id, span_start, span_end, BOOKED_STATUSES)),
        busy=tuple(uow.visits.involving(sid, people, first, last, statuses)),
        objections=tuple(uow.objections.for_teacher(sid, plan.teacher.chat_id)),
        staff=scope.staff,
    )


def _member(scope: Scope, chat_id: str) -> Staff:
    """Someone in a visit: from the staff list or, if SLT have taken them off it since, as they were."""
    found = next((s for s in scope.staff if s.chat_id == chat_id), None)
    found = found or scope.uow.staff.get(scope.school.id, chat_id)
    return found or Staff(None, scope.school.id, chat_id, chat_id, frozenset(), active=False)


def _plan(scope: Scope, visit: Visit, start: datetime | None = None, minutes: int | None = None, *,
          booking: bool = True) -> rules.VisitPlan:
    """The visit as the rules see it. booking: it is being agreed or given a time, which needs everyone
    in it still on the staff list; it can still be declined, withdrawn or cancelled."""
    teacher, visitors = _member(scope, visit.teacher), tuple(_member(scope, v) for v in visit.visitors)
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


def enforce_rules(scope: Scope, plan: rules.VisitPlan, *, booking: bool) -> list[rules.Violation]:
    """Refuse with every broken rule and the nearest allowed times; return the warnings.

    booking=True is the moment a visit becomes agreed: the teacher is consenting, so notice is
    theirs to waive, and only booked visits (not other pending proposals) can clash.
    """
    scope.uow.staff.lock(scope.school.id, plan.teacher.chat_id)  # caps hold when two people book at once
    facts = _facts(scope, plan, BOOKED_STATUSES if booking else BUSY_STATUSES)
    found = rules.check_visit(plan, facts, scope.ctx, check_notice=not booking)
    refusals = [v for v in found if not v.warning]
    if refusals:
        raise Refused(refusals, rules.nearest_slots(plan, facts, scope.ctx, check_notice=not booking))
    return [v for v in found if v.warning]


def _start(scope: Scope, when: c.When) -> datetime:
    return scope.school.calendar.at(when.day, when.time)


def require(condition: bool, message: str) -> None:
    if not condition:
        raise NotAllowed(message)


def require_class(scope: Scope, person: Staff) -> None:
    """Only someone with the teacher role has a class to visit."""
    require(person.has(Role.TEACHER), f"{person.name} ({', '.join(sorted(person.roles))}) is not a class teacher "
                                      f"on {scope.school.name}'s staff list, so there is no class of theirs to visit.")


def _state(visit: Visit, allowed: set[VisitStatus], doing: str) -> None:
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


def _confirm(scope: Scope, out: Outbox, visit: Visit, news: str) -> None:
    """An agreed visit: the others hear the news; everyone gets the visit for their own calendar."""
    ics = visit_ics(scope.school, visit, scope.names, scope.now)
    out.tell_all(visit.people, "agreed", news, visit=visit, except_=scope.actor.chat_id, ics=ics,
                 useful_until=visit.start)
    if scope.actor.chat_id in visit.people:  # who agreed needs no news, but does want the calendar file
        out.tell(scope.actor.chat_id, "confirmed", f"Confirmed: {visit_line(scope.school, visit, scope.names)}. "
                 "The calendar file adds it to your calendar.", visit=visit, ics=ics, useful_until=visit.start)
    replan(scope, out, visit)


# --- proposing and answering ------------------------------------------------------------------------

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
            raise InputError("Learning-walk visits are booked with /walk plan, so the whole staff is told.",
                             usage="/walk help")
        minutes = cmd.minutes or policy.default_visit_minutes
        plan = rules.VisitPlan(teacher, tuple(visitors), cmd.kind, _start(scope, cmd.when), minutes,
                               cmd.focus, cmd.feedback)
        warnings = enforce_rules(scope, plan, booking=cmd.kind is VisitKind.INSPECTION)
        # Inspections cannot be agreed in advance (000 §2b): recorded as they are, and they still count.
        status = VisitStatus.AGREED if cmd.kind is VisitKind.INSPECTION else VisitStatus.PROPOSED
        visit = uow.visits.add(Visit(
            id=None, school_id=scope.school.id, teacher=teacher.chat_id, visitors=tuple(v.chat_id for v in visitors),
            proposer=scope.actor.chat_id, kind=cmd.kind, start=plan.start, minutes=minutes, status=status,
            focus=cmd.focus, feedback=cmd.feedback, pro_forma=cmd.pro_forma, created_at=scope.now,
        ))
        out = scope.outbox()
        if status is VisitStatus.PROPOSED:
            out.tell(teacher.chat_id, "proposal",
                     f"{scope.actor.name} would like to visit: {visit_line(scope.school, visit, scope.names)}. "
                     f"Feedback: {visit.feedback or 'to be agreed'}. Answer with /visit agree {visit.id}, "
                     f"/visit suggest {visit.id} DATE TIME, or /visit decline {visit.id} \"reason\".", visit=visit,
                     useful_until=visit.start)
        else:
            out.tell(teacher.chat_id, "inspection",
                     f"An inspection visit has been recorded: {visit_line(scope.school, visit, scope.names)}.",
                     visit=visit, ics=visit_ics(scope.school, visit, scope.names, scope.now))
        replan(scope, out, visit)
        return scope.done(visit, "recorded" if status is VisitStatus.AGREED else "proposed", out, warnings)


def agree_visit(cmd: c.AgreeVisit, uow: UnitOfWork, clock: Clock) -> VisitDone:
    with uow:
        scope = open_scope(uow, cmd, clock)
        visit = _visit(scope, cmd.visit_id)
        if visit.status is VisitStatus.COUNTERED and scope.actor.chat_id in visit.visitors:
            _still_asked(scope, visit, visit.suggested_start, cmd.asked_start)
            return _accept(scope, visit)
        require(scope.actor.chat_id == visit.teacher, "Only the class teacher can agree a visit to their class.")
        _state(visit, {VisitStatus.PROPOSED}, "agreed")
        _still_asked(scope, visit, visit.start, cmd.asked_start)
        warnings = enforce_rules(scope, _plan(scope, visit), booking=True)
        visit = visit.but(status=VisitStatus.AGREED)
        uow.visits.update(visit)
        out = scope.outbox()
        out.supersede(visit=visit)  # the proposal is answered: no nudge, and no proposal still to deliver
        _confirm(scope, out, visit, f"{scope.actor.name} agreed: {visit_line(scope.school, visit, scope.names)}.")
        return scope.done(visit, "agreed", out, warnings)


def suggest_time(cmd: c.SuggestTime, uow: UnitOfWork, clock: Clock) -> VisitDone:
    with uow:
        scope = open_scope(uow, cmd, clock)
        return _suggest(scope, _visit(scope, cmd.visit_id), _start(scope, cmd.when))


def _suggest(scope: Scope, visit: Visit, start: datetime) -> VisitDone:
    """The class teacher offers another time; the visitor must accept it."""
    uow = scope.uow
    require(scope.actor.chat_id == visit.teacher, "Only the class teacher can suggest another time.")
    _state(visit, {VisitStatus.PROPOSED, VisitStatus.AGREED}, "given another time")
    warnings = enforce_rules(scope, _plan(scope, visit, start), booking=True)
    visit = visit.but(status=VisitStatus.COUNTERED, suggested_start=start)
    uow.visits.update(visit)
    out = scope.outbox()
    out.supersede(visit=visit)
    out.tell_all(visit.visitors, "suggestion",
                 f"{scope.actor.name} suggests {when_text(scope.school, start, visit.minutes)} instead for visit "
                 f"#{visit.id}. Say /visit accept {visit.id}, or /visit withdraw {visit.id}.", visit=visit,
                 useful_until=start)
    replan(scope, out, visit)
    return scope.done(visit, "countered", out, warnings)


def accept_suggestion(cmd: c.AcceptSuggestion, uow: UnitOfWork, clock: Clock) -> VisitDone:
    with uow:
        scope = open_scope(uow, cmd, clock)
        visit = _visit(scope, cmd.visit_id)
        require(scope.actor.chat_id in visit.visitors, "Only a visitor can accept the time the teacher suggested.")
        _state(visit, {VisitStatus.COUNTERED}, "accepted")
        _still_asked(scope, visit, visit.suggested_start, cmd.asked_start)
        return _accept(scope, visit)


def _still_asked(scope: Scope, visit: Visit, now_asked: datetime | None, asked: datetime | None) -> None:
    """An answer given on an older message must be about the time the visit is still asking about."""
    if asked is not None and now_asked != asked:
        raise WrongState(f"Visit #{visit.id} has changed since that message: it now asks about "
                         f"{when_text(scope.school, now_asked)}. Say /visit show {visit.id} to see it.")


def _accept(scope: Scope, visit: Visit) -> VisitDone:
    warnings = enforce_rules(scope, _plan(scope, visit, visit.suggested_start), booking=True)
    visit = visit.but(status=VisitStatus.AGREED, start=visit.suggested_start, suggested_start=None)
    scope.uow.visits.update(visit)
    out = scope.outbox()
    out.supersede(visit=visit)
    _confirm(scope, out, visit,
             f"{scope.actor.name} accepted the new time: {visit_line(scope.school, visit, scope.names)}.")
    return scope.done(visit, "agreed", out, warnings)


def decline_visit(cmd: c.DeclineVisit, uow: UnitOfWork, clock: Clock) -> VisitDone:
    with uow:
        scope = open_scope(uow, cmd, clock)
        visit = _visit(scope, cmd.visit_id)
        require(scope.actor.chat_id == visit.teacher, "Only the class teacher can decline a visit to their class.")
        _state(visit, OPEN_STATUSES, "declined")
        visit = visit.but(status=VisitStatus.DECLINED, reason=cmd.reason)
        uow.visits.update(visit)
        out = scope.outbox()
        out.supersede(visit=visit)
        out.tell_all(visit.visitors, "declined",
                     f"{scope.actor.name} declined visit #{visit.id}: “{cmd.reason}”.", visit=visit)
        return scope.done(visit, "declined", out)


def withdraw_visit(cmd: c.WithdrawVisit, uow: UnitOfWork, clock: Clock) -> VisitDone:
    with uow:
        scope = open_scope(uow, cmd, clock)
        visit = _visit(scope, cmd.visit_id)
        require(scope.actor.chat_id in visit.visitors, "Only a visitor can withdraw a proposal.")
        _state(visit, OPEN_STATUSES, "withdrawn")
        visit = visit.but(status=VisitStatus.WITHDRAWN)
        uow.visits.update(visit)
        out = scope.outbox()
        out.supersede(visit=visit)
        out.tell(visit.teacher, "withdrawn", f"{scope.actor.name} withdrew the proposed visit #{visit.id}.", visit=visit)
        return scope.done(visit, "withdrawn", out)


def cancel_visit(cmd: c.CancelVisit, uow: UnitOfWork, clock: Clock) -> VisitDone:
    with uow:
        scope = open_scope(uow, cmd, clock)
        visit = _visit(scope, cmd.visit_id)
        require(scope.actor.chat_id in visit.people or scope.actor.is_slt,
                 "Only the teacher, the visitors or SLT can cancel a visit.")
        _state(visit, {VisitStatus.AGREED}, "cancelled")
        visit = visit.but(status=VisitStatus.CANCELLED, reason=cmd.reason)
        uow.visits.update(visit)
        out = scope.outbox()
        out.supersede(visit=visit)
        out.tell_all(visit.people, "cancelled",
                     f"{scope.actor.name} cancelled visit #{visit.id} "
                     f"({when_text(scope.school, visit.start)}): “{cmd.reason}”.",
                     visit=visit, except_=scope.actor.chat_id,
                     ics=visit_ics(scope.school, visit, scope.names, scope.now, cancelled=True))
        return scope.done(visit, "cancelled", out)


def move_visit(cmd: c.MoveVisit, uow: UnitOfWork, clock: Clock) -> VisitDone:
    """A new time needs fresh agreement: a visitor's move goes back to the teacher, a teacher's to the visitor."""
    with uow:
        scope = open_scope(uow, cmd, clock)
        visit = _visit(scope, cmd.visit_id)
        if scope.actor.chat_id == visit.teacher:
            return _suggest(scope, visit, _start(scope, cmd.when))
        require(scope.actor.chat_id in visit.visitors, "Only the teacher or a visitor can move a visit.")
        _state(visit, {VisitStatus.PROPOSED, VisitStatus.COUNTERED, VisitStatus.AGREED}, "moved")
        start = _start(scope, cmd.when)
        minutes = cmd.minutes or visit.minutes
        warnings = enforce_rules(scope, _plan(scope, visit, start, minutes), booking=False)
        visit = visit.but(status=VisitStatus.PROPOSED, start=start, minutes=minutes, suggested_start=None)
        uow.visits.update(visit)
        out = scope.outbox()
        out.supersede(visit=visit)
        out.tell(visit.teacher, "proposal",
                 f"{scope.actor.name} would like to move visit #{visit.id} to "
                 f"{when_text(scope.school, start, minutes)}. It needs your agreement again: "
                 f"/visit agree {visit.id}, /visit suggest {visit.id} DATE TIME or /visit decline {visit.id} \"reason\".",
                 visit=visit, useful_until=start)
        replan(scope, out, visit)
        return scope.done(visit, "moved", out, warnings)


# --- after the visit ---------------------------------------------------------------------------------

def mark_held(cmd: c.MarkHeld, uow: UnitOfWork, clock: Clock) -> VisitDone:
    with uow:
        scope = open_scope(uow, cmd, clock)
        visit = _visit(scope, cmd.visit_id)
        require(scope.actor.chat_id in visit.people, "Only the teacher or a visitor can say a visit took place.")
        _state(visit, {VisitStatus.AGREED}, "marked as held")
        if visit.start > scope.now:
            raise WrongState(f"Visit #{visit.id} starts {when_text(scope.school, visit.start)}; "
                             "it can be marked held once it has begun.")
        visit = visit.but(status=VisitStatus.HELD)
        uow.visits.update(visit)
        out = scope.outbox()
        out.supersede(visit=visit)  # "was it held?" and the reminders are done with
        policy = scope.school.policy
        if reminders.dialogue_expected(visit, policy):
            plan = _plan(scope, visit, booking=False)
            slots = reminders.dialogue_slots(visit, _facts(scope, plan, BOOKED_STATUSES), scope.ctx)
            times = ", ".join(f"{scope.school.calendar.local(at):%a %-d %b %H:%M}" for at in slots)
            offer = f" Times with no visit booked for any of you: {times}." if slots else ""
            out.tell_all(visit.people, "dialogue.prompt",
                         f"Visit #{visit.id} took place. Please hold the feedback dialogue (about "
                         f"{policy.dialogue_minutes} minutes) within {policy.dialogue_within_school_days} school days: "
                         f"/visit dialogue {visit.id} DATE TIME.{offer}", visit=visit)
        replan(scope, out, visit)
        return scope.done(visit, "held", out)


def schedule_dialogue(cmd: c.ScheduleDialogue, uow: UnitOfWork, clock: Clock) -> VisitDone:
    with uow:
        scope = open_scope(uow, cmd, clock)
        visit = _visit(scope, cmd.visit_id)
        require(scope.actor.chat_id in visit.people, "Only the teacher or a visitor can arrange the dialogue.")
        _state(visit, {VisitStatus.AGREED, VisitStatus.HELD}, "given a feedback dialogue")
        at = _start(scope, cmd.when)
        minutes = scope.school.policy.dialogue_minutes
        plan = _plan(scope, visit, booking=False)
        facts = _facts(scope, plan, BOOKED_STATUSES)
        found = rules.check_dialogue(visit, at, minutes, facts, scope.ctx)
        if found:
            raise Refused(found)
        visit = visit.but(dialogue_at=at)
        uow.visits.update(visit)
        out = scope.outbox()
        out.tell_all(visit.people, "dialogue.scheduled",
                     f"Feedback dialogue for visit #{visit.id}: {when_text(scope.school, at, minutes)}.",
                     visit=visit, except_=scope.actor.chat_id)
        replan(scope, out, visit)
        return scope.done(visit, "dialogue scheduled", out)


def write_note(cmd: c.WriteNote, uow: UnitOfWork, clock: Clock) -> VisitDone:
    with uow:
        scope = open_scope(uow, cmd, clock)
        visit = _visit(scope, cmd.visit_id)
        require(scope.actor.chat_id in visit.people, "Only the teacher visited and the visitors write notes.")
        _state(visit, {VisitStatus.AGREED, VisitStatus.HELD}, "given notes")
        found = rules.check_note(visit, cmd.text, scope.ctx)
        if found:
            raise Refused(found)
        uow.visits.add_note(scope.school.id, visit.id, Note(scope.actor.chat_id, cmd.text, scope.now))
        visit = uow.visits.get(scope.school.id, visit.id)
        return scope.done(visit, "noted")


def write_record(cmd: c.WriteRecord, uow: UnitOfWork, clock: Clock) -> VisitDone:
    """Writing (or rewriting) the record of dialogue: its author agrees it; the others must too."""
    with uow:
        scope = open_scope(uow, cmd, clock)
        visit = _visit(scope, cmd.visit_id)
        require(scope.actor.chat_id in visit.people, "Only the teacher and the visitors write the record of dialogue.")
        _state(visit, {VisitStatus.HELD}, "given a record of dialogue")
        found = [v for v in rules.check_note(visit, cmd.text, scope.ctx) if v.code != "records.peer"]
        if found:
            raise Refused(found)
        visit = visit.but(record=cmd.text, record_agreed_by=frozenset({scope.actor.chat_id}))
        uow.visits.update(visit)
        out = scope.outbox()
        out.tell_all(visit.people, "record", f"{scope.actor.name} wrote the record of dialogue for visit #{visit.id}: "
                     f"“{cmd.text}”\nIf it is right, say /visit record {visit.id} agree; if not, write your "
                     f"version with /visit record {visit.id} \"...\".", visit=visit, except_=scope.actor.chat_id)
        replan(scope, out, visit)
        return scope.done(visit, "record written", out)


def agree_record(cmd: c.AgreeRecord, uow: UnitOfWork, clock: Clock) -> VisitDone:
    with uow:
        scope = open_scope(uow, cmd, clock)
        visit = _visit(scope, cmd.visit_id)
        require(scope.actor.chat_id in visit.people, "Only the teacher and the visitors agree the record.")
        if not visit.record:
            raise WrongState(f"Visit #{visit.id} has no record of dialogue yet: write one with "
                             f"/visit record {visit.id} \"...\".")
        visit = visit.but(record_agreed_by=visit.record_agreed_by | {scope.actor.chat_id})
        uow.visits.update(visit)
        out = scope.outbox()
        if visit.record_agreed:
            out.tell_all(visit.people, "record.agreed", f"The record of dialogue for visit #{visit.id} is agreed and kept.",
                         visit=visit, except_=scope.actor.chat_id)
        replan(scope, out, visit)
        return scope.done(visit, "record agreed" if visit.record_agreed else "record agreed by you", out)


# --- objections, concerns, and looking things up -------------------------------------------------

def _line_manager_or_slt(scope: Scope, person: Staff) -> list[str]:
    if person.line_manager and person.line_manager in scope.names:
        return [person.line_manager]
    return [s.chat_id for s in scope.staff if s.is_slt and s.active and s.chat_id != person.chat_id]


def object_to_observer(cmd: c.ObjectToObserver, uow: UnitOfWork, clock: Clock) -> Said:
    with uow:
        scope = open_scope(uow, cmd, clock)
        visit = _visit(scope, cmd.visit_id)
        require(scope.actor.chat_id == visit.teacher, "Only the teacher visited can object to an observer.")
        if cmd.observer:
            observer = scope.person(cmd.observer)
            if observer.chat_id not in visit.visitors:
                raise InputError(f"{observer.name} is not a visitor on visit #{visit.id}.")
        elif len(visit.visitors) == 1:
            observer = _member(scope, visit.visitors[0])  # perhaps taken off the staff list since
        else:
            raise InputError(f"Visit #{visit.id} has several visitors: say which, like /visit object {visit.id} "
                             f"@name \"reason\".")
        uow.objections.add(Objection(None, scope.school.id, visit.teacher, observer.chat_id, cmd.reason, scope.now,
                                     visit.id))
        out = scope.outbox()
        for chat_id in _line_manager_or_slt(scope, scope.actor):
            out.tell(chat_id, "objection", f"{scope.actor.name} objects to {observer.name} observing their class "
                     f"(visit #{visit.id}): “{cmd.reason}”. Please resolve it at school level.", visit=visit)
        scope.commit(out)
        return Said(f"Recorded: you object to {observer.name} observing your class. walkbot will not book "
                    f"{observer.name} into your lessons, and your line manager has been told so it can be resolved.")


def raise_concern(cmd: c.RaiseConcern, uow: UnitOfWork, clock: Clock) -> Said:
    with uow:
        scope = open_scope(uow, cmd, clock)
        routed = _line_manager_or_slt(scope, scope.actor)
        uow.concerns.add(Concern(None, scope.school.id, scope.actor.chat_id, routed[0] if routed else None,
                                 cmd.text, scope.now))
        out = scope.outbox()
        for chat_id in routed:
            out.tell(chat_id, "concern", f"{scope.actor.name} has raised a concern about classroom visits: “{cmd.text}”")
        scope.commit(out)
        to = ", ".join(scope.names[r] for r in routed) or "SLT"
        return Said(f"Your concern has been passed to {to}. Only they can see it.")


def show_visit(cmd: c.ShowVisit, uow: UnitOfWork, clock: Clock) -> VisitDetail:
    with uow:
        scope = open_scope(uow, cmd, clock)
        visit = _visit(scope, cmd.visit_id, lock=False)
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
