"""Notices through Microsoft Teams (handlers/teams/transport.py): the dispatcher sends each one proactively
through the connector stand-in over loopback, by the conversation references walkbot stored: a person's
personal chat, the staff channel through its team's reference. Teams' limits answer 429 and nobody sleeps;
a conversation walkbot was removed from fails the notice and forgets the reference; someone walkbot is not
installed for yet waits, and SLT's overview names them; a calendar file is a signed link the endpoint serves."""
from __future__ import annotations

import logging
import time
from datetime import timedelta
from urllib.parse import urlparse

import pytest
from dispatch_support import CHANNEL, TEAM, TEAMS_SCHOOL, for_person, installed, notices, one
from notices_support import TUESDAY_10, statuses
from teams_limits import cards_of, shown_text
from teams_support import (
    AMY,
    APP_ID,
    BOT,
    RACHEL,
    SECRET,
    TENANT,
    TOM,
    connector_fixture,  # noqa: F401 (a fixture)
    load,
    tenant,
)

from bot.chat import replies
from bot.chat.router import Walkbot
from bot.domain.clock import FixedClock, ShiftedClock
from bot.domain.model import NoticeKind
from bot.notices.delivery import LONGEST_PAUSE, Settings
from bot.usecases import commands as c
from handlers.dispatcher import Dispatcher
from handlers.scheduler import dispatch_beside_teams
from handlers.teams.auth import ClientCredentialsToken
from handlers.teams.calendar import LIFETIME, CalendarLinks, serve_files
from handlers.teams.transport import DEFAULT_RETRY_AFTER, TeamsTransport, retry_after

ICS = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//walkbot//test//EN\r\nEND:VCALENDAR\r\n"


@pytest.fixture
def school(store):
    return load(store, TEAMS_SCHOOL)


def transport(store, connector, calendar: CalendarLinks | None = None) -> TeamsTransport:
    cloud = connector.cloud
    token = ClientCredentialsToken(client_id=APP_ID, client_secret=SECRET, login_endpoint=cloud.login_endpoint,
                                   default_tenant=TENANT)
    return TeamsTransport(store.uow, token, cloud, calendar=calendar)


@pytest.fixture
def teams(store, connector):
    sending = transport(store, connector)
    yield sending
    sending.close()


def dispatcher(store, teams, clock) -> Dispatcher:
    return Dispatcher(store, teams, clock, Settings(worker="teams-test", senders=4))


def said(sent) -> str:
    return shown_text(cards_of(sent.activity)[0])


def test_a_reminder_goes_proactively_to_the_person_s_stored_conversation(store, connector, school, teams):
    for_person(store, connector, school, TOM)
    (notice_id,) = notices(store, school, TOM.aad, "notice 0")
    report = dispatcher(store, teams, FixedClock(TUESDAY_10)).deliver_due()
    assert [n.id for n in report.sent] == [notice_id]
    (sent,) = connector.to(TOM.chat)
    assert said(sent) == "notice 0" and sent.activity["from"] == {"id": BOT}
    assert one(store, notice_id).message_id == sent.activity_id  # the connector's id for it, kept
    assert connector.token_requests and connector.unauthorised == 0  # with walkbot's own token


def test_the_walk_programme_is_posted_to_the_team_channel(store, connector, school, teams):
    installed(store, connector, school, TEAM, scope="team")  # walkbot added to the staff team
    (notice_id,) = notices(store, school, CHANNEL, "notice 0", kind=NoticeKind.WALK_ANNOUNCEMENT)
    assert len(dispatcher(store, teams, FixedClock(TUESDAY_10)).deliver_due().sent) == 1
    (sent,) = connector.to(CHANNEL)  # a new post in the channel, through the team's connector
    assert said(sent) == "notice 0" and one(store, notice_id).status == "sent"


def test_the_channel_waits_while_walkbot_is_not_in_the_staff_team(store, connector, school, teams):
    (notice_id,) = notices(store, school, CHANNEL, "notice 0", kind=NoticeKind.WALK_ANNOUNCEMENT)
    report = dispatcher(store, teams, FixedClock(TUESDAY_10)).deliver_due()
    assert [n.id for n in report.waiting] == [notice_id] and connector.sent == []
    assert one(store, notice_id).last_error == "walkbot is not in the school's staff team in Teams yet"


def test_a_burst_to_one_person_is_throttled_and_all_go_in_order_without_a_sender_sleeping(store, connector, school,
                                                                                          teams):
    for_person(store, connector, school, TOM)
    for_person(store, connector, school, AMY)
    toms = notices(store, school, TOM.aad, *(f"notice {n}" for n in range(16)))
    notices(store, school, AMY.aad, "notice 0", "notice 1", "notice 2")
    running = dispatcher(store, teams, ShiftedClock(TUESDAY_10))  # real time: the stand-in's limits are
    slowest, deadline = 0.0, time.monotonic() + 60
    while statuses(store)["pending"] and time.monotonic() < deadline:
        started = time.monotonic()
        running.deliver_due()
        slowest = max(slowest, time.monotonic() - started)
        time.sleep(0.2)
    assert statuses(store)["pending"] == 0
    assert connector.throttled  # Teams said 429 (7 a second, 8 in 2 s)...
    assert slowest < 1.0  # ...and no sender waited out a Retry-After (at least a second)
    assert [said(s) for s in connector.to(TOM.chat)] == [f"notice {n}" for n in range(16)]  # each once, in order
    assert [said(s) for s in connector.to(AMY.chat)] == ["notice 0", "notice 1", "notice 2"]
    assert all(one(store, n).attempts == 0 for n in toms)  # a 429 is no failed attempt


def test_an_unreachable_person_s_notice_waits_and_slt_s_overview_names_them(store, connector, school, teams, caplog):
    clock = FixedClock(TUESDAY_10)
    (waiting,) = notices(store, school, AMY.aad, "notice 0")
    (late,) = notices(store, school, AMY.aad, "of use for half an hour",
                      useful_until=TUESDAY_10 + timedelta(minutes=30))
    with caplog.at_level(logging.DEBUG):
        report = dispatcher(store, teams, clock).deliver_due()
    assert [n.id for n in report.waiting] == [waiting, late] and connector.sent == []  # both wait, neither skipped
    held = one(store, waiting)
    assert (held.status, held.attempts, held.last_error) == ("pending", 0,
                                                             "walkbot is not installed for them in Teams yet")
    assert "Amy Chen" not in caplog.text  # names go to SLT's card, never to a log

    walkbot = Walkbot(uow_factory=store.uow, clock=clock)

    def unreached(who) -> list[str]:
        """The overview's section of those walkbot cannot reach yet: its lines, then how to put it right."""
        shown = replies.overview_card(walkbot.run(c.ShowOverview(school_id=school.id, actor=who.aad), school).result)
        return [text for section in shown.sections if section.title == "Not reachable in Teams yet:"
                for text in (*section.lines, *section.notes)]

    names, fix = unreached(RACHEL)
    assert names.strip() == "Amy Chen" and "add walkbot to your Teams app setup policy" in fix
    assert unreached(TOM) == []  # SLT's to put right, not a teacher's

    clock.advance(timedelta(minutes=59))  # tried again hourly: not before
    assert dispatcher(store, teams, clock).deliver_due().claimed == 0
    clock.advance(timedelta(minutes=2))  # past the second one's use: expired, with why
    report = dispatcher(store, teams, clock).deliver_due()
    assert [n.id for n in report.waiting] == [waiting] and [n.id for n in report.expired] == [late]
    assert one(store, late).last_error.endswith("could not send it before then: walkbot is not installed for them "
                                                "in Teams yet")

    for_person(store, connector, school, AMY)  # installed for her by the setup policy
    assert unreached(RACHEL) == []  # her notices go at the next try
    clock.advance(timedelta(hours=1))
    assert [n.id for n in dispatcher(store, teams, clock).deliver_due().sent] == [waiting]
    assert [said(s) for s in connector.to(AMY.chat)] == ["notice 0"]


def test_a_conversation_walkbot_was_removed_from_fails_its_notice_and_is_forgotten(store, connector, school, teams):
    for_person(store, connector, school, TOM)
    connector.remove_bot(TOM.chat)  # uninstalled by Tom (or blocked): the connector answers 403
    (gone,) = notices(store, school, TOM.aad, "notice 0")
    report = dispatcher(store, teams, FixedClock(TUESDAY_10)).deliver_due()
    assert [n.id for n in report.failed] == [gone] and connector.sent == []
    assert one(store, gone).last_error == ("Teams will not deliver it: BotNotInConversationRoster (walkbot was "
                                           "removed from that conversation or blocked there)")
    with store.uow() as uow:
        assert uow.teams.personal(school.id, TOM.aad) is None  # the stale reference is forgotten...
    (later,) = notices(store, school, TOM.aad, "notice 1")
    report = dispatcher(store, teams, FixedClock(TUESDAY_10)).deliver_due()
    assert [n.id for n in report.waiting] == [later]  # ...so the next one waits


def test_a_calendar_file_is_a_signed_link_the_endpoint_serves(store, clock, connector):
    with tenant(store, clock, connector, config=TEAMS_SCHOOL) as running:
        serve_files(running.runtime)  # as walkbot teams serve does
        with store.uow() as uow:
            school = uow.schools.by_key("durants-teams")
        for_person(store, connector, school, TOM)
        base = f"http://127.0.0.1:{running.http.port}"
        links = CalendarLinks.for_bot(SECRET, base)
        sending = transport(store, connector, links)
        try:
            (notice_id,) = notices(store, school, TOM.aad, "agreed", kind=NoticeKind.CONFIRMED, ics=ICS)
            assert len(dispatcher(store, sending, FixedClock(TUESDAY_10)).deliver_due().sent) == 1
        finally:
            sending.close()
        (button,) = cards_of(connector.last(TOM.chat).activity)[0]["actions"]
        assert (button["type"], button["title"]) == ("Action.OpenUrl", "Add to calendar")
        url = urlparse(button["url"])
        assert f"{url.scheme}://{url.netloc}" == base
        got = running.http.get(url.path)
        assert got.status == 200 and got.body.decode() == ICS
        assert got.headers["Content-Type"] == "text/calendar; charset=utf-8"
        assert got.headers["Content-Disposition"].startswith("attachment; filename=")

        token = url.path.rsplit("/", 1)[1]
        number, expires, signature = token.removesuffix(".ics").split(".")
        forged = [f"{int(number) + 1}.{expires}.{signature}.ics",  # another notice's file
                  f"{number}.{int(expires) + LIFETIME}.{signature}.ics",  # kept longer
                  urlparse(CalendarLinks.for_bot("another-secret", base).link(notice_id)).path.rsplit("/", 1)[1],
                  urlparse(CalendarLinks.for_bot(SECRET, base, clock=lambda: time.time() - LIFETIME - 1)
                           .link(notice_id)).path.rsplit("/", 1)[1],  # expired
                  "../../etc/passwd", f"{notice_id}.ics"]
        for bad in forged:
            assert running.http.get(f"/calendar/{bad}").status == 404, bad
        assert running.http.post(url.path, "").status == 405


def test_walkbot_teams_serve_sends_due_notices_beside_the_app(store, clock, connector):
    with tenant(store, clock, connector, config=TEAMS_SCHOOL) as running:
        with store.uow() as uow:
            school = uow.schools.by_key("durants-teams")
        for_person(store, connector, school, TOM)
        notices(store, school, TOM.aad, "notice 0", "notice 1")
        stop = dispatch_beside_teams(running.runtime, clock=ShiftedClock(TUESDAY_10))
        try:
            deadline = time.monotonic() + 20  # (Rachel's weekly digest, written at start, waits: not installed for her)
            while len(connector.to(TOM.chat)) < 2 and time.monotonic() < deadline:
                time.sleep(0.05)
        finally:
            stop()
    assert [said(s) for s in connector.to(TOM.chat)] == ["notice 0", "notice 1"]


def test_installing_walkbot_for_someone_sends_what_waited_for_them_at_once(store, clock, connector):
    """Through the real endpoint: the install links Amy's chat, and her waiting notice is due again straight away,
    not at its next hourly try."""
    with tenant(store, clock, connector, config=TEAMS_SCHOOL) as teams_app:
        with store.uow() as uow:
            school = uow.schools.by_key(TEAMS_SCHOOL["school"]["key"])
        (waiting,) = notices(store, school, AMY.aad, "notice 0")
        sending = transport(store, connector)
        try:
            now = FixedClock(TUESDAY_10)
            assert [n.id for n in dispatcher(store, sending, now).deliver_due().waiting] == [waiting]
            teams_app.install(AMY)
            now.advance(timedelta(minutes=1))
            assert [n.id for n in dispatcher(store, sending, now).deliver_due().sent] == [waiting]
        finally:
            sending.close()
    assert "notice 0" in [said(s) for s in connector.to(AMY.chat)]


@pytest.mark.parametrize("header, seconds", [
    ("7", 7.0), (None, DEFAULT_RETRY_AFTER), ("Wed, 21 Oct 2026 07:28:00 GMT", DEFAULT_RETRY_AFTER),
    ("nan", DEFAULT_RETRY_AFTER), ("-3", 0.0), ("1e308", LONGEST_PAUSE),
])
def test_a_retry_after_from_the_connector_is_taken_within_reason(header, seconds):
    assert retry_after(header) == seconds  # a wrong one neither fails the send nor pauses the school for ever
