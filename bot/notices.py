"""The words walkbot sends to people when something changes: notices written to the outbox."""
from __future__ import annotations

from datetime import datetime
from typing import Mapping

from bot.model import Notice, Visit, Walk
from bot.rules import kind_words
from bot.school import School


def when_text(school: School, start: datetime, minutes: int | None = None) -> str:
    local = school.calendar.local(start)
    text = f"{local:%a %-d %b %Y} at {local:%H:%M}"
    return text + (f" for {minutes} minutes" if minutes else "")


def visit_line(school: School, visit: Visit, names: Mapping[str, str]) -> str:
    """One visit in a sentence: #12 formal visit to Tom Baker's class, Wed 3 Feb 2027 at 10:30 for 20 minutes."""
    visitors = ", ".join(names.get(v, v) for v in visit.visitors)
    text = (f"#{visit.id} {kind_words(visit.kind)} to {names.get(visit.teacher, visit.teacher)}'s class, "
            f"{when_text(school, visit.start, visit.minutes)}, by {visitors}")
    if visit.focus:
        text += f" · focus: {visit.focus}"
    return text


class Outbox:
    """Collects the notices one change implies, so the service writes them in the same transaction."""

    def __init__(self, school: School, names: Mapping[str, str], now: datetime):
        self.school, self.names, self.now = school, names, now
        self.notices: list[Notice] = []

    def tell(self, recipient: str | None, kind: str, text: str, *, visit: Visit | None = None,
             walk: Walk | None = None, due_at: datetime | None = None) -> None:
        if not recipient:
            return
        self.notices.append(Notice(
            school_id=self.school.id, kind=kind, recipient=recipient, due_at=due_at or self.now, text=text,
            visit_id=visit.id if visit else None, walk_id=walk.id if walk else None,
        ))

    def tell_all(self, recipients, kind: str, text: str, *, visit: Visit | None = None,
                 except_: str | None = None) -> None:
        for chat_id in sorted(set(recipients) - {except_}):
            self.tell(chat_id, kind, text, visit=visit)
