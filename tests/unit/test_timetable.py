"""The timetable as data: week A/B from school.yml's anchor, lessons by day and week, how a lesson is named, and
the lesson rules as pure functions."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from importlib import resources
from zoneinfo import ZoneInfo

import pytest
from school_yaml import parse, problems

from bot import rules
from bot.domain.model import Role, Staff, VisitKind
from bot.domain.timetable import Lesson, Timetable, week_of
from bot.rules.lesson import COVER_CLAUSES, LESSON_CLAUSES
from tests.unit.test_school_config import GOOD

LONDON = ZoneInfo("Europe/London")
WITH_WEEKS = GOOD + "timetable: {week_a_starts: 2026-08-31}\n"
LAST = len(GOOD.splitlines()) + 1  # the line the timetable is given on


def test_week_a_starts_is_read_from_school_yml():
    assert parse(WITH_WEEKS).school.week_a_starts == date(2026, 8, 31)
    assert parse(GOOD).school.week_a_starts is None  # a one-week timetable needs no anchor


@pytest.mark.parametrize("given, said", [
    ("{week_a_starts: 2026-09-02}", "timetable.week_a_starts, 2026-09-02, is a Wednesday: give the Monday of a "
                                    "week A, like 2026-08-31."),
    ("{week_a_starts: soon}", "timetable.week_a_starts: 'soon' is not a date"),
    ("{}", "timetable.week_a_starts is missing"),
    ("{week_a: 2026-08-31, week_a_starts: 2026-08-31}", "timetable has week_a, which walkbot does not know"),
    ("2026-08-31", "timetable must be a mapping"),
])
def test_a_wrong_timetable_section_is_told_at_its_line(given, said):
    assert f"line {LAST}: {said}" in problems(GOOD + f"timetable: {given}\n")


def test_weeks_alternate_from_the_anchor_every_calendar_week():
    anchor = date(2026, 8, 31)
    assert [week_of(anchor + timedelta(weeks=n), anchor) for n in range(4)] == ["A", "B", "A", "B"]
    assert week_of(date(2026, 9, 4), anchor) == "A"  # any day of the week is in its Monday's week
    assert week_of(date(2026, 8, 28), anchor) == "B"  # and before the anchor too
    assert week_of(date(2027, 2, 1), anchor) == "A" and week_of(date(2027, 2, 8), anchor) == "B"
    assert week_of(date(2027, 2, 1), None) is None


def test_lessons_meet_on_their_day_in_their_week():
    every = Lesson("U03TOM", 3, time(11, 10), time(12, 10), None, "P3", "8B", "Maths", "S12")
    week_a = Lesson("U03TOM", 3, time(8, 50), time(9, 50), "A", "P1", "10A", "Maths", "S12")
    week_b = Lesson("U03TOM", 3, time(9, 50), time(10, 50), "B", "P2", "9C", "Maths", "S12")
    timetable = Timetable((every, week_a, week_b), date(2026, 8, 31))
    assert timetable.on("U03TOM", date(2027, 2, 4)) == [week_a, every]  # Thursday, week A, in order
    assert timetable.on("U03TOM", date(2027, 2, 11)) == [week_b, every]  # Thursday, week B
    assert timetable.on("U03TOM", date(2027, 2, 3)) == []  # Wednesday
    assert timetable.on("U04AMY", date(2027, 2, 4)) == []
    start = datetime(2027, 2, 4, 11, 20, tzinfo=LONDON)
    assert timetable.holding("U03TOM", start, start.replace(minute=50)) == every
    assert timetable.holding("U03TOM", start, start.replace(hour=12, minute=30)) is None  # runs past its end
    assert timetable.overlapping("U03TOM", start, start.replace(hour=12, minute=30)) == [every]


def test_a_lesson_is_named_as_the_school_names_it():
    assert Lesson("U03TOM", 0, time(11, 10), time(12, 10), None, "P3", "8B", "Maths", "S12").label() \
        == "8B Maths, room S12, P3"
    assert Lesson("U03TOM", 0, time(11, 10), time(12, 0)).label() == "a lesson, 11:10–12:00"


def test_every_preset_cites_a_clause_quoted_word_for_word():
    """The lesson clause of each agreement, and 004 §7 on cover, are its own words (the bundled texts)."""
    def text(document: str) -> str:
        return " ".join(resources.files("bot.presets").joinpath(f"agreements/{document}").read_text(
            encoding="utf-8").split())

    for document, (_, quote) in {**LESSON_CLAUSES, **COVER_CLAUSES}.items():
        assert " ".join(quote.split()) in text(document), document
    assert set(COVER_CLAUSES) == {"004_a26e7e7449eb27fa.txt"}  # the one agreement that speaks of freeing a visitor


# --- the rules, pure -------------------------------------------------------------------------------------------------

def _person(chat_id: str, name: str) -> Staff:
    return Staff(None, 1, chat_id, name, frozenset({Role.TEACHER}))


TOM, AMY = _person("U03TOM", "Tom Baker"), _person("U04AMY", "Amy Chen")


def _facts(*lessons: Lesson, cover=()) -> rules.Facts:
    return rules.Facts(timetable=Timetable(lessons, date(2026, 8, 31), frozenset(cover)))


def _plan(at: datetime, minutes: int = 30) -> rules.VisitPlan:
    return rules.VisitPlan(TOM, (AMY,), VisitKind.PEER, at, minutes)


@pytest.fixture
def ctx(demo_config):
    return rules.Context(demo_config.school.calendar, demo_config.school.policy,
                         datetime(2027, 2, 1, 8, 30, tzinfo=LONDON))


def test_without_a_timetable_no_lesson_rule_applies(ctx):
    assert rules.lesson_violations(_plan(datetime(2027, 2, 4, 12, 30, tzinfo=LONDON)), rules.Facts(), ctx) == []


def test_a_free_period_is_refused_and_a_lesson_named(ctx):
    maths = Lesson("U03TOM", 3, time(8, 50), time(9, 50), "A", "P1", "10A", "Maths", "S12")
    free = rules.lesson_violations(_plan(datetime(2027, 2, 11, 8, 50, tzinfo=LONDON)), _facts(maths), ctx)
    assert [v.code for v in free] == ["lesson.free"]  # week B: 10A Maths meets in week A only
    assert "Tom Baker teaches no lesson at 08:50 on Thu 11 Feb (week B)" in free[0].message
    assert free[0].citation.param.clause == "§4" and not free[0].warning
    named = rules.lesson_violations(_plan(datetime(2027, 2, 4, 8, 50, tzinfo=LONDON)), _facts(maths), ctx)
    assert [(v.code, v.warning, v.message) for v in named] == [("lesson", True, "The lesson: 10A Maths, room S12, P1.")]


def test_a_visitor_teaching_then_needs_cover(ctx):
    maths = Lesson("U03TOM", 3, time(11, 10), time(12, 10), None, "P3", "8B", "Maths", "S12")
    english = Lesson("U04AMY", 3, time(11, 10), time(12, 10), None, "P3", "9E", "English", "E4")
    plan = _plan(datetime(2027, 2, 4, 11, 10, tzinfo=LONDON))
    refused = [v for v in rules.lesson_violations(plan, _facts(maths, english), ctx) if not v.warning]
    assert [v.code for v in refused] == ["lesson.visitor"]
    assert "Amy Chen is teaching 9E English, room E4, P3 then (week A)" in refused[0].message
    covered = rules.lesson_violations(plan, _facts(maths, english, cover={"U04AMY"}), ctx)
    assert all(v.warning for v in covered) and [v.code for v in covered] == ["lesson", "lesson.cover"]
    assert rules.covered_lessons(plan, _facts(maths, english, cover={"U04AMY"}).timetable, ctx) == [(AMY, english)]


# --- the propose form --------------------------------------------------------------------------------------------


def test_the_propose_form_offers_the_teachers_lessons_and_asks_about_cover(demo_config):
    from bot.chat import forms

    school = demo_config.school
    start = datetime(2027, 2, 4, 11, 10, tzinfo=LONDON)
    lesson = Lesson("U03TOM", 3, time(11, 10), time(12, 10), None, "P3", "8B", "Maths", "S12")
    form = forms.propose_form(school, [(start, lesson)])
    fields = {f.id: f for f in form.fields}
    assert fields["lesson"].options == (("2027-02-04T11:10", "Thu 4 Feb, 8B Maths, room S12, P3"),)
    assert fields["date"].optional and fields["time"].optional  # a lesson chosen is its date and time
    assert [v for v, _ in fields["cover"].options] == ["no", "yes"] and form.values({})["cover"] == "no"
    plain = forms.propose_form(school)
    assert [f.id for f in plain.fields] == ["teacher", "date", "time", "minutes", "kind", "focus", "feedback",
                                            "visitors", "pro_forma"]  # without a timetable, as before
    assert "cover" not in plain.values({})
    unknown_teacher = {f.id: f for f in forms.propose_form(school, ()).fields}
    assert "lesson" not in unknown_teacher and "cover" in unknown_teacher and not unknown_teacher["date"].optional
    cmd = forms.propose_command({"teacher": "U03TOM", "lesson": "2027-02-04T11:10", "cover": "yes"},
                                school_id=1, actor="U04AMY")
    assert (cmd.when.day, cmd.when.time, cmd.cover) == (date(2027, 2, 4), time(11, 10), True)
    with pytest.raises(forms.FieldError) as wrong:
        forms.propose_command({"teacher": "U03TOM", "lesson": "P3 on Thursday"}, school_id=1, actor="U04AMY")
    assert wrong.value.field == "lesson"
    with pytest.raises(forms.FieldError) as wrong:
        forms.propose_command({"teacher": "U03TOM", "date": "2027-02-04", "time": "11:10", "cover": "maybe"},
                              school_id=1, actor="U04AMY")
    assert wrong.value.field == "cover"
    assert not forms.propose_command({"teacher": "U03TOM", "date": "2027-02-04", "time": "11:10"},
                                     school_id=1, actor="U04AMY").cover


def test_cover_is_a_word_of_the_propose_and_move_commands(demo_config):
    from bot.chat.grammar import parse

    cal = demo_config.school.calendar
    said = parse("/visit propose @tom 2027-02-04 11:10 30m cover", school_id=1, actor="U04AMY", today=date(2027, 2, 1),
                 calendar=cal)
    assert said.cover and said.minutes == 30
    moved = parse("/visit move 3 2027-02-04 11:10 20m cover", school_id=1, actor="U04AMY", today=date(2027, 2, 1),
                  calendar=cal)
    assert moved.cover and moved.minutes == 20
    assert not parse("/visit move 3 2027-02-04 11:10 20m", school_id=1, actor="U04AMY", today=date(2027, 2, 1),
                     calendar=cal).cover
