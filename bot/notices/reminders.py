"""Which notices a visit's or a walk's state implies, and when: reminders, nudges, escalations.

Pure: (the school, the visit or walk, the staff, now) -> notices. After every change a service asks
for the new state's plan and the Outbox writes it in place of the old one (bot.notices.outbox.PLANNED),
so a moved visit's reminders move with it and an answered proposal is nudged no more.

Every time is school time (bot.domain.school_time). A planned notice already due when the plan is made
is left out: the message about the change itself has just gone. One that could only arrive after
it stops being useful (a reminder after the visit began) is left out too.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cached_property
from typing import Iterable

from bot import rules
from bot.domain.calendar import SchoolCalendar
from bot.domain.model import (
    Notice,
    NoticeKind,
    Staff,
    Visit,
    VisitKind,
    VisitStatus,
    Walk,
)
from bot.domain.policy import Policy
from bot.domain.school import School
from bot.domain.school_time import next_sending_moment, school_morning
from bot.notices import words
from bot.reply.card import Card

# Walk rooms are short and many, inspections are not agreed (000 §2b): neither is chased afterwards
# to be marked held; their walkers and inspectors are not reminded visit by visit either.
NOT_CHASED = frozenset({VisitKind.LEARNING_WALK, VisitKind.INSPECTION})


def dialogue_expected(visit: Visit, policy: Policy) -> bool:
    """A feedback dialogue follows the visit, unless peer visits keep only the date. A walk's room never has one:
    "no evaluation of an individual teacher during a learning walk" (Durants §8, Trust §10), so no dialogue,
    nudge or escalation names its teacher; the walk reports as a whole (for_walk)."""
    if visit.kind is VisitKind.LEARNING_WALK:
        return False
    return visit.kind is not VisitKind.PEER or not policy.peer_visits_date_only


def follow_up_owed(visit: Visit, policy: Policy) -> bool:
    """The feedback dialogue and its agreed record are still owed, and walkbot chases them."""
    if not dialogue_expected(visit, policy) or visit.record_agreed:
        return False
    return visit.status is VisitStatus.HELD or (visit.status is VisitStatus.AGREED and visit.kind not in NOT_CHASED)


def dialogue_deadline(cal: SchoolCalendar, policy: Policy, visit: Visit) -> date:
    """The last school day for the feedback dialogue (dialogue_within_school_days after the visit)."""
    return cal.add_school_days(cal.local(visit.start).date(), policy.dialogue_within_school_days)


def dialogue_slots(visit: Visit, facts: rules.Facts, ctx: rules.Context, count: int = 3) -> list[datetime]:
    """The first few times, up to the deadline, at which the dialogue breaks no rule and clashes with no visit."""
    cal, minutes = ctx.calendar, ctx.policy.dialogue_minutes
    last = dialogue_deadline(cal, ctx.policy, visit)
    day, slots = cal.local(max(ctx.now, visit.end)).date(), []
    while day <= last and len(slots) < count:
        for start in rules.start_times(cal, minutes):
            at = cal.at(day, start)
            if len(slots) < count and not rules.check_dialogue(visit, at, minutes, facts, ctx):
                slots.append(at)
        day += timedelta(days=1)
    return slots


@dataclass
class _Plan:
    school: School
    staff: tuple[Staff, ...]
    now: datetime
    notices: list[Notice] = field(default_factory=list)

    @cached_property
    def names(self) -> dict[str, str]:
        return {s.chat_id: s.name for s in self.staff}

    def add(self, recipients: Iterable[str], kind: NoticeKind, card: Card, due_at: datetime, *,
            visit: Visit | None = None, walk: Walk | None = None, useful_until: datetime | None = None) -> None:
        due = next_sending_moment(self.school, due_at)
        if due < self.now or (useful_until is not None and due >= useful_until):
            return
        for chat_id in sorted(set(recipients)):
            self.notices.append(Notice(
                school_id=self.school.id, kind=kind, recipient=chat_id, due_at=due, card=card,
                visit_id=visit.id if visit else None, walk_id=walk.id if walk else None, useful_until=useful_until))

    def days_before(self, moment: datetime, count: int) -> datetime | None:
        """The morning `count` school days before `moment`'s day (count 0: no such reminder)."""
        if count <= 0:
            return None
        cal = self.school.calendar
        days = list(cal.school_days(cal.local(moment).date() - timedelta(days=1), count, step=-1))
        return school_morning(self.school, days[-1]) if len(days) == count else None


def asked_at(visit: Visit) -> datetime | None:
    """The time the visit's present state is about: agreed or asked for (once countered, the teacher's), or None
    once it is held or settled."""
    if visit.status is VisitStatus.COUNTERED:
        return visit.suggested_start
    return visit.start if visit.status in (VisitStatus.PROPOSED, VisitStatus.AGREED) else None


def on_the_calendar(school: School, visit: Visit) -> bool:
    """The school calendar allows the time the visit is about (school.yml loaded since may have made it a holiday)."""
    at = asked_at(visit)
    return at is None or school.calendar.within_school_day(at, at + timedelta(minutes=visit.minutes))


def for_visit(school: School, visit: Visit, staff: tuple[Staff, ...], now: datetime) -> list[Notice]:
    """The reminders and nudges the visit's present state implies. None for a time the calendar no longer allows:
    no answer is chased, nobody is reminded and no "was it held?" goes; the people were told to move it."""
    plan = _Plan(school, staff, now)
    if not on_the_calendar(school, visit):
        return []
    if visit.status is VisitStatus.PROPOSED:
        _nudge_teacher(plan, visit)
    elif visit.status is VisitStatus.COUNTERED:
        _nudge_visitors(plan, visit)
    elif visit.status is VisitStatus.AGREED:
        _reminders(plan, visit)
    if follow_up_owed(visit, school.policy):
        _after_the_visit(plan, visit)
    return plan.notices


# --- before: answers and reminders -------------------------------------------------------------------

def _answer_nudge_at(plan: _Plan) -> datetime | None:
    days = plan.school.policy.answer_nudge_after_school_days
    if days <= 0:
        return None
    cal = plan.school.calendar
    # Counted from when the question reaches them (asked on a Sunday, it arrives on Monday).
    asked = cal.local(next_sending_moment(plan.school, plan.now)).date()
    return school_morning(plan.school, cal.add_school_days(asked, days))


def _nudge_teacher(plan: _Plan, visit: Visit) -> None:
    at = _answer_nudge_at(plan)
    if at is None:
        return
    plan.add([visit.teacher], NoticeKind.NUDGE, words.nudge_teacher(plan.school, visit, plan.names), at, visit=visit,
             useful_until=visit.start)


def _nudge_visitors(plan: _Plan, visit: Visit) -> None:
    at = _answer_nudge_at(plan)
    if at is None or visit.suggested_start is None:
        return
    plan.add(visit.visitors, NoticeKind.NUDGE, words.nudge_visitors(plan.school, visit, plan.names), at, visit=visit,
             useful_until=visit.suggested_start)


def _reminders(plan: _Plan, visit: Visit) -> None:
    school, p, names = plan.school, plan.school.policy, plan.names
    if visit.kind not in NOT_CHASED:  # walkers get one reminder per walk (for_walk)
        day_before = plan.days_before(visit.start, p.observer_reminder_school_days_before)
        if day_before:
            plan.add(visit.visitors, NoticeKind.REMINDER, words.reminder(school, visit, names), day_before,
                     visit=visit, useful_until=visit.start)
        if p.observer_reminder_minutes_before > 0:
            plan.add(visit.visitors, NoticeKind.REMINDER_SOON,
                     words.reminder_soon(school, visit, names, p.observer_reminder_minutes_before),
                     visit.start - timedelta(minutes=p.observer_reminder_minutes_before), visit=visit,
                     useful_until=visit.start)
    day_before = plan.days_before(visit.start, p.teacher_reminder_school_days_before)
    if day_before:
        plan.add([visit.teacher], NoticeKind.REMINDER_TEACHER, words.reminder_teacher(school, visit, names),
                 day_before, visit=visit, useful_until=visit.start)


# --- after: the feedback dialogue and the record of dialogue ----------------------------------------

def _after_the_visit(plan: _Plan, visit: Visit) -> None:
    school = plan.school
    cal = school.calendar
    deadline = dialogue_deadline(cal, school.policy, visit)
    escalate_at = school_morning(school, cal.add_school_days(deadline, 1))
    if visit.status is VisitStatus.AGREED:
        plan.add(visit.people, NoticeKind.NUDGE_HELD, words.nudge_held(school, visit, deadline), visit.end,
                 visit=visit, useful_until=escalate_at)
    else:
        _dialogue_nudges(plan, visit, deadline)
    if visit.dialogue_at is None:
        _escalation(plan, visit, deadline, escalate_at)


def _dialogue_nudges(plan: _Plan, visit: Visit, deadline: date) -> None:
    school, p = plan.school, plan.school.policy
    cal = school.calendar
    if visit.dialogue_at is not None:
        plan.add(visit.people, NoticeKind.REMINDER_DIALOGUE, words.reminder_dialogue(school, visit, plan.names),
                 school_morning(school, cal.local(visit.dialogue_at).date()), visit=visit,
                 useful_until=visit.dialogue_at)
    every = p.dialogue_nudge_every_school_days
    if every <= 0:
        return
    # Nudges run for twice the dialogue window; past that the weekly digest keeps it in front of SLT.
    visit_day = cal.local(visit.start).date()
    horizon = cal.add_school_days(visit_day, 2 * p.dialogue_within_school_days)
    days = []
    while (day := cal.add_school_days(visit_day, (len(days) + 1) * every)) <= horizon and cal.is_school_day(day):
        days.append(day)
    mornings = [school_morning(school, d) for d in days]
    for day, at, after in zip(days, mornings, [*mornings[1:], None]):
        if visit.dialogue_at is None:
            if day > deadline:
                break  # the window is missed: escalated, no more nudging the pair
            who, card = visit.people, words.nudge_dialogue_arrange(school, visit, deadline)
        elif at < visit.dialogue_at:
            continue
        elif not visit.record:
            who, card = visit.people, words.nudge_dialogue_record(visit)
        else:
            who, card = visit.people - visit.record_agreed_by, words.nudge_record_agreement(visit)
        # After a long outage only the latest nudge matters: each is useful until the next is due.
        plan.add(who, NoticeKind.NUDGE_DIALOGUE, card, at, visit=visit, useful_until=after)


def _escalation(plan: _Plan, visit: Visit, deadline: date, at: datetime) -> None:
    slt = [s.chat_id for s in plan.staff if s.is_slt and s.active and s.chat_id not in visit.people]
    teacher = next((s for s in plan.staff if s.chat_id == visit.teacher), None)
    line_manager = [teacher.line_manager] if teacher and teacher.line_manager not in (None, *visit.people) else []
    plan.add(slt or line_manager, NoticeKind.ESCALATION, words.escalation(plan.school, visit, plan.names, deadline), at,
             visit=visit)


# --- learning walks ----------------------------------------------------------------------------------

def for_walk(school: School, walk: Walk, rooms: Iterable[Visit], staff: tuple[Staff, ...],
             now: datetime) -> list[Notice]:
    """The walkers' reminders: one the school day before and one shortly before, listing the rooms agreed; and as
    the walk ends, if any room was agreed, the prompt to record its findings (the walk's own follow-up)."""
    plan = _Plan(school, staff, now)
    if walk.cancelled or not school.calendar.within_school_day(walk.start, walk.end):  # a holiday added since
        return []
    p, names, rooms = school.policy, plan.names, list(rooms)
    day_before = plan.days_before(walk.start, p.observer_reminder_school_days_before)
    if day_before:
        plan.add(walk.walkers, NoticeKind.REMINDER, words.walk_reminder(school, walk, rooms, names), day_before,
                 walk=walk, useful_until=walk.start)
    if p.observer_reminder_minutes_before > 0:
        minutes = p.observer_reminder_minutes_before
        plan.add(walk.walkers, NoticeKind.REMINDER_SOON, words.walk_reminder_soon(school, walk, rooms, names, minutes),
                 walk.start - timedelta(minutes=minutes), walk=walk, useful_until=walk.start)
    if any(r.status in (VisitStatus.AGREED, VisitStatus.HELD) for r in rooms):
        plan.add(walk.walkers, NoticeKind.REMINDER, words.walk_findings_due(school, walk), walk.end, walk=walk)
    return plan.notices
