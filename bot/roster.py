"""The staff list from chat: SLT add and remove people; school.yml stays the main source of it.

People SLT add here are kept when school.yml is loaded again; people school.yml lists come back
with the next load even if they were taken off here, so the file must change too (the reply says so).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Mapping

from bot import commands as c
from bot.errors import InputError, WrongState
from bot.model import Staff
from bot.ports import Clock, UnitOfWork
from bot.school import School
from bot.services import open_scope, require

ONLY_SLT = "Only SLT can change or see the staff list."


@dataclass(frozen=True)
class StaffChange:
    school: School
    person: Staff
    what: str  # "added", "back" (added again after being taken off), "removed"
    names: Mapping[str, str]
    in_school_file: bool  # listed in school.yml, whose next load wins


@dataclass(frozen=True)
class StaffList:
    school: School
    staff: tuple[Staff, ...]
    names: Mapping[str, str]
    in_school_file: frozenset[str]  # chat ids school.yml lists


@dataclass(frozen=True)
class Member:
    """Who is asking, found on the staff list: what a chat surface needs before it opens a form."""

    school: School
    person: Staff


def role_words(person: Staff) -> str:
    return ", ".join(sorted(person.roles))


def _in_school_file(school: School) -> frozenset[str]:
    return frozenset(str(row.get("id")) for row in school.config.get("staff") or [] if isinstance(row, Mapping))


def add_staff(cmd: c.AddStaff, uow: UnitOfWork, clock: Clock) -> StaffChange:
    with uow:
        scope = open_scope(uow, cmd, clock)
        require(scope.actor.is_slt, ONLY_SLT)
        known = uow.staff.get(scope.school.id, cmd.person)
        if known and known.active:
            raise WrongState(f"{known.name} is already on the staff list ({role_words(known)}).")
        if cmd.handle:
            holder = next((s for s in scope.staff if s.handle and s.handle.lower() == cmd.handle.lower()), None)
            if holder:
                raise InputError(f"@{cmd.handle} is already {holder.name}'s handle; choose another with handle NAME.")
        manager = scope.person(cmd.line_manager).chat_id if cmd.line_manager else None
        person = Staff(known.id if known else None, scope.school.id, cmd.person, cmd.name, cmd.roles, cmd.handle,
                       manager)
        person = uow.staff.update(person) if known else uow.staff.add(person)
        out = scope.outbox()
        out.tell(person.chat_id, "staff.added",
                 f"{scope.actor.name} added you to {scope.school.name}'s staff list in walkbot ({role_words(person)}). "
                 "Say /visit help to see what you can do.")
        scope.commit(out)
        return StaffChange(scope.school, person, "back" if known else "added",
                           {**scope.names, person.chat_id: person.name},
                           person.chat_id in _in_school_file(scope.school))


def remove_staff(cmd: c.RemoveStaff, uow: UnitOfWork, clock: Clock) -> StaffChange:
    with uow:
        scope = open_scope(uow, cmd, clock)
        require(scope.actor.is_slt, ONLY_SLT)
        person = scope.person(cmd.person)
        # Nobody locks themselves out: another member of SLT can do it.
        require(person.chat_id != scope.actor.chat_id, "You can't take yourself off the staff list; ask another "
                                                       "member of SLT.")
        person = uow.staff.update(replace(person, active=False))
        scope.commit()
        return StaffChange(scope.school, person, "removed", scope.names,
                           person.chat_id in _in_school_file(scope.school))


def list_staff(cmd: c.ListStaff, uow: UnitOfWork, clock: Clock) -> StaffList:
    with uow:
        scope = open_scope(uow, cmd, clock)
        require(scope.actor.is_slt, ONLY_SLT)
        return StaffList(scope.school, scope.staff, scope.names, _in_school_file(scope.school))


def who_am_i(cmd: c.WhoAmI, uow: UnitOfWork, clock: Clock) -> Member:
    """Refuses, as every service does, anyone not on the staff list, saying who can add them."""
    with uow:
        scope = open_scope(uow, cmd, clock)
        return Member(scope.school, scope.actor)
