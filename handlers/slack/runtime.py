"""Composing the Slack app from settings: the store, the core, the Web API client, OAuth, Bolt.

`walkbot slack` and `walkbot serve` both start here; so do the tests that run the real server.
"""
from __future__ import annotations

from dataclasses import dataclass
from urllib.error import URLError

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.oauth.installation_store import InstallationStore

from bot.chat.router import Walkbot
from bot.ports import Clock
from handlers import redact
from handlers.inbox import Inbox
from handlers.slack.app import build_slack_app, slack_inbox
from handlers.slack.settings import SettingsError, SlackSettings
from handlers.wiring import build
from storage.db import Store


@dataclass(frozen=True)
class SlackRuntime:
    """Everything a running Slack app is made of; the runners' on_start hook receives it."""

    settings: SlackSettings
    walkbot: Walkbot
    store: Store
    app: App
    # With OAuth each workspace's bot token is here (find_bot(enterprise_id=None, team_id=...)),
    # not in settings; Bolt refreshes rotating tokens only while it handles a request.
    installation_store: InstallationStore | None
    inbox: Inbox  # where requests wait for their work; its workers are started by whoever serves the app


def build_slack(*, settings: SlackSettings, clock: Clock, db_url: str | None = None) -> SlackRuntime:
    """One workspace (SLACK_BOT_TOKEN) or many (OAuth), over walkbot's database."""
    redact.install(secrets=settings.secrets)  # from here on the process holds tokens
    # The client carries SLACK_API_URL to every Web API call, the OAuth flow's included. It keeps
    # slack_sdk's default of no retry on 429: a listener must answer Slack within 3 seconds.
    client = WebClient(token=None if settings.oauth else settings.bot_token, base_url=settings.api_url)
    if not settings.oauth:
        _check_bot_token(client, settings.api_url)
    walkbot, store = build(db_url=db_url or settings.database_url, clock=clock)
    oauth = None
    if settings.oauth:  # only then the OAuth flow, its stores and the token cipher are loaded
        from handlers.slack.oauth import oauth_settings

        oauth = oauth_settings(settings=settings, engine=store.beside)
    installations = oauth.installation_store if oauth else None
    inbox = slack_inbox(walkbot=walkbot, store=store, client=client, installation_store=installations)
    app = build_slack_app(walkbot=walkbot, store=store, signing_secret=settings.signing_secret or "",
                          oauth_settings=oauth, client=client, inbox=inbox)
    return SlackRuntime(settings=settings, walkbot=walkbot, store=store, app=app,
                        installation_store=installations, inbox=inbox)


def _check_bot_token(client: WebClient, api_url: str) -> None:
    """Fail at start, in words, rather than on the first request (the app skips Bolt's own check)."""
    try:
        client.auth_test()
    except SlackApiError as err:
        raise SettingsError(f"Slack did not accept SLACK_BOT_TOKEN ({err.response.get('error')}).") from None
    except URLError as err:
        raise SettingsError(f"Slack's Web API at {api_url} cannot be reached: {err.reason}") from None
