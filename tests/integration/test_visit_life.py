"""The visit life end to end through the one command router, as a person would type it.

The demo school follows durants-learning-walks; the clock starts Monday 1 Feb 2027, 08:30.
"""
import re

import pytest


def visit_id(reply: str) -> int:
    return int(re.search(r"#(\d+)", reply).group(1))


def propose(chat, text="/visit propose @tom 2027-02-04 P3 30m kind formal focus \"questioning\" feedback \"after school\""):
    reply = chat.say(text)
    assert "Proposed" in reply, reply
    return visit_id(reply)


def test_propose_reaches_the_teacher_who_agrees_and_the_visitor_is_told(chat):
    chat.say("as @sam")
    reply = chat.say('/visit propose @tom 2027-02-04 P3 30m kind formal focus "questioning" feedback "after school"')
    assert reply.startswith("Proposed #1 formal visit to Tom Baker's class, Thu 4 Feb 2027 at 11:10 for 30 minutes")
    assert "→ Tom Baker: Sam Patel would like to visit" in reply  # the DM to the class teacher
    chat.say("as @tom")
    reply = chat.say("/visit agree 1")
    assert reply.startswith("Agreed: #1 formal visit")
    assert "→ Sam Patel: Tom Baker agreed" in reply
    assert "Coming up:" in chat.say("/visit list")
    chat.say("as @sam")
    assert "#1 formal visit to Tom Baker's class" in chat.say("/visit list")


def test_refusal_quotes_the_clause_and_offers_nearest_allowed_times(chat):
    chat.say("as @sam")
    reply = chat.say('/visit propose @tom tomorrow 10:00 30m kind formal focus "questioning" feedback "after school"')
    assert "The agreement doesn't allow that:" in reply
    assert "needs at least 2 school days' notice; this gives 1" in reply
    assert "agreed by Demo School Negotiating Committee on 2026-09-01" in reply  # the override is cited
    assert "Nearest times that would be allowed: Wed 3 Feb 2027 at " in reply
    assert "#" not in reply.split("allowed:")[0]  # nothing was created
    assert "no visits coming up" in chat.say("/visit list")


def test_every_broken_rule_is_listed_not_just_the_first(chat):
    chat.say("as @sam")
    reply = chat.say("/visit propose @tom tomorrow 10:00 90m kind formal with @amy @rachel")
    assert "notice" in reply and "at most 60 minutes" in reply and "At most 2 colleagues" in reply
    # §7 is a learning-walk clause: a formal visit's observers are held to its labelled local default (finding 9).
    assert '§9: "' in reply and '§7: "' not in reply and "§7 limits learning walks" in reply


def test_suggest_another_time_then_accept(chat):
    chat.say("as @sam")
    vid = propose(chat)
    chat.say("as @tom")
    reply = chat.say(f"/visit suggest {vid} 2027-02-05 P2")
    assert "You suggested Fri 5 Feb 2027 at 09:50" in reply
    assert "→ Sam Patel: Tom Baker suggests Fri 5 Feb 2027 at 09:50" in reply
    chat.say("as @sam")
    reply = chat.say(f"/visit accept {vid}")
    assert reply.startswith(f"Agreed: #{vid} formal visit to Tom Baker's class, Fri 5 Feb 2027 at 09:50")
    assert "→ Tom Baker: Sam Patel accepted the new time" in reply


def test_decline_with_reason_and_withdraw(chat):
    chat.say("as @sam")
    first, second = propose(chat), propose(chat, '/visit propose @tom 2027-02-05 P1 30m kind formal focus "x" feedback "after school"')
    chat.say("as @tom")
    reply = chat.say(f'/visit decline {first} "mock exams that week"')
    assert f"Declined visit #{first}" in reply and "“mock exams that week”" in reply
    assert "can't be agreed now" in chat.say(f"/visit agree {first}")
    chat.say("as @sam")
    assert f"Withdrew visit #{second}" in chat.say(f"/visit withdraw {second}")


def test_move_needs_fresh_agreement_and_cancel_tells_everyone(chat):
    chat.say("as @sam")
    vid = propose(chat)
    chat.say("as @tom")
    chat.say(f"/visit agree {vid}")
    chat.say("as @sam")
    reply = chat.say(f"/visit move {vid} 2027-02-05 P1")
    assert "is now proposed for Fri 5 Feb 2027 at 08:50" in reply
    assert "needs your agreement again" in reply
    chat.say("as @tom")
    chat.say(f"/visit agree {vid}")
    reply = chat.say(f'/visit cancel {vid} "fire drill"')
    assert f"Cancelled visit #{vid}" in reply and "→ Sam Patel: Tom Baker cancelled" in reply


def test_after_the_visit_dialogue_notes_and_a_record_both_sides_agree(chat):
    chat.say("as @sam")
    vid = propose(chat)
    chat.say("as @tom")
    chat.say(f"/visit agree {vid}")
    chat.say("advance to 2027-02-04T11:45")
    chat.say("as @sam")
    assert "marked as held" in chat.say(f"/visit held {vid}")
    assert "Feedback dialogue for visit" in chat.say(f"/visit dialogue {vid} 2027-02-05 14:00")
    assert "Notes saved" in chat.say(f'/visit notes {vid} "lots of wait time after questions"')
    assert "tick boxes and grades" in chat.say(f'/visit notes {vid} "Outstanding lesson"')
    assert "saved; the others have been asked" in chat.say(f'/visit record {vid} "We agreed to try hinge questions."')
    chat.say("as @tom")
    assert "agreed by everyone and kept" in chat.say(f"/visit record {vid} agree")
    shown = chat.say(f"/visit show {vid}")
    assert "lots of wait time" in shown and "Record of dialogue (agreed)" in shown


def test_notes_are_seen_only_by_the_teacher_and_visitors(chat):
    chat.say("as @sam")
    vid = propose(chat)
    chat.say("as @tom")
    chat.say(f"/visit agree {vid}")
    chat.say(f'/visit notes {vid} "room too warm"')
    chat.say("as @rachel")  # SLT see the visit, not the notes
    shown = chat.say(f"/visit show {vid}")
    assert f"Visit #{vid}" in shown and "room too warm" not in shown
    chat.say("as @amy")  # another teacher sees nothing at all
    assert f"There is no visit #{vid} that you can see" in chat.say(f"/visit show {vid}")


@pytest.mark.parametrize("who, command, refusal", [
    ("@amy", "/visit agree {vid}", "There is no visit #1 that you can see"),
    ("@sam", "/visit agree {vid}", "Only the class teacher can agree"),
    ("@sam", '/visit decline {vid} "no"', "Only the class teacher can decline"),
    ("@tom", "/visit withdraw {vid}", "Only a visitor can withdraw"),
    ("@tom", '/walk plan 2027-03-10 09:00-11:00 focus "books" purpose "share practice" walkers @sam', "Only SLT plan learning walks"),
    ("@tom", "/visit limits @amy", "SLT and line managers can see others'"),
    ("@sam", "/visit propose @tom 2027-02-04 P3 kind inspection", "Only SLT record inspection visits"),
])
def test_who_may_do_what(chat, who, command, refusal):
    chat.say("as @sam")
    vid = propose(chat)
    chat.say(f"as {who}")
    reply = chat.say(command.format(vid=vid))
    assert refusal in reply


def test_a_stranger_is_told_who_can_add_them(chat):
    reply = chat.bot.handle("/visit list", school_id=chat.school.id, actor="U99NOBODY").text
    assert "not on Durants Demo School's staff list" in reply and "Rachel Carli" in reply


def test_allowance_against_the_caps(chat):
    chat.say("as @sam")
    vid = propose(chat)
    chat.say("as @tom")
    assert "0 of 3 observations used this year · 0 of 180 minutes" in chat.say("/visit limits")
    chat.say(f"/visit agree {vid}")
    reply = chat.say("/visit limits")
    assert "Tom Baker, session 2026-27: 1 of 3 observations used this year · 30 of 180 minutes" in reply
    assert '§9: "' in reply
    chat.say("as @rachel")
    assert "1 of 3 observations" in chat.say("/visit limits @tom")


def test_the_fourth_observation_is_refused_with_the_cap_clause(chat):
    for day in ("2027-02-03", "2027-02-04", "2027-02-05"):
        chat.say("as @sam")
        vid = propose(chat, f'/visit propose @tom {day} P1 30m kind formal focus "questioning" feedback "after school"')
        chat.say("as @tom")
        assert "Agreed" in chat.say(f"/visit agree {vid}")
    chat.say("as @sam")
    reply = chat.say('/visit propose @tom 2027-02-08 P1 30m kind formal focus "questioning" feedback "after school"')
    assert "Tom Baker has already had 3 of 3 observations" in reply
    assert "overall maximum of three observations per year" in reply


def test_inspection_is_recorded_without_agreement_and_counts(chat):
    chat.say("as @rachel")
    reply = chat.say("/visit propose @tom 2027-02-09 P2 40m kind inspection")  # the demo's Ofsted inspection
    assert reply.startswith("Recorded #") and "without agreement" in reply
    reply = chat.say("/visit propose @tom tomorrow P2 40m kind inspection")
    assert "none covers Tue 2 Feb 2027" in reply and "Ofsted inspection, Tue 9 Feb to Wed 10 Feb 2027" in reply


def test_objecting_to_an_observer_stops_their_bookings_and_tells_the_line_manager(chat):
    chat.say("as @sam")
    vid = propose(chat)
    chat.say("as @tom")
    reply = chat.say(f'/visit object {vid} "we have history"')
    assert "you object to Sam Patel" in reply
    assert "→ Daniela Barzanti: Tom Baker objects to Sam Patel observing" in reply
    chat.say("as @sam")
    reply = chat.say('/visit propose @tom 2027-02-08 P1 30m kind formal focus "x" feedback "after school"')
    assert "has objected to Sam Patel observing" in reply


def test_a_concern_goes_to_the_line_manager_only(chat):
    chat.say("as @amy")
    reply = chat.say('/visit concern "too many drop-ins this half term"')
    assert "passed to Daniela Barzanti" in reply
    assert "→ Daniela Barzanti: Amy Chen has raised a concern" in reply


def test_walk_is_announced_to_all_staff_in_the_week_before(chat):
    chat.say("as @rachel")
    reply = chat.say('/walk plan 2027-03-10 09:00-11:00 focus "feedback in books" purpose "share practice" walkers @rachel @daniela rooms @tom @amy')
    assert reply.startswith("Planned Learning walk #1, Wed 10 Mar 2027 09:00–11:00")
    assert "The programme goes to all staff Mon 1 Mar 2027 at 08:50" in reply
    assert "room: #1 learning-walk visit to Tom Baker's class" in reply
    reply = chat.say("advance to 2027-03-01T09:00")
    assert "→ #staff channel (C0STAFF): Learning walk #1 on Wednesday 10 March from 09:00 to 11:00." in reply
    assert "stand to the side" in reply  # the agreement's conduct lines travel with it
    chat.say("as @rachel")
    assert "already has 1 learning walk" in chat.say('/walk plan 2027-03-17 09:00-11:00 focus "x" purpose "share practice" walkers @rachel')


def test_a_walk_too_late_to_announce_is_refused(chat):
    chat.say("as @rachel")
    reply = chat.say('/walk plan 2027-02-03 09:00-10:00 focus "books" purpose "share practice" walkers @rachel')
    assert "too late to give all staff the notice" in reply
    assert "week before" in reply


@pytest.mark.parametrize("text, says", [
    ("/visit propose tom tomorrow 10:00", "is not a person"),
    ("/visit propose @tom someday 10:00", "couldn't read 'someday' as a date"),
    ("/visit propose @tom 31 Feb 10:00", "doesn't exist"),
    ("/visit propose @tom 2027-02-04 25:00", "hours go from 0 to 23"),
    ("/visit propose @tom 2027-02-04 P9", "no period"),
    ("/visit propose @nobody 2027-02-04 P1", "can't find @nobody"),
    ('/visit propose @tom 2027-02-04 P1 focus "unclosed', "quotation mark is not closed"),
    ("/visit propose @tom 2027-02-04 P1 kind lecture", "'lecture' is not a kind of visit"),
    ("/visit agree twelve", "'twelve' is not a visit number"),
    ("/visit agree 999", "There is no visit #999"),
    ("/visit dance", "There is no command 'dance' after /visit"),
    ("/lunch", "walkbot knows /visit and /walk"),
])
def test_bad_input_gets_a_friendly_answer(chat, text, says):
    reply = chat.say(text)
    assert says in reply
    assert "Traceback" not in reply
def test_teacher_move_becomes_a_suggestion(chat):
    chat.say("as @sam")
    chat.say('/visit propose @tom 2027-02-04 P3 30m kind formal focus "q" feedback "f"')
    chat.say("as @tom")
    chat.say("/visit agree 1")
    reply = chat.say("/visit move 1 2027-02-05 P2")
    assert "You suggested Fri 5 Feb 2027 at 09:50" in reply, reply
    chat.say("as @sam")
    assert "Agreed" in chat.say("/visit accept 1")
