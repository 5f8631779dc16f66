"""Reading one command's words: quotes, people, numbers, dates and times, each with a friendly error."""
from __future__ import annotations

import re
import shlex
import unicodedata
from datetime import date

from bot.chat.usage import USAGE
from bot.chat.when import parse_date, parse_time_or_period
from bot.domain.calendar import SchoolCalendar
from bot.errors import InputError
from bot.usecases import commands as c


def keepable(text: str) -> bool:
    """Text walkbot can store and show: no control characters but line breaks and tabs (PostgreSQL refuses NUL)."""
    return not any(unicodedata.category(ch) == "Cc" and ch not in "\n\t" for ch in text)


# A person as the command language names one: @handle, or @ and the staff id a surface put there (a chat
# user id, or the email a Teams school lists someone by).
_PERSON = re.compile(r"@[\w.\-]+(?:@[\w\-]+(?:\.[\w\-]+)+)?")


def quoted(word: str, longest: int = 30) -> str:
    """A word someone typed, quoted back in a reply: shortened, so a pasted essay is not echoed whole."""
    return f"'{word}'" if len(word) <= longest else f"'{word[:longest - 1]}…'"


def is_number(word: str) -> bool:
    """A visit or walk number: ASCII digits only (str.isdigit() also takes '²', which int() refuses), and
    few enough that int() reads them (it refuses thousands of digits) and the database can hold it."""
    return word.isascii() and word.isdigit() and len(word) <= 10 and 0 < int(word) < 2**31


def tokens(text: str) -> list[str]:
    # Chat apps turn straight quotes into curly ones; shlex only knows the straight kind.
    text = text.translate(str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'"}))
    try:
        return shlex.split(text)
    except ValueError:
        raise InputError('A quotation mark is not closed: put the text in a pair of quotes, like focus "questioning".')


class Reader:
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
        if not is_number(word):
            raise self.fail(f"{quoted(word)} is not a visit number; use the number walkbot gave it, e.g. 12.")
        return int(word)

    def mention(self, what: str) -> str:
        word = self.take(what)
        if not _PERSON.fullmatch(word):
            raise self.fail(f"{quoted(word)} is not a person: name them with @, like @tom.")
        return word

    def mentions(self) -> tuple[str, ...]:
        found = []
        while self.peek() and self.peek().startswith("@"):
            found.append(self.mention("a person"))
        return tuple(found)

    def person_id(self, what: str) -> str:
        """Someone not (yet) on the staff list: their chat id (each surface turned its mention into @id)."""
        return self.mention(what)[1:]

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
        return self.keepable(word)

    def rest_as_text(self, what: str) -> str:
        if not self.words:
            raise self.fail(f"Say {what}.")
        text = " ".join(self.words).strip()
        self.words = []
        if len(text) > 2000:
            raise self.fail("That text is too long: keep it under 2,000 characters.")
        return self.keepable(text)

    def keepable(self, text: str) -> str:
        if not keepable(text):
            raise self.fail("That text holds an invisible control character (a NUL, say), which walkbot can't keep: "
                            "type it again.")
        return text

    def done(self) -> None:
        if self.words:
            raise self.fail(f"I didn't understand '{' '.join(self.words)}'.")


