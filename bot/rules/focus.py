"""What a visit looks at, and how feedback is arranged: the focus and feedback rules.

A focus is read for what it is about, by rules a teacher can follow and walkbot can quote back:
it names a member of staff (full name, first name, surname, handle, possessive, or a title and surname);
it puts a judging word (performance, quality, capability, ...) on a person rather than on pupils; or it
gathers evidence for a disciplinary or competence procedure. Anything else is about practice and
pupils' learning, which is what the agreements ask a focus to be.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from bot.domain.model import Staff, VisitKind
from bot.domain.words import kind_words
from bot.rules.verdict import Context, Facts, Subject, Violation, VisitPlan


class About(StrEnum):
    """What a piece of text is about, as far as the agreements care."""

    PRACTICE = "practice"  # teaching, learning, pupils: what a focus should be
    PERSON = "person"  # names a member of staff
    JUDGEMENT = "judgement"  # judges a person's performance
    PROCEDURE = "procedure"  # gathers evidence for a disciplinary or competence procedure


@dataclass(frozen=True)
class Reading:
    about: About
    said: str = ""  # the words that decided, to quote back
    person: Staff | None = None  # whom it names, when it names someone on the staff list


# Words that judge whoever they are put on: pupils' performance is learning, a teacher's is a judgement.
_JUDGING = frozenset({
    "performance", "performances", "quality", "effectiveness", "standard", "standards", "competence",
    "competency", "capability", "weakness", "weaknesses", "failings", "underperformance", "views", "opinions",
    "judgement", "judgment", "evaluation",
})
# Judging verbs: what follows them is what they judge.
_JUDGING_VERBS = frozenset({"judge", "judging", "judged", "evaluate", "evaluating", "grade", "grading", "graded",
                            "rate", "rating", "rated", "score", "scoring", "scrutinise", "scrutinising"})
# The procedures 002 keeps visits out of; competence and capability count only when not about pupils.
_PROCEDURE = frozenset({"disciplinary", "misconduct", "grievance", "dismissal"})
_PROCEDURE_UNLESS_PUPILS = frozenset({"competence", "competency", "capability"})
_PERSONS = frozenset({"teacher", "teachers", "individual", "individuals", "colleague", "colleagues", "practitioner",
                      "practitioners", "staff", "nqt", "ect", "probationer", "trainee", "he", "she", "him", "her",
                      "his", "hers"})
# What a judging verb grades when it grades a lesson: its teacher (a noun such as "the quality of teaching" does not).
_LESSONS = frozenset({"lesson", "lessons", "teaching"})
PUPIL_WORDS = frozenset({"pupil", "pupils", "learner", "learners", "child", "children", "student", "students", "class",
                     "classes", "year", "group", "groups", "boys", "girls", "readers", "writers"})
_SKIP = frozenset({"the", "a", "an", "each", "every", "this", "that", "these", "those", "their", "our", "its",
                   "all", "any", "one", "some", "individual's"})
_TITLE = re.compile(r"\b(?:Mr|Mrs|Ms|Miss|Mx|Dr)\.?\s+[A-Z][\w'’-]+")
_WORD = re.compile(r"@?[\w'’.-]+|[,;:()!?]")
_WINDOW = 3


def read_text(text: str, staff: tuple[Staff, ...]) -> Reading:
    """What `text` is about: a person (named, or judged), a procedure, or practice."""
    named = names_staff(text, staff)
    if named:
        return named
    title = _TITLE.search(text)
    if title:
        return Reading(About.PERSON, title.group(0))
    for words in _clauses(text):
        if "performance management" in " ".join(words):
            return Reading(About.PROCEDURE, "performance management")
        for i, word in enumerate(words):
            owner = _owner(words, i) if word in _JUDGING | _JUDGING_VERBS | _PROCEDURE_UNLESS_PUPILS else None
            if word in _PROCEDURE or (word in _PROCEDURE_UNLESS_PUPILS and owner is None):
                return Reading(About.PROCEDURE, word)
            if owner is not None and owner[0] in _PERSONS:
                first, last = sorted((i, owner[1]))
                return Reading(About.JUDGEMENT, " ".join(words[first:last + 1]))
    return Reading(About.PRACTICE)


def names_staff(text: str, staff: tuple[Staff, ...]) -> Reading | None:
    """The member of staff `text` names, if any: by full name, @handle, possessive (tom's, Baker's), or a first
    name or surname written as a name (capitalised), which a lower-case common word is not. The first of the
    staff list that the text names, by the first of those ways that does."""
    folded = text.casefold()
    for person in staff:  # a substring test first: the word-bounded search only where the name occurs at all
        if person.name.casefold() in folded and re.search(rf"(?<!\w){re.escape(person.name)}(?!\w)", text, re.I):
            return Reading(About.PERSON, person.name, person)
    index = _index(staff)
    named: tuple[int, int, str] | None = None  # (place on the staff list, place in the text, the token)
    for place, token in enumerate(t.replace("’", "'") for t in _WORD.findall(text)):
        bare = token.rstrip(".").removesuffix("'s").removesuffix("'")
        possessive = bare != token
        found = [index.parts.get(bare)]
        if token.startswith("@"):
            found.append(index.handles.get(bare[1:].lower()))
        if possessive:
            found += [index.folded_parts.get(bare.lower()), index.handles.get(bare.lower())]
        first = min((n for n in found if n is not None), default=None)
        if first is not None and (named is None or first < named[0]):
            named = (first, place, token)
    return None if named is None else Reading(About.PERSON, named[2], staff[named[0]])


@dataclass(frozen=True)
class _Index:
    """Where on a staff list each name part and handle first appears."""

    parts: dict[str, int]  # a first name or surname as written
    folded_parts: dict[str, int]  # ...in lower case
    handles: dict[str, int]  # a handle or chat id, lower case


_indexes: dict[int, tuple[tuple[Staff, ...], _Index]] = {}  # by the staff list's identity: a process keeps its list


def _index(staff: tuple[Staff, ...]) -> _Index:
    kept = _indexes.get(id(staff))
    if kept is not None and kept[0] is staff:
        return kept[1]
    index = _Index({}, {}, {})
    for n, person in enumerate(staff):
        for part in (p for p in person.name.split() if len(p) > 1):
            index.parts.setdefault(part, n)
            index.folded_parts.setdefault(part.lower(), n)
        for handle in (h.lower() for h in (person.handle, person.chat_id) if h):
            index.handles.setdefault(handle, n)
    if len(_indexes) >= 16:  # a few schools' lists at a time; an old one is read again if it comes back
        _indexes.clear()
    _indexes[id(staff)] = (staff, index)
    return index


def _clauses(text: str) -> list[list[str]]:
    """The text's words, lower case, in clauses: a judging word and its owner are in one clause."""
    clauses: list[list[str]] = [[]]
    for token in _WORD.findall(text.replace("’", "'")):
        if token in ",;:()!?" or token.lower() in ("and", "or", "but"):
            clauses.append([])
        else:
            clauses[-1].append(token.lower().strip(".").removesuffix("'s").removesuffix("'"))
    return [c for c in clauses if c]


def _owner(words: list[str], i: int) -> tuple[str, int] | None:
    """Whom the judging word at `i` is put on: "X of <owner>", else "<owner> X", else "<verb> <owner>"."""
    def ahead(start: int, lessons: bool = False) -> tuple[str, int] | None:
        seen = 0
        for j in range(start, len(words)):
            if words[j] in _SKIP:
                continue
            if words[j] in _PERSONS or words[j] in PUPIL_WORDS:
                while j + 1 < len(words) and (words[j + 1] in _PERSONS or words[j + 1] in PUPIL_WORDS):
                    j += 1  # the head of "class teacher", "pupil groups"
                return words[j], j
            if lessons and words[j] in _LESSONS:
                return "teacher", j
            seen += 1
            if seen == _WINDOW:
                break
        return None

    if i + 1 < len(words) and words[i + 1] in ("of", "by", "for"):
        found = ahead(i + 2)
        if found:
            return found
    for j in range(i - 1, max(i - _WINDOW, 0) - 1, -1):
        if words[j] in _PERSONS or words[j] in PUPIL_WORDS:
            return words[j], j
    return ahead(i + 1, lessons=True) if words[i] in _JUDGING_VERBS else None


def focus_violations(kind: VisitKind, focus: str | None, facts: Facts, ctx: Context) -> list[Violation]:
    p = ctx.policy
    text = (focus or "").strip()
    if not text:
        if kind in p.focus_required_kinds:
            return [Violation(
                "focus.missing",
                f"A {kind_words(kind)} needs an agreed focus.",
                p.cite("focus_required_kinds", kind),
                field=Subject.FOCUS,
            )]
        return []
    return about_people_violations(text, kind, facts.staff, ctx, what="The focus")


def about_people_violations(text: str, kind: VisitKind, staff: tuple[Staff, ...], ctx: Context, *,
                            what: str, field: Subject = Subject.FOCUS) -> list[Violation]:
    """`text` (a focus, a walk's findings) must be about practice and pupils, not one person or a procedure."""
    p = ctx.policy
    reading = read_text(text, staff)
    if reading.about in (About.PERSON, About.JUDGEMENT) and p.focus_not_about_individual:
        said = (f"names {reading.person.name} (“{reading.said}”)" if reading.person else
                f"names a person (“{reading.said}”)" if reading.about is About.PERSON else
                f"judges a person (“{reading.said}”)")
        return [Violation(
            "focus.individual",
            f"{what} {said}: it must be about practice and pupils' learning, not about one person's performance.",
            p.cite("focus_not_about_individual", kind),
            field=field,
        )]
    if reading.about is About.PROCEDURE and p.not_for_procedures:
        return [Violation(
            "focus.procedure",
            f"{what} gathers evidence for a procedure (“{reading.said}”): classroom visits are no part of "
            "disciplinary or competence procedures.",
            p.cite("not_for_procedures", kind),
            field=field,
        )]
    return []


def _same(text: str) -> str:
    return " ".join(text.casefold().strip(" .\"'“”‘’").split())


def focus_area_violations(focus: str | None, day: date, ctx: Context) -> list[Violation]:
    """A learning walk's focus is one of the session's focus areas from the improvement plan, when school.yml
    lists them (000 §1a, 002 "structured around these areas for improvement")."""
    p, session = ctx.policy, ctx.calendar.session_of(day)
    areas = session.focus_areas if session else ()
    if not (p.focus_from_improvement_plan and areas and (focus or "").strip()):
        return []
    if _same(focus) in {_same(a) for a in areas}:
        return []
    return [Violation(
        "focus.area",
        f"A learning walk's focus is one of session {session.name}'s focus areas from the improvement plan: "
        f"{'; '.join(areas)}. “{focus.strip()}” is not one of them.",
        p.cite("focus_from_improvement_plan", VisitKind.LEARNING_WALK),
        field=Subject.FOCUS,
    )]


def feedback_violations(plan: VisitPlan, ctx: Context) -> list[Violation]:
    p = ctx.policy
    if plan.kind in p.feedback_required_kinds and not (plan.feedback or "").strip():
        return [Violation(
            "feedback.missing",
            f"Feedback arrangements for a {kind_words(plan.kind)} are agreed before it happens.",
            p.cite("feedback_required_kinds", plan.kind),
            field=Subject.FEEDBACK,
        )]
    return []
