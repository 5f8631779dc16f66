"""The reply model: everything walkbot says, as data each chat surface renders natively.

A `Card` is a title and sections; a section has lines, labelled fields, small print and actions.
An `Action` names what it does (`Verb`), the command it runs in the command language, and the
visit and time it is about, so the console can print the command to type, Slack can draw a button
and Teams an `Action.Execute`, all from the same card. Nothing here knows a platform's markup:
texts are plain, and every surface escapes them its own way.

Cards travel in the outbox too (`to_data` / `from_data`, versioned), so a notice is rendered for
the person's surface when it is sent, not worded for one surface when it is written.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Iterator, Mapping


class Style(StrEnum):
    DEFAULT = "default"
    PRIMARY = "primary"  # the answer most people give
    DANGER = "danger"  # calls something off


class Tone(StrEnum):
    """What kind of reply it is, for surfaces that show it (an icon, a colour)."""

    INFO = "info"
    DONE = "done"  # something changed as asked
    REFUSED = "refused"  # the agreement does not allow it
    PROBLEM = "problem"  # the request could not be read or run
    ANNOUNCEMENT = "announcement"  # to the whole staff


class Verb(StrEnum):
    """What pressing an action does; each surface maps a verb to its own button, form or dialog."""

    AGREE = "visit.agree"
    SUGGEST = "visit.suggest"  # opens the form asking for another time
    DECLINE = "visit.decline"  # opens the form asking for a reason
    ACCEPT = "visit.accept"
    WITHDRAW = "visit.withdraw"
    PROPOSE_AT = "propose.at"  # a refused proposal, again at one of the nearest allowed times
    SUGGEST_AT = "suggest.at"  # a refused suggestion, again at one of the nearest allowed times
    OPEN_PROPOSE = "propose.open"
    OPEN_WALK = "walk.open"


@dataclass(frozen=True)
class Say:
    """A command to type, named in a line or behind an action: each surface writes it its own way
    (the console and Slack with a leading slash; Teams without one)."""

    words: str  # "visit list", "visit agree 3", "walk plan"


Line = str | tuple[str | Say, ...]  # plain text, or text with commands to type in it


def line(*parts: str | Say) -> Line:
    return parts if any(isinstance(p, Say) for p in parts) else "".join(parts)


@dataclass(frozen=True)
class Confirm:
    """Asked before the action runs."""

    title: str
    text: str
    yes: str
    no: str


@dataclass(frozen=True)
class Action:
    verb: Verb
    label: str
    command: Say | None  # what it runs, as typed: what the console shows; None: it acts only inside its form
    visit_id: int | None = None
    at: datetime | None = None  # the time it is about: an answer acts only on the time its message showed
    style: Style = Style.DEFAULT
    confirm: Confirm | None = None
    key: str = ""  # tells apart actions of one verb in one card (several visits, several times)

    @property
    def id(self) -> str:
        """Stable, and unique within its card: the verb, and the key when there is one."""
        return f"{self.verb.value}.{self.key}" if self.key else self.verb.value


@dataclass(frozen=True)
class Field:
    label: str
    value: str


@dataclass(frozen=True)
class Section:
    title: str | None = None
    lines: tuple[Line, ...] = ()
    fields: tuple[Field, ...] = ()
    notes: tuple[str, ...] = ()  # small print: the clause a line rests on, a hint
    actions: tuple[Action, ...] = ()
    ask: str = "Answer with"  # how the console introduces the commands of `actions`


@dataclass(frozen=True)
class Card:
    title: str | None = None
    sections: tuple[Section, ...] = ()
    tone: Tone = Tone.INFO
    attachment: str | None = field(default=None, compare=False)  # a file's name shown with it (a calendar file)

    def __post_init__(self) -> None:
        ids = [a.id for a in self.actions]
        if len(ids) != len(set(ids)):  # Slack refuses such a message outright; Teams mixes up the answers
            raise ValueError(f"action ids repeat within one card: {sorted(ids)}")

    @property
    def actions(self) -> Iterator[Action]:
        return (a for s in self.sections for a in s.actions)

    def but(self, **changes) -> "Card":
        return Card(**{**{f: getattr(self, f) for f in ("title", "sections", "tone", "attachment")}, **changes})


def card(*lines: Line, title: str | None = None, tone: Tone = Tone.INFO, notes: tuple[str, ...] = (),
         actions: tuple[Action, ...] = (), ask: str = "Answer with") -> Card:
    """A card of one section: the common case."""
    return Card(title, (Section(lines=tuple(lines), notes=notes, actions=actions, ask=ask),), tone)


# --- in the outbox -------------------------------------------------------------------------------------

VERSION = 1  # of the stored form below; from_data reads every version it ever wrote


def _line_data(text: Line) -> Any:
    return text if isinstance(text, str) else [p if isinstance(p, str) else {"say": p.words} for p in text]


def _line(data: Any) -> Line:
    return data if isinstance(data, str) else tuple(p if isinstance(p, str) else Say(p["say"]) for p in data)


def to_data(c: Card) -> dict[str, Any]:
    def action(a: Action) -> dict[str, Any]:
        return {"verb": a.verb.value, "label": a.label, "command": a.command.words if a.command else None,
                "visit_id": a.visit_id,
                "at": a.at.isoformat() if a.at else None, "style": a.style.value, "key": a.key,
                "confirm": [a.confirm.title, a.confirm.text, a.confirm.yes, a.confirm.no] if a.confirm else None}

    return {"v": VERSION, "title": c.title, "tone": c.tone.value, "attachment": c.attachment, "sections": [
        {"title": s.title, "lines": [_line_data(t) for t in s.lines], "fields": [[f.label, f.value] for f in s.fields],
         "notes": list(s.notes), "actions": [action(a) for a in s.actions], "ask": s.ask} for s in c.sections]}


def from_data(data: Mapping[str, Any]) -> Card:
    if data.get("v") != VERSION:
        raise ValueError(f"a card of version {data.get('v')!r}, which this walkbot does not know")

    def action(a: Mapping[str, Any]) -> Action:
        return Action(Verb(a["verb"]), a["label"], Say(a["command"]) if a.get("command") else None, a.get("visit_id"),
                      datetime.fromisoformat(a["at"]) if a.get("at") else None, Style(a.get("style", "default")),
                      Confirm(*a["confirm"]) if a.get("confirm") else None, a.get("key", ""))

    return Card(data.get("title"), tuple(
        Section(s.get("title"), tuple(_line(t) for t in s.get("lines", ())), tuple(Field(*f) for f in s.get("fields", ())),
                tuple(s.get("notes", ())), tuple(action(a) for a in s.get("actions", ())), s.get("ask", "Answer with"))
        for s in data.get("sections", ())), Tone(data.get("tone", "info")), data.get("attachment"))
