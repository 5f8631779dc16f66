"""What people ask walkbot to do, whatever chat surface they use: one dataclass per request."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from bot.domain.model import FindingKind, Role, VisitKind


@dataclass(frozen=True, kw_only=True)
class Command:
    school_id: int
    actor: str  # chat_id of the person asking


@dataclass(frozen=True, kw_only=True)
class When:
    day: date
    time: time


@dataclass(frozen=True, kw_only=True)
class ProposeVisit(Command):
    teacher: str  # a mention: chat id or handle
    when: When
    minutes: int | None = None
    kind: VisitKind = VisitKind.PEER
    focus: str | None = None
    feedback: str | None = None
    pro_forma: str | None = None
    visitors: tuple[str, ...] = ()  # besides the person proposing
    cover: bool = False  # the visitors' own classes then are covered (with a timetable, SLT are told)


@dataclass(frozen=True, kw_only=True)
class ListLessons(Command):
    """The class teacher's lessons in the first school week a proposal may be made for: what the propose form
    offers, where the school has a timetable."""

    teacher: str | None = None  # a mention; None: only whether the school has a timetable


@dataclass(frozen=True, kw_only=True)
class VisitCommand(Command):
    visit_id: int


@dataclass(frozen=True, kw_only=True)
class AgreeVisit(VisitCommand):
    asked_start: datetime | None = None  # the time the person was shown (a button on an older message)


@dataclass(frozen=True, kw_only=True)
class DeclineVisit(VisitCommand):
    reason: str


@dataclass(frozen=True, kw_only=True)
class SuggestTime(VisitCommand):
    when: When


@dataclass(frozen=True, kw_only=True)
class AcceptSuggestion(VisitCommand):
    asked_start: datetime | None = None  # the suggested time the visitor was shown


@dataclass(frozen=True, kw_only=True)
class WithdrawVisit(VisitCommand):
    pass


@dataclass(frozen=True, kw_only=True)
class CancelVisit(VisitCommand):
    reason: str


@dataclass(frozen=True, kw_only=True)
class MoveVisit(VisitCommand):
    when: When
    minutes: int | None = None
    cover: bool = False  # as ProposeVisit's: said again for the new time


@dataclass(frozen=True, kw_only=True)
class MarkHeld(VisitCommand):
    pass


@dataclass(frozen=True, kw_only=True)
class ScheduleDialogue(VisitCommand):
    when: When


@dataclass(frozen=True, kw_only=True)
class WriteNote(VisitCommand):
    text: str


@dataclass(frozen=True, kw_only=True)
class WriteRecord(VisitCommand):
    text: str


@dataclass(frozen=True, kw_only=True)
class AgreeRecord(VisitCommand):
    pass


@dataclass(frozen=True, kw_only=True)
class ObjectToObserver(VisitCommand):
    observer: str | None  # a mention; None when the visit has one visitor
    reason: str


@dataclass(frozen=True, kw_only=True)
class ResolveObjection(VisitCommand):
    """Whoever an objection raised on this visit was passed to says how it was resolved (004 §9)."""

    observer: str | None  # a mention; None when only one open objection on the visit is theirs to resolve
    how: str


@dataclass(frozen=True, kw_only=True)
class WithdrawObjection(VisitCommand):
    observer: str | None  # a mention; None when the teacher has one open objection on the visit


@dataclass(frozen=True, kw_only=True)
class ReportUnsafePractice(VisitCommand):
    """A visitor reports practice seen on the visit as unsafe or below an acceptable standard (000 Conduct)."""

    text: str


@dataclass(frozen=True, kw_only=True)
class ShowVisit(VisitCommand):
    pass


@dataclass(frozen=True, kw_only=True)
class RaiseConcern(Command):
    text: str
    about: str | None = None  # a mention: whom it concerns, who never receives it


@dataclass(frozen=True, kw_only=True)
class ListVisits(Command):
    pass


@dataclass(frozen=True, kw_only=True)
class ShowLimits(Command):
    teacher: str | None = None


@dataclass(frozen=True, kw_only=True)
class PlanWalk(Command):
    day: date
    start: time
    end: time
    focus: str | None
    walkers: tuple[str, ...]
    rooms: tuple[str, ...] = ()
    room_minutes: int | None = None
    purpose: str | None = None
    feedback: str | None = None  # how staff hear what the walk found: its rooms' feedback arrangements too


@dataclass(frozen=True, kw_only=True)
class ListWalks(Command):
    pass


@dataclass(frozen=True, kw_only=True)
class ShowWalk(Command):
    walk_id: int


@dataclass(frozen=True, kw_only=True)
class CancelWalk(Command):
    walk_id: int
    reason: str


@dataclass(frozen=True, kw_only=True)
class RecordFindings(Command):
    """A walker records what the walk found, against its focus: several findings at once, one notice to teachers."""

    walk_id: int
    findings: tuple[tuple[FindingKind, str], ...]


@dataclass(frozen=True, kw_only=True)
class ShowReport(Command):
    walk_id: int


@dataclass(frozen=True, kw_only=True)
class ShareReport(Command):
    walk_id: int


@dataclass(frozen=True, kw_only=True)
class AddStaff(Command):
    """SLT put someone on the staff list from chat (school.yml re-loads leave them be)."""

    person: str  # their chat id
    name: str
    roles: frozenset[Role] = frozenset({Role.TEACHER})
    handle: str | None = None
    line_manager: str | None = None  # a mention


@dataclass(frozen=True, kw_only=True)
class RemoveStaff(Command):
    person: str  # a mention


@dataclass(frozen=True, kw_only=True)
class ListStaff(Command):
    pass


@dataclass(frozen=True, kw_only=True)
class WhoAmI(Command):
    """Before a form opens: is the person asking on the staff list, and at which school."""


@dataclass(frozen=True, kw_only=True)
class ShowOverview(Command):
    """Everything a person sees at a glance (Slack's App Home)."""


@dataclass(frozen=True, kw_only=True)
class ShowCalendar(Command):
    """The person's private calendar feed: its address when first made (bot.usecases.calendar)."""


@dataclass(frozen=True, kw_only=True)
class NewCalendar(Command):
    """A new calendar feed address for the person; the old one stops working."""


@dataclass(frozen=True, kw_only=True)
class Help(Command):
    topic: str | None = None
