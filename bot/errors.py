"""The few ways a request can fail. Every one carries a sentence fit to show a teacher."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot.reply.card import Line
from bot.reply.text import flat

if TYPE_CHECKING:  # pragma: no cover
    from bot.rules import Slot, Violation


class WalkbotError(Exception):
    """Base class: `str(err)` is a friendly sentence, never a traceback.

    `line` is the same sentence as the reply model holds it, with any command to type in it as data
    (`Say`), so each surface writes that command its own way.
    """

    def __init__(self, message: Line = ""):
        super().__init__(flat(message))
        self.line = message


class InputError(WalkbotError):
    """The words could not be understood. `usage` says how to say it right."""

    def __init__(self, message: Line, usage: tuple[Line, ...] | None = None):
        super().__init__(message)
        self.usage = usage


class NotFound(WalkbotError):
    """No such visit, walk or person (or not one this person may see)."""


class NotAllowed(WalkbotError):
    """This person's role does not allow the action."""


class WrongState(WalkbotError):
    """The visit is no longer in a state where this can happen (already agreed, cancelled...)."""


class Unavailable(WalkbotError):
    """The store could not be reached; nothing was changed and the user may simply retry."""


@dataclass
class Refused(WalkbotError):
    """The agreement does not allow it: every broken rule, and the nearest allowed times."""

    violations: list["Violation"]
    alternatives: list["Slot"] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__("; ".join(v.message for v in self.violations))
