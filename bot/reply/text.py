"""A card as plain text: what the console prints, what tests read, and a message's notification text.

Where Slack and Teams draw buttons, plain text names the command to type instead.
"""
from __future__ import annotations

from bot.reply.card import Card, Line, Say, Section


def typed(say: Say) -> str:
    """A command as the console (and Slack) take it: with its slash."""
    return "/" + say.words


def flat(text: Line, write=typed) -> str:
    """A line as one string, each command in it written by `write`."""
    return text if isinstance(text, str) else "".join(p if isinstance(p, str) else write(p) for p in text)


def render(card: Card) -> str:
    lines = [card.title] if card.title else []
    for section in card.sections:
        lines += _section(section)
    return "\n".join(lines)


def _section(s: Section) -> list[str]:
    lines = [s.title] if s.title else []
    lines += [flat(t) for t in s.lines]
    lines += [f"{f.label}: {f.value}" for f in s.fields]
    lines += [f"  {note}" for note in s.notes]
    commands = listed(s.actions)
    if commands:
        lines.append(f"{s.ask} {commands}.")
    return lines


def listed(actions, write=typed) -> str:
    """The commands to type for these actions, as a list in a sentence: "a, b, or c"."""
    said = list(dict.fromkeys(write(a.command) for a in actions if a.command))
    if len(said) <= 1:
        return "".join(said)
    return ", ".join(said[:-1]) + ", or " + said[-1]
