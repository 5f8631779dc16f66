"""How to say each command: the usage lines every error and `help` quote."""
from __future__ import annotations

from bot.domain.model import Role, VisitKind
from bot.errors import InputError
from bot.reply.card import Line, Say, line

# Learning-walk visits are booked with /walk plan, so they are not offered here.
KINDS = ", ".join(k.value for k in VisitKind if k is not VisitKind.LEARNING_WALK)
ROLES = ", ".join(r.value for r in Role)

def _usage(command: str, what: str = "", *more: Line) -> tuple[Line, ...]:
    """A command's usage: how to say it (each surface writes the command its own way), then what it does."""
    return (line(Say(command), f" — {what}" if what else ""), *more)


def _example(command: str, after: str = "") -> Line:
    return line("  e.g. ", Say(command), after)


USAGE: dict[str, tuple[Line, ...]] = {
    "propose": _usage('visit propose @teacher DATE TIME [DURATION] [kind KIND] [focus "..."] [feedback "..."] '
                      '[with @visitor ...] [proforma LINK] [cover]', "",
                      _example('visit propose @tom 2027-02-03 10:30 20m kind formal focus "questioning" '
                               'feedback "chat after school"'),
                      f"  DATE: 2027-02-03, 3 Feb, tomorrow, next tue · TIME: 10:30, 2pm, P3 · DURATION: 20m, 1h · "
                      f"KIND: {KINDS} · cover: your own class then is covered (SLT are told)"),
    "agree": _usage("visit agree ID", "the class teacher agrees a proposed visit"),
    "decline": _usage('visit decline ID "reason"', "the class teacher declines, saying why"),
    "suggest": _usage("visit suggest ID DATE TIME", "the class teacher suggests another time"),
    "accept": _usage("visit accept ID", "the visitor accepts the time the teacher suggested"),
    "withdraw": _usage("visit withdraw ID", "the visitor withdraws a proposal"),
    "cancel": _usage('visit cancel ID "reason"', "call off an agreed visit"),
    "move": _usage("visit move ID DATE TIME [DURATION] [cover]", "a new time, which needs fresh agreement"),
    "held": _usage("visit held ID", "the visit took place"),
    "dialogue": _usage("visit dialogue ID DATE TIME", "schedule the feedback dialogue"),
    "notes": _usage('visit notes ID "text"', "notes for the teacher and visitors only (no grades)"),
    "record": (line(Say('visit record ID "text"'), " — write the record of dialogue; ", Say("visit record ID agree"),
                    " — agree it"),),
    "object": _usage('visit object ID [@observer] "reason"', "the teacher: object to a particular observer (to your "
                     "line manager, or the head teacher if it is them)",
                     line(Say('visit object ID [@observer] resolve "how"'), " — whoever it went to: resolved at "
                                                                           "school level; ",
                          Say("visit object ID [@observer] withdraw"), " — the teacher: withdraw it")),
    "show": _usage("visit show ID", "one visit in full"),
    "list": _usage("visit list", "your visits, and what awaits your answer"),
    "limits": _usage("visit limits [@teacher]", "the allowance used against each cap"),
    "concern": _usage('visit concern [about @person] "text"', "raise a concern with your line manager (with the head "
                      "teacher if it is about them)"),
    "unsafe": _usage('visit unsafe ID "what you saw"', "a visitor: report unsafe practice to the head teacher"),
    "calendar": _usage("visit calendar [new]", "your private calendar feed, for Outlook, Google or Apple; new: a "
                       "new address (the old one stops working)"),
    "help": _usage("visit help [COMMAND]", "this help"),
    "staff add": _usage('visit staff add @person "Full Name" [roles teacher,promoted] [manager @person] '
                        '[handle NAME]', "SLT: put someone on the staff list",
                        _example('visit staff add @nina "Nina Ross" roles teacher manager @rachel', f" · ROLES: {ROLES}")),
    "staff remove": _usage("visit staff remove @person", "SLT: take someone off the staff list (their visits are kept)"),
    "staff list": _usage("visit staff list", "SLT: everyone on the staff list, with their roles"),
    "walk plan": _usage('walk plan DATE START-END focus "..." [purpose "..."] [feedback "..."] walkers @a @b '
                        '[rooms @t1 @t2 ...] [DURATION each]', "SLT: all its rooms are booked, or none",
                        _example('walk plan 2027-02-10 09:00-11:00 focus "feedback in books" purpose "share marking '
                                 'practice" feedback "report at the staff meeting" walkers @rachel @dan rooms @tom')),
    "walk list": _usage("walk list", "learning walks this session"),
    "walk show": _usage("walk show ID", "one walk"),
    "walk cancel": _usage('walk cancel ID "reason"', "call a walk off (SLT)"),
    "walk findings": _usage('walk findings ID strength "..." [excellence "..."] [next "..."]',
                            "a walker records what the walk found: practice, naming nobody, no grades"),
    "walk report": _usage("walk report ID [share]", "the walk's findings as its report; share: SLT send it to all staff"),
    "walk summary": _usage("walk summary", "SLT: this session's findings by department, stage and whole school, "
                                           "against the focus areas (no names, no grades)"),
    "coverage": _usage("visit coverage", "SLT: visits against each cap this session, by teacher and department; "
                                         "who has had none, who is near a cap, walks per term, dialogues overdue"),
}


def help_text(topic: str | None = None) -> tuple[Line, ...]:
    if topic:
        key = topic.strip().lower().removeprefix("/").removeprefix("visit ").strip()
        # "staff" or "walk" alone: every command that starts with it.
        found = [part for name, usage in USAGE.items() if name == key or name.startswith(key + " ") for part in usage]
        if found:
            return tuple(found)
        raise InputError(f"There is no command '{topic}'.", usage=command_list())
    return ("walkbot books classroom visits as your staff agreement says. Commands:",
            *(line("• ", *_parts(usage[0])) for usage in USAGE.values()))


def _parts(said: Line) -> tuple[str | Say, ...]:
    return (said,) if isinstance(said, str) else said


def command_list() -> tuple[Line, ...]:
    return (line("Commands: ", ", ".join(USAGE), ". Say ", Say("visit help COMMAND"), " for one."),)


# How to put right, in a typed command, what a rule found missing (a form shows its field instead).
TYPED_HINTS = {
    "focus.missing": 'Give it with focus "...".',
    "feedback.missing": 'Give them with feedback "...".',
    "walk.walkers": "Name them with walkers @name ....",
    "focus.area": 'Give one of them with focus "...".',
    "records.no_dialogue": "Arrange the dialogue first: visit dialogue ID DATE TIME.",
    "inspection.period": "SLT declare an inspection period in school.yml, under its session: "
                         "inspections: [{body: HMIe, start: 2027-03-01, end: 2027-03-05}].",
    "walk.purpose": 'Give it with purpose "...".',
    "lesson.visitor": "If it is, add cover to the command.",
}
