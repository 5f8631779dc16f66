"""What walkbot says in its notices, as cards: one small function per kind of notice.

All the wording of notices lives here, so it reads the same wherever a notice is written (a use
case, a reminder plan, the weekly digest). Commands to type are `Say` parts or actions, never
literal text, so each chat surface writes them its own way (the console with a slash, Slack as
buttons). What people wrote (a focus, a reason, a record, a concern) goes in as it is: every
surface escapes it.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Iterable, Mapping, Sequence

from bot.domain.model import OPEN_STATUSES, Finding, FindingKind, Staff, Visit, VisitKind, VisitStatus, Walk
from bot.domain.school import School
from bot.domain.timetable import Lesson
from bot.domain.words import conduct_lines, finding_words, kind_words, role_words, visit_line, when_text
from bot.rules.lesson import cover_citation
from bot.rules.walk import individual_cite, walk_cite, walk_clauses
from bot.reply.actions import teacher_answers, visitor_answers
from bot.reply.card import Card, Field, Say, Section, Tone, card, line

Names = Mapping[str, str]
TO_BE_AGREED = "to be agreed"
WALK_FEEDBACK = "none to you alone: the walk's findings go into its report to all staff"


def _name(names: Names, chat_id: str) -> str:
    return names.get(chat_id, chat_id)


def _conduct(school: School, what: str) -> tuple[Section, ...]:
    """The agreement's conduct lines, as observers' reminders and walk programmes carry them."""
    if not school.policy.conduct:
        return ()
    return (Section(title=f"How {what} are conducted here:", lines=tuple(conduct_lines(school).split("\n"))),)


def _walk_conduct(school: School) -> tuple[Section, ...]:
    """The conduct lines, with the walk clauses they leave out (Durants §5 minimum disruption, §6 supportive)."""
    extra = tuple(f"• {said}" for said in walk_clauses(school.policy).conduct if said not in school.policy.conduct)
    if not extra:
        return _conduct(school, "walks")
    [section] = _conduct(school, "walks") or (Section(title="How walks are conducted here:"),)
    return (Section(title=section.title, lines=(*section.lines, *extra)),)


def _walk_fields(walk: Walk) -> tuple[Field, ...]:
    """What staff are told of a walk's aims: its purpose (where given), focus and feedback arrangements."""
    return tuple(Field(label, value) for label, value in (("Purpose", walk.purpose), ("Focus", walk.focus),
                                                          ("Feedback", walk.feedback)) if value)


# --- asking, and answering ---------------------------------------------------------------------------

def proposal(school: School, visit: Visit, names: Names, asker: str, lesson: Lesson | None = None) -> Card:
    """To the class teacher: someone would like to visit (the lesson, where the school has a timetable)."""
    lines = (f"{asker} would like to visit: {visit_line(school, visit, names)}.",)
    return Card(sections=(Section(
        lines=lines + ((f"The lesson: {lesson.label()}.",) if lesson else ()),
        fields=(Field("Feedback", visit.feedback or TO_BE_AGREED), *_pro_forma(school, visit)),
        notes=(str(school.policy.cite("pro_forma_shared_before")),) if visit.pro_forma else (),
        actions=teacher_answers(visit.id, visit.start)),))


def _pro_forma(school: School, visit: Visit) -> tuple[Field, ...]:
    """The note-taking form the visitor will use, shown to the teacher before they agree (000 Conduct)."""
    if visit.pro_forma:
        return (Field("Pro forma", visit.pro_forma),)
    return (Field("Pro forma", "none given"),) if school.policy.pro_forma_shared_before else ()


def moved(school: School, visit: Visit, asker: str) -> Card:
    """To the class teacher: a visitor moved the visit, which needs their agreement again (a proposal)."""
    return card(f"{asker} would like to move visit #{visit.id} to {when_text(school, visit.start, visit.minutes)}.",
                actions=teacher_answers(visit.id, visit.start), ask="It needs your agreement again:")


def walk_room(school: School, walk: Walk, visit: Visit, names: Names) -> Card:
    """To a class teacher: a learning walk would visit their class (a proposal), and who is walking (Trust §1)."""
    walkers = ", ".join(_name(names, w) for w in walk.walkers)
    return Card(sections=(Section(
        lines=(f"Learning walk #{walk.id} would visit your class {school.calendar.local(visit.start):%a %-d %b %H:%M} "
               f"for {visit.minutes} minutes (visit #{visit.id}).",),
        fields=(Field("Walking", walkers), *_walk_fields(walk)),
        actions=teacher_answers(visit.id, visit.start), ask="Say"),))


def inspection(school: School, visit: Visit, names: Names) -> Card:
    """To the class teacher: told, not asked, since an inspection visit cannot be agreed in advance (000 §2b)."""
    period = school.calendar.inspection_on(school.calendar.local(visit.start).date())
    during = f" during the {period}" if period else ""
    return card(f"An inspection visit has been recorded{during}: {visit_line(school, visit, names)}.",
                "Inspection visits cannot be agreed in advance, so you are told rather than asked. It counts "
                "towards your allowance, as other visits do.",
                notes=(str(school.policy.cite("inspections_in_declared_period", visit.kind)),))


def suggestion(school: School, visit: Visit, asker: str) -> Card:
    """To the visitors: the class teacher suggests another time."""
    return card(f"{asker} suggests {when_text(school, visit.suggested_start, visit.minutes)} instead for visit "
                f"#{visit.id}.", actions=visitor_answers(visit.id, visit.suggested_start), ask="Say")


def agreed(school: School, visit: Visit, names: Names, who: str) -> Card:
    return card(f"{who} agreed: {visit_line(school, visit, names)}.", tone=Tone.DONE)


def accepted(school: School, visit: Visit, names: Names, who: str) -> Card:
    """The visitor accepted the time the teacher suggested (an agreed notice)."""
    return card(f"{who} accepted the new time: {visit_line(school, visit, names)}.", tone=Tone.DONE)


def confirmed(school: School, visit: Visit, names: Names) -> Card:
    """To who agreed: no news for them, but the calendar file."""
    return card(f"Confirmed: {visit_line(school, visit, names)}. The calendar file adds it to your calendar.",
                tone=Tone.DONE)


def declined(visit: Visit, who: str, reason: str) -> Card:
    return card(f"{who} declined visit #{visit.id}: “{reason}”.")


def withdrawn(visit: Visit, who: str) -> Card:
    return card(f"{who} withdrew the proposed visit #{visit.id}.")


def cancelled(school: School, visit: Visit, who: str, reason: str) -> Card:
    return card(f"{who} cancelled visit #{visit.id} ({when_text(school, visit.start)}): “{reason}”.")


def cover_request(school: School, visit: Visit, names: Names, covered: Iterable[tuple[Staff, Lesson]]) -> Card:
    """To SLT: a visitor leaves a class of their own for a visit, saying cover is arranged: a cover request is needed,
    with the notice the agreement asks for a visit, and its clause on cover if it has one."""
    p = school.policy
    need = p.min_notice_school_days
    cover = cover_citation(p)
    notes = (f"Notice: the agreement asks for at least {need} school day{'s' if need != 1 else ''}' notice of a "
             f"visit ({p.cite('min_notice_school_days', visit.kind)}).",
             f"Cover: {cover}." if cover else "Cover: the agreement says nothing of it; it is arranged as the school "
                                              "arranges cover.")
    return card(*(f"{_name(names, who.chat_id)} leaves their own class, {lesson.label()}, for "
                  f"{visit_line(school, visit, names)}. They said cover is arranged." for who, lesson in covered),
                title="A cover request is needed", notes=notes)


def cover_released(school: School, visit: Visit, names: Names, covered: Iterable[tuple[Staff, Lesson]],
                   why: str) -> Card:
    """To SLT: the visit a cover request was for is cancelled or moved (`why`): that cover is not needed."""
    return card(*(f"{_name(names, who.chat_id)} no longer leaves their own class, {lesson.label()}, for "
                  f"{visit_line(school, visit, names)}: the visit was {why}." for who, lesson in covered),
                title="Cover no longer needed")


# --- after the visit ---------------------------------------------------------------------------------

def dialogue_prompt(school: School, visit: Visit, slots: Sequence[datetime]) -> Card:
    """The visit took place: hold the feedback dialogue, perhaps at one of these free times."""
    p, cal = school.policy, school.calendar
    times = ", ".join(f"{cal.local(at):%a %-d %b %H:%M}" for at in slots)
    offer = f" Times with no visit booked for any of you: {times}." if slots else ""
    return Card(sections=(Section(lines=(line(
        f"Visit #{visit.id} took place. Please hold the feedback dialogue (about {p.dialogue_minutes} minutes) within "
        f"{p.dialogue_within_school_days} school days: ", Say(f"visit dialogue {visit.id} DATE TIME"), f".{offer}"),)),
        _agreed_points(school, visit)))


def _agreed_points(school: School, visit: Visit) -> Section:
    """What the feedback dialogue is about: what was agreed before the visit (002 "focus on the agreed points")."""
    p = school.policy
    cited = p.cite("feedback_required_kinds", visit.kind)
    said = visit.kind in p.feedback_required_kinds and not cited.param.local_default
    fields = (Field("Agreed focus", visit.focus or "none was agreed"),
              *((Field("Feedback agreed", visit.feedback),) if visit.feedback else ()))
    return Section(fields=fields, notes=(str(cited),) if said else ())


def dialogue_scheduled(school: School, visit: Visit, at: datetime, minutes: int) -> Card:
    return Card(sections=(Section(lines=(f"Feedback dialogue for visit #{visit.id}: {when_text(school, at, minutes)}.",)),
                          _agreed_points(school, visit)))


def record(visit: Visit, who: str, text: str) -> Card:
    """Someone wrote the record of dialogue; the others agree it or write their own."""
    v = visit.id
    return card(f"{who} wrote the record of dialogue for visit #{v}: “{text}”",
                line("If it is right, say ", Say(f"visit record {v} agree"), "; if not, write your version with ",
                     Say(f'visit record {v} "..."'), "."))


def record_agreed(visit: Visit) -> Card:
    return card(f"The record of dialogue for visit #{visit.id} is agreed and kept.", tone=Tone.DONE)


# --- objections, concerns, the staff list ------------------------------------------------------------

def objection(visit: Visit, who: str, observer: str, reason: str) -> Card:
    """To whoever resolves it (the line manager, else the head): the teacher objects to an observer."""
    v = visit.id
    return card(f"{who} objects to {observer} observing their class (visit #{v}): “{reason}”. Until it is resolved "
                f"walkbot books {observer} into none of their lessons.",
                line("Please resolve it at school level, then say how: ", Say(f'visit object {v} resolve "..."'), "."))


def objection_resolved(visit_id: int, who: str, observer: str, how: str) -> Card:
    """To the teacher: their objection was resolved at school level."""
    return card(f"{who} has resolved your objection to {observer} observing your class (visit #{visit_id}): “{how}”. "
                f"{observer} may be proposed for your lessons again, which you agree or decline as ever.",
                tone=Tone.DONE)


def objection_withdrawn(visit_id: int, who: str, observer: str) -> Card:
    """To whoever had it to resolve: the teacher withdrew it."""
    return card(f"{who} has withdrawn their objection to {observer} observing their class (visit #{visit_id}): "
                "there is nothing left for you to resolve.", tone=Tone.DONE)


def concern(who: str, text: str, about: str | None = None) -> Card:
    """To whoever it was passed to; `about`, whom it concerns, is never among them."""
    regarding = f", concerning {about}" if about else ""
    return card(f"{who} has raised a concern about classroom visits{regarding}: “{text}”")


def unsafe_practice(school: School, visit: Visit, names: Names, who: str, text: str) -> Card:
    """To the head teacher (000 Conduct: "reported to the Head Teacher"), who decides what happens next."""
    return card(f"{who} reports practice seen as unsafe or below an acceptable standard: “{text}”",
                f"On {visit_line(school, visit, names)}.", "Please decide upon an appropriate course of action.")


def staff_added(school: School, person: Staff, who: str) -> Card:
    return card(line(f"{who} added you to {school.name}'s staff list in walkbot ({role_words(person)}). Say ",
                     Say("visit help"), " to see what you can do."))


# --- learning walks ----------------------------------------------------------------------------------

def walk_announcement(school: School, walk: Walk, names: Names) -> Card:
    """The programme as the agreements ask: date, time, focus and who is walking, with the conduct lines."""
    cal = school.calendar
    walkers = ", ".join(_name(names, w) for w in walk.walkers)
    title = (f"Learning walk #{walk.id} on {cal.local(walk.start):%A %-d %B} from {cal.local(walk.start):%H:%M} "
             f"to {cal.local(walk.end):%H:%M}.")
    return Card(title, (Section(fields=(*_walk_fields(walk), Field("Walking", walkers))),
                        *_walk_conduct(school)), Tone.ANNOUNCEMENT)


def walk_room_cancelled(walk: Walk, reason: str) -> Card:
    """To a class teacher whose room was on the walk (a cancelled notice)."""
    return card(f"Learning walk #{walk.id} is cancelled, so it will not visit your class: “{reason}”.")


def walk_cancelled(walk: Walk, reason: str) -> Card:
    return card(f"Learning walk #{walk.id} on {walk.day:%A %-d %B} is cancelled: “{reason}”.", tone=Tone.ANNOUNCEMENT)


def walk_note(school: School, visit: Visit, who: str, text: str) -> Card:
    """To a room's teacher: a walker wrote a note about their class, which they may see (Durants §10, Trust §9)."""
    return card(line(f"{who} wrote a note about your class on learning walk #{visit.walk_id} (visit #{visit.id}): "
                     f"“{text}”. All of the visit's notes: ", Say(f"visit show {visit.id}"), "."),
                notes=(str(school.policy.cite("teacher_sees_records")),))


def walk_findings(school: School, walk: Walk, count: int) -> Card:
    """To each teacher whose class the walk visited: written findings exist, and where to read them."""
    return card(line(f"The walkers recorded {count} finding{'s' if count != 1 else ''} from learning walk #{walk.id} "
                     f"({walk.day:%a %-d %b}). They describe practice across the rooms visited, not any one teacher. "
                     "Read every finding of the walk with ", Say(f"walk report {walk.id}"), "."),
                notes=(str(school.policy.cite("teacher_sees_records")),))


def walk_report(school: School, walk: Walk, findings: Sequence[Finding], rooms_visited: int) -> Card:
    """The walk's short written report: its findings by kind, with no names (to SLT, the walkers, all staff)."""
    p, said = school.policy, walk_clauses(school.policy)
    cal = school.calendar
    title = (f"Learning walk #{walk.id} report — {cal.local(walk.start):%a %-d %b %Y}, "
             f"{rooms_visited} classroom{'s' if rooms_visited != 1 else ''} visited")
    shared = (f"Shared with all staff {cal.local(walk.report_shared_at):%a %-d %b %Y}."
              if walk.report_shared_at else "Not shared with staff yet.")
    sections = [Section(fields=_walk_fields(walk), lines=(shared,))]
    for kind in FindingKind:
        texts = [f"• {f.text}" for f in findings if f.kind is kind]
        sections.append(Section(f"{finding_words(kind, plural=True)}:", tuple(texts) or ("none recorded",)))
    notes = tuple(str(c) for c in (walk_cite(p, said.report), individual_cite(p)) if c)
    return Card(title, (*sections, Section(notes=notes)), Tone.ANNOUNCEMENT)


# --- reminders and nudges (bot.notices.reminders) ----------------------------------------------------

def nudge_teacher(school: School, visit: Visit, names: Names) -> Card:
    """The class teacher has not answered a proposal yet."""
    return card(f"A gentle reminder: {_name(names, visit.proposer)} is waiting for your answer about "
                f"{visit_line(school, visit, names)}.", actions=teacher_answers(visit.id, visit.start))


def nudge_visitors(school: School, visit: Visit, names: Names) -> Card:
    """The visitors have not answered the time the teacher suggested yet."""
    return card(f"A gentle reminder: {_name(names, visit.teacher)} suggested "
                f"{when_text(school, visit.suggested_start, visit.minutes)} for visit #{visit.id} and is waiting for "
                "your answer.", actions=visitor_answers(visit.id, visit.suggested_start))


def _details(school: School, visit: Visit, names: Names, *, for_observers: bool) -> tuple[Section, ...]:
    """Focus, feedback and pro forma; for observers, the conduct lines too."""
    no_feedback = WALK_FEEDBACK if visit.kind is VisitKind.LEARNING_WALK else TO_BE_AGREED
    fields = [Field("Focus", visit.focus or TO_BE_AGREED), Field("Feedback", visit.feedback or no_feedback)]
    if visit.pro_forma:
        share = (f" (share it with {_name(names, visit.teacher)} before the visit)"
                 if for_observers and school.policy.pro_forma_shared_before else "")
        fields.append(Field("Pro forma", f"{visit.pro_forma}{share}"))
    return (Section(fields=tuple(fields)), *(_conduct(school, "visits") if for_observers else ()))


def _what(visit: Visit) -> str:
    return f"{kind_words(visit.kind)} #{visit.id}"


def reminder(school: School, visit: Visit, names: Names) -> Card:
    """To the visitors, the school day before."""
    return Card(sections=(
        Section(lines=(f"Reminder: you visit {_name(names, visit.teacher)}'s class "
                       f"{when_text(school, visit.start, visit.minutes)} ({_what(visit)}).",)),
        *_details(school, visit, names, for_observers=True)))


def reminder_soon(school: School, visit: Visit, names: Names, minutes: int) -> Card:
    """To the visitors, shortly before."""
    return Card(sections=(
        Section(lines=(f"In {minutes} minutes: your visit to {_name(names, visit.teacher)}'s class "
                       f"({_what(visit)}).",)),
        *_details(school, visit, names, for_observers=True)))


def reminder_teacher(school: School, visit: Visit, names: Names) -> Card:
    """To the class teacher, the school day before."""
    visitors = ", ".join(_name(names, v) for v in visit.visitors)
    return Card(sections=(
        Section(lines=(f"Reminder: {visitors} will visit your class {when_text(school, visit.start, visit.minutes)} "
                       f"({_what(visit)}).",)),
        *_details(school, visit, names, for_observers=False)))


def reminder_dialogue(school: School, visit: Visit, names: Names) -> Card:
    """The morning of the feedback dialogue, to everyone in it."""
    who = " and ".join(_name(names, x) for x in sorted(visit.people))
    at = school.calendar.local(visit.dialogue_at)
    return Card(sections=(Section(lines=(f"Today: the feedback dialogue for visit #{visit.id} at {at:%H:%M} "
                                         f"({school.policy.dialogue_minutes} minutes), for {who}.",)),
                          _agreed_points(school, visit)))


def nudge_held(school: School, visit: Visit, deadline: date) -> Card:
    """The visit was due to end: was it held? Then the dialogue follows."""
    cal, v = school.calendar, visit.id
    return card(line(f"Visit #{v} ({kind_words(visit.kind)}, {cal.local(visit.start):%a %-d %b %H:%M}) was due to "
                     f"end at {cal.local(visit.end):%H:%M}. If it took place, say ", Say(f"visit held {v}"),
                     f", and hold the feedback dialogue by {deadline:%a %-d %b}: ",
                     Say(f"visit dialogue {v} DATE TIME"), ". If it did not, ", Say(f'visit cancel {v} "reason"'), "."))


def nudge_dialogue_arrange(school: School, visit: Visit, deadline: date) -> Card:
    return card(line(f"Visit #{visit.id} still needs its feedback dialogue (about {school.policy.dialogue_minutes} "
                     f"minutes), by {deadline:%a %-d %b}: arrange it with ",
                     Say(f"visit dialogue {visit.id} DATE TIME"), "."))


def nudge_dialogue_record(visit: Visit) -> Card:
    return card(line(f"The feedback dialogue for visit #{visit.id} is done: write the record of dialogue with ",
                     Say(f'visit record {visit.id} "..."'), ", for everyone to agree."))


def nudge_record_agreement(visit: Visit) -> Card:
    v = visit.id
    return card(line(f"The record of dialogue for visit #{v} is waiting for your agreement: ",
                     Say(f"visit record {v} agree"), ", or write your version with ", Say(f'visit record {v} "..."'),
                     "."))


def escalation(school: School, visit: Visit, names: Names, deadline: date) -> Card:
    """To SLT (or the line manager): the feedback dialogue was not arranged in time."""
    p = school.policy
    return card(f"No feedback dialogue was arranged within {p.dialogue_within_school_days} school days "
                f"(by {deadline:%a %-d %b}) for {visit_line(school, visit, names)}. Please follow it up with "
                f"{', '.join(_name(names, x) for x in sorted(visit.people))}. "
                f"({p.cite('dialogue_within_school_days')})")


def _walk_reminder(school: School, walk: Walk, rooms: Iterable[Visit], names: Names, opening: str) -> Card:
    cal = school.calendar
    rooms = sorted(rooms, key=lambda r: r.start)
    agreed_rooms = [f"{_name(names, r.teacher)} {cal.local(r.start):%H:%M}" for r in rooms
                    if r.status is VisitStatus.AGREED]
    waiting = [_name(names, r.teacher) for r in rooms if r.status in OPEN_STATUSES]
    fields = [*_walk_fields(walk), Field("Rooms agreed", ", ".join(agreed_rooms) or "none yet")]
    if waiting:
        fields.append(Field("Not agreed (do not visit)", ", ".join(waiting)))
    headline = (f"{opening} learning walk #{walk.id} on {cal.local(walk.start):%a %-d %b}, "
                f"{cal.local(walk.start):%H:%M}–{cal.local(walk.end):%H:%M}.")
    return Card(sections=(Section(lines=(headline,), fields=tuple(fields)), *_walk_conduct(school)))


def walk_reminder(school: School, walk: Walk, rooms: Iterable[Visit], names: Names) -> Card:
    """To the walkers, the school day before: the rooms agreed, and those not to visit."""
    return _walk_reminder(school, walk, rooms, names, "Reminder:")


def walk_reminder_soon(school: School, walk: Walk, rooms: Iterable[Visit], names: Names, minutes: int) -> Card:
    return _walk_reminder(school, walk, rooms, names, f"In {minutes} minutes:")


def walk_findings_due(school: School, walk: Walk) -> Card:
    """To the walkers as the walk ends: the walk reports as a whole, so they record its findings (no room alone)."""
    w = walk.id
    return card(line(f"Learning walk #{w} is over. Record what it found against its focus ({walk.focus}) — strengths, "
                     "areas of excellence, next steps — about practice, naming nobody and grading nothing: ",
                     Say(f'walk findings {w} strength "..." excellence "..." next "..."'), ". SLT then share the "
                     "walk's report with all staff."),
                notes=tuple(str(c) for c in (individual_cite(school.policy),) if c))


# --- the school calendar changed (school.yml loaded again: bot.usecases.roster) ------------------------

def _times(school: School, slots: Sequence[datetime], what: str) -> str:
    cal = school.calendar
    return f" {what}: {', '.join(f'{cal.local(at):%a %-d %b %H:%M}' for at in slots)}." if slots else ""


def visit_off_the_calendar(school: School, visit: Visit, at: datetime, why: str, names: Names,
                           slots: Sequence[datetime], *, was_agreed: bool) -> Card:
    """To the teacher and the visitors: the time a visit was agreed or asked for is no longer a school time."""
    v, teacher = visit.id, _name(names, visit.teacher)
    unagreed = " It is no longer agreed for then, and nothing was cancelled:" if was_agreed else " Nothing was cancelled:"
    return card(line(f"The school calendar has changed: {why} So {kind_words(visit.kind)} #{v} to {teacher}'s class "
                     f"({when_text(school, at, visit.minutes)}) can't take place then.{unagreed} choose a new time "
                     "together with ", Say(f"visit move {v} DATE TIME"), " (it is then agreed again).",
                     _times(school, slots, "The nearest times the agreement allows")))


def dialogue_off_the_calendar(school: School, visit: Visit, at: datetime, why: str,
                              slots: Sequence[datetime]) -> Card:
    """To everyone in it: the feedback dialogue was arranged for what is no longer a school time."""
    v = visit.id
    return card(line(f"The school calendar has changed: {why} So the feedback dialogue for visit #{v}, arranged for "
                     f"{when_text(school, at)}, can't take place then. Arrange it again with ",
                     Say(f"visit dialogue {v} DATE TIME"), ".",
                     _times(school, slots, "Times with no visit booked for any of you")))


def walk_off_the_calendar(school: School, walk: Walk, why: str) -> Card:
    """To whoever planned the walk, its walkers and the teachers of its rooms: the walk's day is no longer a
    school day. Only SLT change a walk, so it is theirs to call off and plan again."""
    cal = school.calendar
    return card(line(f"The school calendar has changed: {why} So learning walk #{walk.id} "
                     f"({cal.local(walk.start):%a %-d %b %H:%M}–{cal.local(walk.end):%H:%M}) can't take place "
                     "then, and no reminders about it will go. SLT: call it off with ",
                     Say(f'walk cancel {walk.id} "the school calendar changed"'), " and plan it again with ",
                     Say("walk plan"), "."))


# --- the weekly digest -------------------------------------------------------------------------------

def digest(school: School, names: Names, monday: date, *, this_week: Sequence[Visit],
           waiting: Sequence[tuple[Visit, Sequence[str]]], overdue: Sequence[tuple[Visit, date]],
           near_a_cap: Sequence[tuple[str, Sequence[str]]],
           reports_due: Sequence[tuple[Walk, int]] = ()) -> Card:
    """To SLT: visits this week, answers outstanding (and whose), dialogues overdue, teachers near a cap, and
    learning walks whose report is still to share (with how many findings they have)."""
    def when(visit: Visit) -> str:
        return visit_line(school, visit, names)

    parts = [
        ("Visits this week", [when(v) for v in this_week]),
        ("Answers outstanding", [f"{when(v)} — waiting for {', '.join(_name(names, x) for x in who)}"
                                 for v, who in waiting]),
        ("Dialogues overdue", [f"{when(v)} — due by {due:%a %-d %b}; "
                               f"{'no dialogue arranged' if v.dialogue_at is None else 'record of dialogue not agreed'}"
                               for v, due in overdue]),
        ("Teachers near a cap", [f"{teacher}: {' · '.join(used)}" for teacher, used in near_a_cap]),
        ("Learning-walk reports to share", [line(f"walk #{w.id} ({w.day:%a %-d %b}), {n} finding{'s' if n != 1 else ''}"
                                                 " — ", Say(f"walk report {w.id}")) for w, n in reports_due]),
    ]
    return Card(f"Weekly digest for {school.name}, week of {monday:%a %-d %b %Y}", tuple(
        Section(f"{title} ({len(items)}):" if items else f"{title}: none",
                tuple(line("  • ", *((item,) if isinstance(item, str) else item)) for item in items))
        for title, items in parts))
