"""The one command language of every chat surface: text in, a Command (or a friendly InputError) out."""
from __future__ import annotations

import re
from datetime import date

from bot.chat.reader import Reader, is_number, quoted, tokens
from bot.chat.usage import KINDS, ROLES, USAGE, command_list, help_text
from bot.chat.when import looks_like_duration, parse_duration, parse_time_or_period
from bot.domain.calendar import SchoolCalendar
from bot.domain.model import FindingKind, Role, VisitKind
from bot.errors import InputError
from bot.reply.card import Say, line
from bot.reports.commands import ShowCoverage, ShowSummary
from bot.usecases import commands as c

__all__ = ["help_text", "parse", "tokens"]

_ROLE_NAMES = frozenset(r.value for r in Role)
_HANDLE = re.compile(r"[\w.\-]{1,100}")


def parse(text: str, *, school_id: int, actor: str, today: date, calendar: SchoolCalendar) -> c.Command:
    """Read one command. Raises InputError, with the right usage line, for anything it cannot read."""
    words = tokens(text.strip())
    base = {"school_id": school_id, "actor": actor}
    if not words:
        raise InputError("Say what you'd like to do.", usage=command_list())
    head = words.pop(0).lower().lstrip("/")
    if head not in ("visit", "walk"):
        raise InputError(line("walkbot knows ", Say("visit"), " and ", Say("walk"), f", not '{head}'."),
                         usage=command_list())
    if not words:
        return c.Help(**base)
    verb = words.pop(0).lower()
    name = verb if head == "visit" else f"walk {verb}"
    if name == "staff":
        name = f"staff {words.pop(0).lower() if words else 'list'}"
    if name not in USAGE and name != "walk help":
        said = name if name.startswith("staff") else verb
        raise InputError(line(f"There is no command '{said}' after ", Say(head), "."), usage=command_list())
    r = Reader(words, name, today=today, calendar=calendar)
    if verb == "help":
        return c.Help(**base, topic=" ".join(r.words) or None)
    return _PARSERS[name](r, base)


def _propose(r: Reader, base: dict) -> c.Command:
    teacher = r.mention("whose class to visit, like @tom")
    when = r.when()
    fields: dict = {"minutes": None}
    visitors: list[str] = []
    while r.more():
        word = r.take("more").lower()
        if looks_like_duration(word):
            fields["minutes"] = parse_duration(word)
        elif word == "kind":
            kind = r.take(f"the kind of visit ({KINDS})").lower().replace("-", "_")
            try:
                fields["kind"] = VisitKind(kind)
            except ValueError:
                raise r.fail(f"'{kind}' is not a kind of visit; use one of: {KINDS}.")
        elif word in ("focus", "feedback"):
            fields[word] = r.text(f"the {word} in quotes")
        elif word in ("proforma", "pro-forma"):
            fields["pro_forma"] = r.text("the pro forma link")
        elif word == "cover":  # the visitors' own classes are covered then
            fields["cover"] = True
        elif word == "with":
            found = r.mentions()
            if not found:
                raise r.fail("Name who else is visiting after 'with', like with @dan.")
            visitors += found
        else:
            raise r.fail(f"I didn't understand {quoted(word)}.")
    return c.ProposeVisit(**base, teacher=teacher, when=when, visitors=tuple(visitors), **fields)


def _visit_only(cls):
    def parse_it(r: Reader, base: dict) -> c.Command:
        visit_id = r.visit_id()
        r.done()
        return cls(**base, visit_id=visit_id)
    return parse_it


def _with_reason(cls, what: str):
    def parse_it(r: Reader, base: dict) -> c.Command:
        visit_id = r.visit_id()
        return cls(**base, visit_id=visit_id, reason=r.rest_as_text(what))
    return parse_it


def _with_when(cls, duration: bool = False):
    def parse_it(r: Reader, base: dict) -> c.Command:
        visit_id = r.visit_id()
        when = r.when()
        extra = {}
        if duration and r.more() and r.peek().lower() != "cover":
            word = r.take("a duration")
            if not looks_like_duration(word):
                raise r.fail(f"{quoted(word)} is not a duration; write it like 20m or 1h.")
            extra["minutes"] = parse_duration(word)
        if duration and r.more() and r.peek().lower() == "cover":  # a move, like a proposal, may say cover
            r.take("cover")
            extra["cover"] = True
        r.done()
        return cls(**base, visit_id=visit_id, when=when, **extra)
    return parse_it


def _note(r: Reader, base: dict) -> c.Command:
    visit_id = r.visit_id()
    return c.WriteNote(**base, visit_id=visit_id, text=r.rest_as_text('the notes in quotes'))


def _record(r: Reader, base: dict) -> c.Command:
    visit_id = r.visit_id()
    if r.peek() and r.peek().lower() in ("agree", "agreed"):
        r.take("agree")
        r.done()
        return c.AgreeRecord(**base, visit_id=visit_id)
    return c.WriteRecord(**base, visit_id=visit_id, text=r.rest_as_text('the record of dialogue in quotes'))


def _object(r: Reader, base: dict) -> c.Command:
    visit_id = r.visit_id()
    observer = r.mention("the observer") if r.peek() and r.peek().startswith("@") else None
    word = (r.peek() or "").lower()
    if word in ("resolve", "resolved"):
        r.take(word)
        return c.ResolveObjection(**base, visit_id=visit_id, observer=observer,
                                  how=r.rest_as_text("how it was resolved, in quotes"))
    if word in ("withdraw", "withdrawn") and len(r.words) == 1:  # a reason may begin with the word
        r.take(word)
        return c.WithdrawObjection(**base, visit_id=visit_id, observer=observer)
    return c.ObjectToObserver(**base, visit_id=visit_id, observer=observer, reason=r.rest_as_text("why, in quotes"))


def _concern(r: Reader, base: dict) -> c.Command:
    about = None
    if (r.peek() or "").lower() == "about" and len(r.words) > 1 and r.words[1].startswith("@"):
        r.take("about")
        about = r.mention("whom it concerns, like @dan")
    return c.RaiseConcern(**base, about=about, text=r.rest_as_text("your concern, in quotes"))


def _unsafe(r: Reader, base: dict) -> c.Command:
    visit_id = r.visit_id()
    return c.ReportUnsafePractice(**base, visit_id=visit_id, text=r.rest_as_text("what you saw, in quotes"))


def _list(r: Reader, base: dict) -> c.Command:
    r.done()
    return c.ListVisits(**base)


def _limits(r: Reader, base: dict) -> c.Command:
    teacher = r.mention("whose allowance") if r.more() else None
    r.done()
    return c.ShowLimits(**base, teacher=teacher)


_STAFF_WORDS = ("roles", "role", "manager", "handle")


def _staff_add(r: Reader, base: dict) -> c.Command:
    person, handle = r.person_id("who to add, like @nina"), None
    name_words = []
    while r.more() and r.peek().lower() not in _STAFF_WORDS:
        name_words.append(r.take("their name"))
    name = " ".join(name_words).strip()
    if not name:
        raise r.fail('Say their full name, like "Nina Ross".')
    if len(name) > 200:
        raise r.fail("That name is too long: keep it under 200 characters.")
    fields: dict = {}
    while r.more():
        word = r.take("more").lower()
        if word in ("roles", "role"):
            fields["roles"] = _roles(r)
        elif word == "manager":
            fields["line_manager"] = r.mention("their line manager, like @rachel")
        elif word == "handle":
            handle = r.take("the handle people type after @, like nina").lstrip("@")
            if not _HANDLE.fullmatch(handle):
                raise r.fail(f"'{handle}' can't be a handle: use letters, digits, dots and dashes.")
        else:
            raise r.fail(f"I didn't understand {quoted(word)}.")
    return c.AddStaff(**base, person=person, name=name, handle=handle, **fields)


def _roles(r: Reader) -> frozenset[Role]:
    """`teacher,promoted` or `teacher, promoted` or `teacher promoted`."""
    words = [r.take(f"their roles ({ROLES})")]
    while r.more() and all(w in _ROLE_NAMES for w in r.peek().lower().split(",") if w):
        words.append(r.take("a role"))
    names = [w for word in words for w in word.lower().split(",") if w]
    unknown = [n for n in names if n not in _ROLE_NAMES]
    if unknown or not names:
        raise r.fail(f"'{', '.join(unknown) or ' '.join(words)}' is not a role; roles are {ROLES}.")
    return frozenset(Role(n) for n in names)


def _staff_remove(r: Reader, base: dict) -> c.Command:
    person = r.mention("who to remove, like @nina")
    r.done()
    return c.RemoveStaff(**base, person=person)


def _staff_list(r: Reader, base: dict) -> c.Command:
    r.done()
    return c.ListStaff(**base)


def _calendar(r: Reader, base: dict) -> c.Command:
    if not r.more():
        return c.ShowCalendar(**base)
    word = r.take("new").lower()
    if word != "new":
        raise r.fail(f"I didn't understand {quoted(word)}: say new for a new calendar address.")
    r.done()
    return c.NewCalendar(**base)


def _walk_plan(r: Reader, base: dict) -> c.Command:
    day = r.date()
    span = r.take("the times, like 09:00-11:00")
    first, sep, last = span.partition("-")
    if not sep:
        if r.peek() in ("-", "to"):
            r.take("-")
            last = r.take("the end time")
        else:
            raise r.fail(f"'{span}' is not a span of time; write it like 09:00-11:00 or P1-P3.")
    start, _ = parse_time_or_period(first, r.calendar)
    end_time, end_period = parse_time_or_period(last, r.calendar)
    if end_period:  # "P1-P3" means until the end of P3
        end_time = r.calendar.period(last).end
    if end_time <= start:
        raise r.fail("The walk must end after it starts.")
    walkers, rooms, room_minutes, said = (), (), None, {}
    while r.more():
        word = r.take("more").lower()
        if word in ("focus", "purpose", "feedback"):  # as /visit propose writes focus and feedback
            said[word] = r.text(f"the {word} in quotes")
        elif word in ("walkers", "with", "by"):
            walkers = r.mentions()
            if not walkers:
                raise r.fail("Name who is walking, like walkers @rachel @dan.")
        elif word == "rooms":
            rooms = r.mentions()
            if not rooms:
                raise r.fail("Name whose rooms are visited, like rooms @tom @amy.")
        elif looks_like_duration(word):
            room_minutes = parse_duration(word)
            if r.peek() == "each":
                r.take("each")
        else:
            raise r.fail(f"I didn't understand {quoted(word)}.")
    return c.PlanWalk(**base, day=day, start=start, end=end_time, focus=said.get("focus"), walkers=walkers,
                      rooms=rooms, room_minutes=room_minutes, purpose=said.get("purpose"),
                      feedback=said.get("feedback"))


_FINDING_WORDS = {"strength": FindingKind.STRENGTH, "strengths": FindingKind.STRENGTH,
                  "excellence": FindingKind.EXCELLENCE, "next": FindingKind.NEXT_STEP,
                  "next-step": FindingKind.NEXT_STEP, "next_step": FindingKind.NEXT_STEP}


def _walk_findings(r: Reader, base: dict) -> c.Command:
    """`walk findings 3 strength "..." next "..."`: one or more findings, each its kind then its words."""
    walk_id = _walk_number(r)
    findings = []
    while r.more() or not findings:
        word = r.take('a finding, like strength "..."').lower()
        kind = _FINDING_WORDS.get(word)
        if kind is None:
            raise r.fail(f"{quoted(word)} is not a kind of finding: say strength, excellence or next.")
        findings.append((kind, r.text(f"the {kind} in quotes")))
    return c.RecordFindings(**base, walk_id=walk_id, findings=tuple(findings))


def _walk_report(r: Reader, base: dict) -> c.Command:
    walk_id = _walk_number(r)
    if r.more():
        word = r.take("share").lower()
        if word != "share":
            raise r.fail(f"I didn't understand {quoted(word)}: say share to send the report to all staff.")
        r.done()
        return c.ShareReport(**base, walk_id=walk_id)
    return c.ShowReport(**base, walk_id=walk_id)


def _walk_number(r: Reader) -> int:
    word = r.take("which walk (its number)").removeprefix("#")
    if not is_number(word):
        raise r.fail(f"{quoted(word)} is not a walk number; use the number walkbot gave it, e.g. 3.")
    return int(word)


def _walk_id(cls, reason: bool = False):
    def parse_it(r: Reader, base: dict) -> c.Command:
        walk_id = _walk_number(r)
        if reason:
            return cls(**base, walk_id=walk_id, reason=r.rest_as_text("why, in quotes"))
        r.done()
        return cls(**base, walk_id=walk_id)
    return parse_it


def _walk_list(r: Reader, base: dict) -> c.Command:
    r.done()
    return c.ListWalks(**base)


def _nothing_more(cls):
    def parse_it(r: Reader, base: dict) -> c.Command:
        r.done()
        return cls(**base)
    return parse_it


_PARSERS = {
    "propose": _propose,
    "agree": _visit_only(c.AgreeVisit),
    "decline": _with_reason(c.DeclineVisit, "why, in quotes"),
    "suggest": _with_when(c.SuggestTime),
    "accept": _visit_only(c.AcceptSuggestion),
    "withdraw": _visit_only(c.WithdrawVisit),
    "cancel": _with_reason(c.CancelVisit, "why, in quotes"),
    "move": _with_when(c.MoveVisit, duration=True),
    "held": _visit_only(c.MarkHeld),
    "dialogue": _with_when(c.ScheduleDialogue),
    "notes": _note,
    "record": _record,
    "object": _object,
    "show": _visit_only(c.ShowVisit),
    "list": _list,
    "limits": _limits,
    "coverage": _nothing_more(ShowCoverage),
    "concern": _concern,
    "unsafe": _unsafe,
    "staff add": _staff_add,
    "staff remove": _staff_remove,
    "staff list": _staff_list,
    "calendar": _calendar,
    "walk plan": _walk_plan,
    "walk list": _walk_list,
    "walk show": _walk_id(c.ShowWalk),
    "walk cancel": _walk_id(c.CancelWalk, reason=True),
    "walk findings": _walk_findings,
    "walk report": _walk_report,
    "walk summary": _nothing_more(ShowSummary),
}
