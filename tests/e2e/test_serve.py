"""`walkbot serve` and `walkbot slack` as a school's IT lead runs them: real processes, real ports.

Without what it needs, each refuses to start, says what is missing in one sentence, and exits
non-zero. With it, `serve` answers /healthz, `slack` connects over Socket Mode (to a local stand-in)
and answers a slash command, and both stop cleanly on SIGTERM.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path
from urllib.parse import parse_qsl

import pytest
from live import port_announced, slash_command
from socket_standin import SocketModeStandIn
from standin import SlackStandIn, fake_token

from handlers.cli import main
from handlers.slack.settings import SettingsError, SlackSettings
from handlers.wiring import load_school
from storage import open_store

ROOT = Path(__file__).resolve().parents[2]
TOKEN = fake_token("xoxb", "9-9-servetesttoken")
APP_TOKEN = fake_token("xapp", "1-A0WALK-9-servetestapptoken")


def environment(tmp_path, **settings: str) -> dict[str, str]:
    """This process's environment without any Slack or walkbot setting, plus `settings`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "WALKBOT_", "DATABASE_URL"))}
    return {**env, "PYTHONPATH": str(ROOT), "DATABASE_URL": f"sqlite:///{tmp_path / 'walkbot.db'}", **settings}


def walkbot(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "handlers.cli", *args], env=env, cwd=cwd,
                          capture_output=True, text=True, timeout=60)


def test_serve_refuses_to_start_without_the_signing_secret(tmp_path):
    done = walkbot("serve", "--port", "0", env=environment(tmp_path, SLACK_BOT_TOKEN=TOKEN), cwd=tmp_path)
    assert done.returncode != 0
    assert "SLACK_SIGNING_SECRET is not set" in done.stderr and "will not start" in done.stderr
    assert "Traceback" not in done.stderr and "Uvicorn running" not in done.stderr
    assert not (tmp_path / "walkbot.db").exists()  # it stopped before touching anything


def test_serve_refuses_a_token_slack_does_not_accept(tmp_path):
    with SlackStandIn() as slack:
        slack.override = lambda call: (200, {}, {"ok": False, "error": "invalid_auth"})
        env = environment(tmp_path, SLACK_BOT_TOKEN=TOKEN, SLACK_SIGNING_SECRET="s" * 32, SLACK_API_URL=slack.url)
        done = walkbot("serve", "--port", "0", env=env, cwd=tmp_path)
    assert done.returncode == 2
    assert "Slack did not accept SLACK_BOT_TOKEN (invalid_auth)" in done.stderr and "Traceback" not in done.stderr
    assert TOKEN not in done.stderr


def test_serve_starts_answers_healthz_and_stops_on_sigterm(tmp_path):
    with SlackStandIn() as slack:
        env = environment(tmp_path, SLACK_BOT_TOKEN=TOKEN, SLACK_SIGNING_SECRET="s" * 32, SLACK_API_URL=slack.url)
        server = subprocess.Popen([sys.executable, "-m", "handlers.cli", "serve", "--port", "0"], env=env,
                                  cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            port = port_announced(server)
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=10) as answer:
                assert (answer.status, answer.read()) == (200, b"ok")
            server.send_signal(signal.SIGTERM)
            assert server.wait(timeout=30) == 0
        finally:
            server.kill()
            out, err = server.communicate()
        assert [call.token for call in slack.of("auth.test")] == [TOKEN]  # SLACK_API_URL was used
    assert TOKEN not in out + err and "Traceback" not in err



def test_slack_connects_over_socket_mode_answers_a_command_and_stops_on_sigterm(tmp_path):
    env = environment(tmp_path, SLACK_APP_TOKEN=APP_TOKEN, SLACK_BOT_TOKEN=TOKEN)
    store = open_store(env["DATABASE_URL"])
    load_school(store, None)  # the demo school, linked to the stand-in's workspace
    store.close()
    socket_mode = SocketModeStandIn()
    with SlackStandIn() as slack:
        slack.override = lambda call: ((200, {}, {"ok": True, "url": socket_mode.url})
                                       if call.method == "apps.connections.open" else None)
        env["SLACK_API_URL"] = slack.url
        process = subprocess.Popen([sys.executable, "-m", "handlers.cli", "slack"], env=env, cwd=tmp_path,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            command = dict(parse_qsl(slash_command("help", user="U03TOM", response_url=f"{slack.url}hooks/command")))
            socket_mode.deliver({"envelope_id": "e-1", "type": "slash_commands", "accepts_response_payload": True,
                                 "payload": command})  # acknowledged at once; answered by the response_url
            (answer,) = slack.wait_for("command")
            assert answer.args["response_type"] == "ephemeral" and "/visit" in answer.args["text"]
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=30) == 0
        finally:
            process.kill()
            out, err = process.communicate()
            socket_mode.close()
        assert [call.token for call in slack.of("apps.connections.open")] == [APP_TOKEN]
        assert {call.token for call in slack.of("auth.test")} == {TOKEN}
    assert "connected to Slack over Socket Mode" in out
    assert TOKEN not in out + err and APP_TOKEN not in out + err and "Traceback" not in err


@pytest.mark.parametrize("settings, missing", [
    ({}, "SLACK_APP_TOKEN is not set"),
    ({"SLACK_APP_TOKEN": TOKEN}, "SLACK_APP_TOKEN should start with xapp-"),
    ({"SLACK_APP_TOKEN": fake_token("xapp", "1-A0-1-abc")}, "SLACK_BOT_TOKEN is not set"),
])
def test_slack_says_which_token_is_missing(tmp_path, monkeypatch, capsys, settings, missing):
    monkeypatch.chdir(tmp_path)
    for name in [n for n in os.environ if n.startswith("SLACK_")]:
        monkeypatch.delenv(name)
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    assert main(["slack"]) == 2
    assert missing in capsys.readouterr().err
    assert not (tmp_path / "walkbot.db").exists()


def test_slack_explains_an_app_token_slack_refuses(tmp_path, monkeypatch, capsys):
    with SlackStandIn() as slack:
        slack.override = lambda call: ((200, {}, {"ok": False, "error": "invalid_auth"})
                                       if call.method == "apps.connections.open" else None)
        for name, value in environment(tmp_path, SLACK_APP_TOKEN=APP_TOKEN, SLACK_BOT_TOKEN=TOKEN,
                                       SLACK_API_URL=slack.url).items():
            monkeypatch.setenv(name, value)
        assert main(["slack"]) == 2
    err = capsys.readouterr().err
    assert "Slack did not accept SLACK_APP_TOKEN (invalid_auth)" in err and APP_TOKEN not in err


@pytest.mark.parametrize("env, problem", [
    ({"SLACK_SIGNING_SECRET": "s"}, "SLACK_BOT_TOKEN is not set"),
    ({"SLACK_SIGNING_SECRET": "s", "SLACK_CLIENT_ID": "1.2"}, "needs both SLACK_CLIENT_ID and SLACK_CLIENT_SECRET"),
    ({"SLACK_SIGNING_SECRET": "s", "SLACK_CLIENT_ID": "1.2", "SLACK_CLIENT_SECRET": "c"}, "WALKBOT_SECRET_KEY"),
])
def test_http_settings_say_what_is_missing(env, problem):
    with pytest.raises(SettingsError, match=problem):
        SlackSettings.from_env(env).check_http()


def test_settings_from_the_environment():
    settings = SlackSettings.from_env({"SLACK_BOT_TOKEN": f" {TOKEN}\n", "SLACK_API_URL": "http://127.0.0.1:9/api",
                                       "SLACK_CLIENT_ID": ""})
    assert settings.bot_token == TOKEN  # pasted with a stray space or newline
    assert settings.api_url == "http://127.0.0.1:9/api/"  # slack_sdk appends method names
    assert not settings.oauth and SlackSettings.from_env({}).api_url == "https://slack.com/api/"
