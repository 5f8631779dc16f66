"""Schools and their staff."""
from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, time
from typing import Any, Iterable, Mapping

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.domain.model import Role, Staff
from bot.domain.school import School, SchoolConfig, parse_school_config
from bot.errors import InputError, NotFound
from storage.tables import SchoolRow, StaffRow

FROM_FILE, FROM_CHAT = "school.yml", "chat"


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

    def get(self, school_id: int) -> School | None:
        row = self.session.get(SchoolRow, school_id)
        return _school_from_row(row) if row else None

    def by_key(self, key: str) -> School | None:
        row = self.session.scalar(select(SchoolRow).where(SchoolRow.key == key))
        return _school_from_row(row) if row else None

    def by_slack_team(self, team_id: str) -> School | None:
        row = self.session.scalar(select(SchoolRow).where(SchoolRow.slack_team_id == team_id))
        return _school_from_row(row) if row else None

    def by_teams_tenant(self, tenant_id: str) -> list[School]:
        """The schools linked to this Entra tenant: one for a school's own, several for a local authority's."""
        rows = self.session.scalars(select(SchoolRow).where(SchoolRow.teams_tenant_id == tenant_id.lower())
                                    .order_by(SchoolRow.id))
        return [_school_from_row(row) for row in rows]

    def all(self) -> list[School]:
        return [_school_from_row(row) for row in self.session.scalars(select(SchoolRow).order_by(SchoolRow.id))]

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
        self.session.flush()
        return _school_from_row(row)


class SqlStaffRepo:
    def __init__(self, session: Session):
        self.session = session

    def _select(self, school_id: int, chat_id: str):
        return select(StaffRow).where(StaffRow.school_id == school_id, StaffRow.chat_id == chat_id)

    def get(self, school_id: int, chat_id: str) -> Staff | None:
        row = self.session.scalar(self._select(school_id, chat_id))
        return _staff_from_row(row) if row else None

    def find(self, school_id: int, mention: str) -> Staff | None:
        """Active staff by chat id or handle, any case, with or without the @: @tom, @U02TEACH, U02TEACH.

        A chat id beats a handle; a handle shared by several people finds no one rather than guess.
        """
        text = mention.strip()
        key = text.lstrip("@").strip().lower()
        if not key:
            return None
        rows = self.session.scalars(
            select(StaffRow)
            .where(StaffRow.school_id == school_id, StaffRow.active.is_(True))
            .where(or_(func.lower(StaffRow.chat_id) == key, func.lower(StaffRow.handle) == key))
        ).all()
        by_id = [r for r in rows if r.chat_id.lower() == key]
        found = by_id or rows
        return _staff_from_row(found[0]) if len(found) == 1 else None

    def by_email(self, school_id: int, email: str) -> Staff | None:
        """Active staff listed with this email (any case); None when no one, or more than one, is."""
        rows = self.session.scalars(select(StaffRow).where(
            StaffRow.school_id == school_id, StaffRow.active.is_(True), StaffRow.email == email.strip().lower())
            .limit(2)).all()
        return _staff_from_row(rows[0]) if len(rows) == 1 else None

    def all(self, school_id: int, *, with_leavers: bool = False) -> list[Staff]:
        """Active staff, by name; with_leavers, also those taken off the list."""
        query = select(StaffRow).where(StaffRow.school_id == school_id).order_by(StaffRow.name, StaffRow.id)
        if not with_leavers:
            query = query.where(StaffRow.active.is_(True))
        return [_staff_from_row(r) for r in self.session.scalars(query)]

    def add(self, staff: Staff) -> Staff:
        """Someone new, added in chat (not from school.yml)."""
        row = StaffRow(school_id=staff.school_id, chat_id=staff.chat_id)
        _fill_staff(row, staff)
        self.session.add(row)
        self.session.flush()
        return _staff_from_row(row)

    def update(self, staff: Staff) -> Staff:
        """Change someone already known (by chat id) from chat: from now on school.yml re-loads leave them be."""
        row = self.session.scalar(self._select(staff.school_id, staff.chat_id))
        if row is None:
            raise NotFound(f"There is no one with the chat id {staff.chat_id} at this school.")
        _fill_staff(row, staff)
        self.session.flush()
        return _staff_from_row(row)

    def lock(self, school_id: int, chat_ids: Iterable[str]) -> None:
        # FOR UPDATE on PostgreSQL, in chat-id order so that two requests locking overlapping people never
        # deadlock; SQLite renders nothing, but every transaction there is BEGIN IMMEDIATE.
        wanted = sorted(set(chat_ids))
        found = self.session.scalars(
            select(StaffRow.chat_id).where(StaffRow.school_id == school_id, StaffRow.chat_id.in_(wanted))
            .order_by(StaffRow.chat_id).with_for_update()).all()
        missing = set(wanted) - set(found)
        if missing:
            raise NotFound(f"There is no one with the chat id {sorted(missing)[0]} at this school.")
