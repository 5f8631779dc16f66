"""Notices into Slack: chat.postMessage to a person's DM or to a channel; the message ts is its id.

A user id as the channel posts to walkbot's DM with that person (its Messages tab); a channel id
posts in the channel. A notice carrying a calendar file gets it in a thread reply.

Implements bot.notices.delivery.Transport. Slack's answers become the dispatcher's three cases: a 429 is
RateLimited (Retry-After), a recipient that can never be reached is Undeliverable, and anything
else (Slack down, the network, a revoked token) is a DeliveryError worth another try later.
"""
from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING, Callable
from urllib.error import URLError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.oauth.installation_store import InstallationStore
from slack_sdk.oauth.token_rotation import TokenRotator

from bot.domain.ics import ics_filename
from bot.domain.model import Notice
from bot.errors import InputError
from bot.notices.delivery import DeliveryError, RateLimited, Undeliverable
from handlers.slack.blocks import escape

if TYPE_CHECKING:  # pragma: no cover (the runtime pulls in Bolt; `walkbot dispatch` needs none of it)
    from handlers.slack.runtime import SlackRuntime

log = logging.getLogger("walkbot.slack")

# Slack's error codes that no retry will cure: the person or channel is gone, or the message itself is wrong.
NEVER = frozenset({
    "channel_not_found", "user_not_found", "users_not_found", "is_archived", "account_inactive", "user_disabled",
    "not_in_channel", "cannot_dm_bot", "messages_tab_disabled", "restricted_action", "team_access_not_granted",
    "msg_too_long", "no_text", "invalid_blocks", "too_many_attachments",
})
DEFAULT_RETRY_AFTER = 30  # seconds, when a 429 comes without Retry-After


def text_only(notice: Notice) -> dict:
    """A notice as plain text (no render given): escaped, so nothing in it becomes a live mention or link."""
    return {"text": escape(notice.text)}


class SlackTransport:
    def __init__(self, client: WebClient, render: Callable[[Notice], dict] | None = None):
        self.client = client
        self.render = render or text_only

    def send(self, notice: Notice) -> str:
        try:
            posted = self.client.chat_postMessage(channel=notice.recipient, **self.render(notice))
        except SlackApiError as error:
            raise _delivery_error(error) from error
        except (SlackClientError, URLError, OSError) as error:
            raise DeliveryError(f"Slack could not be reached: {error}") from error
        if notice.ics:
            self._attach(posted["channel"], posted["ts"], notice)  # the DM's own id (D…), which uploads need
        return posted["ts"]

    def _attach(self, channel: str, ts: str, notice: Notice) -> None:
        # The message has gone and will be recorded as sent: a calendar file that fails to follow is
        # logged, not retried, because a retry would post the whole message a second time.
        try:
            self.client.files_upload_v2(channel=channel, thread_ts=ts, content=notice.ics,
                                        filename=ics_filename(notice.visit_id), title="Add to your calendar")
        except Exception:  # noqa: BLE001 (any failure here is reported the same way)
            log.warning("notice %s was sent, but its calendar file could not be attached", notice.id, exc_info=True)


def _delivery_error(error: SlackApiError) -> DeliveryError:
    response = error.response
    code = response.get("error") if isinstance(response.data, dict) else None
    if response.status_code == 429 or code == "ratelimited":
        headers = {name.lower(): value for name, value in (response.headers or {}).items()}
        value = headers.get("retry-after")
        return RateLimited(float(value[0] if isinstance(value, list) else value) if value else DEFAULT_RETRY_AFTER)
    if code in NEVER:
        return Undeliverable(f"Slack will not deliver it: {code}")
    return DeliveryError(f"Slack said {code or response.status_code}")


class WorkspaceTransport:
    """Many schools, each in its own Slack workspace (OAuth): each notice goes with its school's bot token.

    Rotating tokens are refreshed here before they expire: Bolt only refreshes them while it handles
    a request, and a quiet workspace's reminders must still go.
    """

    def __init__(self, schools: Callable[[int], str | None], installations: InstallationStore, *, api_url: str,
                 rotator: TokenRotator | None = None, render: Callable[[Notice], dict] | None = None):
        self.schools, self.installations, self.api_url = schools, installations, api_url
        self.rotator, self.render = rotator, render

    def send(self, notice: Notice) -> str:
        team = self.schools(notice.school_id)
        if team is None:
            raise Undeliverable(f"school {notice.school_id} has no slack_team_id in school.yml")
        bot = self.installations.find_bot(enterprise_id=None, team_id=team)
        if bot is None:
            raise Undeliverable(f"walkbot is not installed in Slack workspace {team}")
        if self.rotator is not None and bot.bot_refresh_token:
            try:
                fresh = self.rotator.perform_bot_token_rotation(bot=bot, minutes_before_expiration=10)
            except (SlackClientError, URLError, OSError) as error:
                raise DeliveryError(f"Slack could not refresh workspace {team}'s token: {error}") from error
            if fresh is not None:
                self.installations.save_bot(fresh)
                bot = fresh
        return SlackTransport(WebClient(token=bot.bot_token, base_url=self.api_url), self.render).send(notice)


def for_runtime(runtime: SlackRuntime, render: Callable[[Notice], dict] | None = None) -> SlackTransport | WorkspaceTransport:
    """The running Slack app's way out: its own client for one workspace, each school's token under OAuth."""
    if runtime.installation_store is None:
        return SlackTransport(runtime.app.client, render)
    settings = runtime.settings

    def team_of(school_id: int) -> str | None:
        with runtime.store.uow() as uow:
            school = uow.schools.get(school_id)
        return school.slack_team_id if school else None

    rotator = TokenRotator(client_id=settings.client_id, client_secret=settings.client_secret,
                           client=WebClient(base_url=settings.api_url))
    return WorkspaceTransport(team_of, runtime.installation_store, api_url=settings.api_url, rotator=rotator,
                              render=render)


def from_environment(render: Callable[[Notice], dict] | None = None) -> SlackTransport:
    """SLACK_BOT_TOKEN, and SLACK_API_URL to talk to a stand-in instead of slack.com."""
    token = os.environ.get("SLACK_BOT_TOKEN")
    if not token:
        raise InputError("Set SLACK_BOT_TOKEN (the app's bot token, xoxb-…) so walkbot can post to Slack.")
    client = WebClient(token=token, base_url=os.environ.get("SLACK_API_URL") or WebClient.BASE_URL)
    return SlackTransport(client, render)
