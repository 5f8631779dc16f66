"""`walkbot import staff|timetable|oneroster`: a 150-staff, two-week timetable imported twice gives the same database;
a file with bad lines tells every one of them and changes nothing; OneRoster's teachers become staff, its pupils are
never read; a school.yml loaded again does not retire who an import brought."""
from __future__ import annotations

import copy
import csv
import io
import zipfile

import pytest
from sqlalchemy import select

from bot.domain.clock import FixedClock
from bot.domain.school import parse_school_config
from bot.errors import InputError, NotFound
from bot.usecases import imports, roster
from handlers import cli
from storage.tables import SchoolRow, StaffRow, TimetableLessonRow
from tests.conftest import DEMO_SCHOOL

KEY = DEMO_SCHOOL["school"]["key"]
PERIODS = {"P1": "08:50-09:50", "P2": "09:50-10:50", "P3": "11:10-12:10", "P4": "12:10-13:10", "P5": "14:00-15:00"}
DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri")


def _csv(header, rows) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def _config():
    data = copy.deepcopy(DEMO_SCHOOL)
    data["school"]["periods"] = dict(PERIODS)
    data["timetable"] = {"week_a_starts": "2026-08-31"}
    return parse_school_config(data)


@pytest.fixture
def school(store, clock):
    return roster.load_school(_config(), store.uow(), clock).school


def staff_file(count: int = 150) -> str:
    rows = []
    for n in range(1, count + 1):
        manager = "" if n <= 5 else f"T{(n % 5) + 1:03}"  # five heads of department manage the rest
        roles = "teacher;slt;promoted" if n == 1 else "teacher;promoted" if n <= 5 else "teacher"
        rows.append([f"T{n:03}", f"Teacher {n}", f"teacher{n}@school.example", roles, manager,
                     ("Maths", "English", "Science", "Art", "History")[n % 5], f"U{n:05}" if n % 2 else "", ""])
    return _csv(imports.STAFF_COLUMNS, rows)


def timetable_file(count: int = 150) -> str:
    """Two weeks: each teacher teaches three of P2-P5 each day, different ones in week A and week B, and a form
    period every week on Monday P1: 31 lessons each."""
    rows = []
    for n in range(1, count + 1):
        rows.append([f"T{n:03}", "", "Mon", "P1", "", "", f"{7 + n % 5}F", "Form", f"R{n}"])
        for week in ("A", "B"):
            for d, day in enumerate(DAYS):
                for k in range(3):
                    period = f"P{2 + (n + d + k + (week == 'B')) % 4}"
                    rows.append([f"T{n:03}", week, day, period, "", "", f"{7 + (n + k) % 5}{'ABC'[k]}",
                                 ("Maths", "English", "Science")[k], f"R{n}"])
    return _csv(imports.TIMETABLE_COLUMNS, rows)


def dump(store) -> dict:
    """Everything an import writes, ids and the school's version included."""
    with store.uow() as uow:
        s = uow.session
        return {t.name: [tuple(row) for row in s.execute(select(t).order_by(*t.primary_key))]
                for t in (SchoolRow.__table__, StaffRow.__table__, TimetableLessonRow.__table__)}


def test_150_staff_and_a_two_week_timetable_imported_twice_give_the_same_database(store, school):
    first = imports.import_staff(KEY, staff_file(), "staff.csv", store.uow())
    assert (first.changes.added, first.changes.changed, first.changes.removed) == (150, 0, 0)
    lessons = imports.import_timetable(KEY, timetable_file(), "timetable.csv", store.uow())
    assert lessons.changes.added == 150 * 31
    before = dump(store)
    again = imports.import_staff(KEY, staff_file(), "staff.csv", store.uow())
    assert (again.changes.added, again.changes.changed, again.changes.unchanged) == (0, 0, 150)
    same = imports.import_timetable(KEY, timetable_file(), "timetable.csv", store.uow())
    assert (same.changes.added, same.changes.changed, same.changes.removed) == (0, 0, 0)
    assert dump(store) == before
    with store.uow() as uow:
        teacher = uow.staff.get(school.id, "U00007")
        assert (teacher.name, teacher.line_manager, teacher.department) == ("Teacher 7", "U00003", "Science")
        assert uow.staff.get(school.id, "teacher8@school.example").roles == {"teacher"}  # no Slack id: by email
        week_b = [x for x in uow.timetable.lessons(school.id, ["U00007"]) if x.week == "B"]
        assert len(week_b) == 15 and len(uow.timetable.lessons(school.id, ["U00007"])) == 31


def test_a_file_with_bad_lines_tells_every_one_and_changes_nothing(store, school):
    imports.import_staff(KEY, staff_file(3), "staff.csv", store.uow())
    before = dump(store)
    bad_staff = staff_file(3) + "\n".join([
        "T004,,t4@school.example,teacher,,,,",  # no name
        "T005,Five,not-an-email,teacher;boss,,,,",  # two things wrong
        "T001,Again,t6@school.example,teacher,,,,",  # staff_id twice
        "T007,Seven,t7@school.example,teacher,T999,,,",  # manager nobody
        "T008,Eight,,teacher,,,,",  # no way to know them
    ]) + "\n"
    with pytest.raises(InputError) as told:
        imports.import_staff(KEY, bad_staff, "staff.csv", store.uow())
    said = str(told.value)
    assert said.startswith("staff.csv has 6 problems; nothing was imported:")
    for line, words in ((5, "no name"), (6, "'not-an-email' is not an email address"), (6, "'boss' is not a role"),
                        (7, "the staff_id T001 is on line 2 already"), (8, "the line_manager T999 is no one"),
                        (9, "no email, slack_id or teams_id")):
        assert f"line {line}: {words}" in said
    bad_lessons = _csv(imports.TIMETABLE_COLUMNS, [
        ["T001", "", "Mon", "P1", "", "", "8B", "Maths", "S12"],
        ["T001", "C", "Mon", "P2", "", "", "8B", "Maths", "S12"],
        ["T002", "A", "Sat", "P2", "", "", "8B", "Maths", "S12"],
        ["T999", "", "Tue", "P2", "", "", "8B", "Maths", "S12"],
        ["T002", "", "Tue", "P9", "", "", "8B", "Maths", "S12"],
        ["T002", "", "Wed", "", "10:00", "", "8B", "Maths", "S12"],
        ["T001", "B", "Mon", "", "09:00", "09:30", "8B", "Maths", "S12"],  # in the every-week P1 above
        ["T003", "", "Thu", "P3", "11:00", "", "8B", "Maths", "S12"],
    ])
    with pytest.raises(InputError) as told:
        imports.import_timetable(KEY, bad_lessons, "timetable.csv", store.uow())
    said = str(told.value)
    assert said.startswith("timetable.csv has 7 problems; nothing was imported:")
    for line, words in ((3, "the week 'C' is not A or B"), (4, "the day 'Sat' is not a school day"),
                        (5, "the staff_id T999 is no one on the staff list"), (6, "the period 'P9' is not one of"),
                        (7, "no period, and no start and end"), (8, "this lesson overlaps the one on line 2"),
                        (9, "11:00–… is given for P3, which is 11:10–12:10")):
        assert f"line {line}: {words}" in said
    assert dump(store) == before


def test_a_wrong_header_or_school_is_told(store, school):
    with pytest.raises(InputError, match="line 1: the first line has no column roles and column walkbot does not "
                                         "know: role; it names"):
        imports.import_staff(KEY, "staff_id,name,email,role\nT1,Ann,a@b.example,teacher\n", "s.csv", store.uow())
    with pytest.raises(InputError, match="line 2: holds an invisible control character"):
        imports.import_staff(KEY, "staff_id,name,email,roles\nT1,Ann\x00,a@b.example,teacher\n", "s.csv", store.uow())
    with pytest.raises(NotFound, match="There is no school with the key nowhere"):
        imports.import_staff("nowhere", staff_file(1), "s.csv", store.uow())
    weekless = parse_school_config({**DEMO_SCHOOL, "school": {**DEMO_SCHOOL["school"], "key": "weekless"}})
    roster.load_school(weekless, store.uow(), FixedClock(school.calendar.at(school.calendar.sessions[0].start,
                                                                           school.calendar.day_start)))
    with pytest.raises(InputError, match="line 2: week A, but school.yml says which weeks are A and B nowhere"):
        imports.import_timetable("weekless", _csv(imports.TIMETABLE_COLUMNS, [
            ["U03TOM", "A", "Mon", "P1", "", "", "8B", "Maths", "S12"]]), "t.csv", store.uow())


def test_school_yml_and_an_import_share_the_staff_list(store, school, clock):
    """A re-load retires only whom school.yml listed; an import never rewrites whom school.yml lists, it records
    their MIS id so a timetable names them; a second import retires whom the first brought and it does not."""
    listed_in_yml = "T900,Tom Again,tom@school.example,teacher,,Maths,U03TOM,\n"
    done = imports.import_staff(KEY, staff_file(2) + listed_in_yml, "staff.csv", store.uow())
    assert (done.changes.added, done.changes.kept) == (2, 1)
    roster.load_school(_config(), store.uow(), clock)
    with store.uow() as uow:
        assert uow.staff.get(school.id, "U00001").active  # imported, kept by the re-load
        assert uow.staff.get(school.id, "U03TOM").name == "Tom Baker"  # school.yml's, as school.yml says
    imports.import_timetable(KEY, _csv(imports.TIMETABLE_COLUMNS, [["T900", "", "Mon", "P1", "", "", "8B", "Maths",
                                                                    "S12"]]), "t.csv", store.uow())
    with store.uow() as uow:
        assert [x.teacher for x in uow.timetable.lessons(school.id, ["U03TOM"])] == ["U03TOM"]
    fewer = imports.import_staff(KEY, staff_file(1), "staff.csv", store.uow())
    assert fewer.changes.removed == 1
    with store.uow() as uow:
        assert not uow.staff.get(school.id, "teacher2@school.example").active
        assert uow.staff.get(school.id, "U03TOM").active  # school.yml still lists him


ONEROSTER = {
    "users.csv": _csv(("sourcedId", "status", "dateLastModified", "enabledUser", "orgSourcedIds", "role", "username",
                       "userIds", "givenName", "familyName", "middleName", "identifier", "email", "sms", "phone",
                       "agentSourcedIds", "grades", "password"), [
        ["t-1", "active", "", "true", "org1", "teacher", "jbloggs", "", "Jo", "Bloggs", "", "", "jo@school.example",
         "", "", "", "", ""],
        ["t-2", "active", "", "true", "org1", "aide", "kgreen", "", "Kim", "Green", "", "", "kim@school.example",
         "", "", "", "", ""],
        ["s-1", "active", "", "true", "org1", "student", "pupil1", "", "Pat", "Pupil", "", "", "pat@pupils.example",
         "", "", "", "07", ""],
        ["g-1", "active", "", "true", "org1", "guardian", "parent1", "", "Pam", "Parent", "", "", "", "", "", "s-1",
         "", ""],
    ]),
    "classes.csv": _csv(("sourcedId", "status", "dateLastModified", "title", "grades", "courseSourcedId", "classCode",
                         "classType", "location", "schoolSourcedId", "termSourcedIds", "subjects", "subjectCodes",
                         "periods"), [
        ["c-1", "active", "", "8B Maths", "08", "course1", "8B-MA", "scheduled", "S12", "org1", "term1", "Maths", "",
         "1,2"],
        ["c-2", "active", "", "9C Maths", "09", "course1", "9C-MA", "scheduled", "S12", "org1", "term1", "Maths", "",
         "3"],
    ]),
    "enrollments.csv": _csv(("sourcedId", "status", "dateLastModified", "classSourcedId", "schoolSourcedId",
                             "userSourcedId", "role", "primary", "beginDate", "endDate"), [
        ["e-1", "active", "", "c-1", "org1", "t-1", "teacher", "true", "", ""],
        ["e-2", "active", "", "c-2", "org1", "t-1", "teacher", "true", "", ""],
        ["e-3", "active", "", "c-1", "org1", "s-1", "student", "false", "", ""],
    ]),
}


def test_oneroster_teachers_become_staff_and_pupils_are_passed_over(store, school, tmp_path, capsys):
    archive = tmp_path / "oneroster.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for name, text in ONEROSTER.items():
            z.writestr(f"export/{name}", text)
    db = str(store.engine.url)
    assert cli.main(["import", "oneroster", str(archive), "--school", KEY, "--db", db]) == 0
    said = capsys.readouterr().out
    assert "Imported staff for Durants Test School (key durants-test): 2 added" in said
    assert "2 rows that are not staff (pupils, parents and the like) were passed over unread." in said
    assert "Pat" not in said and "pupil" not in said.replace("pupils, parents", "")
    with store.uow() as uow:
        jo = uow.staff.get(school.id, "jo@school.example")
        assert (jo.name, jo.roles, jo.department) == ("Jo Bloggs", {"teacher"}, "Maths")
        assert uow.staff.get(school.id, "kim@school.example").roles == {"support"}
        assert uow.staff.get(school.id, "pat@pupils.example") is None
    folder = tmp_path / "folder"
    folder.mkdir()
    for name, text in ONEROSTER.items():
        (folder / name).write_text(text, encoding="utf-8")
    assert cli.main(["import", "oneroster", str(folder), "--school", KEY, "--db", db]) == 0
    assert "0 added, 0 changed, 2 unchanged" in capsys.readouterr().out
    (folder / "classes.csv").unlink()
    assert cli.main(["import", "oneroster", str(folder), "--school", KEY, "--db", db]) == 2
    assert "has no classes.csv" in capsys.readouterr().err


def test_the_command_line_tells_bad_lines_without_a_traceback(store, school, tmp_path, capsys):
    path = tmp_path / "timetable.csv"
    path.write_text("staff_id,week,day,period,start,end,class,subject,room\nU03TOM,,Sun,P1,,,8B,Maths,S12\n",
                    encoding="utf-8")
    assert cli.main(["import", "timetable", str(path), "--school", KEY, "--db", str(store.engine.url)]) == 2
    err = capsys.readouterr().err
    assert "line 2: the day 'Sun' is not a school day" in err and "Traceback" not in err
    path.write_bytes("staff_id,name\n\xff".encode("latin-1"))
    assert cli.main(["import", "staff", str(path), "--school", KEY, "--db", str(store.engine.url)]) == 2
    assert "is not UTF-8 text" in capsys.readouterr().err


def test_two_lines_that_are_one_person_on_the_staff_list_are_told(store, school):
    imports.import_staff(KEY, staff_file(2), "staff.csv", store.uow())  # T001 is U00001
    before = dump(store)
    clash = _csv(imports.STAFF_COLUMNS, [
        ["T001", "Teacher 1", "teacher1@school.example", "teacher", "", "", "U00009", ""],
        ["T009", "Someone", "someone@school.example", "teacher", "", "", "U00001", ""],  # U00001 is T001
    ])
    with pytest.raises(InputError, match=r"line 3: is the person on line 2 as the staff list knows them \(staff id "
                                         r"U00001\)"):
        imports.import_staff(KEY, clash, "staff.csv", store.uow())
    assert dump(store) == before
