"""Objections to an observer and concerns about visits, passed to whoever must resolve them."""
from __future__ import annotations

from bot.reply.card import Say, line

from bot.domain.model import Concern, NoticeKind, Objection, Staff
from bot.errors import InputError
from bot.notices import words
from bot.ports import Clock, UnitOfWork
from bot.usecases import commands as c
from bot.usecases.kernel import Scope, member, open_scope, require, visit_for
from bot.usecases.results import Said


def _line_manager_or_slt(scope: Scope, person: Staff) -> list[str]:
    if person.line_manager and person.line_manager in scope.names:
        return [person.line_manager]
    return [s.chat_id for s in scope.staff if s.is_slt and s.active and s.chat_id != person.chat_id]


def object_to_observer(cmd: c.ObjectToObserver, uow: UnitOfWork, clock: Clock) -> Said:
    with uow:
        scope = open_scope(uow, cmd, clock)
        visit = visit_for(scope, cmd.visit_id)
        require(scope.actor.chat_id == visit.teacher, "Only the teacher visited can object to an observer.")
        if cmd.observer:
            observer = scope.person(cmd.observer)
            if observer.chat_id not in visit.visitors:
                raise InputError(f"{observer.name} is not a visitor on visit #{visit.id}.")
        elif len(visit.visitors) == 1:
            observer = member(scope, visit.visitors[0])  # perhaps taken off the staff list since
        else:
            raise InputError(line(f"Visit #{visit.id} has several visitors: say which, like ",
                                  Say(f'visit object {visit.id} @name "reason"'), "."))
        uow.objections.add(Objection(None, scope.school.id, visit.teacher, observer.chat_id, cmd.reason, scope.now,
                                     visit.id))
        out = scope.outbox()
        for chat_id in _line_manager_or_slt(scope, scope.actor):
            out.tell(chat_id, NoticeKind.OBJECTION, words.objection(visit, scope.actor.name, observer.name, cmd.reason),
                     visit=visit)
        scope.commit(out)
        return Said(f"Recorded: you object to {observer.name} observing your class. walkbot will not book "
                    f"{observer.name} into your lessons, and your line manager has been told so it can be resolved.")


def raise_concern(cmd: c.RaiseConcern, uow: UnitOfWork, clock: Clock) -> Said:
    with uow:
        scope = open_scope(uow, cmd, clock)
        routed = _line_manager_or_slt(scope, scope.actor)
        uow.concerns.add(Concern(None, scope.school.id, scope.actor.chat_id, routed[0] if routed else None,
                                 cmd.text, scope.now))
        out = scope.outbox()
        for chat_id in routed:
            out.tell(chat_id, NoticeKind.CONCERN, words.concern(scope.actor.name, cmd.text))
        scope.commit(out)
        to = ", ".join(scope.names[r] for r in routed) or "SLT"
        return Said(f"Your concern has been passed to {to}. Only they can see it.")
