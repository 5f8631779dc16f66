"""One command router behind every chat surface: text in, a reply out, never an exception."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Callable

from bot import commands as c
from bot import overview, roster, services, walks
from bot.errors import NotFound, Unavailable, WalkbotError
from bot.grammar import help_text, parse
from bot.ports import Clock, UnitOfWork
from bot.replies import render, render_error

log = logging.getLogger("walkbot")

SERVICES: dict[type, Callable] = {
    c.ProposeVisit: services.propose_visit,
    c.AgreeVisit: services.agree_visit,
    c.DeclineVisit: services.decline_visit,
    c.SuggestTime: services.suggest_time,
    c.AcceptSuggestion: services.accept_suggestion,
    c.WithdrawVisit: services.withdraw_visit,
    c.CancelVisit: services.cancel_visit,
    c.MoveVisit: services.move_visit,
    c.MarkHeld: services.mark_held,
    c.ScheduleDialogue: services.schedule_dialogue,
    c.WriteNote: services.write_note,
    c.WriteRecord: services.write_record,
    c.AgreeRecord: services.agree_record,
    c.ObjectToObserver: services.object_to_observer,
    c.RaiseConcern: services.raise_concern,
    c.ShowVisit: services.show_visit,
    c.ListVisits: services.list_visits,
    c.ShowLimits: services.show_limits,
    c.PlanWalk: walks.plan_walk,
    c.ListWalks: walks.list_walks,
    c.ShowWalk: walks.show_walk,
    c.CancelWalk: walks.cancel_walk,
    c.AddStaff: roster.add_staff,
    c.RemoveStaff: roster.remove_staff,
    c.ListStaff: roster.list_staff,
    c.WhoAmI: roster.who_am_i,
    c.ShowOverview: overview.show_overview,
}

SORRY = ("Sorry — something went wrong on walkbot's side, and nothing was changed. "
         "Please try again; if it keeps happening, tell your IT lead.")


@dataclass(frozen=True)
class Reply:
    text: str
    result: Any = None
    error: Exception | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


class Walkbot:
    def __init__(self, *, uow_factory: Callable[[], UnitOfWork], clock: Clock):
        self.uow_factory = uow_factory
        self.clock = clock

    def handle(self, text: str, *, school_id: int, actor: str) -> Reply:
        school = None
        try:
            with self.uow_factory() as uow:
                school = uow.schools.get(school_id)
            if school is None:
                raise NotFound("This workspace is not linked to a school yet: ask your IT lead to load school.yml.")
            today = school.calendar.local(self.clock.now()).date()
            cmd = parse(text, school_id=school_id, actor=actor, today=today, calendar=school.calendar)
            if isinstance(cmd, c.Help):
                return Reply(help_text(cmd.topic))
            return self.run(cmd, school)
        except Exception as err:
            return _failure(err, school, "reading a command")

    def run(self, cmd: c.Command, school=None) -> Reply:
        """Run an already-parsed command (buttons and modals build commands without text)."""
        try:
            result = SERVICES[type(cmd)](cmd, self.uow_factory(), self.clock)
            return Reply(render(result), result)
        except Exception as err:
            return _failure(err, school, f"running {type(cmd).__name__}")


def _failure(err: Exception, school, doing: str) -> Reply:
    """What the person is told when a request fails; a bug is logged, never shown as a stack trace."""
    if isinstance(err, Unavailable):  # the person is asked to retry; the operator needs the cause
        log.warning("the database could not be reached while %s: %r", doing, err.__cause__)
    if isinstance(err, WalkbotError):
        return Reply(render_error(err, school), error=err)
    log.error("walkbot failed while %s", doing, exc_info=err)
    return Reply(SORRY, error=err)
