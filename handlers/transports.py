"""Each notice through its own school's installation, Teams or Slack, and never another school's.

- Teams: the school's Teams staff channel, and anyone walkbot is installed for in Teams; in a school on Teams,
  also anyone who is not a Slack user (their notice waits until walkbot is installed for them).
- Slack: everyone else, in the school's own workspace: its OAuth installation, or SLACK_BOT_TOKEN when that
  token is the school's workspace's.
- A school that walkbot is not installed for on either gets its notices held (Unreachable), with the reason,
  which SLT see on their overview.

Every dispatcher (and every `walkbot serve` or `walkbot teams serve` sending notices beside its app) needs the
settings of each chat the deployment runs: a dispatcher without Teams' holds the Teams schools' notices.
"""
from __future__ import annotations

import re
import threading
import time
from typing import TYPE_CHECKING

from bot.domain.model import Notice
from bot.domain.school import School
from bot.errors import InputError
from bot.notices.delivery import Reach, Undeliverable, Unreachable
from handlers import redact
from handlers.slack.blocks import notice_message as slack_message
from handlers.slack.settings import SlackSettings
from handlers.slack.transport import Workspaces
from handlers.teams.reach import destination, not_reached
from handlers.teams.settings import TeamsSettings

if TYPE_CHECKING:
    from handlers.teams.transport import TeamsTransport

# A Slack user id (U…, or W… in an Enterprise Grid); a Teams person's staff id is their Entra object id or email.
SLACK_USER = re.compile(r"[UW][A-Z0-9]{2,}")
NOTHING_SET = ("walkbot has no chat to send notices through: set SLACK_BOT_TOKEN (one Slack workspace), or "
               "SLACK_CLIENT_ID, SLACK_CLIENT_SECRET and WALKBOT_SECRET_KEY (a workspace per school, installed by "
               "OAuth), or TEAMS_APP_ID, TEAMS_APP_SECRET and TEAMS_TENANT_ID (Microsoft Teams): the settings "
               "walkbot serve and walkbot teams serve have.")


SCHOOL_TTL = 30.0  # seconds a school is remembered: a school.yml load is seen within it, as by the apps


class PerSchool:
    """bot.notices.delivery.Transport: each notice goes the way its school is installed (see the module)."""

    def __init__(self, uow_factory, *, slack: Workspaces | None = None, teams: TeamsTransport | None = None,
                 clock=time.monotonic):
        self.uow_factory, self.slack, self.teams, self.clock = uow_factory, slack, teams, clock
        # Building a School from its stored school.yml costs milliseconds a hundred staff; a batch of notices
        # is mostly one school's, so each is read once in a while, not once a notice.
        self._schools: dict[int, tuple[float, School | None]] = {}
        self._lock = threading.Lock()

    def _school(self, uow, school_id: int) -> School | None:
        with self._lock:
            known = self._schools.get(school_id)
        if known is not None and self.clock() < known[0]:
            return known[1]
        school = uow.schools.get(school_id)
        with self._lock:
            self._schools[school_id] = (self.clock() + SCHOOL_TTL, school)
        return school

    def send(self, notice: Notice) -> str:
        with self.uow_factory() as uow:
            school = self._school(uow, notice.school_id)
            to = destination(uow, school, notice.recipient) if school else None
        if school is None:
            raise Undeliverable(f"school {notice.school_id} is no longer in walkbot")
        if to is not None or _teams_only(school, notice.recipient):
            if to is None:
                raise not_reached(school, notice.recipient)
            if self.teams is None:
                raise Unreachable(Reach.NO_INSTALLATION, "Teams is not set up for this walkbot (TEAMS_APP_ID, "
                                                         "TEAMS_APP_SECRET, TEAMS_TENANT_ID)")
            return self.teams.deliver(notice, to)
        if self.slack is None:
            raise Unreachable(Reach.NO_INSTALLATION, "Slack is not set up for this walkbot (SLACK_BOT_TOKEN, or "
                                                     "SLACK_CLIENT_ID for a workspace per school)")
        return self.slack.workspace(school).send(notice)

    def close(self) -> None:
        if self.teams is not None:
            self.teams.close()


def _teams_only(school: School, recipient: str) -> bool:
    """Whether only Teams can reach this recipient: the Teams channel, or a person of a school on Teams who is no
    Slack user (Slack is never asked to find a Teams person, which it would fail as unknown)."""
    link = school.teams
    if link is None:
        return False
    if recipient == link.channel_id or school.slack_team_id is None:
        return True
    return recipient != school.announcements_channel and not SLACK_USER.fullmatch(recipient)


def from_environment(store) -> PerSchool:
    """`walkbot dispatch`'s way out, from the same settings as the apps'; refused, in a sentence, when neither
    Slack nor Teams is set up."""
    from handlers.slack import transport as slack

    redact.install(secrets=SlackSettings.from_env().secrets + TeamsSettings.from_env().secrets)
    per_school = PerSchool(store.uow, slack=slack.from_environment(store.engine, render=slack_message),
                           teams=teams_from_environment(store.uow))
    if per_school.slack is None and per_school.teams is None:
        raise InputError(NOTHING_SET)
    return per_school


def teams_from_environment(uow_factory) -> TeamsTransport | None:
    """Teams' way out when this deployment runs Teams (handlers.teams.transport.from_environment), else None
    without loading the Teams SDK: some 60 MiB, half a Slack-only `walkbot serve`'s memory."""
    if not TeamsSettings.from_env().set_up:
        return None
    from handlers.teams import transport

    return transport.from_environment(uow_factory)
