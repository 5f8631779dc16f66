"""The notices walkbot sends to people when something changes, written to the outbox (their words: words.py)."""
from __future__ import annotations

from datetime import datetime
from typing import Mapping

from bot.domain.model import Notice, NoticeKind, Visit, Walk
from bot.domain.school import School
from bot.domain.school_time import next_sending_moment
from bot.ports import NoticeRepo
from bot.reply.card import Card

# Kinds planned from a visit's or a walk's state (bot.notices.reminders): when the state changes, the pending
# ones are superseded and the new state's plan written in their place.
PLANNED = frozenset({NoticeKind.REMINDER, NoticeKind.REMINDER_SOON, NoticeKind.REMINDER_TEACHER,
                     NoticeKind.REMINDER_DIALOGUE, NoticeKind.NUDGE, NoticeKind.NUDGE_HELD, NoticeKind.NUDGE_DIALOGUE,
                     NoticeKind.ESCALATION})


class Outbox:
    """Collects the notices one change implies, so the service writes them in the same transaction.

    Notices due outside school time are moved to the next school morning as they are written, so
    the stored due time is the real one (what `walkbot notices` and the console show).
    """

    def __init__(self, school: School, names: Mapping[str, str], now: datetime):
        self.school, self.names, self.now = school, names, now
        self.notices: list[Notice] = []
        self._superseded: list[dict] = []
        self._created: set[tuple[int | None, int | None]] = set()

    def tell(self, recipient: str | None, kind: NoticeKind, card: Card, *, visit: Visit | None = None,
             walk: Walk | None = None, due_at: datetime | None = None, useful_until: datetime | None = None,
             ics: str | None = None) -> None:
        if not recipient:
            return
        self.notices.append(Notice(
            school_id=self.school.id, kind=kind, recipient=recipient,
            due_at=next_sending_moment(self.school, due_at or self.now), card=card,
            visit_id=visit.id if visit else None, walk_id=walk.id if walk else None,
            useful_until=useful_until, ics=ics,
        ))

    def tell_all(self, recipients, kind: NoticeKind, card: Card, *, visit: Visit | None = None,
                 except_: str | None = None, **details) -> None:
        for chat_id in sorted(set(recipients) - {except_}):
            self.tell(chat_id, kind, card, visit=visit, **details)

    def supersede(self, *, visit: Visit | None = None, walk: Walk | None = None,
                  kinds: frozenset[NoticeKind] | None = None) -> None:
        """What is still pending about this visit or walk no longer applies (only `kinds`, if given)."""
        self._superseded.append({"visit_id": visit.id if visit else None, "walk_id": walk.id if walk else None,
                                 "kinds": kinds})

    def created(self, *, visit: Visit | None = None, walk: Walk | None = None) -> None:
        """This change created the visit or walk: no stored notice is about it yet, so none to supersede."""
        self._created.add((visit.id if visit else None, walk.id if walk else None))

    def replan(self, plan: list[Notice], *, visit: Visit | None = None, walk: Walk | None = None) -> None:
        """The reminders and nudges a new state implies replace those the old state did (stored or in here)."""
        def about(n: Notice) -> bool:
            return n.visit_id == visit.id if visit else (n.walk_id == walk.id and n.visit_id is None)

        self.notices = [n for n in self.notices if not (n.kind in PLANNED and about(n))]
        self.supersede(visit=visit, walk=walk, kinds=PLANNED)
        self.notices.extend(plan)

    def write(self, notices: NoticeRepo) -> None:
        """Supersede first, then add: what this change writes is never superseded by the same change.

        One supersede for each visit or walk (all kinds, if any asked for all) and one insert for every notice.
        """
        kinds: dict[tuple[int | None, int | None], frozenset[NoticeKind] | None] = {}
        for which in self._superseded:
            about = which["visit_id"], which["walk_id"]
            earlier = kinds.get(about, frozenset())
            kinds[about] = None if earlier is None or which["kinds"] is None else earlier | which["kinds"]
        for (visit_id, walk_id), which in kinds.items():
            if (visit_id, walk_id) not in self._created:
                notices.supersede(visit_id=visit_id, walk_id=walk_id, kinds=which)
        notices.add_all(self.notices)
