"""One command router behind every chat surface: text in, a reply out, never an exception."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import partial
from typing import Callable

from bot.chat import replies
from bot.chat.grammar import help_text, parse
from bot.errors import NotFound, Refused, Unavailable, WalkbotError
from bot.ports import Clock, UnitOfWork
from bot.reply import text
from bot.reply.card import Card, Tone, Verb, card
from bot.reports import commands as reports
from bot.reports.coverage import show_coverage
from bot.reports.summary import show_summary
from bot.usecases import after, calendar, concerns, lookups, overview, roster, visits, walks
from bot.usecases import commands as c
from bot.usecases.results import VisitDone

log = logging.getLogger("walkbot")

SERVICES: dict[type, Callable] = {
    c.ProposeVisit: visits.propose_visit,
    c.AgreeVisit: visits.agree_visit,
    c.DeclineVisit: visits.decline_visit,
    c.SuggestTime: visits.suggest_time,
    c.AcceptSuggestion: visits.accept_suggestion,
    c.WithdrawVisit: visits.withdraw_visit,
    c.CancelVisit: visits.cancel_visit,
    c.MoveVisit: visits.move_visit,
    c.MarkHeld: after.mark_held,
    c.ScheduleDialogue: after.schedule_dialogue,
    c.WriteNote: after.write_note,
    c.WriteRecord: after.write_record,
    c.AgreeRecord: after.agree_record,
    c.ObjectToObserver: concerns.object_to_observer,
    c.ResolveObjection: concerns.resolve_objection,
    c.WithdrawObjection: concerns.withdraw_objection,
    c.RaiseConcern: concerns.raise_concern,
    c.ReportUnsafePractice: concerns.report_unsafe_practice,
    c.ShowVisit: lookups.show_visit,
    c.ListVisits: lookups.list_visits,
    c.ShowLimits: lookups.show_limits,
    c.PlanWalk: walks.plan_walk,
    c.ListWalks: walks.list_walks,
    c.ShowWalk: walks.show_walk,
    c.CancelWalk: walks.cancel_walk,
    c.RecordFindings: walks.record_findings,
    c.ShowReport: walks.show_report,
    c.ShareReport: walks.share_report,
    c.AddStaff: roster.add_staff,
    c.RemoveStaff: roster.remove_staff,
    c.ListStaff: roster.list_staff,
    c.WhoAmI: roster.who_am_i,
    c.ShowOverview: overview.show_overview,
    reports.ShowSummary: show_summary,
    reports.ShowCoverage: show_coverage,
}

SORRY = ("Sorry — something went wrong on walkbot's side, and nothing was changed. "
         "Please try again; if it keeps happening, tell your IT lead.")


@dataclass(frozen=True)
class Reply:
    """What a surface shows (`card`), and for an answered question the card that replaces it (`settled`)."""

    card: Card
    result: object | None = None  # the use case's typed result
    error: Exception | None = None
    settled: Card | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def text(self) -> str:
        return text.render(self.card)


class Walkbot:
    def __init__(self, *, uow_factory: Callable[[], UnitOfWork], clock: Clock, public_url: str | None = None):
        self.uow_factory = uow_factory
        self.clock = clock
        # public_url: where people reach walkbot (WALKBOT_PUBLIC_URL), the base of calendar feed addresses.
        self.services = {**SERVICES, c.ShowCalendar: partial(calendar.show_feed, public_url=public_url),
                         c.NewCalendar: partial(calendar.new_feed, public_url=public_url)}

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
                return Reply(card(*help_text(cmd.topic)))
            return self.run(cmd, school, typed=True)
        except Exception as err:
            return _failure(err, school, "reading a command", typed=True)

    def lessons(self, school, actor: str, teacher: str | None = None):
        """What the propose form offers (bot.chat.forms.propose_form): the teacher's lessons that week, () until
        the teacher is known, None where the school has no timetable (or it cannot be read now: the form is then
        drawn as without one, and the core still checks every lesson rule when it is sent)."""
        try:
            return visits.week_lessons(c.ListLessons(school_id=school.id, actor=actor, teacher=teacher),
                                       self.uow_factory(), self.clock)
        except WalkbotError:
            return None

    def run(self, cmd: c.Command, school=None, *, typed: bool = False) -> Reply:
        """Run an already-parsed command (buttons and modals build commands without text)."""
        try:
            result = self.services[type(cmd)](cmd, self.uow_factory(), self.clock)
            settled = replies.settled(result.school, result.visit, result.names) if isinstance(result, VisitDone) else None
            return Reply(replies.reply(result), result, settled=settled)
        except Exception as err:
            return _failure(err, school, f"running {type(cmd).__name__}", RETRY.get(type(cmd)), typed=typed)


# A refused proposal or suggestion offers its nearest allowed times as actions that retry it in its form.
RETRY: dict[type, tuple[Verb, str]] = {c.ProposeVisit: (Verb.PROPOSE_AT, "Propose"),
                                      c.SuggestTime: (Verb.SUGGEST_AT, "Suggest")}


def _failure(err: Exception, school, doing: str, retry: tuple[Verb, str] | None = None, *,
             typed: bool = False) -> Reply:
    """What the person is told when a request fails; a bug is logged, never shown as a stack trace."""
    if isinstance(err, Unavailable):  # the person is asked to retry; the operator needs the cause
        log.warning("the database could not be reached while %s: %r", doing, err.__cause__)
    if isinstance(err, Refused):
        return Reply(replies.refusal(err, school, *(retry or (None,)), typed=typed), error=err)
    if isinstance(err, WalkbotError):
        return Reply(replies.problem(err, school), error=err)
    log.error("walkbot failed while %s", doing, exc_info=err)
    return Reply(card(SORRY, tone=Tone.PROBLEM), error=err)
