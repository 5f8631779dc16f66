"""Which notices a visit's or a walk's state implies, and when: reminders, nudges, escalations.

Pure: (the school, the visit or walk, the staff, now) -> notices. After every change a service asks
for the new state's plan and the Outbox writes it in place of the old one (bot.notices.PLANNED),
so a moved visit's reminders move with it and an answered proposal is nudged no more.

Every time is school time (bot.school_time). A planned notice already due when the plan is made
is left out: the message about the change itself has just gone. One that could only arrive after
it stops being useful (a reminder after the visit began) is left out too.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cached_property
from typing import Iterable

from bot import rules
from bot.calendar import SchoolCalendar
from bot.model import OPEN_STATUSES, Notice, Staff, Visit, VisitKind, VisitStatus, Walk
from bot.notices import conduct_lines, visit_line, when_text
from bot.policy import Policy
from bot.school import School
from bot.school_time import next_sending_moment, school_morning

# Walk rooms are short and many, inspections are not agreed (000 §2b): neither is chased afterwards
# to be marked held; their walkers and inspectors are not reminded visit by visit either.
NOT_CHASED = frozenset({VisitKind.LEARNING_WALK, VisitKind.INSPECTION})


def dialogue_expected(visit: Visit, policy: Policy) -> bool:
    """A feedback dialogue follows the visit, unless peer visits keep only the date."""
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

    def add(self, recipients: Iterable[str], kind: str, text: str, due_at: datetime, *, visit: Visit | None = None,
            walk: Walk | None = None, useful_until: datetime | None = None) -> None:
        due = next_sending_moment(self.school, due_at)
        if due < self.now or (useful_until is not None and due >= useful_until):
            return
        for chat_id in sorted(set(recipients)):
            self.notices.append(Notice(
                school_id=self.school.id, kind=kind, recipient=chat_id, due_at=due, text=text,
                visit_id=visit.id if visit else None, walk_id=walk.id if walk else None, useful_until=useful_until))

    def days_before(self, moment: datetime, count: int) -> datetime | None:
        """The morning `count` school days before `moment`'s day (count 0: no such reminder)."""
        if count <= 0:
            return None
        cal = self.school.calendar
        days = list(cal.school_days(cal.local(moment).date() - timedelta(days=1), count, step=-1))
        return school_morning(self.school, days[-1]) if len(days) == count else None


def for_visit(school: School, visit: Visit, staff: tuple[Staff, ...], now: datetime) -> list[Notice]:
    """The reminders and nudges the visit's present state implies."""
    plan = _Plan(school, staff, now)
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
    v, names = visit.id, plan.names
    plan.add([visit.teacher], "nudge",
             f"A gentle reminder: {names.get(visit.proposer, visit.proposer)} is waiting for your answer about "
             f"{visit_line(plan.school, visit, names)}. Answer with /visit agree {v}, /visit suggest {v} DATE TIME, "
             f"or /visit decline {v} \"reason\".", at, visit=visit, useful_until=visit.start)


def _nudge_visitors(plan: _Plan, visit: Visit) -> None:
    at = _answer_nudge_at(plan)
    if at is None or visit.suggested_start is None:
        return
    v, teacher = visit.id, plan.names.get(visit.teacher, visit.teacher)
    plan.add(visit.visitors, "nudge",
             f"A gentle reminder: {teacher} suggested {when_text(plan.school, visit.suggested_start, visit.minutes)} "
             f"for visit #{v} and is waiting for your answer: /visit accept {v}, or /visit withdraw {v}.",
             at, visit=visit, useful_until=visit.suggested_start)


def _details(plan: _Plan, visit: Visit, *, for_observers: bool) -> str:
    school, teacher = plan.school, plan.names.get(visit.teacher, visit.teacher)
    lines = [f"Focus: {visit.focus or 'to be agreed'}", f"Feedback: {visit.feedback or 'to be agreed'}"]
    if visit.pro_forma:
        share = f" (share it with {teacher} before the visit)" if for_observers and school.policy.pro_forma_shared_before else ""
        lines.append(f"Pro forma: {visit.pro_forma}{share}")
    if for_observers and school.policy.conduct:
        lines.append(f"How visits are conducted here:\n{conduct_lines(school)}")
    return "\n".join(lines)


def _reminders(plan: _Plan, visit: Visit) -> None:
    school, p, names = plan.school, plan.school.policy, plan.names
    teacher = names.get(visit.teacher, visit.teacher)
    when = when_text(school, visit.start, visit.minutes)
    what = f"{rules.kind_words(visit.kind)} #{visit.id}"
    if visit.kind not in NOT_CHASED:  # walkers get one reminder per walk (for_walk)
        observers = _details(plan, visit, for_observers=True)
        day_before = plan.days_before(visit.start, p.observer_reminder_school_days_before)
        if day_before:
            plan.add(visit.visitors, "reminder", f"Reminder: you visit {teacher}'s class {when} ({what}).\n{observers}",
                     day_before, visit=visit, useful_until=visit.start)
        if p.observer_reminder_minutes_before > 0:
            plan.add(visit.visitors, "reminder.soon",
                     f"In {p.observer_reminder_minutes_before} minutes: your visit to {teacher}'s class ({what}).\n{observers}",
                     visit.start - timedelta(minutes=p.observer_reminder_minutes_before), visit=visit,
                     useful_until=visit.start)
    day_before = plan.days_before(visit.start, p.teacher_reminder_school_days_before)
    if day_before:
        visitors = ", ".join(names.get(v, v) for v in visit.visitors)
        plan.add([visit.teacher], "reminder.teacher",
                 f"Reminder: {visitors} will visit your class {when} ({what}).\n{_details(plan, visit, for_observers=False)}",
                 day_before, visit=visit, useful_until=visit.start)


# --- after: the feedback dialogue and the record of dialogue ----------------------------------------

def _after_the_visit(plan: _Plan, visit: Visit) -> None:
    school = plan.school
    cal = school.calendar
    deadline = dialogue_deadline(cal, school.policy, visit)
    escalate_at = school_morning(school, cal.add_school_days(deadline, 1))
    if visit.status is VisitStatus.AGREED:
        v = visit.id
        plan.add(visit.people, "nudge.held",
                 f"Visit #{v} ({rules.kind_words(visit.kind)}, {cal.local(visit.start):%a %-d %b %H:%M}) was due to "
                 f"end at {cal.local(visit.end):%H:%M}. If it took place, say /visit held {v}, and hold the feedback "
                 f"dialogue by {deadline:%a %-d %b}: /visit dialogue {v} DATE TIME. If it did not, "
                 f"/visit cancel {v} \"reason\".", visit.end, visit=visit, useful_until=escalate_at)
    else:
        _dialogue_nudges(plan, visit, deadline)
    if visit.dialogue_at is None:
        _escalation(plan, visit, deadline, escalate_at)


def _dialogue_nudges(plan: _Plan, visit: Visit, deadline: date) -> None:
    school, p, v = plan.school, plan.school.policy, visit.id
    cal = school.calendar
    if visit.dialogue_at is not None:
        who = " and ".join(plan.names.get(x, x) for x in sorted(visit.people))
        plan.add(visit.people, "reminder.dialogue",
                 f"Today: the feedback dialogue for visit #{v} at {cal.local(visit.dialogue_at):%H:%M} "
                 f"({p.dialogue_minutes} minutes), for {who}.",
                 school_morning(school, cal.local(visit.dialogue_at).date()), visit=visit, useful_until=visit.dialogue_at)
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
            who, text = visit.people, (
                f"Visit #{v} still needs its feedback dialogue (about {p.dialogue_minutes} minutes), by "
                f"{deadline:%a %-d %b}: arrange it with /visit dialogue {v} DATE TIME.")
        elif at < visit.dialogue_at:
            continue
        elif not visit.record:
            who, text = visit.people, (
                f"The feedback dialogue for visit #{v} is done: write the record of dialogue with "
                f"/visit record {v} \"...\", for everyone to agree.")
        else:
            who, text = visit.people - visit.record_agreed_by, (
                f"The record of dialogue for visit #{v} is waiting for your agreement: /visit record {v} agree, "
                f"or write your version with /visit record {v} \"...\".")
        # After a long outage only the latest nudge matters: each is useful until the next is due.
        plan.add(who, "nudge.dialogue", text, at, visit=visit, useful_until=after)


def _escalation(plan: _Plan, visit: Visit, deadline: date, at: datetime) -> None:
    school, names = plan.school, plan.names
    slt = [s.chat_id for s in plan.staff if s.is_slt and s.active and s.chat_id not in visit.people]
    teacher = next((s for s in plan.staff if s.chat_id == visit.teacher), None)
    line_manager = [teacher.line_manager] if teacher and teacher.line_manager not in (None, *visit.people) else []
    plan.add(slt or line_manager, "escalation",
             f"No feedback dialogue was arranged within {school.policy.dialogue_within_school_days} school days "
             f"(by {deadline:%a %-d %b}) for {visit_line(school, visit, names)}. Please follow it up with "
             f"{', '.join(names.get(x, x) for x in sorted(visit.people))}. "
             f"({school.policy.cite('dialogue_within_school_days')})", at, visit=visit)


# --- learning walks ----------------------------------------------------------------------------------

def for_walk(school: School, walk: Walk, rooms: Iterable[Visit], staff: tuple[Staff, ...],
             now: datetime) -> list[Notice]:
    """The walkers' reminders: one the school day before and one shortly before, listing the rooms agreed."""
    plan = _Plan(school, staff, now)
    if walk.cancelled:
        return []
    p, cal, names = school.policy, school.calendar, plan.names
    rooms = sorted(rooms, key=lambda r: r.start)
    agreed = [f"{names.get(r.teacher, r.teacher)} {cal.local(r.start):%H:%M}" for r in rooms
              if r.status is VisitStatus.AGREED]
    waiting = [names.get(r.teacher, r.teacher) for r in rooms if r.status in OPEN_STATUSES]
    text = (f"learning walk #{walk.id} on {cal.local(walk.start):%a %-d %b}, {cal.local(walk.start):%H:%M}–"
            f"{cal.local(walk.end):%H:%M}. Focus: {walk.focus}\nRooms agreed: {', '.join(agreed) or 'none yet'}")
    if waiting:
        text += f"\nNot agreed (do not visit): {', '.join(waiting)}"
    if p.conduct:
        text += f"\nHow walks are conducted here:\n{conduct_lines(school)}"
    day_before = plan.days_before(walk.start, p.observer_reminder_school_days_before)
    if day_before:
        plan.add(walk.walkers, "reminder", f"Reminder: {text}", day_before, walk=walk, useful_until=walk.start)
    if p.observer_reminder_minutes_before > 0:
        plan.add(walk.walkers, "reminder.soon", f"In {p.observer_reminder_minutes_before} minutes: {text}",
                 walk.start - timedelta(minutes=p.observer_reminder_minutes_before), walk=walk, useful_until=walk.start)
    return plan.notices
