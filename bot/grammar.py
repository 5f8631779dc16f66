"""The one command language of every chat surface: text in, a Command (or a friendly InputError) out."""
from __future__ import annotations

import re
import shlex
from datetime import date

from bot import commands as c
from bot.calendar import SchoolCalendar
from bot.errors import InputError
from bot.model import Role, VisitKind
from bot.when import looks_like_duration, parse_date, parse_duration, parse_time_or_period

# Learning-walk visits are booked with /walk plan, so they are not offered here.
KINDS = ", ".join(k.value for k in VisitKind if k is not VisitKind.LEARNING_WALK)
ROLES = ", ".join(r.value for r in Role)
_ROLE_NAMES = frozenset(r.value for r in Role)
_SLACK_MENTION = re.compile(r"<@([A-Z0-9]+)(?:\|([^>]*))?>")
_HANDLE = re.compile(r"[\w.\-]{1,100}")

USAGE = {
    "propose": '/visit propose @teacher DATE TIME [DURATION] [kind KIND] [focus "..."] [feedback "..."] '
               '[with @visitor ...] [proforma LINK]\n'
               '  e.g. /visit propose @tom 2027-02-03 10:30 20m kind formal focus "questioning" '
               'feedback "chat after school"\n'
               f'  DATE: 2027-02-03, 3 Feb, tomorrow, next tue · TIME: 10:30, 2pm, P3 · DURATION: 20m, 1h · KIND: {KINDS}',
    "agree": "/visit agree ID — the class teacher agrees a proposed visit",
    "decline": '/visit decline ID "reason" — the class teacher declines, saying why',
    "suggest": "/visit suggest ID DATE TIME — the class teacher suggests another time",
    "accept": "/visit accept ID — the visitor accepts the time the teacher suggested",
    "withdraw": "/visit withdraw ID — the visitor withdraws a proposal",
    "cancel": '/visit cancel ID "reason" — call off an agreed visit',
    "move": "/visit move ID DATE TIME [DURATION] — a new time, which needs fresh agreement",
    "held": "/visit held ID — the visit took place",
    "dialogue": "/visit dialogue ID DATE TIME — schedule the feedback dialogue",
    "notes": '/visit notes ID "text" — notes for the teacher and visitors only (no grades)',
    "record": '/visit record ID "text" — write the record of dialogue; /visit record ID agree — agree it',
    "object": '/visit object ID [@observer] "reason" — object to a particular observer',
    "show": "/visit show ID — one visit in full",
    "list": "/visit list — your visits, and what awaits your answer",
    "limits": "/visit limits [@teacher] — the allowance used against each cap",
    "concern": '/visit concern "text" — raise a concern with your line manager',
    "help": "/visit help [COMMAND] — this help",
    "staff add": '/visit staff add @person "Full Name" [roles teacher,promoted] [manager @person] [handle NAME]'
                 ' — SLT: put someone on the staff list\n'
                 f'  e.g. /visit staff add @nina "Nina Ross" roles teacher manager @rachel · ROLES: {ROLES}',
    "staff remove": "/visit staff remove @person — SLT: take someone off the staff list (their visits are kept)",
    "staff list": "/visit staff list — SLT: everyone on the staff list, with their roles",
    "walk plan": '/walk plan DATE START-END focus "..." walkers @a @b [rooms @t1 @t2 ...] [DURATION each]\n'
                 '  e.g. /walk plan 2027-02-10 09:00-11:00 focus "feedback in books" walkers @rachel @dan',
    "walk list": "/walk list — learning walks this session",
    "walk show": "/walk show ID — one walk",
    "walk cancel": '/walk cancel ID "reason" — call a walk off (SLT)',
}


def _quoted(word: str, longest: int = 30) -> str:
    """A word someone typed, quoted back in a reply: shortened, so a pasted essay is not echoed whole."""
    return f"'{word}'" if len(word) <= longest else f"'{word[:longest - 1]}…'"


def _is_number(word: str) -> bool:
    """A visit or walk number: ASCII digits only (str.isdigit() also takes '²', which int() refuses), and
    few enough that int() reads them (it refuses thousands of digits) and the database can hold it."""
    return word.isascii() and word.isdigit() and len(word) <= 10 and 0 < int(word) < 2**31


def help_text(topic: str | None = None) -> str:
    if topic:
        key = topic.strip().lower().removeprefix("/").removeprefix("visit ").strip()
        # "staff" or "walk" alone: every command that starts with it.
        found = [usage for name, usage in USAGE.items() if name == key or name.startswith(key + " ")]
        if found:
            return "\n".join(found)
        raise InputError(f"There is no command '{topic}'.", usage=_command_list())
    lines = ["walkbot books classroom visits as your staff agreement says. Commands:"]
    lines += [f"• {usage.splitlines()[0]}" for usage in USAGE.values()]
    return "\n".join(lines)


def _command_list() -> str:
    return "Commands: " + ", ".join(USAGE) + ". Say /visit help COMMAND for one."


def tokens(text: str) -> list[str]:
    # Chat apps turn straight quotes into curly ones; shlex only knows the straight kind.
    text = text.translate(str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'"}))
    try:
        return shlex.split(text)
    except ValueError:
        raise InputError('A quotation mark is not closed: put the text in a pair of quotes, like focus "questioning".')


class _Reader:
    """Walks through the words of one command, with context for error messages."""

    def __init__(self, words: list[str], name: str, *, today: date, calendar: SchoolCalendar):
        self.words, self.name, self.today, self.calendar = words, name, today, calendar

    def fail(self, message: str) -> InputError:
        return InputError(message, usage=USAGE.get(self.name))

    def more(self) -> bool:
        return bool(self.words)

    def peek(self) -> str | None:
        return self.words[0] if self.words else None

    def take(self, what: str) -> str:
        if not self.words:
            raise self.fail(f"Say {what}.")
        return self.words.pop(0)

    def visit_id(self) -> int:
        word = self.take("which visit (its number, e.g. 12)").removeprefix("#")
        if not _is_number(word):
            raise self.fail(f"{_quoted(word)} is not a visit number; use the number walkbot gave it, e.g. 12.")
        return int(word)

    def mention(self, what: str) -> str:
        word = self.take(what)
        if not re.fullmatch(r"@[\w.\-]+|<@[A-Z0-9]+(\|[^>]*)?>", word):
            raise self.fail(f"{_quoted(word)} is not a person: name them with @, like @tom.")
        return word

    def mentions(self) -> tuple[str, ...]:
        found = []
        while self.peek() and (self.peek().startswith("@") or self.peek().startswith("<@")):
            found.append(self.mention("a person"))
        return tuple(found)

    def person_id(self, what: str) -> tuple[str, str | None]:
        """Someone not (yet) on the staff list: their chat id, and the handle Slack's <@U123|nina> carries."""
        word = self.mention(what)
        slack = _SLACK_MENTION.fullmatch(word)
        if not slack:
            return word[1:], None
        handle = slack[2] if slack[2] and _HANDLE.fullmatch(slack[2]) else None
        return slack[1], handle

    def when(self) -> c.When:
        day = self.date()
        clock_time, _ = parse_time_or_period(self.take("a time, like 10:30, 2pm or P3"), self.calendar)
        return c.When(day=day, time=clock_time)

    def date(self) -> date:
        if not self.words:
            raise self.fail("Say a date, like 2027-02-03, 3 Feb, tomorrow or next tue.")
        # A date may be one, two or three words ("3 Feb 2027", "next tue"): take the longest that reads.
        errors = []
        for n in range(min(3, len(self.words)), 0, -1):
            try:
                day = parse_date(" ".join(self.words[:n]), self.today)
            except InputError as err:
                errors.append(err)
                continue
            del self.words[:n]
            return day
        # "31 Feb" fails as a whole with a precise reason; prefer that to "couldn't read '31'".
        precise = [e for e in errors if not str(e).startswith("I couldn't read")]
        raise self.fail(str(precise[0] if precise else errors[-1]))

    def text(self, what: str) -> str:
        word = self.take(what).strip()
        if not word:
            raise self.fail(f"{what[0].upper()}{what[1:]} can't be empty.")
        if len(word) > 2000:
            raise self.fail("That text is too long: keep it under 2,000 characters.")
        return word

    def rest_as_text(self, what: str) -> str:
        if not self.words:
            raise self.fail(f"Say {what}.")
        text = " ".join(self.words).strip()
        self.words = []
        if len(text) > 2000:
            raise self.fail("That text is too long: keep it under 2,000 characters.")
        return text

    def done(self) -> None:
        if self.words:
            raise self.fail(f"I didn't understand '{' '.join(self.words)}'.")


def parse(text: str, *, school_id: int, actor: str, today: date, calendar: SchoolCalendar) -> c.Command:
    """Read one command. Raises InputError, with the right usage line, for anything it cannot read."""
    words = tokens(text.strip())
    base = {"school_id": school_id, "actor": actor}
    if not words:
        raise InputError("Say what you'd like to do.", usage=_command_list())
    head = words.pop(0).lower().lstrip("/")
    if head not in ("visit", "walk"):
        raise InputError(f"walkbot knows /visit and /walk, not '{head}'.", usage=_command_list())
    if not words:
        return c.Help(**base)
    verb = words.pop(0).lower()
    name = verb if head == "visit" else f"walk {verb}"
    if name == "staff":
        name = f"staff {words.pop(0).lower() if words else 'list'}"
    if name not in USAGE and name != "walk help":
        said = name if name.startswith("staff") else verb
        raise InputError(f"There is no command '/{head} {said}'.", usage=_command_list())
    r = _Reader(words, name, today=today, calendar=calendar)
    if verb == "help":
        return c.Help(**base, topic=" ".join(r.words) or None)
    return _PARSERS[name](r, base)


def _propose(r: _Reader, base: dict) -> c.Command:
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
        elif word == "with":
            found = r.mentions()
            if not found:
                raise r.fail("Name who else is visiting after 'with', like with @dan.")
            visitors += found
        else:
            raise r.fail(f"I didn't understand {_quoted(word)}.")
    return c.ProposeVisit(**base, teacher=teacher, when=when, visitors=tuple(visitors), **fields)


def _visit_only(cls):
    def parse_it(r: _Reader, base: dict) -> c.Command:
        visit_id = r.visit_id()
        r.done()
        return cls(**base, visit_id=visit_id)
    return parse_it


def _with_reason(cls, what: str):
    def parse_it(r: _Reader, base: dict) -> c.Command:
        visit_id = r.visit_id()
        return cls(**base, visit_id=visit_id, reason=r.rest_as_text(what))
    return parse_it


def _with_when(cls, duration: bool = False):
    def parse_it(r: _Reader, base: dict) -> c.Command:
        visit_id = r.visit_id()
        when = r.when()
        extra = {}
        if duration and r.more():
            word = r.take("a duration")
            if not looks_like_duration(word):
                raise r.fail(f"{_quoted(word)} is not a duration; write it like 20m or 1h.")
            extra["minutes"] = parse_duration(word)
        r.done()
        return cls(**base, visit_id=visit_id, when=when, **extra)
    return parse_it


def _note(r: _Reader, base: dict) -> c.Command:
    visit_id = r.visit_id()
    return c.WriteNote(**base, visit_id=visit_id, text=r.rest_as_text('the notes in quotes'))


def _record(r: _Reader, base: dict) -> c.Command:
    visit_id = r.visit_id()
    if r.peek() and r.peek().lower() in ("agree", "agreed"):
        r.take("agree")
        r.done()
        return c.AgreeRecord(**base, visit_id=visit_id)
    return c.WriteRecord(**base, visit_id=visit_id, text=r.rest_as_text('the record of dialogue in quotes'))


def _object(r: _Reader, base: dict) -> c.Command:
    visit_id = r.visit_id()
    observer = r.mention("the observer") if r.peek() and r.peek().startswith(("@", "<@")) else None
    return c.ObjectToObserver(**base, visit_id=visit_id, observer=observer, reason=r.rest_as_text("why, in quotes"))


def _concern(r: _Reader, base: dict) -> c.Command:
    return c.RaiseConcern(**base, text=r.rest_as_text("your concern, in quotes"))


def _list(r: _Reader, base: dict) -> c.Command:
    r.done()
    return c.ListVisits(**base)


def _limits(r: _Reader, base: dict) -> c.Command:
    teacher = r.mention("whose allowance") if r.more() else None
    r.done()
    return c.ShowLimits(**base, teacher=teacher)


_STAFF_WORDS = ("roles", "role", "manager", "handle")


def _staff_add(r: _Reader, base: dict) -> c.Command:
    person, handle = r.person_id("who to add, like @nina")
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
            raise r.fail(f"I didn't understand {_quoted(word)}.")
    return c.AddStaff(**base, person=person, name=name, handle=handle, **fields)


def _roles(r: _Reader) -> frozenset[Role]:
    """`teacher,promoted` or `teacher, promoted` or `teacher promoted`."""
    words = [r.take(f"their roles ({ROLES})")]
    while r.more() and all(w in _ROLE_NAMES for w in r.peek().lower().split(",") if w):
        words.append(r.take("a role"))
    names = [w for word in words for w in word.lower().split(",") if w]
    unknown = [n for n in names if n not in _ROLE_NAMES]
    if unknown or not names:
        raise r.fail(f"'{', '.join(unknown) or ' '.join(words)}' is not a role; roles are {ROLES}.")
    return frozenset(Role(n) for n in names)


def _staff_remove(r: _Reader, base: dict) -> c.Command:
    person = r.mention("who to remove, like @nina")
    r.done()
    return c.RemoveStaff(**base, person=person)


def _staff_list(r: _Reader, base: dict) -> c.Command:
    r.done()
    return c.ListStaff(**base)


def _walk_plan(r: _Reader, base: dict) -> c.Command:
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
    focus, walkers, rooms, room_minutes = None, (), (), None
    while r.more():
        word = r.take("more").lower()
        if word == "focus":
            focus = r.text("the focus in quotes")
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
            raise r.fail(f"I didn't understand {_quoted(word)}.")
    return c.PlanWalk(**base, day=day, start=start, end=end_time, focus=focus, walkers=walkers,
                      rooms=rooms, room_minutes=room_minutes)


def _walk_id(cls, reason: bool = False):
    def parse_it(r: _Reader, base: dict) -> c.Command:
        word = r.take("which walk (its number)").removeprefix("#")
        if not _is_number(word):
            raise r.fail(f"{_quoted(word)} is not a walk number; use the number walkbot gave it, e.g. 3.")
        if reason:
            return cls(**base, walk_id=int(word), reason=r.rest_as_text("why, in quotes"))
        r.done()
        return cls(**base, walk_id=int(word))
    return parse_it


def _walk_list(r: _Reader, base: dict) -> c.Command:
    r.done()
    return c.ListWalks(**base)


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
    "concern": _concern,
    "staff add": _staff_add,
    "staff remove": _staff_remove,
    "staff list": _staff_list,
    "walk plan": _walk_plan,
    "walk list": _walk_list,
    "walk show": _walk_id(c.ShowWalk),
    "walk cancel": _walk_id(c.CancelWalk, reason=True),
}
