"""Notices into Microsoft Teams: proactive messages through the Bot Framework connector.

- To a person: into their personal chat with walkbot, by the conversation reference Teams gave when walkbot
  was installed for them (handlers.teams.listeners stores it, `uow.teams.personal`).
- To the school's staff channel (school.yml `teams.channel_id`): a new post in that channel, through the
  connector of the staff team's reference (stored when walkbot was added to the team `teams.team_id`).

It sends with the Teams SDK's own API client (microsoft_teams.api.ApiClient) and walkbot's bot token
(handlers.teams.auth.ClientCredentialsToken). The SDK is async and the dispatcher's senders are threads: the
transport runs one event loop of its own, in a thread, and hands it each send, so all sends share one
connection pool, which `close` ends.

The connector's answers become the dispatcher's cases: a 429 (Teams' limits per conversation) is RateLimited,
held until Retry-After without a sender sleeping; a 403 or 404 (the conversation is gone, walkbot was
uninstalled or blocked there) is Undeliverable, and the stale reference is forgotten; anything else is a
DeliveryError, tried again later. Someone with no reference yet is Unreachable: the notice waits.

Teams bots cannot attach a file to a message: a calendar file becomes an "Add to calendar" button on the card,
a signed link that expires (handlers.teams.calendar).
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import math
import os
import re
import threading

import httpx
from microsoft_teams.api import Account, ApiClient, ConversationAccount, MessageActivityInput
from microsoft_teams.api.auth.cloud_environment import PUBLIC, CloudEnvironment, with_overrides
from microsoft_teams.common import ClientOptions

from bot.domain.model import Notice
from bot.notices.delivery import DeliveryError, RateLimited, Undeliverable, within_reason
from bot.ports import TeamsConversation
from handlers.teams import cards
from handlers.teams.auth import TIMEOUT, ClientCredentialsToken, TokenError
from handlers.teams.calendar import CalendarLinks, with_button
from handlers.teams.reach import Destination, destination, not_reached
from handlers.teams.settings import TeamsSettings

LOGIN_URL_ENV = "TEAMS_LOGIN_URL"  # Microsoft's login endpoint, elsewhere only for a local stand-in
GONE = frozenset({403, 404})  # the conversation is gone, or walkbot was uninstalled or blocked there
DEFAULT_RETRY_AFTER = 30  # seconds, when a 429 comes without Retry-After
SDK_SERVICE_URL = "https://smba.trafficmanager.net/teams"  # the SDK's default; each send names its own
_CODE = re.compile(r"[A-Za-z]{1,60}")  # the connector's error code (ConversationNotFound, BotDisabledByAdmin, ...)


def bot_token(settings: TeamsSettings, cloud: CloudEnvironment) -> ClientCredentialsToken:
    """walkbot's own token, from its tenant (a single-tenant bot's) or the Bot Framework's (a multi-tenant bot's)."""
    return ClientCredentialsToken(client_id=settings.app_id or "", client_secret=settings.app_secret or "",
                                  login_endpoint=cloud.login_endpoint,
                                  default_tenant=settings.tenant_id or cloud.login_tenant)


class TeamsTransport:
    """bot.notices.delivery.Transport for Teams. Thread-safe: every send runs on the transport's own event loop."""

    def __init__(self, uow_factory, token: ClientCredentialsToken, cloud: CloudEnvironment = PUBLIC, *,
                 calendar: CalendarLinks | None = None, timeout: float = TIMEOUT):
        self.uow_factory, self.calendar, self.timeout = uow_factory, calendar, timeout
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="walkbot-teams-notices", daemon=True)
        self._thread.start()
        self._api = ApiClient(SDK_SERVICE_URL, ClientOptions(token=lambda: token(cloud.bot_scope), timeout=timeout),
                              cloud=cloud)

    def send(self, notice: Notice) -> str:
        with self.uow_factory() as uow:
            school = uow.schools.get(notice.school_id)
            found = destination(uow, school, notice.recipient) if school else None
        if school is None:
            raise Undeliverable(f"school {notice.school_id} is no longer in walkbot")
        if found is None:
            raise not_reached(school, notice.recipient)
        return self.deliver(notice, found)

    def deliver(self, notice: Notice, to: Destination) -> str:
        """Post the notice where `to` says; the connector's id for the message."""
        message = cards.notice_message(notice)
        if notice.ics:
            message = with_button(message, self.calendar, notice.id)
        activity = MessageActivityInput.model_validate(message)
        activity.from_ = Account(id=to.reference.bot_id) if to.reference.bot_id else None
        activity.conversation = ConversationAccount(id=to.conversation_id)
        posting = self._api.conversations.create_activity(to.conversation_id, activity,
                                                          service_url=to.reference.service_url)
        future = asyncio.run_coroutine_threadsafe(posting, self._loop)
        try:
            return future.result(timeout=3 * self.timeout).id  # a token, then the post: each within its timeout
        except httpx.HTTPStatusError as refused:
            raise self._refused(refused.response, to.reference) from refused
        except (httpx.TransportError, TokenError, concurrent.futures.TimeoutError) as error:
            future.cancel()
            raise DeliveryError(f"Teams could not be reached: {type(error).__name__}") from error

    def _refused(self, answer: httpx.Response, reference: TeamsConversation) -> DeliveryError:
        if answer.status_code == 429:
            return RateLimited(retry_after(answer.headers.get("Retry-After")))
        code = _code(answer)
        if answer.status_code in GONE:
            with self.uow_factory() as uow:  # walkbot may write there no more: forget it, so no one waits on it
                uow.teams.remove(reference.school_id, reference.conversation_id)
                uow.commit()
            return Undeliverable(f"Teams will not deliver it: {code} (walkbot was removed from that conversation "
                                 "or blocked there)")
        return DeliveryError(f"Teams said {code}")

    def close(self) -> None:
        """End the connection pool and the event loop (the dispatcher has stopped)."""
        asyncio.run_coroutine_threadsafe(self._api.http.http.aclose(), self._loop).result(timeout=self.timeout)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=self.timeout)
        self._loop.close()


def retry_after(value: str | None) -> float:
    """Seconds from a Retry-After header (the connector sends seconds), within reason."""
    try:
        seconds = float(value) if value else DEFAULT_RETRY_AFTER
    except ValueError:  # an HTTP date: rare from the connector, and a fixed wait errs on the patient side
        return DEFAULT_RETRY_AFTER
    return DEFAULT_RETRY_AFTER if math.isnan(seconds) else within_reason(seconds)


def _code(answer: httpx.Response) -> str:
    """The connector's error code, or the HTTP status: never its message, which may quote the activity."""
    try:
        error = answer.json().get("error")
    except (ValueError, AttributeError):
        error = None
    code = error.get("code") if isinstance(error, dict) else None
    return code if isinstance(code, str) and _CODE.fullmatch(code) else f"HTTP {answer.status_code}"


def from_environment(uow_factory) -> TeamsTransport | None:
    """As `walkbot teams serve` reads them (TEAMS_APP_ID, TEAMS_APP_SECRET, TEAMS_TENANT_ID; WALKBOT_PUBLIC_URL for
    calendar links; TEAMS_LOGIN_URL for a stand-in); None when Teams is not set up at all."""
    settings = TeamsSettings.from_env()
    if not settings.set_up:
        return None
    settings.check("127.0.0.1")  # the same sentences as the endpoint's; a dispatcher listens nowhere
    login = (os.environ.get(LOGIN_URL_ENV) or "").strip()
    cloud = with_overrides(PUBLIC, login_endpoint=login.rstrip("/")) if login else PUBLIC
    return TeamsTransport(uow_factory, bot_token(settings, cloud), cloud,
                          calendar=CalendarLinks.from_environment(settings.app_secret or ""))


def for_runtime(runtime) -> TeamsTransport:
    """The running Teams app's way out: its token and cloud, its database, calendar links from the environment."""
    return TeamsTransport(runtime.store.uow, runtime.app.credentials.token, runtime.cloud,
                          calendar=CalendarLinks.from_environment(runtime.settings.app_secret or ""))
