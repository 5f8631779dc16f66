"""The weekly digest to SLT: visits this week, answers outstanding, dialogues overdue, teachers near a cap,
and learning walks whose report is still to share (a walk's rooms are followed up only as the walk).

A periodic job, not a change: one walkbot process of a deployment runs it (handlers.scheduler), and
should two ever run it at once, the outbox still keeps one digest per SLT member per week
(NoticeRepo.add_once). It is due on the first school morning of each week
with school days, so a holiday week has none and a week starting with a holiday Monday has it on
Tuesday.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Callable

from bot import rules
from bot.domain.model import (
    BOOKED_STATUSES,
    OPEN_STATUSES,
    Notice,
    NoticeKind,
    Role,
    Staff,
    Visit,
    VisitStatus,
    Walk,
)
from bot.domain.school import School
from bot.domain.school_time import school_morning
from bot.notices import reminders, words
from bot.ports import Clock, UnitOfWork
from bot.reply.card import Card
from bot.usecases.lookups import usage_by_teacher

AFTER_VISIT = frozenset({VisitStatus.AGREED, VisitStatus.HELD})


def digest_moment(school: School, monday: date) -> datetime | None:
    """When the digest for the week starting `monday` is due: that week's first school morning."""
    days = [monday + timedelta(days=n) for n in range(5)]
    first = next((d for d in days if school.calendar.is_school_day(d)), None)
    return school_morning(school, first) if first else None


def digest_moments(school: School, after: datetime, until: datetime) -> list[datetime]:
    """Every digest moment in (after, until]: where a fixed clock must stop to preview them."""
    cal = school.calendar
    day = cal.local(after).date()
    monday, moments = day - timedelta(days=day.weekday()), []
    while cal.at(monday, time.min) <= until:
        at = digest_moment(school, monday)
        if at is not None and after < at <= until:
            moments.append(at)
        monday += timedelta(days=7)
    return moments


def write_weekly_digests(uow_factory: Callable[[], UnitOfWork], clock: Clock) -> list[Notice]:
    """This week's digest for every school whose first school morning of the week has come, written once.

    Which SLT members still lack this week's is one query for every school together, so a run that finds them
    all written (the usual case: it runs every quarter hour) costs that and the schools' versions."""
    now = clock.now()
    with uow_factory() as uow:
        moments = {}
        for school in uow.schools.all():
            today = school.calendar.local(now).date()
            at = digest_moment(school, today - timedelta(days=today.weekday()))
            if at is not None and now >= at:
                moments[school.id] = at
        missing = uow.notices.digests_missing(NoticeKind.DIGEST, moments)
    written = []
    for school_id in dict.fromkeys(school_id for school_id, _ in missing):
        at = moments[school_id]
        with uow_factory() as uow:
            school = uow.schools.get(school_id)
            staff = tuple(uow.staff.all(school_id))
            slt = [p for p in staff
                   if p.is_slt and not uow.notices.written(school_id, NoticeKind.DIGEST, p.chat_id, at)]
            if school is None or not slt:
                continue  # another process wrote them meanwhile
            digest = digest_card(school, uow, staff, now)
            for person in slt:
                notice = uow.notices.add_once(Notice(school_id, NoticeKind.DIGEST, person.chat_id, at, digest,
                                                     useful_until=at + timedelta(days=7)))
                written += [notice] if notice else []
            uow.commit()
    return written


def digest_card(school: School, uow: UnitOfWork, staff: tuple[Staff, ...], now: datetime) -> Card:
    cal, names = school.calendar, {s.chat_id: s.name for s in staff}
    ids, today = [s.chat_id for s in staff], cal.local(now).date()
    monday = today - timedelta(days=today.weekday())
    ctx = rules.Context(cal, school.policy, now)

    this_week = uow.visits.involving(school.id, ids, cal.at(monday, time.min),
                                     cal.at(monday + timedelta(days=7), time.min), BOOKED_STATUSES)
    waiting = [v for v in uow.visits.involving(school.id, ids, now, now + timedelta(days=366), OPEN_STATUSES)
               if v.start > now]
    session = cal.session_of(today)
    since = cal.at(session.start, time.min) if session else now - timedelta(days=366)
    owed = [v for v in uow.visits.involving(school.id, ids, since, now, AFTER_VISIT)
            if reminders.follow_up_owed(v, school.policy)]
    overdue = [(v, due) for v in owed if (due := reminders.dialogue_deadline(cal, school.policy, v)) < today]
    return words.digest(school, names, monday, this_week=this_week, waiting=[(v, _who_answers(v)) for v in waiting],
                        overdue=overdue, near_a_cap=_near_a_cap(uow, school, staff, session, ctx) if session else [],
                        reports_due=_reports_due(uow, school, session, now) if session else [])


def _reports_due(uow: UnitOfWork, school: School, session, now: datetime) -> list[tuple[Walk, int]]:
    """This session's walks with findings recorded whose report has not gone to staff, and how many findings."""
    walks = [w for w in uow.walks.between(school.id, session.start, session.end)
             if not w.cancelled and w.end <= now and w.report_shared_at is None]
    return [(w, n) for w in walks if (n := len(uow.walks.findings(w.id)))]


def _who_answers(visit: Visit) -> tuple[str, ...]:
    return (visit.teacher,) if visit.status is VisitStatus.PROPOSED else visit.visitors


def _near_a_cap(uow: UnitOfWork, school: School, staff: tuple[Staff, ...], session,
                ctx: rules.Context) -> list[tuple[str, list[str]]]:
    """Teachers with at most one visit (or 60 minutes) left under a cap this session."""
    teachers = [s for s in staff if s.has(Role.TEACHER)]
    used = usage_by_teacher(uow, school, teachers, session, ctx)
    found = []
    for teacher in teachers:
        lines = used[teacher.chat_id]
        near = [str(u) for u in lines if u.cap - u.used <= (60 if u.unit == "minutes" else 1)]
        if near:
            found.append((teacher.name, near))
    return found
