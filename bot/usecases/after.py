"""After the visit: held, the feedback dialogue, notes, and the record of dialogue agreed by everyone."""
from __future__ import annotations

from bot.reply.card import Say, line

from bot import rules
from bot.domain.model import BOOKED_STATUSES, Note, NoticeKind, Visit, VisitKind, VisitStatus
from bot.domain.words import when_text
from bot.errors import Refused, WrongState
from bot.notices import reminders, words
from bot.ports import Clock, UnitOfWork
from bot.rules.focus import about_people_violations
from bot.rules.walk import individual_cite
from bot.usecases import commands as c
from bot.usecases.kernel import (
    Scope,
    facts_for,
    need_state,
    open_scope,
    plan_for,
    replan,
    require,
    start_of,
    visit_for,
)
from bot.usecases.results import Outcome, VisitDone


def mark_held(cmd: c.MarkHeld, uow: UnitOfWork, clock: Clock) -> VisitDone:
    with uow:
        scope = open_scope(uow, cmd, clock)
        visit = visit_for(scope, cmd.visit_id)
        require(scope.actor.chat_id in visit.people, "Only the teacher or a visitor can say a visit took place.")
        need_state(visit, {VisitStatus.AGREED}, "marked as held")
        if visit.start > scope.now:
            raise WrongState(f"Visit #{visit.id} starts {when_text(scope.school, visit.start)}; "
                             "it can be marked held once it has begun.")
        visit = visit.but(status=VisitStatus.HELD)
        uow.visits.update(visit)
        out = scope.outbox()
        policy = scope.school.policy  # "was it held?" and the reminders are done with: replan() supersedes them
        if reminders.dialogue_expected(visit, policy) and visit.dialogue_at is None:
            plan = plan_for(scope, visit, booking=False)
            slots = reminders.dialogue_slots(visit, facts_for(scope, plan, BOOKED_STATUSES), scope.ctx)
            out.tell_all(visit.people, NoticeKind.DIALOGUE_PROMPT, words.dialogue_prompt(scope.school, visit, slots),
                         visit=visit)
        replan(scope, out, visit)
        on_a_walk = visit.kind is VisitKind.LEARNING_WALK
        what = (Outcome.WALK_ROOM_HELD if on_a_walk else  # a date-only peer visit has nothing to follow (004 §7)
                Outcome.HELD if reminders.dialogue_expected(visit, policy) else Outcome.HELD_DATE_ONLY)
        return scope.done(visit, what, out)


def _not_on_a_walk(scope: Scope, visit: Visit, what: str) -> None:
    """A walk's room has no dialogue or record of dialogue of its own: that would evaluate its teacher alone."""
    if visit.kind is VisitKind.LEARNING_WALK:
        raise Refused([rules.Violation(
            "walk.no_individual", f"Visit #{visit.id} is a room on learning walk #{visit.walk_id}, which has no {what} "
                                  "of its own: the walk reports as a whole, from the findings its walkers record.",
            individual_cite(scope.school.policy))])


def schedule_dialogue(cmd: c.ScheduleDialogue, uow: UnitOfWork, clock: Clock) -> VisitDone:
    with uow:
        scope = open_scope(uow, cmd, clock)
        visit = visit_for(scope, cmd.visit_id)
        require(scope.actor.chat_id in visit.people, "Only the teacher or a visitor can arrange the dialogue.")
        need_state(visit, {VisitStatus.AGREED, VisitStatus.HELD}, "given a feedback dialogue")
        _not_on_a_walk(scope, visit, "feedback dialogue")
        at = start_of(scope, cmd.when)
        minutes = scope.school.policy.dialogue_minutes
        plan = plan_for(scope, visit, booking=False)
        facts = facts_for(scope, plan, BOOKED_STATUSES)
        found = rules.check_dialogue(visit, at, minutes, facts, scope.ctx)
        if found:
            raise Refused(found, rules.nearest_dialogue_times(visit, at, facts, scope.ctx))
        visit = visit.but(dialogue_at=at)
        uow.visits.update(visit)
        out = scope.outbox()
        out.tell_all(visit.people, NoticeKind.DIALOGUE_SCHEDULED,
                     words.dialogue_scheduled(scope.school, visit, at, minutes), visit=visit,
                     except_=scope.actor.chat_id)
        replan(scope, out, visit)
        return scope.done(visit, Outcome.DIALOGUE_SCHEDULED, out)


def write_note(cmd: c.WriteNote, uow: UnitOfWork, clock: Clock) -> VisitDone:
    with uow:
        scope = open_scope(uow, cmd, clock)
        visit = visit_for(scope, cmd.visit_id)
        require(scope.actor.chat_id in visit.people, "Only the teacher visited and the visitors write notes.")
        need_state(visit, {VisitStatus.AGREED, VisitStatus.HELD}, "given notes")
        on_a_walk = visit.kind is VisitKind.LEARNING_WALK
        found = rules.check_note(visit, cmd.text, scope.ctx)
        if on_a_walk:
            found += about_people_violations(cmd.text, visit.kind, scope.staff + scope.leavers, scope.ctx,
                                             what="A note on a learning walk", field=rules.Subject.TEXT)
        if found:
            raise Refused(found)
        uow.visits.add_note(scope.school.id, visit.id, Note(scope.actor.chat_id, cmd.text, scope.now))
        visit = uow.visits.get(scope.school.id, visit.id)
        out = scope.outbox()
        if on_a_walk:  # a written record about their class, which its teacher may see (Durants §10, Trust §9)
            out.tell_all([visit.teacher], NoticeKind.WALK_NOTE,
                         words.walk_note(scope.school, visit, scope.actor.name, cmd.text), visit=visit,
                         except_=scope.actor.chat_id)
        return scope.done(visit, Outcome.NOTED, out)


def write_record(cmd: c.WriteRecord, uow: UnitOfWork, clock: Clock) -> VisitDone:
    """Writing (or rewriting) the record of dialogue: its author agrees it; the others must too."""
    with uow:
        scope = open_scope(uow, cmd, clock)
        visit = visit_for(scope, cmd.visit_id)
        require(scope.actor.chat_id in visit.people, "Only the teacher and the visitors write the record of dialogue.")
        need_state(visit, {VisitStatus.HELD}, "given a record of dialogue")
        _not_on_a_walk(scope, visit, "record of dialogue")
        found = rules.check_record(visit, cmd.text, scope.ctx)
        if found:
            raise Refused(found)
        visit = visit.but(record=cmd.text, record_agreed_by=frozenset({scope.actor.chat_id}))
        uow.visits.update(visit)
        out = scope.outbox()
        out.tell_all(visit.people, NoticeKind.RECORD, words.record(visit, scope.actor.name, cmd.text), visit=visit,
                     except_=scope.actor.chat_id)
        replan(scope, out, visit)
        return scope.done(visit, Outcome.RECORD_WRITTEN, out)


def agree_record(cmd: c.AgreeRecord, uow: UnitOfWork, clock: Clock) -> VisitDone:
    with uow:
        scope = open_scope(uow, cmd, clock)
        visit = visit_for(scope, cmd.visit_id)
        require(scope.actor.chat_id in visit.people, "Only the teacher and the visitors agree the record.")
        if not visit.record:
            raise WrongState(line(f"Visit #{visit.id} has no record of dialogue yet: write one with ",
                                  Say(f'visit record {visit.id} "..."'), "."))
        visit = visit.but(record_agreed_by=visit.record_agreed_by | {scope.actor.chat_id})
        uow.visits.update(visit)
        out = scope.outbox()
        if visit.record_agreed:
            out.tell_all(visit.people, NoticeKind.RECORD_AGREED, words.record_agreed(visit), visit=visit,
                         except_=scope.actor.chat_id)
        replan(scope, out, visit)
        return scope.done(visit, Outcome.RECORD_AGREED if visit.record_agreed else Outcome.RECORD_AGREED_BY_YOU, out)
