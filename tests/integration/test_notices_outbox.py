"""Every change writes the notices it implies, in its own transaction; the console shows them when they go.

Through the console (the `chat` fixture: the demo school, Mon 1 Feb 2027 08:30, as @rachel).
"""
from __future__ import annotations

import re

from icalendar import Calendar
from notices_support import at

PROPOSE = '/visit propose @tom 2027-02-04 P3 30m kind formal focus "questioning" feedback "after school"'


def pending(chat) -> set[tuple[str, str, str]]:
    """(kind, recipient, local due time) of every pending notice."""
    with chat.store.uow() as uow:
        found = uow.notices.listing(["pending"], limit=1000)
    return {(n.kind, n.recipient, f"{chat.school.calendar.local(n.due_at):%a %-d %b %H:%M}") for n in found}


def notices(chat, *statuses):
    with chat.store.uow() as uow:
        return uow.notices.listing(statuses or ["pending", "sent", "superseded", "failed", "expired"], limit=1000)


def visit_id(reply: str) -> int:
    return int(re.search(r"#(\d+)", reply).group(1))


def test_a_proposal_is_nudged_until_answered_and_an_agreement_plans_the_visit(chat):
    chat.say("as @sam")
    vid = visit_id(chat.say(PROPOSE))
    assert pending(chat) == {("nudge", "U03TOM", "Wed 3 Feb 07:50")}
    chat.say("as @tom")
    reply = chat.say(f"/visit agree {vid}")
    assert "→ Sam Patel: Tom Baker agreed: #1 formal visit" in reply
    assert "→ Tom Baker: Confirmed: #1 formal visit" in reply and reply.count("[calendar file walkbot-visit-1.ics]") == 2
    assert pending(chat) == {  # the nudge is gone; the visit's reminders and follow-up are planned
        ("reminder", "U05SAM", "Wed 3 Feb 07:50"), ("reminder.teacher", "U03TOM", "Wed 3 Feb 07:50"),
        ("reminder.soon", "U05SAM", "Thu 4 Feb 10:40"),
        ("nudge.held", "U05SAM", "Thu 4 Feb 11:40"), ("nudge.held", "U03TOM", "Thu 4 Feb 11:40"),
        ("escalation", "U01HEAD", "Fri 12 Feb 07:50"), ("escalation", "U02DEPUTY", "Fri 12 Feb 07:50"),
    }
    assert [n.kind for n in notices(chat, "superseded")] == ["nudge"]
    confirmation = next(n for n in notices(chat, "sent") if n.kind == "agreed" and n.recipient == "U05SAM")
    (event,) = Calendar.from_ical(confirmation.ics).walk("VEVENT")
    assert event.decoded("DTSTART") == at("2027-02-04", "11:10")


def test_a_refused_change_writes_nothing(chat):
    chat.say("as @sam")
    assert "The agreement doesn't allow that" in chat.say(PROPOSE.replace("2027-02-04", "tomorrow"))
    assert notices(chat) == []


def test_a_move_supersedes_the_old_plan_but_never_what_the_move_itself_writes(chat):
    chat.say("as @sam")
    vid = visit_id(chat.say(PROPOSE))
    chat.say("as @tom")
    chat.say(f"/visit agree {vid}")
    chat.clock.set(at("2027-02-01", "18:00"))  # after school: the move's message waits for the morning
    chat.say("as @sam")
    chat.say(f"/visit move {vid} 2027-02-05 P1")
    assert pending(chat) == {("proposal", "U03TOM", "Tue 2 Feb 07:50"), ("nudge", "U03TOM", "Thu 4 Feb 07:50")}
    superseded = {n.kind for n in notices(chat, "superseded")}
    assert {"reminder", "reminder.teacher", "reminder.soon", "nudge.held", "escalation"} <= superseded


def test_a_cancellation_tells_everyone_else_and_takes_it_out_of_their_calendars(chat):
    chat.say("as @sam")
    vid = visit_id(chat.say(PROPOSE))
    chat.say("as @tom")
    chat.say(f"/visit agree {vid}")
    reply = chat.say(f'/visit cancel {vid} "fire drill"')
    assert "→ Sam Patel: Tom Baker cancelled visit #1" in reply and "[calendar file walkbot-visit-1.ics]" in reply
    assert pending(chat) == set()
    told = next(n for n in notices(chat, "sent") if n.kind == "cancelled")
    assert str(Calendar.from_ical(told.ics)["METHOD"]) == "CANCEL"


def test_a_change_at_night_is_told_the_next_school_morning(chat):
    chat.clock.set(at("2027-02-01", "21:30"))
    chat.say("as @sam")
    reply = chat.say(PROPOSE)
    assert reply.startswith("Proposed #1") and "→" not in reply  # nobody is messaged at night
    shown = chat.say("advance to 2027-02-02T08:00")
    assert "[Tue 2 Feb 07:50] → Tom Baker: Sam Patel would like to visit: #1" in shown


def test_after_the_visit_the_dialogue_is_offered_times_and_chased_until_the_record_is_agreed(chat):
    chat.say("as @sam")
    vid = visit_id(chat.say(PROPOSE))
    chat.say("as @tom")
    chat.say(f"/visit agree {vid}")
    chat.say("advance to 2027-02-04T12:00")
    reply = chat.say(f"/visit held {vid}")
    assert "Please hold the feedback dialogue (about 60 minutes) within 5 school days" in reply
    assert "Times with no visit booked for any of you: Thu 4 Feb 12:10, Thu 4 Feb 14:00, Fri 5 Feb 08:50." in reply
    assert {k for k, _, _ in pending(chat)} == {"nudge.dialogue", "escalation"}
    chat.say(f"/visit dialogue {vid} 2027-02-05 14:00")
    assert {k for k, _, _ in pending(chat)} == {"reminder.dialogue", "nudge.dialogue"}  # no escalation now
    chat.say(f'/visit record {vid} "We agreed to try hinge questions."')
    assert {r for k, r, _ in pending(chat) if k == "nudge.dialogue"} == {"U05SAM"}  # only the one yet to agree
    chat.say("as @sam")
    chat.say(f"/visit record {vid} agree")
    assert {k for k, _, _ in pending(chat)} <= {"record.agreed"}


def test_a_missed_dialogue_window_is_escalated_to_slt(chat):
    chat.say("as @sam")
    vid = visit_id(chat.say(PROPOSE))
    chat.say("as @tom")
    chat.say(f"/visit agree {vid}")
    chat.say("advance to 2027-02-04T12:00")
    chat.say(f"/visit held {vid}")
    shown = chat.say("advance to 2027-02-12T09:00")
    assert "[Mon 8 Feb 07:50] → Tom Baker: Visit #1 still needs its feedback dialogue" in shown
    assert ("[Fri 12 Feb 07:50] → Daniela Barzanti: No feedback dialogue was arranged within 5 school days "
            "(by Thu 11 Feb) for #1 formal visit to Tom Baker's class") in shown


def test_advance_previews_in_order_with_the_time_each_notice_goes(chat):
    chat.say("as @sam")
    vid = visit_id(chat.say(PROPOSE))
    chat.say("as @tom")
    chat.say(f"/visit agree {vid}")
    shown = chat.say("advance to 2027-03-01T09:00")
    stamps = re.findall(r"^  \[(\w{3} \d+ \w{3} \d\d:\d\d)\]", shown, re.M)
    moments = [at("2027-" + {"Feb": "02", "Mar": "03"}[s.split()[2]] + f"-{int(s.split()[1]):02d}", s.split()[3])
               for s in stamps]
    assert moments == sorted(moments) and len(moments) > 8
    assert all(m.weekday() < 5 and not at("2027-02-15", "00:00") <= m < at("2027-02-20", "00:00") for m in moments)


def test_a_walk_is_announced_on_time_its_walkers_reminded_and_a_cancellation_supersedes_it(chat):
    reply = chat.say('/walk plan 2027-02-24 13:10-13:50 focus "feedback in books" purpose "share practice" walkers @rachel @daniela rooms @tom @amy')
    assert "Planned Learning walk #1" in reply
    plan = pending(chat)
    # The week before the walk week is half term: the programme goes on its last school day before it.
    assert ("walk.announcement", "C0STAFF", "Fri 12 Feb 08:50") in plan
    assert ("nudge", "U03TOM", "Wed 3 Feb 07:50") in plan and ("nudge", "U04AMY", "Wed 3 Feb 07:50") in plan
    chat.say("as @tom")
    chat.say("/visit agree 1")
    plan = pending(chat)
    assert ("reminder", "U01HEAD", "Tue 23 Feb 07:50") in plan and ("reminder.soon", "U02DEPUTY", "Wed 24 Feb 12:40") in plan
    assert ("reminder.teacher", "U03TOM", "Tue 23 Feb 07:50") in plan
    walk_reminder = next(n for n in notices(chat, "pending") if n.kind == "reminder" and n.walk_id == 1)
    assert "Rooms agreed: Tom Baker 13:10" in walk_reminder.text and "Not agreed (do not visit): Amy Chen" in walk_reminder.text
    chat.say("as @rachel")
    reply = chat.say('/walk cancel 1 "staff illness"')
    assert "→ Tom Baker: Learning walk #1 is cancelled" in reply and "[calendar file walkbot-visit-1.ics]" in reply
    assert pending(chat) == set()  # not announced yet, so no cancellation to the channel either


def test_a_walk_programme_that_could_not_go_out_in_time_is_refused_at_planning(chat):
    plan = '/walk plan 2027-02-10 13:10-13:50 focus "feedback in books" purpose "share practice" walkers @rachel @daniela'
    chat.clock.set(at("2027-02-05", "15:25"))  # Friday of the week before the walk week, after school
    assert "It is too late to give all staff the notice the agreement requires" in chat.say(plan)
    chat.clock.set(at("2027-02-05", "15:10"))
    reply = chat.say(plan)
    assert "The programme goes to all staff Fri 5 Feb 2027 at 15:10" in reply
    assert "→ #staff channel (C0STAFF): Learning walk #1 on Wednesday 10 February" in reply


def test_the_weekly_digest_tells_slt_what_needs_their_eye(chat):
    chat.say("as @sam")
    for day in ("2027-02-03", "2027-02-04"):
        vid = visit_id(chat.say(PROPOSE.replace("2027-02-04", day)))
        chat.say("as @tom")
        chat.say(f"/visit agree {vid}")
        chat.say("as @sam")
    waiting = visit_id(chat.say(PROPOSE.replace("@tom", "@amy").replace("2027-02-04", "2027-02-12")))
    chat.say("advance to 2027-02-04T12:00")
    chat.say("/visit held 1")
    shown = chat.say("advance to 2027-02-22T09:00")
    digest = shown[shown.index("[Mon 22 Feb 07:50] → Daniela Barzanti: Weekly digest"):].split("\n  [")[0]
    digest = digest.replace("\n      ", "\n")  # the console indents a notice's further lines under its arrow
    assert "Weekly digest for Durants Demo School, week of Mon 22 Feb 2027" in digest
    assert "Visits this week: none" in digest
    assert "Answers outstanding: none" in digest  # Amy's was for 12 Feb: past, no longer outstanding
    # Held, or never said to be held: either way no dialogue within the window.
    assert ("Dialogues overdue (2):\n  • #1 formal visit to Tom Baker's class, Wed 3 Feb 2027 at 11:10 for 30 minutes, "
            "by Sam Patel · focus: questioning — due by Wed 10 Feb; no dialogue arranged\n  • #2 ") in digest
    assert "Teachers near a cap (1):\n  • Tom Baker: 2 of 3 observations used this year" in digest
    assert "minutes" not in digest.split("near a cap")[1]  # 120 minutes left is not near
    assert "[Mon 8 Feb 07:50] → Rachel Carli: Weekly digest" in shown
    week_of_8_feb = shown[shown.index("[Mon 8 Feb 07:50] → Rachel Carli: Weekly digest"):].split("\n  [")[0]
    week_of_8_feb = week_of_8_feb.replace("\n      ", "\n")
    assert f"Answers outstanding (1):\n  • #{waiting} formal visit to Amy Chen's class" in week_of_8_feb
    assert "— waiting for Amy Chen" in week_of_8_feb
    assert "[Mon 15 Feb" not in shown  # half term: no digest


def test_marking_a_visit_held_keeps_the_dialogue_message_still_to_go(chat):
    chat.say("as @sam")
    vid = visit_id(chat.say(PROPOSE))
    chat.say("as @tom")
    chat.say(f"/visit agree {vid}")
    chat.say("advance to 2027-02-04T19:00")  # the evening: what is written now goes tomorrow morning
    assert "Feedback dialogue for visit #1" in chat.say(f"/visit dialogue {vid} 2027-02-05 12:00")
    assert ("dialogue.scheduled", "U05SAM", "Fri 5 Feb 07:50") in pending(chat)
    assert "marked as held" in chat.say(f"/visit held {vid}")
    assert ("dialogue.scheduled", "U05SAM", "Fri 5 Feb 07:50") in pending(chat)  # still on its way to Sam
    assert not [n for n in notices(chat, "superseded") if n.kind == "dialogue.scheduled"]
    # ...and nobody is asked to arrange a dialogue that is already arranged.
    assert not [n for n in notices(chat) if n.kind == "dialogue.prompt"]
