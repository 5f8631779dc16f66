"""Calendar events (bot.domain.ics): one event per visit, dialogue and walk, whose UID never changes and whose
SEQUENCE is the revision of what it shows; the file a notice carries is the very event a feed lists; and what
reaches a phone's calendar is what, when and who, never what people wrote."""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from bot.domain.ics import calendar, dialogue_event, ics_filename, visit_event, visit_ics, walk_event
from bot.domain.model import Note, Visit, VisitKind, VisitStatus, Walk
from bot.domain.school import parse_school_config
from handlers.wiring import read_school_file

LONDON = ZoneInfo("Europe/London")
NOW = datetime(2027, 2, 1, 8, 30, tzinfo=LONDON)
START = datetime(2027, 2, 9, 9, 0, tzinfo=LONDON)
NAMES = {"U03TOM": "Tom Baker", "U05SAM": "Sam Patel", "U04AMY": "Amy Chen"}
WRITTEN = ("questioning in pairs", "chat after school", "https://forms.example/x", "Pupils argued well",
           "we agreed seating", "mock exams")  # focus, feedback, pro forma, a note, the record, a reason


@pytest.fixture(scope="module")
def school():
    return parse_school_config(read_school_file(None)).school


def visit(**changes) -> Visit:
    focus, feedback, pro_forma, note, record, reason = WRITTEN
    return Visit(12, 1, "U03TOM", ("U05SAM", "U04AMY"), "U05SAM", VisitKind.FORMAL, START, 30,
                 status=VisitStatus.AGREED, focus=focus, feedback=feedback, pro_forma=pro_forma, record=record,
                 reason=reason, notes=(Note("U05SAM", note, NOW),), revision=3).but(**changes)


def only_event(text: str):
    (event,) = Calendar.from_ical(text).walk("VEVENT")
    return event


def test_a_visit_is_one_event_its_uid_fixed_its_sequence_its_revision(school):
    event = visit_event(school, visit(), NAMES, NOW)
    assert str(event["uid"]) == f"visit-12.{school.key}@walkbot"
    assert event["sequence"] == 3
    assert event.decoded("dtstart") == START and event.decoded("dtend") == START + timedelta(minutes=30)
    assert str(event["status"]) == "CONFIRMED" and str(event["transp"]) == "OPAQUE"
    assert str(event["summary"]) == "Formal visit to Tom Baker's class (walkbot #12)"
    assert str(event["description"]) == "Visitors: Sam Patel, Amy Chen\nIn walkbot: visit show 12"


def test_a_change_of_time_or_status_is_a_new_revision_and_nothing_else_is():
    agreed = visit()
    assert agreed.but(start=START + timedelta(days=1)).revision == 4
    assert agreed.but(minutes=20).revision == 4
    assert agreed.but(status=VisitStatus.CANCELLED).revision == 4
    assert agreed.but(dialogue_at=START + timedelta(days=1)).revision == 4
    assert agreed.but(focus="pupil talk", record="new words").revision == 3
    assert agreed.but(status=VisitStatus.AGREED).revision == 3  # the same status again changes nothing


@pytest.mark.parametrize("status, shown", [
    (VisitStatus.PROPOSED, "TENTATIVE"), (VisitStatus.COUNTERED, "TENTATIVE"), (VisitStatus.AGREED, "CONFIRMED"),
    (VisitStatus.HELD, "CONFIRMED"), (VisitStatus.CANCELLED, "CANCELLED"), (VisitStatus.DECLINED, "CANCELLED"),
    (VisitStatus.WITHDRAWN, "CANCELLED"),
])
def test_each_status_as_a_calendar_shows_it(school, status, shown):
    event = visit_event(school, visit(status=status), NAMES, NOW)
    assert str(event["status"]) == shown
    assert str(event["transp"]) == ("TRANSPARENT" if shown == "CANCELLED" else "OPAQUE")  # a call-off frees the time


def test_a_notices_file_is_the_feeds_event(school):
    agreed = visit()
    feed = only_event(calendar([visit_event(school, agreed, NAMES, NOW)], name="walkbot"))
    sent = Calendar.from_ical(visit_ics(school, agreed, NAMES, NOW))
    assert str(sent["method"]) == "PUBLISH"
    assert only_event(sent.to_ical().decode()).to_ical() == feed.to_ical()
    assert ics_filename(12) == "walkbot-visit-12.ics"


def test_a_cancellation_file_written_before_the_visit_is_stored_carries_the_revision_it_will_have(school):
    """A walk's rooms are told of their call-off with the visit as it was: the file is the cancelled event."""
    agreed = visit()
    stored = agreed.but(status=VisitStatus.CANCELLED)
    for told in (agreed, stored):
        sent = Calendar.from_ical(visit_ics(school, told, NAMES, NOW, cancelled=True))
        assert str(sent["method"]) == "CANCEL"
        assert only_event(sent.to_ical().decode()).to_ical() == visit_event(school, stored, NAMES, NOW).to_ical()


def test_what_people_wrote_never_reaches_a_calendar(school):
    held = visit(status=VisitStatus.HELD, dialogue_at=START + timedelta(days=1))
    walk = Walk(3, 1, "U01HEAD", START.date(), START, START + timedelta(hours=1), "feedback in books",
                ("U05SAM", "U04AMY"), purpose="share marking practice", feedback="at the staff meeting")
    text = calendar([visit_event(school, held, NAMES, NOW), dialogue_event(school, held, NAMES, NOW),
                     walk_event(school, walk, NAMES, NOW)], name="walkbot")
    for written in (*WRITTEN, walk.focus, walk.purpose, walk.feedback):
        assert written not in text
    assert len(Calendar.from_ical(text).walk("VEVENT")) == 3


def test_a_feedback_dialogue_is_an_event_of_its_own_once_arranged(school):
    assert dialogue_event(school, visit(status=VisitStatus.HELD), NAMES, NOW) is None
    at = START + timedelta(days=1)
    event = dialogue_event(school, visit(status=VisitStatus.HELD, dialogue_at=at), NAMES, NOW)
    assert str(event["uid"]) == f"dialogue-12.{school.key}@walkbot"
    assert event["sequence"] == 4  # arranging it was a change of the visit's timing
    assert event.decoded("dtstart") == at
    assert event.decoded("dtend") == at + timedelta(minutes=school.policy.dialogue_minutes)
    assert str(event["description"]).startswith("With: Tom Baker, Sam Patel, Amy Chen\n")


def test_a_walk_is_one_event_for_its_walkers_and_cancelled_when_called_off(school):
    walk = Walk(3, 1, "U01HEAD", START.date(), START, START + timedelta(hours=2), "feedback in books",
                ("U05SAM",), revision=2)
    event = walk_event(school, walk, NAMES, NOW)
    assert (str(event["uid"]), event["sequence"], str(event["status"])) == (f"walk-3.{school.key}@walkbot", 2,
                                                                           "CONFIRMED")
    assert str(event["summary"]) == "Learning walk (walkbot walk #3)"
    off = walk_event(school, Walk(**{**walk.__dict__, "cancelled": True, "revision": 3}), NAMES, NOW)
    assert (str(off["uid"]), off["sequence"], str(off["status"])) == (str(event["uid"]), 3, "CANCELLED")


def test_a_feed_is_named_and_asks_to_be_looked_at_again_hourly(school):
    feed = Calendar.from_ical(calendar([], name="walkbot: Durants Demo School"))
    assert str(feed["x-wr-calname"]) == "walkbot: Durants Demo School"
    assert feed.decoded("refresh-interval") == timedelta(hours=1)
    assert "method" not in feed  # a subscription, not a message asking anything
