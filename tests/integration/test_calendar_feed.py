"""Each person's private calendar feed, fetched over HTTP from walkbot's real servers on 127.0.0.1 (the Teams
endpoint in this process; `walkbot serve` as IT runs it): it parses as iCalendar, follows a visit through its
move and its cancellation as one event (the same UID, a higher SEQUENCE, then STATUS:CANCELLED) which is also
the event its notices' files carry, and a wrong or replaced address gets the same 404 as any other, its token in
no log.
"""
from __future__ import annotations

import logging
import re
import subprocess
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar
from live import port_announced
from standin import SlackStandIn, fake_token
from teams_hostile import served

from bot.chat.router import Walkbot
from bot.domain.clock import FixedClock, SystemClock
from bot.domain.model import Visit, VisitKind, VisitStatus
from bot.usecases import calendar as feeds
from handlers.teams.calendar import serve_files
from handlers.wiring import load_school
from storage import Store, open_store

LONDON = ZoneInfo("Europe/London")
BUILT_AT = datetime(2027, 2, 1, 8, 30, tzinfo=LONDON)  # a Monday of the demo school's spring session
PUBLIC = "https://walkbot.school.example"
FEED = re.compile(re.escape(PUBLIC) + r"(/calendar/feed/([0-9a-f]{64})\.ics)")
PROPOSE = '/visit propose @tom 2027-02-09 P1 30m kind formal focus "questioning in pairs" feedback "after school"'
ROOT = Path(__file__).resolve().parents[2]


@dataclass
class School:
    store: Store
    bot: Walkbot
    clock: FixedClock
    id: int

    def say(self, actor: str, text: str) -> str:
        reply = self.bot.handle(text, school_id=self.id, actor=actor)
        assert reply.ok, (text, reply.text)
        return reply.text

    def feed_path(self, actor: str, command: str = "/visit calendar") -> str:
        return FEED.search(self.say(actor, command)).group(1)


@pytest.fixture
def school(store: Store) -> School:
    """The demo school, on SQLite and on PostgreSQL (conftest's store)."""
    clock = FixedClock(BUILT_AT)
    demo = load_school(store, None, clock)
    return School(store, Walkbot(uow_factory=store.uow, clock=clock, public_url=PUBLIC), clock, demo.id)


@pytest.fixture
def teams(school):
    """walkbot teams serve's endpoint, with its calendar pages, on a real port."""
    with served(school.store, school.clock, walkbot=school.bot) as tenant:
        serve_files(tenant.runtime)
        yield tenant.http


def events(text: str) -> dict[str, object]:
    return {str(event["uid"]): event for event in Calendar.from_ical(text).walk("VEVENT")}


def fetched(http, path: str):
    answer = http.get(path)
    assert answer.status == 200, answer
    assert answer.headers["content-type"] == "text/calendar; charset=utf-8"
    assert answer.headers["cache-control"] == "private, no-store"
    return events(answer.text)


def notice_files(school: School, visit_id: int) -> list[object]:
    with school.store.uow() as uow:
        sent = [n for n in uow.notices.listing(["pending"], limit=1000) if n.visit_id == visit_id and n.ics]
    return [next(iter(events(n.ics).values())) for n in sent]


def test_a_move_is_the_same_event_with_a_higher_sequence_and_a_cancel_cancels_it(school, teams, caplog):
    caplog.set_level(logging.DEBUG)
    tom, sam = school.feed_path("U03TOM"), school.feed_path("U05SAM")
    visit_id = int(re.search(r"#(\d+)", school.say("U05SAM", PROPOSE)).group(1))
    uid = f"visit-{visit_id}.demo@walkbot"

    asked = fetched(teams, tom)[uid]
    assert str(asked["status"]) == "TENTATIVE"  # asked, not yet agreed: the time held, not settled
    school.say("U03TOM", f"/visit agree {visit_id}")
    agreed = fetched(teams, tom)[uid]
    assert str(agreed["status"]) == "CONFIRMED" and agreed["sequence"] > asked["sequence"]
    assert agreed.decoded("dtstart") == datetime(2027, 2, 9, 8, 50, tzinfo=LONDON)  # P1 in the demo school
    assert fetched(teams, sam)[uid].to_ical() == agreed.to_ical()  # the teacher's and the visitor's alike
    # What each of them was sent to add to their calendar is the feed's event: the same UID and SEQUENCE.
    for sent in notice_files(school, visit_id):
        assert (str(sent["uid"]), sent["sequence"]) == (uid, agreed["sequence"])

    school.say("U05SAM", f"/visit move {visit_id} 2027-02-10 P3")
    school.say("U03TOM", f"/visit agree {visit_id}")
    moved = fetched(teams, tom)[uid]
    assert str(moved["status"]) == "CONFIRMED" and moved["sequence"] > agreed["sequence"]
    assert moved.decoded("dtstart").date() == datetime(2027, 2, 10).date()

    school.say("U03TOM", f'/visit cancel {visit_id} "fire drill"')
    for path in (tom, sam):
        cancelled = fetched(teams, path)[uid]
        assert str(cancelled["status"]) == "CANCELLED" and cancelled["sequence"] > moved["sequence"]
    (told,) = [f for f in notice_files(school, visit_id) if str(f["status"]) == "CANCELLED"]  # to Sam
    assert told.to_ical() == fetched(teams, sam)[uid].to_ical()
    for secret in ("questioning in pairs", "after school", "fire drill"):  # what people wrote stays in walkbot
        assert secret not in teams.get(tom).text
    for path in (tom, sam):
        assert path.split("/")[-1].removesuffix(".ics") not in caplog.text


def test_a_walk_is_its_walkers_event_and_its_rooms_their_teachers(school, teams):
    rachel, dan, tom = (school.feed_path(p) for p in ("U01HEAD", "U02DEPUTY", "U03TOM"))
    planned = school.say("U01HEAD", '/walk plan 2027-02-11 09:00-10:00 focus "feedback in books" purpose "share '
                                    'practice" walkers @rachel @daniela rooms @tom')
    walk_id = int(re.search(r"walk #(\d+)", planned).group(1))
    walk_uid = f"walk-{walk_id}.demo@walkbot"
    for walker in (rachel, dan):
        found = fetched(teams, walker)
        assert list(found) == [walk_uid]  # the walk, not each room of it again
    (room,) = fetched(teams, tom).values()
    assert str(room["uid"]).startswith("visit-") and "Tom Baker's class" in str(room["summary"])
    school.say("U01HEAD", f'/walk cancel {walk_id} "snow"')
    off = fetched(teams, rachel)[walk_uid]
    assert str(off["status"]) == "CANCELLED" and off["sequence"] == 1
    assert str(next(iter(fetched(teams, tom).values()))["status"]) == "CANCELLED"


def test_a_feedback_dialogue_joins_the_visit_in_the_feed(school, teams):
    sam = school.feed_path("U05SAM")
    visit_id = int(re.search(r"#(\d+)", school.say("U05SAM", PROPOSE)).group(1))
    school.say("U03TOM", f"/visit agree {visit_id}")
    school.clock.set(datetime(2027, 2, 9, 10, 0, tzinfo=LONDON))
    school.say("U03TOM", f"/visit held {visit_id}")
    school.say("U05SAM", f"/visit dialogue {visit_id} 2027-02-10 P5")
    dialogue = fetched(teams, sam)[f"dialogue-{visit_id}.demo@walkbot"]
    assert str(dialogue["status"]) == "CONFIRMED" and "Feedback dialogue" in str(dialogue["summary"])


def test_a_wrong_or_replaced_address_gets_the_same_404(school, teams):
    first = school.feed_path("U03TOM")
    again = school.say("U03TOM", "/visit calendar")
    assert FEED.search(again) is None and "can't show it again" in again  # only a hash of it is kept
    second = school.feed_path("U03TOM", "/visit calendar new")
    token = first.split("/")[-1].removesuffix(".ics")
    wrong = [first,  # replaced
             f"/calendar/feed/{token[:-1]}{'a' if token[-1] != 'a' else 'b'}.ics",  # one character off
             f"/calendar/feed/{token.upper()}.ics", f"/calendar/feed/{'0' * 64}.ics",  # never made
             "/calendar/feed/", f"/calendar/feed/{token}", "/calendar/feed/..ics", f"/calendar/feed/{token}.ics.ics",
             "/calendar/feed/%00.ics"]  # malformed
    answers = [teams.get(path) for path in wrong]
    assert {(a.status, a.body) for a in answers} == {(404, b"Not Found")}
    assert teams.get(second).status == 200
    assert teams.request("POST", second).status == 405


def test_someone_off_the_staff_list_has_no_feed(school, teams):
    path = school.feed_path("U04AMY")
    school.say("U01HEAD", "/visit staff remove @amy")
    assert teams.get(path).status == 404


def test_no_address_is_made_where_walkbot_is_not_told_its_public_url(school):
    bot = Walkbot(uow_factory=school.store.uow, clock=school.clock)
    reply = bot.handle("/visit calendar", school_id=school.id, actor="U03TOM")
    assert not reply.ok and "WALKBOT_PUBLIC_URL" in reply.text
    with school.store.uow() as uow:
        assert uow.feeds.of_person(school.id, "U03TOM") is None


def test_walkbot_serve_serves_feeds_and_it_rotate_replaces_one(tmp_path):
    """`walkbot serve` as IT runs it, and `walkbot calendar rotate`: a visit ahead in the feed; the rotated
    address 404, the new one works; no token in anything the process wrote."""
    url = f"sqlite:///{tmp_path / 'walkbot.db'}"
    store = open_store(url)
    demo = load_school(store, None)
    soon = SystemClock().now() + timedelta(days=7)  # the server's clock is the real one
    with store.uow() as uow:
        added = uow.visits.add(Visit(None, demo.id, "U03TOM", ("U05SAM",), "U05SAM", VisitKind.PEER, soon, 30,
                                     status=VisitStatus.AGREED))
        uow.commit()
    _, _, old, _ = feeds.rotate(store.uow(), SystemClock(), school_key="demo", person="U03TOM")
    store.close()
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "DATABASE_URL": url, "WALKBOT_PUBLIC_URL": PUBLIC}
    rotated = subprocess.run([sys.executable, "-m", "handlers.cli", "calendar", "rotate", "--school", "demo",
                              "--person", "@tom"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert rotated.returncode == 0, rotated.stderr
    assert "Their old address no longer works" in rotated.stdout
    new = FEED.search(rotated.stdout).group(2)
    with SlackStandIn() as slack:
        token = fake_token("xoxb", "9-9-feedtesttoken")
        server = subprocess.Popen([sys.executable, "-m", "handlers.cli", "serve", "--port", "0"], cwd=tmp_path,
                                  env={**env, "SLACK_BOT_TOKEN": token, "SLACK_SIGNING_SECRET": "s" * 32,
                                       "SLACK_API_URL": slack.url},
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            port = port_announced(server)
            base = f"http://127.0.0.1:{port}/calendar/feed/"
            with urllib.request.urlopen(f"{base}{new}.ics", timeout=10) as answer:
                assert answer.headers["content-type"] == "text/calendar; charset=utf-8"
                found = events(answer.read().decode())
            assert str(found[f"visit-{added.id}.demo@walkbot"]["status"]) == "CONFIRMED"
            for wrong in (old, "0" * 64):
                with pytest.raises(urllib.error.HTTPError) as refused:
                    urllib.request.urlopen(f"{base}{wrong}.ics", timeout=10)
                assert refused.value.code == 404
        finally:
            server.terminate()
            out, err = server.communicate(timeout=30)
    assert "GET /calendar/[redacted]" in out + err  # uvicorn's access log, the path masked
    assert old not in out + err and new not in out + err and "Traceback" not in err

