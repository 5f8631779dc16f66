"""Teams for a module's worth of hostile requests: walkbot's real Teams endpoint served over HTTP, on a database that
already holds its schools, with a connector stand-in of its own (teams_support's `teams` fixture is one test's:
a school loaded, served, and stopped again), and what a person is shown of an answer.

    with served(store, clock) as teams:       # a Tenant (teams_support): teams.post(...), teams.connector
        answer = teams.post(activity)
        seen(answer) + sent_since(teams, n)   # every word the person is shown
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from connector_standin import ConnectorStandIn, RateLimits
from live import serving
from teams_limits import activity_problems, cards_of, shown_text
from teams_support import APP_ID, SECRET, Answer, Tenant, key, settings

from bot.chat.router import Walkbot
from handlers.teams.app import build_teams


@contextmanager
def served(store, clock, *, walkbot: Walkbot | None = None, limited: bool = True, **given: Any) -> Iterator[Tenant]:
    """walkbot's Teams endpoint over `store` (`given`: its TeamsSettings, as teams_support.settings takes them).
    `limited`: the connector holds Teams' per-conversation limits (else one person may be sent any number of
    answers in a second). Whatever walkbot sent that Teams would refuse fails the module, as teams_support's
    connector fixture does."""
    limits = RateLimits() if limited else RateLimits(((1.0, 10**9),))
    with ConnectorStandIn(key=key(), client_id=APP_ID, client_secret=SECRET, limits=limits) as connector:
        runtime = build_teams(settings=settings(**given), clock=clock, cloud=connector.cloud, store=store,
                              walkbot=walkbot or Walkbot(uow_factory=store.uow, clock=clock))
        with serving(runtime.http) as http:
            yield Tenant(http, connector, store, clock, runtime)
        assert not connector.refused, f"Teams would refuse what walkbot sent: {[p for _, p in connector.refused[:3]]}"
        assert not [problems for sent in connector.sent if (problems := activity_problems(sent.activity))]


def seen(answer: Answer) -> str:
    """What a person is shown of an invoke's answer: the card put in place of theirs, the message under it, or
    the dialog (its form, or the sentence it closes on)."""
    body = answer.body if isinstance(answer.body, dict) else {}
    task = body.get("task") if isinstance(body.get("task"), dict) else {}
    if task.get("type") == "continue":
        return shown_text(answer.dialog)
    if task.get("type") == "message":
        return str(task.get("value"))
    if body.get("type") == "application/vnd.microsoft.activity.message":
        return answer.toast
    if body.get("type") == "application/vnd.microsoft.card.adaptive":
        return shown_text(answer.card)
    return ""


def sent_since(teams: Tenant, start: int) -> str:
    """The words of every card walkbot sent through the connector after its `start`th send."""
    return "\n".join(shown_text(card) for sent in teams.connector.sent[start:] for card in cards_of(sent.activity))
