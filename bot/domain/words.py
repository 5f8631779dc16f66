"""How the school's things read in a sentence: a time, a visit, a walk, a kind of visit, the conduct lines.

Shared by replies and notices, so a visit is described the same way wherever it is shown.
"""
from __future__ import annotations

from datetime import datetime
from typing import Mapping

from bot.domain.model import FindingKind, Staff, Visit, VisitKind, Walk
from bot.domain.school import School


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


def finding_words(kind: FindingKind, *, plural: bool = False) -> str:
    """A kind of finding as a walk's report heads it (Durants: "strengths and areas of excellence")."""
    one, many = {
        FindingKind.STRENGTH: ("Strength", "Strengths"),
        FindingKind.EXCELLENCE: ("Area of excellence", "Areas of excellence"),
        FindingKind.NEXT_STEP: ("Next step", "Next steps"),
    }[kind]
    return many if plural else one


def when_text(school: School, start: datetime, minutes: int | None = None) -> str:
    local = school.calendar.local(start)
    text = f"{local:%a %-d %b %Y} at {local:%H:%M}"
    return text + (f" for {minutes} minutes" if minutes else "")


def visit_line(school: School, visit: Visit, names: Mapping[str, str]) -> str:
    """One visit in a sentence: #12 formal visit to Tom Baker's class, Wed 3 Feb 2027 at 10:30 for 20 minutes."""
    visitors = ", ".join(names.get(v, v) for v in visit.visitors)
    text = (f"#{visit.id} {kind_words(visit.kind)} to {names.get(visit.teacher, visit.teacher)}'s class, "
            f"{when_text(school, visit.start, visit.minutes)}, by {visitors}")
    if visit.focus:
        text += f" · focus: {visit.focus}"
    return text


def conduct_lines(school: School) -> str:
    """The agreement's conduct lines, as carried in walk programmes and observers' reminders."""
    return "\n".join(f"• {line}" for line in school.policy.conduct)


def walk_line(school: School, walk: Walk) -> str:
    """One walk in a line: #2 Wed 10 Mar 09:00–11:00 · feedback in books."""
    cal = school.calendar
    return f"#{walk.id} {cal.local(walk.start):%a %-d %b %H:%M}–{cal.local(walk.end):%H:%M} · {walk.focus}"


def role_words(person: Staff) -> str:
    return ", ".join(sorted(person.roles))
