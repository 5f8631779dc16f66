"""A learning walk's programme: when all staff must hear of it, and the rules the walk as a whole keeps."""
from __future__ import annotations

from datetime import date, datetime, timedelta

from bot.domain.model import Staff, VisitKind, Walk
from bot.rules.focus import focus_violations
from bot.rules.verdict import Context, Facts, Subject, Violation
from bot.rules.visit import calendar_violations, observers_at_once, roles_may_visit


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
                p.cite("walks_per_term"), field=Subject.START))
    if session and p.walks_per_year is not None:
        in_year = [w for w in live if session.start <= w.day <= session.end]
        if len(in_year) >= p.walks_per_year:
            found.append(Violation(
                "walk.frequency",
                f"Session {session.name} already has {len(in_year)} learning walks; the agreement allows {p.walks_per_year}.",
                p.cite("walks_per_year"), field=Subject.START))
    _, latest = walk_announcement_due(day, ctx)
    # Too late if it is past the deadline, or if the programme could only go out after it (school time).
    if max(ctx.now, walk.announce_at or ctx.now) > latest:
        cite = "walk_announce_in_week_before" if p.walk_announce_in_week_before else "walk_notice_school_days"
        found.append(Violation(
            "walk.notice",
            f"It is too late to give all staff the notice the agreement requires for a walk on "
            f"{day:%a %-d %b}: the programme had to go out by {cal.local(latest):%a %-d %b %H:%M}.",
            p.cite(cite), field=Subject.START))
    found += observers_at_once(walkers, ctx)
    if not walkers:
        found.append(Violation("walk.walkers", "Name who is walking.", field=Subject.VISITORS))
    found += roles_may_visit(walkers, ctx)
    found += focus_violations(VisitKind.LEARNING_WALK, walk.focus, facts, ctx)
    return found
