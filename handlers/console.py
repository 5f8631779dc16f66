"""A terminal chat with walkbot: the same replies Slack shows, as text, and a clock you can move."""
from __future__ import annotations

import sys
from datetime import datetime
from typing import Callable, TextIO

from bot.chat.router import Walkbot
from bot.chat.when import parse_span
from bot.domain.clock import FixedClock
from bot.domain.ics import ics_filename
from bot.domain.model import Notice, Staff
from bot.domain.school import School
from bot.errors import InputError
from bot.notices.delivery import Settings
from bot.reply.text import render
from handlers.dispatcher import Dispatcher
from storage.db import Store

CONSOLE_HELP = """Console commands (besides /visit and /walk):
  as @user           speak as someone else from the staff list
  advance 2d         move the clock on (2d, 3h, 45m, 1w) and show every notice sent meanwhile
  advance to ISO     move the clock to a moment, e.g. advance to 2027-02-03T09:00
  now                show the console's clock
  staff              list the staff and their roles
  quit               leave"""


class Console:
    def __init__(self, *, bot: Walkbot, store: Store, school: School, clock: FixedClock, actor: Staff,
                 out: TextIO = sys.stdout):
        self.bot, self.store, self.school, self.clock, self.actor, self.out = bot, store, school, clock, actor, out

    def say(self, line: str) -> str:
        """Handle one line as typed; returns what the console prints (also used by tests)."""
        line = line.strip()
        if not line or line.startswith("#"):
            return ""
        word, _, rest = line.partition(" ")
        word = word.lower()
        try:
            if word.startswith("/") or word in ("visit", "walk"):
                reply = self.bot.handle(line, school_id=self.school.id, actor=self.actor.chat_id)
                return "\n".join(filter(None, [reply.text, self.deliver()]))
            if word == "as":
                return self._switch(rest)
            if word == "advance":
                return self._advance(rest.strip())
            if word == "now":
                return self._now()
            if word == "staff":
                return self._staff()
            if word in ("help", "?"):
                return self.bot.handle("/visit help", school_id=self.school.id, actor=self.actor.chat_id).text + \
                    "\n\n" + CONSOLE_HELP
        except InputError as err:
            return str(err)
        return f"I don't know '{word}'. Commands start with /visit or /walk; say help for the list."

    def _switch(self, mention: str) -> str:
        with self.store.uow() as uow:
            person = uow.staff.find(self.school.id, mention.strip())
        if person is None:
            raise InputError(f"There is nobody called {mention.strip() or '(nobody)'} on the staff list; say staff to see it.")
        self.actor = person
        return f"You are now {person.name} ({', '.join(sorted(person.roles))})."

    def _advance(self, text: str) -> str:
        tz = self.school.calendar.tz
        if text.startswith("to "):
            target = _moment(text[3:].strip(), tz)
            if target <= self.clock.now():
                raise InputError("That moment is not after the console's clock; advance only moves forwards.")
        else:
            target = self.clock.now() + parse_span(text)
        transport = self._transport(show_time=True)
        self._dispatcher(transport).deliver_until(target)
        return "\n".join(filter(None, [self._now(), "\n".join(transport.lines) or "(no notices were due)"]))

    def _now(self) -> str:
        return f"It is now {self.school.calendar.local(self.clock.now()):%a %-d %b %Y %H:%M}."

    def _staff(self) -> str:
        with self.store.uow() as uow:
            staff = uow.staff.all(self.school.id)
        return "\n".join(f"  {s.mention:<10} {s.name} ({', '.join(sorted(s.roles))})" for s in staff if s.active)

    def deliver(self) -> str:
        """Send every notice now due through the console's transport, which prints it."""
        transport = self._transport(show_time=False)
        self._dispatcher(transport).deliver_due()
        return "\n".join(transport.lines)

    def _transport(self, show_time: bool) -> "ConsoleTransport":
        with self.store.uow() as uow:
            names = {s.chat_id: s.name for s in uow.staff.all(self.school.id)}
        return ConsoleTransport(self.school, names, show_time)

    def _dispatcher(self, transport: "ConsoleTransport") -> Dispatcher:
        # The console is the only dispatcher on its database: a fixed name and a lease the clock never outruns.
        return Dispatcher(self.store, transport, self.clock, Settings(worker="console", batch=500))

    def run(self, lines: Callable[[], str | None], interactive: bool) -> None:
        self.out.write(f"walkbot console — {self.school.name} ({self.school.policy.title}). "
                       f"{self._now()} You are {self.actor.name}. Say help for commands.\n")
        while True:
            if interactive:
                self.out.write(f"{self.actor.mention}> ")
                self.out.flush()
            line = lines()
            if line is None or line.strip().lower() in ("quit", "exit"):
                break
            if not interactive and line.strip() and not line.strip().startswith("#"):
                self.out.write(f"{self.actor.mention}> {line.strip()}\n")
            reply = self.say(line)
            if reply:
                self.out.write(reply + "\n")
            self.out.flush()


class ConsoleTransport:
    """The console as a chat platform: a notice is a printed line."""

    def __init__(self, school: School, names: dict[str, str], show_time: bool):
        self.school, self.names, self.show_time = school, names, show_time
        self.lines: list[str] = []

    def send(self, notice: Notice) -> str:
        to = self.names.get(notice.recipient) or f"#staff channel ({notice.recipient})"
        when = f"[{self.school.calendar.local(notice.due_at):%a %-d %b %H:%M}] " if self.show_time else ""
        attached = f" [calendar file {ics_filename(notice.visit_id)}]" if notice.ics else ""
        said = render(notice.card).replace("\n", "\n      ")  # a notice's further lines stay under its arrow
        self.lines.append(f"  {when}→ {to}: {said}{attached}")
        return f"console-{notice.id}"


def _moment(text: str, tz) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InputError(f"'{text}' is not a moment; write it like 2027-02-03T09:00.")
    return moment if moment.tzinfo else moment.replace(tzinfo=tz)
