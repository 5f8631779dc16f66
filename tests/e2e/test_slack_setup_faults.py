"""walkbot's own set-up gone wrong, over real HTTP: a WALKBOT_SECRET_KEY that cannot open the stored Slack
installation is told to staff as walkbot's problem (not "reinstall"), and logged as the key's, with no token;
and the install page's one-time states, which anyone may ask for, are purged once expired."""
from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.fernet import Fernet
from installing import SECRET, come_back, install, oauth_runtime, served, start
from live import FORM, slash_command
from sqlalchemy import text
from standin import SlackStandIn, sign

from handlers.wiring import load_school


@pytest.fixture
def slack():
    with SlackStandIn() as standin:
        yield standin


def test_a_key_that_cannot_open_the_installation_is_told_as_walkbot_s_problem(slack, store_url, clock, caplog):
    installed = oauth_runtime(slack=slack, url=store_url, clock=clock)
    with served(installed) as http:
        install(http)
    load_school(installed.store, None)  # the demo school: slack_team_id T0DEMO
    token = installed.installation_store.find_bot(enterprise_id=None, team_id="T0DEMO").bot_token
    installed.store.close()

    # The same database, started again with another key (a new one, the old one lost).
    restarted = oauth_runtime(slack=slack, url=store_url, clock=clock, secret_key=Fernet.generate_key().decode())
    caplog.set_level(logging.DEBUG)
    try:
        with served(restarted) as http:
            body = slash_command("limits", user="U03TOM", response_url=f"{slack.url}hooks/command")
            answer = http.post("/slack/events", body, {**FORM, **sign(body, SECRET)})
    finally:
        restarted.store.close()
    said = answer.text + "".join(call.args.get("text", "") for call in slack.of("command"))
    assert answer.status == 200 and "walkbot" in said and "nothing was changed" in said, said
    assert "reinstall" not in said.lower() and "installation" not in said.lower()
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "could not be decrypted with the configured WALKBOT_SECRET_KEY" in logged
    assert "T0DEMO" in logged and token not in logged and token not in caplog.text


def test_expired_install_states_are_purged_as_new_ones_are_written(slack, store_url, clock):
    runtime = oauth_runtime(slack=slack, url=store_url, clock=clock)
    try:
        with served(runtime) as http:
            for _ in range(5):  # anyone may open the install page, as often as they like
                start(http)
            with runtime.store.engine.begin() as conn:  # ...and those five are now past their ten minutes
                past = datetime.now(UTC).replace(tzinfo=None) - timedelta(seconds=1)
                conn.execute(text("UPDATE slack_oauth_states SET expire_at = :past"), {"past": past})
            cookie, query = start(http)
            with runtime.store.engine.connect() as conn:
                left = conn.execute(text("SELECT state FROM slack_oauth_states")).scalars().all()
            assert left == [query["state"][0]]  # only the one just written...
            assert come_back(http, state=left[0], cookie=cookie).status == 200  # ...which works
    finally:
        runtime.store.close()
