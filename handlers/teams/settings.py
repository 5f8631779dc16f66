"""The Microsoft Teams app's settings, read from the environment once and checked before anything starts.

    TEAMS_APP_ID       the bot's Microsoft App ID: its Entra app registration's Application (client) ID
    TEAMS_APP_SECRET   a client secret of that registration (Certificates & secrets)
    TEAMS_TENANT_ID    the school's Entra tenant id (a GUID) for a single-tenant bot, or "multi" for a
                       multi-tenant bot that several schools' tenants install
    DATABASE_URL       walkbot's database, as for Slack

Only walkbot's own names are read. The Teams SDK reads its own (CLIENT_ID, CLIENT_SECRET, TENANT_ID,
DANGEROUSLY_ALLOW_UNAUTHENTICATED_REQUESTS, CLOUD, SERVICE_URL, ...) where it is not told otherwise; walkbot
tells it everything, and refuses to start when one of those would still change what it does
(handlers.teams.app checks the app it built).

WALKBOT_TEAMS_INSECURE_TEST=1 lets activities in without a Bot Framework token. It exists for tests only,
and walkbot refuses it unless it also listens on a loopback address only: no one outside this machine can then
reach an endpoint that believes whatever it is sent. Secrets never show in a repr.
"""
from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from bot.errors import WalkbotError

MULTI = "multi"
INSECURE_ENV = "WALKBOT_TEAMS_INSECURE_TEST"
GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
WHERE_ID = ("the Application (client) ID of the bot's app registration (Azure portal → your Azure Bot → "
            "Configuration → Microsoft App ID)")


class TeamsSettingsError(WalkbotError):
    """A Teams setting is missing or malformed: the sentence says which, and where to find it."""


@dataclass(frozen=True, kw_only=True)
class TeamsSettings:
    app_id: str | None = None  # TEAMS_APP_ID
    app_secret: str | None = field(default=None, repr=False)  # TEAMS_APP_SECRET
    tenant: str | None = None  # TEAMS_TENANT_ID: a GUID, or "multi"
    database_url: str | None = field(default=None, repr=False)  # DATABASE_URL: may carry a password
    insecure_test: bool = False  # WALKBOT_TEAMS_INSECURE_TEST=1: tests only, loopback only

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "TeamsSettings":
        env = os.environ if env is None else env

        def get(name: str) -> str | None:
            return (env.get(name) or "").strip() or None

        return cls(app_id=get("TEAMS_APP_ID"), app_secret=get("TEAMS_APP_SECRET"), tenant=get("TEAMS_TENANT_ID"),
                   database_url=get("DATABASE_URL"), insecure_test=get(INSECURE_ENV) == "1")

    @property
    def set_up(self) -> bool:
        """Whether this deployment runs Teams at all (any of its settings given; handlers.teams.settings checks
        them whole)."""
        return bool(self.app_id or self.app_secret or self.tenant)

    @property
    def multi_tenant(self) -> bool:
        return (self.tenant or "").lower() == MULTI

    @property
    def tenant_id(self) -> str | None:
        """The one tenant a single-tenant bot serves (lower case), None for a multi-tenant bot."""
        return None if self.multi_tenant or not self.tenant else self.tenant.lower()

    @property
    def secrets(self) -> tuple[str, ...]:
        return tuple(s for s in (self.app_secret,) if s)

    def __repr__(self) -> str:
        return (f"TeamsSettings(app_id={self.app_id!r}, app_secret={'<set>' if self.app_secret else '<unset>'}, "
                f"tenant={self.tenant!r}, database_url={'<set>' if self.database_url else '<unset>'}, "
                f"insecure_test={self.insecure_test!r})")

    def check(self, host: str) -> None:
        """Refuse to start, in a sentence, with anything missing or unsafe; `host` is the address to listen on."""
        if not self.app_id:
            raise TeamsSettingsError(f"TEAMS_APP_ID is not set: it is {WHERE_ID}. walkbot will not start without it.")
        if not GUID.fullmatch(self.app_id):
            raise TeamsSettingsError(f"TEAMS_APP_ID should be a GUID (like 00000000-0000-0000-0000-000000000000): "
                                     f"it is {WHERE_ID}.")
        if not self.app_secret:
            raise TeamsSettingsError(
                "TEAMS_APP_SECRET is not set: it is a client secret of the bot's app registration (Certificates & "
                "secrets → New client secret; copy its Value). Without it walkbot cannot answer anyone in Teams.")
        if not self.tenant:
            raise TeamsSettingsError(
                "TEAMS_TENANT_ID is not set: set it to your school's Entra tenant id (a GUID: Microsoft Entra admin "
                "centre → Overview → Tenant ID) for a single-tenant bot, or to \"multi\" for a multi-tenant bot.")
        if not self.multi_tenant and not GUID.fullmatch(self.tenant):
            raise TeamsSettingsError(f"TEAMS_TENANT_ID should be a tenant id (a GUID) or \"multi\", not {self.tenant!r}.")
        if self.insecure_test and not loopback(host):
            raise TeamsSettingsError(
                f"{INSECURE_ENV}=1 lets anyone send walkbot activities without a Bot Framework token, so it is "
                f"for tests on this machine only, and walkbot refuses it while listening on {host}. Unset it, or "
                "listen on 127.0.0.1.")


def loopback(host: str) -> bool:
    """Whether only this machine can reach an address ("localhost", 127.0.0.0/8, ::1); 0.0.0.0 is every interface."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
