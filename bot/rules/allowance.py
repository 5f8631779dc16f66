"""The caps: what counts toward them, each teacher's allowance used, and the cap rule itself."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bot.domain.model import BOOKED_STATUSES, Visit, VisitKind
from bot.domain.policy import Policy
from bot.rules.verdict import Context, Facts, Subject, Violation, VisitPlan


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

    @property
    def over(self) -> int:
        """How far past the cap (inspections are recorded whatever the count): 0 when within it."""
        return max(self.used - self.cap, 0)

    def __str__(self) -> str:
        text = f"{self.used} of {self.cap} {self.label}"
        if not self.over:
            return text
        return f"{text}: {' '.join(filter(None, (str(self.over), self.unit)))} over the cap"


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
            found.append(Violation(f"cap.{line.param}", what + ".", p.cite(line.param, plan.kind),
                                   field=Subject.TEACHER))
    return found
