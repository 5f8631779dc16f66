"""The school's words as plain data: staff, visits, walks, notes, notices."""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from enum import StrEnum

from bot.reply.card import Card
from bot.reply.text import render


class Role(StrEnum):
    TEACHER = "teacher"
    PROMOTED = "promoted"
    SLT = "slt"
    HEAD = "head"  # the head teacher: unsafe practice is reported to them (000 Conduct)
    SUPPORT = "support"
    GOVERNOR = "governor"
    LA_OFFICER = "la_officer"
    ADMIN = "admin"


# The head teacher leads SLT and is promoted staff: whatever either may do, so may the head.
IMPLIED_ROLES: dict[Role, frozenset[Role]] = {Role.HEAD: frozenset({Role.SLT, Role.PROMOTED})}


class VisitKind(StrEnum):
    LEARNING_WALK = "learning_walk"
    FORMAL = "formal"
    PEER = "peer"
    PRD = "prd"
    REVIEW = "review"
    INSPECTION = "inspection"
    SUPPORT = "support"


class VisitStatus(StrEnum):
    PROPOSED = "proposed"
    COUNTERED = "countered"  # the teacher suggested another time; the visitor must answer
    AGREED = "agreed"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"
    CANCELLED = "cancelled"
    HELD = "held"


OPEN_STATUSES = frozenset({VisitStatus.PROPOSED, VisitStatus.COUNTERED})
BOOKED_STATUSES = frozenset({VisitStatus.AGREED, VisitStatus.HELD})
# Statuses that occupy a person's time, for clash checks.
BUSY_STATUSES = OPEN_STATUSES | BOOKED_STATUSES


@dataclass(frozen=True)
class Staff:
    id: int | None
    school_id: int
    chat_id: str  # the chat platform's user id, e.g. Slack's U02TEACH
    name: str
    roles: frozenset[Role]
    handle: str | None = None  # a short name people type: @tom
    line_manager: str | None = None  # chat_id of the line manager
    active: bool = True
    email: str | None = None  # lower case; how Teams finds a person listed by email on first contact
    department: str | None = None  # reports group practice by these, never by person (004 §8)
    stage: str | None = None

    def __post_init__(self) -> None:
        implied = frozenset().union(*(IMPLIED_ROLES.get(role, ()) for role in self.roles))
        if not implied <= self.roles:
            object.__setattr__(self, "roles", frozenset(self.roles) | implied)

    def has(self, role: Role) -> bool:
        return role in self.roles

    @property
    def is_slt(self) -> bool:
        return Role.SLT in self.roles or Role.ADMIN in self.roles

    @property
    def mention(self) -> str:
        return f"@{self.handle or self.chat_id}"


@dataclass(frozen=True)
class Note:
    author: str  # chat_id
    text: str
    written_at: datetime


@dataclass(frozen=True)
class Visit:
    """One visit to one class teacher's lesson. Times are timezone-aware."""

    id: int | None
    school_id: int
    teacher: str  # chat_id of the class teacher
    visitors: tuple[str, ...]
    proposer: str
    kind: VisitKind
    start: datetime
    minutes: int
    status: VisitStatus = VisitStatus.PROPOSED
    focus: str | None = None
    feedback: str | None = None
    pro_forma: str | None = None
    walk_id: int | None = None
    suggested_start: datetime | None = None  # the teacher's counter-proposal
    reason: str | None = None  # why it was declined / cancelled
    dialogue_at: datetime | None = None
    record: str | None = None
    record_agreed_by: frozenset[str] = frozenset()
    notes: tuple[Note, ...] = ()
    created_at: datetime | None = None
    revision: int = 0  # how many times its time or status changed: its calendar events' SEQUENCE (RFC 5545)

    @property
    def end(self) -> datetime:
        return self.start + timedelta(minutes=self.minutes)

    @property
    def timing(self) -> tuple:
        """What a calendar shows of it: a change to any of these is a new revision."""
        return self.start, self.minutes, self.status, self.dialogue_at

    @property
    def people(self) -> frozenset[str]:
        return frozenset((self.teacher, *self.visitors))

    @property
    def record_agreed(self) -> bool:
        return bool(self.record) and self.people <= self.record_agreed_by

    def but(self, **changes) -> "Visit":
        """The visit changed; a new revision if its timing did, so a calendar file written with the change
        carries the SEQUENCE the repository stores (it counts the same changes)."""
        changed = replace(self, **changes)
        if "revision" not in changes and changed.timing != self.timing:
            changed = replace(changed, revision=self.revision + 1)
        return changed


@dataclass(frozen=True)
class Walk:
    """A learning-walk programme planned by SLT; its room visits are Visits of kind learning_walk."""

    id: int | None
    school_id: int
    planned_by: str
    day: date
    start: datetime
    end: datetime
    focus: str
    walkers: tuple[str, ...]
    cancelled: bool = False
    announce_at: datetime | None = None
    purpose: str | None = None  # why the school walks (Durants §2 shares "the purpose and the focus")
    feedback: str | None = None  # how staff hear what the walk found (004 §3 "feedback arrangements")
    report_shared_at: datetime | None = None  # when SLT shared its report with all staff
    revision: int = 0  # how many times its time or cancellation changed (the repository counts): its SEQUENCE


class FindingKind(StrEnum):
    """What a walker records against the walk's focus (Durants outcomes: "strengths and areas of excellence")."""

    STRENGTH = "strength"
    EXCELLENCE = "excellence"  # an area of excellence
    NEXT_STEP = "next step"


@dataclass(frozen=True)
class Finding:
    """One thing a learning walk found, about practice across the rooms visited: never about a named teacher."""

    id: int | None
    walk_id: int
    author: str  # chat_id of the walker
    kind: FindingKind
    text: str
    written_at: datetime


class NoticeKind(StrEnum):
    """What a notice is about; the values are stored in the outbox."""

    PROPOSAL = "proposal"  # a visit (or a walk's room) asks the class teacher
    SUGGESTION = "suggestion"  # the teacher suggested another time; the visitors answer
    AGREED = "agreed"
    CONFIRMED = "confirmed"  # to who agreed: the calendar file
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"
    CANCELLED = "cancelled"
    INSPECTION = "inspection"
    DIALOGUE_PROMPT = "dialogue.prompt"
    DIALOGUE_SCHEDULED = "dialogue.scheduled"
    RECORD = "record"
    RECORD_AGREED = "record.agreed"
    OBJECTION = "objection"
    OBJECTION_RESOLVED = "objection.resolved"  # to the teacher: how it was resolved at school level
    OBJECTION_WITHDRAWN = "objection.withdrawn"  # to whoever it was passed to
    CONCERN = "concern"
    UNSAFE_PRACTICE = "unsafe.practice"  # to the head teacher (000 Conduct)
    STAFF_ADDED = "staff.added"
    WALK_ANNOUNCEMENT = "walk.announcement"
    WALK_CANCELLED = "walk.cancelled"
    WALK_NOTE = "walk.note"  # to a room's teacher: a walker wrote a note about their class
    WALK_FINDINGS = "walk.findings"  # to the teachers whose classes were visited: findings exist, and where to read them
    WALK_REPORT = "walk.report"  # the walk's report, to all staff
    # school.yml, loaded again, no longer allows a visit's, a dialogue's or a walk's time (a holiday added)
    CALENDAR_CHANGED = "calendar.changed"
    DIGEST = "digest"
    ANSWER = "answer"  # walkbot's answer to someone, which their chat would not take at once (Teams' limits)
    COVER = "cover"  # to SLT: a visitor leaves their own class for a visit, cover arranged: a cover request is needed
    # Planned from a visit's or a walk's state (bot.notices.reminders):
    REMINDER = "reminder"
    REMINDER_SOON = "reminder.soon"
    REMINDER_TEACHER = "reminder.teacher"
    REMINDER_DIALOGUE = "reminder.dialogue"
    NUDGE = "nudge"
    NUDGE_HELD = "nudge.held"
    NUDGE_DIALOGUE = "nudge.dialogue"
    ESCALATION = "escalation"


@dataclass(frozen=True)
class Notice:
    """Something walkbot will say later: a row in the outbox, written with the change that implies it.

    Its words are a card (bot.reply.card), rendered for the person's chat surface when it is sent.
    """

    school_id: int
    kind: NoticeKind
    recipient: str  # a chat_id, or a channel id for announcements
    due_at: datetime
    card: Card
    visit_id: int | None = None
    walk_id: int | None = None
    useful_until: datetime | None = None  # after this it is not sent but marked expired (a reminder once the visit began)
    ics: str | None = None  # an iCalendar file to attach (RFC 5545), for confirmations and cancellations
    id: int | None = None
    status: str = "pending"
    sent_at: datetime | None = None
    attempts: int = 0  # failed attempts to deliver it so far
    last_error: str | None = None  # why the last attempt failed, or why it expired
    message_id: str | None = None  # the platform's id for the message once sent

    @property
    def text(self) -> str:
        """The card as plain text: what the console prints and a message's notification text."""
        return render(self.card)


@dataclass(frozen=True)
class Concern:
    """A concern raised, or unsafe practice reported after a visit (`visit_id`), and whom it went to."""

    id: int | None
    school_id: int
    raised_by: str
    routed_to: str | None
    text: str
    raised_at: datetime
    about: str | None = None  # the chat_id of whom it concerns, who never receives it
    visit_id: int | None = None


class ObjectionStatus(StrEnum):
    OPEN = "open"  # the observer is not booked into the teacher's lessons
    RESOLVED = "resolved"  # at school level (004 §9), by whoever it was passed to
    WITHDRAWN = "withdrawn"  # by the teacher


@dataclass(frozen=True)
class Objection:
    id: int | None
    school_id: int
    teacher: str
    observer: str
    reason: str
    raised_at: datetime
    visit_id: int | None = None
    routed_to: str | None = None  # who resolves it: never the observer
    status: ObjectionStatus = ObjectionStatus.OPEN
    settled_at: datetime | None = None
    resolution: str | None = None  # how it was resolved, as the resolver put it

    def but(self, **changes) -> "Objection":
        return replace(self, **changes)
