"""The agreement as pure functions: (the change, the facts it needs, the policy, now) -> violations.

No rule reads the database, the network or the clock. Services gather `Facts`, call `check_visit`
or one of the other checks, and refuse with every violation found (not just the first).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from bot.calendar import SchoolCalendar
from bot.model import BOOKED_STATUSES, BUSY_STATUSES, Objection, Role, Staff, Visit, VisitKind, Walk
from bot.policy import Citation, Policy

# Words that turn a focus on learning into a judgement of one person (003 §2, 001 §8, 000 §1a).
_INDIVIDUAL_WORDS = re.compile(r"\b(performance|capability|competence|competency|disciplinary)\b", re.I)
# Grades and tick boxes (004 §5): Ofsted-style grade words, "grade 3", box characters.
_GRADE_WORDS = re.compile(
    r"(\b(outstanding|inadequate|requires improvement|unsatisfactory|satisfactory)\b"
    r"|\bgrade[ds]?\s*[:=]?\s*[1-4]\b|[☐☑☒✓✔✗✘])",
    re.I,
)


@dataclass(frozen=True)
class Violation:
    code: str
    message: str
    citation: Citation | None = None
    field: str | None = None  # the input it is about: start, minutes, visitors, focus, feedback, kind, teacher
    warning: bool = False  # shown, but does not refuse

    def __str__(self) -> str:
        return self.message + (f" ({self.citation})" if self.citation else "")


@dataclass(frozen=True)
class Slot:
    start: datetime
    minutes: int

    @property
    def end(self) -> datetime:
        return self.start + timedelta(minutes=self.minutes)


@dataclass(frozen=True)
class Context:
    calendar: SchoolCalendar
    policy: Policy
    now: datetime


@dataclass(frozen=True)
class VisitPlan:
    """A visit as someone wants it booked: the thing every rule judges."""

    teacher: Staff
    visitors: tuple[Staff, ...]
    kind: VisitKind
    start: datetime
    minutes: int
    focus: str | None = None
    feedback: str | None = None
    visit_id: int | None = None  # when re-checking an existing visit, it is not its own clash

    def at(self, start: datetime) -> "VisitPlan":
        return VisitPlan(self.teacher, self.visitors, self.kind, start, self.minutes, self.focus, self.feedback, self.visit_id)

    @property
    def end(self) -> datetime:
        return self.start + timedelta(minutes=self.minutes)


@dataclass(frozen=True)
class Facts:
    """What the rules need to know, gathered by the service for a window around the wanted time."""

    teacher_booked: tuple[Visit, ...] = ()  # the teacher's agreed/held visits in the sessions concerned
    busy: tuple[Visit, ...] = ()  # open or booked visits involving the teacher or a visitor, in the window
    objections: tuple[Objection, ...] = ()  # the teacher's objections to particular observers
    staff: tuple[Staff, ...] = ()  # the school's staff, to spot a focus naming one person
    walks: tuple[Walk, ...] = ()  # walks in the session concerned (for walk frequency and walkers at once)


# --- visits ---------------------------------------------------------------------------------------

def check_visit(plan: VisitPlan, facts: Facts, ctx: Context, *, check_notice: bool = True) -> list[Violation]:
    """Every rule a booking breaks, warnings last. Inspections are recorded, never refused (000 §2b)."""
    if plan.kind is VisitKind.INSPECTION:
        return calendar_violations(plan.start, plan.minutes, ctx)
    found = [
        *calendar_violations(plan.start, plan.minutes, ctx),
        *(notice_violations(plan, ctx) if check_notice else []),
        *duration_violations(plan, ctx),
        *observer_violations(plan, ctx),
        *who_may_visit_violations(plan, facts, ctx),
        *focus_violations(plan.kind, plan.focus, facts, ctx),
        *feedback_violations(plan, ctx),
        *cap_violations(plan, facts, ctx),
        *clash_violations(plan, facts, ctx),
        *prd_warnings(plan, facts, ctx),
    ]
    return sorted(found, key=lambda v: v.warning)


def calendar_violations(start: datetime, minutes: int, ctx: Context) -> list[Violation]:
    cal = ctx.calendar
    local = cal.local(start)
    end = local + timedelta(minutes=minutes)
    day = local.date()
    when = f"{local:%a %-d %b %Y}"
    if start <= ctx.now:
        return [Violation("calendar.past", f"{when} at {local:%H:%M} has already passed.", field="start")]
    if day.weekday() >= 5:
        return [Violation("calendar.weekend", f"{when} is a weekend.", field="start")]
    if cal.term_of(day) is None:
        return [Violation("calendar.term", f"{when} is outside term time.", field="start")]
    if cal.holiday_on(day):
        return [Violation("calendar.holiday", f"{when} is a school holiday.", field="start")]
    if not cal.within_school_day(start, end):
        return [Violation(
            "calendar.hours",
            f"{local:%H:%M}–{end:%H:%M} is outside the school day "
            f"({cal.day_start:%H:%M}–{cal.day_end:%H:%M}).",
            field="start",
        )]
    return []


def notice_violations(plan: VisitPlan, ctx: Context) -> list[Violation]:
    need = ctx.policy.min_notice_school_days
    cal = ctx.calendar
    given = cal.school_days_between(cal.local(ctx.now).date(), cal.local(plan.start).date())
    if given >= need:
        return []
    return [Violation(
        "notice",
        f"A visit needs at least {need} school day{'s' if need != 1 else ''}' notice; "
        f"this gives {given}.",
        ctx.policy.cite("min_notice_school_days"),
        field="start",
    )]


def duration_violations(plan: VisitPlan, ctx: Context) -> list[Violation]:
    p = ctx.policy
    if plan.minutes <= 0:
        return [Violation("duration", "A visit must last at least a minute.", field="minutes")]
    if plan.kind is VisitKind.LEARNING_WALK and plan.minutes > p.walk_visit_max_minutes:
        return [Violation(
            "duration.walk",
            f"A learning-walk visit to one room lasts at most {p.walk_visit_max_minutes} minutes; "
            f"this asks for {plan.minutes}.",
            p.cite("walk_visit_max_minutes"),
            field="minutes",
        )]
    if plan.minutes > p.max_visit_minutes:
        return [Violation(
            "duration",
            f"A visit lasts at most {p.max_visit_minutes} minutes; this asks for {plan.minutes}.",
            p.cite("max_visit_minutes"),
            field="minutes",
        )]
    return []


def observer_violations(plan: VisitPlan, ctx: Context) -> list[Violation]:
    most = ctx.policy.max_observers_at_once
    if len(plan.visitors) <= most:
        return []
    return [Violation(
        "observers",
        f"At most {most} colleague{'s' if most != 1 else ''} may visit at once; this names {len(plan.visitors)}.",
        ctx.policy.cite("max_observers_at_once"),
        field="visitors",
    )]


def who_may_visit_violations(plan: VisitPlan, facts: Facts, ctx: Context) -> list[Violation]:
    found = []
    allowed = ctx.policy.visitor_roles
    for v in plan.visitors:
        if v.chat_id == plan.teacher.chat_id:
            found.append(Violation("visitor.self", f"{v.name} cannot visit their own class.", field="visitors"))
        elif not (v.roles & allowed):
            found.append(Violation(
                "visitor.role",
                f"{v.name} ({', '.join(sorted(v.roles))}) is not among those who may visit "
                f"({', '.join(sorted(allowed))}).",
                ctx.policy.cite("visitor_roles"),
                field="visitors",
            ))
    objected = {o.observer for o in facts.objections}
    for v in plan.visitors:
        if v.chat_id in objected:
            found.append(Violation(
                "visitor.objection",
                f"{plan.teacher.name} has objected to {v.name} observing; that must be resolved "
                "at school level before they visit.",
                ctx.policy.cite("concerns_to_line_manager"),
                field="visitors",
            ))
    return found


def focus_violations(kind: VisitKind, focus: str | None, facts: Facts, ctx: Context) -> list[Violation]:
    p = ctx.policy
    text = (focus or "").strip()
    if not text:
        if kind in p.focus_required_kinds:
            return [Violation(
                "focus.missing",
                f"A {kind_words(kind)} needs an agreed focus (say focus \"...\").",
                p.cite("focus_required_kinds"),
                field="focus",
            )]
        return []
    if p.focus_not_about_individual and _about_one_person(text, facts.staff):
        return [Violation(
            "focus.individual",
            "The focus must be about pupils' learning, not about one person's performance.",
            p.cite("focus_not_about_individual"),
            field="focus",
        )]
    return []


def _about_one_person(text: str, staff: tuple[Staff, ...]) -> bool:
    if _INDIVIDUAL_WORDS.search(text) or re.search(r"<@|(^|\s)@\w", text):
        return True
    lowered = text.lower()
    return any(s.name.lower() in lowered for s in staff if len(s.name) > 3)


def feedback_violations(plan: VisitPlan, ctx: Context) -> list[Violation]:
    p = ctx.policy
    if plan.kind in p.feedback_required_kinds and not (plan.feedback or "").strip():
        return [Violation(
            "feedback.missing",
            f"Feedback arrangements for a {kind_words(plan.kind)} are agreed before it happens "
            "(say feedback \"...\").",
            p.cite("feedback_required_kinds"),
            field="feedback",
        )]
    return []


def counted_kinds(policy: Policy, kinds: frozenset[VisitKind]) -> frozenset[VisitKind]:
    """Kinds counting towards a cap; inspections and reviews join in where the agreement says so (002)."""
    if policy.inspection_visits_count:
        return kinds | {VisitKind.INSPECTION, VisitKind.REVIEW}
    return kinds


@dataclass(frozen=True)
class Usage:
    """One line of a teacher's allowance: used so far against a cap, this session."""

    label: str
    used: int
    cap: int
    param: str
    unit: str = ""

    def __str__(self) -> str:
        return f"{self.used} of {self.cap} {self.label}"


def usage(teacher_booked: tuple[Visit, ...], session_start: date, session_end: date, ctx: Context) -> list[Usage]:
    """The teacher's allowance in one session: each cap the policy sets, with what is used."""
    p = ctx.policy
    cal = ctx.calendar
    in_session = [v for v in teacher_booked
                  if v.status in BOOKED_STATUSES and session_start <= cal.local(v.start).date() <= session_end]
    lines = []
    if p.formal_visits_per_session is not None:
        kinds = counted_kinds(p, p.formal_kinds)
        lines.append(Usage("formal visits used this session", sum(v.kind in kinds for v in in_session),
                           p.formal_visits_per_session, "formal_visits_per_session"))
    obs = [v for v in in_session if v.kind in counted_kinds(p, p.observation_kinds)]
    if p.observations_per_year is not None:
        lines.append(Usage("observations used this year", len(obs), p.observations_per_year, "observations_per_year"))
    if p.observation_minutes_per_year is not None:
        lines.append(Usage("minutes", sum(v.minutes for v in obs), p.observation_minutes_per_year,
                           "observation_minutes_per_year", "minutes"))
    return lines


def cap_violations(plan: VisitPlan, facts: Facts, ctx: Context) -> list[Violation]:
    p = ctx.policy
    session = ctx.calendar.session_of(ctx.calendar.local(plan.start).date())
    if session is None:
        return []  # the calendar rule already refuses it
    others = tuple(v for v in facts.teacher_booked if v.id != plan.visit_id)
    found = []
    for line in usage(others, session.start, session.end, ctx):
        kinds = counted_kinds(p, p.formal_kinds if line.param == "formal_visits_per_session" else p.observation_kinds)
        if plan.kind not in kinds:
            continue
        adding = plan.minutes if line.unit == "minutes" else 1
        if line.used + adding > line.cap:
            what = (f"{plan.teacher.name} has {line.used} of {line.cap} {line.label}; "
                    f"this visit would need {adding} more" if line.unit else
                    f"{plan.teacher.name} has already had {line.used} of {line.cap} {line.label.split(' used')[0]} "
                    f"in session {session.name}")
            found.append(Violation(f"cap.{line.param}", what + ".", p.cite(line.param), field="teacher"))
    return found


def clash_violations(plan: VisitPlan, facts: Facts, ctx: Context) -> list[Violation]:
    people = {plan.teacher.chat_id: plan.teacher, **{v.chat_id: v for v in plan.visitors}}
    found, seen = [], set()
    for other in facts.busy:
        if other.id == plan.visit_id or other.status not in BUSY_STATUSES:
            continue
        if not (other.start < plan.end and plan.start < other.end):
            continue
        for chat_id in sorted(other.people & set(people)):
            if chat_id in seen:
                continue
            seen.add(chat_id)
            local = ctx.calendar.local(other.start)
            found.append(Violation(
                "clash",
                f"{people[chat_id].name} is already booked then (visit #{other.id}, "
                f"{local:%a %-d %b %H:%M}, {other.status}).",
                field="teacher" if chat_id == plan.teacher.chat_id else "visitors",
            ))
    return found


def prd_warnings(plan: VisitPlan, facts: Facts, ctx: Context) -> list[Violation]:
    p = ctx.policy
    if not p.prd_promoted_visitor or plan.kind is not VisitKind.PRD:
        return []
    if any(Role.PROMOTED in v.roles or Role.SLT in v.roles for v in plan.visitors):
        return []
    cal = ctx.calendar
    session = cal.session_of(cal.local(plan.start).date())
    promoted = {s.chat_id for s in facts.staff if Role.PROMOTED in s.roles or Role.SLT in s.roles}
    if session and any(
        v.kind is VisitKind.PRD and v.id != plan.visit_id and v.status in BOOKED_STATUSES
        and session.start <= cal.local(v.start).date() <= session.end and promoted & set(v.visitors)
        for v in facts.teacher_booked
    ):
        return []  # this session already has a PRD visit by promoted staff: 000 §3a is met
    return [Violation(
        "prd.promoted",
        "No visitor is promoted staff: remember that at least one PRD visit should be by a promoted member of staff.",
        p.cite("prd_promoted_visitor"),
        field="visitors",
        warning=True,
    )]


# --- alternatives ----------------------------------------------------------------------------------

_SEARCH_SCHOOL_DAYS = 15


def _search_days(start: datetime, cal: SchoolCalendar) -> list[date]:
    day = cal.local(start).date()
    return [*cal.school_days(day, _SEARCH_SCHOOL_DAYS, step=1),
            *cal.school_days(day - timedelta(days=1), _SEARCH_SCHOOL_DAYS, step=-1)]


def search_window(start: datetime, cal: SchoolCalendar) -> tuple[datetime, datetime]:
    """The span `nearest_slots` may look in for a visit wanted at `start`: the facts must cover it."""
    days = _search_days(start, cal) or [cal.local(start).date()]
    return cal.at(min(days), cal.day_start), cal.at(max(days), cal.day_end)


def nearest_slots(plan: VisitPlan, facts: Facts, ctx: Context, *, count: int = 3,
                  check_notice: bool = True) -> list[Slot]:
    """Up to `count` times nearest the wanted one at which the plan breaks no rule.

    Candidates are the period starts (or every half hour) on school days within three school
    weeks either side of the wanted day, nearest first.
    """
    cal = ctx.calendar
    wanted = cal.local(plan.start)
    earliest = cal.local(ctx.now).date()
    days = [d for d in _search_days(plan.start, cal) if d >= earliest]
    candidates = []
    for day in days:
        for start_time in start_times(cal, plan.minutes):
            start = cal.at(day, start_time)
            candidates.append((abs((start - wanted).total_seconds()), start))
    slots = []
    for _, start in sorted(candidates):
        if start == plan.start:
            continue
        moved = plan.at(start)
        if not [v for v in check_visit(moved, facts, ctx, check_notice=check_notice) if not v.warning]:
            slots.append(Slot(start, plan.minutes))
            if len(slots) == count:
                break
    return slots


def start_times(cal: SchoolCalendar, minutes: int):
    """Where to look for a free time: the period starts, or every half hour of the school day."""
    if cal.periods:
        return [p.start for p in cal.periods]
    times, t = [], datetime.combine(date.min, cal.day_start)
    last = datetime.combine(date.min, cal.day_end) - timedelta(minutes=minutes)
    while t <= last:
        times.append(t.time())
        t += timedelta(minutes=30)
    return times


# --- walks, dialogue, notes ------------------------------------------------------------------------

def walk_announcement_due(day: date, ctx: Context) -> tuple[datetime, datetime]:
    """(when the programme should go to all staff, the latest it may go) for a walk on `day`."""
    cal, p = ctx.calendar, ctx.policy
    if p.walk_announce_in_week_before:
        monday = day - timedelta(days=day.weekday()) - timedelta(days=7)
        week = [monday + timedelta(days=n) for n in range(5)]
        school_days = [d for d in week if cal.is_school_day(d)]
        if not school_days:  # the week before is a holiday: the last school day before it instead
            school_days = list(cal.school_days(monday - timedelta(days=1), 1, step=-1)) or [monday]
        return cal.at(school_days[0], cal.day_start), cal.at(school_days[-1], cal.day_end)
    days_back = list(cal.school_days(day - timedelta(days=1), p.walk_notice_school_days, step=-1))
    latest_day = days_back[-1] if days_back else day
    return cal.at(latest_day, cal.day_start), cal.at(latest_day, cal.day_end)


def check_walk(walk: Walk, walkers: tuple[Staff, ...], facts: Facts, ctx: Context) -> list[Violation]:
    """A learning-walk programme: calendar, frequency, notice, walkers at once, focus, who may walk."""
    p, cal = ctx.policy, ctx.calendar
    minutes = int((walk.end - walk.start).total_seconds() // 60)
    found = list(calendar_violations(walk.start, minutes, ctx))
    day = walk.day
    live = [w for w in facts.walks if not w.cancelled and w.id != walk.id]
    term, session = cal.term_of(day), cal.session_of(day)
    if term and p.walks_per_term is not None:
        in_term = [w for w in live if w.day in term]
        if len(in_term) >= p.walks_per_term:
            found.append(Violation(
                "walk.frequency",
                f"The {term.name} term already has {len(in_term)} learning walk"
                f"{'s' if len(in_term) != 1 else ''} (walk #{in_term[0].id}); the agreement allows {p.walks_per_term}.",
                p.cite("walks_per_term"), field="start"))
    if session and p.walks_per_year is not None:
        in_year = [w for w in live if session.start <= w.day <= session.end]
        if len(in_year) >= p.walks_per_year:
            found.append(Violation(
                "walk.frequency",
                f"Session {session.name} already has {len(in_year)} learning walks; the agreement allows {p.walks_per_year}.",
                p.cite("walks_per_year"), field="start"))
    _, latest = walk_announcement_due(day, ctx)
    # Too late if it is past the deadline, or if the programme could only go out after it (school time).
    if max(ctx.now, walk.announce_at or ctx.now) > latest:
        cite = "walk_announce_in_week_before" if p.walk_announce_in_week_before else "walk_notice_school_days"
        found.append(Violation(
            "walk.notice",
            f"It is too late to give all staff the notice the agreement requires for a walk on "
            f"{day:%a %-d %b}: the programme had to go out by {cal.local(latest):%a %-d %b %H:%M}.",
            p.cite(cite), field="start"))
    if len(walkers) > p.max_observers_at_once:
        found.append(Violation(
            "observers",
            f"At most {p.max_observers_at_once} colleagues may be on a learning walk at any time; "
            f"this names {len(walkers)}.",
            p.cite("max_observers_at_once"), field="visitors"))
    if not walkers:
        found.append(Violation("walk.walkers", "Name who is walking (walkers @name ...).", field="visitors"))
    for w in walkers:
        if not (w.roles & p.visitor_roles):
            found.append(Violation(
                "visitor.role", f"{w.name} is not among those who may go on a learning walk.",
                p.cite("visitor_roles"), field="visitors"))
    found += focus_violations(VisitKind.LEARNING_WALK, walk.focus, facts, ctx)
    return found


def check_dialogue(visit: Visit, at: datetime, minutes: int, facts: Facts, ctx: Context) -> list[Violation]:
    """The feedback dialogue: after the visit, promptly, in school hours, nobody double-booked."""
    p, cal = ctx.policy, ctx.calendar
    found = list(calendar_violations(at, minutes, ctx))
    if at < visit.end:
        found.append(Violation("dialogue.before", "The feedback dialogue comes after the visit.", field="start"))
    else:
        latest = cal.add_school_days(cal.local(visit.start).date(), p.dialogue_within_school_days)
        if cal.local(at).date() > latest:
            found.append(Violation(
                "dialogue.late",
                f"Feedback should be offered promptly: by {latest:%a %-d %b} "
                f"({p.dialogue_within_school_days} school days after the visit).",
                p.cite("dialogue_within_school_days"), field="start"))
    for other in facts.busy:
        if other.id != visit.id and other.start < at + timedelta(minutes=minutes) and at < other.end:
            found.append(Violation("clash", f"Someone involved is in visit #{other.id} then.", field="start"))
            break
    return found


def check_note(visit: Visit, text: str, ctx: Context) -> list[Violation]:
    p = ctx.policy
    found = []
    if visit.kind is VisitKind.PEER and p.peer_visits_date_only:
        found.append(Violation(
            "records.peer",
            "Peer visits keep only the date: no written record is made.",
            p.cite("peer_visits_date_only")))
    if p.no_grades and _GRADE_WORDS.search(text):
        found.append(Violation(
            "records.grades",
            "Notes avoid tick boxes and grades; describe what you saw and what you will talk about.",
            p.cite("no_grades")))
    return found


def kind_words(kind: VisitKind) -> str:
    return {
        VisitKind.LEARNING_WALK: "learning-walk visit",
        VisitKind.FORMAL: "formal visit",
        VisitKind.PEER: "peer visit",
        VisitKind.PRD: "PRD visit",
        VisitKind.REVIEW: "review visit",
        VisitKind.INSPECTION: "inspection visit",
        VisitKind.SUPPORT: "support visit",
    }[kind]
