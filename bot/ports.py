"""What the core needs from the outside world, as protocols. storage/ implements them."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Iterable, Mapping, Protocol

from bot.domain.model import (
    Concern,
    Finding,
    Note,
    Notice,
    Objection,
    Staff,
    Visit,
    VisitKind,
    VisitStatus,
    Walk,
)
from bot.domain.retention import RecordKind, Span
from bot.domain.school import School, SchoolConfig, StaffSpec
from bot.domain.timetable import Lesson

if TYPE_CHECKING:  # bot.notices.delivery uses these protocols
    from bot.notices.delivery import Outcome


class Clock(Protocol):
    def now(self) -> datetime:
        """The current moment, timezone-aware."""


class SchoolRepo(Protocol):
    def get(self, school_id: int) -> School | None: ...
    def with_staff(self, school_id: int) -> tuple[School, tuple[Staff, ...]] | None:
        """The school and everyone on its staff list, leavers too, by name: as stored now, in this transaction."""
    def by_key(self, key: str) -> School | None: ...
    def by_slack_team(self, team_id: str) -> School | None: ...
    def by_teams_tenant(self, tenant_id: str) -> list[School]:
        """The schools linked to this Entra tenant (a local authority's tenant holds several)."""
    def all(self) -> list[School]: ...
    def lock(self, school_id: int) -> None:
        """Hold the school's row until commit: what is counted school-wide (walks per term) one request at a time.
        Taken before any staff row, always."""
    def save(self, config: SchoolConfig) -> School:
        """Insert or update the school and its staff list (idempotent)."""


class StaffRepo(Protocol):
    def get(self, school_id: int, chat_id: str) -> Staff | None: ...
    def find(self, school_id: int, mention: str) -> Staff | None:
        """By chat id or handle, case-insensitive."""
    def by_email(self, school_id: int, email: str) -> Staff | None:
        """Active staff listed with this email, case-insensitive; None unless exactly one is."""
    def all(self, school_id: int, *, with_leavers: bool = False) -> list[Staff]:
        """Active staff by name; with_leavers also those taken off the list (their visits keep their names)."""
    def add(self, staff: Staff) -> Staff:
        """Someone new, added in chat: re-loading school.yml does not retire them."""
    def update(self, staff: Staff) -> Staff:
        """Change someone already known (found by chat id), from chat: school.yml re-loads leave them be."""
    def lock(self, school_id: int, chat_ids: Iterable[str], *, objections_to: str | None = None) -> list[Objection]:
        """Hold these people's rows until commit, taken in one order (by chat id) so two requests never wait
        on each other: two bookings touching a teacher or a visitor run one after the other. With
        `objections_to` (one of them), that teacher's open objections, as ObjectionRepo.for_teacher gives them."""


class VisitRepo(Protocol):
    def add(self, visit: Visit) -> Visit: ...
    def get(self, school_id: int, visit_id: int, *, lock: bool = False) -> Visit | None:
        """lock=True: hold the visit until commit, so two changes to it run one after the other."""
    def update(self, visit: Visit) -> None: ...
    def add_note(self, school_id: int, visit_id: int, note: Note) -> None: ...
    def for_plan(self, school_id: int, teacher: str, span: tuple[datetime, datetime], booked: Iterable[VisitStatus],
                 people: Iterable[str], near: tuple[datetime, datetime],
                 busy: Iterable[VisitStatus]) -> tuple[list[Visit], list[Visit]]:
        """What the rules read for a plan, in one query: the visits to `teacher` starting in `span` with a status in
        `booked`, and the visits where any of `people` is teacher or visitor overlapping `near` with one in `busy`."""
    def involving(
        self, school_id: int, people: Iterable[str], start: datetime, end: datetime, statuses: Iterable[VisitStatus]
    ) -> list[Visit]:
        """Visits where any of `people` is teacher or visitor, overlapping [start, end)."""
    def of_person(self, school_id: int, chat_id: str, since: datetime, *, each: int | None = None) -> list[Visit]:
        """Visits where this person is teacher or visitor, starting at or after `since`, soonest first; with
        `each`, only the soonest `each` of each status as teacher and of each as visitor."""
    def booked_by_teacher(self, school_id: int, teachers: Iterable[str],
                          session_starts: date) -> dict[str, dict[VisitKind, tuple[int, int]]]:
        """Booked visits to these teachers in the school's session beginning on `session_starts`: per teacher and
        kind, how many and their minutes (counted as they are written, not read: a teacher with none is left
        out)."""


class WalkRepo(Protocol):
    def add(self, walk: Walk) -> Walk: ...
    def get(self, school_id: int, walk_id: int) -> Walk | None: ...
    def update(self, walk: Walk) -> None: ...
    def between(self, school_id: int, first: date, last: date) -> list[Walk]:
        """Walks (cancelled included) on days in [first, last]."""
    def add_findings(self, findings: Iterable[Finding]) -> None: ...
    def findings(self, walk_id: int) -> list[Finding]:
        """The walk's findings, in the order they were written (find the walk by school first)."""


@dataclass(frozen=True)
class WalkFindings:
    """A walk that was not called off, what it found, and whose classes it visited (agreed or held)."""

    walk: Walk
    findings: tuple[Finding, ...]
    rooms: tuple[str, ...]  # the class teachers' staff ids


class ReportRepo(Protocol):
    """Reads for SLT's reports (bot.reports) beyond the visit counts VisitRepo gives: walks with their findings
    and rooms, and which records of dialogue are agreed (never their words)."""

    def walk_findings(self, school_id: int, first: date, last: date) -> list[WalkFindings]:
        """Walks on days in [first, last], cancelled ones left out, in date order."""
    def records_agreed(self, school_id: int, start: datetime, end: datetime) -> list[tuple[str, str | None]]:
        """(class teacher, focus) of each visit starting in [start, end) whose record of dialogue everyone
        in it agreed."""


class NoticeRepo(Protocol):
    def add(self, notice: Notice) -> Notice: ...
    def add_all(self, notices: Iterable[Notice]) -> None:
        """All of a change's notices at once (one statement)."""
    def add_once(self, notice: Notice) -> Notice | None:
        """Add it unless one of its kind, to its recipient, due at its moment or later (deferred) exists
        (periodic jobs)."""
    def written(self, school_id: int, kind: str, recipient: str, due_at: datetime) -> bool: ...
    def due(self, until: datetime, limit: int = 100) -> list[Notice]:
        """Pending notices due at or before `until`, oldest first."""
    def next_moment(self, until: datetime) -> datetime | None:
        """The earliest moment, up to `until`, at which a pending notice may be sent."""
    def claim(self, now: datetime, worker: str, lease: timedelta, limit: int, *,
              skip_schools: Iterable[int] = ()) -> tuple[str, list[Notice]]:
        """Take up to `limit` due notices no one holds, for `lease` by the database's clock (one clock for every
        dispatcher); never one another holds, nor one of `skip_schools` (their installation said to wait).
        Returns the claim's token and the notices."""
    def settle(self, outcomes: Iterable[Outcome], token: str) -> set[int]:
        """Record what became of these notices, in one statement, where `token` still holds them; the ids recorded."""
    def digests_missing(self, kind: str, moments: Mapping[int, datetime]) -> list[tuple[int, str]]:
        """(school id, chat id) of each active SLT member with no notice of `kind` due at or after their school's
        moment: one query for every school."""
    def renew(self, notice_ids: Iterable[int], token: str, lease: timedelta) -> set[int]:
        """Extend the claim on these notices by `lease` from now; the ids it still holds."""
    # Recording an outcome: with the claim's token, only while the claim is still the notice's (False if not).
    def mark_sent(self, notice_id: int, at: datetime, message_id: str | None = None, *,
                  token: str | None = None) -> bool: ...
    def mark_failed(self, notice_id: int, error: str, *, token: str | None = None) -> bool: ...
    def mark_expired(self, notice_id: int, reason: str, *, token: str | None = None) -> bool: ...
    def hold(self, notice_id: int, until: datetime, error: str, *, attempt_failed: bool,
             token: str | None = None) -> bool:
        """Not before `until`; the claim is given back."""
    def defer(self, notice_id: int, due_at: datetime, *, token: str | None = None) -> bool:
        """Due later; the claim is given back."""
    def get(self, notice_id: int) -> Notice | None: ...
    def wait_for(self, notice_id: int, reach: str, until: datetime, error: str, *, token: str | None = None) -> bool:
        """Not before `until`: the recipient cannot be reached yet (`reach`, a bot.notices.delivery.Reach); no
        attempt counted, the claim given back."""
    def waiting(self, school_id: int) -> list[tuple[str, str]]:
        """(recipient, reach) of this school's pending notices that wait for walkbot to reach someone."""
    def reached(self, school_id: int, recipient: str) -> int:
        """walkbot can reach this recipient now: their waiting notices are due at once. How many there were."""
    def release(self, notice_ids: Iterable[int], token: str) -> None: ...
    def retry(self, notice_id: int, now: datetime) -> Notice:
        """A failed or expired notice, pending again and due now."""
    def listing(self, statuses: Iterable[str], limit: int = 200) -> list[Notice]: ...
    def supersede(self, *, visit_id: int | None = None, walk_id: int | None = None,
                  kinds: Iterable[str] | None = None) -> int:
        """Pending notices about a visit or walk that no longer apply (only `kinds`, if given): marked superseded."""


class ConcernRepo(Protocol):
    def add(self, concern: Concern) -> Concern: ...


class ObjectionRepo(Protocol):
    def add(self, objection: Objection) -> Objection: ...
    def for_teacher(self, school_id: int, teacher: str) -> list[Objection]:
        """The teacher's open objections: the observers not to be booked into their lessons."""
    def open_on_visit(self, school_id: int, visit_id: int) -> list[Objection]:
        """Open objections raised on this visit, held until commit: one settling at a time."""
    def settle(self, objection: Objection) -> None:
        """Keep its status, when and how it was settled."""


@dataclass(frozen=True, kw_only=True)
class TeamsConversation:
    """Where walkbot can write to someone in Microsoft Teams unasked (a proactive message): the conversation
    reference Teams gave when walkbot was installed for them. Teams has no other way to reach a person."""

    school_id: int
    tenant_id: str
    conversation_id: str  # the personal chat's id (a:...), or a channel's or group chat's
    service_url: str  # the connector to send through: per tenant and region, from the activity
    scope: str = "personal"  # personal | team | groupChat
    aad_object_id: str | None = None  # the person's Entra object id (lower case); None for a team
    teams_user_id: str | None = None  # the person's Teams id (29:...)
    bot_id: str | None = None  # walkbot's own id in that conversation (28:...)
    chat_id: str | None = None  # the staff id of the person it is with, once matched (personal scope)
    installed_at: datetime | None = None


class TeamsConversationRepo(Protocol):
    def save(self, conversation: TeamsConversation) -> TeamsConversation:
        """Insert or update the reference of this conversation (one per conversation id in a school)."""
    def remove(self, school_id: int, conversation_id: str) -> bool:
        """Forget a conversation (walkbot uninstalled there); whether there was one."""
    def personal(self, school_id: int, chat_id: str) -> TeamsConversation | None:
        """The personal chat with walkbot of the person with this staff id, if walkbot is installed for them."""
    def by_aad(self, school_id: int, aad_object_id: str) -> TeamsConversation | None:
        """The personal chat of the Teams user with this Entra object id, matched to a staff id or not yet."""
    def by_teams_user(self, school_id: int, teams_user_id: str) -> TeamsConversation | None:
        """The personal chat of the person with this Teams id (29:...)."""
    def all(self, school_id: int) -> list[TeamsConversation]: ...


@dataclass
class Changes:
    """What an import changed: rows added, changed, left as they were, taken away; and people whom school.yml or
    chat keep on the list, of whom only the MIS id was recorded."""

    added: int = 0
    changed: int = 0
    unchanged: int = 0
    removed: int = 0
    kept: int = 0


@dataclass(frozen=True)
class Listed:
    """Someone on a school's staff list as an import sees them: where their entry comes from, and their MIS id."""

    chat_id: str
    mis_id: str | None
    email: str | None
    source: str  # school.yml, chat or import
    active: bool


@dataclass(frozen=True)
class ImportedStaff:
    mis_id: str  # the school's own id for them (its MIS's staff_id)
    spec: StaffSpec


class TimetableRepo(Protocol):
    def lessons(self, school_id: int, chat_ids: Iterable[str]) -> list[Lesson] | None:
        """Every lesson these people teach; None when the school has imported no timetable (then visits are booked
        as without one)."""
    def replace(self, school_id: int, lessons: Iterable[Lesson]) -> Changes:
        """The school's timetable becomes these lessons; rows that did not change are left as they are."""
    def cover(self, visit_id: int) -> frozenset[str]:
        """The visitors who said cover is arranged for their own classes during this visit."""
    def set_cover(self, visit_id: int, chat_ids: Iterable[str]) -> None: ...


class ImportedStaffRepo(Protocol):
    def listed(self, school_id: int) -> list[Listed]:
        """Everyone on the staff list, leavers too."""
    def save(self, school_id: int, people: Iterable[ImportedStaff]) -> Changes:
        """By MIS id (else staff id); whom an earlier import brought and this one does not list are retired."""


@dataclass(frozen=True)
class CalendarFeed:
    """A person's private calendar feed: whose it is, and only a SHA-256 of its secret token."""

    school_id: int
    chat_id: str
    token_hash: str  # hex
    created_at: datetime


class CalendarFeedRepo(Protocol):
    def of_person(self, school_id: int, chat_id: str) -> CalendarFeed | None: ...
    def by_hash(self, token_hash: str) -> CalendarFeed | None: ...
    def replace(self, feed: CalendarFeed) -> None:
        """The person's feed is this one from now: any older token stops working."""


@dataclass(frozen=True, kw_only=True)
class SubjectAccess:
    """A subject access request SLT logged (UK GDPR Art. 15): who asked, when, and when the answer is due."""

    id: int | None
    school_id: int
    person: str  # the staff id of whoever asked
    received_on: date
    due_on: date  # one calendar month on (bot.usecases.privacy.sar_due)
    answered_on: date | None = None


@dataclass(frozen=True, kw_only=True)
class Disposal:
    """One line of the disposal log: what kind of record, how many, what was done, when and why. No content."""

    school_id: int | None
    kind: str  # a bot.domain.retention.RecordKind, or "staff" for an erased entry
    action: str  # deleted | de-identified
    count: int
    cause: str  # retention | erasure
    at: datetime


class PrivacyRepo(Protocol):
    """Retention, subject access and erasure (bot.usecases.privacy)."""

    def dispose(self, school_id: int | None, kind: RecordKind, spans: list[Span], *, count_only: bool) -> int:
        """Delete or de-identify (bot.domain.retention.ACTIONS) this school's records of `kind` dated within `spans`;
        school_id None: what belongs to no school (inbox rows, Slack installations no school links to). How many."""
    def log(self, disposal: Disposal) -> None: ...
    def disposals(self, school_id: int | None, limit: int = 50) -> list[Disposal]:
        """The latest first."""
    def concerns_involving(self, school_id: int, person: str) -> list[Concern]:
        """Concerns this person raised, received or is the subject of, oldest first."""
    def objections_involving(self, school_id: int, person: str) -> list[Objection]:
        """Objections this person raised, is the observer of, or was asked to resolve, oldest first."""
    def notices_to(self, school_id: int, person: str) -> list[Notice]:
        """Every message to this person, oldest first."""
    def findings_by(self, school_id: int, person: str) -> list[Finding]: ...
    def log_request(self, request: SubjectAccess, at: datetime) -> SubjectAccess: ...
    def requests(self, school_id: int | None, *, open_only: bool) -> list[SubjectAccess]:
        """By due date, soonest first."""
    def answer_request(self, school_id: int, request_id: int, on: date) -> SubjectAccess | None: ...
    def erase(self, school_id: int, person: str, pseudonym: str) -> dict[str, int]:
        """Put `pseudonym` for the person's id everywhere, remove their name, handle and email, the words of messages
        to them or about their visits and walks, their Teams conversation and their requests in the inbox.
        How many of each kind of record were touched."""


@dataclass(frozen=True, kw_only=True)
class Glance:
    """What the App Home shows, read together (GlanceRepo)."""

    visits: list[Visit]  # the person's, as VisitRepo.of_person with `each`
    counts: dict[str, dict[VisitKind, tuple[int, int]]]  # as VisitRepo.booked_by_teacher
    walks: list[Walk]  # as WalkRepo.between
    waiting: list[tuple[str, str]]  # as NoticeRepo.waiting; empty unless asked for


class GlanceRepo(Protocol):
    def read(self, school_id: int, person: str, since: datetime, each: int, teachers: Iterable[str],
             session_starts: date, days: tuple[date, date], *, waiting: bool) -> Glance:
        """The person's visits from `since` (the soonest `each` of each status as teacher and as visitor), the
        booked visits to `teachers` in the session beginning on `session_starts` counted, the walks on `days`, and (`waiting`) whom notices wait
        to reach: what four reads would give, in two statements."""


class UnitOfWork(Protocol):
    schools: SchoolRepo
    staff: StaffRepo
    visits: VisitRepo
    walks: WalkRepo
    notices: NoticeRepo
    concerns: ConcernRepo
    objections: ObjectionRepo
    teams: TeamsConversationRepo
    privacy: PrivacyRepo
    feeds: CalendarFeedRepo
    timetable: TimetableRepo
    imported_staff: ImportedStaffRepo
    reports: ReportRepo
    glance: GlanceRepo

    def __enter__(self) -> "UnitOfWork": ...
    def __exit__(self, *exc) -> None:
        """Roll back whatever was not committed."""
    def commit(self) -> None: ...
