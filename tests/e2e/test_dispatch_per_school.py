"""One `walkbot dispatch` for every school, each notice sent with its own school's installation
(handlers/transports.py): two Slack workspaces installed by OAuth, each school's notices with its own token; a
Slack school and a Teams school from one dispatcher; a school walkbot is not installed for waits, and its SLT
see why. The dispatcher runs as a process of its own, against the Slack and connector stand-ins over loopback."""
from __future__ import annotations

import copy

import pytest
from sqlalchemy import event
from cryptography.fernet import Fernet
from dispatch_support import CHANNEL, TEAM, TEAMS_SCHOOL, dispatch_once, for_person, installed, notices, one, waiting
from installing import CLIENT_ID, CLIENT_SECRET, install, oauth_runtime, served
from notices_support import DEMO, TUESDAY_10
from standin import SlackStandIn, fake_token
from teams_limits import cards_of, shown_text
from teams_support import AMY, APP_ID, SECRET, TENANT, TOM, connector_fixture, load  # noqa: F401 (a fixture)

from bot.chat import replies
from bot.chat.router import Walkbot
from bot.domain.clock import FixedClock
from bot.domain.model import NoticeKind
from bot.domain.school import parse_school_config
from bot.notices.delivery import Settings
from bot.usecases import commands as c
from handlers.dispatcher import Dispatcher
from handlers.transports import PerSchool
from handlers.wiring import load_school

DEMO_TOKEN = fake_token("xoxb", "standin-bot-token")  # what the stand-in's oauth.v2.access hands out
OTHER_TOKEN = fake_token("xoxb", "other-workspace-token")


@pytest.fixture
def slack():
    with SlackStandIn() as running:
        yield running


def slack_school(store, key: str, team: str | None):
    """The demo school again, as another school in another Slack workspace."""
    config = copy.deepcopy(DEMO)
    config["school"].update(key=key, name=f"School {key}", slack_team_id=team)
    with store.uow() as uow:
        school = uow.schools.save(parse_school_config(config))
        uow.commit()
    return school


def posts(slack: SlackStandIn) -> dict[str, list[tuple[str, str]]]:
    """What each test notice posted in Slack said, by text: (channel, token) of each post."""
    found: dict[str, list[tuple[str, str]]] = {}
    for call in slack.of("chat.postMessage"):
        found.setdefault(call.args.get("text", ""), []).append((call.args["channel"], call.token))
    return found


def test_two_oauth_workspaces_each_school_s_notices_go_with_its_own_token(slack, store_url, clock):
    key = Fernet.generate_key().decode()
    runtime = oauth_runtime(slack=slack, url=store_url, clock=clock, secret_key=key)
    with served(runtime) as http:
        install(http)  # the demo workspace, T0DEMO

        def other_workspace(call):
            if call.method == "oauth.v2.access":
                body = slack.default_body(call) | {"access_token": OTHER_TOKEN, "team": {"id": "T0OTHER", "name": "B"}}
                return 200, {}, body
            return None

        slack.override = other_workspace
        install(http)  # a second school's workspace
        slack.override = None
    store = runtime.store
    demo, other, nowhere = (load_school(store, None), slack_school(store, "other", "T0OTHER"),
                            slack_school(store, "nowhere", "T0NOWHERE"))
    notices(store, demo, "U03TOM", "for the demo school")
    notices(store, other, "U03TOM", "for the other school")
    (unsent,) = notices(store, nowhere, "U03TOM", "for a school walkbot is not installed for")
    slack.calls.clear()

    done = dispatch_once(store_url, SLACK_CLIENT_ID=CLIENT_ID, SLACK_CLIENT_SECRET=CLIENT_SECRET,
                         WALKBOT_SECRET_KEY=key, SLACK_API_URL=slack.url)
    assert done.returncode == 0, done.stderr
    sent = posts(slack)
    assert sent["for the demo school"] == [("U03TOM", DEMO_TOKEN)]
    assert sent["for the other school"] == [("U03TOM", OTHER_TOKEN)]  # its own token, never the demo's
    assert "for a school walkbot is not installed for" not in sent
    assert (one(store, unsent).status, one(store, unsent).last_error) == (
        "pending", "walkbot is not installed in Slack workspace T0NOWHERE")
    assert ("U03TOM", "no-installation") in waiting(store, nowhere)  # with its SLT's weekly digests
    assert DEMO_TOKEN not in done.stderr + done.stdout and OTHER_TOKEN not in done.stderr + done.stdout
    runtime.store.close()


def test_one_dispatcher_sends_a_slack_school_s_and_a_teams_school_s_notices_each_its_way(slack, connector, store,
                                                                                           store_url):
    token = fake_token("xoxb", "the-demo-workspace")  # the stand-in's auth.test says it is T0DEMO's
    demo = load_school(store, None)
    teams = load(store, TEAMS_SCHOOL)
    for_person(store, connector, teams, TOM)
    installed(store, connector, teams, TEAM, scope="team")
    notices(store, demo, "U03TOM", "slack reminder")
    notices(store, teams, TOM.aad, "teams reminder")
    notices(store, teams, CHANNEL, "the walk programme", kind=NoticeKind.WALK_ANNOUNCEMENT)
    (amys,) = notices(store, teams, AMY.aad, "for Amy, who has not installed walkbot")

    done = dispatch_once(store_url, SLACK_BOT_TOKEN=token, SLACK_API_URL=slack.url, TEAMS_APP_ID=APP_ID,
                         TEAMS_APP_SECRET=SECRET, TEAMS_TENANT_ID=TENANT, TEAMS_LOGIN_URL=f"{connector.url}/login")
    assert done.returncode == 0, done.stderr
    sent = posts(slack)
    assert sent["slack reminder"] == [("U03TOM", token)]
    assert all(channel not in (TOM.aad, AMY.aad, CHANNEL) for posted in sent.values() for channel, _ in posted)
    assert [shown_text(cards_of(s.activity)[0]) for s in connector.to(TOM.chat)] == ["teams reminder"]
    assert [shown_text(cards_of(s.activity)[0]) for s in connector.to(CHANNEL)] == ["the walk programme"]
    assert one(store, amys).status == "pending" and (AMY.aad, "teams-person") in waiting(store, teams)
    assert token not in done.stderr and SECRET not in done.stderr


def test_a_school_walkbot_has_no_installation_for_waits_and_its_slt_see_why(store, clock):
    demo = load_school(store, None)  # a Slack school, and this walkbot runs Teams only
    (notice_id,) = notices(store, demo, "U03TOM", "for Tom")
    (channel,) = notices(store, demo, "C0STAFF", "for the staff", kind=NoticeKind.WALK_ANNOUNCEMENT)
    transport = PerSchool(store.uow, slack=None, teams=None)
    report = Dispatcher(store, transport, FixedClock(TUESDAY_10)).deliver_due()
    assert sorted(n.id for n in report.waiting) == [notice_id, channel] and report.sent == []
    assert one(store, notice_id).last_error.startswith("Slack is not set up for this walkbot")
    walkbot = Walkbot(uow_factory=store.uow, clock=clock)
    shown = replies.overview_card(walkbot.run(c.ShowOverview(school_id=demo.id, actor="U01HEAD"), demo).result)
    (section,) = [s for s in shown.sections if s.title == "walkbot is not installed for the school yet:"]
    assert section.lines == ("  Tom Baker, the staff channel",)
    assert "install it in the school's Slack workspace" in section.notes[0]


def test_walkbot_dispatch_starts_with_teams_alone(store, store_url, connector):
    teams = load(store, TEAMS_SCHOOL)
    for_person(store, connector, teams, TOM)
    notices(store, teams, TOM.aad, "teams only")
    done = dispatch_once(store_url, TEAMS_APP_ID=APP_ID, TEAMS_APP_SECRET=SECRET, TEAMS_TENANT_ID=TENANT,
                         TEAMS_LOGIN_URL=f"{connector.url}/login")
    assert done.returncode == 0, done.stderr
    assert [shown_text(cards_of(s.activity)[0]) for s in connector.to(TOM.chat)] == ["teams only"]


def test_a_school_is_read_once_for_a_batch_of_its_notices_not_once_a_notice(store, clock):
    """Building a School from its stored school.yml is the costly part of finding a notice's way (milliseconds a
    hundred staff): one read serves the batch, and a load of school.yml is seen within SCHOOL_TTL."""
    demo = load_school(store, None)
    for person in ("U01HEAD", "U02DEPUTY", "U03TOM", "U04AMY", "U05SAM"):
        notices(store, demo, person, f"for {person}")
    reads = []
    event.listen(store.engine, "before_cursor_execute",
                 lambda conn, cursor, statement, *rest: reads.append(statement) if "FROM schools" in statement
                 else None)
    transport = PerSchool(store.uow, slack=None, teams=None)
    # One sender: several at once may each read it the first time (a few reads, not one a notice).
    Dispatcher(store, transport, FixedClock(TUESDAY_10), Settings(worker="test", senders=1)).deliver_due()
    # The stored school.yml is read and parsed once for all five; what else touches the table is the check, once a
    # transaction (the claim's, the transport's), that the school has not changed since (storage/repos/schools.py).
    full = [r for r in reads if "schools.config" in r]
    assert len(full) == 1 and len(reads) - len(full) <= 3, reads
