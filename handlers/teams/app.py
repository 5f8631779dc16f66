"""Composing the Teams app: the Teams SDK v2 `App`, told everything it would otherwise guess, over walkbot's core.

What the SDK does by itself, and what walkbot does about it:

- Importing `microsoft_teams.apps` loads a `.env` from the working directory or any folder above it
  (`load_dotenv(find_dotenv(usecwd=True))`), so a stray file could set CLIENT_SECRET or switch on
  DANGEROUSLY_ALLOW_UNAUTHENTICATED_REQUESTS. walkbot imports it with python-dotenv's loader disabled
  (`_import_sdk`), and tests/e2e/test_teams_security.py shows a `.env` beside it is not read.
- With CLIENT_ID alone it silently uses a managed identity; with CLIENT_SECRET from the environment it uses
  MSAL. walkbot passes its own token callable (handlers.teams.auth) and checks, once the App is built, that
  nothing from the environment changed the credentials, the tenant, the cloud or unauthenticated mode.
- It binds every interface when it runs its own server: walkbot never lets it. Its HTTP adapter is
  walkbot's ASGI app (handlers.teams.server.TeamsHttp), served by uvicorn on 127.0.0.1 unless told.
- It keeps state in memory: walkbot turns that off and keeps what must last (conversation references)
  in its own database.
- It accepts tokens from any tenant: which school an activity is for, if any, is walkbot's (tenancy.py).
"""
from __future__ import annotations

import asyncio
import importlib
import os
import sys
from dataclasses import dataclass
from typing import Any

from bot.chat.router import Walkbot
from bot.ports import Clock
from handlers import redact
from handlers.teams.auth import ClientCredentialsToken
from handlers.teams.server import MESSAGES_PATH, TeamsHttp
from handlers.teams.settings import TeamsSettings, TeamsSettingsError
from handlers.teams.tenancy import Tenancy
from handlers.wiring import build
from storage.db import Store

SDK_ENV = ("CLIENT_ID", "CLIENT_SECRET", "TENANT_ID", "MANAGED_IDENTITY_CLIENT_ID",
           "DANGEROUSLY_ALLOW_UNAUTHENTICATED_REQUESTS", "CLOUD", "SERVICE_URL")


def _import_sdk() -> Any:
    """microsoft_teams.apps, imported without its load_dotenv: a `.env` in the working directory (or above
    it) is never read into walkbot's environment."""
    if "microsoft_teams.apps.app" in sys.modules:
        return sys.modules["microsoft_teams.apps"]
    import dotenv

    real = dotenv.load_dotenv, dotenv.find_dotenv
    dotenv.load_dotenv, dotenv.find_dotenv = (lambda *a, **k: False), (lambda *a, **k: "")
    try:
        return importlib.import_module("microsoft_teams.apps")
    finally:
        dotenv.load_dotenv, dotenv.find_dotenv = real


sdk = _import_sdk()
from microsoft_teams.api import TokenCredentials  # noqa: E402  (after the SDK, imported as above)
from microsoft_teams.api.auth.cloud_environment import PUBLIC, CloudEnvironment  # noqa: E402

from handlers.teams.listeners import Listeners, register  # noqa: E402


@dataclass(frozen=True)
class TeamsRuntime:
    """Everything a running Teams app is made of; `walkbot teams`' on_start hook receives it."""

    settings: TeamsSettings
    walkbot: Walkbot
    store: Store
    app: Any  # microsoft_teams.apps.App: `app.api` and `app.send` reach the connector (proactive notices)
    http: TeamsHttp  # the ASGI app: POST /api/messages, GET /healthz
    cloud: CloudEnvironment
    listeners: Listeners


def build_teams(*, settings: TeamsSettings, clock: Clock, db_url: str | None = None,
                cloud: CloudEnvironment | None = None, walkbot: Walkbot | None = None, store: Store | None = None,
                fallback: Any = None) -> TeamsRuntime:
    """The Teams app over walkbot's database. `cloud` is Microsoft's public cloud unless given (a test gives one
    whose login, OpenID metadata and keys are a loopback stand-in); `fallback`, an ASGI app for every other path
    (the Slack app, when one process serves both)."""
    redact.install(secrets=settings.secrets)
    cloud = cloud or PUBLIC
    if walkbot is None or store is None:
        walkbot, store = build(db_url=db_url or settings.database_url, clock=clock)
    token = ClientCredentialsToken(client_id=settings.app_id or "", client_secret=settings.app_secret or "",
                                   login_endpoint=cloud.login_endpoint,
                                   default_tenant=settings.tenant_id or cloud.login_tenant)
    http = TeamsHttp(issuer=cloud.token_issuer, authenticate=not settings.insecure_test, fallback=fallback)
    app = sdk.App(client_id=settings.app_id, tenant_id=settings.tenant_id, token=token, cloud=cloud,
                  http_server_adapter=http, messaging_endpoint=MESSAGES_PATH,
                  dangerously_allow_unauthenticated_requests=settings.insecure_test, state=False,
                  fetch_user_token=False, telemetry={"agent365": False})
    _check_sdk(app, settings, cloud)
    tenancy = Tenancy(store.uow, only=settings.tenant_id)
    listeners = register(app, walkbot, tenancy=tenancy, store=store)
    asyncio.run(app.initialize())  # registers the messaging endpoint on `http`; starts no server
    if MESSAGES_PATH not in http.paths:
        raise TeamsSettingsError("the Teams SDK did not register its messaging endpoint: walkbot will not start.")
    return TeamsRuntime(settings=settings, walkbot=walkbot, store=store, app=app, http=http, cloud=cloud,
                        listeners=listeners)


def _check_sdk(app: Any, settings: TeamsSettings, cloud: CloudEnvironment) -> None:
    """That the App does what walkbot told it, whatever the environment says to the SDK."""
    credentials = app.credentials
    problems = []
    if not isinstance(credentials, TokenCredentials) or credentials.client_id != settings.app_id:
        problems.append("its credentials are not walkbot's")
    elif (credentials.tenant_id or None) != settings.tenant_id:
        problems.append(f"it would use the tenant {credentials.tenant_id!r}, not TEAMS_TENANT_ID")
    if bool(app.options.dangerously_allow_unauthenticated_requests) != settings.insecure_test:
        problems.append("its unauthenticated mode is not walkbot's")
    if app.cloud != cloud:
        problems.append("its cloud is not walkbot's")
    if problems:
        given = [name for name in SDK_ENV if name in os.environ]
        raise TeamsSettingsError(
            f"The Teams SDK was not set up as walkbot asked ({'; '.join(problems)}), most likely by "
            f"{', '.join(given) or 'its own environment variables'} in the environment. walkbot reads TEAMS_APP_ID, "
            "TEAMS_APP_SECRET and TEAMS_TENANT_ID only: unset the SDK's own variables and start again.")
