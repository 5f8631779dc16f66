"""school.yml loaded again with a holiday (or a closure day) over what is already booked, on SQLite and
PostgreSQL: the load finds each visit, feedback dialogue and learning walk ahead that the new calendar no longer
allows and tells the people in it what to do; nothing is cancelled, nothing stays agreed for a time that can't
be, and no reminder or "was it held?" goes for it. Loading the same file again tells nobody twice."""
from __future__ import annotations

import copy

import yaml
from notices_support import DEMO
from sqlalchemy import select

from bot.domain.model import VisitStatus
from bot.domain.school import parse_school_config
from handlers.cli import main
from handlers.wiring import save_school
from storage.tables import NoticeRow

PROPOSE = '/visit propose @tom {day} P3 30m kind formal focus "questioning" feedback "after school"'


def with_holidays(*holidays: str) -> dict:
    config = copy.deepcopy(DEMO)
    config["sessions"][0]["holidays"] += list(holidays)
    return config


def reload(chat, *holidays: str):
    return save_school(chat.store, parse_school_config(with_holidays(*holidays)), chat.clock)


def pending(chat, visit_id: int | None = None) -> list[tuple[str, str]]:
    with chat.store.engine.connect() as conn:
        rows = conn.execute(select(NoticeRow.kind, NoticeRow.recipient).where(
            NoticeRow.status == "pending", *([NoticeRow.visit_id == visit_id] if visit_id else []))).all()
    return sorted(map(tuple, rows))


def visit(chat, visit_id: int = 1):
    with chat.store.uow() as uow:
        return uow.visits.get(chat.school.id, visit_id)


def agreed_visit(chat, day: str = "2027-02-04") -> None:
    chat.say("as @sam")
    assert chat.say(PROPOSE.format(day=day)).startswith("Proposed #")
    chat.say("as @tom")
    assert chat.say("/visit agree 1").startswith("Agreed")


def test_an_agreed_visit_on_a_new_holiday_is_told_needs_a_new_time_and_is_chased_no_more(chat):
    agreed_visit(chat)
    planned = {kind for kind, _ in pending(chat, 1)}
    assert {"reminder", "reminder.teacher", "nudge.held"} <= planned  # what would have gone for Thursday

    loaded = reload(chat, "2027-02-04/2027-02-05")  # a closure: Thursday and Friday
    assert (loaded.visits, loaded.dialogues, loaded.walks) == (1, 0, 0)
    assert visit(chat).status is VisitStatus.PROPOSED  # not cancelled, no longer agreed for a day that can't be
    assert pending(chat, 1) == [("calendar.changed", "U03TOM"), ("calendar.changed", "U05SAM")]

    chat.say("as @tom")
    refused = chat.say("/visit agree 1")  # the console sends what is due after each command: the news, too
    assert "doesn't allow that:\n• Thu 4 Feb 2027 is a school holiday" in refused  # nothing agreed on the holiday

    told = refused + chat.say("advance to 2027-02-12T16:00")
    assert told.count("The school calendar has changed: Thu 4 Feb 2027 is a school holiday.") == 2
    assert "formal visit #1 to Tom Baker's class (Thu 4 Feb 2027 at 11:10 for 30 minutes) can't take place" in told
    assert "It is no longer agreed for then, and nothing was cancelled: choose a new time together with " \
           "/visit move 1 DATE TIME (it is then agreed again). The nearest times the agreement allows: " in told
    assert "Reminder" not in told and "was due to end" not in told and "No feedback dialogue" not in told

    chat.say("as @sam")
    assert chat.say("/visit move 1 2027-03-02 P3").startswith("Visit #1 is now proposed for Tue 2 Mar 2027 at 11:10")

    again = reload(chat, "2027-02-04/2027-02-05")  # the same file, loaded again: nobody is told twice
    assert (again.visits, again.dialogues, again.walks) == (0, 0, 0)
    assert "calendar.changed" not in {kind for kind, _ in pending(chat)}


def test_proposed_and_suggested_times_on_a_new_holiday_are_told_and_their_answers_not_chased(chat):
    chat.say("as @sam")
    chat.say(PROPOSE.format(day="2027-02-04"))  # #1: proposed, Tom not answered yet
    chat.say(PROPOSE.format(day="2027-02-08"))
    chat.say("as @tom")
    assert chat.say("/visit suggest 2 2027-02-05 P3").startswith("You suggested")  # #2: a time suggested
    assert "nudge" in {kind for kind, _ in pending(chat)}
    loaded = reload(chat, "2027-02-04/2027-02-05")
    assert loaded.visits == 2
    assert [visit(chat, n).status for n in (1, 2)] == [VisitStatus.PROPOSED, VisitStatus.COUNTERED]
    assert {kind for kind, _ in pending(chat)} == {"calendar.changed"}  # no proposal, no nudge to answer
    told = chat.say("advance to 2027-02-09T16:00")
    assert "(Fri 5 Feb 2027 at 11:10 for 30 minutes) can't take place then. Nothing was cancelled" in told  # Tom's


def test_a_feedback_dialogue_on_a_new_holiday_is_to_be_arranged_again(chat):
    agreed_visit(chat)
    chat.say("advance to 2027-02-04T12:15")
    chat.say("/visit held 1")
    assert chat.say("/visit dialogue 1 2027-02-08 14:00").startswith("Feedback dialogue")
    loaded = reload(chat, "2027-02-08/2027-02-08")
    assert (loaded.visits, loaded.dialogues) == (0, 1)
    assert visit(chat).dialogue_at is None and visit(chat).status is VisitStatus.HELD
    told = chat.say("advance to 2027-02-10T16:00")
    assert "the feedback dialogue for visit #1, arranged for Mon 8 Feb 2027 at 14:00, can't take place" in told
    assert "/visit dialogue 1 DATE TIME" in told and "Today: the feedback dialogue" not in told
    assert "still needs its feedback dialogue" in told  # chased as any dialogue not yet arranged


def test_a_learning_walk_on_a_new_holiday_is_slt_s_to_call_off_and_nobody_is_reminded(chat):
    said = chat.say('/walk plan 2027-02-10 09:00-10:00 focus "feedback in books" '
                    'purpose "share marking practice" walkers @rachel @daniela rooms @tom')
    assert said.startswith("Planned"), said
    loaded = reload(chat, "2027-02-10/2027-02-10")
    assert (loaded.visits, loaded.walks) == (0, 1)
    assert {kind for kind, _ in pending(chat)} == {"calendar.changed"}
    assert {who for _, who in pending(chat)} == {"U01HEAD", "U02DEPUTY", "U03TOM"}
    told = chat.say("advance to 2027-02-11T16:00")
    assert "learning walk #1 (Wed 10 Feb 09:00–10:00) can't take place then" in told
    assert '/walk cancel 1 "the school calendar changed"' in told and "Reminder" not in told


def test_walkbot_load_says_how_many_were_affected_and_names_nobody(chat, store_url, tmp_path, capsys):
    agreed_visit(chat)  # by the system clock too, Thursday 4 February 2027 is ahead
    school_yml = tmp_path / "school.yml"
    school_yml.write_text(yaml.safe_dump(with_holidays("2027-02-04/2027-02-04")))
    assert main(["load", str(school_yml), "--db", store_url]) == 0
    out = capsys.readouterr().out
    assert "Loaded Durants Demo School" in out
    assert "no longer allows the time of 1 visit already booked: the people in them have been told" in out
    assert "Tom" not in out and "Sam" not in out
    assert main(["load", str(school_yml), "--db", store_url]) == 0
    assert "no longer allows" not in capsys.readouterr().out
