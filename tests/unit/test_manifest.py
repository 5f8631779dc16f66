"""manifest.yml: valid by Slack's published manifest schema, and true to the app.

The schema is a copy of Slack's (tests/data/slack/manifest.schema.1.0.0.json, MIT, licence beside
it), so CI needs no network. Truth to the app: the slash commands and events are exactly what the
Bolt app registers, and the bot scopes are exactly what the Web API methods walkbot calls need.
"""
from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import jsonschema
import pytest
import yaml
from slack_bolt import App
from slack_sdk import WebClient

from handlers.slack.app import build_slack_app
from handlers.slack.oauth import BOT_SCOPES
from handlers.wiring import build

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "tests/data/slack/manifest.schema.1.0.0.json").read_text())

# Every Web API method walkbot may call, and the bot scope it needs (None: no scope). A method
# missing here fails the test below: add it with the scope Slack's docs give, and to the manifest.
SCOPE_OF = {
    "auth_test": None,
    "views_open": None,
    "views_push": None,
    "views_update": None,
    "views_publish": None,
    "chat_postMessage": "chat:write",
    "chat_postEphemeral": "chat:write",
    "chat_update": "chat:write",
    "chat_delete": "chat:write",
    "conversations_open": "im:write",
    "files_upload_v2": "files:write",
    "users_info": "users:read",
    "users_lookupByEmail": "users:read.email",
    "conversations_info": "channels:read",
}
# Every event walkbot may subscribe to, as the manifest names it, and the bot scope it needs (None: no scope).
# A message event is named with the conversation it comes from: message.im, walkbot's own DM only.
EVENT_SCOPE_OF = {
    "app_home_opened": None,
    "message.im": "im:history",
    "app_uninstalled": None,  # the workspace's tokens are deleted (handlers/slack/uninstall.py)
    "tokens_revoked": None,
}


@pytest.fixture(scope="module")
def manifest() -> dict:
    return yaml.safe_load((ROOT / "manifest.yml").read_text(encoding="utf-8"))


def test_the_manifest_is_valid_by_slacks_schema(manifest):
    jsonschema.Draft7Validator.check_schema(SCHEMA)
    jsonschema.Draft7Validator(SCHEMA).validate(manifest)


@pytest.mark.parametrize("spoil", [
    lambda m: m["display_information"].pop("name"),
    lambda m: m["features"]["slash_commands"][0].update(command="visit"),
    lambda m: m["settings"].update(socket_mode="yes"),
    lambda m: m["display_information"].update(long_description="too short"),
])
def test_the_schema_check_has_teeth(manifest, spoil):
    spoilt = copy.deepcopy(manifest)
    spoil(spoilt)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft7Validator(SCHEMA).validate(spoilt)


def test_it_is_installable_as_the_issue_asks(manifest):
    features, settings = manifest["features"], manifest["settings"]
    assert features["bot_user"]["display_name"] == "walkbot"
    assert features["app_home"]["home_tab_enabled"] and features["app_home"]["messages_tab_enabled"]
    assert settings["interactivity"]["is_enabled"] and settings["socket_mode_enabled"] is True
    assert all(c["description"] and c["usage_hint"] and c["should_escape"] for c in features["slash_commands"])
    assert [url.endswith("/slack/oauth_redirect") for url in manifest["oauth_config"]["redirect_urls"]] == [True]


@pytest.fixture(scope="module")
def registered(tmp_path_factory) -> dict[str, set[str]]:
    """The slash commands and events the real app registers, caught as build_slack_app registers them."""
    seen: dict[str, set[str]] = {"command": set(), "event": set()}
    originals = {kind: getattr(App, kind) for kind in seen}

    def spy(kind):
        def register(self, name, *args, **kwargs):
            seen[kind].add(name)
            return originals[kind](self, name, *args, **kwargs)
        return register

    walkbot, store = build(db_url=f"sqlite:///{tmp_path_factory.mktemp('manifest') / 'w.db'}", clock=None)
    with pytest.MonkeyPatch.context() as patch:
        for kind in seen:
            patch.setattr(App, kind, spy(kind))
        build_slack_app(walkbot=walkbot, store=store, signing_secret="x", client=WebClient(token="xoxb-unused"))
    store.close()
    return seen


def test_the_slash_commands_are_the_ones_the_app_listens_to(manifest, registered):
    assert {c["command"] for c in manifest["features"]["slash_commands"]} == registered["command"] == {"/visit", "/walk"}


def test_the_events_are_the_ones_the_app_listens_to(manifest, registered):
    events = manifest["settings"]["event_subscriptions"]["bot_events"]
    # Bolt listens to an event type ("message"); the manifest subscribes to it per conversation ("message.im").
    assert {event.partition(".")[0] for event in events} == registered["event"]
    assert [e for e in events if e.startswith("message")] == ["message.im"]  # no channel walkbot is in, only its DM
    assert set(events) <= EVENT_SCOPE_OF.keys()


def web_api_methods_called() -> set[str]:
    """WebClient methods named anywhere in walkbot's handlers (bot/ may not import Slack at all)."""
    methods = {name for name in vars(WebClient) if not name.startswith("_")}
    called = set()
    for path in (ROOT / "handlers").rglob("*.py"):
        called |= set(re.findall(r"\.(\w+)\(", path.read_text(encoding="utf-8"))) & methods
    return called


def test_the_bot_scopes_are_exactly_what_the_called_methods_and_events_need(manifest):
    called = web_api_methods_called()
    unknown = called - SCOPE_OF.keys()
    assert not unknown, f"walkbot now calls {sorted(unknown)}: add each to SCOPE_OF with its scope"
    events = manifest["settings"]["event_subscriptions"]["bot_events"]
    needed = ({"commands"} | {SCOPE_OF[m] for m in called if SCOPE_OF[m]}  # commands: the slash commands
              | {EVENT_SCOPE_OF[e] for e in events if EVENT_SCOPE_OF.get(e)})
    assert set(manifest["oauth_config"]["scopes"]["bot"]) == needed
    assert set(BOT_SCOPES) == needed  # what an OAuth install asks for
    assert "user" not in manifest["oauth_config"]["scopes"]  # walkbot never acts as a person
