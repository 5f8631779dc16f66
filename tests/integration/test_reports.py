"""SLT's reports on a seeded school (SQLite and PostgreSQL): the summary of findings, coverage against the caps
and equality monitoring, through the router and the aggregate queries (storage/repos/reports.py)."""
from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.chat.router import Walkbot
from bot.domain.clock import FixedClock
from bot.domain.model import Visit, VisitKind, VisitStatus
from bot.domain.school import parse_school_config
from bot.errors import InputError
from bot.reports.coverage import coverage
from bot.reports.documents import coverage_csv, equality_markdown, summary_csv
from bot.reports.equality import NOT_IN_FILE, equality_report, read_groups
from bot.reports.summary import findings_summary
from handlers.wiring import read_school_file
from tests.unit.test_surfaces import check_every_surface

LONDON = ZoneInfo("Europe/London")
REPORTED = datetime(2027, 3, 1, 9, 0, tzinfo=LONDON)
FINDINGS = {"strength": "pupils respond to feedback in purple pen", "excellence": "peer marking is routine in Year 9",
            "next": "share the marking codes across departments"}
DEMO_NAMES = ("Rachel", "Daniela", "Tom", "Amy", "Sam", "Priya", "Gordon", "Baker", "Chen", "Patel", "Carli")


def seeded_term(store) -> tuple[int, Walkbot, FixedClock]:
    """The demo school's spring term, typed through the router: a walk of three rooms with findings; Tom's class
    visited twice more (at his cap of three observations), one record of dialogue agreed; Amy's visit held with
    no dialogue arranged."""
    with store.uow() as uow:
        school_id = uow.schools.save(parse_school_config(read_school_file(None))).id
        uow.commit()
    clock = FixedClock(datetime(2027, 1, 11, 8, 30, tzinfo=LONDON))
    bot = Walkbot(uow_factory=store.uow, clock=clock)

    def say(actor: str, text: str) -> str:
        reply = bot.handle(text, school_id=school_id, actor=actor)
        assert reply.ok, (text, reply.text)
        return reply.text

    def visit(actor: str, teacher: str, when: str, focus: str) -> int:
        said = say(actor, f'/visit propose @{teacher} {when} 30m kind formal focus "{focus}" feedback "after school"')
        number = int(re.search(r"#(\d+)", said).group(1))
        say({"tom": "U03TOM", "amy": "U04AMY"}[teacher], f"/visit agree {number}")
        return number

    say("U01HEAD", '/walk plan 2027-02-03 09:00-11:00 focus "feedback in books" purpose "share marking practice" '
                   "walkers @rachel @daniela rooms @tom @sam @amy")
    for room, teacher in ((1, "U03TOM"), (2, "U05SAM"), (3, "U04AMY")):
        say(teacher, f"/visit agree {room}")
    recorded = visit("U01HEAD", "tom", "2027-01-20 P2", "questioning")
    visit("U02DEPUTY", "tom", "2027-01-21 P3", "pupil talk")
    unfollowed = visit("U01HEAD", "amy", "2027-01-20 P3", "pupil talk")
    clock.set(datetime(2027, 1, 20, 12, 30, tzinfo=LONDON))
    say("U03TOM", f"/visit held {recorded}")
    say("U04AMY", f"/visit held {unfollowed}")
    say("U01HEAD", f"/visit dialogue {recorded} 2027-01-21 15:30")
    say("U01HEAD", f'/visit record {recorded} "We will try think-pair-share before written answers"')
    say("U03TOM", f"/visit record {recorded} agree")
    clock.set(datetime(2027, 2, 3, 11, 5, tzinfo=LONDON))
    say("U02DEPUTY", "/walk findings 1 " + " ".join(f'{kind} "{text}"' for kind, text in FINDINGS.items()))
    clock.set(REPORTED)
    return school_id, bot, clock


def test_the_summary_groups_practice_by_department_stage_and_school_and_names_nobody(store):
    school_id, bot, _ = seeded_term(store)
    reply = bot.handle("/walk summary", school_id=school_id, actor="U01HEAD")
    assert reply.ok, reply.text
    check_every_surface(reply.card)
    with store.uow() as uow:
        summary = findings_summary(uow, uow.schools.get(school_id), REPORTED)
    groups = {(g.by, g.name): g for g in summary.groups}
    # The walk visited Tom and Sam (Maths), Tom and Amy (KS3): those groups have its findings. English (Amy
    # alone), KS4 (Sam alone) and Leadership (no room) would each point at one teacher, or have nothing.
    assert set(groups) == {("Whole school", "Whole school"), ("Department", "Maths"), ("Stage", "KS3")}
    whole = {f.focus: f for f in groups["Whole school", "Whole school"].focus}
    assert list(whole) == ["feedback in books", "questioning"]  # the session's focus areas, in order, that have any
    books = whole["feedback in books"]
    assert (books.walks, books.classrooms, books.records_agreed) == (1, 3, 0)
    assert [t for texts in books.findings.values() for t in texts] == list(FINDINGS.values())
    assert whole["questioning"].records_agreed == 1  # Amy's "pupil talk" visit has no record agreed by all
    maths = {f.focus: f for f in groups["Department", "Maths"].focus}
    assert list(maths) == ["feedback in books"] and maths["feedback in books"].classrooms == 2  # Tom's record: alone
    for shown in (reply.text, summary_csv(summary)):
        assert not [name for name in DEMO_NAMES if name in shown], shown
        assert "think-pair-share" not in shown  # a record of dialogue is counted, never quoted


def test_coverage_counts_against_the_caps(store):
    school_id, bot, _ = seeded_term(store)
    reply = bot.handle("/visit coverage", school_id=school_id, actor="U01HEAD")
    assert reply.ok, reply.text
    check_every_surface(reply.card)
    with store.uow() as uow:
        result = coverage(uow, uow.schools.get(school_id), REPORTED)
    rows = {r.teacher.name: r for r in result.teachers}
    assert {name: r.visits for name, r in rows.items()} == {"Amy Chen": 2, "Daniela Barzanti": 0, "Rachel Carli": 0,
                                                            "Sam Patel": 1, "Tom Baker": 3}
    assert [str(u) for u in rows["Tom Baker"].near] == ["3 of 3 observations used this year"]
    assert [p.name for p in result.none_yet] == ["Daniela Barzanti", "Rachel Carli"]
    assert [r.teacher.name for r in result.near] == ["Amy Chen", "Tom Baker"]  # Amy: 2 of 3, one left
    departments = {d.name: (d.teachers, d.visits, [(u.used, u.cap) for u in d.lines]) for d in result.departments}
    assert departments["Maths"] == (2, 4, [(4, 6), (100, 360)])  # walk rooms of 20 minutes, visits of 30
    assert [(t.term, t.done, t.planned, t.allowed) for t in result.terms] == [
        ("Autumn", 0, 0, 1), ("Spring", 1, 0, 1), ("Summer", 0, 0, 1)]
    assert result.dialogues_overdue == 1  # Amy's: none arranged within 5 school days; Tom's was
    assert "teacher,Tom Baker,observations used this year,3,3" in coverage_csv(result)
    assert "Feedback dialogues overdue: 1" in reply.text and "Tom Baker: 3 visits" in reply.text


@pytest.mark.parametrize("command", ["/walk summary", "/visit coverage"])
def test_only_slt_see_the_reports(store, command):
    school_id, bot, _ = seeded_term(store)
    for actor in ("U03TOM", "U05SAM", "U06PRIYA", "U07GORDON"):
        reply = bot.handle(command, school_id=school_id, actor=actor)
        assert not reply.ok and "SLT" in reply.text and "Tom Baker" not in reply.text, reply.text
    assert bot.handle(f"{command} now", school_id=school_id, actor="U01HEAD").error is not None


# --- equality monitoring -----------------------------------------------------------------------------

def large_school(store) -> int:
    """26 class teachers, each with two formal visits and one walk room this session, and one SLT visitor."""
    config = read_school_file(None)
    config["school"].pop("escalation")  # its chair of governors is not on this staff list
    config["staff"] = [{"id": "U00SLT", "handle": "slt", "name": "Sasha Lead", "roles": ["slt"]}] + [
        {"id": f"T{n:02}", "name": f"Teacher {n:02}", "roles": ["teacher"], "email": f"t{n:02}@school.example"}
        for n in range(1, 27)]
    with store.uow() as uow:
        school = uow.schools.save(parse_school_config(config))
        start = datetime(2027, 1, 12, 9, 0, tzinfo=LONDON)
        for n in range(1, 27):
            for k, kind in enumerate((VisitKind.FORMAL, VisitKind.FORMAL, VisitKind.LEARNING_WALK)):
                uow.visits.add(Visit(None, school.id, f"T{n:02}", ("U00SLT",), "U00SLT", kind,
                                     start + timedelta(days=7 * k, minutes=n), 20, VisitStatus.HELD))
        uow.visits.add(Visit(None, school.id, "T01", ("U00SLT",), "U00SLT", VisitKind.FORMAL, start, 20,
                             VisitStatus.DECLINED))  # not booked: not counted
        uow.commit()
    return school.id


HR = "\n".join(["Staff ID,Sex,Disability",
                "T01@School.example,Female,No",  # by email, as HR systems often know people
                *(f"T{n:02},Female,No" for n in range(2, 13)),  # 12 in all
                *(f"T{n:02},Male,{'Yes' if n == 13 else ''}" for n in range(13, 22)),  # 9
                *(f"T{n:02},Prefer not to say,No" for n in range(22, 25)),  # 3; T25 and T26 are not in the file
                "X99,Female,No"])  # a leaver: no one on walkbot's list


def test_the_equality_report_joins_the_hr_file_in_memory_and_withholds_small_groups(store):
    school_id = large_school(store)
    with store.uow() as uow:
        result = equality_report(uow, uow.schools.get(school_id), REPORTED, read_groups(HR), threshold=5)
    sex, disability = result.tables
    rows = {r.group: (r.heads, r.counts, r.rates) for r in sex.rows}
    assert rows == {
        "Female": (10, (25, 10), (2.0, 1.0)),  # 12 people, 24 visits, 12 walk rooms: rounded to 5
        "Male": (10, (20, 10), (None, None)),  # 9 people: no rate on fewer than 10
        "Prefer not to say": (None, (None, None), (None, None)),  # 3: withheld
        NOT_IN_FILE: (None, (None, None), (None, None)),  # 2: withheld, so 3 cannot be had from the total
    }
    assert (sex.total.heads, sex.total.counts, sex.total.rates) == (25, (50, 25), (2.0, 1.0))  # the school's rate
    assert result.unmatched == 1
    # Disability: "Yes" is one person, "Not recorded" eight: both withheld, with the two not in the file.
    shown = {r.group: r.heads for r in disability.rows}
    assert shown == {"No": 15, "Yes": None, "Not recorded": None, NOT_IN_FILE: None}
    text = equality_markdown(result)
    assert "| Prefer not to say | — | — | — | — | — |" in text and "Teacher" not in text and "T01" not in text


def test_an_hr_file_saved_with_semicolons_or_tabs_reads_the_same():
    for delimiter in (";", "\t"):
        assert read_groups(HR.replace(",", delimiter)) == read_groups(HR)


def test_the_equality_report_stores_nothing(store):
    school_id = large_school(store)
    with store.engine.connect() as conn:
        before = {t: conn.exec_driver_sql(f"SELECT count(*) FROM {t}").scalar() for t in ("staff", "visits", "notices")}
    with store.uow() as uow:
        equality_report(uow, uow.schools.get(school_id), REPORTED, read_groups(HR))
    with store.engine.connect() as conn:
        after = {t: conn.exec_driver_sql(f"SELECT count(*) FROM {t}").scalar() for t in ("staff", "visits", "notices")}
    assert after == before


@pytest.mark.parametrize(("text", "told"), [
    ("", "line 1: the first line names the columns"),
    ("Staff ID\nT01\n", "line 1: the first line names the columns"),
    ("Staff ID,Sex,Sex\nT01,F,F\n", "line 1: the column 'Sex' is named twice"),
    ("Staff ID,Sex\nT01,Female\nT02\n\nT03,Male,extra\n,Male\nT01,Male\n",
     "4 problems; nothing was written. line 3: 1 values where the first line names 2 columns. line 5: 3 values "
     "where the first line names 2 columns. line 6: the staff id is empty. line 7: staff id already given on "
     "line 2."),
    ("Staff ID,Sex\n", "lists no staff"),
    ("Staff ID,Sex\nt01,Female\nT01,Female\n", "line 3: staff id already given on line 2."),
])
def test_a_bad_hr_file_is_told_line_by_line(text, told):
    with pytest.raises(InputError) as refused:
        read_groups(text, source="hr.csv")
    assert told in str(refused.value)


def test_a_large_schools_coverage_fits_every_surface(store):
    """Slack and Teams limit a message's size: a school of 26 teachers, each named with their counts, still
    renders in full in each."""
    school_id = large_school(store)
    reply = Walkbot(uow_factory=store.uow, clock=FixedClock(REPORTED)).handle(
        "/visit coverage", school_id=school_id, actor="U00SLT")
    assert reply.ok, reply.text
    assert "Teacher 26: 3 visits" in reply.text
    check_every_surface(reply.card)


def test_without_focus_areas_in_school_yml_each_walk_focus_is_its_own(store):
    config = read_school_file(None)
    config["sessions"][0].pop("focus_areas")
    with store.uow() as uow:
        school = uow.schools.save(parse_school_config(config))
        uow.commit()
    clock = FixedClock(datetime(2027, 1, 11, 8, 30, tzinfo=LONDON))
    bot = Walkbot(uow_factory=store.uow, clock=clock)
    for actor, text in (("U01HEAD", '/walk plan 2027-02-03 09:00-11:00 focus "reading aloud" purpose "share practice" '
                                    "walkers @rachel @daniela rooms @tom @sam"),
                        ("U03TOM", "/visit agree 1"), ("U05SAM", "/visit agree 2")):
        assert bot.handle(text, school_id=school.id, actor=actor).ok
    clock.set(datetime(2027, 2, 3, 11, 5, tzinfo=LONDON))
    assert bot.handle('/walk findings 1 strength "pupils read with expression"', school_id=school.id,
                      actor="U02DEPUTY").ok
    with store.uow() as uow:
        summary = findings_summary(uow, uow.schools.get(school.id), REPORTED)
    [focus] = summary.whole_school.focus
    assert focus.focus == "reading aloud" and focus.classrooms == 2
