"""Teams: only the Bot Framework gets in. The SDK's own validation runs for real (RS256 against the keys at the
cloud's OpenID metadata, audience, issuer, expiry with 5 minutes' skew, the token's serviceurl against the
activity's), with tokens signed by a local test key that the connector stand-in publishes. Whatever is refused
gets a 401 and changes nothing: no row, no message. Settings that would make walkbot unsafe stop it starting."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import jwt
import pytest
from teams_limits import shown_text
from teams_support import (
    APP_ID,
    OTHER_TENANT,
    RACHEL,
    TENANT,
    TOM,
    connector_fixture,  # noqa: F401 (a fixture)
    key,
    load,
    mint,
    rows,
    school_config,
    settings,
    teams_fixture,  # noqa: F401 (a fixture)
    tenant,
)

from handlers.teams.app import build_teams
from handlers.teams.server import main
from handlers.teams.settings import TeamsSettings, TeamsSettingsError

ROOT = Path(__file__).resolve().parents[2]
PROPOSAL = "propose @tom Thu P3 30m"


def _proposal(teams) -> dict:
    return teams.activity("message", RACHEL, text=PROPOSAL)


def _refused(teams, token, caplog=None, activity=None) -> None:
    """Refused with a 401, nothing changed; with caplog, refused by the SDK's own validation (not walkbot's screen)."""
    before = rows(teams.store)
    answer = teams.post(activity or _proposal(teams), token=token)
    assert answer.status == 401
    assert rows(teams.store) == before, "a refused activity changed the database"
    assert teams.connector.sent == [], "walkbot answered a refused activity"
    if caplog is not None:
        assert any(r.getMessage().startswith("JWT token validation failed") for r in caplog.records), \
            "the SDK's validation did not see it"
        assert not any(r.getMessage().startswith("refused an activity") for r in caplog.records)


def test_a_token_signed_as_the_bot_framework_signs_gets_in_and_the_command_runs(teams):
    answer = teams.post(_proposal(teams))
    assert answer.status == 200
    assert "Proposed #1" in shown_text(teams.answered(RACHEL))
    assert [n.recipient for n in teams.notices("proposal")] == [TOM.aad]
    assert teams.connector.key_fetches >= 1  # the keys came from the stand-in's JWKS, found from the metadata URL


def test_no_token_is_refused(teams):
    _refused(teams, None)


@pytest.mark.parametrize("token", ["not-a-jwt", "Bearer", "a.b.c"])
def test_what_is_no_token_is_refused(teams, token):
    _refused(teams, token)


def test_a_forged_signature_is_refused(teams, caplog):
    _refused(teams, mint(teams.connector.service_url, signer=key("forger")), caplog)  # the right key id, another key


def test_a_key_the_metadata_does_not_publish_is_refused(teams, caplog):
    _refused(teams, mint(teams.connector.service_url, signer=key("forger"), kid="someone-elses-key"), caplog)


def test_an_expired_token_is_refused(teams, caplog):
    now = int(time.time())
    _refused(teams, mint(teams.connector.service_url, exp=now - 301 - 5, iat=now - 4000, nbf=now - 4000), caplog)


def test_a_token_expired_within_five_minutes_skew_is_taken(teams):
    now = int(time.time())
    answer = teams.post(_proposal(teams), token=mint(teams.connector.service_url, exp=now - 120, iat=now - 3700,
                                                     nbf=now - 3700))
    assert answer.status == 200
    assert teams.notices("proposal")


def test_a_token_not_yet_valid_is_refused(teams, caplog):
    now = int(time.time())
    _refused(teams, mint(teams.connector.service_url, nbf=now + 900, iat=now + 900), caplog)


def test_a_token_for_another_bot_is_refused(teams, caplog):
    _refused(teams, mint(teams.connector.service_url, aud="0f0f0f0f-0000-4000-8000-000000000000"), caplog)


def test_a_token_from_another_issuer_is_refused(teams):
    _refused(teams, mint(teams.connector.service_url, iss="https://login.example.com"))


def test_an_entra_token_the_sdk_would_read_as_agent_365_is_refused(teams):
    """The SDK's second path takes Entra tokens from Agent 365 without binding the serviceUrl: walkbot does not."""
    entra = f"{teams.connector.cloud.login_endpoint}/{TENANT}/v2.0"
    _refused(teams, mint(teams.connector.service_url, iss=entra, tid=TENANT,
                         azp="5a807f24-c9de-44ee-a3a7-329e88a00ffc", serviceurl=None))


def test_a_token_without_an_expiry_is_refused(teams):
    _refused(teams, mint(teams.connector.service_url, exp=None))


def test_a_token_for_another_service_url_is_refused(teams, caplog):
    """Replayed with the activity's serviceUrl changed: walkbot would send its own token there."""
    _refused(teams, mint("https://smba.trafficmanager.net/emea/"), caplog)


def test_a_token_without_a_service_url_is_refused(teams):
    _refused(teams, mint(teams.connector.service_url, serviceurl=None))


def test_an_unsigned_token_is_refused(teams):
    now = int(time.time())
    unsigned = jwt.encode({"iss": "https://api.botframework.com", "aud": APP_ID, "exp": now + 600,
                           "serviceurl": teams.connector.service_url}, None, algorithm="none")
    _refused(teams, unsigned)


def test_a_token_signed_with_the_public_key_as_an_hmac_secret_is_refused(teams):
    now = int(time.time())
    forged = jwt.encode({"iss": "https://api.botframework.com", "aud": APP_ID, "exp": now + 600,
                         "serviceurl": teams.connector.service_url}, "secret", algorithm="HS256")
    _refused(teams, forged)


@pytest.mark.parametrize("body,kind,status", [
    (b"{not json", "application/json", 400),
    (b"[1, 2]", "application/json", 400),
    (b'{"type": 3}', "application/json", 400),
    (b'{"type": "message"}', "text/plain", 415),
    (b'{"type": "message", "x": "' + b"a" * (2 << 20) + b'"}', "application/json", 413),
])
def test_requests_no_connector_sends_are_refused_before_the_sdk_sees_them(teams, body, kind, status):
    before = rows(teams.store)
    answer = teams.http.post("/api/messages", body, {"Content-Type": kind, "Authorization": "Bearer x"})
    assert answer.status == status
    assert rows(teams.store) == before


def test_health_and_nothing_else(teams):
    assert teams.http.get("/healthz").status == 200
    assert teams.http.get("/api/messages").status == 405
    assert teams.http.get("/").status == 404


# --- tenants: the token says nothing of the school; the activity's tenant does -------------------------------------

def test_a_tenant_no_school_is_linked_to_gets_a_sentence_and_nothing_runs(store, clock, connector):
    with tenant(store, clock, connector, teams_settings=settings(tenant="multi")) as teams:
        before = rows(store)
        answer = teams.post(teams.activity("message", RACHEL, text=PROPOSAL, tenant=OTHER_TENANT))
        assert answer.status == 200
        assert rows(store) == before
        assert "isn't linked to a school" in shown_text(teams.answered(RACHEL))


def test_a_single_tenant_bot_answers_no_other_tenant_whatever_school_yml_says(store, clock, connector):
    load(store, school_config(key="elsewhere", name="Elsewhere School", teams={"tenant_id": OTHER_TENANT}))
    with tenant(store, clock, connector) as teams:  # TEAMS_TENANT_ID is TENANT
        before = rows(store)
        teams.post(teams.activity("message", RACHEL, text=PROPOSAL, tenant=OTHER_TENANT))
        assert rows(store) == before
        assert "isn't linked to a school" in shown_text(teams.answered(RACHEL))


def test_an_activity_naming_two_tenants_is_answered_as_from_none(teams):
    activity = teams.activity("message", RACHEL, text=PROPOSAL)
    activity["channelData"]["tenant"]["id"] = OTHER_TENANT
    before = rows(teams.store)
    teams.post(activity)
    assert rows(teams.store) == before


def test_nothing_is_read_or_written_across_tenants(store, clock, connector):
    """Two schools, two tenants, one walkbot: someone in the other tenant, even with Tom's object id, is not Tom."""
    other = school_config(key="elsewhere", name="Elsewhere School", teams={"tenant_id": OTHER_TENANT})
    other["staff"] = [{"id": "aaaa0000-0000-4000-8000-00000000000a", "name": "Ola Other", "roles": ["slt"]}]
    load(store, other)
    with tenant(store, clock, connector, teams_settings=settings(tenant="multi")) as teams:
        teams.say(RACHEL, PROPOSAL)  # in TENANT: a visit to Tom
        assert teams.notices("proposal")
        teams.connector.add_member("a:elsewhere-tom", **TOM.member(OTHER_TENANT))
        teams.post(teams.activity("message", TOM, text="list", tenant=OTHER_TENANT, conversation="a:elsewhere-tom"))
        said = shown_text(teams.answered("a:elsewhere-tom"))
        assert "not on Elsewhere School's staff list" in said and "#1" not in said
        before = rows(store)
        teams.press(TOM, {"verb": "visit.agree.1", "data": {"visit": 1, "at": None}}, tenant=OTHER_TENANT)
        assert rows(store) == before


# --- settings and the SDK's traps ------------------------------------------------------------------------------------

@pytest.mark.parametrize("env,needs", [
    ({}, "TEAMS_APP_ID is not set"),
    ({"TEAMS_APP_ID": "walkbot"}, "TEAMS_APP_ID should be a GUID"),
    ({"TEAMS_APP_ID": APP_ID}, "TEAMS_APP_SECRET is not set"),
    ({"TEAMS_APP_ID": APP_ID, "TEAMS_APP_SECRET": "s"}, "TEAMS_TENANT_ID is not set"),
    ({"TEAMS_APP_ID": APP_ID, "TEAMS_APP_SECRET": "s", "TEAMS_TENANT_ID": "contoso"}, "a tenant id (a GUID)"),
])
def test_missing_settings_stop_it_starting_with_a_sentence(env, needs):
    with pytest.raises(TeamsSettingsError, match=needs.replace("(", r"\(").replace(")", r"\)")):
        TeamsSettings.from_env(env).check("127.0.0.1")


def test_settings_never_show_the_secret():
    shown = repr(TeamsSettings.from_env({"TEAMS_APP_ID": APP_ID, "TEAMS_APP_SECRET": "s3cret-value",
                                         "TEAMS_TENANT_ID": "multi", "DATABASE_URL": "postgresql://u:pw@h/db"}))
    assert "s3cret-value" not in shown and "pw" not in shown and "<set>" in shown


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.20", "walkbot.example.org"])
def test_the_test_only_switch_is_refused_anywhere_but_loopback(host):
    given = TeamsSettings.from_env({"TEAMS_APP_ID": APP_ID, "TEAMS_APP_SECRET": "s", "TEAMS_TENANT_ID": "multi",
                                    "WALKBOT_TEAMS_INSECURE_TEST": "1"})
    with pytest.raises(TeamsSettingsError, match="for tests on this machine only"):
        given.check(host)
    given.check("127.0.0.1")
    given.check("localhost")


def test_walkbot_teams_says_why_it_will_not_start(monkeypatch, capsys):
    for name in ("TEAMS_APP_ID", "TEAMS_APP_SECRET", "TEAMS_TENANT_ID"):
        monkeypatch.delenv(name, raising=False)
    assert main(["--port", "0"]) == 2
    assert "TEAMS_APP_ID is not set" in capsys.readouterr().err
    monkeypatch.setenv("TEAMS_APP_ID", APP_ID)
    monkeypatch.setenv("TEAMS_APP_SECRET", "s")
    monkeypatch.setenv("TEAMS_TENANT_ID", TENANT)
    monkeypatch.setenv("WALKBOT_TEAMS_INSECURE_TEST", "1")
    assert main(["--host", "0.0.0.0", "--port", "0"]) == 2
    assert "for tests on this machine only" in capsys.readouterr().err


def test_without_a_token_only_the_test_switch_lets_activities_in(store, clock, connector):
    with tenant(store, clock, connector, teams_settings=settings(insecure_test=True)) as teams:
        assert teams.post(_proposal(teams), token=None).status == 200
        assert teams.notices("proposal")


def test_the_sdks_own_switch_in_the_environment_changes_nothing(store, clock, connector, monkeypatch):
    monkeypatch.setenv("DANGEROUSLY_ALLOW_UNAUTHENTICATED_REQUESTS", "true")
    with tenant(store, clock, connector) as teams:
        _refused(teams, None)


@pytest.mark.parametrize("name,value,given", [
    ("CLIENT_SECRET", "from-the-environment", {}),
    ("TENANT_ID", OTHER_TENANT, {"tenant": "multi"}),
])
def test_the_sdks_own_credentials_in_the_environment_stop_it_starting(store, clock, connector, monkeypatch, name,
                                                                      value, given):
    monkeypatch.setenv(name, value)
    load(store)
    with pytest.raises(TeamsSettingsError, match=name):
        build_teams(settings=settings(**given), clock=clock, cloud=connector.cloud, store=store,
                    walkbot=object())  # the check comes before anything uses it


def test_a_dotenv_in_the_working_directory_is_not_read(tmp_path):
    """The SDK loads `.env` when imported; walkbot imports it with that turned off. Shown against the SDK itself."""
    (tmp_path / ".env").write_text("WALKBOT_DOTENV_PROBE=read\nDANGEROUSLY_ALLOW_UNAUTHENTICATED_REQUESTS=true\n")
    env = {k: v for k, v in os.environ.items() if k not in ("WALKBOT_DOTENV_PROBE",
                                                            "DANGEROUSLY_ALLOW_UNAUTHENTICATED_REQUESTS")}
    env["PYTHONPATH"] = str(ROOT)
    probe = "import os; print(os.environ.get('WALKBOT_DOTENV_PROBE'), " \
            "os.environ.get('DANGEROUSLY_ALLOW_UNAUTHENTICATED_REQUESTS'))"

    def run(first: str) -> str:
        done = subprocess.run([sys.executable, "-W", "ignore", "-c", f"{first}; {probe}"], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    assert run("import microsoft_teams.apps") == "read true"  # the trap is real
    assert run("import handlers.teams.app") == "None None"
    assert run("import handlers.teams.app, microsoft_teams.apps") == "None None"


def test_walkbot_teams_serves_on_loopback_by_default_and_stops_on_sigterm(tmp_path):
    """The real entry point in its own process: 127.0.0.1, /healthz, no token no entry, SIGTERM a clean exit."""
    import signal
    import socket
    import urllib.error
    import urllib.request

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**{k: v for k, v in os.environ.items() if not k.startswith(("TEAMS_", "WALKBOT_TEAMS"))},
           "PYTHONPATH": str(ROOT), "TEAMS_APP_ID": APP_ID, "TEAMS_APP_SECRET": "s", "TEAMS_TENANT_ID": TENANT,
           "DATABASE_URL": f"sqlite:///{tmp_path / 'walkbot.db'}"}
    process = subprocess.Popen([sys.executable, "-W", "ignore", "-m", "handlers.teams.server", "--port", str(port)],
                               cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as answer:
                    assert answer.status == 200
                    break
            except (urllib.error.URLError, ConnectionError):
                assert process.poll() is None, process.communicate()[1]
                assert time.monotonic() < deadline, "walkbot teams did not start"
                time.sleep(0.1)
        request = urllib.request.Request(f"http://127.0.0.1:{port}/api/messages", data=b'{"type": "message"}',
                                         headers={"Content-Type": "application/json"}, method="POST")
        try:
            urllib.request.urlopen(request, timeout=5)
            raise AssertionError("an activity without a token was taken")
        except urllib.error.HTTPError as refused:
            assert refused.code == 401
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert f"Uvicorn running on http://127.0.0.1:{port}" in err
