"""Installing walkbot into a workspace by OAuth, on SQLite and PostgreSQL, over real HTTP.

install page → one-time state (and its cookie) → Slack's redirect with a code → oauth.v2.access
(the stand-in) → the installation stored, its tokens encrypted → found and decrypted by team id,
and used by Bolt to answer that workspace's requests. The tables are migration 0002's.
"""
from __future__ import annotations

import warnings

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from cryptography.fernet import Fernet
from installing import CLIENT_ID, SECRET, come_back, install, oauth_runtime, served, start
from live import FORM, slash_command
from sqlalchemy import text
from standin import SlackStandIn, fake_token, sign

from handlers.slack.oauth import BOT_SCOPES, EncryptedInstallationStore, token_cipher
from handlers.slack.settings import SettingsError
from handlers.wiring import load_school

STANDIN_TOKEN = fake_token("xoxb", "standin-bot-token")  # what the stand-in's oauth.v2.access hands out


@pytest.fixture
def slack():
    with SlackStandIn() as standin:
        yield standin


@pytest.fixture
def runtime(slack, store_url, clock):
    runtime = oauth_runtime(slack=slack, url=store_url, clock=clock)
    yield runtime
    runtime.store.close()


@pytest.fixture
def http(runtime):
    with served(runtime) as client:
        yield client


def rows(runtime, sql: str) -> list:
    with runtime.store.engine.connect() as conn:
        return conn.execute(text(sql)).all()


def test_install_round_trip_stores_the_token_encrypted_and_finds_it_by_team(http, runtime, slack):
    cookie, query = start(http)
    assert query["client_id"] == [CLIENT_ID]
    assert query["scope"][0].split(",") == list(BOT_SCOPES)
    state = query["state"][0]
    assert rows(runtime, "SELECT state FROM slack_oauth_states") == [(state,)]

    answer = come_back(http, state=state, cookie=cookie, code="code-from-slack")
    assert answer.status == 200, answer.text
    [exchange] = slack.of("oauth.v2.access")
    assert exchange.args["code"] == "code-from-slack"
    assert rows(runtime, "SELECT state FROM slack_oauth_states") == []  # a state works once

    [(team, stored)] = rows(runtime, "SELECT team_id, bot_token FROM slack_bots")
    assert team == "T0DEMO" and stored.startswith("gAAAAA") and STANDIN_TOKEN not in stored
    [(installed,)] = rows(runtime, "SELECT bot_token FROM slack_installations")
    assert installed != stored  # Fernet: a fresh IV each time, so equal tokens do not look equal

    store = runtime.installation_store
    assert store.find_bot(enterprise_id=None, team_id="T0DEMO").bot_token == STANDIN_TOKEN
    found = store.find_installation(enterprise_id=None, team_id="T0DEMO")
    assert (found.bot_token, found.bot_user_id, found.user_id) == (STANDIN_TOKEN, "U0BOT", "U01HEAD")
    assert store.find_bot(enterprise_id=None, team_id="T0OTHER") is None


def test_the_installed_workspace_is_answered_with_its_decrypted_token(http, runtime, slack):
    install(http)
    load_school(runtime.store, None)  # the demo school: slack_team_id T0DEMO
    slack.calls.clear()
    body = slash_command("limits", user="U03TOM", response_url=f"{slack.url}hooks/command")
    answer = http.post("/slack/events", body, {**FORM, **sign(body, SECRET)})
    assert answer.status == 200, answer.text
    assert "Tom Baker" in slack.wait_for("command")[0].args["text"]
    assert {call.token for call in slack.calls if call.method != "command"} == {STANDIN_TOKEN}  # a response_url needs none


def test_a_state_cannot_be_replayed_nor_used_without_its_cookie(http, runtime, slack):
    cookie, query = start(http)
    state = query["state"][0]
    assert come_back(http, state=state, cookie="").status == 400  # another browser: no cookie
    assert come_back(http, state=state, cookie=cookie.replace(state, "forged")).status in (400, 401)
    assert come_back(http, state=state, cookie=cookie).status == 200
    assert come_back(http, state=state, cookie=cookie).status == 401  # spent
    assert len(slack.of("oauth.v2.access")) == 1
    assert len(rows(runtime, "SELECT id FROM slack_bots")) == 1


def test_migration_0002_builds_exactly_the_stores_tables(runtime):
    """Alembic's compare, between the migrated database and the metadata the stores really use."""
    oauth = runtime.app.oauth_flow.settings
    for metadata in (oauth.installation_store.metadata, oauth.state_store.metadata):
        with runtime.store.engine.connect() as conn, warnings.catch_warnings():
            warnings.filterwarnings("ignore", "(autogenerate skipping|Skipped unsupported reflection).*expression")
            context = MigrationContext.configure(conn, opts={
                "compare_type": True, "compare_server_default": True,
                "include_name": lambda name, type_, _: type_ != "table" or name in metadata.tables})
            assert compare_metadata(context, metadata) == []


def test_a_changed_key_is_explained_and_an_old_key_still_decrypts_after_it(http, runtime):
    install(http)
    old = runtime.settings.secret_key
    new = Fernet.generate_key().decode()
    engine = runtime.store.engine

    def find(key: str):
        store = EncryptedInstallationStore(client_id=CLIENT_ID, engine=engine, cipher=token_cipher(key))
        return store.find_bot(enterprise_id=None, team_id="T0DEMO")

    with pytest.raises(SettingsError, match="cannot be decrypted with WALKBOT_SECRET_KEY"):
        find(new)
    assert find(f"{new},{old}").bot_token == STANDIN_TOKEN  # rotating: the new key first, the old after


@pytest.mark.parametrize("key", ["", "not-a-key", "short,", Fernet.generate_key().decode()[:-4]])
def test_a_malformed_secret_key_is_refused_in_words(key):
    with pytest.raises(SettingsError, match="WALKBOT_SECRET_KEY is not a Fernet key"):
        token_cipher(key)
