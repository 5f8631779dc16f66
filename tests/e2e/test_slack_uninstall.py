"""A workspace that uninstalls walkbot or revokes its tokens leaves none stored, over real HTTP with signed events;
another workspace's installation is untouched. And `walkbot rekey` seals every stored token again under a new key,
idempotently, in one transaction.
"""
from __future__ import annotations

import json

import pytest
from cryptography.fernet import Fernet
from installing import CLIENT_ID, SECRET, install, oauth_runtime
from live import serving
from sqlalchemy import text
from standin import SlackStandIn, fake_token, sign

from handlers.cli import main
from handlers.slack.oauth import EncryptedInstallationStore, token_cipher
from handlers.slack.server import SlackHttp

OTHER_TOKEN = fake_token("xoxb", "other-workspace-token")
JSON = {"Content-Type": "application/json"}


def other_workspace(call):
    """The stand-in's oauth.v2.access, for a second workspace."""
    if call.method != "oauth.v2.access":
        return None
    return 200, {}, {"ok": True, "app_id": "A0WALK", "access_token": OTHER_TOKEN, "token_type": "bot",
                     "scope": "commands,chat:write", "bot_user_id": "U0BOT2", "team": {"id": "T0OTHER", "name": "O"},
                     "enterprise": None, "authed_user": {"id": "U0ADMIN"}, "is_enterprise_install": False}


@pytest.fixture
def slack():
    with SlackStandIn() as standin:
        yield standin


@pytest.fixture
def key() -> str:
    return Fernet.generate_key().decode()


@pytest.fixture
def runtime(slack, store_url, clock, key):
    runtime = oauth_runtime(slack=slack, url=store_url, clock=clock, secret_key=key)
    yield runtime
    runtime.store.close()


@pytest.fixture
def http(runtime, slack):
    with serving(SlackHttp(bolt=runtime.app)) as client:
        install(client)  # T0DEMO
        slack.override = other_workspace
        install(client)  # T0OTHER
        slack.override = None
        yield client


def teams_stored(runtime) -> dict[str, list[str]]:
    with runtime.store.engine.connect() as conn:
        return {table: sorted(r[0] for r in conn.execute(text(f"SELECT team_id FROM {table}")))
                for table in ("slack_bots", "slack_installations")}


def event(http, event: dict, team: str = "T0DEMO"):
    body = json.dumps({"token": "legacy", "team_id": team, "api_app_id": "A0WALK", "type": "event_callback",
                       "event_id": f"Ev{abs(hash(json.dumps(event))) % 10**8:08d}", "event_time": 1, "event": event})
    answer = http.post("/slack/events", body, {**JSON, **sign(body, SECRET)})
    assert answer.status == 200, answer.text
    return answer


def test_app_uninstalled_deletes_that_workspaces_tokens_only(http, runtime):
    assert teams_stored(runtime) == {"slack_bots": ["T0DEMO", "T0OTHER"], "slack_installations": ["T0DEMO", "T0OTHER"]}
    event(http, {"type": "app_uninstalled"})
    assert teams_stored(runtime) == {"slack_bots": ["T0OTHER"], "slack_installations": ["T0OTHER"]}
    store = runtime.installation_store
    assert store.find_bot(enterprise_id=None, team_id="T0DEMO") is None
    assert store.find_bot(enterprise_id=None, team_id="T0OTHER").bot_token == OTHER_TOKEN


def test_a_revoked_bot_token_deletes_every_row_that_holds_it(http, runtime):
    event(http, {"type": "tokens_revoked", "tokens": {"oauth": [], "bot": ["U0BOT"]}})
    assert teams_stored(runtime) == {"slack_bots": ["T0OTHER"], "slack_installations": ["T0OTHER"]}


def test_a_revoked_user_token_deletes_that_persons_installation_and_keeps_the_bot(http, runtime):
    event(http, {"type": "tokens_revoked", "tokens": {"oauth": ["U01HEAD"]}})
    assert teams_stored(runtime) == {"slack_bots": ["T0DEMO", "T0OTHER"], "slack_installations": ["T0OTHER"]}


def test_an_unsigned_uninstall_is_refused_and_deletes_nothing(http, runtime):
    body = json.dumps({"type": "event_callback", "team_id": "T0DEMO", "event": {"type": "app_uninstalled"}})
    answer = http.post("/slack/events", body, {**JSON, **sign(body, "not-the-signing-secret")})
    assert answer.status == 401
    assert teams_stored(runtime)["slack_bots"] == ["T0DEMO", "T0OTHER"]


def sealed(runtime) -> list[str]:
    with runtime.store.engine.connect() as conn:
        return [r[0] for r in conn.execute(text("SELECT bot_token FROM slack_bots UNION ALL "
                                                "SELECT bot_token FROM slack_installations"))]


def test_rekey_seals_every_token_under_the_new_key_idempotently(http, runtime, key, store_url, monkeypatch, capsys):
    new = Fernet.generate_key().decode()
    before = sealed(runtime)
    monkeypatch.setenv("WALKBOT_SECRET_KEY", f"{new},{key}")
    assert main(["rekey", "--db", store_url]) == 0
    assert "Re-encrypted 4 stored credentials" in capsys.readouterr().out
    once = sealed(runtime)
    assert main(["rekey", "--db", store_url]) == 0  # again: still readable under the new key alone
    for tokens in (once, sealed(runtime)):
        assert all(Fernet(new.encode()).decrypt(t.encode()).decode() in (fake_token("xoxb", "standin-bot-token"),
                                                                         OTHER_TOKEN) for t in tokens)
    assert set(once).isdisjoint(before)
    alone = EncryptedInstallationStore(client_id=CLIENT_ID, engine=runtime.store.engine, cipher=token_cipher(new))
    assert alone.find_bot(enterprise_id=None, team_id="T0OTHER").bot_token == OTHER_TOKEN


def test_rekey_without_the_old_key_changes_nothing_and_says_why(http, runtime, store_url, monkeypatch, capsys):
    before = sealed(runtime)
    monkeypatch.setenv("WALKBOT_SECRET_KEY", Fernet.generate_key().decode())
    assert main(["rekey", "--db", store_url]) == 2
    assert "cannot be decrypted with any key in WALKBOT_SECRET_KEY; nothing was changed" in capsys.readouterr().err
    assert sealed(runtime) == before
    monkeypatch.setenv("WALKBOT_SECRET_KEY", "not-a-key")
    assert main(["rekey", "--db", store_url]) == 2
    assert "WALKBOT_SECRET_KEY is not a Fernet key" in capsys.readouterr().err
    monkeypatch.delenv("WALKBOT_SECRET_KEY")
    assert main(["rekey", "--db", store_url]) == 2
    assert "WALKBOT_SECRET_KEY is not set" in capsys.readouterr().err
