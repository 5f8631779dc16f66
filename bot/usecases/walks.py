"""Learning walks: SLT plan a programme, walkbot tells the whole staff in good time."""
from __future__ import annotations

from bot.reply.card import Say, line

from datetime import timedelta

from bot import rules
from bot.domain.ics import visit_ics
from bot.domain.model import NoticeKind, Role, Visit, VisitKind, VisitStatus, Walk
from bot.domain.school_time import next_sending_moment
from bot.errors import InputError, NotFound, Refused
from bot.notices import reminders, words
from bot.notices.outbox import Outbox
from bot.ports import Clock, UnitOfWork
from bot.usecases import commands as c
from bot.usecases.kernel import Scope, enforce_rules, open_scope, require, room_visits
from bot.usecases.results import WalkDone, WalkList, WalkOutcome


def _session_walks(scope: Scope, day) -> tuple[Walk, ...]:
    cal = scope.school.calendar
    session = cal.session_of(day)
    first, last = (session.start, session.end) if session else (day, day)
    return tuple(scope.uow.walks.between(scope.school.id, first, last))


def plan_walk(cmd: c.PlanWalk, uow: UnitOfWork, clock: Clock) -> WalkDone:
    with uow:
        scope = open_scope(uow, cmd, clock)
        require(scope.actor.is_slt, "Only SLT plan learning walks.")
        uow.schools.lock(scope.school.id)  # walks per term are counted school-wide: one plan at a time
        cal, ctx = scope.school.calendar, scope.ctx
        walkers = tuple({w.chat_id: w for w in (scope.person(m) for m in cmd.walkers)}.values())
        # Everyone the walk books, held at once in one order (each room locks them again, already held).
        uow.staff.lock(scope.school.id, [*(w.chat_id for w in walkers), *(scope.person(m).chat_id for m in cmd.rooms)])
        start, end = cal.at(cmd.day, cmd.start), cal.at(cmd.day, cmd.end)
        earliest, _ = rules.walk_announcement_due(cmd.day, ctx)
        announce_at = next_sending_moment(scope.school, max(earliest, scope.now))
        walk = Walk(None, scope.school.id, scope.actor.chat_id, cmd.day, start, end, cmd.focus or "",
                    tuple(w.chat_id for w in walkers), announce_at=announce_at)
        facts = rules.Facts(staff=scope.staff, walks=_session_walks(scope, cmd.day))
        found = rules.check_walk(walk, walkers, facts, ctx)
        if found:
            raise Refused(found)
        walk = uow.walks.add(walk)
        out = scope.outbox()
        rooms, refusals = _book_rooms(scope, cmd, walk, walkers, out)
        channel = scope.school.announcements_channel
        programme = words.walk_announcement(scope.school, walk, scope.names)
        if channel:
            out.tell(channel, NoticeKind.WALK_ANNOUNCEMENT, programme, walk=walk, due_at=announce_at,
                     useful_until=walk.start)
        else:  # no staff channel configured: everyone is told individually
            for person in scope.staff:
                if person.active:
                    out.tell(person.chat_id, NoticeKind.WALK_ANNOUNCEMENT, programme, walk=walk, due_at=announce_at,
                             useful_until=walk.start)
        out.replan(reminders.for_walk(scope.school, walk, rooms, scope.staff, scope.now), walk=walk)
        scope.commit(out)
        return WalkDone(scope.school, walk, scope.names, WalkOutcome.PLANNED, tuple(rooms), tuple(refusals))


def _book_rooms(scope: Scope, cmd: c.PlanWalk, walk: Walk, walkers, out: Outbox):
    """Each room on the walk is a visit of its own, proposed to its teacher, back to back."""
    policy = scope.school.policy
    minutes = cmd.room_minutes or policy.walk_visit_max_minutes
    visits, refusals = [], []
    for n, mention in enumerate(cmd.rooms):
        teacher = scope.person(mention)
        if not teacher.has(Role.TEACHER):
            refusals.append((teacher.name, "not a class teacher, so there is no class to visit"))
            continue
        start = walk.start + timedelta(minutes=n * minutes)
        if start + timedelta(minutes=minutes) > walk.end:
            refusals.append((teacher.name, f"does not fit: {len(cmd.rooms)} rooms of {minutes} minutes need more "
                                           "time than the walk has"))
            continue
        plan = rules.VisitPlan(teacher, walkers, VisitKind.LEARNING_WALK, start, minutes, walk.focus)
        try:
            enforce_rules(scope, plan, booking=False)
        except Refused as refused:
            refusals.append((teacher.name, "; ".join(str(v) for v in refused.violations)))
            continue
        visit = scope.uow.visits.add(Visit(
            id=None, school_id=scope.school.id, teacher=teacher.chat_id, visitors=walk.walkers,
            proposer=scope.actor.chat_id, kind=VisitKind.LEARNING_WALK, start=start, minutes=minutes,
            focus=walk.focus, walk_id=walk.id, created_at=scope.now,
        ))
        visits.append(visit)
        out.tell(teacher.chat_id, NoticeKind.PROPOSAL, words.walk_room(scope.school, walk, visit), visit=visit,
                 useful_until=start)
        out.replan(reminders.for_visit(scope.school, visit, scope.staff, scope.now), visit=visit)
    return visits, refusals


def _walk(scope: Scope, walk_id: int) -> Walk:
    walk = scope.uow.walks.get(scope.school.id, walk_id)
    if walk is None:
        raise NotFound(line(f"There is no learning walk #{walk_id}. Say ", Say("walk list"), " for this session's walks."))
    return walk


def show_walk(cmd: c.ShowWalk, uow: UnitOfWork, clock: Clock) -> WalkDone:
    with uow:
        scope = open_scope(uow, cmd, clock)
        walk = _walk(scope, cmd.walk_id)
        rooms = room_visits(scope, walk)
        # The programme is for all staff; whose room said no is not: SLT and the walkers see every room,
        # a colleague only their own.
        if not (scope.actor.is_slt or scope.actor.chat_id in walk.walkers):
            rooms = [visit for visit in rooms if visit.teacher == scope.actor.chat_id]
        return WalkDone(scope.school, walk, scope.names, WalkOutcome.SHOWN, tuple(rooms))


def list_walks(cmd: c.ListWalks, uow: UnitOfWork, clock: Clock) -> WalkList:
    with uow:
        scope = open_scope(uow, cmd, clock)
        walks = _session_walks(scope, scope.school.calendar.local(scope.now).date())
        return WalkList(scope.school, scope.names, tuple(w for w in walks if not w.cancelled))


def cancel_walk(cmd: c.CancelWalk, uow: UnitOfWork, clock: Clock) -> WalkDone:
    with uow:
        scope = open_scope(uow, cmd, clock)
        require(scope.actor.is_slt, "Only SLT can call off a learning walk.")
        walk = _walk(scope, cmd.walk_id)
        if walk.cancelled:
            raise InputError(f"Learning walk #{walk.id} is already cancelled.")
        rooms = room_visits(scope, walk)
        walk = Walk(**{**walk.__dict__, "cancelled": True})
        uow.walks.update(walk)
        announced = walk.announce_at is not None and walk.announce_at <= scope.now
        out = scope.outbox()
        out.supersede(walk=walk)
        for visit in rooms:
            agreed = visit.status is VisitStatus.AGREED
            uow.visits.update(visit.but(status=VisitStatus.CANCELLED if agreed else VisitStatus.WITHDRAWN,
                                        reason=cmd.reason))
            out.supersede(visit=visit)
            out.tell(visit.teacher, NoticeKind.CANCELLED, words.walk_room_cancelled(walk, cmd.reason), visit=visit,
                     ics=visit_ics(scope.school, visit, scope.names, scope.now, cancelled=True) if agreed else None)
        if announced and scope.school.announcements_channel:
            out.tell(scope.school.announcements_channel, NoticeKind.WALK_CANCELLED,
                     words.walk_cancelled(walk, cmd.reason), walk=walk)
        scope.commit(out)
        return WalkDone(scope.school, walk, scope.names, WalkOutcome.CANCELLED)
