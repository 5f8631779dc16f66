"""Schools and their staff, parsed once per process and revalidated in each transaction that reads them."""
from __future__ import annotations

import json
import threading
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time
from typing import Any, Iterable, Mapping
from weakref import WeakKeyDictionary

from sqlalchemy import Engine, and_, bindparam, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.domain.model import Objection, ObjectionStatus, Role, Staff
from bot.domain.school import School, SchoolConfig, parse_school_config
from bot.errors import InputError, NotFound
from storage.repos.people import objection_from_row
from storage.repos.tallies import store_sessions
from storage.tables import ObjectionRow, SchoolRow, StaffRow

FROM_FILE, FROM_CHAT = "school.yml", "chat"


@dataclass(frozen=True)
class _Parsed:
    """A school as stored at one version (its updated_at), and its staff list, leavers too (None until asked)."""

    version: datetime
    school: School
    staff: tuple[Staff, ...] | None = None
    # False once a read found it has no lessons at this version (an import that gives it its first moves the
    # version); None until a read asks.
    timetabled: bool | None = None


# Per database (engine), per school id. Parsing school.yml is most of what reading a school costs, so a process
# keeps what it parsed; every read still asks the database for the version, in the reader's own transaction,
# and parses again only when that changed. Anything that changes the school or its staff moves the version.
_parsed: WeakKeyDictionary[Engine, dict[int, _Parsed]] = WeakKeyDictionary()
_parsed_lock = threading.Lock()
_CHANGED = "walkbot.schools_changed"  # session.info: schools this transaction changed, not yet committed
_SEEN = "walkbot.schools_seen"  # session.info: the schools this transaction has checked the version of, once


def _kept(session: Session, school_id: int) -> _Parsed | None:
    with _parsed_lock:
        return _parsed.get(session.get_bind(), {}).get(school_id)


def _keep(session: Session, school_id: int, parsed: _Parsed) -> None:
    # What a transaction sees of its own uncommitted changes is its alone: never kept for others.
    if school_id in session.info.get(_CHANGED, ()):
        return
    with _parsed_lock:
        _parsed.setdefault(session.get_bind(), {})[school_id] = parsed


def _written(session: Session, school_id: int) -> None:
    session.info.setdefault(_CHANGED, set()).add(school_id)
    session.info.get(_SEEN, {}).pop(school_id, None)


def version_read(session: Session, school_id: int, version: datetime) -> None:
    """This transaction read the school's version with a statement of its own (the inbox's take): if this process
    parsed the school at that version, the transaction's reads of the school need not ask again."""
    kept = _kept(session, school_id)
    if kept is not None and kept.version == version and school_id not in session.info.get(_CHANGED, ()):
        session.info.setdefault(_SEEN, {})[school_id] = session.get_transaction(), kept


def _seen_now(session: Session, school_id: int) -> _Parsed | None:
    transaction, parsed = session.info.get(_SEEN, {}).get(school_id, (None, None))
    return parsed if transaction is not None and transaction is session.get_transaction() else None


def timetabled(session: Session, school_id: int) -> bool:
    """Whether the school may have lessons at the version this transaction read: False only when an earlier read
    at that version found none (then nothing need ask again)."""
    parsed = _seen_now(session, school_id)
    return parsed is None or parsed.timetabled is not False


def has_no_lessons(session: Session, school_id: int) -> None:
    """A read in this transaction found the school has no lessons: so it is at the version this transaction read
    (lessons come with a new version), and this process need not ask again until that changes."""
    parsed = _seen_now(session, school_id)
    if parsed is not None and school_id not in session.info.get(_CHANGED, ()):
        parsed = replace(parsed, timetabled=False)
        _keep(session, school_id, parsed)
        session.info[_SEEN][school_id] = session.get_transaction(), parsed


def school_changed(session: Session, school_id: int) -> None:
    """This transaction changes the school's staff (or anything else read with the school): a new version, so
    every process reads it again. Whatever writes staff rows calls it first, in the same transaction."""
    _written(session, school_id)
    session.execute(update(SchoolRow).where(SchoolRow.id == school_id).values(updated_at=datetime.now(UTC)))


def _school_from_row(row: SchoolRow) -> School:
    # The stored school.yml goes through the same parser as a fresh one, under the key it was saved by
    # (a document stored before school.key was required may not say it).
    return replace(parse_school_config(row.config, stored_key=row.key).school, id=row.id)


def _jsonable(document: Mapping[str, Any]) -> dict[str, Any]:
    """school.yml as JSON: YAML's dates become the ISO strings the parser also accepts."""

    def iso(value: Any) -> str:
        if isinstance(value, (date, time)):
            return value.isoformat()
        raise TypeError(f"school.yml holds a {type(value).__name__}, which cannot be stored")

    return json.loads(json.dumps(document, default=iso))


def _roles_text(roles: frozenset[Role]) -> str:
    return ",".join(sorted(role.value for role in roles))


def _staff_from_row(row: StaffRow) -> Staff:
    return Staff(
        id=row.id,
        school_id=row.school_id,
        chat_id=row.chat_id,
        name=row.name,
        roles=frozenset(Role(r) for r in row.roles.split(",") if r),
        handle=row.handle,
        line_manager=row.line_manager,
        active=row.active,
        email=row.email,
        department=row.department,
        stage=row.stage,
    )


def _handle(handle: str | None) -> str | None:
    return (handle.strip().lstrip("@") or None) if handle else None


def _fill_staff(row: StaffRow, staff: Staff) -> None:
    row.name, row.roles, row.handle = staff.name, _roles_text(staff.roles), _handle(staff.handle)
    row.line_manager, row.active, row.source = staff.line_manager, staff.active, FROM_CHAT
    row.department, row.stage = staff.department, staff.stage


def _team_taken(school: School, holder: str) -> str:
    return (f"The Slack workspace {school.slack_team_id} is already linked to another school, the one with "
            f"key {holder}; nothing was changed. If this file is that school, give it `key: {holder}` "
            "(a school keeps its key when it is renamed); if it is a different school, give it its own "
            "Slack workspace's slack_team_id.")


class SqlSchoolRepo:
    def __init__(self, session: Session):
        self.session = session

    def lock(self, school_id: int) -> None:
        self.session.scalar(select(SchoolRow.id).where(SchoolRow.id == school_id).with_for_update())

    def _parsed(self, *where) -> list[_Parsed]:
        """The schools found, by id: one small query for their versions, and a parse only for a version not kept."""
        found = self.session.execute(select(SchoolRow.id, SchoolRow.updated_at).where(*where).order_by(SchoolRow.id))
        parsed = []
        for school_id, version in found:
            kept = _kept(self.session, school_id)
            if kept is None or kept.version != version:
                row = self.session.get(SchoolRow, school_id, populate_existing=True)  # as stored, not as once read
                kept = _Parsed(version, _school_from_row(row))
                _keep(self.session, school_id, kept)
            parsed.append(kept)
        return parsed

    def _by_id(self, school_id: int, *, staff: bool) -> _Parsed | None:
        # Checked once a transaction: a request's further reads of its school and staff cost no statement.
        seen = self.session.info.setdefault(_SEEN, {})
        transaction, parsed = seen.get(school_id, (None, None))
        if transaction is None or transaction is not self.session.get_transaction():
            parsed = next(iter(self._parsed(SchoolRow.id == school_id)), None)
        if parsed is not None and staff and parsed.staff is None:
            rows = self.session.execute(select(StaffRow.__table__).where(StaffRow.school_id == school_id)
                                        .order_by(StaffRow.name, StaffRow.id))
            parsed = replace(parsed, staff=tuple(_staff_from_row(row) for row in rows))
            _keep(self.session, school_id, parsed)
        if parsed is not None and school_id not in self.session.info.get(_CHANGED, ()):
            seen[school_id] = self.session.get_transaction(), parsed
        return parsed

    def get(self, school_id: int) -> School | None:
        parsed = self._by_id(school_id, staff=False)
        return parsed.school if parsed else None

    def with_staff(self, school_id: int) -> tuple[School, tuple[Staff, ...]] | None:
        parsed = self._by_id(school_id, staff=True)
        return (parsed.school, parsed.staff) if parsed else None

    def by_key(self, key: str) -> School | None:
        return next((p.school for p in self._parsed(SchoolRow.key == key)), None)

    def by_slack_team(self, team_id: str) -> School | None:
        return next((p.school for p in self._parsed(SchoolRow.slack_team_id == team_id)), None)

    def by_teams_tenant(self, tenant_id: str) -> list[School]:
        """The schools linked to this Entra tenant: one for a school's own, several for a local authority's."""
        return [p.school for p in self._parsed(SchoolRow.teams_tenant_id == tenant_id.lower())]

    def all(self) -> list[School]:
        return [p.school for p in self._parsed()]

    def save(self, config: SchoolConfig) -> School:
        """Upsert the school by key (its name may change) and its staff by chat id; staff the file no longer
        lists become inactive (but not those SLT added in chat, which the file never listed).

        A Slack workspace belongs to one school: a file whose slack_team_id another school's key holds is
        refused, and nothing is changed.
        """
        school = config.school
        row = self.session.scalar(select(SchoolRow).where(SchoolRow.key == school.key).with_for_update())
        if school.slack_team_id:
            holder = self.session.scalar(select(SchoolRow.key).where(
                SchoolRow.slack_team_id == school.slack_team_id, SchoolRow.key != school.key))
            if holder is not None:
                raise InputError(_team_taken(school, holder))
        if row is None:
            row = SchoolRow(key=school.key)
            self.session.add(row)
        row.name, row.config = school.name, _jsonable(school.config)
        row.slack_team_id = school.slack_team_id
        row.teams_tenant_id = school.teams.tenant_id if school.teams else None
        try:
            self.session.flush()
        except IntegrityError:
            # Another load, at this very moment, took the key or the workspace first (the unique constraints).
            raise InputError(f"Another school with the key {school.key} or the Slack workspace "
                             f"{school.slack_team_id} was saved at the same moment; nothing was changed. "
                             "Load the file again to see which.") from None

        listed = {spec.chat_id: spec for spec in config.staff}
        staff = {s.chat_id: s for s in self.session.scalars(select(StaffRow).where(StaffRow.school_id == row.id))}
        for chat_id, s in staff.items():
            if chat_id not in listed and s.source == FROM_FILE:
                s.active = False
        for spec in listed.values():
            s = staff.get(spec.chat_id)
            if s is None:
                s = staff[spec.chat_id] = StaffRow(school_id=row.id, chat_id=spec.chat_id)
                self.session.add(s)
            s.name, s.roles, s.handle = spec.name, _roles_text(spec.roles), _handle(spec.handle)
            s.line_manager, s.active, s.source, s.email = spec.line_manager, True, FROM_FILE, spec.email
            s.department, s.stage = spec.department, spec.stage
        if any(s in self.session.new or self.session.is_modified(s) for s in staff.values()):
            row.updated_at = datetime.now(UTC)  # a staff list changed alone moves the school's version too
        self.session.flush()
        _written(self.session, row.id)
        saved = _school_from_row(row)
        store_sessions(self.session, row.id, saved.calendar)  # what the visit tallies count by
        return saved


_OBJECTIONS = ObjectionRow.__table__
# SqlStaffRepo.lock's statement, built once: each booking binds its school, its people and its teacher.
_LOCK = (select(StaffRow.chat_id.label("staff_chat_id"), *_OBJECTIONS.c)
         .outerjoin(_OBJECTIONS, and_(_OBJECTIONS.c.school_id == StaffRow.school_id,
                                      _OBJECTIONS.c.teacher == StaffRow.chat_id,
                                      StaffRow.chat_id == bindparam("teacher"),
                                      _OBJECTIONS.c.status == ObjectionStatus.OPEN.value))
         .where(StaffRow.school_id == bindparam("school_id"), StaffRow.chat_id.in_(bindparam("wanted", expanding=True)))
         .order_by(StaffRow.chat_id, _OBJECTIONS.c.raised_at, _OBJECTIONS.c.id)
         .with_for_update(of=StaffRow))


class SqlStaffRepo:
    def __init__(self, session: Session):
        self.session = session

    def _select(self, school_id: int, chat_id: str):
        return select(StaffRow).where(StaffRow.school_id == school_id, StaffRow.chat_id == chat_id)

    def get(self, school_id: int, chat_id: str) -> Staff | None:
        return next((s for s in self.all(school_id, with_leavers=True) if s.chat_id == chat_id), None)

    def find(self, school_id: int, mention: str) -> Staff | None:
        """Active staff by chat id or handle, any case, with or without the @: @tom, @U02TEACH, U02TEACH.

        A chat id beats a handle; a handle shared by several people finds no one rather than guess.
        """
        key = mention.strip().lstrip("@").strip().lower()
        if not key:
            return None
        active = self.all(school_id)
        found = ([s for s in active if s.chat_id.lower() == key]
                 or [s for s in active if s.handle and s.handle.lower() == key])
        return found[0] if len(found) == 1 else None

    def by_email(self, school_id: int, email: str) -> Staff | None:
        """Active staff listed with this email (any case); None when no one, or more than one, is."""
        found = [s for s in self.all(school_id) if s.email == email.strip().lower()]
        return found[0] if len(found) == 1 else None

    def all(self, school_id: int, *, with_leavers: bool = False) -> list[Staff]:
        """Active staff, by name; with_leavers, also those taken off the list."""
        found = SqlSchoolRepo(self.session).with_staff(school_id)
        return [s for s in found[1] if with_leavers or s.active] if found else []

    def add(self, staff: Staff) -> Staff:
        """Someone new, added in chat (not from school.yml)."""
        school_changed(self.session, staff.school_id)
        row = StaffRow(school_id=staff.school_id, chat_id=staff.chat_id)
        _fill_staff(row, staff)
        self.session.add(row)
        self.session.flush()
        return _staff_from_row(row)

    def update(self, staff: Staff) -> Staff:
        """Change someone already known (by chat id) from chat: from now on school.yml re-loads leave them be."""
        school_changed(self.session, staff.school_id)  # the school's row before any staff row, as lock() says
        row = self.session.scalar(self._select(staff.school_id, staff.chat_id))
        if row is None:
            raise NotFound(f"There is no one with the chat id {staff.chat_id} at this school.")
        _fill_staff(row, staff)
        self.session.flush()
        return _staff_from_row(row)

    def lock(self, school_id: int, chat_ids: Iterable[str], *, objections_to: str | None = None) -> list[Objection]:
        # FOR UPDATE on PostgreSQL, in chat-id order so that two requests locking overlapping people never
        # deadlock; SQLite renders nothing, but every transaction there is BEGIN IMMEDIATE. The teacher's open
        # objections come joined to their own row, so a booking reads them without a statement of their own.
        wanted = sorted(set(chat_ids))
        rows = self.session.execute(_LOCK, dict(school_id=school_id, wanted=wanted, teacher=objections_to)).all()
        missing = set(wanted) - {row.staff_chat_id for row in rows}
        if missing:
            raise NotFound(f"There is no one with the chat id {sorted(missing)[0]} at this school.")
        return [objection_from_row(row) for row in rows if row.id is not None]  # a person with no objection: NULLs
