"""The staff list from chat: SLT add and remove people; school.yml stays the main source of it.

People SLT add here are kept when school.yml is loaded again; people school.yml lists come back
with the next load even if they were taken off here, so the file must change too (the reply says so).
"""
from __future__ import annotations

import re
from dataclasses import replace
from typing import Mapping

from bot.domain.model import NoticeKind, Staff
from bot.domain.school import School
from bot.domain.words import role_words
from bot.errors import InputError, WrongState
from bot.notices import words
from bot.ports import Clock, UnitOfWork
from bot.usecases import commands as c
from bot.usecases.kernel import open_scope, require
from bot.usecases.results import Member, StaffChange, StaffList, StaffOutcome

_HANDLE = re.compile(r"[a-z0-9][a-z0-9.\-]{0,99}")
ONLY_SLT = "Only SLT can change or see the staff list."


def _in_school_file(school: School) -> frozenset[str]:
    return frozenset(str(row.get("id")) for row in school.config.get("staff") or [] if isinstance(row, Mapping))


def add_staff(cmd: c.AddStaff, uow: UnitOfWork, clock: Clock) -> StaffChange:
    with uow:
        scope = open_scope(uow, cmd, clock)
        require(scope.actor.is_slt, ONLY_SLT)
        known = uow.staff.get(scope.school.id, cmd.person)
        if known and known.active:
            raise WrongState(f"{known.name} is already on the staff list ({role_words(known)}).")
        def holder(handle: str) -> Staff | None:
            return next((s for s in scope.staff if s.handle and s.handle.lower() == handle.lower()), None)

        if cmd.handle and holder(cmd.handle):
            raise InputError(f"@{cmd.handle} is already {holder(cmd.handle).name}'s handle; "
                             "choose another with handle NAME.")
        # Without one, the first name, as colleagues would type it, unless someone has it already.
        first = cmd.name.split()[0].lower()
        handle = cmd.handle or (first if _HANDLE.fullmatch(first) and not holder(first) else None)
        manager = scope.person(cmd.line_manager).chat_id if cmd.line_manager else None
        person = Staff(known.id if known else None, scope.school.id, cmd.person, cmd.name, cmd.roles, handle,
                       manager)
        person = uow.staff.update(person) if known else uow.staff.add(person)
        out = scope.outbox()
        out.tell(person.chat_id, NoticeKind.STAFF_ADDED, words.staff_added(scope.school, person, scope.actor.name))
        scope.commit(out)
        return StaffChange(scope.school, person, StaffOutcome.BACK if known else StaffOutcome.ADDED,
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
        return StaffChange(scope.school, person, StaffOutcome.REMOVED, scope.names,
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
