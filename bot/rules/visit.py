"""The rules a visit's booking must keep: calendar, notice, length, who visits, clashes, and all of them at once."""
from __future__ import annotations

from datetime import datetime, timedelta

from bot.domain.model import BOOKED_STATUSES, BUSY_STATUSES, Role, Staff, VisitKind
from bot.domain.policy import Hours
from bot.rules.allowance import cap_violations
from bot.rules.focus import feedback_violations, focus_violations
from bot.rules.lesson import lesson_violations
from bot.rules.verdict import Context, Facts, Subject, Violation, VisitPlan


def check_visit(plan: VisitPlan, facts: Facts, ctx: Context, *, check_notice: bool = True) -> list[Violation]:
    """Every rule a booking breaks, warnings last."""
    if plan.kind is VisitKind.INSPECTION:
        return inspection_violations(plan, facts, ctx)
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
        *lesson_violations(plan, facts, ctx),
        *prd_warnings(plan, facts, ctx),
    ]
    return sorted(found, key=lambda v: v.warning)


def inspection_violations(plan: VisitPlan, facts: Facts, ctx: Context) -> list[Violation]:
    """An inspection is recorded, not agreed (000 §2b): only inside a declared inspection period, with no more
    observers at once than any visit; it counts toward the caps, and going past one is said plainly (a warning:
    the inspection happens anyway, but nothing else can be booked past that cap)."""
    p, cal = ctx.policy, ctx.calendar
    found = [*calendar_violations(plan.start, plan.minutes, ctx), *observer_violations(plan, ctx)]
    day = cal.local(plan.start).date()
    if p.inspections_in_declared_period and cal.inspection_on(day) is None:
        session = cal.session_of(day)
        declared = "; ".join(map(str, session.inspections)) if session and session.inspections else "none"
        found.append(Violation(
            "inspection.period",
            f"Inspection visits are recorded only during an inspection period SLT have declared in school.yml, and "
            f"none covers {day:%a %-d %b %Y} (declared this session: {declared}). Any other visit needs "
            f"{plan.teacher.name}'s agreement: propose it as another kind.",
            p.cite("inspections_in_declared_period", VisitKind.INSPECTION), field=Subject.KIND))
    over = [Violation(v.code, f"{v.message} The inspection is recorded all the same (it cannot be agreed in "
                              f"advance) and takes {plan.teacher.name} over the cap: no other visit can be booked "
                              "past it.", v.citation, v.field, warning=True)
            for v in cap_violations(plan, facts, ctx)]
    return found + over


def calendar_violations(start: datetime, minutes: int, ctx: Context, *, hours: Hours | None = None) -> list[Violation]:
    """On a school day, in the school day (or, for a feedback dialogue, in its `hours`), and not past."""
    cal = ctx.calendar
    local = cal.local(start)
    end = local + timedelta(minutes=minutes)
    day = local.date()
    when = f"{local:%a %-d %b %Y}"
    if start <= ctx.now:
        return [Violation("calendar.past", f"{when} at {local:%H:%M} has already passed.", field=Subject.START)]
    if day.weekday() >= 5:
        return [Violation("calendar.weekend", f"{when} is a weekend.", field=Subject.START)]
    if cal.term_of(day) is None:
        return [Violation("calendar.term", f"{when} is outside term time.", field=Subject.START)]
    if cal.holiday_on(day):
        return [Violation("calendar.holiday", f"{when} is a school holiday.", field=Subject.START)]
    if hours is not None:
        if end.date() != day or (local.time(), end.time()) not in hours:
            return [Violation(
                "calendar.hours",
                f"{local:%H:%M}–{end:%H:%M} is outside the hours for a feedback dialogue ({hours}).",
                ctx.policy.cite("dialogue_hours"), field=Subject.START)]
        return []
    if not cal.within_school_day(start, end):
        return [Violation(
            "calendar.hours",
            f"{local:%H:%M}–{end:%H:%M} is outside the school day "
            f"({cal.day_start:%H:%M}–{cal.day_end:%H:%M}).",
            field=Subject.START,
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
        ctx.policy.cite("min_notice_school_days", plan.kind),
        field=Subject.START,
    )]


def duration_violations(plan: VisitPlan, ctx: Context) -> list[Violation]:
    p = ctx.policy
    if plan.minutes <= 0:
        return [Violation("duration", "A visit must last at least a minute.", field=Subject.MINUTES)]
    if plan.kind is VisitKind.LEARNING_WALK and plan.minutes > p.walk_visit_max_minutes:
        return [Violation(
            "duration.walk",
            f"A learning-walk visit to one room lasts at most {p.walk_visit_max_minutes} minutes; "
            f"this asks for {plan.minutes}.",
            p.cite("walk_visit_max_minutes", plan.kind),
            field=Subject.MINUTES,
        )]
    if plan.minutes > p.max_visit_minutes:
        return [Violation(
            "duration",
            f"A visit lasts at most {p.max_visit_minutes} minutes; this asks for {plan.minutes}.",
            p.cite("max_visit_minutes", plan.kind),
            field=Subject.MINUTES,
        )]
    return []


def observer_violations(plan: VisitPlan, ctx: Context) -> list[Violation]:
    return observers_at_once(plan.visitors, ctx, plan.kind)


def observers_at_once(observers: tuple[Staff, ...], ctx: Context,
                      kind: VisitKind = VisitKind.LEARNING_WALK) -> list[Violation]:
    """A visit's visitors, or a walk's walkers, against the agreement's limit on observers at once, citing
    the clause for that kind of visit."""
    most = ctx.policy.max_observers_at_once
    if len(observers) <= most:
        return []
    return [Violation(
        "observers",
        f"At most {most} colleague{'s' if most != 1 else ''} may observe at once; this names {len(observers)}.",
        ctx.policy.cite("max_observers_at_once", kind),
        field=Subject.VISITORS,
    )]


def roles_may_visit(people: tuple[Staff, ...], ctx: Context,
                    kind: VisitKind = VisitKind.LEARNING_WALK) -> list[Violation]:
    """Each visitor or walker is among those the agreement lets visit."""
    allowed = ctx.policy.visitor_roles
    return [Violation(
        "visitor.role",
        f"{v.name} ({', '.join(sorted(v.roles))}) is not among those who may visit "
        f"({', '.join(sorted(allowed))}).",
        ctx.policy.cite("visitor_roles", kind),
        field=Subject.VISITORS,
    ) for v in people if not (v.roles & allowed)]


def who_may_visit_violations(plan: VisitPlan, facts: Facts, ctx: Context) -> list[Violation]:
    found = [Violation("visitor.self", f"{v.name} cannot visit their own class.", field=Subject.VISITORS)
             for v in plan.visitors if v.chat_id == plan.teacher.chat_id]
    found += roles_may_visit(tuple(v for v in plan.visitors if v.chat_id != plan.teacher.chat_id), ctx, plan.kind)
    objected = {o.observer for o in facts.objections}
    for v in plan.visitors:
        if v.chat_id in objected:
            found.append(Violation(
                "visitor.objection",
                f"{plan.teacher.name} has objected to {v.name} observing; that must be resolved "
                "at school level before they visit.",
                ctx.policy.cite("concerns_to_line_manager", plan.kind),
                field=Subject.VISITORS,
            ))
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
                field=Subject.TEACHER if chat_id == plan.teacher.chat_id else Subject.VISITORS,
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
        p.cite("prd_promoted_visitor", plan.kind),
        field=Subject.VISITORS,
        warning=True,
    )]
