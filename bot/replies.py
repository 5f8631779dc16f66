"""Plain-text replies: what the console prints and what Slack shows as a message's fallback text."""
from __future__ import annotations

from functools import singledispatch

from bot.errors import InputError, Refused, WalkbotError
from bot.model import Walk
from bot.notices import visit_line, when_text
from bot.overview import Overview
from bot.results import Allowance, Said, VisitDetail, VisitDone, VisitList, WalkDone, WalkList
from bot.roster import Member, StaffChange, StaffList, role_words
from bot.rules import kind_words
from bot.school import School


def walk_line(school: School, walk: Walk) -> str:
    """One walk in a line: #2 Wed 10 Mar 09:00–11:00 · feedback in books."""
    cal = school.calendar
    return f"#{walk.id} {cal.local(walk.start):%a %-d %b %H:%M}–{cal.local(walk.end):%H:%M} · {walk.focus}"


@singledispatch
def render(result) -> str:
    raise TypeError(f"no text for {type(result).__name__}")


@render.register
def _(result: VisitDone) -> str:
    v, school = result.visit, result.school
    line = visit_line(school, v, result.names)
    teacher = result.names.get(v.teacher)
    match result.what:
        case "proposed":
            text = f"Proposed {line}. {teacher} has been asked to agree."
        case "recorded":
            text = f"Recorded {line}. Inspection visits are recorded without agreement and count towards the caps."
        case "agreed":
            text = f"Agreed: {line}."
        case "countered":
            text = (f"You suggested {when_text(school, v.suggested_start, v.minutes)} for visit #{v.id}; "
                    "the visitor has been asked to accept.")
        case "declined":
            text = f"Declined visit #{v.id}. The visitor has been told."
        case "withdrawn":
            text = f"Withdrew visit #{v.id}. {teacher} has been told."
        case "cancelled":
            text = f"Cancelled visit #{v.id}. Everyone involved has been told."
        case "moved":
            text = (f"Visit #{v.id} is now proposed for {when_text(school, v.start, v.minutes)}; "
                    f"{teacher} has been asked to agree the new time.")
        case "held":
            text = f"Visit #{v.id} marked as held. Next: the feedback dialogue, /visit dialogue {v.id} DATE TIME."
        case "dialogue scheduled":
            text = (f"Feedback dialogue for visit #{v.id}: "
                    f"{when_text(school, v.dialogue_at, school.policy.dialogue_minutes)}.")
        case "noted":
            text = f"Notes saved on visit #{v.id}. Only the teacher visited and the visitors can read them."
        case "record written":
            text = f"Record of dialogue for visit #{v.id} saved; the others have been asked to agree it."
        case "record agreed":
            text = f"The record of dialogue for visit #{v.id} is agreed by everyone and kept."
        case _:
            text = f"You agreed the record of dialogue for visit #{v.id}; waiting for the others."
    for warning in result.warnings:
        text += f"\nNote: {warning}"
    return text


@render.register
def _(result: VisitDetail) -> str:
    v, school, names = result.visit, result.school, result.names
    lines = [f"Visit #{v.id} — {kind_words(v.kind)}, {v.status}",
             f"Class: {names.get(v.teacher)} · Visitors: {', '.join(names.get(x, x) for x in v.visitors)}",
             f"When: {when_text(school, v.start, v.minutes)}"]
    if v.suggested_start:
        lines.append(f"Suggested instead: {when_text(school, v.suggested_start)}")
    lines.append(f"Focus: {v.focus or '—'} · Feedback: {v.feedback or '—'}")
    if v.pro_forma:
        lines.append(f"Pro forma: {v.pro_forma}")
    if v.reason:
        lines.append(f"Reason: {v.reason}")
    if v.dialogue_at:
        lines.append(f"Feedback dialogue: {when_text(school, v.dialogue_at)}")
    if result.show_notes:
        for note in v.notes:
            lines.append(f"Note by {names.get(note.author)} ({school.calendar.local(note.written_at):%-d %b}): {note.text}")
        if v.record:
            agreed = ", ".join(names.get(x, x) for x in sorted(v.record_agreed_by))
            lines.append(f"Record of dialogue ({'agreed' if v.record_agreed else 'agreed so far by ' + agreed}): {v.record}")
    return "\n".join(lines)


@render.register
def _(result: VisitList) -> str:
    def section(title: str, visits) -> list[str]:
        return [title, *(f"  {visit_line(result.school, v, result.names)} [{v.status}]" for v in visits)] if visits else []

    lines = (section("Awaiting your answer:", result.awaiting_me)
             + section("Awaiting an answer from others:", result.awaiting_others)
             + section("Coming up:", result.upcoming)
             + section("Dialogue or record still to agree:", result.follow_up))
    return "\n".join(lines) or "You have no visits coming up and nothing awaits your answer."


@render.register
def _(result: Allowance) -> str:
    if not result.lines:
        return (f"{result.teacher.name}: your agreement sets no cap on the number of visits in session "
                f"{result.session.name}.")
    parts = " · ".join(str(line) for line in result.lines)
    return f"{result.teacher.name}, session {result.session.name}: {parts}\n" + "\n".join(
        f"  ({c})" for c in dict.fromkeys(result.citations))


@render.register
def _(result: WalkDone) -> str:
    w, school = result.walk, result.school
    cal = school.calendar
    head = (f"Learning walk #{w.id}, {cal.local(w.start):%a %-d %b %Y %H:%M}–{cal.local(w.end):%H:%M}, "
            f"focus: {w.focus} · walking: {', '.join(result.names.get(x, x) for x in w.walkers)}")
    lines = []
    if result.what == "planned":
        lines.append(f"Planned {head}.")
        lines.append(f"The programme goes to all staff {when_text(school, w.announce_at)}.")
    elif result.what == "cancelled":
        lines.append(f"Cancelled learning walk #{w.id}; anyone already told has been told it is off.")
    else:
        lines.append(head + (" (cancelled)" if w.cancelled else ""))
    for v in result.room_visits:
        lines.append(f"  room: {visit_line(school, v, result.names)} [{v.status}]")
    for name, why in result.room_refusals:
        lines.append(f"  not booked: {name}'s room — {why}")
    return "\n".join(lines)


@render.register
def _(result: WalkList) -> str:
    if not result.walks:
        return "No learning walks are planned this session."
    return "Learning walks this session:\n" + "\n".join(f"  {walk_line(result.school, w)}" for w in result.walks)


@render.register
def _(result: StaffChange) -> str:
    p, school = result.person, result.school
    manager = f", line manager {result.names[p.line_manager]}" if p.line_manager in result.names else ""
    match result.what:
        case "removed":
            text = (f"Took {p.name} off {school.name}'s staff list: they can no longer use walkbot, and their "
                    "visits are kept.")
            if result.in_school_file:
                text += (f"\n{p.name} is still listed in school.yml, so loading it again brings them back: "
                         "take them out of school.yml too.")
            return text
        case "back":
            return f"{p.name} is back on {school.name}'s staff list ({role_words(p)}{manager}). They have been told."
        case _:
            return f"Added {p.name} to {school.name}'s staff list ({role_words(p)}{manager}). They have been told."


@render.register
def _(result: StaffList) -> str:
    def line(p) -> str:
        manager = f" · line manager {result.names[p.line_manager]}" if p.line_manager in result.names else ""
        added = "" if p.chat_id in result.in_school_file else " · added in chat"
        return f"  {p.mention:<10} {p.name} ({role_words(p)}){manager}{added}"

    return f"{result.school.name}'s staff list ({len(result.staff)}):\n" + "\n".join(map(line, result.staff))


@render.register
def _(result: Member) -> str:
    return f"You are {result.person.name} ({role_words(result.person)}) on {result.school.name}'s staff list."


@render.register
def _(result: Overview) -> str:
    parts = [render(result.visits)]
    if result.is_teacher:
        parts.append(render(result.allowance))
    parts.append(render(WalkList(result.school, result.visits.names, result.walks)))
    if result.counts:
        parts.append("Visits per teacher this session:\n" + "\n".join(
            f"  {row.teacher.name}: {' · '.join(map(str, row.lines)) or 'no caps'}" for row in result.counts))
    return "\n".join(parts)


@render.register
def _(result: Said) -> str:
    return "\n".join((result.text, *result.extra))


def render_error(err: WalkbotError, school: School | None = None) -> str:
    if isinstance(err, Refused):
        lines = ["The agreement doesn't allow that:"]
        for v in err.violations:
            lines.append(f"• {v.message}")
            if v.citation:
                lines.append(f"    {v.citation}")
        if err.alternatives and school:
            lines.append("Nearest times that would be allowed: " + "; ".join(
                when_text(school, slot.start) for slot in err.alternatives))
        return "\n".join(lines)
    if isinstance(err, InputError) and err.usage:
        return f"{err}\n{err.usage}"
    return str(err)
