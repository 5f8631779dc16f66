"""Which notices a visit's state implies, and when (bot.notices.reminders, bot.domain.school_time, bot.domain.ics): pure, no database.

The demo school: Europe/London, school day 08:50–15:20, notices from 07:50 to 16:20, half term
15–19 Feb 2027. Visits below are by Sam Patel (U05SAM) to Tom Baker's class (U03TOM).
"""
from __future__ import annotations

from datetime import timedelta

import pytest
from icalendar import Calendar
from notices_support import at, demo_school

from bot.domain.ics import visit_ics
from bot.domain.model import Visit, VisitKind, VisitStatus, Walk
from bot.domain.school_time import next_sending_moment
from bot.notices import reminders
from bot.notices.outbox import PLANNED

SAM, TOM, RACHEL, DANIELA = "U05SAM", "U03TOM", "U01HEAD", "U02DEPUTY"
SCHOOL, STAFF = demo_school()


def visit(start="2027-02-04T11:10", status=VisitStatus.AGREED, **changes) -> Visit:
    return Visit(id=7, school_id=1, teacher=TOM, visitors=(SAM,), proposer=SAM, kind=changes.pop("kind", VisitKind.FORMAL),
                 start=at(*start.split("T")), minutes=30, status=status, focus="questioning", feedback="after school",
                 **changes)


def plan(v: Visit, now, school=SCHOOL) -> set[tuple[str, str, str]]:
    """(kind, recipient, local time) for each planned notice."""
    return {(n.kind, n.recipient, f"{school.calendar.local(n.due_at):%a %-d %b %H:%M}")
            for n in reminders.for_visit(school, v, STAFF, now)}


# --- school time -------------------------------------------------------------------------------------

@pytest.mark.parametrize("moment, expected", [
    (at("2027-02-02", "10:00"), at("2027-02-02", "10:00")),  # in school time: as it is
    (at("2027-02-02", "07:49"), at("2027-02-02", "07:50")),  # before the morning: the morning
    (at("2027-02-02", "16:19"), at("2027-02-02", "16:19")),  # an hour after school: still fine
    (at("2027-02-02", "16:20"), at("2027-02-03", "07:50")),  # evening: the next school morning
    (at("2027-02-05", "21:00"), at("2027-02-08", "07:50")),  # Friday night: Monday
    (at("2027-02-13", "12:00"), at("2027-02-22", "07:50")),  # Saturday before half term: after it
    (at("2027-02-17", "10:00"), at("2027-02-22", "07:50")),  # in the holiday
])
def test_notices_wait_for_the_next_school_morning(moment, expected):
    assert next_sending_moment(SCHOOL, moment) == expected


def test_the_margins_are_the_policy_s_and_a_school_can_narrow_them():
    narrow, _ = demo_school(notices_from_minutes_before_school_day=0, notices_until_minutes_after_school_day=0)
    assert next_sending_moment(narrow, at("2027-02-02", "08:00")) == at("2027-02-02", "08:50")
    assert next_sending_moment(narrow, at("2027-02-02", "15:30")) == at("2027-02-03", "08:50")


# --- before the visit ----------------------------------------------------------------------------------

def test_an_agreed_visit_plans_reminders_then_the_follow_up():
    assert plan(visit(), at("2027-02-01", "09:00")) == {
        ("reminder", SAM, "Wed 3 Feb 07:50"),  # the school day before, in the morning
        ("reminder.teacher", TOM, "Wed 3 Feb 07:50"),
        ("reminder.soon", SAM, "Thu 4 Feb 10:40"),  # 30 minutes before
        ("nudge.held", SAM, "Thu 4 Feb 11:40"), ("nudge.held", TOM, "Thu 4 Feb 11:40"),  # when it should be over
        # Dialogue within 5 school days (by Thu 11 Feb); if none is arranged, SLT hear the next morning.
        ("escalation", RACHEL, "Fri 12 Feb 07:50"), ("escalation", DANIELA, "Fri 12 Feb 07:50"),
    }


def test_the_observer_reminder_carries_focus_pro_forma_and_conduct():
    notices = reminders.for_visit(SCHOOL, visit(pro_forma="https://example.org/form"), STAFF, at("2027-02-01", "09:00"))
    text = next(n.text for n in notices if n.kind == "reminder")
    assert text.startswith("Reminder: you visit Tom Baker's class Thu 4 Feb 2027 at 11:10 for 30 minutes (formal visit #7).")
    assert "Focus: questioning" in text and "Feedback: after school" in text
    assert "Pro forma: https://example.org/form (share it with Tom Baker before the visit)" in text
    assert all(line in text for line in SCHOOL.policy.conduct)
    teacher = next(n.text for n in notices if n.kind == "reminder.teacher")
    assert "Sam Patel will visit your class" in teacher and "stand to the side" not in teacher
    assert all(n.useful_until == visit().start for n in notices if n.kind.startswith("reminder"))


def test_a_monday_visit_is_remembered_on_friday_and_after_half_term_before_it():
    assert ("reminder", SAM, "Fri 5 Feb 07:50") in plan(visit("2027-02-08T09:50"), at("2027-02-01", "09:00"))
    assert ("reminder", SAM, "Fri 12 Feb 07:50") in plan(visit("2027-02-22T09:50"), at("2027-02-01", "09:00"))


def test_reminders_already_due_when_agreed_are_left_out():
    # Agreed on Wednesday at 10:00 for Thursday: the confirmation has just gone; the 30-minute one remains.
    kinds = {k for k, _, _ in plan(visit(), at("2027-02-03", "10:00"))}
    assert "reminder" not in kinds and "reminder.teacher" not in kinds and "reminder.soon" in kinds


def test_a_school_can_switch_reminders_off():
    quiet, _ = demo_school(observer_reminder_school_days_before=0, observer_reminder_minutes_before=0,
                           teacher_reminder_school_days_before=0)
    assert not {k for k, _, _ in plan(visit(), at("2027-02-01", "09:00"), quiet)} & {"reminder", "reminder.soon",
                                                                                   "reminder.teacher"}


def test_an_unanswered_proposal_nudges_the_teacher_counted_from_when_it_reached_them():
    assert plan(visit("2027-02-10T09:50", VisitStatus.PROPOSED), at("2027-02-01", "09:00")) == {
        ("nudge", TOM, "Wed 3 Feb 07:50")}
    # Asked on Friday of half term's eve at 18:00: it reaches Tom on Mon 22 Feb, the nudge two school days on.
    assert plan(visit("2027-02-26T09:50", VisitStatus.PROPOSED), at("2027-02-12", "18:00")) == {
        ("nudge", TOM, "Wed 24 Feb 07:50")}
    # No nudge once the visit would have begun.
    assert plan(visit("2027-02-02T09:50", VisitStatus.PROPOSED), at("2027-02-01", "09:00")) == set()


def test_a_suggested_time_nudges_the_visitors_until_that_time():
    countered = visit("2027-02-10T09:50", VisitStatus.COUNTERED, suggested_start=at("2027-02-11", "11:10"))
    (notice,) = reminders.for_visit(SCHOOL, countered, STAFF, at("2027-02-01", "09:00"))
    assert (notice.kind, notice.recipient, notice.due_at) == ("nudge", SAM, at("2027-02-03", "07:50"))
    assert notice.useful_until == at("2027-02-11", "11:10")
    assert "/visit accept 7" in notice.text


# --- after the visit -----------------------------------------------------------------------------------

def test_held_without_a_dialogue_nudges_both_then_escalates_to_slt_not_involved():
    held = visit(status=VisitStatus.HELD)
    assert plan(held, at("2027-02-04", "12:00")) == {
        ("nudge.dialogue", TOM, "Mon 8 Feb 07:50"), ("nudge.dialogue", SAM, "Mon 8 Feb 07:50"),
        ("nudge.dialogue", TOM, "Wed 10 Feb 07:50"), ("nudge.dialogue", SAM, "Wed 10 Feb 07:50"),
        ("escalation", RACHEL, "Fri 12 Feb 07:50"), ("escalation", DANIELA, "Fri 12 Feb 07:50"),
    }
    escalation = next(n for n in reminders.for_visit(SCHOOL, held, STAFF, at("2027-02-04", "12:00"))
                      if n.kind == "escalation")
    assert "No feedback dialogue was arranged within 5 school days (by Thu 11 Feb)" in escalation.text
    assert "local default" in escalation.text  # the rule's source is quoted


def test_after_a_long_outage_only_the_latest_dialogue_nudge_is_of_use():
    nudges = [n for n in reminders.for_visit(SCHOOL, visit(status=VisitStatus.HELD), STAFF, at("2027-02-04", "12:00"))
              if n.kind == "nudge.dialogue" and n.recipient == TOM]
    # The last is of use until the escalation goes.
    assert [n.useful_until for n in nudges] == [nudges[1].due_at, at("2027-02-12", "07:50")]


def test_escalation_goes_to_slt_not_in_the_visit_else_to_the_teacher_s_line_manager():
    def escalated(v):
        return {r for k, r, _ in plan(v, at("2027-02-04", "12:00")) if k == "escalation"}

    held = visit(status=VisitStatus.HELD)
    assert escalated(held.but(visitors=(RACHEL,))) == {DANIELA}
    # Both SLT visited Priya: her line manager, Sam, hears instead.
    assert escalated(held.but(teacher="U06PRIYA", visitors=(RACHEL, DANIELA))) == {SAM}


def test_an_arranged_dialogue_is_remembered_and_then_the_record_is_chased():
    arranged = visit(status=VisitStatus.HELD, dialogue_at=at("2027-02-08", "14:00"))
    found = plan(arranged, at("2027-02-04", "12:00"))
    assert ("reminder.dialogue", TOM, "Mon 8 Feb 07:50") in found
    assert not [f for f in found if f[0] == "escalation"]
    chased = [SCHOOL.calendar.local(n.due_at) for n in reminders.for_visit(SCHOOL, arranged, STAFF, at("2027-02-04", "12:00"))
              if n.kind == "nudge.dialogue" and n.recipient == TOM]
    # Every two school days after the visit (Mon 8 is the dialogue's own day), up to ten school days.
    assert [f"{d:%a %-d %b}" for d in chased] == ["Wed 10 Feb", "Fri 12 Feb", "Tue 23 Feb", "Thu 25 Feb"]
    written = arranged.but(record="We agreed hinge questions.", record_agreed_by=frozenset({SAM}))
    assert {r for k, r, _ in plan(written, at("2027-02-09", "12:00")) if k == "nudge.dialogue"} == {TOM}
    agreed = written.but(record_agreed_by=frozenset({SAM, TOM}))
    assert plan(agreed, at("2027-02-09", "12:00")) == set()


@pytest.mark.parametrize("preset, followed_up", [("lnct-sharing-classroom-experience", False),
                                                 ("durants-learning-walks", True)])
def test_peer_visits_that_keep_only_the_date_have_no_dialogue_to_chase(preset, followed_up):
    school, _ = demo_school(preset)
    peer = visit(status=VisitStatus.HELD, kind=VisitKind.PEER)
    assert bool(reminders.for_visit(school, peer, STAFF, at("2027-02-04", "12:00"))) is followed_up


def test_walk_rooms_remind_the_teacher_only_and_the_walk_reminds_its_walkers():
    room = visit("2027-02-03T09:00", kind=VisitKind.LEARNING_WALK, walk_id=3).but(minutes=20, visitors=(RACHEL, DANIELA))
    assert plan(room, at("2027-02-01", "09:00")) == {("reminder.teacher", TOM, "Tue 2 Feb 07:50")}
    walk = Walk(3, 1, RACHEL, room.start.date(), room.start, room.start + timedelta(hours=1), "feedback in books",
                (RACHEL, DANIELA))
    waiting = room.but(id=8, teacher="U04AMY", status=VisitStatus.PROPOSED, start=room.start + timedelta(minutes=20))
    notices = reminders.for_walk(SCHOOL, walk, [room, waiting], STAFF, at("2027-02-01", "09:00"))
    assert {(n.kind, n.recipient, n.due_at) for n in notices} == {
        ("reminder", RACHEL, at("2027-02-02", "07:50")), ("reminder", DANIELA, at("2027-02-02", "07:50")),
        ("reminder.soon", RACHEL, at("2027-02-03", "08:30")), ("reminder.soon", DANIELA, at("2027-02-03", "08:30")),
        # as the walk ends, a room having been agreed: record the walk's findings (its own follow-up)
        ("reminder", RACHEL, at("2027-02-03", "10:00")), ("reminder", DANIELA, at("2027-02-03", "10:00"))}
    text = notices[0].text
    assert "Rooms agreed: Tom Baker 09:00" in text and "Not agreed (do not visit): Amy Chen" in text
    assert all(line in text for line in SCHOOL.policy.conduct)
    assert reminders.for_walk(SCHOOL, Walk(**{**walk.__dict__, "cancelled": True}), [room], STAFF,
                              at("2027-02-01", "09:00")) == []


@pytest.mark.parametrize("status", list(VisitStatus))
def test_every_planned_notice_is_of_a_kind_the_outbox_replaces(status):
    for now in (at("2027-02-01", "09:00"), at("2027-02-04", "12:00")):
        for v in (visit(status=status, suggested_start=at("2027-02-11", "11:10")),
                  visit(status=status, dialogue_at=at("2027-02-08", "14:00"))):
            for notice in reminders.for_visit(SCHOOL, v, STAFF, now):
                assert notice.kind in PLANNED
                assert notice.due_at >= now and next_sending_moment(SCHOOL, notice.due_at) == notice.due_at


# --- the calendar file -------------------------------------------------------------------------------

def test_the_calendar_file_is_rfc_5545_and_a_cancellation_replaces_the_same_event():
    names = {s.chat_id: s.name for s in STAFF}
    agreed = Calendar.from_ical(visit_ics(SCHOOL, visit(), names, at("2027-02-01", "09:00")))
    cancelled = Calendar.from_ical(visit_ics(SCHOOL, visit(), names, at("2027-02-02", "09:00"), cancelled=True))
    (event,), (gone,) = agreed.walk("VEVENT"), cancelled.walk("VEVENT")
    assert str(agreed["METHOD"]) == "PUBLISH" and str(cancelled["METHOD"]) == "CANCEL"
    assert event["UID"] == gone["UID"] == f"visit-7.{SCHOOL.key}@walkbot"
    assert event.decoded("DTSTART") == visit().start and event.decoded("DTEND") == visit().end
    assert str(event["STATUS"]) == "CONFIRMED" and str(gone["STATUS"]) == "CANCELLED"
    assert gone["SEQUENCE"] > event["SEQUENCE"]  # calendars take the later revision
    assert "Formal visit to Tom Baker's class (walkbot #7)" == str(event["SUMMARY"])
    assert "questioning" not in event.to_ical().decode()  # a phone shows it on the lock screen: no free text
