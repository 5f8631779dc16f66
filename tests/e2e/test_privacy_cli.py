"""Subject access and erasure from the command line, after a term scripted in chat on the demo school.

`walkbot export` gives a person everything walkbot holds about them and nothing the agreements keep from them about
others (a concern about them, an objection to them as observer); `walkbot sar` logs a request with its legal due date;
`walkbot erase` refuses while anything must be kept, then leaves every count true.
"""
from __future__ import annotations

import json
import re
import zipfile
from datetime import date
from importlib import resources

import pytest
from freezegun import freeze_time

from bot.domain.model import ObjectionStatus
from bot.usecases.privacy import sar_due
from handlers.cli import main

FORMAL = '/visit propose @tom {day} P3 30m kind formal focus "questioning" feedback "after school"'


def visit_id(reply: str) -> int:
    return int(re.search(r"#(\d+)", reply).group(1))


@pytest.fixture
def term(chat):
    """Sam visits Tom (held, notes, an agreed record); Tom visits Amy; Tom raises a concern and objects to Sam
    on a later visit; Amy raises a concern about Tom; Priya's concern names no one."""
    chat.say("as @sam")
    first = visit_id(chat.say(FORMAL.format(day="2027-02-04")))
    chat.say("as @tom")
    chat.say(f"/visit agree {first}")
    chat.say("advance to 2027-02-04T11:45")
    chat.say("as @sam")
    chat.say(f"/visit held {first}")
    chat.say(f"/visit dialogue {first} 2027-02-05 14:00")
    chat.say(f'/visit notes {first} "lots of wait time after questions"')
    chat.say(f'/visit record {first} "We agreed to try hinge questions."')
    chat.say("as @tom")
    assert "agreed by everyone" in chat.say(f"/visit record {first} agree")
    chat.say(f'/visit notes {first} "the hinge question worked in set 2"')
    as_visitor = visit_id(chat.say('/visit propose @amy 2027-02-11 P2 30m kind peer focus "pupil talk" '
                                   'feedback "a chat at break"'))
    chat.say("as @sam")
    second = visit_id(chat.say(FORMAL.format(day="2027-02-12")))
    chat.say("as @tom")
    assert "you object to Sam Patel" in chat.say(f'/visit object {second} "TOM-OBJECTION-REASON"')
    assert "passed to" in chat.say('/visit concern "TOM-OWN-CONCERN about drop-ins"')
    chat.say("as @amy")
    assert "passed to" in chat.say('/visit concern about @tom "AMY-CONCERN-ABOUT-TOM"')
    chat.say("as @priya")
    chat.say('/visit concern "PRIYA-CONCERN"')
    return {"first": first, "as_visitor": as_visitor, "second": second}


def export(store_url: str, tmp_path, person: str, capsys) -> tuple[dict, dict[str, str], str]:
    out = tmp_path / f"{person}.zip"
    assert main(["export", "--school", "demo", "--person", person, "--out", str(out), "--db", store_url]) == 0
    said = capsys.readouterr().out
    with zipfile.ZipFile(out) as z:
        files = {name: z.read(name).decode() for name in z.namelist()}
    return json.loads(files["person.json"]), files, said


def test_an_export_holds_everything_about_the_person_and_nothing_kept_from_them(term, store_url, tmp_path, capsys):
    data, files, said = export(store_url, tmp_path, "U03TOM", capsys)
    assert data["staff"][0]["name"] == "Tom Baker" and data["staff"][0]["department"] == "Maths"
    assert {(v["visit"], v["as"]) for v in data["visits"]} == {
        (term["first"], "teacher"), (term["as_visitor"], "visitor"), (term["second"], "teacher")}
    assert {n["text"] for n in data["notes"]} == {"lots of wait time after questions",
                                                   "the hinge question worked in set 2"}  # theirs, and the visitor's
    assert data["records"][0]["record"] == "We agreed to try hinge questions." and data["records"][0][
        "agreed by everyone"]
    assert [c["text"] for c in data["concerns"]] == ["TOM-OWN-CONCERN about drop-ins"]
    assert [o["reason"] for o in data["objections"]] == ["TOM-OBJECTION-REASON"]
    assert data["messages"] and all(m["text"] for m in data["messages"])
    assert any("Sam Patel would like to visit" in m["text"] for m in data["messages"])
    # Nothing the agreements keep from him: who raised a concern about him and what it says; others' concerns.
    everything = "\n".join(files.values())
    assert "AMY-CONCERN-ABOUT-TOM" not in everything and "PRIYA-CONCERN" not in everything
    assert "Withheld: 1 concern(s) about them" in said and "AMY" not in said
    # Every section is in a CSV too.
    assert "TOM-OBJECTION-REASON" in files["objections.csv"] and "hinge" in files["records.csv"]
    assert files["visits.csv"].count("\n") == 1 + 3


def test_the_observer_objected_to_learns_nothing_of_the_objection(term, store_url, tmp_path, capsys):
    data, files, said = export(store_url, tmp_path, "U05SAM", capsys)
    assert data["objections"] == [] and "TOM-OBJECTION-REASON" not in "\n".join(files.values())
    assert "1 objection(s) to them as an observer" in said
    assert "TOM-OWN-CONCERN" not in "\n".join(files.values())


def test_an_export_never_overwrites_and_an_unknown_person_is_told(term, store_url, tmp_path, capsys):
    out = tmp_path / "taken.zip"
    out.write_text("keep me")
    assert main(["export", "--school", "demo", "--person", "U03TOM", "--out", str(out), "--db", store_url]) == 2
    assert out.read_text() == "keep me" and "exists already" in capsys.readouterr().err
    assert main(["export", "--school", "demo", "--person", "U99NOBODY", "--out", str(tmp_path / "x.zip"),
                 "--db", store_url]) == 2
    assert "has nobody with the staff id 'U99NOBODY'" in capsys.readouterr().err
    assert not (tmp_path / "x.zip").exists()


@pytest.mark.parametrize("received, due", [
    (date(2027, 2, 3), date(2027, 3, 3)),  # the same date next month
    (date(2028, 1, 31), date(2028, 2, 29)),  # no 31 February: the month's last day (a Tuesday)
    (date(2027, 3, 6), date(2027, 4, 6)),  # a Tuesday
    (date(2027, 4, 3), date(2027, 5, 3)),  # Monday 3 May
    (date(2027, 1, 30), date(2027, 3, 1)),  # Sunday 28 February: the Monday after
])
def test_a_subject_access_request_is_due_one_calendar_month_on(received, due):
    assert sar_due(received) == due


def test_sar_log_list_and_done(chat, store_url, capsys):
    with freeze_time("2027-02-03 10:00:00"):
        assert main(["sar", "log", "--school", "demo", "--person", "@tom", "--db", store_url]) == 0
        said = capsys.readouterr().out
        assert "#1 from U03TOM" in said and "due by Wednesday 3 March 2027" in said
        assert main(["sar", "log", "--school", "demo", "--person", "U04AMY", "--received", "2099-01-01",
                     "--db", store_url]) == 2
        assert "is after today" in capsys.readouterr().err
        assert main(["sar", "list", "--db", store_url]) == 0
        assert re.search(r"#1\s+demo\s+U03TOM\s+received 2027-02-03\s+due 2027-03-03", capsys.readouterr().out)
    with freeze_time("2027-03-04 10:00:00"):
        assert main(["sar", "list", "--db", store_url]) == 0
        assert "OVERDUE since 2027-03-03" in capsys.readouterr().out
        assert main(["sar", "done", "--school", "demo", "1", "--db", store_url]) == 0
        assert main(["sar", "list", "--db", store_url]) == 0
        assert "No subject access request is waiting" in capsys.readouterr().out.splitlines()[-1]


def _epoch():
    from datetime import UTC, datetime
    return datetime(1970, 1, 1, tzinfo=UTC)


def test_erase_refuses_while_on_the_list_or_kept_then_leaves_counts_true(term, chat, store, store_url, capsys,
                                                                          tmp_path):
    assert main(["erase", "--school", "demo", "--person", "U03TOM", "--db", store_url]) == 2
    assert "still on Durants Demo School's staff list" in capsys.readouterr().err
    left = tmp_path / "school.yml"
    demo = resources.files("bot").joinpath("demo/school.yml").read_text(encoding="utf-8")
    left.write_text("\n".join(line for line in demo.splitlines() if "U03TOM, handle: tom" not in line))
    assert main(["load", str(left), "--db", store_url]) == 0
    capsys.readouterr()
    with freeze_time("2027-03-01 10:00:00"):
        assert main(["erase", "--school", "demo", "--person", "U03TOM", "--db", store_url]) == 2
        refused = capsys.readouterr().err
        assert "Tom Baker's records must still be kept" in refused and "record(s) of dialogue" in refused
        assert "1 open objection" in refused
    with freeze_time("2029-09-01 10:00:00"):  # the 2026-27 session's records are past their periods
        assert main(["purge", "--db", store_url]) == 0
        assert main(["erase", "--school", "demo", "--person", "U03TOM", "--db", store_url]) == 2
        refused = capsys.readouterr().err
        assert "1 open objection" in refused and "record(s)" not in refused  # an open one is never purged
        with store.uow() as uow:
            [objection] = uow.privacy.objections_involving(chat.school.id, "U03TOM")
            uow.objections.settle(objection.but(status=ObjectionStatus.WITHDRAWN, settled_at=objection.raised_at))
            uow.commit()
        assert main(["erase", "--school", "demo", "--person", "U03TOM", "--db", store_url]) == 0
        said = capsys.readouterr().out
        assert "Erased U03TOM" in said and "Tom Baker" not in said
    with store.uow() as uow:
        assert uow.staff.get(chat.school.id, "U03TOM") is None
        [former] = [s for s in uow.staff.all(chat.school.id, with_leavers=True) if s.name == "Former member of staff"]
        assert former.email is None and former.handle is None and former.department == "Maths"  # reports by group
        # Every visit still counts, for him and for the others in them.
        assert {v.id for v in uow.visits.of_person(chat.school.id, former.chat_id, _epoch())} == {
            term["first"], term["as_visitor"], term["second"]}
        assert {v.id for v in uow.visits.of_person(chat.school.id, "U05SAM", _epoch())} == {term["first"],
                                                                                               term["second"]}
        assert {v.id for v in uow.visits.of_person(chat.school.id, "U04AMY", _epoch())} == {term["as_visitor"]}
        assert uow.visits.of_person(chat.school.id, "U03TOM", _epoch()) == []
        assert uow.privacy.notices_to(chat.school.id, "U03TOM") == []
        assert uow.privacy.concerns_involving(chat.school.id, "U03TOM") == []
        log = uow.privacy.disposals(chat.school.id)
    assert {d.cause for d in log} == {"retention", "erasure"}
    erased = {d.kind: (d.action, d.count) for d in log if d.cause == "erasure"}
    assert erased["staff"] == ("de-identified", 1) and erased["visits"] == ("de-identified", 3)
    assert erased["objections"] == ("de-identified", 1)  # the one he raised; the concern about him was purged


def test_purge_from_the_command_line_says_what_is_due_then_disposes_of_it(term, chat, store, store_url, capsys):
    with freeze_time("2029-01-01 09:00:00"):
        assert main(["purge", "--dry-run", "--db", store_url]) == 0
        said = capsys.readouterr().out
        assert "nothing changed: --dry-run" in said and re.search(r"demo\s+concerns\s+3 to be deleted", said)
        with store.uow() as uow:
            assert uow.privacy.disposals(chat.school.id) == []
        assert main(["purge", "--db", store_url]) == 0
        said = capsys.readouterr().out
        assert "Disposed of, and logged" in said and re.search(r"demo\s+concerns\s+3 deleted", said)
        assert "AMY" not in said and "Tom" not in said  # counts, never words or names
        assert main(["purge", "--db", store_url]) == 0
        assert "Nothing was past its retention period" in capsys.readouterr().out
    with store.uow() as uow:
        assert {(d.kind, d.count) for d in uow.privacy.disposals(chat.school.id)} >= {("concerns", 3), ("notes", 2)}
