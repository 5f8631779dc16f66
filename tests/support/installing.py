"""Installing walkbot by OAuth through the real server, as a browser and Slack would.

The install page gives the Slack authorize link (with a one-time state) and sets the state cookie;
Slack then sends the browser back to /slack/oauth_redirect with a code, which walkbot exchanges at
oauth.v2.access (the stand-in's) for the workspace's bot token.
"""
from __future__ import annotations

import html
import re
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import parse_qs, urlparse

from cryptography.fernet import Fernet
from live import Answer, Client, serving
from standin import SlackStandIn

from handlers.slack.runtime import SlackRuntime, build_slack
from handlers.slack.server import SlackHttp
from handlers.slack.settings import SlackSettings

SECRET = "5b4a39281706f5e4d3c2b1a09f8e7d6c"
CLIENT_ID, CLIENT_SECRET = "1111.2222", "c0ffee00c0ffee00c0ffee00c0ffee00"
STATE_COOKIE = "slack-app-oauth-state"


def oauth_settings(*, slack: SlackStandIn, url: str, secret_key: str | None = None) -> SlackSettings:
    return SlackSettings(signing_secret=SECRET, client_id=CLIENT_ID, client_secret=CLIENT_SECRET,
                         secret_key=secret_key or Fernet.generate_key().decode(), api_url=slack.url,
                         database_url=url)


def oauth_runtime(*, slack: SlackStandIn, url: str, clock, secret_key: str | None = None) -> SlackRuntime:
    return build_slack(settings=oauth_settings(slack=slack, url=url, secret_key=secret_key), clock=clock)


@contextmanager
def served(runtime: SlackRuntime) -> Iterator[Client]:
    """A Slack runtime served as `walkbot serve` serves it: over HTTP, the requests it keeps worked by its threads."""
    stop = runtime.inbox.start()
    try:
        with serving(SlackHttp(bolt=runtime.app)) as http:
            yield http
    finally:
        stop()


def start(http: Client) -> tuple[str, dict[str, list[str]]]:
    """Open the install page: the state cookie it sets, and the authorize link's query."""
    page = http.get("/slack/install")
    assert page.status == 200, page.text
    link = html.unescape(re.search(r'href="(https://slack\.com/oauth/v2/authorize\?[^"]+)"', page.text).group(1))
    cookie = page.headers["Set-Cookie"].split(";")[0]
    assert cookie.startswith(f"{STATE_COOKIE}=")
    return cookie, parse_qs(urlparse(link).query)


def come_back(http: Client, *, state: str, cookie: str, code: str = "a-one-time-code") -> Answer:
    return http.get(f"/slack/oauth_redirect?code={code}&state={state}", headers={"Cookie": cookie})


def install(http: Client) -> Answer:
    cookie, query = start(http)
    answer = come_back(http, state=query["state"][0], cookie=cookie)
    assert answer.status == 200, answer.text
    return answer
