"""The school's roster: school.yml loaded (again), and the staff list from chat.

SLT add and remove people in chat; school.yml stays the main source of the list. People SLT add here are
kept when school.yml is loaded again; people school.yml lists come back with the next load even if they were
taken off here, so the file must change too (the reply says so).

Loading school.yml again may change the calendar under what is booked (a holiday or a closure day added, a term
moved). The load finds every visit, feedback dialogue and learning walk ahead whose time the old calendar
allowed and the new one does not, and in the same transaction tells the people in it what to do:
- a visit (proposed, agreed, or with a time suggested) is not cancelled: the people choose a new time
  (`visit move`, with the nearest allowed times). An agreed one goes back to proposed, so nothing stays agreed
  for a time the calendar does not allow and its allowance is free again; the move is agreed as any move is;
- a dialogue is no longer arranged: the nudges to arrange it (and the escalation after) run as for any visit;
- a walk is SLT's to call off and plan again; its walkers and room teachers are told too.
Their pending notices are superseded (a proposal or a reminder for a time that can't be, the "was it held?"),
and none is planned again while the time stays off the calendar (bot.notices.reminders).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Mapping

from bot import rules
from bot.domain.model import BOOKED_STATUSES, NoticeKind, Staff, Visit, VisitStatus, Walk
from bot.domain.school import School, SchoolConfig
from bot.domain.words import role_words
from bot.errors import InputError, WrongState
from bot.notices import reminders, words
from bot.notices.outbox import Outbox
from bot.ports import Clock, UnitOfWork
from bot.usecases import commands as c
from bot.usecases.kernel import Scope, facts_for, open_scope, plan_for, replan, require, room_visits
from bot.usecases.results import Member, StaffChange, StaffList, StaffOutcome

_HANDLE = re.compile(r"[a-z0-9][a-z0-9.\-]{0,99}")
ONLY_SLT = "Only SLT can change or see the staff list."


def _in_school_file(school: School) -> frozenset[str]:
    return frozenset(str(row.get("id")) for row in school.config.get("staff") or [] if isinstance(row, Mapping))


def add_staff(cmd: c.AddStaff, uow: UnitOfWork, clock: Clock) -> StaffChange:
    with uow:
        scope = open_scope(uow, cmd, clock)
        require(scope.actor.is_slt, ONLY_SLT)
        known = uow.staff.get(scope.school.id, cmd.person)
        if known and known.active:
            raise WrongState(f"{known.name} is already on the staff list ({role_words(known)}).")
        def holder(handle: str) -> Staff | None:
            return next((s for s in scope.staff if s.handle and s.handle.lower() == handle.lower()), None)

        if cmd.handle and holder(cmd.handle):
            raise InputError(f"@{cmd.handle} is already {holder(cmd.handle).name}'s handle; "
                             "choose another with handle NAME.")
        # Without one, the first name, as colleagues would type it, unless someone has it already.
        first = cmd.name.split()[0].lower()
        handle = cmd.handle or (first if _HANDLE.fullmatch(first) and not holder(first) else None)
        manager = scope.person(cmd.line_manager).chat_id if cmd.line_manager else None
        person = Staff(known.id if known else None, scope.school.id, cmd.person, cmd.name, cmd.roles, handle,
                       manager)
        person = uow.staff.update(person) if known else uow.staff.add(person)
        out = scope.outbox()
        out.tell(person.chat_id, NoticeKind.STAFF_ADDED, words.staff_added(scope.school, person, scope.actor.name))
        scope.commit(out)
        return StaffChange(scope.school, person, StaffOutcome.BACK if known else StaffOutcome.ADDED,
                           {**scope.names, person.chat_id: person.name},
                           person.chat_id in _in_school_file(scope.school))


def remove_staff(cmd: c.RemoveStaff, uow: UnitOfWork, clock: Clock) -> StaffChange:
    with uow:
        scope = open_scope(uow, cmd, clock)
        require(scope.actor.is_slt, ONLY_SLT)
        person = scope.person(cmd.person)
        # Nobody locks themselves out: another member of SLT can do it.
        require(person.chat_id != scope.actor.chat_id, "You can't take yourself off the staff list; ask another "
                                                       "member of SLT.")
        person = uow.staff.update(replace(person, active=False))
        scope.commit()
        return StaffChange(scope.school, person, StaffOutcome.REMOVED, scope.names,
                           person.chat_id in _in_school_file(scope.school))


def list_staff(cmd: c.ListStaff, uow: UnitOfWork, clock: Clock) -> StaffList:
    with uow:
        scope = open_scope(uow, cmd, clock)
        require(scope.actor.is_slt, ONLY_SLT)
        return StaffList(scope.school, scope.staff, scope.names, _in_school_file(scope.school))


def who_am_i(cmd: c.WhoAmI, uow: UnitOfWork, clock: Clock) -> Member:
    """Refuses, as every service does, anyone not on the staff list, saying who can add them."""
    with uow:
        scope = open_scope(uow, cmd, clock)
        return Member(scope.school, scope.actor)


# --- school.yml loaded again ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Loaded:
    """A school.yml loaded, and how many things ahead its calendar no longer allows (their people told)."""

    school: School
    visits: int = 0
    dialogues: int = 0
    walks: int = 0


def load_school(config: SchoolConfig, uow: UnitOfWork, clock: Clock) -> Loaded:
    """Load (or load again: it updates, never duplicates) a school.yml, and review what its calendar changed."""
    with uow:
        before = uow.schools.by_key(config.school.key)
        school = uow.schools.save(config)
        loaded = _review(uow, before, school, clock.now()) if before else Loaded(school)
        uow.commit()
    return loaded


def _review(uow: UnitOfWork, before: School, school: School, now: datetime) -> Loaded:
    everyone = uow.staff.all(school.id, with_leavers=True)
    # Nobody asked for this: the file was loaded. The kernel's checks need no actor.
    scope = Scope(uow, school, None, tuple(s for s in everyone if s.active), now,
                  tuple(s for s in everyone if not s.active))
    old, cal = rules.Context(before.calendar, before.policy, now), school.calendar

    def newly_barred(at: datetime | None, minutes: int) -> str | None:
        """Why the new calendar refuses this time ahead, if the old one allowed it."""
        found = rules.calendar_violations(at, minutes, scope.ctx) if at and at > now else []
        return found[0].message if found and not rules.calendar_violations(at, minutes, old) else None

    out, people, booked_by = scope.outbox(), [s.chat_id for s in everyone], before.calendar
    # Whatever is booked was booked by the old calendar: nothing lies outside its sessions.
    today = cal.local(now).date()
    first = min((s.start for s in booked_by.sessions), default=today)
    last = max((s.end for s in booked_by.sessions), default=today)
    until = booked_by.at(last, booked_by.day_end) + timedelta(days=1)
    open_visits = uow.visits.involving(school.id, people, booked_by.at(first, booked_by.day_start), until,
                                       {VisitStatus.PROPOSED, VisitStatus.COUNTERED, VisitStatus.AGREED})
    visits = 0
    for visit in open_visits:
        why = newly_barred(reminders.asked_at(visit), visit.minutes)
        if why and visit.walk_id is None:  # a walk's rooms go with their walk, below
            _move_on(scope, out, visit, why)
            visits += 1
    dialogues = 0
    for visit in uow.visits.involving(school.id, people, _dialogues_since(before, now), until, {VisitStatus.HELD}):
        why = newly_barred(visit.dialogue_at, school.policy.dialogue_minutes)
        if why:
            _dialogue_again(scope, out, visit, why)
            dialogues += 1
    walks = 0
    for walk in uow.walks.between(school.id, today, last):
        why = None if walk.cancelled else newly_barred(walk.start, int((walk.end - walk.start).total_seconds() // 60))
        if why:
            _walk_off(scope, out, walk, why)
            walks += 1
    out.write(uow.notices)
    return Loaded(school, visits, dialogues, walks)


def _dialogues_since(before: School, now: datetime) -> datetime:
    """The earliest start of a held visit whose dialogue may still lie ahead: a dialogue is held within so many
    school days of its visit (bot.rules.check_dialogue), by the calendar it was arranged by."""
    cal = before.calendar
    days = list(cal.school_days(cal.local(now).date(), before.policy.dialogue_within_school_days + 1, step=-1))
    return cal.at(days[-1] if days else cal.local(now).date(), cal.day_start)


def _move_on(scope: Scope, out: Outbox, visit: Visit, why: str) -> None:
    """The visit needs a new time: nothing is cancelled, nothing stays agreed for a time that can't be."""
    at, was_agreed = reminders.asked_at(visit), visit.status is VisitStatus.AGREED
    if was_agreed:
        visit = visit.but(status=VisitStatus.PROPOSED)
        scope.uow.visits.update(visit)
    out.supersede(visit=visit)  # its proposal, reminders, "was it held?" and escalation: none applies now
    plan = plan_for(scope, visit, at, booking=False)
    slots = rules.nearest_slots(plan, facts_for(scope, plan, BOOKED_STATUSES), scope.ctx)
    out.tell_all(visit.people, NoticeKind.CALENDAR_CHANGED,
                 words.visit_off_the_calendar(scope.school, visit, at, why, scope.names, [s.start for s in slots],
                                             was_agreed=was_agreed),
                 visit=visit)


def _dialogue_again(scope: Scope, out: Outbox, visit: Visit, why: str) -> None:
    """The dialogue is no longer arranged: it is to be arranged again, and chased as any unarranged one is."""
    at = visit.dialogue_at
    visit = visit.but(dialogue_at=None)
    scope.uow.visits.update(visit)
    out.supersede(visit=visit, kinds=frozenset({NoticeKind.DIALOGUE_SCHEDULED}))
    plan = plan_for(scope, visit, booking=False)
    slots = reminders.dialogue_slots(visit, facts_for(scope, plan, BOOKED_STATUSES), scope.ctx)
    out.tell_all(visit.people, NoticeKind.CALENDAR_CHANGED,
                 words.dialogue_off_the_calendar(scope.school, visit, at, why, slots), visit=visit)
    replan(scope, out, visit)


def _walk_off(scope: Scope, out: Outbox, walk: Walk, why: str) -> None:
    """A walk is SLT's to call off and plan again; its rooms go with it. Until then nothing about it is sent."""
    rooms = room_visits(scope, walk)
    out.supersede(walk=walk)  # its programme, if not yet announced, and the walkers' reminders
    for room in rooms:
        out.supersede(visit=room)  # a room's question to its teacher, and its reminder
    told = {walk.planned_by, *walk.walkers, *(r.teacher for r in rooms)}
    out.tell_all(told, NoticeKind.CALENDAR_CHANGED, words.walk_off_the_calendar(scope.school, walk, why), walk=walk)
