"""After the visit: the feedback dialogue's timing, and what notes and records may hold."""
from __future__ import annotations

import re
from datetime import datetime, timedelta

from bot.domain.model import Visit, VisitKind
from bot.rules.verdict import Context, Facts, Subject, Violation
from bot.rules.visit import calendar_violations

# Grades and tick boxes (004 §5): Ofsted-style grade words, "grade 3", box characters.
_GRADE_WORDS = re.compile(
    r"(\b(outstanding|inadequate|requires improvement|unsatisfactory|satisfactory)\b"
    r"|\bgrade[ds]?\s*[:=]?\s*[1-4]\b|[☐☑☒✓✔✗✘])",
    re.I,
)


def check_dialogue(visit: Visit, at: datetime, minutes: int, facts: Facts, ctx: Context) -> list[Violation]:
    """The feedback dialogue: after the visit, promptly, in school hours, nobody double-booked."""
    p, cal = ctx.policy, ctx.calendar
    found = list(calendar_violations(at, minutes, ctx))
    if at < visit.end:
        found.append(Violation("dialogue.before", "The feedback dialogue comes after the visit.", field=Subject.START))
    else:
        latest = cal.add_school_days(cal.local(visit.start).date(), p.dialogue_within_school_days)
        if cal.local(at).date() > latest:
            found.append(Violation(
                "dialogue.late",
                f"Feedback should be offered promptly: by {latest:%a %-d %b} "
                f"({p.dialogue_within_school_days} school days after the visit).",
                p.cite("dialogue_within_school_days"), field=Subject.START))
    for other in facts.busy:
        if other.id != visit.id and other.start < at + timedelta(minutes=minutes) and at < other.end:
            found.append(Violation("clash", f"Someone involved is in visit #{other.id} then.", field=Subject.START))
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
