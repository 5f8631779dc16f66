"""The Slack app's settings, read from the environment once, and checked for each way of running.

Secrets never show in a repr (so never in a log line or a traceback): only whether each is set.
"""
from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields

from sqlalchemy.engine import URL, make_url

from bot.errors import WalkbotError

SLACK_API_URL = "https://slack.com/api/"
KEY_HELP = 'python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"'


class SettingsError(WalkbotError):
    """A setting is missing or malformed: the sentence says which, and where to find it."""


def _secret():
    return field(default=None, repr=False)


@dataclass(frozen=True, kw_only=True)
class SlackSettings:
    bot_token: str | None = _secret()  # SLACK_BOT_TOKEN, xoxb-: one workspace
    app_token: str | None = _secret()  # SLACK_APP_TOKEN, xapp-: Socket Mode
    signing_secret: str | None = _secret()  # SLACK_SIGNING_SECRET: HTTP
    client_id: str | None = None  # SLACK_CLIENT_ID + SLACK_CLIENT_SECRET: OAuth, many workspaces
    client_secret: str | None = _secret()
    secret_key: str | None = _secret()  # WALKBOT_SECRET_KEY: encrypts the tokens OAuth stores
    api_url: str = SLACK_API_URL  # SLACK_API_URL: elsewhere only for a local stand-in
    database_url: str | None = _secret()  # DATABASE_URL: may carry a password

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "SlackSettings":
        env = os.environ if env is None else env

        def get(name: str) -> str | None:
            return (env.get(name) or "").strip() or None

        api_url = get("SLACK_API_URL") or SLACK_API_URL
        return cls(
            bot_token=get("SLACK_BOT_TOKEN"),
            app_token=get("SLACK_APP_TOKEN"),
            signing_secret=get("SLACK_SIGNING_SECRET"),
            client_id=get("SLACK_CLIENT_ID"),
            client_secret=get("SLACK_CLIENT_SECRET"),
            secret_key=get("WALKBOT_SECRET_KEY"),
            api_url=api_url if api_url.endswith("/") else api_url + "/",  # WebClient joins method names on
            database_url=get("DATABASE_URL"),
        )

    @property
    def oauth(self) -> bool:
        """Installed by OAuth into any number of workspaces (rather than one, with SLACK_BOT_TOKEN)."""
        return bool(self.client_id or self.client_secret)

    @property
    def secrets(self) -> tuple[str, ...]:
        """Every secret value set, for log redaction (tokens are also caught by their shape)."""
        values = [self.bot_token, self.app_token, self.signing_secret, self.client_secret,
                  *(self.secret_key or "").split(","),
                  _parsed(self.database_url).password]
        return tuple(v.strip() for v in values if v and v.strip())

    def __repr__(self) -> str:
        shown = []
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "database_url" and value:
                shown.append(f"database_url={_parsed(value).render_as_string(hide_password=True)!r}")
            elif f.repr:
                shown.append(f"{f.name}={value!r}")
            else:
                shown.append(f"{f.name}={'<set>' if value else '<unset>'}")
        return f"SlackSettings({', '.join(shown)})"

    def check_socket_mode(self) -> None:
        """`walkbot slack`: one workspace, connected out to Slack over a WebSocket."""
        _require(self.app_token, "SLACK_APP_TOKEN", "xapp-",
                 "the app-level token: Basic Information → App-Level Tokens, with the connections:write scope")
        _require(self.bot_token, "SLACK_BOT_TOKEN", "xoxb-",
                 "the Bot User OAuth Token: OAuth & Permissions, after installing the app")

    def check_http(self) -> None:
        """`walkbot serve`: Slack calls in over HTTPS; every request must carry Slack's signature."""
        if not self.signing_secret:
            raise SettingsError(
                "SLACK_SIGNING_SECRET is not set, so walkbot cannot tell Slack's requests from anyone else's "
                "and will not start. Copy it from your app's Basic Information → App Credentials.")
        if not self.oauth:
            _require(self.bot_token, "SLACK_BOT_TOKEN", "xoxb-",
                     "the Bot User OAuth Token (or set SLACK_CLIENT_ID and SLACK_CLIENT_SECRET to install by OAuth)")
            return
        if not (self.client_id and self.client_secret):
            raise SettingsError("Installing by OAuth needs both SLACK_CLIENT_ID and SLACK_CLIENT_SECRET "
                                "(Basic Information → App Credentials).")
        if not self.secret_key:
            raise SettingsError("Installing by OAuth stores each workspace's tokens, encrypted with "
                                f"WALKBOT_SECRET_KEY, which is not set. Make one with: {KEY_HELP}")


def _parsed(database_url: str | None) -> URL:
    # A bare path is a SQLite file (storage.db.make_engine): it has no password.
    if database_url and "://" in database_url:
        return make_url(database_url)
    return URL.create("sqlite", database=database_url)


def _require(value: str | None, name: str, prefix: str, where: str) -> None:
    if not value:
        raise SettingsError(f"{name} is not set: it is {where}.")
    if not value.startswith(prefix):
        raise SettingsError(f"{name} should start with {prefix}: it is {where}.")
