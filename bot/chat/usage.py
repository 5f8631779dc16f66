"""How to say each command: the usage lines every error and `help` quote."""
from __future__ import annotations

from bot.domain.model import Role, VisitKind
from bot.errors import InputError

# Learning-walk visits are booked with /walk plan, so they are not offered here.
KINDS = ", ".join(k.value for k in VisitKind if k is not VisitKind.LEARNING_WALK)
ROLES = ", ".join(r.value for r in Role)

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



def help_text(topic: str | None = None) -> str:
    if topic:
        key = topic.strip().lower().removeprefix("/").removeprefix("visit ").strip()
        # "staff" or "walk" alone: every command that starts with it.
        found = [usage for name, usage in USAGE.items() if name == key or name.startswith(key + " ")]
        if found:
            return "\n".join(found)
        raise InputError(f"There is no command '{topic}'.", usage=command_list())
    lines = ["walkbot books classroom visits as your staff agreement says. Commands:"]
    lines += [f"• {usage.splitlines()[0]}" for usage in USAGE.values()]
    return "\n".join(lines)


def command_list() -> str:
    return "Commands: " + ", ".join(USAGE) + ". Say /visit help COMMAND for one."


# How to put right, in a typed command, what a rule found missing (a form shows its field instead).
TYPED_HINTS = {
    "focus.missing": 'Give it with focus "...".',
    "feedback.missing": 'Give them with feedback "...".',
    "walk.walkers": "Name them with walkers @name ....",
}
