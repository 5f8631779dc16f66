"""The Bot Framework connector stand-in holds walkbot to what Teams takes (valid cards, a token, Teams' per-conversation
rate limits), and walkbot's own token comes from the cloud's login endpoint by the client-credentials grant."""
from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request

import pytest
from connector_standin import LIMITS, RateLimits
from microsoft_teams.api import Account, CreateConversationParams, MessageActivityInput
from teams_limits import shown_text
from teams_support import (
    APP_ID,
    RACHEL,
    TENANT,
    TOM,
    connector_fixture,  # noqa: F401 (a fixture)
    settings,
    teams_fixture,  # noqa: F401 (a fixture)
    tenant,
)

from bot.reply.card import card
from handlers.teams import cards
from handlers.teams.auth import ClientCredentialsToken, TokenError


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_teams_rate_limits_per_conversation():
    clock = Clock()
    limits = RateLimits(LIMITS, clock)
    assert all(limits.take("a:1") is None for _ in range(7))
    assert limits.take("a:1") == pytest.approx(1.0)  # 7 a second
    assert limits.take("a:2") is None  # each conversation its own
    clock.now += 1.0
    assert limits.take("a:1") is None  # the 8th in 2 seconds
    wait = limits.take("a:1")
    assert wait == pytest.approx(1.0)  # 8 in 2 s: until the first leaves the window
    for _ in range(60):
        clock.now += 0.3
        limits.take("a:3")
    assert len([t for t in limits.sent["a:3"] if t > clock.now - 30]) == 60
    assert limits.take("a:3") > 0  # 60 in 30 s


def _post(url: str, body: dict, token: str | None) -> tuple[int, dict, dict]:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json",
                                              **({"Authorization": f"Bearer {token}"} if token else {})})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, json.loads(answer.read()), dict(answer.headers)
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read()), dict(error.headers)


def _token(connector) -> str:
    return asyncio.run(ClientCredentialsToken(client_id=APP_ID, client_secret=connector.client_secret,
                                              login_endpoint=connector.cloud.login_endpoint,
                                              default_tenant=TENANT)("https://api.botframework.com/.default"))


def test_the_stand_in_refuses_what_teams_refuses(connector):
    url = f"{connector.service_url}v3/conversations/a:1/activities"
    good = cards.message(card("Hello"))
    assert _post(url, good, None)[0] == 401
    token = _token(connector)
    assert _post(url, good, token)[0] == 201
    bad = json.loads(json.dumps(good))
    bad["attachments"][0]["content"]["body"].append({"type": "ActionSet", "actions": [
        {"type": "Action.Execute", "title": "Agree", "data": {}}]})  # no verb: never delivered
    status, said, _ = _post(url, bad, token)
    assert status == 400 and "no verb" in said["error"]["message"]
    connector.refused.clear()  # refused on purpose here
    for _ in range(6):
        assert _post(url, good, token)[0] == 201
    status, _, headers = _post(url, good, token)
    assert status == 429 and int(headers["Retry-After"]) >= 1
    assert len(connector.to("a:1")) == 7 and len(connector.throttled) == 1


def test_walkbot_gets_its_token_by_the_client_credentials_grant_and_keeps_it(teams):
    teams.say(RACHEL, "help")
    teams.say(RACHEL, "list")
    assert len(teams.connector.token_requests) == 1  # cached until near its expiry
    asked = teams.connector.token_requests[0]
    assert asked == {"grant_type": "client_credentials", "client_id": APP_ID,
                     "scope": "https://api.botframework.com/.default", "_tenant": TENANT}
    assert teams.connector.unauthorised == 0


def test_a_multi_tenant_bot_gets_its_token_in_the_bot_framework_tenant(store, clock, connector):
    with tenant(store, clock, connector, teams_settings=settings(tenant="multi")) as teams:
        teams.say(RACHEL, "help")
        assert teams.connector.token_requests[0]["_tenant"] == "botframework.com"


def test_a_wrong_secret_is_said_plainly(connector):
    token = ClientCredentialsToken(client_id=APP_ID, client_secret="wrong", login_endpoint=connector.cloud.login_endpoint,
                                   default_tenant=TENANT)
    with pytest.raises(TokenError, match="TEAMS_APP_SECRET") as raised:
        asyncio.run(token("https://api.botframework.com/.default"))
    assert "wrong" not in str(raised.value)


def test_a_throttled_answer_is_logged_and_the_command_still_ran(teams, caplog):
    teams.connector.limits = RateLimits(((1.0, 1),))
    teams.say(RACHEL, "help")
    answer = teams.say(RACHEL, "propose @tom Thu P3 30m")
    assert answer.status == 200
    assert teams.notices("proposal")  # the booking stands; only the answer was not shown
    assert teams.connector.throttled
    assert any("Teams did not take walkbot's answer" in r.getMessage() for r in caplog.records)


def test_a_proactive_one_to_one_conversation_through_the_stand_in(teams):
    """What a dispatcher will do with a stored reference: create the 1:1 conversation, post the card in it."""
    teams.install(TOM)
    [ref] = teams.conversations()
    api = teams.runtime.app.api.clone(service_url=ref.service_url)
    activity = MessageActivityInput.model_validate(cards.message(card("A reminder for you")))
    created = asyncio.run(api.conversations.create(CreateConversationParams(
        members=[Account(id=ref.teams_user_id)], tenant_id=ref.tenant_id, activity=activity, is_group=False)))
    assert created.id == f"a:standin-{TOM.teams_id}"
    assert shown_text(teams.answered(created.id)) == "A reminder for you"
