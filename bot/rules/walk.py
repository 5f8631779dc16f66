"""A learning walk's programme: when all staff must hear of it, and the rules the walk as a whole keeps.

A walk is a whole-school activity: "a school-wide picture made up of many small snapshots" (Durants), with
"no evaluation of an individual teacher" (Durants §8, Trust §10). Its rooms are booked together or not at all,
and what it finds is the walk's, written about practice, never about a named teacher.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Iterable

from bot.domain.model import Finding, Staff, VisitKind, Walk
from bot.domain.policy import Citation, Param, Policy
from bot.rules.focus import focus_area_violations, focus_violations
from bot.rules.records import findings_violations
from bot.rules.verdict import Context, Facts, Subject, Violation
from bot.rules.visit import calendar_violations, observers_at_once, roles_may_visit


def _said(clause: str, quote: str) -> Param:
    return Param("walk", True, clause=clause, quote=quote)


@dataclass(frozen=True)
class WalkClauses:
    """What an agreement says of a learning walk as a whole, beyond the numbers its preset states.

    Quoted verbatim from ../shared/seeds (tests/unit/test_walk_findings.py checks). None: the agreement is silent.
    """

    purpose: Param | None = None  # the purpose is shared with staff
    purpose_required: bool = False  # ...and a walk must state one (Trust's "purpose or focus" is met by the focus)
    conduct: tuple[str, ...] = ()  # walk conduct the preset's conduct lines do not already carry
    no_individual: Param | None = None  # no evaluation of an individual teacher: no room is followed up alone
    report: Param | None = None  # the written outcome of the walk


WALK_CLAUSES: dict[str, WalkClauses] = {
    "durants-learning-walks": WalkClauses(
        purpose=_said("§2", "The purpose and the focus will be shared with the whole staff team including support "
                            "staff in the week before each ‘learning walk week’"),
        purpose_required=True,
        conduct=("‘Learning walks’ will be conducted with minimum disruption to teachers and pupils.",
                 "‘Learning walks’ will be undertaken in a supportive and professional manner."),
        no_individual=_said("§8", "There shall be no evaluation of an individual teacher during a ‘learning walk’."),
        report=_said("What will be the outcomes?", "Short written report highlighting strengths and areas of "
                                                   "excellence"),
    ),
    "trust-learning-walks": WalkClauses(
        purpose=_said("§2", "The purpose or focus of a 'learning walk' should be explained to all relevant staff "
                            "prior to its commencement."),
        no_individual=_said("§10", "There shall be no performance evaluation of an individual teachers teaching "
                                   "during a 'learning walk'."),
    ),
    "lnct-sharing-classroom-experience": WalkClauses(
        purpose=_said("§1", "All participants are clear regarding the purpose of any specific visit in which they "
                            "are involved."),
        purpose_required=True,
        report=_said("§8", "It is good practice for a summary report of findings for discussions at "
                           "departmental/stage or whole school level to be produced."),
    ),
    "learning-visits": WalkClauses(
        no_individual=_said("§1a", "Evaluative judgements on particular teachers will not be the priority."),
        report=_said("§1a", "Learning visits contribute to the gathering of whole school information relating to "
                            "the quality of learning and teaching."),
    ),
    "lnct-shared-learning": WalkClauses(
        report=_said("Links to SIP and PRD", "The results of shared learning should inform the ongoing process of "
                                             "collective self-evaluation and reflection."),
    ),
}


def walk_clauses(policy: Policy) -> WalkClauses:
    return WALK_CLAUSES.get(policy.preset_id, WalkClauses())


def walk_cite(policy: Policy, clause: Param | None) -> Citation | None:
    return Citation(policy.title, policy.document, clause) if clause else None


def individual_cite(policy: Policy) -> Citation | None:
    """Why a walk's room is never followed up, or written about, as one teacher's: the agreement's own words, or
    else its rule that a focus is not about one person."""
    said = walk_clauses(policy).no_individual
    return walk_cite(policy, said) if said else policy.cite("focus_not_about_individual", VisitKind.LEARNING_WALK)


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
    found += focus_area_violations(walk.focus, walk.day, ctx)  # one of the session's focus areas
    said = walk_clauses(p)
    if said.purpose_required and not (walk.purpose or "").strip():
        found.append(Violation("walk.purpose", "A learning walk needs a purpose, shared with staff with its focus.",
                               walk_cite(p, said.purpose), field=Subject.PURPOSE))
    if VisitKind.LEARNING_WALK in p.feedback_required_kinds and not (walk.feedback or "").strip():
        found.append(Violation(
            "feedback.missing", "A learning walk's feedback arrangements are agreed before it happens: say how staff "
                                "will hear what it finds.", p.cite("feedback_required_kinds", VisitKind.LEARNING_WALK),
            field=Subject.FEEDBACK))
    return found


def twice_named(rooms: Iterable[Staff], ctx: Context) -> list[Violation]:
    """A walk visits each room once: a room named twice would be two visits, counted twice against the caps."""
    seen, found = set(), []
    cap = "observations_per_year" if ctx.policy.observations_per_year is not None else None
    for teacher in rooms:
        if teacher.chat_id in seen:
            found.append(Violation(
                "walk.rooms.twice", f"{teacher.name}'s room is named twice: a learning walk visits each room once, "
                                    "and each visit counts towards their observations.",
                ctx.policy.cite(cap, VisitKind.LEARNING_WALK) if cap else None, field=Subject.TEACHER))
        seen.add(teacher.chat_id)
    return found


# --- findings: practice, not people ------------------------------------------------------------------

def check_findings(findings: Iterable[Finding], staff: tuple[Staff, ...], ctx: Context) -> list[Violation]:
    """Findings describe practice across the rooms visited: no member of staff named, no grade, score or tick box."""
    found = []
    for finding in findings:
        if not finding.text.strip():
            found.append(Violation("findings.empty", f"Write the {finding.kind} in quotes, like strength \"...\".",
                                   field=Subject.TEXT))
        else:
            found += findings_violations(finding.text, staff, ctx)
    return found
