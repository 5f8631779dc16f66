"""Concerns, unsafe practice seen on a visit, and objections to an observer, each passed to whoever must deal with
it and never to the person it concerns: the line manager; else the head teacher (with no head on the staff list,
SLT); else whoever school.yml names for what concerns the head (the chair of governors, say)."""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from enum import StrEnum

from bot.domain.model import BOOKED_STATUSES, Concern, NoticeKind, Objection, ObjectionStatus, Role, Staff
from bot.errors import InputError, NotAllowed, NotFound, WrongState
from bot.notices import words
from bot.ports import Clock, UnitOfWork
from bot.reply.card import Say, line
from bot.usecases import commands as c
from bot.usecases.kernel import Scope, member, open_scope, require, visit_for
from bot.usecases.results import Said


class Route(StrEnum):
    """Whom a matter went to, as the person raising it is told."""

    LINE_MANAGER = "your line manager"
    HEAD = "head teacher"
    SLT = "SLT: the staff list names no head teacher"
    ESCALATION = "named in school.yml for what concerns the head teacher"


NOBODY = ("walkbot has nobody to pass this to who is not the person it concerns, so nothing was recorded. "
          "Ask your IT lead to name the head teacher on the staff list (role head) and, under school.escalation "
          "in school.yml, who takes what concerns the head (the chair of governors, say).")


def route(scope: Scope, raiser: Staff, concerned: Iterable[str], *,
          line_manager: bool = True) -> tuple[Route, tuple[Staff, ...]]:
    """Whom a matter raised by `raiser` goes to, leaving out the raiser and everyone in `concerned`.
    line_manager=False: it goes straight to the head (unsafe practice, 000 Conduct)."""
    away = {raiser.chat_id, *concerned}
    listed = {s.chat_id: s for s in scope.staff}
    manager = listed.get(raiser.line_manager) if line_manager and scope.school.policy.concerns_to_line_manager \
        else None
    if manager and manager.chat_id not in away:
        return Route.LINE_MANAGER, (manager,)
    heads = [s for s in scope.staff if s.has(Role.HEAD)]
    how, stand_in = (Route.HEAD, heads) if heads else (Route.SLT, [s for s in scope.staff if s.is_slt])
    found = tuple(s for s in stand_in if s.chat_id not in away)
    if found:
        return how, found
    above = listed.get(scope.school.head_escalation)
    if above and above.chat_id not in away:
        return Route.ESCALATION, (above,)
    raise NotAllowed(NOBODY)


def passed_on(scope: Scope, raiser: Staff, concerned: Iterable[str], text: str, *,
              line_manager: bool = True) -> tuple[Route, tuple[Staff, ...], tuple[Staff, ...]]:
    """route(), also leaving out whoever the words name: a concern about one's line manager that says so without
    `about @them` still does not reach them. Returns the route, the recipients and those left out for being named."""
    away, named = set(concerned), []
    while True:
        how, to = route(scope, raiser, away, line_manager=line_manager)
        also = [p for p in to if _names(text, p)]
        if not also:
            return how, to, tuple(named)
        named += also
        away |= {p.chat_id for p in also}


def _names(text: str, person: Staff) -> bool:
    """Whether the text names the person: full name, first name, surname, handle or id, as whole words, any case."""
    said = {person.name, *person.name.split(), person.handle or "", person.chat_id}
    return any(re.search(rf"(?<!\w){re.escape(word)}(?!\w)", text, re.IGNORECASE) for word in said if len(word) > 2)


def _written(text: str, *ask: str | Say) -> str:
    """What someone wrote, which must say something: an empty concern or reason is passed to nobody."""
    if not text.strip():
        raise InputError(line(*ask))
    return text.strip()


def _to(how: Route, to: tuple[Staff, ...]) -> str:
    return f"{', '.join(p.name for p in to)} ({how})"


def _left_out(named: tuple[Staff, ...]) -> str:
    return f" It names {', '.join(p.name for p in named)}, so it has not gone to them." if named else ""


# --- objections to an observer (004 §9: "resolve the matter at school level") --------------------------------------

def object_to_observer(cmd: c.ObjectToObserver, uow: UnitOfWork, clock: Clock) -> Said:
    reason = _written(cmd.reason, "Say why you object, in quotes, like ",
                      Say(f'visit object {cmd.visit_id} "reason"'), ".")
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
        standing = next((o for o in uow.objections.for_teacher(scope.school.id, visit.teacher)
                         if o.observer == observer.chat_id), None)
        if standing:
            with_whom = f"{scope.names[standing.routed_to]} has it" if standing.routed_to in scope.names else "it is"
            raise WrongState(f"You already object to {observer.name} observing your class (visit #{standing.visit_id})"
                             f"; {with_whom} to resolve.")
        how, to, named = passed_on(scope, scope.actor, {observer.chat_id}, reason)
        resolver = to[0]  # one person settles it; with several heads (or SLT) to choose from, the first by name
        uow.objections.add(Objection(None, scope.school.id, visit.teacher, observer.chat_id, reason, scope.now,
                                     visit.id, resolver.chat_id))
        out = scope.outbox()
        out.tell(resolver.chat_id, NoticeKind.OBJECTION,
                 words.objection(visit, scope.actor.name, observer.name, reason), visit=visit)
        scope.commit(out)
        return Said(f"Recorded: you object to {observer.name} observing your class. Until it is resolved walkbot "
                    f"will not book {observer.name} into your lessons, and {_to(how, (resolver,))} has been asked to "
                    f"resolve it at school level.{_left_out(named)}")


def _open_objection(scope: Scope, visit_id: int, observer: str | None, theirs: Callable[[Objection], bool],
                    settle: str) -> Objection:
    """The one open objection on the visit that the person asking may settle. Whether the visit exists is not
    given away: it may be one they cannot see."""
    found = [o for o in scope.uow.objections.open_on_visit(scope.school.id, visit_id) if theirs(o)]
    if observer:
        named = scope.person(observer).chat_id
        found = [o for o in found if o.observer == named]
    if not found:
        raise NotFound(f"There is no open objection on visit #{visit_id} for you to {settle}.")
    if len(found) > 1:
        raise InputError(line(f"Visit #{visit_id} has objections to several observers: say which, like ",
                              Say(f"visit object {visit_id} @name {settle}"), "."))
    return found[0]


def resolve_objection(cmd: c.ResolveObjection, uow: UnitOfWork, clock: Clock) -> Said:
    how = _written(cmd.how, "Say how it was resolved, in quotes, like ",
                   Say(f'visit object {cmd.visit_id} resolve "we talked it through"'), ".")
    with uow:
        scope = open_scope(uow, cmd, clock)
        objection = _open_objection(scope, cmd.visit_id, cmd.observer,
                                    lambda o: o.routed_to == scope.actor.chat_id, "resolve")
        uow.objections.settle(objection.but(status=ObjectionStatus.RESOLVED, settled_at=scope.now, resolution=how))
        teacher, observer = (member(scope, p).name for p in (objection.teacher, objection.observer))
        out = scope.outbox()
        out.tell(objection.teacher, NoticeKind.OBJECTION_RESOLVED,
                 words.objection_resolved(cmd.visit_id, scope.actor.name, observer, how))
        scope.commit(out)
        return Said(f"Resolved: {teacher}'s objection to {observer} observing their class (visit #{cmd.visit_id}). "
                    f"{teacher} has been told how; {observer} may be proposed for their lessons again, with their "
                    "agreement as ever.")


def withdraw_objection(cmd: c.WithdrawObjection, uow: UnitOfWork, clock: Clock) -> Said:
    with uow:
        scope = open_scope(uow, cmd, clock)
        objection = _open_objection(scope, cmd.visit_id, cmd.observer,
                                    lambda o: o.teacher == scope.actor.chat_id, "withdraw")
        uow.objections.settle(objection.but(status=ObjectionStatus.WITHDRAWN, settled_at=scope.now))
        observer = member(scope, objection.observer).name
        out = scope.outbox()
        told = ""
        if objection.routed_to in {s.chat_id for s in scope.staff}:
            out.tell(objection.routed_to, NoticeKind.OBJECTION_WITHDRAWN,
                     words.objection_withdrawn(cmd.visit_id, scope.actor.name, observer))
            told = f" {scope.names[objection.routed_to]}, who had it to resolve, has been told."
        scope.commit(out)
        return Said(f"Withdrawn: your objection to {observer} observing your class (visit #{cmd.visit_id}). "
                    f"{observer} may be proposed for your lessons again.{told}")


# --- concerns, and unsafe practice ---------------------------------------------------------------------------------

def raise_concern(cmd: c.RaiseConcern, uow: UnitOfWork, clock: Clock) -> Said:
    text = _written(cmd.text, "Say what your concern is, in quotes, like ", Say('visit concern "..."'), ".")
    with uow:
        scope = open_scope(uow, cmd, clock)
        about = scope.person(cmd.about) if cmd.about else None
        if about and about.chat_id == scope.actor.chat_id:
            raise InputError("A concern is not about yourself: leave out “about @you” for one about visits in "
                             "general, or name whom it concerns.")
        how, to, named = passed_on(scope, scope.actor, {about.chat_id} if about else (), text)
        uow.concerns.add(Concern(None, scope.school.id, scope.actor.chat_id, to[0].chat_id, text, scope.now,
                                 about.chat_id if about else None))
        out = scope.outbox()
        for person in to:
            out.tell(person.chat_id, NoticeKind.CONCERN, words.concern(scope.actor.name, text,
                                                                       about.name if about else None))
        scope.commit(out)
        regarding = f" It has not gone to {about.name}, whom it concerns." if about else ""
        return Said(f"Your concern has been passed to {_to(how, to)}. Only they can see it.{regarding}"
                    f"{_left_out(named)}")


def report_unsafe_practice(cmd: c.ReportUnsafePractice, uow: UnitOfWork, clock: Clock) -> Said:
    text = _written(cmd.text, "Say what you saw, in quotes, like ", Say(f'visit unsafe {cmd.visit_id} "..."'), ".")
    with uow:
        scope = open_scope(uow, cmd, clock)
        visit = visit_for(scope, cmd.visit_id, lock=False)
        require(scope.actor.chat_id in visit.visitors, "Only a visitor reports practice seen on a visit.")
        if visit.status not in BOOKED_STATUSES or visit.start > scope.now:
            raise WrongState(f"Visit #{visit.id} has not taken place: practice seen on it can be reported once it "
                             "has begun.")
        if scope.actor.has(Role.HEAD):  # 000 Conduct: the head teacher decides; no one else is told
            uow.concerns.add(Concern(None, scope.school.id, scope.actor.chat_id, scope.actor.chat_id, text,
                                     scope.now, visit.teacher, visit.id))
            scope.commit()
            return Said("Recorded. As head teacher, you decide upon an appropriate course of action; walkbot has told "
                        "no one else.")
        # Straight to the head, whatever the words name: the head teacher decides (000 Conduct).
        how, to = route(scope, scope.actor, {visit.teacher}, line_manager=False)
        uow.concerns.add(Concern(None, scope.school.id, scope.actor.chat_id, to[0].chat_id, text, scope.now,
                                 visit.teacher, visit.id))
        out = scope.outbox()
        for person in to:
            out.tell(person.chat_id, NoticeKind.UNSAFE_PRACTICE,
                     words.unsafe_practice(scope.school, visit, scope.names, scope.actor.name, text), visit=visit)
        scope.commit(out)
        return Said(f"Reported to {_to(how, to)}, who will decide what happens next. Only they can see it.")
