"""What a visit looks at, and how feedback is arranged: the focus and feedback rules."""
from __future__ import annotations

import re

from bot.domain.model import Staff, VisitKind
from bot.domain.words import kind_words
from bot.rules.verdict import Context, Facts, Subject, Violation, VisitPlan

# Words that turn a focus on learning into a judgement of one person (003 §2, 001 §8, 000 §1a).
_INDIVIDUAL_WORDS = re.compile(r"\b(performance|capability|competence|competency|disciplinary)\b", re.I)


def focus_violations(kind: VisitKind, focus: str | None, facts: Facts, ctx: Context) -> list[Violation]:
    p = ctx.policy
    text = (focus or "").strip()
    if not text:
        if kind in p.focus_required_kinds:
            return [Violation(
                "focus.missing",
                f"A {kind_words(kind)} needs an agreed focus.",
                p.cite("focus_required_kinds"),
                field=Subject.FOCUS,
            )]
        return []
    if p.focus_not_about_individual and _about_one_person(text, facts.staff):
        return [Violation(
            "focus.individual",
            "The focus must be about pupils' learning, not about one person's performance.",
            p.cite("focus_not_about_individual"),
            field=Subject.FOCUS,
        )]
    return []


def _about_one_person(text: str, staff: tuple[Staff, ...]) -> bool:
    if _INDIVIDUAL_WORDS.search(text) or re.search(r"(^|\s)@\w", text):
        return True
    lowered = text.lower()
    return any(s.name.lower() in lowered for s in staff if len(s.name) > 3)


def feedback_violations(plan: VisitPlan, ctx: Context) -> list[Violation]:
    p = ctx.policy
    if plan.kind in p.feedback_required_kinds and not (plan.feedback or "").strip():
        return [Violation(
            "feedback.missing",
            f"Feedback arrangements for a {kind_words(plan.kind)} are agreed before it happens.",
            p.cite("feedback_required_kinds"),
            field=Subject.FEEDBACK,
        )]
    return []
