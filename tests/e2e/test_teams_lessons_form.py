"""Teams' propose dialog at a school with a timetable: it asks whether the visitor's own class is covered, and a time
the teacher teaches nothing is refused saying what they do teach. (Each answer is checked against Teams' card
limits by teams_support; a school without a timetable: tests/e2e/test_teams_answers.py.)"""
from __future__ import annotations

from teams_limits import shown_text
from teams_support import (  # noqa: F401 (fixtures)
    RACHEL,
    TOM,
    connector_fixture,
    teams_fixture,
)

from bot.usecases.imports import import_timetable

# Tom teaches 8B Maths on Thursdays, P3; nothing at P1.
TIMETABLE = f"staff_id,week,day,period,start,end,class,subject,room\n{TOM.aad},,Thu,P3,,,8B,Maths,S12\n"


def test_the_propose_dialog_asks_about_cover_and_books_only_a_lesson(teams):
    import_timetable("durants-teams", TIMETABLE, "timetable.csv", teams.store.uow())
    dialog = teams.fetch(RACHEL, {"action": "propose.open", "visit": None, "at": None}).dialog
    cover = next(i for i in dialog["body"] if i.get("id") == "cover")
    assert {choice["value"] for choice in cover["choices"]} == {"no", "yes"}

    values = {"teacher": TOM.aad, "date": "2027-02-04", "time": "08:50", "minutes": "30", "kind": "peer",
              "cover": "no"}
    again = teams.submit(RACHEL, dialog, inputs=values).dialog  # P1: Tom teaches nothing then
    said = shown_text(again)
    assert "free period" in said and "8B Maths, room S12, P3" in said
    done = teams.submit(RACHEL, again, inputs={**values, "time": "11:10"})
    assert "Proposed #1" in done.body["task"]["value"]
    assert [n.recipient for n in teams.notices("proposal")] == [TOM.aad]
