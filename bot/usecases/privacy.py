"""What UK GDPR asks of the school for the data walkbot holds: records kept no longer than school.yml says
(storage limitation, Art. 5(1)(e)), a person's records given to them (Art. 15) within one calendar month (Art. 12(3)),
and a leaver erased once nothing must be kept (Art. 17) with their counts left true. docs/privacy.md is the account."""
from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from dateutil.relativedelta import relativedelta

from bot.domain.model import BOOKED_STATUSES, OPEN_STATUSES, ObjectionStatus, Staff, Visit
from bot.domain.retention import (
    ACTIONS,
    DE_IDENTIFIED,
    DEFAULT_RETENTION,
    DELETED,
    REMOVED,
    RecordKind,
    due_at,
    due_spans,
    within,
)
from bot.domain.school import School
from bot.errors import InputError, NotFound, WrongState
from bot.ports import Clock, Disposal, SubjectAccess, UnitOfWork

RETENTION, ERASURE = "retention", "erasure"
# Kinds with no school of their own (inbox rows before a school was found, Slack workspaces no school links to) keep
# walkbot's default periods.
NOBODYS = (RecordKind.INBOX, RecordKind.INSTALLATIONS)
EVER = datetime(1970, 1, 1, tzinfo=UTC)  # "since" for everything a person was ever in


def _school(uow: UnitOfWork, key: str) -> School:
    school = uow.schools.by_key(key)
    if school is None:
        known = ", ".join(sorted(s.key for s in uow.schools.all())) or "none yet: load a school.yml first"
        raise NotFound(f"There is no school with the key {key!r} (schools: {known}).")
    return school


def _person(uow: UnitOfWork, school: School, person: str) -> Staff:
    found = uow.staff.get(school.id, person) or uow.staff.find(school.id, person)
    if found is None:
        raise NotFound(f"{school.name} has nobody with the staff id {person!r}: give the id from its school.yml, "
                       "like U03TOM (or their @handle).")
    return found


# --- retention -----------------------------------------------------------------------------------------------------

def purge(uow_factory: Callable[[], UnitOfWork], clock: Clock, *, dry_run: bool = False) -> list[Disposal]:
    """Delete or de-identify whatever is past its period, school by school, each in one transaction that also
    writes the disposal log. dry_run: count, change nothing, log nothing."""
    now = clock.now()
    with uow_factory() as uow:
        schools = uow.schools.all()
    done: list[Disposal] = []
    for school in schools:
        with uow_factory() as uow:
            uow.schools.lock(school.id)  # one purge of a school at a time, however many processes run it
            done += _dispose(uow, school.id, [(kind, due_spans(school.calendar, kind, school.retention, now))
                                              for kind in RecordKind], now, dry_run)
    with uow_factory() as uow:
        done += _dispose(uow, None, [(kind, due_spans(None, kind, DEFAULT_RETENTION, now)) for kind in NOBODYS],
                         now, dry_run)
    return done


def _dispose(uow: UnitOfWork, school_id: int | None, due: list, now: datetime, dry_run: bool) -> list[Disposal]:
    done = []
    for kind, spans in due:
        count = uow.privacy.dispose(school_id, kind, spans, count_only=dry_run)
        if count:
            done.append(Disposal(school_id=school_id, kind=kind.value, action=ACTIONS[kind], count=count,
                                 cause=RETENTION, at=now))
    if not dry_run:
        for disposal in done:
            uow.privacy.log(disposal)
        uow.commit()
    return done


# --- subject access ------------------------------------------------------------------------------------------------

def sar_due(received: date) -> date:
    """One calendar month from the day it was received: the same date next month, or that month's last day when it
    has no such date; a Saturday or Sunday moves to the Monday (the ICO's reading of Art. 12(3)). Public holidays
    are not known to walkbot: one falling on the due date gives one more working day."""
    due = received + relativedelta(months=1)
    while due.weekday() >= 5:
        due += timedelta(days=1)
    return due


def log_request(uow: UnitOfWork, clock: Clock, school_key: str, person: str,
                received: date | None = None) -> tuple[School, Staff, SubjectAccess]:
    with uow:
        school = _school(uow, school_key)
        staff = _person(uow, school, person)
        today = school.calendar.local(clock.now()).date()
        received = received or today
        if received > today:
            raise InputError(f"{received} is after today ({today}): give the day the request was received.")
        request = uow.privacy.log_request(SubjectAccess(id=None, school_id=school.id, person=staff.chat_id,
                                                        received_on=received, due_on=sar_due(received)), clock.now())
        uow.commit()
        return school, staff, request


def list_requests(uow: UnitOfWork, school_key: str | None, *, everything: bool = False) -> list[SubjectAccess]:
    with uow:
        school = _school(uow, school_key) if school_key else None
        return uow.privacy.requests(school.id if school else None, open_only=not everything)


def answer_request(uow: UnitOfWork, clock: Clock, school_key: str, request_id: int) -> SubjectAccess:
    with uow:
        school = _school(uow, school_key)
        answered = uow.privacy.answer_request(school.id, request_id, school.calendar.local(clock.now()).date())
        if answered is None:
            raise NotFound(f"{school.name} has no subject access request #{request_id} (walkbot sar list shows them).")
        uow.commit()
        return answered


@dataclass
class Export:
    """Everything walkbot holds about one person, section by section (each a list of flat rows), and what was left
    out because it would tell them about someone else (counts only: the school's DPO decides on those)."""

    school: School
    person: Staff
    made_at: datetime
    sections: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    withheld: dict[str, int] = field(default_factory=dict)


def _when(moment: datetime | date | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def export(uow: UnitOfWork, clock: Clock, school_key: str, person: str) -> Export:
    """The person's staff entry, visits as teacher and as visitor with the notes and records they may see (everyone
    in a visit sees its notes), walks they planned or walked, their timetabled lessons, findings they wrote, concerns
    and objections they raised, requests of theirs, and every message sent to them. Concerns about them, and
    objections to them as an observer, reveal who raised them (003 §13, 004 §9 route them away from the person):
    withheld, counted."""
    with uow:
        school = _school(uow, school_key)
        staff = _person(uow, school, person)
        me = staff.chat_id
        names = {s.chat_id: s.name for s in uow.staff.all(school.id, with_leavers=True)}

        def who(chat_id: str | None) -> str | None:
            return None if chat_id is None else f"{names.get(chat_id, chat_id)} ({chat_id})"

        out = Export(school, staff, clock.now())
        out.sections["staff"] = [{
            "id": me, "name": staff.name, "handle": staff.handle, "email": staff.email,
            "roles": ", ".join(sorted(r.value for r in staff.roles)), "line_manager": who(staff.line_manager),
            "department": staff.department, "stage": staff.stage, "on the staff list": staff.active}]
        visits = uow.visits.of_person(school.id, me, EVER)
        out.sections["visits"] = [_visit_row(v, me, who) for v in visits]
        out.sections["notes"] = [{"visit": v.id, "author": who(n.author), "written_at": _when(n.written_at),
                                  "text": n.text} for v in visits for n in v.notes]
        out.sections["records"] = [{"visit": v.id, "record": v.record,
                                    "agreed_by": "; ".join(who(p) for p in sorted(v.record_agreed_by)),
                                    "agreed by everyone": v.record_agreed} for v in visits if v.record]
        walks = [w for w in uow.walks.between(school.id, date(1970, 1, 1), date(9999, 12, 31))
                 if me == w.planned_by or me in w.walkers]
        out.sections["walks"] = [{"walk": w.id, "day": _when(w.day), "focus": w.focus,
                                  "as": "planner" if w.planned_by == me else "walker", "cancelled": w.cancelled}
                                 for w in walks]
        lessons = uow.timetable.lessons(school.id, [me]) or ()  # None: the school has no timetable
        out.sections["lessons"] = [{"day": "Mon Tue Wed Thu Fri".split()[lesson.day], "week": lesson.week,
                                    "start": lesson.start.isoformat("minutes"), "end": lesson.end.isoformat("minutes"),
                                    "period": lesson.period, "class": lesson.group, "subject": lesson.subject,
                                    "room": lesson.room} for lesson in lessons]
        out.sections["findings"] = [{"walk": f.walk_id, "kind": f.kind.value, "written_at": _when(f.written_at),
                                     "text": f.text} for f in uow.privacy.findings_by(school.id, me)]
        concerns = uow.privacy.concerns_involving(school.id, me)
        out.sections["concerns"] = [{"id": c.id, "raised_at": _when(c.raised_at), "text": c.text,
                                     "passed to": who(c.routed_to), "about": who(c.about), "visit": c.visit_id}
                                    for c in concerns if c.raised_by == me]
        objections = uow.privacy.objections_involving(school.id, me)
        out.sections["objections"] = [{"id": o.id, "visit": o.visit_id, "observer": who(o.observer),
                                       "reason": o.reason, "raised_at": _when(o.raised_at),
                                       "passed to": who(o.routed_to), "status": o.status.value,
                                       "settled_at": _when(o.settled_at), "resolution": o.resolution}
                                      for o in objections if o.teacher == me]
        out.sections["messages"] = [{"id": n.id, "kind": n.kind.value, "due_at": _when(n.due_at),
                                     "status": n.status, "sent_at": _when(n.sent_at), "text": n.text}
                                    for n in uow.privacy.notices_to(school.id, me)]
        out.sections["subject access requests"] = [
            {"id": r.id, "received_on": _when(r.received_on), "due_on": _when(r.due_on),
             "answered_on": _when(r.answered_on)} for r in uow.privacy.requests(school.id, open_only=False)
            if r.person == me]
        out.withheld = {what: n for what, n in (
            ("concern(s) about them", sum(1 for c in concerns if c.about == me and c.raised_by != me)),
            ("objection(s) to them as an observer", sum(1 for o in objections if o.observer == me)),
        ) if n}
        return out


def _visit_row(v: Visit, me: str, who: Callable[[str | None], str | None]) -> dict[str, Any]:
    return {"visit": v.id, "as": "teacher" if v.teacher == me else "visitor", "kind": v.kind.value,
            "status": v.status.value, "start": _when(v.start), "minutes": v.minutes, "teacher": who(v.teacher),
            "visitors": "; ".join(who(p) for p in v.visitors), "proposed by": who(v.proposer), "focus": v.focus,
            "feedback arrangements": v.feedback, "pro forma": v.pro_forma, "reason": v.reason,
            "suggested start": _when(v.suggested_start), "dialogue at": _when(v.dialogue_at)}


# --- erasure -------------------------------------------------------------------------------------------------------

def erase(uow: UnitOfWork, clock: Clock, school_key: str, person: str) -> tuple[School, dict[str, int]]:
    """A leaver's name, handle and email removed and their id replaced by a pseudonym everywhere, so every count
    (caps, allowances, reports) stays true; refused, saying why, while they are on the staff list or while
    anything of theirs must still be kept."""
    with uow:
        school = _school(uow, school_key)
        staff = _person(uow, school, person)
        if staff.active:
            raise WrongState(f"{staff.name} is still on {school.name}'s staff list: erasure is for leavers. Take them "
                             "off school.yml and load it again (walkbot load), then erase.")
        uow.schools.lock(school.id)
        now, me = clock.now(), staff.chat_id
        kept = _still_kept(uow, school, me, now)
        if kept:
            raise WrongState(f"Not erased: {staff.name}'s records must still be kept: " + "; ".join(kept) + ". "
                             "Run walkbot erase again after that (walkbot purge disposes of what falls due).")
        touched = uow.privacy.erase(school.id, me, f"former-{uuid.uuid4().hex[:12]}")
        for kind, count in touched.items():
            # Their Teams conversation and inbox rows are deleted; everything else keeps a pseudonym for them.
            action = DELETED if kind in (RecordKind.INSTALLATIONS, RecordKind.INBOX) else DE_IDENTIFIED
            uow.privacy.log(Disposal(school_id=school.id, kind=str(kind), action=action, count=count, cause=ERASURE,
                                     at=now))
        uow.commit()
        return school, touched


def _still_kept(uow: UnitOfWork, school: School, me: str, now: datetime) -> list[str]:
    """Why the person's records may not go yet, each with the day they may."""
    cal, keep = school.calendar, school.retention
    reasons = []
    visits = uow.visits.of_person(school.id, me, EVER)
    coming = [v for v in visits if v.status in OPEN_STATUSES | BOOKED_STATUSES and v.end > now]
    if coming:
        reasons.append(f"{len(coming)} visit{'s' if len(coming) != 1 else ''} not over yet (cancel or withdraw them)")

    def until(kind: RecordKind, moments: list[datetime], what: str) -> None:
        later = [due_at(cal, kind, keep, m) for m in moments
                 if not within(due_spans(cal, kind, keep, now), m)]
        if later:
            reasons.append(f"{len(later)} {what} until {cal.local(max(later)):%-d %B %Y}")

    until(RecordKind.RECORDS, [v.start for v in visits if v.record and v.record != REMOVED],
          "record(s) of dialogue (agreed and kept, 002)")
    concerns = uow.privacy.concerns_involving(school.id, me)
    until(RecordKind.CONCERNS, [c.raised_at for c in concerns],
          "concern(s) they raised, were passed or are the subject of")
    objections = uow.privacy.objections_involving(school.id, me)
    open_ones = [o for o in objections if o.status is ObjectionStatus.OPEN]
    if open_ones:
        reasons.append(f"{len(open_ones)} open objection(s) still to be resolved (004 §9)")
    until(RecordKind.OBJECTIONS, [o.settled_at for o in objections if o.settled_at], "settled objection(s)")
    asked = [r for r in uow.privacy.requests(school.id, open_only=True) if r.person == me]
    if asked:
        reasons.append(f"their subject access request, due {asked[0].due_on:%-d %B %Y}, is not answered yet "
                       "(walkbot sar done)")
    return reasons
