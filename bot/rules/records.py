"""After the visit: the feedback dialogue's timing, and what notes, records and walk findings may hold."""
from __future__ import annotations

import re
from datetime import datetime, timedelta

from bot.domain.model import Staff, Visit, VisitKind
from bot.rules.focus import PUPIL_WORDS, about_people_violations
from bot.rules.verdict import Context, Facts, Subject, Violation
from bot.rules.visit import calendar_violations

# A tick box (004 §5 "avoid a tick box and grades approach"): [ ], [x], or a box or tick character.
_TICK_BOX = re.compile(r"\[\s?[xX✓✔✗✘*]?\s?\]|[☐☑☒✓✔✗✘]")
# A score: a scoring word with a number ("Score: 7/10", "rated 3", "marks 4 out of 5") or "N/M overall".
_SCORE = re.compile(r"\b(?:score[ds]?|scoring|rated|rating|marked|marks?|points?)\b\s*[:=-]?\s*(?:at\s+|of\s+)?"
                    r"\d+(?:\.\d+)?(?:\s*(?:/|out of)\s*\d+)?|\b\d+\s*(?:/|out of)\s*\d+\s+overall\b", re.I)
_JUDGEMENT = r"(?:outstanding|good|requires improvement|inadequate|(?:un)?satisfactory)"
# A grade: "Grade 2", "graded good", or a grade word used as a judgement of a lesson ("Overall: good",
# "the lesson was outstanding", "a good lesson"). "Good use of talk partners" describes practice.
_GRADE = re.compile(
    rf"\bgrade[ds]?\b\s*[:=-]?\s*(?:as\s+)?(?:\d|[A-E]\b|{_JUDGEMENT})"
    rf"|\b(?:lessons?|teaching|overall|judged|judgement|judgment|verdict|category|observation)\b\s*"
    rf"(?:[:=-]|\b(?:is|was|were|judged|graded|rated|as)\b)?\s*(?:\b(?:is|was|as)\b\s*)?{_JUDGEMENT}\b"
    rf"|\b{_JUDGEMENT}\s+(?:lessons?|teaching|teacher|overall)\b"
    r"|\brequires improvement\b",
    re.I,
)


def grading_in(text: str) -> str | None:
    """The tick box, score or grade in `text`, if any. Pupils' own scores ("most pupils scored 7/10 on the
    quiz") describe their learning and are not a grade of the lesson."""
    for pattern in (_TICK_BOX, _GRADE, _SCORE):
        for found in pattern.finditer(text):
            clause = re.split(r"[.;\n]", text[:found.start()])[-1].lower()
            if pattern is _SCORE and any(w in PUPIL_WORDS for w in re.findall(r"[a-z]+", clause)):
                continue
            return found.group(0).strip()
    return None


def _grades(text: str, kind: VisitKind, ctx: Context, what: str) -> list[Violation]:
    p = ctx.policy
    found = grading_in(text) if p.no_grades else None
    if not found:
        return []
    return [Violation(
        "records.grades",
        f"{what} avoid tick boxes and grades, scores included (“{found}”): describe what you saw and what you will "
        "talk about.",
        p.cite("no_grades", kind), field=Subject.TEXT)]


def _date_only(visit: Visit, ctx: Context, what: str) -> list[Violation]:
    p = ctx.policy
    if visit.kind is VisitKind.PEER and p.peer_visits_date_only:
        return [Violation("records.peer", f"Peer visits keep only the date: no {what} is made or asked for.",
                          p.cite("peer_visits_date_only", visit.kind), field=Subject.TEXT)]
    return []


def check_dialogue(visit: Visit, at: datetime, minutes: int, facts: Facts, ctx: Context) -> list[Violation]:
    """The feedback dialogue: after the visit, promptly, in the dialogue hours of a school day (after school too,
    002: dialogue time is in the working time agreement), nobody double-booked."""
    p, cal = ctx.policy, ctx.calendar
    found = list(calendar_violations(at, minutes, ctx, hours=p.dialogue_hours))
    if at < visit.end:
        found.append(Violation("dialogue.before", "The feedback dialogue comes after the visit.", field=Subject.START))
    else:
        latest = cal.add_school_days(cal.local(visit.start).date(), p.dialogue_within_school_days)
        if cal.local(at).date() > latest:
            found.append(Violation(
                "dialogue.late",
                f"Feedback should be offered promptly: by {latest:%a %-d %b} "
                f"({p.dialogue_within_school_days} school days after the visit).",
                p.cite("dialogue_within_school_days", visit.kind), field=Subject.START))
    for other in facts.busy:
        if other.id != visit.id and other.start < at + timedelta(minutes=minutes) and at < other.end:
            found.append(Violation("clash", f"Someone involved is in visit #{other.id} then.", field=Subject.START))
            break
    return found


def check_note(visit: Visit, text: str, ctx: Context) -> list[Violation]:
    """Notes during a visit: informal, never a tick box or a grade (004 §5); none on a date-only peer visit (004 §7)."""
    return [*_date_only(visit, ctx, "written record"), *_grades(text, visit.kind, ctx, "Notes")]


def check_record(visit: Visit, text: str, ctx: Context) -> list[Violation]:
    """The record of dialogue: of a dialogue arranged or held, with no tick boxes or grades; none on a
    date-only peer visit."""
    p = ctx.policy
    date_only = _date_only(visit, ctx, "record of dialogue")
    if date_only:
        return date_only
    found = []
    if p.record_after_dialogue and visit.dialogue_at is None:
        found.append(Violation(
            "records.no_dialogue",
            f"No feedback dialogue has been arranged for visit #{visit.id} yet: the record of dialogue records "
            "that dialogue, so arrange it first.",
            p.cite("record_after_dialogue", visit.kind), field=Subject.TEXT))
    return found + _grades(text, visit.kind, ctx, "Records")


def findings_violations(text: str, staff: tuple[Staff, ...], ctx: Context) -> list[Violation]:
    """A learning walk's findings describe practice across the school: no member of staff named or judged,
    no grades, scores or tick boxes (001 §8, 003 §2 and §10, 004 §5)."""
    return [*about_people_violations(text, VisitKind.LEARNING_WALK, staff, ctx, what="A finding",
                                     field=Subject.TEXT),
            *_grades(text, VisitKind.LEARNING_WALK, ctx, "Findings")]
