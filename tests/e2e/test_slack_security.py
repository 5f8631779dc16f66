"""The HTTP server's defences, over real HTTP into the real server (uvicorn, 127.0.0.1, port 0).

Slack signs every request (X-Slack-Signature over the body and X-Slack-Request-Timestamp): anything
unsigned, wrongly signed or older than five minutes gets a 401 and reaches no listener, which the
stand-in's recorded Web API calls and the database both show. Requests Slack would never send get a
4xx, never a 500. No token reaches a log line, and none is kept in plain text in the database.
"""
from __future__ import annotations

import logging
import time

import pytest
from installing import install, oauth_runtime, served
from live import FORM, slash_command
from sqlalchemy import create_engine, inspect, text
from standin import SlackStandIn, fake_token, sign

from bot.chat.router import SORRY
from handlers.redact import redact
from handlers.slack.runtime import build_slack
from handlers.slack.server import MAX_BODY
from handlers.slack.settings import SlackSettings
from handlers.wiring import load_school

SECRET = "3f1e0a9c8b7d6e5f4a3b2c1d0e9f8a7b"
BOT_TOKEN = fake_token("xoxb", "4242-4343-securitytestbottoken")
PROPOSAL = 'propose <@U03TOM|tom> 2027-02-04 P3 30m kind formal focus "questioning" feedback "chat after school"'


def command(text: str = PROPOSAL, user: str = "U05SAM", slack: SlackStandIn | None = None) -> str:
    """A signed-to-be slash command; with `slack`, its answer (after the ack) goes to that stand-in."""
    return slash_command(text, user=user, response_url=f"{slack.url}hooks/command" if slack else None)


def signed(body: str, **kw) -> dict[str, str]:
    return {**FORM, **sign(body, SECRET, **kw)}


@pytest.fixture
def slack():
    with SlackStandIn() as standin:
        yield standin


@pytest.fixture
def runtime(slack, tmp_path, clock):
    settings = SlackSettings(bot_token=BOT_TOKEN, signing_secret=SECRET, api_url=slack.url,
                             database_url=f"sqlite:///{tmp_path / 'walkbot.db'}")
    runtime = build_slack(settings=settings, clock=clock)
    load_school(runtime.store, None)  # the demo school, linked to the stand-in's workspace T0DEMO
    slack.calls.clear()  # the start-up token check
    yield runtime
    runtime.store.close()


@pytest.fixture
def http(runtime):
    with served(runtime) as client:
        yield client


def visits(runtime) -> int:
    with runtime.store.engine.connect() as conn:
        return conn.scalar(text("SELECT count(*) FROM visits"))


# --- signatures ----------------------------------------------------------------------------------


def test_a_signed_slash_command_is_answered_and_acts(http, runtime, slack):
    body = command(slack=slack)
    answer = http.post("/slack/events", body, signed(body))
    assert (answer.status, answer.body) == (200, b"")  # acknowledged at once...
    (reply,) = slack.wait_for("command")  # ...and answered after, by the command's response_url
    assert "Proposed #1" in reply.args["text"] and reply.args["response_type"] == "ephemeral"
    assert visits(runtime) == 1
    # Bolt's authorization, by the app that acks and the app its inbox's workers run
    assert {call.token for call in slack.of("auth.test")} == {BOT_TOKEN}


def _drop(headers: dict, name: str) -> dict:
    return {k: v for k, v in headers.items() if k != name}


UNSIGNED = {
    "a wrong secret": lambda body: {**FORM, **sign(body, "not-the-signing-secret")},
    "the signature of another body": lambda body: signed(body.replace("P3", "P4")),
    "a timestamp six minutes old": lambda body: signed(body, timestamp=int(time.time()) - 6 * 60),
    "a timestamp six minutes ahead": lambda body: signed(body, timestamp=int(time.time()) + 6 * 60),
    "an hour-old signature under a fresh timestamp": lambda body: {
        **signed(body, timestamp=int(time.time()) - 3600), "X-Slack-Request-Timestamp": str(int(time.time()))},
    "no signature": lambda body: _drop(signed(body), "X-Slack-Signature"),
    "no timestamp": lambda body: _drop(signed(body), "X-Slack-Request-Timestamp"),
    "no Slack headers at all": lambda body: dict(FORM),
    "a timestamp that is not a number": lambda body: {**signed(body), "X-Slack-Request-Timestamp": "soon"},
    "a signature in another scheme": lambda body: {
        **signed(body), "X-Slack-Signature": signed(body)["X-Slack-Signature"].replace("v0=", "v1=")},
}


@pytest.mark.parametrize("how", UNSIGNED)
def test_an_unsigned_or_stale_request_gets_401_and_runs_nothing(http, runtime, slack, how):
    body = command()
    answer = http.post("/slack/events", body, UNSIGNED[how](body))
    assert answer.status == 401, answer.text
    assert slack.calls == []  # no listener ran: not even Bolt's authorization called Slack
    assert visits(runtime) == 0


def test_the_same_request_signed_properly_still_works_after_a_refusal(http, runtime, slack):
    body = command(slack=slack)
    assert http.post("/slack/events", body, {**FORM, **sign(body, "wrong")}).status == 401
    assert http.post("/slack/events", body, signed(body)).status == 200
    assert "Proposed #1" in slack.wait_for("command")[0].args["text"]
    assert visits(runtime) == 1


# --- requests Slack would never send: a 4xx, never a 500 ----------------------------------------


def test_wrong_content_types_are_refused_before_bolt(http, runtime, slack):
    body = command()
    for content_type in ("text/plain", "multipart/form-data; boundary=x", "application/xml", ""):
        answer = http.post("/slack/events", body, {**sign(body, SECRET), "Content-Type": content_type})
        assert answer.status == 415, (content_type, answer.status)
    assert slack.calls == [] and visits(runtime) == 0


def test_oversized_bodies_are_refused_whether_or_not_they_say_their_length(http, runtime, slack):
    body = command(text="x" * (MAX_BODY + 1))
    assert http.post("/slack/events", body, signed(body)).status == 413
    chunks = (b"a" * 65536 for _ in range(MAX_BODY // 65536 + 2))  # chunked: no Content-Length
    assert http.post("/slack/events", chunks, signed("ignored"), chunked=True).status == 413
    assert slack.calls == [] and visits(runtime) == 0


@pytest.mark.parametrize("content_type, body", [
    ("application/json", "{not json"),
    ("application/json", "[1, 2, 3]"),
    ("application/json", '"a string"'),
    ("application/x-www-form-urlencoded", "payload=%7Bnot+json"),
    ("application/x-www-form-urlencoded", "payload=%5B%5D"),
    ("application/x-www-form-urlencoded", "%%%%&&&==="),
    ("application/x-www-form-urlencoded", ""),
])
def test_malformed_bodies_never_get_a_500_nor_change_anything(http, runtime, slack, content_type, body):
    unsigned = http.post("/slack/events", body, {"Content-Type": content_type})
    assert 400 <= unsigned.status < 500, (unsigned.status, unsigned.text)
    assert slack.calls == []
    # Signed, it is Slack's (or whoever holds the secret): an answer, perhaps an empty one, never a 500.
    answer = http.post("/slack/events", body, {"Content-Type": content_type, **sign(body, SECRET)})
    assert answer.status < 500, (answer.status, answer.text)
    assert visits(runtime) == 0


def test_bytes_that_are_not_utf8_get_400(http):
    body = b"text=\xff\xfe&command=/visit"
    assert http.post("/slack/events", body, {**FORM, **sign(body.decode("latin-1"), SECRET)}).status == 400


def test_only_the_slack_paths_and_health_are_served(http):
    assert (http.get("/healthz").status, http.get("/healthz").text) == (200, "ok")
    assert http.request("HEAD", "/healthz").status == 200
    assert http.get("/slack/events").status == 405
    assert http.post("/healthz", "x", FORM).status == 405
    assert http.get("/admin").status == 404
    assert http.get("/slack/install").status == 404  # one workspace: no OAuth pages


# --- secrets in logs and in the database ----------------------------------------------------------


def test_no_token_reaches_the_logs_even_when_slack_fails(http, runtime, slack, caplog):
    def refuse_forms(call):
        if call.method == "views.open":  # an error answer that quotes the token back, as a proxy might
            return 200, {}, {"ok": False, "error": "invalid_auth", "detail": f"token {call.token} rejected"}
        return None

    slack.override = refuse_forms
    caplog.set_level(logging.DEBUG)  # slack_sdk logs whole requests and responses at DEBUG
    body = command(text="", slack=slack)  # a bare /visit opens the form: views.open, which fails
    answer = http.post("/slack/events", body, signed(body))
    assert answer.status == 200
    assert slack.wait_for("command")[0].args["text"] == SORRY  # the person still gets an answer
    assert slack.of("views.open")[0].token == BOT_TOKEN  # the token was used...
    assert any(r.exc_info for r in caplog.records), "the failure was logged with its traceback"
    assert BOT_TOKEN not in caplog.text  # ...and never logged
    assert "xoxb-[redacted]" in caplog.text
    for secret in runtime.settings.secrets:
        assert secret not in caplog.text


def test_settings_show_whether_secrets_are_set_never_what_they_are():
    settings = SlackSettings(bot_token=BOT_TOKEN, signing_secret=SECRET, client_id="1.2", client_secret="c" * 32,
                             secret_key="k" * 44, database_url="postgresql://walkbot:hunter2hunter2@db/walkbot")
    shown = f"{settings!r} {settings}"
    for secret in (BOT_TOKEN, SECRET, "c" * 32, "k" * 44, "hunter2hunter2"):
        assert secret not in shown
    assert "bot_token=<set>" in shown and "app_token=<unset>" in shown and "client_id='1.2'" in shown
    assert "postgresql://walkbot:***@db/walkbot" in shown


@pytest.mark.parametrize("token", [
    fake_token("xoxb", "17-42-AbC"), fake_token("xoxp", "1-2-3-abc"), fake_token("xapp", "1-A0WALK-123-abcdef"),
    fake_token("xoxe", "1-My0xZ"), fake_token("xoxe.xoxb", "1-MS0yLTEy"), fake_token("xoxa", "2-abc"),
    fake_token("xoxs", "abc"),
])
def test_every_kind_of_slack_token_is_redacted(token):
    clean = redact(f"calling with {token}, then {token}.")
    assert token not in clean and clean.count("[redacted]") == 2 and clean.endswith(".")


def _every_text_in(url: str) -> str:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            names = inspect(conn).get_table_names()
            assert {"slack_bots", "slack_installations", "visits"} <= set(names)
            rows = [row for name in names for row in conn.execute(text(f'SELECT * FROM "{name}"'))]
    finally:
        engine.dispose()
    return "\n".join(str(value) for row in rows for value in row)


@pytest.mark.parametrize("rotating", [False, True], ids=["bot token", "rotating token and refresh token"])
def test_tokens_are_never_in_plain_text_in_the_database(store_url, clock, caplog, rotating):
    """An OAuth install through the stand-in's oauth.v2.access; then every table's every value is read."""
    refresh = fake_token("xoxe", "1-refreshtokenthatmustnotleak")
    with SlackStandIn() as slack:
        if rotating:
            slack.override = lambda call: (200, {}, {**slack.default_body(call), "access_token": fake_token("xoxe.xoxb", "1-rotating"),
                                                     "refresh_token": refresh, "expires_in": 43200}
                                           ) if call.method == "oauth.v2.access" else None
        runtime = oauth_runtime(slack=slack, url=store_url, clock=clock)
        caplog.set_level(logging.DEBUG)
        with served(runtime) as http:
            install(http)
        runtime.store.close()
    token = fake_token("xoxe.xoxb", "1-rotating") if rotating else fake_token("xoxb", "standin-bot-token")
    stored = _every_text_in(store_url)
    assert token not in stored and refresh not in stored
    assert "gAAAAA" in stored  # Fernet ciphertext is what is there instead
    assert token not in caplog.text and refresh not in caplog.text  # oauth.v2.access's answer is logged at DEBUG
