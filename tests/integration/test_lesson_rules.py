"""Booking against the timetable, as people type it: a visit in the teacher's free period is refused with why; a
visitor who is teaching then is refused unless they say cover is arranged, and then SLT are told a cover request is
needed; the nearest allowed times are all real lessons; week A and week B are told apart. Without a timetable,
nothing of this applies.

The demo school, its week A starting Monday 31 Aug 2026: Mon 1 Feb 2027 is in week A, Mon 8 Feb in week B. The
clock starts Mon 1 Feb, 08:30; the school's agreement asks for two school days' notice.
"""
from __future__ import annotations

import re
from datetime import date, datetime

import pytest

from bot.usecases.imports import TIMETABLE_COLUMNS, import_timetable

LESSONS = [
    # Tom Baker: 8B Maths every Thursday P3; 10A Maths in week A only, Thursday P1; 9C in week B only, Thursday P2.
    ("U03TOM", "", "Thu", "P3", "8B", "Maths", "S12"),
    ("U03TOM", "A", "Thu", "P1", "10A", "Maths", "S12"),
    ("U03TOM", "B", "Thu", "P2", "9C", "Maths", "S12"),
    ("U03TOM", "", "Fri", "P5", "7D", "Maths", "S14"),
    # Amy Chen teaches Thursday P3 every week, so she cannot visit Tom then without cover.
    ("U04AMY", "", "Thu", "P3", "9E", "English", "E4"),
]


@pytest.fixture
def timetabled(chat, store):
    rows = "\n".join(f"{who},{week},{day},{period},,,{group},{subject},{room}"
                     for who, week, day, period, group, subject, room in LESSONS)
    import_timetable("demo", ",".join(TIMETABLE_COLUMNS) + "\n" + rows + "\n", "timetable.csv", store.uow())
    chat.say("as @amy")
    return chat


def nearest(reply: str) -> list[str]:
    return re.findall(r"(\w{3} \d+ \w{3} 2027 at \d\d:\d\d)", reply.split("Nearest times that would be allowed:")[1])


def test_a_visit_in_the_teachers_free_period_is_refused_with_why(timetabled):
    reply = timetabled.say("/visit propose @tom 2027-02-04 P4 30m")
    assert "The agreement doesn't allow that:" in reply
    assert ("Tom Baker teaches no lesson at 12:10 on Thu 4 Feb (week A): it is a free period on their timetable, "
            "and a visit is to a lesson. That day they teach 10A Maths, room S12, P1 08:50–09:50; 8B Maths, room S12, "
            "P3 11:10–12:10.") in reply
    assert ('Durants School Learning Walks policy (March 2021) §4: "Each classroom will be visited by identified '
            'members of staff who will spend approximately 15-20 minutes visiting lessons"') in reply
    assert "no visits coming up" in timetabled.say("/visit list")  # nothing was booked
    over = timetabled.say("/visit propose @tom 2027-02-05 14:30 60m")
    assert "14:30–15:30 is not within one of Tom Baker's lessons: 7D Maths, room S14, P5 runs 14:00–15:00" in over


def test_a_visit_to_a_lesson_names_it_to_the_visitor_and_the_teacher(timetabled):
    reply = timetabled.say("/visit propose @tom 2027-02-05 P5 30m")
    assert reply.startswith("Proposed #1 peer visit to Tom Baker's class, Fri 5 Feb 2027 at 14:00")
    assert "Note: The lesson: 7D Maths, room S14, P5." in reply
    assert "→ Tom Baker: Amy Chen would like to visit" in reply and "The lesson: 7D Maths, room S14, P5." in \
        reply.split("→ Tom Baker:")[1]


def test_a_visitor_teaching_then_is_refused_unless_cover_is_arranged(timetabled):
    refused = timetabled.say("/visit propose @tom 2027-02-04 P3 30m")
    assert ("Amy Chen is teaching 9E English, room E4, P3 then (week A). They can visit if cover for that class is "
            "arranged: SLT are then told a cover request is needed.") in refused
    assert "If it is, add cover to the command." in refused and refused.count("arranged") == 1  # said once
    proposed = timetabled.say("/visit propose @tom 2027-02-04 P3 30m cover")
    assert proposed.startswith("Proposed #1")
    assert ("Note: Amy Chen's own class then, 9E English, room E4, P3, is to be covered: SLT are told a cover request "
            "is needed when the visit is agreed.") in proposed
    assert "A cover request is needed" not in proposed  # not until the visit is agreed
    timetabled.say("as @tom")
    agreed = timetabled.say("/visit agree 1")
    assert agreed.startswith("Agreed: #1")
    for slt in ("Rachel Carli", "Daniela Barzanti"):  # every SLT member, and no one else
        told = agreed.split(f"→ {slt}: A cover request is needed")[1].split("→")[0]
        assert ("Amy Chen leaves their own class, 9E English, room E4, P3, for #1 peer visit to Tom Baker's class, "
                "Thu 4 Feb 2027 at 11:10 for 30 minutes, by Amy Chen. They said cover is arranged.") in told
        assert "Notice: the agreement asks for at least 2 school days' notice of a visit" in told
        assert "Cover: the agreement says nothing of it" in told
    assert agreed.count("A cover request is needed") == 2


def test_slt_are_told_the_cover_is_not_needed_when_a_covered_visit_is_cancelled_or_moved(timetabled):
    timetabled.say("/visit propose @tom 2027-02-04 P3 30m cover")
    timetabled.say("/visit propose @tom 2027-02-11 P3 30m cover")
    timetabled.say("as @tom")
    assert timetabled.say("/visit agree 1").startswith("Agreed: #1")
    assert timetabled.say("/visit agree 2").startswith("Agreed: #2")
    timetabled.say("as @amy")
    cancelled = timetabled.say('/visit cancel 1 "a parents\' meeting"')
    for slt in ("Rachel Carli", "Daniela Barzanti"):
        told = cancelled.split(f"→ {slt}: Cover no longer needed")[1].split("→")[0]
        assert ("Amy Chen no longer leaves their own class, 9E English, room E4, P3, for #1 peer visit to Tom "
                "Baker's class, Thu 4 Feb 2027 at 11:10 for 30 minutes, by Amy Chen: the visit was cancelled.") in told
    assert cancelled.count("Cover no longer needed") == 2
    moved = timetabled.say("/visit move 2 2027-02-12 P5")  # Amy is free then: no cover to arrange
    assert moved.count("Cover no longer needed") == 2 and "the visit was moved." in moved
    assert "A cover request is needed" not in moved
    uncovered = timetabled.say("/visit propose @tom 2027-02-05 P5 30m")
    timetabled.say("as @tom")
    timetabled.say(f"/visit agree {uncovered.split('#')[1].split()[0]}")
    timetabled.say("as @amy")
    assert "Cover no longer needed" not in timetabled.say("/visit cancel 3")  # no cover was arranged for it


def test_the_nearest_allowed_times_are_all_real_lessons_that_keep_every_rule(timetabled):
    offered = nearest(timetabled.say("/visit propose @tom 2027-02-04 P3 30m"))  # Amy teaches then
    assert len(offered) == 3
    # Tom's lessons at which Amy teaches nothing: (day, start, week or None for every week).
    lessons = {("Thu", "08:50", "A"), ("Thu", "09:50", "B"), ("Fri", "14:00", None)}
    for when in offered:
        moment = datetime.strptime(when, "%a %d %b %Y at %H:%M")
        week = "AB"[((moment.date() - date(2026, 8, 31)).days // 7) % 2]
        assert {(f"{moment:%a}", f"{moment:%H:%M}", w) for w in (week, None)} & lessons, when
        assert moment.date() >= date(2027, 2, 3), when  # two school days' notice
        booked = timetabled.say(f"/visit propose @tom {moment:%Y-%m-%d} {moment:%H:%M} 30m")
        assert booked.startswith("Proposed"), booked  # each is bookable as offered
        timetabled.say("/visit withdraw " + re.search(r"#(\d+)", booked).group(1))


def test_week_a_and_week_b_are_told_apart(timetabled):
    week_a = timetabled.say("/visit propose @tom 2027-02-04 P1 30m")  # 10A Maths meets in week A
    assert week_a.startswith("Proposed") and "The lesson: 10A Maths, room S12, P1." in week_a
    week_b = timetabled.say("/visit propose @tom 2027-02-11 P1 30m")
    assert "Tom Baker teaches no lesson at 08:50 on Thu 11 Feb (week B)" in week_b
    assert "That day they teach 9C Maths, room S12, P2 09:50–10:50" in week_b
    assert timetabled.say("/visit propose @tom 2027-02-11 P2 30m").startswith("Proposed")


def test_without_a_timetable_the_school_books_as_before(chat):
    chat.say("as @amy")
    assert chat.say("/visit propose @tom 2027-02-04 P4 30m").startswith("Proposed #1")  # no lesson rule at all


def test_a_move_says_cover_again_and_a_suggested_time_must_leave_the_visitor_free(timetabled):
    assert timetabled.say("/visit propose @tom 2027-02-05 P5 30m").startswith("Proposed #1")
    assert "Amy Chen is teaching 9E English" in timetabled.say("/visit move 1 2027-02-04 P3")
    moved = timetabled.say("/visit move 1 2027-02-04 P3 cover")
    assert "Visit #1 is now proposed for Thu 4 Feb 2027 at 11:10" in moved and "is to be covered" in moved
    timetabled.say("as @tom")
    refused = timetabled.say("/visit suggest 1 2027-02-11 P3")  # cover was said for the 4th, not the 11th
    assert "Amy Chen is teaching 9E English, room E4, P3 then (week B)" in refused
    assert "A cover request is needed" in timetabled.say("/visit agree 1")  # the 4th, as she said


def test_the_propose_form_is_offered_the_teachers_lessons_that_week(timetabled, store, clock):
    from bot.usecases import commands as c
    from bot.usecases.visits import week_lessons

    school_id = timetabled.school.id
    offered = week_lessons(c.ListLessons(school_id=school_id, actor="U04AMY", teacher="@tom"), store.uow(), clock)
    # The five school days from Wed 3 Feb (two school days' notice) to Tue 9 Feb: week A's Thursday, and Friday.
    assert [(f"{at:%a %-d %b %H:%M}", x.label()) for at, x in offered] == [
        ("Thu 4 Feb 08:50", "10A Maths, room S12, P1"), ("Thu 4 Feb 11:10", "8B Maths, room S12, P3"),
        ("Fri 5 Feb 14:00", "7D Maths, room S14, P5")]
    none = week_lessons(c.ListLessons(school_id=school_id, actor="U04AMY", teacher="@sam"), store.uow(), clock)
    assert none == ()  # Sam teaches nothing on this timetable
    assert week_lessons(c.ListLessons(school_id=school_id, actor="U04AMY"), store.uow(), clock) == ()


def test_without_a_timetable_the_form_is_told_so(chat, store, clock):
    from bot.usecases import commands as c
    from bot.usecases.visits import week_lessons

    asked = c.ListLessons(school_id=chat.school.id, actor="U04AMY", teacher="@tom")
    assert week_lessons(asked, store.uow(), clock) is None  # propose_form(school, None): the form as it always was


def test_a_walks_rooms_are_lessons_and_its_walkers_free(timetabled):
    timetabled.say("as @rachel")
    refused = timetabled.say('/walk plan 2027-02-11 11:10-11:50 focus "feedback in books" purpose "share marking" '
                             "walkers @rachel @amy rooms @tom @sam")
    assert "Amy Chen is teaching 9E English, room E4, P3 then (week B): choose walkers who are free then" in refused
    assert "Sam Patel teaches no lesson at 11:30 on Thu 11 Feb (week B)" in refused
    assert "add cover" not in refused  # a walk has no cover to say
    planned = timetabled.say('/walk plan 2027-02-11 11:10-11:30 focus "feedback in books" purpose "share marking" '
                             "walkers @rachel rooms @tom")
    assert "Planned Learning walk #1" in planned
