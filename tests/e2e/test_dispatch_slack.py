"""SlackTransport against the local Slack Web API stand-in: what it posts, what Slack's answers become,
and the dispatcher running beside the Slack app, with one workspace's token or each school's (OAuth)."""
from __future__ import annotations

import logging
import re
import time
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest
from installing import oauth_runtime
from notices_support import TUESDAY_10, add_notices, statuses
from slack_sdk import WebClient
from slack_sdk.oauth.installation_store import Installation
from standin import SlackStandIn

from bot.domain.clock import ShiftedClock
from bot.domain.model import Notice, NoticeKind
from bot.notices.delivery import DeliveryError, RateLimited, Undeliverable, Unreachable
from bot.reply.card import card
from handlers.scheduler import dispatch_beside_slack
from handlers.slack.runtime import build_slack
from handlers.slack.settings import SlackSettings
from handlers.slack.transport import SlackTransport, WorkspaceTransport, for_runtime
from handlers.wiring import load_school

ICS = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n"


def notice(**changes) -> Notice:
    return Notice(**{"school_id": 1, "kind": NoticeKind.REMINDER, "recipient": "U03TOM", "due_at": TUESDAY_10,
                     "card": card("Reminder: a visit tomorrow"), "id": 41, "visit_id": 7, **changes})


@pytest.fixture(scope="module")
def slack():
    with SlackStandIn() as running:
        yield running


@pytest.fixture
def transport(slack):
    slack.calls.clear()
    slack.override = None
    return SlackTransport(WebClient(token="xoxb-test", base_url=slack.url))


def test_a_person_is_told_in_their_dm_and_the_ts_comes_back(slack, transport):
    ts = transport.send(notice())
    (call,) = slack.of("chat.postMessage")
    assert call.args["channel"] == "U03TOM"  # a user id posts to walkbot's DM with them
    assert call.args["text"] == "Reminder: a visit tomorrow"
    assert re.fullmatch(r"\d+\.\d{6}", ts)  # the message's ts, Slack's id for it
    transport.send(notice(recipient="C0STAFF", kind=NoticeKind.WALK_ANNOUNCEMENT))
    assert slack.of("chat.postMessage")[-1].args["channel"] == "C0STAFF"


def test_the_render_hook_draws_the_message(slack):
    slack.calls.clear()
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*Reminder*"}}]
    transport = SlackTransport(WebClient(token="xoxb-test", base_url=slack.url),
                               render=lambda n: {"text": n.text, "blocks": blocks})
    transport.send(notice())
    assert slack.of("chat.postMessage")[-1].args["blocks"] == blocks


@pytest.mark.parametrize("answer, raised, message", [
    ((429, {"Retry-After": "7"}, {"ok": False, "error": "ratelimited"}), RateLimited, "rate limited; retry after 7 s"),
    # A Retry-After Slack should not send still holds the workspace back, for a while that makes sense.
    ((429, {}, {"ok": False, "error": "ratelimited"}), RateLimited, "rate limited; retry after 30 s"),
    ((429, {"Retry-After": "soon"}, {"ok": False, "error": "ratelimited"}), RateLimited, "rate limited; retry after 30 s"),
    ((429, {"Retry-After": "0"}, {"ok": False, "error": "ratelimited"}), RateLimited, "rate limited; retry after 1 s"),
    ((429, {"Retry-After": "1e308"}, {"ok": False, "error": "ratelimited"}), RateLimited,
     "rate limited; retry after 3600 s"),
    ((200, {}, {"ok": False, "error": "channel_not_found"}), Undeliverable, "Slack will not deliver it: channel_not_found"),
    ((200, {}, {"ok": False, "error": "account_inactive"}), Undeliverable, "Slack will not deliver it: account_inactive"),
    ((200, {}, {"ok": False, "error": "invalid_auth"}), DeliveryError, "Slack said invalid_auth"),
    ((500, {}, {"ok": False, "error": "internal_error"}), DeliveryError, "Slack said internal_error"),
])
def test_slack_s_answers_become_the_dispatcher_s_cases(slack, transport, answer, raised, message):
    slack.override = lambda call: answer
    with pytest.raises(raised) as caught:
        transport.send(notice())
    assert type(caught.value) is raised and str(caught.value) == message


def test_slack_out_of_reach_is_worth_another_try():
    transport = SlackTransport(WebClient(token="xoxb-test", base_url="http://127.0.0.1:9/api/", timeout=2))
    with pytest.raises(DeliveryError, match="Slack could not be reached"):
        transport.send(notice())


def test_a_calendar_file_follows_the_message_in_its_thread(slack, transport):
    def uploads(call):
        if call.method == "files.getUploadURLExternal":
            return 200, {}, {"ok": True, "upload_url": f"{slack.url}upload-here", "file_id": "F0ICS"}
        if call.method == "files.completeUploadExternal":
            return 200, {}, {"ok": True, "files": [{"id": "F0ICS", "title": "Add to your calendar"}]}
        return None

    slack.override = uploads
    ts = transport.send(notice(kind="agreed", ics=ICS))
    (asked,) = slack.of("files.getUploadURLExternal")
    assert asked.args["filename"] == "walkbot-visit-7.ics"
    assert slack.of("upload-here")  # the file itself went to the upload URL
    (done,) = slack.of("files.completeUploadExternal")
    assert done.args["thread_ts"] == ts and done.args["channel_id"] == "U03TOM"


def test_a_calendar_file_that_fails_to_follow_does_not_resend_the_message(slack, transport, caplog):
    slack.override = lambda call: (200, {}, {"ok": False, "error": "missing_scope"}) if call.method.startswith("files.") else None
    with caplog.at_level(logging.WARNING, logger="walkbot.slack"):
        ts = transport.send(notice(kind="agreed", ics=ICS))
    assert ts and len(slack.of("chat.postMessage")) == 1
    assert "was sent, but its calendar file could not be attached" in caplog.text


# --- beside the running Slack app ------------------------------------------------------------------------

def wait_for(condition, seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.05)


def test_the_slack_app_sends_due_notices_beside_it_and_stops_with_it(slack, tmp_path):
    url = f"sqlite:///{tmp_path / 'w.db'}"
    runtime = build_slack(settings=SlackSettings(bot_token="xoxb-1-beside", signing_secret="x", api_url=slack.url,
                                                 database_url=url), clock=ShiftedClock(TUESDAY_10))
    school = load_school(runtime.store, None)
    add_notices(runtime.store, school.id, 3, TUESDAY_10)
    slack.calls.clear()
    slack.override = None
    stop = dispatch_beside_slack(runtime, clock=ShiftedClock(TUESDAY_10))
    try:
        wait_for(lambda: statuses(runtime.store)["pending"] == 0)
    finally:
        stop()
    posts = [c for c in slack.of("chat.postMessage") if c.args["text"].startswith("notice ")]
    assert sorted(c.args["text"] for c in posts) == ["notice 0", "notice 1", "notice 2"]
    assert {c.token for c in posts} == {"xoxb-1-beside"}
    runtime.store.close()


def test_under_oauth_each_school_s_notices_go_with_its_workspace_s_token_refreshed_in_time(slack, tmp_path):
    runtime = oauth_runtime(slack=slack, url=f"sqlite:///{tmp_path / 'w.db'}", clock=ShiftedClock(TUESDAY_10))
    school = load_school(runtime.store, None)  # the demo school is Slack workspace T0DEMO
    soon = datetime.now(timezone.utc) + timedelta(minutes=5)
    runtime.installation_store.save(Installation(
        app_id="A0WALK", team_id="T0DEMO", bot_token="xoxb-1-old", bot_id="B0BOT", bot_user_id="U0BOT",
        bot_scopes="commands,chat:write,files:write", bot_refresh_token="xoxe-1-r", bot_token_expires_at=soon,
        user_id="U01HEAD", installed_at=time.time()))

    def refresh(call):
        if call.method == "oauth.v2.access":
            assert call.args["grant_type"] == "refresh_token"
            return 200, {}, {"ok": True, "app_id": "A0WALK", "access_token": "xoxb-1-new", "refresh_token": "xoxe-1-s",
                             "expires_in": 43200, "token_type": "bot", "team": {"id": "T0DEMO"}}
        return None

    slack.calls.clear()
    slack.override = refresh
    transport = for_runtime(runtime)
    transport.workspace(school).send(notice(school_id=school.id))
    assert slack.of("chat.postMessage")[-1].token == "xoxb-1-new"  # refreshed before it expired, then used
    assert runtime.installation_store.find_bot(enterprise_id=None, team_id="T0DEMO").bot_token == "xoxb-1-new"
    workspaces = WorkspaceTransport(runtime.installation_store, api_url=slack.url)
    with pytest.raises(Unreachable, match="gives no slack_team_id"):  # it waits, for SLT to see: never another's token
        workspaces.workspace(replace(school, slack_team_id=None))
    with pytest.raises(Unreachable, match="not installed in Slack workspace T0OTHER"):
        workspaces.workspace(replace(school, slack_team_id="T0OTHER"))
    runtime.store.close()
