"""The forms: what each asks and how its answers become a core command, for every surface alike.

A form is content only — its fields, their labels, which are needed — as a card is: Slack draws one as a
modal (handlers.slack.modals), Teams as an Adaptive Card in a dialog (handlers.teams.forms). A surface
reads the person's answers into a mapping by field id (strings; a tuple of staff ids for a field choosing
several people) and hands it here, so both check the same things the same way and build the same command.
When the core says no, `on_fields` sorts the refusal onto the fields it is about.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from enum import StrEnum
from typing import Any, Mapping, Sequence

from bot.chat.reader import keepable
from bot.chat.router import Reply
from bot.domain.model import VisitKind
from bot.domain.school import School
from bot.domain.timetable import Lesson
from bot.domain.words import kind_words
from bot.errors import Refused
from bot.reply.card import Card
from bot.rules.verdict import Subject
from bot.usecases import commands as c

TEXT_MAX = 2000  # the grammar's limit for focus, feedback and reasons
LENGTHS = (10, 15, 20, 30, 40, 45, 50, 60, 90, 120)  # minutes a visit may be chosen to last
# A form or button walkbot did not make (its metadata or value unreadable): a platform never sends one.
UNREADABLE = ("walkbot can't tell which visit this is about, so nothing was changed. "
              "Close it and answer from the message or your Home tab again.")


class FormName(StrEnum):
    PROPOSE = "propose"
    WALK = "walk"
    SUGGEST = "suggest"
    DECLINE = "decline"


class Input(StrEnum):
    """What a field asks for; each surface has its own control for each."""

    PERSON = "person"  # one of the staff
    PEOPLE = "people"  # several of the staff
    DATE = "date"
    TIME = "time"
    CHOICE = "choice"  # one of the field's options
    TEXT = "text"
    LONG_TEXT = "long_text"
    URL = "url"


@dataclass(frozen=True)
class Field:
    id: str
    label: str
    kind: Input
    need: str | None = None  # what to say when it is left empty; None: it may be
    hint: str | None = None
    options: tuple[tuple[str, str], ...] = ()  # (value, label) of a choice

    @property
    def optional(self) -> bool:
        return self.need is None


@dataclass(frozen=True)
class Form:
    name: FormName
    title: str
    submit: str  # the label of the button that sends it
    fields: tuple[Field, ...]
    intro: str | None = None
    subjects: Mapping[Subject, str] | None = None  # what a broken rule is about -> the field that shows it
    defaults: Mapping[str, str] | None = None  # values a fresh form starts with
    refreshes: frozenset[str] = frozenset()  # fields whose choice draws the form again (the teacher's lessons)

    def values(self, given: Mapping[str, Any] | None) -> dict[str, Any]:
        """What the form shows: its defaults, then whatever the person gave."""
        return {**(self.defaults or {}), **{k: v for k, v in (given or {}).items() if v}}


class FieldError(Exception):
    """A form value the core could not even be asked about (a missing date...), and the field it is in."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


# --- the forms -------------------------------------------------------------------------------------------------------

def minutes_words(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"{minutes} minutes"
    return f"{hours} hour{'s' if hours > 1 else ''}" + (f" {rest} minutes" if rest else "")


def lesson_words(school: School, start: datetime, lesson: Lesson) -> str:
    """A lesson as the propose form offers it: Thu 4 Feb, 8B Maths, room S12, P3."""
    return f"{school.calendar.local(start):%a %-d %b}, {lesson.label()}"


def propose_form(school: School, lessons: Sequence[tuple[datetime, Lesson]] | None = None) -> Form:
    """`lessons` (bot.usecases.visits.week_lessons): None for a school without a timetable, whose form is as it
    always was; with one, the form asks whether the visitor's own class is covered, and offers the teacher's lessons
    that week, where it knows the teacher, to choose instead of a date and time."""
    policy = school.policy
    longest = policy.max_visit_minutes or max(LENGTHS)
    lengths = sorted({m for m in LENGTHS if m <= longest} | {policy.default_visit_minutes})
    kinds = [k for k in VisitKind if k is not VisitKind.LEARNING_WALK]  # walks are planned as walks
    when = (Field("lesson", "Lesson", Input.CHOICE, hint="One of their lessons this week, or a date and time below",
                  options=tuple((f"{school.calendar.local(start):%Y-%m-%dT%H:%M}", lesson_words(school, start, x))
                                for start, x in lessons)),
            Field("date", "Date", Input.DATE), Field("time", "Time", Input.TIME)) if lessons else (
            Field("date", "Date", Input.DATE, need="Choose a date."),
            Field("time", "Time", Input.TIME, need="Choose a time."))
    fields = (
        Field("teacher", "Whose class?", Input.PERSON, need="Choose whose class to visit."),
        *when,
        Field("minutes", "How long", Input.CHOICE, need="Choose how long the visit lasts.",
              options=tuple((str(m), minutes_words(m)) for m in lengths)),
        Field("kind", "Kind of visit", Input.CHOICE, need="Choose the kind of visit.",
              options=tuple((k.value, kind_words(k).capitalize()) for k in kinds)),
        Field("focus", "Focus", Input.LONG_TEXT, hint="What you will look at, agreed with the teacher"),
        Field("feedback", "Feedback arrangements", Input.LONG_TEXT,
              hint="When and how you will talk about it afterwards"),
        Field("visitors", "Who else is visiting", Input.PEOPLE),
        Field("pro_forma", "Pro forma link", Input.URL,
              hint="Any note-taking sheet: it is shared with the teacher before the visit"),
        *((Field("cover", "Your own class then", Input.CHOICE, hint="If you teach then, is cover arranged?",
                 options=(("no", "I'm not teaching then"), ("yes", "Cover for my class is arranged (SLT are told)"))),)
          if lessons is not None else ()),
    )
    # The start is the date and time together, shown on the date.
    subjects = {Subject.START: "date", Subject.MINUTES: "minutes", Subject.VISITORS: "visitors",
                Subject.FOCUS: "focus", Subject.FEEDBACK: "feedback", Subject.TEACHER: "teacher", Subject.KIND: "kind"}
    return Form(FormName.PROPOSE, "Propose a visit", "Propose", fields,
                intro="The class teacher is asked to agree. walkbot checks your school's agreement first.",
                subjects=subjects,
                defaults={"minutes": str(policy.default_visit_minutes), "kind": VisitKind.PEER.value,
                          **({"cover": "no"} if lessons is not None else {})},
                refreshes=frozenset({"teacher"}) if lessons is not None else frozenset())


def walk_form(school: School) -> Form:
    minutes = school.policy.walk_visit_max_minutes
    each = f", {minutes} minutes each" if minutes else ""
    fields = (
        Field("date", "Date", Input.DATE, need="Choose a date."),
        Field("start", "Starts", Input.TIME, need="Choose when the walk starts."),
        Field("end", "Ends", Input.TIME, need="Choose when the walk ends."),
        Field("focus", "Focus", Input.LONG_TEXT, need="Say what the walk looks at.",
              hint="One of this session's focus areas: learning, never one person's performance"),
        Field("purpose", "Purpose", Input.LONG_TEXT, hint="Why the school walks: shared with all staff with the focus"),
        Field("feedback", "Feedback arrangements", Input.LONG_TEXT,
              hint="How staff will hear what the walk finds"),
        Field("walkers", "Who is walking", Input.PEOPLE, need="Choose who is walking."),
        Field("rooms", "Whose rooms", Input.PEOPLE,
              hint=f"Each room is proposed to its teacher, back to back{each}; all of them, or the walk is not planned"),
    )
    subjects = {Subject.START: "date", Subject.VISITORS: "walkers", Subject.FOCUS: "focus",
                Subject.PURPOSE: "purpose", Subject.FEEDBACK: "feedback"}
    return Form(FormName.WALK, "Plan a learning walk", "Plan", fields,
                intro="The programme goes to all staff when your agreement says it must.", subjects=subjects)


def suggest_form(visit_id: int) -> Form:
    fields = (Field("date", "Date", Input.DATE, need="Choose a date."),
              Field("time", "Time", Input.TIME, need="Choose a time."))
    return Form(FormName.SUGGEST, "Suggest another time", "Suggest", fields, subjects={Subject.START: "date"},
                intro=f"Visit #{visit_id}: the visitor is asked to accept the time you suggest.")


def decline_form(visit_id: int) -> Form:
    fields = (Field("reason", "Why?", Input.LONG_TEXT, need="Say why, so the visitor understands.",
                    hint="The visitor sees this."),)
    return Form(FormName.DECLINE, f"Decline visit #{visit_id}", "Decline", fields, subjects={})


# --- answers into commands -------------------------------------------------------------------------------------------

def at(values: Mapping[str, Any], local_iso: object) -> dict[str, Any] | None:
    """The form's values with the date and time of an alternative the person picked (None if it is no time)."""
    try:
        moment = datetime.fromisoformat(local_iso)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return {**values, "date": moment.date().isoformat(), "time": f"{moment:%H:%M}"}


def _day(values: Mapping[str, Any], field: str) -> date:
    try:
        return date.fromisoformat(values.get(field) or "")
    except (TypeError, ValueError):
        raise FieldError(field, "Choose a date.")


def _time(values: Mapping[str, Any], field: str) -> time:
    try:
        return time.fromisoformat(values.get(field) or "")
    except (TypeError, ValueError):
        raise FieldError(field, "Choose a time.")


def _when(values: Mapping[str, Any]) -> c.When:
    return c.When(day=_day(values, "date"), time=_time(values, "time"))


def _text(values: Mapping[str, Any], field: str) -> str | None:
    given = values.get(field)
    text = (given if isinstance(given, str) else "").strip() or None
    if text and len(text) > TEXT_MAX:  # the form's own input stops at it: a request that does not is forged
        raise FieldError(field, f"That text is too long: keep it under {TEXT_MAX:,} characters.")
    if text and not keepable(text):
        raise FieldError(field, "This holds an invisible control character (a NUL, say), which walkbot can't keep: "
                                "type it again.")
    return text


def _people(values: Mapping[str, Any], field: str) -> tuple[str, ...]:
    """Staff ids as the command language names people: @ and the id."""
    given = values.get(field) or ()
    return tuple(f"@{person}" for person in given if isinstance(person, str)) if not isinstance(given, str) else ()


def propose_command(values: Mapping[str, Any], *, school_id: int, actor: str) -> c.ProposeVisit:
    teacher = values.get("teacher")
    if not isinstance(teacher, str) or not teacher:
        raise FieldError("teacher", "Choose whose class to visit.")
    minutes = values.get("minutes")
    # Only a length the form offers: a value a platform never sends (0, 10**12, "20.5") is not quietly changed.
    if minutes is not None and not (isinstance(minutes, str) and minutes.isascii() and minutes.isdigit()
                                    and len(minutes) <= 4 and 0 < int(minutes) <= max(LENGTHS)):
        raise FieldError("minutes", "Choose how long the visit lasts.")
    try:
        kind = VisitKind(values.get("kind") or VisitKind.PEER)
    except ValueError:
        raise FieldError("kind", "Choose the kind of visit.")
    if values.get("lesson"):  # a lesson chosen is its date and time
        values = at(values, values["lesson"]) or {}
        if not values:
            raise FieldError("lesson", "Choose one of the lessons, or a date and a time.")
    cover = values.get("cover") or "no"
    if cover not in ("yes", "no"):
        raise FieldError("cover", "Say whether cover for your class is arranged.")
    return c.ProposeVisit(school_id=school_id, actor=actor, teacher=f"@{teacher}", when=_when(values),
                          minutes=int(minutes) if minutes else None, kind=kind, focus=_text(values, "focus"),
                          feedback=_text(values, "feedback"), pro_forma=_text(values, "pro_forma"),
                          visitors=_people(values, "visitors"), cover=cover == "yes")


def walk_command(values: Mapping[str, Any], *, school_id: int, actor: str) -> c.PlanWalk:
    day, start, end = _day(values, "date"), _time(values, "start"), _time(values, "end")
    if end <= start:
        raise FieldError("end", "The walk must end after it starts.")
    return c.PlanWalk(school_id=school_id, actor=actor, day=day, start=start, end=end, focus=_text(values, "focus"),
                      purpose=_text(values, "purpose"), feedback=_text(values, "feedback"),
                      walkers=_people(values, "walkers"), rooms=_people(values, "rooms"))


def suggest_command(values: Mapping[str, Any], visit_id: int, *, school_id: int, actor: str) -> c.SuggestTime:
    return c.SuggestTime(school_id=school_id, actor=actor, visit_id=visit_id, when=_when(values))


def decline_command(values: Mapping[str, Any], visit_id: int, *, school_id: int, actor: str) -> c.DeclineVisit:
    reason = _text(values, "reason")
    if not reason:
        raise FieldError("reason", "Say why, so the visitor understands.")
    return c.DeclineVisit(school_id=school_id, actor=actor, visit_id=visit_id, reason=reason)


# --- the core's no, on the form --------------------------------------------------------------------------------------

def on_fields(reply: Reply, form: Form) -> tuple[dict[str, str], Card | None]:
    """A refusal sorted onto the form: each broken rule against its field (clause quoted), and the core's whole
    reply to show above the fields unless those say it all (a rule no field shows, or times offered instead)."""
    err = reply.error
    if not isinstance(err, Refused):
        return {}, reply.card
    subjects = form.subjects or {}
    on: dict[str, str] = {}
    for v in err.violations:
        field = subjects.get(v.field) if v.field else None
        if field:
            on[field] = f"{on[field]}\n{v}" if field in on else str(v)
    says_it_all = all(v.field in subjects for v in err.violations) and not err.alternatives
    return on, None if says_it_all else reply.card
