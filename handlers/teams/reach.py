"""Where a notice goes in Teams, and why it cannot go yet: read from the stored conversation references alone,
without the Teams SDK, so a process that only finds that a notice is not for Teams never loads it."""
from __future__ import annotations

from dataclasses import dataclass

from bot.domain.school import School
from bot.notices.delivery import Reach, Unreachable
from bot.ports import TeamsConversation, UnitOfWork

TEAM = "team"  # a reference's scope when walkbot was added to a team


@dataclass(frozen=True)
class Destination:
    """Where a notice goes in Teams: a stored reference (its connector, walkbot's id there; forgotten once gone)
    and the conversation posted into: the reference's own, or a channel of its team."""

    reference: TeamsConversation
    conversation_id: str


def destination(uow: UnitOfWork, school: School, recipient: str) -> Destination | None:
    """The school's staff channel through its team's reference, or the person's personal chat; None: walkbot has
    not been installed for them (or added to the team) yet."""
    link = school.teams
    if link is None:
        return None
    if recipient == link.channel_id:
        team = next((c for c in uow.teams.all(school.id) if c.scope == TEAM
                     and c.conversation_id.split(";")[0] in (link.team_id, link.channel_id)), None)
        return Destination(team, recipient) if team else None
    person = uow.teams.personal(school.id, recipient)
    return Destination(person, person.conversation_id) if person else None


def not_reached(school: School, recipient: str) -> Unreachable:
    if school.teams is not None and recipient == school.teams.channel_id:
        return Unreachable(Reach.TEAMS_TEAM, "walkbot is not in the school's staff team in Teams yet")
    return Unreachable(Reach.TEAMS_PERSON, "walkbot is not installed for them in Teams yet")
