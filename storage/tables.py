"""The database schema as SQLAlchemy rows. Migrations must match this file (a test checks)."""
from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    Time,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from storage.coltypes import UTCDateTime

ID = String(64)  # a chat platform's user or channel id


def _now() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    # Fixed constraint names, so later migrations can refer to them on every backend.
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(table_name)s_%(column_0_N_name)s",
            "uq": "uq_%(table_name)s_%(column_0_N_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )
    type_annotation_map = {datetime: UTCDateTime()}


class SchoolRow(Base):
    __tablename__ = "schools"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    config: Mapped[dict[str, Any]] = mapped_column(JSON)  # the school.yml document
    slack_team_id: Mapped[str | None] = mapped_column(String(32), unique=True)
    # Not unique: a local authority's tenant (Glow) holds many schools.
    teams_tenant_id: Mapped[str | None] = mapped_column(String(36), index=True)
    created_at: Mapped[datetime] = mapped_column(default=_now)
    updated_at: Mapped[datetime] = mapped_column(default=_now, onupdate=_now)


class StaffRow(Base):
    __tablename__ = "staff"
    __table_args__ = (UniqueConstraint("school_id", "chat_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id", ondelete="CASCADE"))
    chat_id: Mapped[str] = mapped_column(ID)
    handle: Mapped[str | None] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(200))
    roles: Mapped[str] = mapped_column(String(200))  # comma-joined Role values
    line_manager: Mapped[str | None] = mapped_column(ID)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Where the entry comes from: "school.yml", or "chat" (/visit staff add). Re-loading school.yml
    # retires only the people it used to list, never those SLT added in chat.
    source: Mapped[str] = mapped_column(String(20), default="school.yml", server_default="school.yml")
    email: Mapped[str | None] = mapped_column(String(254))  # lower case
    department: Mapped[str | None] = mapped_column(String(100))
    stage: Mapped[str | None] = mapped_column(String(100))
    # The school's own id for the person (its MIS's), from `walkbot import staff`: what a timetable names them by.
    mis_id: Mapped[str | None] = mapped_column(String(100))


Index("ix_staff_school_id_lower_handle", StaffRow.school_id, func.lower(StaffRow.handle))
Index("ix_staff_school_id_email", StaffRow.school_id, StaffRow.email)


class WalkRow(Base):
    __tablename__ = "walks"
    __table_args__ = (Index("ix_walks_school_id_day", "school_id", "day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id", ondelete="CASCADE"))
    planned_by: Mapped[str] = mapped_column(ID)
    day: Mapped[date]
    start_at: Mapped[datetime]
    end_at: Mapped[datetime]
    focus: Mapped[str] = mapped_column(Text)
    cancelled: Mapped[bool] = mapped_column(Boolean, default=False)
    announce_at: Mapped[datetime | None]
    purpose: Mapped[str | None] = mapped_column(Text)
    feedback: Mapped[str | None] = mapped_column(Text)
    report_shared_at: Mapped[datetime | None]
    revision: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # its calendar SEQUENCE

    walkers: Mapped[list[WalkWalkerRow]] = relationship(
        order_by="WalkWalkerRow.position", cascade="all, delete-orphan", lazy="selectin"
    )


class WalkWalkerRow(Base):
    __tablename__ = "walk_walkers"

    walk_id: Mapped[int] = mapped_column(ForeignKey("walks.id", ondelete="CASCADE"), primary_key=True)
    chat_id: Mapped[str] = mapped_column(ID, primary_key=True, index=True)
    position: Mapped[int] = mapped_column(Integer)


class WalkFindingRow(Base):
    """What walkers recorded on a learning walk (bot.domain.model.Finding): the walk's, never a room's."""

    __tablename__ = "walk_findings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    walk_id: Mapped[int] = mapped_column(ForeignKey("walks.id", ondelete="CASCADE"), index=True)
    author: Mapped[str] = mapped_column(ID)
    kind: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text)
    written_at: Mapped[datetime]


class SchoolSessionRow(Base):
    """Each session (school year) of a school's calendar as school.yml sets it, from its first moment to its last
    in the school's time: what the database needs to count visits by session as they are written (VisitTallyRow).
    Written with the school (storage.repos.schools)."""

    __tablename__ = "school_sessions"

    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id", ondelete="CASCADE"), primary_key=True)
    starts: Mapped[date] = mapped_column(primary_key=True)
    first_at: Mapped[datetime]
    last_at: Mapped[datetime]


class VisitTallyRow(Base):
    """The booked visits (agreed or held) to a teacher of each kind in a session, and their minutes: kept by the
    database's triggers on visits as each is written (migration 0018), so counting a school's caps reads a row a
    teacher and kind, however many visits the session holds."""

    __tablename__ = "visit_tallies"

    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id", ondelete="CASCADE"), primary_key=True)
    session_starts: Mapped[date] = mapped_column(primary_key=True)
    teacher: Mapped[str] = mapped_column(ID, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    visits: Mapped[int] = mapped_column(Integer)
    minutes: Mapped[int] = mapped_column(Integer)


class VisitRow(Base):
    __tablename__ = "visits"
    # Teacher first and no index on status alone: SQLite plans without statistics, and would
    # otherwise walk every visit of the school (or every agreed visit) to find one visitor's.
    # School and time serve only queries bounded in time: PostgreSQL finds who visits in a span among
    # the school's visits then, rather than among all a visitor's years of visits (migration 0003).
    __table_args__ = (
        Index("ix_visits_teacher_school_id_start_at", "teacher", "school_id", "start_at"),
        Index("ix_visits_school_id_start_at", "school_id", "start_at"),
        Index("ix_visits_walk_id", "walk_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id", ondelete="CASCADE"))
    teacher: Mapped[str] = mapped_column(ID)
    proposer: Mapped[str] = mapped_column(ID)
    kind: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(32))
    start_at: Mapped[datetime]
    end_at: Mapped[datetime]  # start_at + minutes, kept for overlap queries
    minutes: Mapped[int] = mapped_column(Integer)
    focus: Mapped[str | None] = mapped_column(Text)
    feedback: Mapped[str | None] = mapped_column(Text)
    pro_forma: Mapped[str | None] = mapped_column(Text)
    walk_id: Mapped[int | None] = mapped_column(ForeignKey("walks.id", ondelete="SET NULL"))
    suggested_start_at: Mapped[datetime | None]
    reason: Mapped[str | None] = mapped_column(Text)
    dialogue_at: Mapped[datetime | None]
    record: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=_now)
    updated_at: Mapped[datetime] = mapped_column(default=_now, onupdate=_now)
    revision: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # its calendar SEQUENCE

    visitors: Mapped[list[VisitVisitorRow]] = relationship(
        order_by="VisitVisitorRow.position", cascade="all, delete-orphan", lazy="selectin"
    )
    record_agreements: Mapped[list[VisitRecordAgreementRow]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )
    notes: Mapped[list[VisitNoteRow]] = relationship(
        order_by="(VisitNoteRow.written_at, VisitNoteRow.id)", cascade="all, delete-orphan", lazy="selectin"
    )


class VisitVisitorRow(Base):
    __tablename__ = "visit_visitors"

    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id", ondelete="CASCADE"), primary_key=True)
    chat_id: Mapped[str] = mapped_column(ID, primary_key=True, index=True)
    position: Mapped[int] = mapped_column(Integer)


class VisitRecordAgreementRow(Base):
    __tablename__ = "visit_record_agreements"

    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id", ondelete="CASCADE"), primary_key=True)
    chat_id: Mapped[str] = mapped_column(ID, primary_key=True)


class VisitNoteRow(Base):
    __tablename__ = "visit_notes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id", ondelete="CASCADE"), index=True)
    author: Mapped[str] = mapped_column(ID)
    text: Mapped[str] = mapped_column(Text)
    written_at: Mapped[datetime]


class NoticeRow(Base):
    __tablename__ = "notices"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'sent', 'superseded', 'failed', 'expired')", name="status"),
        Index("ix_notices_status_due_at", "status", "due_at"),
        # Each person's in order: an earlier pending notice to the same person holds a later one back.
        Index("ix_notices_school_id_recipient_status_due_at", "school_id", "recipient", "status", "due_at"),
        Index("ix_notices_visit_id", "visit_id"),
        Index("ix_notices_walk_id", "walk_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(50))
    recipient: Mapped[str] = mapped_column(ID)
    due_at: Mapped[datetime]
    body: Mapped[str] = mapped_column(Text)  # its card as JSON (bot.reply.card.to_data), rendered when it is sent
    visit_id: Mapped[int | None] = mapped_column(ForeignKey("visits.id", ondelete="CASCADE"))
    walk_id: Mapped[int | None] = mapped_column(ForeignKey("walks.id", ondelete="CASCADE"))
    useful_until: Mapped[datetime | None]  # past this the dispatcher marks it expired instead of sending it
    ics: Mapped[str | None] = mapped_column(Text)  # a calendar file sent with it
    status: Mapped[str] = mapped_column(String(20), default="pending")
    sent_at: Mapped[datetime | None]
    # Delivery bookkeeping for the dispatcher: several processes claim rows, retry, record the message.
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    claimed_until: Mapped[datetime | None]  # held back until then (Retry-After, a back-off): the app's time
    claim_token: Mapped[str | None] = mapped_column(String(32))  # the claim a dispatcher holds now
    lease_until: Mapped[datetime | None]  # ...until then, by the database's clock
    message_id: Mapped[str | None] = mapped_column(String(100))
    last_error: Mapped[str | None] = mapped_column(Text)
    # While walkbot cannot reach the recipient yet, why (bot.notices.delivery.Reach): what SLT's overview lists.
    waiting_for: Mapped[str | None] = mapped_column(String(20))


class ConcernRow(Base):
    __tablename__ = "concerns"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id", ondelete="CASCADE"), index=True)
    raised_by: Mapped[str] = mapped_column(ID)
    routed_to: Mapped[str | None] = mapped_column(ID)
    text: Mapped[str] = mapped_column(Text)
    raised_at: Mapped[datetime]
    about: Mapped[str | None] = mapped_column(ID)  # whom it concerns: never its recipient
    visit_id: Mapped[int | None] = mapped_column(ForeignKey("visits.id", ondelete="SET NULL"))  # unsafe practice seen


class ObjectionRow(Base):
    __tablename__ = "objections"
    __table_args__ = (Index("ix_objections_school_id_teacher", "school_id", "teacher"),
                      Index("ix_objections_school_id_visit_id", "school_id", "visit_id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id", ondelete="CASCADE"))
    teacher: Mapped[str] = mapped_column(ID)
    observer: Mapped[str] = mapped_column(ID)
    reason: Mapped[str] = mapped_column(Text)
    raised_at: Mapped[datetime]
    visit_id: Mapped[int | None] = mapped_column(ForeignKey("visits.id", ondelete="SET NULL"))
    routed_to: Mapped[str | None] = mapped_column(ID)
    status: Mapped[str] = mapped_column(String(20), default="open", server_default="open")  # ObjectionStatus
    settled_at: Mapped[datetime | None]
    resolution: Mapped[str | None] = mapped_column(Text)


# Tables in the same database that slack_sdk describes, not this file: its OAuth installation and
# state stores (handlers/slack/oauth.py). Migration 0002 creates them; tests/test_slack_oauth.py
# compares them with slack_sdk's own definitions.
SLACK_SDK_TABLES = frozenset({"slack_installations", "slack_bots", "slack_oauth_states"})


def described_here(name: str | None, type_: str, parent_names: dict) -> bool:
    """Alembic's include_name: compare (and autogenerate) only what this file describes."""
    return not (type_ == "table" and name in SLACK_SDK_TABLES)


class TeamsConversationRow(Base):
    """Microsoft Teams: a conversation walkbot was installed in, as Teams referred to it (bot.ports.TeamsConversation).
    Proactive messages (notices) need it; it is written on install and removed on uninstall."""

    __tablename__ = "teams_conversations"
    __table_args__ = (
        UniqueConstraint("school_id", "conversation_id"),
        Index("ix_teams_conversations_school_id_aad_object_id", "school_id", "aad_object_id"),
        Index("ix_teams_conversations_school_id_teams_user_id", "school_id", "teams_user_id"),
        Index("ix_teams_conversations_school_id_chat_id", "school_id", "chat_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id", ondelete="CASCADE"))
    tenant_id: Mapped[str] = mapped_column(ID)  # the Entra tenant (a GUID)
    conversation_id: Mapped[str] = mapped_column(String(500))
    service_url: Mapped[str] = mapped_column(String(500))
    scope: Mapped[str] = mapped_column(String(20), default="personal")
    aad_object_id: Mapped[str | None] = mapped_column(ID)
    teams_user_id: Mapped[str | None] = mapped_column(String(200))
    bot_id: Mapped[str | None] = mapped_column(String(200))
    chat_id: Mapped[str | None] = mapped_column(ID)  # the staff id of the person (personal scope), once matched
    installed_at: Mapped[datetime] = mapped_column(default=_now)


class InboxRow(Base):
    """A request Slack or Teams sent, kept from before its ack until it is worked and answered
    (handlers.inbox): a process that dies after acknowledging loses nothing."""

    __tablename__ = "inbox"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'worked', 'answered')", name="status"),
        # The platform's own id for the request: a retry of it is the same row, never a second one.
        UniqueConstraint("surface", "key"),
        Index("ix_inbox_status_id", "status", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    surface: Mapped[str] = mapped_column(String(10))
    key: Mapped[str] = mapped_column(String(200))
    school_id: Mapped[int | None] = mapped_column(ForeignKey("schools.id", ondelete="CASCADE"))
    request: Mapped[str] = mapped_column(Text)  # what the platform sent, as JSON: what people wrote, never logged
    status: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    answer: Mapped[str | None] = mapped_column(Text)  # the calls that answer it, as JSON, stored with the work
    received_at: Mapped[datetime] = mapped_column(default=_now)
    worked_at: Mapped[datetime | None]
    answered_at: Mapped[datetime | None]


class CalendarFeedRow(Base):
    """A person's private calendar feed (bot.usecases.calendar): only a SHA-256 of its secret token is kept, so
    the database alone opens no one's calendar. One feed a person; a new token replaces the old."""

    __tablename__ = "calendar_feeds"
    __table_args__ = (UniqueConstraint("school_id", "chat_id"), UniqueConstraint("token_hash"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id", ondelete="CASCADE"))
    chat_id: Mapped[str] = mapped_column(ID)
    token_hash: Mapped[str] = mapped_column(String(64))  # hex
    created_at: Mapped[datetime]


class TimetableLessonRow(Base):
    """One timetabled lesson (bot.domain.timetable.Lesson), from `walkbot import timetable`: class, subject and
    room, never pupils. Replaced as a whole school's by each import, changing only what changed."""

    __tablename__ = "timetable_lessons"
    __table_args__ = (
        CheckConstraint("week IN ('A', 'B')", name="week"),
        CheckConstraint("day BETWEEN 0 AND 4", name="day"),
        Index("ix_timetable_lessons_school_id_chat_id", "school_id", "chat_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id", ondelete="CASCADE"))
    chat_id: Mapped[str] = mapped_column(ID)  # the teacher's staff id
    week: Mapped[str | None] = mapped_column(String(1))  # A, B, or none: every week
    day: Mapped[int] = mapped_column(Integer)  # 0 Monday .. 4 Friday
    start_time: Mapped[time] = mapped_column(Time)
    end_time: Mapped[time] = mapped_column(Time)
    period: Mapped[str | None] = mapped_column(String(100))
    class_name: Mapped[str | None] = mapped_column(String(100))
    subject: Mapped[str | None] = mapped_column(String(100))
    room: Mapped[str | None] = mapped_column(String(100))


class VisitCoverRow(Base):
    """A visitor who said their own class is covered for a visit (cover arranged), so the lesson rules let them go."""

    __tablename__ = "visit_covers"

    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id", ondelete="CASCADE"), primary_key=True)
    chat_id: Mapped[str] = mapped_column(ID, primary_key=True)


class DisposalRow(Base):
    """One disposal: what kind of record (bot.domain.retention.RecordKind), how many, deleted or de-identified,
    when, and why (retention or an erasure). Never what they held, nor whose they were."""

    __tablename__ = "disposal_log"
    __table_args__ = (Index("ix_disposal_log_school_id_disposed_at", "school_id", "disposed_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    school_id: Mapped[int | None] = mapped_column(ForeignKey("schools.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(20))
    action: Mapped[str] = mapped_column(String(20))  # deleted | de-identified
    count: Mapped[int] = mapped_column(Integer)
    cause: Mapped[str] = mapped_column(String(20))  # retention | erasure
    disposed_at: Mapped[datetime]


class SubjectAccessRow(Base):
    """A subject access request SLT logged (UK GDPR Art. 15), due one calendar month after it was received."""

    __tablename__ = "subject_access_requests"
    __table_args__ = (Index("ix_subject_access_requests_school_id_person", "school_id", "person"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id", ondelete="CASCADE"))
    person: Mapped[str] = mapped_column(ID)  # the staff id of whoever asked
    received_on: Mapped[date]
    due_on: Mapped[date]
    answered_on: Mapped[date | None]
    logged_at: Mapped[datetime]
