"""Every reply as a card: a use case's result, a refusal, a request that could not be read or run.

One place words each outcome; the console, Slack and Teams render the same card their own way.
"""
from __future__ import annotations

from functools import singledispatch
from typing import Callable

from bot.chat.glance import overview_card, settled, visit_sections
from bot.chat.usage import TYPED_HINTS
from bot.domain.school import School
from bot.domain.words import kind_words, role_words, visit_line, walk_line, when_text
from bot.errors import InputError, Refused, WalkbotError
from bot.notices import words
from bot.reply.card import (
    Action,
    Card,
    Field,
    Say,
    Section,
    Style,
    Tone,
    Verb,
    card,
    line,
)
from bot.reports.cards import coverage_card, summary_card
from bot.reports.coverage import Coverage
from bot.reports.summary import FindingsSummary
from bot.usecases.calendar import FeedAddress
from bot.usecases.results import (
    Allowance,
    Member,
    Outcome,
    Overview,
    ReportOutcome,
    Said,
    StaffChange,
    StaffList,
    StaffOutcome,
    VisitDetail,
    VisitDone,
    VisitList,
    WalkDone,
    WalkList,
    WalkOutcome,
    WalkReport,
)

__all__ = ["overview_card", "problem", "refusal", "reply", "settled"]

REFUSED = "The agreement doesn't allow that:"
NEAREST = "Nearest times that would be allowed: "


@singledispatch
def reply(result) -> Card:
    raise TypeError(f"no card for {type(result).__name__}")


# --- visits ----------------------------------------------------------------------------------------------

_DONE: dict[Outcome, Callable[[VisitDone], object]] = {
    Outcome.PROPOSED: lambda r: f"Proposed {_line(r)}. {_teacher(r)} has been asked to agree.",
    Outcome.RECORDED: lambda r: f"Recorded {_line(r)}. Inspection visits are recorded without agreement and count "
                                "towards the caps.",
    Outcome.AGREED: lambda r: f"Agreed: {_line(r)}.",
    Outcome.COUNTERED: lambda r: (f"You suggested {when_text(r.school, r.visit.suggested_start, r.visit.minutes)} for "
                                  f"visit #{r.visit.id}; the visitor has been asked to accept."),
    Outcome.DECLINED: lambda r: f"Declined visit #{r.visit.id}. The visitor has been told.",
    Outcome.WITHDRAWN: lambda r: f"Withdrew visit #{r.visit.id}. {_teacher(r)} has been told.",
    Outcome.CANCELLED: lambda r: f"Cancelled visit #{r.visit.id}. Everyone involved has been told.",
    Outcome.MOVED: lambda r: (f"Visit #{r.visit.id} is now proposed for "
                              f"{when_text(r.school, r.visit.start, r.visit.minutes)}; {_teacher(r)} has been asked "
                              "to agree the new time."),
    Outcome.HELD: lambda r: line(f"Visit #{r.visit.id} marked as held. Next: the feedback dialogue, ",
                                 Say(f"visit dialogue {r.visit.id} DATE TIME"), "."),
    Outcome.DIALOGUE_SCHEDULED: lambda r: (f"Feedback dialogue for visit #{r.visit.id}: "
                                           f"{when_text(r.school, r.visit.dialogue_at, r.school.policy.dialogue_minutes)}."),
    Outcome.NOTED: lambda r: f"Notes saved on visit #{r.visit.id}. Only the teacher visited and the visitors can read them.",
    Outcome.RECORD_WRITTEN: lambda r: (f"Record of dialogue for visit #{r.visit.id} saved; the others have been asked "
                                       "to agree it."),
    Outcome.RECORD_AGREED: lambda r: f"The record of dialogue for visit #{r.visit.id} is agreed by everyone and kept.",
    Outcome.RECORD_AGREED_BY_YOU: lambda r: (f"You agreed the record of dialogue for visit #{r.visit.id}; waiting for "
                                             "the others."),
    Outcome.HELD_DATE_ONLY: lambda r: (f"Visit #{r.visit.id} marked as held; its date is kept. Peer visits here keep "
                                       "only the date, so no feedback dialogue or record is asked for "
                                       f"({r.school.policy.cite('peer_visits_date_only', r.visit.kind)})."),
    Outcome.WALK_ROOM_HELD: lambda r: line(f"Visit #{r.visit.id} marked as held. A learning walk's rooms have no "
                                           "feedback dialogue of their own: the walkers record the walk's findings, ",
                                           Say(f'walk findings {r.visit.walk_id} strength "..."'), "."),
}


def _line(r: VisitDone) -> str:
    return visit_line(r.school, r.visit, r.names)


def _teacher(r: VisitDone) -> str:
    return r.names.get(r.visit.teacher, r.visit.teacher)


@reply.register
def _(result: VisitDone) -> Card:
    return card(_DONE[result.what](result), *(f"Note: {w}" for w in result.warnings), tone=Tone.DONE)


@reply.register
def _(result: VisitDetail) -> Card:
    v, school, names = result.visit, result.school, result.names
    fields = [Field("Class", names.get(v.teacher, v.teacher)),
              Field("Visitors", ", ".join(names.get(x, x) for x in v.visitors)),
              Field("When", when_text(school, v.start, v.minutes))]
    if v.suggested_start:
        fields.append(Field("Suggested instead", when_text(school, v.suggested_start)))
    fields += [Field("Focus", v.focus or "—"), Field("Feedback", v.feedback or "—")]
    if v.pro_forma:
        fields.append(Field("Pro forma", v.pro_forma))
    if v.reason:
        fields.append(Field("Reason", v.reason))
    if v.dialogue_at:
        fields.append(Field("Feedback dialogue", when_text(school, v.dialogue_at)))
    if result.show_notes:
        for note in v.notes:
            fields.append(Field(f"Note by {names.get(note.author, note.author)} "
                                f"({school.calendar.local(note.written_at):%-d %b})", note.text))
        if v.record:
            agreed = ", ".join(names.get(x, x) for x in sorted(v.record_agreed_by))
            fields.append(Field(f"Record of dialogue ({'agreed' if v.record_agreed else 'agreed so far by ' + agreed})",
                                v.record))
    return Card(f"Visit #{v.id} — {kind_words(v.kind)}, {v.status}", (Section(fields=tuple(fields)),))


@reply.register
def _(result: VisitList) -> Card:
    sections = visit_sections(result)
    return Card(sections=sections) if sections else card(
        "You have no visits coming up and nothing awaits your answer.")


@reply.register
def _(result: Allowance) -> Card:
    if not result.lines:
        return card(f"{result.teacher.name}: your agreement sets no cap on the number of visits in session "
                    f"{result.session.name}.")
    parts = " · ".join(str(used) for used in result.lines)
    return card(f"{result.teacher.name}, session {result.session.name}: {parts}",
                notes=tuple(f"({c})" for c in dict.fromkeys(result.citations)))


# --- walks --------------------------------------------------------------------------------------------

@reply.register
def _(result: WalkDone) -> Card:
    w, school = result.walk, result.school
    cal = school.calendar
    head = (f"Learning walk #{w.id}, {cal.local(w.start):%a %-d %b %Y %H:%M}–{cal.local(w.end):%H:%M}, "
            f"focus: {w.focus} · walking: {', '.join(result.names.get(x, x) for x in w.walkers)}"
            + "".join(f" · {label}: {said}" for label, said in (("purpose", w.purpose), ("feedback", w.feedback))
                      if said))
    match result.what:
        case WalkOutcome.PLANNED:
            lines = [f"Planned {head}.", f"The programme goes to all staff {when_text(school, w.announce_at)}."]
        case WalkOutcome.CANCELLED:
            lines = [f"Cancelled learning walk #{w.id}; anyone already told has been told it is off."]
        case WalkOutcome.SHOWN:
            lines = [head + (" (cancelled)" if w.cancelled else "")]
    lines += [f"  room: {visit_line(school, v, result.names)} [{v.status}]" for v in result.room_visits]
    return card(*lines, tone=Tone.INFO if result.what is WalkOutcome.SHOWN else Tone.DONE)


@reply.register
def _(result: WalkReport) -> Card:
    w = result.walk
    report = words.walk_report(result.school, w, result.findings, result.rooms_visited)
    n = len(result.findings)
    match result.what:
        case ReportOutcome.RECORDED:
            return card(f"Recorded your findings for learning walk #{w.id} ({n} so far). The {result.told} "
                        f"teacher{'s' if result.told != 1 else ''} whose classes it visited have been told they can "
                        "read them.", tone=Tone.DONE)
        case ReportOutcome.SHARED:
            return report.but(title=f"Shared with all staff: {report.title}", tone=Tone.DONE)
        case ReportOutcome.SHOWN:
            share = () if w.report_shared_at else (Section(lines=(line("SLT share it with all staff: ",
                                                                       Say(f"walk report {w.id} share"), "."),)),)
            return report.but(sections=(*report.sections, *share), tone=Tone.INFO)


@reply.register
def _(result: WalkList) -> Card:
    if not result.walks:
        return card("No learning walks are planned this session.")
    return Card(sections=(Section("Learning walks this session:",
                                  tuple(f"  {walk_line(result.school, w)}" for w in result.walks)),))


# --- the staff list ------------------------------------------------------------------------------------

@reply.register
def _(result: StaffChange) -> Card:
    p, school = result.person, result.school
    manager = f", line manager {result.names[p.line_manager]}" if p.line_manager in result.names else ""
    match result.what:
        case StaffOutcome.REMOVED:
            lines = [f"Took {p.name} off {school.name}'s staff list: they can no longer use walkbot, and their "
                     "visits are kept."]
            if result.in_school_file:
                lines.append(f"{p.name} is still listed in school.yml, so loading it again brings them back: "
                             "take them out of school.yml too.")
            return card(*lines, tone=Tone.DONE)
        case StaffOutcome.BACK:
            return card(f"{p.name} is back on {school.name}'s staff list ({role_words(p)}{manager}). "
                        "They have been told.", tone=Tone.DONE)
        case StaffOutcome.ADDED:
            return card(f"Added {p.name} to {school.name}'s staff list ({role_words(p)}{manager}). "
                        "They have been told.", tone=Tone.DONE)


@reply.register
def _(result: StaffList) -> Card:
    def entry(p) -> str:
        manager = f" · line manager {result.names[p.line_manager]}" if p.line_manager in result.names else ""
        added = "" if p.chat_id in result.in_school_file else " · added in chat"
        return f"  {p.mention:<10} {p.name} ({role_words(p)}){manager}{added}"

    return Card(sections=(Section(f"{result.school.name}'s staff list ({len(result.staff)}):",
                                  tuple(map(entry, result.staff))),))


@reply.register
def _(result: Member) -> Card:
    return card(f"You are {result.person.name} ({role_words(result.person)}) on {result.school.name}'s staff list.")


@reply.register
def _(result: Overview) -> Card:
    return overview_card(result)


@reply.register
def _(result: Said) -> Card:
    return card(result.text, *result.extra, tone=Tone.DONE)


reply.register(FindingsSummary, summary_card)  # SLT's reports (bot.reports), worded there for chat and file alike
reply.register(Coverage, coverage_card)


# --- calendar feeds ------------------------------------------------------------------------------------

_SUBSCRIBE = ("Add it as a calendar you subscribe to:",
              "• Outlook: Add calendar › Subscribe from web, and paste it",
              "• Google Calendar (on a computer): Other calendars › + › From URL",
              "• Apple Calendar: File › New Calendar Subscription (iPhone: Settings › Calendar › Accounts › "
              "Add Account › Other › Add Subscribed Calendar)")


@reply.register
def _(result: FeedAddress) -> Card:
    new = Say("visit calendar new")
    if result.url is None:
        made = result.school.calendar.local(result.since)
        return card(line(f"You have a calendar feed already, made {made:%-d %b %Y}. walkbot keeps only a fingerprint "
                         "of its address, so it can't show it again: find it in your calendar app's subscriptions, or "
                         "say ", new, " for a new address (the old one then stops working)."))
    return Card("Your calendar feed", (
        Section(lines=(("Your old address no longer works; here is your new one. " if result.renewed else "")
                       + "It is private: anyone with it sees when your visits are, so keep it to yourself.",
                       result.url)),
        Section(lines=_SUBSCRIBE),
        Section(lines=("It lists your visits (tentative until agreed), learning walks and feedback dialogues, with no "
                       "notes, and follows every move and cancellation (calendars look again every few hours).",
                       line("walkbot shows this address only now. If it gets out, say ", new,
                            ": this one then stops working."))),
    ), Tone.DONE)


# --- when the answer is no -----------------------------------------------------------------------------

def refusal(err: Refused, school: School | None, retry: Verb | None = None, label: str = "Propose", *,
            typed: bool = False) -> Card:
    """Every broken rule with its clause; the nearest allowed times, as actions where a form can retry them.
    typed: the request was a typed command, so say how to add what is missing to it."""
    def notes(v) -> tuple[str, ...]:
        hint = TYPED_HINTS.get(v.code) if typed else None
        return tuple(filter(None, (hint, str(v.citation) if v.citation else None)))

    sections = [Section(lines=(f"• {v.message}",), notes=notes(v)) for v in err.violations]
    if err.alternatives and school:
        times = [when_text(school, slot.start) for slot in err.alternatives]
        actions = tuple(Action(retry, f"{label} {when} instead", None, at=slot.start, key=str(n),
                               style=Style.PRIMARY if n == 0 else Style.DEFAULT)
                        for n, (when, slot) in enumerate(zip(times, err.alternatives))) if retry else ()
        sections.append(Section(lines=(NEAREST + "; ".join(times),), actions=actions))
    return Card(REFUSED, tuple(sections), Tone.REFUSED)


def problem(err: WalkbotError, school: School | None = None) -> Card:
    """Why a request did nothing, and how to say it right."""
    if isinstance(err, Refused):
        return refusal(err, school)
    usage = err.usage if isinstance(err, InputError) and err.usage else ()
    return card(err.line, *usage, tone=Tone.PROBLEM)
