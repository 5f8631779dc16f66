"""Learning walks: SLT plan a programme, walkbot tells the whole staff in good time; walkers record what the
walk found, and SLT share its report with all staff.

A walk is one whole-school activity: "a school-wide picture made up of many small snapshots" (Durants). So it is
planned with all its rooms or not at all, its rooms are never followed up one by one (bot.notices.reminders), and
what it finds is the walk's.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from bot import rules
from bot.domain.ics import visit_ics
from bot.domain.model import BOOKED_STATUSES, Finding, NoticeKind, Role, Staff, Visit, VisitKind, VisitStatus, Walk
from bot.domain.school_time import next_sending_moment
from bot.domain.words import when_text
from bot.errors import InputError, NotFound, Refused, WrongState
from bot.notices import reminders, words
from bot.notices.outbox import Outbox
from bot.ports import Clock, UnitOfWork
from bot.reply.card import Card, Say, line
from bot.rules.walk import check_findings, twice_named
from bot.usecases import commands as c
from bot.usecases.kernel import Scope, enforce_rules, open_scope, require, room_visits
from bot.usecases.results import ReportOutcome, WalkDone, WalkList, WalkOutcome, WalkReport


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
        teachers = [scope.person(m) for m in cmd.rooms]
        # Everyone the walk books, held at once in one order (each room locks them again, already held).
        uow.staff.lock(scope.school.id, [*(w.chat_id for w in walkers), *(t.chat_id for t in teachers)])
        start, end = cal.at(cmd.day, cmd.start), cal.at(cmd.day, cmd.end)
        earliest, _ = rules.walk_announcement_due(cmd.day, ctx)
        announce_at = next_sending_moment(scope.school, max(earliest, scope.now))
        walk = Walk(None, scope.school.id, scope.actor.chat_id, cmd.day, start, end, cmd.focus or "",
                    tuple(w.chat_id for w in walkers), announce_at=announce_at, purpose=cmd.purpose,
                    feedback=cmd.feedback)
        facts = rules.Facts(staff=scope.staff, walks=_session_walks(scope, cmd.day))
        minutes = cmd.room_minutes or scope.school.policy.walk_visit_max_minutes
        found = rules.check_walk(walk, walkers, facts, ctx) + twice_named(teachers, ctx)
        found += _room_violations(scope, walk, walkers, teachers, minutes, {v.code for v in found})
        if found:  # all or nothing: a walk missing a room is not the walk staff were told of
            raise Refused(found)
        walk = uow.walks.add(walk)
        out = scope.outbox()
        rooms = [_book_room(scope, walk, teacher, at, minutes, out)
                 for teacher, at in zip(teachers, _room_starts(walk, len(teachers), minutes))]
        _tell_all_staff(scope, out, walk, NoticeKind.WALK_ANNOUNCEMENT,
                        words.walk_announcement(scope.school, walk, scope.names), due_at=announce_at,
                        useful_until=walk.start)
        out.replan(reminders.for_walk(scope.school, walk, rooms, scope.staff, scope.now), walk=walk)
        scope.commit(out)
        return WalkDone(scope.school, walk, scope.names, WalkOutcome.PLANNED, tuple(rooms))


def _room_starts(walk: Walk, count: int, minutes: int) -> list[datetime]:
    """The rooms are visited back to back from the walk's start, in the order named."""
    return [walk.start + timedelta(minutes=n * minutes) for n in range(count)]


def _room_violations(scope: Scope, walk: Walk, walkers: tuple[Staff, ...], teachers: list[Staff], minutes: int,
                     walk_codes: set[str]) -> list[rules.Violation]:
    """Every reason any room can't be booked, each room's named, with the nearest times it could be; what the walk
    as a whole breaks (its focus, its notice) is said once, for the walk."""
    p, cal = scope.school.policy, scope.school.calendar
    length = int((walk.end - walk.start).total_seconds() // 60)
    if teachers and len(teachers) * minutes > length:
        return [rules.Violation(
            "walk.rooms.fit", f"{len(teachers)} rooms of {minutes} minutes need {len(teachers) * minutes} minutes; the "
                              f"walk has {length}, room for {length // minutes}. Name fewer rooms or make the walk "
                              "longer.", p.cite("walk_visit_max_minutes"), field=rules.Subject.START)]
    found = []
    for teacher, at in zip(teachers, _room_starts(walk, len(teachers), minutes)):
        room = f"{teacher.name}'s room ({cal.local(at):%H:%M})"
        if not teacher.has(Role.TEACHER):
            found.append(rules.Violation("walk.room.no_class", f"{teacher.name} is not a class teacher, so there is "
                                                               "no class to visit.", field=rules.Subject.TEACHER))
            continue
        plan = rules.VisitPlan(teacher, walkers, VisitKind.LEARNING_WALK, at, minutes, walk.focus, walk.feedback)
        try:
            enforce_rules(scope, plan, booking=False)
        except Refused as refused:
            found += [replace(v, message=f"{room}: {v.message}") for v in refused.violations
                      if v.code not in walk_codes]
            if refused.alternatives:
                times = "; ".join(when_text(scope.school, slot.start) for slot in refused.alternatives)
                found.append(rules.Violation("walk.room.nearest", f"Nearest times {teacher.name}'s room could be "
                                                                  f"visited: {times}.", field=rules.Subject.START))
    return found


def _book_room(scope: Scope, walk: Walk, teacher: Staff, start: datetime, minutes: int, out: Outbox) -> Visit:
    """A room on the walk is a visit of its own, proposed to its teacher, with the walk's focus and feedback."""
    visit = scope.uow.visits.add(Visit(
        id=None, school_id=scope.school.id, teacher=teacher.chat_id, visitors=walk.walkers,
        proposer=scope.actor.chat_id, kind=VisitKind.LEARNING_WALK, start=start, minutes=minutes,
        focus=walk.focus, feedback=walk.feedback, walk_id=walk.id, created_at=scope.now,
    ))
    out.tell(teacher.chat_id, NoticeKind.PROPOSAL, words.walk_room(scope.school, walk, visit, scope.names),
             visit=visit, useful_until=start)
    out.replan(reminders.for_visit(scope.school, visit, scope.staff, scope.now), visit=visit)
    return visit


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
        for channel in scope.school.staff_channels if announced else ():
            out.tell(channel, NoticeKind.WALK_CANCELLED, words.walk_cancelled(walk, cmd.reason), walk=walk)
        scope.commit(out)
        return WalkDone(scope.school, walk, scope.names, WalkOutcome.CANCELLED)


# --- what the walk found, and its report ------------------------------------------------------------------
#
# Findings are the walk's, not a room's. The agreements want "a school-wide picture made up of many small
# snapshots" and a "Short written report highlighting strengths and areas of excellence" (Durants), with "no
# evaluation of an individual teacher" (Durants §8, Trust §10): a finding filed against one room would be exactly
# that evaluation. And every teacher whose class was visited "will be given the opportunity to see any written
# records which have been made during the 'learning walk'" (Durants §10, Trust §9): so each of them is told when
# findings are written and may read all of them. A walker's note about one room (/visit notes) stays that room's,
# and its teacher is told of it (bot.usecases.after.write_note).

def _visited(scope: Scope, walk: Walk) -> list[Visit]:
    """The walk's rooms that were agreed (and so visited, or about to be)."""
    return [v for v in room_visits(scope, walk) if v.status in BOOKED_STATUSES]


def _report(scope: Scope, walk: Walk, what: ReportOutcome, told: int = 0) -> WalkReport:
    return WalkReport(scope.school, walk, scope.names, what, tuple(scope.uow.walks.findings(walk.id)),
                      len(_visited(scope, walk)), told)


def record_findings(cmd: c.RecordFindings, uow: UnitOfWork, clock: Clock) -> WalkReport:
    with uow:
        scope = open_scope(uow, cmd, clock)
        walk = _walk(scope, cmd.walk_id)
        require(scope.actor.chat_id in walk.walkers, f"Only the walkers on learning walk #{walk.id} record its findings.")
        if walk.cancelled:
            raise WrongState(f"Learning walk #{walk.id} was cancelled, so it has no findings.")
        if walk.start > scope.now:
            raise WrongState(f"Learning walk #{walk.id} starts {when_text(scope.school, walk.start)}; its findings are "
                             "recorded once it has begun.")
        visited = _visited(scope, walk)
        if not visited:
            raise WrongState(f"No room on learning walk #{walk.id} was agreed, so it visited no class to record.")
        findings = [Finding(None, walk.id, scope.actor.chat_id, kind, text, scope.now) for kind, text in cmd.findings]
        found = check_findings(findings, scope.staff + scope.leavers, scope.ctx)
        if found:
            raise Refused(found)
        uow.walks.add_findings(findings)
        out = scope.outbox()
        teachers = {v.teacher for v in visited}
        out.tell_all(teachers, NoticeKind.WALK_FINDINGS, words.walk_findings(scope.school, walk, len(findings)),
                     walk=walk, except_=scope.actor.chat_id)
        scope.commit(out)
        return _report(scope, walk, ReportOutcome.RECORDED, len(teachers - {scope.actor.chat_id}))


def show_report(cmd: c.ShowReport, uow: UnitOfWork, clock: Clock) -> WalkReport:
    with uow:
        scope = open_scope(uow, cmd, clock)
        walk = _walk(scope, cmd.walk_id)
        me = scope.actor.chat_id
        # Until SLT share it, the findings are for SLT, the walkers and the teachers whose classes were visited.
        require(walk.report_shared_at is not None or scope.actor.is_slt or me in walk.walkers
                or any(v.teacher == me for v in _visited(scope, walk)),
                f"The report of learning walk #{walk.id} is not shared yet: SLT share it with all staff.")
        return _report(scope, walk, ReportOutcome.SHOWN)


def share_report(cmd: c.ShareReport, uow: UnitOfWork, clock: Clock) -> WalkReport:
    with uow:
        scope = open_scope(uow, cmd, clock)
        require(scope.actor.is_slt, "Only SLT share a learning walk's report with staff.")
        walk = _walk(scope, cmd.walk_id)
        if walk.cancelled:
            raise WrongState(f"Learning walk #{walk.id} was cancelled, so it has no report.")
        findings = uow.walks.findings(walk.id)
        if not findings:
            raise WrongState(line(f"Learning walk #{walk.id} has no findings yet: its walkers record them with ",
                                  Say(f'walk findings {walk.id} strength "..."'), "."))
        shared = walk.report_shared_at
        if shared is not None and all(f.written_at <= shared for f in findings):
            raise WrongState(f"The report of learning walk #{walk.id} went to all staff "
                             f"{when_text(scope.school, shared)}, and no finding has been added since.")
        walk = replace(walk, report_shared_at=scope.now)
        uow.walks.update(walk)
        out = scope.outbox()
        _tell_all_staff(scope, out, walk, NoticeKind.WALK_REPORT,
                        words.walk_report(scope.school, walk, findings, len(_visited(scope, walk))))
        scope.commit(out)
        return _report(scope, walk, ReportOutcome.SHARED)


def _tell_all_staff(scope: Scope, out: Outbox, walk: Walk, kind: NoticeKind, said: Card, **when) -> None:
    """Through the staff channels, or (none configured) to each person on the staff list."""
    for recipient in scope.school.staff_channels or tuple(p.chat_id for p in scope.staff if p.active):
        out.tell(recipient, kind, said, walk=walk, **when)
