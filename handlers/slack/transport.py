"""Notices into Slack: chat.postMessage to a person's DM or to a channel; the message ts is its id.

A user id as the channel posts to walkbot's DM with that person (its Messages tab); a channel id
posts in the channel. A notice carrying a calendar file gets it in a thread reply.

SlackTransport implements bot.notices.delivery.Transport for one workspace's token. Slack's answers become the
dispatcher's cases: a 429 is RateLimited (Retry-After, for the whole workspace; once a workspace has answered
one, walkbot keeps to one post a second in each channel itself, and after another to a little under the rate Slack
took before it, so as not to draw more: Pacing), a recipient that can never be reached is Undeliverable, and anything
else (Slack down, the network, a revoked token) is a DeliveryError worth another
try later. Which workspace's token a school's notice goes with is `OneWorkspace` (SLACK_BOT_TOKEN) or
`WorkspaceTransport` (OAuth): each gives a school its own workspace's transport, or says it has none
(Unreachable), never another school's.
"""
from __future__ import annotations

import logging
import math
import threading
import time
from collections import deque
from typing import TYPE_CHECKING, Callable
from urllib.error import URLError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.domain.ics import ics_filename
from bot.domain.model import Notice
from bot.domain.school import School
from bot.notices.delivery import DeliveryError, RateLimited, Reach, Undeliverable, Unreachable
from handlers.slack.blocks import escape
from handlers.slack.settings import SettingsError, SlackSettings

if TYPE_CHECKING:  # pragma: no cover (the runtime pulls in Bolt; `walkbot dispatch` needs none of it)
    from slack_sdk.oauth.installation_store import InstallationStore
    from slack_sdk.oauth.token_rotation import TokenRotator

    from handlers.slack.runtime import SlackRuntime

log = logging.getLogger("walkbot.slack")

# Slack's error codes that no retry will cure: the person or channel is gone, or the message itself is wrong.
NEVER = frozenset({
    "channel_not_found", "user_not_found", "users_not_found", "is_archived", "account_inactive", "user_disabled",
    "not_in_channel", "cannot_dm_bot", "messages_tab_disabled", "restricted_action", "team_access_not_granted",
    "msg_too_long", "no_text", "invalid_blocks", "too_many_attachments",
})
DEFAULT_RETRY_AFTER = 30  # seconds, when a 429 comes without Retry-After (or with one that is no number)
# Slack allows "one message per second per channel", "short bursts" above it: walkbot allows itself two at once,
# one fewer than a burst Slack takes, so that a post held up on the way may reach Slack less than a second before the
# next without a 429 (a channel's 429 would stop the whole workspace for a second).
CHANNEL_EVERY, CHANNEL_BURST = 1.0, 2


# Slack does not publish a workspace's limit on chat.postMessage. A first 429 may be a channel's (a person's burst):
# from then on walkbot keeps each channel to a post a second itself, so a 429 after that is the workspace's. Its
# limit is then learnt from the posts Slack took between the two 429s: after a 429 Slack takes no more until its
# tokens have come back, so the posts it took since the one before, over the time since (its Retry-After included),
# are its rate; over at most LEARN_OVER seconds, so that a quiet hour before does not count as a slow limit. walkbot
# keeps its posts to a little under that and rises to it, not past it: another 429 would cost a whole second
# (Retry-After is whole seconds). After QUIET seconds with none it rises on, to find a limit Slack has raised.
# Time walkbot was away past a Retry-After is not counted: Slack's bucket was full by then and filled no further.
LEARN_OVER = 10.0  # seconds of posts, at most, the rate that drew a 429 is measured over
# Posts between two 429s below which they say nothing of a rate: a limit's bucket refills for the whole Retry-After
# (a second at least), so a 429 again after a handful is Slack refusing for some other reason, which a slower pace
# would not stop (it would only slow every notice after it).
FEW = 20
CUT = 0.95  # of that rate, the pace after a 429...
RISE = 0.005  # ...rising by this a second, compounded, while no 429 comes...
QUIET = 600.0  # ...and past what was learnt after this many seconds without one
CATCH_UP = 0.05  # seconds of turns at the pace a sender late for its own may still take, so the pace is kept
SLOWEST, FASTEST = 1.0, 1_000.0  # posts a second the workspace is kept to at least, and at most
ONE_EPISODE = 0.5  # seconds: 429s within this of a cut are the senders already asking when it came, not a new one
LONGEST_WAIT = 1.0  # seconds a sender waits for its turn at the pace; longer, the notice is held back instead


class Pacing:
    """Slack's limits, kept by walkbot before Slack has to say so, once a workspace has answered 429: another 429
    would make the whole workspace wait Retry-After, which Slack gives in whole seconds. Then each channel (a
    person's DM) is kept to a post a second after a burst of CHANNEL_BURST (a post beyond that is held back
    without asking Slack: RateLimited for that conversation only), and after another 429 the workspace's posts
    to `rate`, a little under the `limit` learnt from what Slack took (LEARN_OVER and what follows). Until then
    (most workspaces, most of the time) notices go as fast as they come. One per workspace, shared by its
    transports and senders."""

    def __init__(self, every: float = CHANNEL_EVERY, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep):
        self.every, self.clock, self.sleep = every, clock, sleep
        self.limited = False  # the workspace has answered 429: its channels' limits bind
        self.limit: float | None = None  # posts a second the workspace took between its last two 429s
        self.rate: float | None = None  # posts a second the workspace is kept to, once it has answered 429 again
        self._due: dict[str, float] = {}  # each channel's next post, at one a second (a burst goes ahead of it)
        self._posted: deque[float] = deque()  # when the last LEARN_OVER seconds' posts went
        self._next = 0.0  # when the workspace's next post may go, at `rate`
        self._cut_at = self._risen_at = float("-inf")
        self._waited = 0.0  # the last 429's Retry-After
        self._resumed: float | None = None  # the first post asked for once that Retry-After had passed
        self._lock = threading.Lock()

    def take(self, channel: str) -> None:
        """Wait for this post's turn at the workspace's pace; RateLimited when the channel's, or the pace's, is
        further off than a sender should wait."""
        with self._lock:
            now = self.clock()
            if self._resumed is None and now >= self._cut_at + self._waited:
                self._resumed = now
            at = turn = now
            if self.rate is not None:
                quiet = now - self._cut_at > QUIET  # from then on it rises past the limit learnt
                since = max(self._risen_at, self._cut_at + QUIET) if quiet else self._risen_at
                top = FASTEST if quiet else self.limit
                risen = self.rate * (1 + RISE) ** min(now - since, 3_600.0)
                self.rate, self._risen_at = max(self.rate, min(top, risen)), now
                turn = max(self._next, now - CATCH_UP)
                at = max(turn, now)
                if at - now > LONGEST_WAIT:
                    raise RateLimited(at - now)
            due = self._due.get(channel, at)
            wait = due - (CHANNEL_BURST - 1) * self.every - at
            if wait > 0 and self.limited:
                raise RateLimited(wait)
            if self.rate is not None:
                self._next = turn + 1 / self.rate
            self._due[channel] = max(due, at) + self.every
            if len(self._due) > 10_000:  # forget channels whose bursts are long over
                self._due = {c: when for c, when in self._due.items() if when > now}
        if at > now:
            self.sleep(at - now)

    def posted(self) -> None:
        """A post went: counted for what a 429 learns from."""
        with self._lock:
            now = self.clock()
            self._posted.append(now)
            while self._posted and self._posted[0] < now - LEARN_OVER:
                self._posted.popleft()

    def refused(self, retry_after: float) -> None:
        """Slack answered 429: the first time, channels are kept to their limit from now on; after that, the limit is
        learnt again and the pace cut to a little under it (once for the senders that asked meanwhile)."""
        with self._lock:
            now = self.clock()
            if now - self._cut_at < ONE_EPISODE:
                return
            since, self._cut_at = self._cut_at, now
            # Slack's tokens came back for its Retry-After; for longer only up to its bucket's size, which is not
            # known: the time walkbot was away past it (a slow start again, nothing due) is not counted.
            away = max(0.0, (self._resumed if self._resumed is not None else now) - (since + self._waited))
            self._waited, self._resumed = retry_after, None
            if not self.limited:
                self.limited = True
                return
            over = min(now - since - away, LEARN_OVER)
            took = sum(1 for at in self._posted if at >= now - over)
            if took < FEW:  # a refusal, but no rate to learn from: its Retry-After is all it costs
                return
            self.limit = max(SLOWEST, took / over)
            self.rate, self._risen_at = max(SLOWEST, self.limit * CUT), now
            self._next = now  # no turns to catch up from before the cut
            log.info("a Slack workspace took %.1f posts a second before its 429: walkbot keeps to %.1f", self.limit,
                     self.rate)


def text_only(notice: Notice) -> dict:
    """A notice as plain text (no render given): escaped, so nothing in it becomes a live mention or link."""
    return {"text": escape(notice.text)}


class SlackTransport:
    def __init__(self, client: WebClient, render: Callable[[Notice], dict] | None = None,
                 pacing: Pacing | None = None):
        self.client = client
        self.render = render or text_only
        self.pacing = pacing or Pacing()

    def send(self, notice: Notice) -> str:
        self.pacing.take(notice.recipient)
        try:
            posted = self.client.chat_postMessage(channel=notice.recipient, **self.render(notice))
        except SlackApiError as error:
            refused = _delivery_error(error)
            if isinstance(refused, RateLimited):
                self.pacing.refused(refused.retry_after)
            raise refused from error
        except (SlackClientError, URLError, OSError) as error:
            raise DeliveryError(f"Slack could not be reached: {error}") from error
        self.pacing.posted()
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
        # Slack's limits are per workspace (and per channel, which it does not tell apart): the whole workspace waits.
        return RateLimited(_retry_after(headers.get("retry-after")), whole_installation=True)
    if code in NEVER:
        return Undeliverable(f"Slack will not deliver it: {code}")
    return DeliveryError(f"Slack said {code or response.status_code}")


def _retry_after(value: str | list[str] | None) -> float:
    """Slack's Retry-After, in seconds: at least a second (Slack gives whole ones); one missing or not a number is
    DEFAULT_RETRY_AFTER (RateLimited keeps a long one to LONGEST_PAUSE)."""
    try:
        seconds = float(value[0] if isinstance(value, list) else value)
    except (TypeError, ValueError, IndexError):
        return DEFAULT_RETRY_AFTER
    return DEFAULT_RETRY_AFTER if math.isnan(seconds) else max(seconds, 1.0)


def _linked(school: School) -> str:
    if school.slack_team_id is None:
        raise Unreachable(Reach.NO_INSTALLATION, "school.yml gives no slack_team_id: walkbot cannot tell which "
                                                 "Slack workspace is the school's")
    return school.slack_team_id


class OneWorkspace:
    """SLACK_BOT_TOKEN: one workspace's token, for the school linked to that workspace and no other."""

    def __init__(self, transport: SlackTransport):
        self.transport = transport
        self._team: str | None = None
        self._lock = threading.Lock()

    def team(self) -> str:
        """The token's workspace, as Slack says (auth.test, asked once)."""
        with self._lock:
            if self._team is None:
                try:
                    self._team = self.transport.client.auth_test()["team_id"]
                except SlackApiError as error:
                    raise _delivery_error(error) from error
                except (SlackClientError, URLError, OSError) as error:
                    raise DeliveryError(f"Slack could not be reached: {error}") from error
            return self._team

    def workspace(self, school: School) -> SlackTransport:
        if _linked(school) != self.team():
            raise Unreachable(Reach.NO_INSTALLATION, f"SLACK_BOT_TOKEN is another workspace's, not the school's "
                                                     f"({school.slack_team_id}): install walkbot there by OAuth")
        return self.transport


class WorkspaceTransport:
    """Many schools, each in its own Slack workspace (OAuth): each school's notices go with its workspace's token.

    Rotating tokens are refreshed here before they expire: Bolt only refreshes them while it handles
    a request, and a quiet workspace's reminders must still go.
    """

    def __init__(self, installations: InstallationStore, *, api_url: str, rotator: TokenRotator | None = None,
                 render: Callable[[Notice], dict] | None = None):
        self.installations, self.api_url = installations, api_url
        self.rotator, self.render = rotator, render
        self._pacing: dict[str, Pacing] = {}  # by workspace
        self._lock = threading.Lock()

    def workspace(self, school: School) -> SlackTransport:
        team = _linked(school)
        bot = self.installations.find_bot(enterprise_id=None, team_id=team)
        if bot is None:
            raise Unreachable(Reach.NO_INSTALLATION, f"walkbot is not installed in Slack workspace {team}")
        if self.rotator is not None and bot.bot_refresh_token:
            try:
                fresh = self.rotator.perform_bot_token_rotation(bot=bot, minutes_before_expiration=10)
            except (SlackClientError, URLError, OSError) as error:
                raise DeliveryError(f"Slack could not refresh workspace {team}'s token: {error}") from error
            if fresh is not None:
                self.installations.save_bot(fresh)
                bot = fresh
        with self._lock:
            pacing = self._pacing.setdefault(team, Pacing())
        return SlackTransport(WebClient(token=bot.bot_token, base_url=self.api_url), self.render, pacing)


Workspaces = OneWorkspace | WorkspaceTransport


def for_runtime(runtime: SlackRuntime, render: Callable[[Notice], dict] | None = None) -> Workspaces:
    """The running Slack app's way out: its own client for one workspace, each school's token under OAuth."""
    if runtime.installation_store is None:
        return OneWorkspace(SlackTransport(runtime.app.client, render))
    return _oauth(runtime.settings, runtime.installation_store, render)


def _oauth(settings: SlackSettings, installations: InstallationStore,
           render: Callable[[Notice], dict] | None) -> WorkspaceTransport:
    from slack_sdk.oauth.token_rotation import TokenRotator  # the OAuth pieces, only with OAuth

    rotator = TokenRotator(client_id=settings.client_id, client_secret=settings.client_secret,
                           client=WebClient(base_url=settings.api_url))
    return WorkspaceTransport(installations, api_url=settings.api_url, rotator=rotator, render=render)


def from_environment(engine, render: Callable[[Notice], dict] | None = None) -> Workspaces | None:
    """As `walkbot serve` reads them: OAuth (SLACK_CLIENT_ID, SLACK_CLIENT_SECRET, WALKBOT_SECRET_KEY; the
    installations in walkbot's database, `engine`), else SLACK_BOT_TOKEN; SLACK_API_URL for a stand-in.
    None when Slack is not set up at all."""
    settings = SlackSettings.from_env()
    if settings.oauth:
        if not (settings.client_id and settings.client_secret and settings.secret_key):
            raise SettingsError("Sending each school's notices with its own Slack workspace's token needs "
                                "SLACK_CLIENT_ID, SLACK_CLIENT_SECRET and WALKBOT_SECRET_KEY, as walkbot serve has "
                                "them.")
        from handlers.slack.oauth import EncryptedInstallationStore, token_cipher  # cryptography, only with OAuth

        installations = EncryptedInstallationStore(client_id=settings.client_id, engine=engine,
                                                   cipher=token_cipher(settings.secret_key))
        return _oauth(settings, installations, render)
    if settings.bot_token:
        return OneWorkspace(SlackTransport(WebClient(token=settings.bot_token, base_url=settings.api_url), render))
    return None
