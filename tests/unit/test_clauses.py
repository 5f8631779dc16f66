"""Issue 11, the clause part: what a text is about, records without grades, dialogue hours, inspection periods,
each kind's clause, and the school.yml keys they read. Pure: no database, no clock."""
from __future__ import annotations

from datetime import date, time
from importlib import resources

import pytest

from bot import rules
from bot.domain.calendar import InspectionPeriod, SchoolCalendar, Session
from bot.domain.model import Role, Staff, VisitKind, VisitStatus
from bot.domain.policy import PRESET_IDS, Hours, load_preset, policy_table
from bot.domain.school import parse_school_config, read_school_yaml
from bot.errors import InputError
from bot.rules import About, Facts
from tests.unit.test_rules import (
    AUTUMN, CAL, LA_OFFICER, LOCAL, NOW, PEER, SLT, SPRING, STAFF, SUMMER, THU_4, TUE_2, WED_10, WED_3, at,
    assert_cited, booked, codes, ctx, one, plan, refusals, visit,
)

RAY = Staff(20, 1, "U20RAY", "Ray Jones", frozenset({Role.TEACHER}), handle="ray")
PEOPLE = STAFF + (RAY,)
AGREEMENTS = resources.files("bot.presets").joinpath("agreements")


def _document(preset_id: str) -> str:
    return " ".join(AGREEMENTS.joinpath(load_preset(preset_id).document).read_text(encoding="utf-8").split())


# --- what a focus is about (finding 4) -------------------------------------------------------------

@pytest.mark.parametrize("text, about, said", [
    ("judging Tom's teaching", About.PERSON, "Tom's"),
    ("the quality of Ray's lessons", About.PERSON, "Ray's"),
    ("tom's questioning", About.PERSON, "tom's"),  # a possessive, in any case
    ("Baker's lessons", About.PERSON, "Baker's"),  # a surname
    ("questioning in Nadia's class", About.PERSON, "Nadia's"),
    ("what Nadia does with plenaries", About.PERSON, "Nadia"),  # a first name, written as a name
    ("@ray and questioning", About.PERSON, "@ray"),
    ("Tom Baker", About.PERSON, "Tom Baker"),
    ("Mrs Okafor's lessons", About.PERSON, "Mrs Okafor's"),  # a title and surname, even off the list
    ("teacher performance", About.JUDGEMENT, "teacher performance"),
    ("the performance of an individual teacher", About.JUDGEMENT, "performance of an individual teacher"),
    ("the capability of the class teacher", About.JUDGEMENT, "capability of the class teacher"),
    ("pupils' views of their teacher", About.JUDGEMENT, "views of their teacher"),  # Trust §6
    ("grading lessons", About.JUDGEMENT, "grading lessons"),
    ("gathering competence evidence", About.PROCEDURE, "competence"),
    ("evidence for performance management", About.PROCEDURE, "performance management"),
    ("disciplinary follow-up", About.PROCEDURE, "disciplinary"),
    ("pupil performance in reading", About.PRACTICE, ""),  # what Trust §2 asks for
    ("Year 9 performance in mock exams", About.PRACTICE, ""),
    ("pupil competence in number", About.PRACTICE, ""),
    ("the quality of learning and teaching", About.PRACTICE, ""),  # 000 §1a's own words
    ("pupils' views on reading", About.PRACTICE, ""),
    ("the teacher's use of questioning", About.PRACTICE, ""),
    ("the school's marking policy", About.PRACTICE, ""),
    ("baker", About.PRACTICE, ""),  # a lower-case word is not a name
    ("will pupils explain their reasoning?", About.PRACTICE, ""),
])
def test_what_a_text_is_about(text, about, said):
    reading = rules.read_text(text, PEOPLE)
    assert (reading.about, reading.said) == (about, said)


@pytest.mark.parametrize("preset_id", PRESET_IDS)
def test_a_focus_naming_or_judging_a_person_is_refused_one_on_pupils_allowed(preset_id):
    policy = load_preset(preset_id)
    for focus in ("judging Tom's teaching", "the quality of Ray's lessons", "teacher performance"):
        v = one(rules.check_visit(plan(focus=focus), Facts(staff=PEOPLE), ctx(policy)), "focus.individual")
        assert v.field == "focus" and str(policy.cite("focus_not_about_individual", VisitKind.FORMAL)) in str(v)
    assert "names Ray Jones (“Ray's”)" in one(rules.check_visit(
        plan(focus="the quality of Ray's lessons"), Facts(staff=PEOPLE), ctx(policy)), "focus.individual").message
    assert rules.check_visit(plan(focus="pupil performance in reading"), Facts(staff=PEOPLE), ctx(policy)) == []


@pytest.mark.parametrize("preset_id", PRESET_IDS)
def test_a_focus_for_a_procedure_quotes_002_where_it_applies(preset_id):
    policy = load_preset(preset_id)
    v = one(rules.check_visit(plan(focus="gathering competence evidence"), Facts(staff=PEOPLE), ctx(policy)),
            "focus.procedure")
    if preset_id == "lnct-shared-learning":
        assert_cited(v, policy, "not_for_procedures", "Links to SIP and PRD")
        assert "does not form part of any disciplinary or competence procedures" in str(v)
    else:
        assert_cited(v, policy, "not_for_procedures", LOCAL)


# --- a walk's focus from the improvement plan ---------------------------------------------------------

AREAS = ("feedback in books", "questioning", "pupil talk")
PLANNED = SchoolCalendar(CAL.timezone, CAL.day_start, CAL.day_end,
                         (Session("2026-27", (AUTUMN, SPRING, SUMMER), focus_areas=AREAS),), CAL.holidays, CAL.periods)
FOCUS_AREA = {"learning-visits": "§1a", "durants-learning-walks": LOCAL, "lnct-shared-learning": "Links to SIP and PRD",
              "trust-learning-walks": LOCAL, "lnct-sharing-classroom-experience": "Introduction"}


@pytest.mark.parametrize("preset_id", PRESET_IDS)
def test_a_walks_focus_is_one_of_the_sessions_focus_areas(preset_id):
    policy = load_preset(preset_id)
    c = rules.Context(PLANNED, policy, NOW)
    for same in ("Feedback in books", "  questioning ", "“pupil talk”"):
        assert rules.focus_area_violations(same, WED_10, c) == []
    v = one(rules.focus_area_violations("marking", WED_10, c), "focus.area")
    assert "feedback in books; questioning; pupil talk. “marking” is not one of them." in v.message
    assert_cited(v, policy, "focus_from_improvement_plan", FOCUS_AREA[preset_id])
    # No focus areas listed for the session: nothing to hold the walk to.
    assert rules.focus_area_violations("marking", WED_10, ctx(policy)) == []


# --- records: tick boxes, scores, grades (finding 7) ----------------------------------------------------

@pytest.mark.parametrize("text, found", [
    ("[x] starter [ ] plenary", "[x]"),
    ("Score: 7/10", "Score: 7/10"),
    ("Rated 3/4 overall", "Rated 3/4"),
    ("Grade 2", "Grade 2"),
    ("Overall: good", "Overall: good"),
    ("The lesson was outstanding", "lesson was outstanding"),
    ("a good lesson", "good lesson"),
    ("requires improvement on pace", "requires improvement"),
    ("Pace ✓", "✓"),
    ("Most pupils scored 7/10 on the quiz", None),  # pupils' learning, not a grade of the lesson
    ("Good use of mini whiteboards; good practice in questioning", None),
    ("3/4 of the class finished the extension task", None),
    ("gradual release; graded reading books", None),
])
def test_grading_in(text, found):
    assert rules.grading_in(text) == found


@pytest.mark.parametrize("preset_id", PRESET_IDS)
def test_notes_records_and_findings_refuse_grades(preset_id):
    policy = load_preset(preset_id)
    held = visit(at(WED_3, 9, 50), 60, status=VisitStatus.HELD).but(dialogue_at=at(THU_4, 15, 30))
    clause = "§5" if preset_id == "lnct-sharing-classroom-experience" else LOCAL
    for found in (rules.check_note(held, "Score: 7/10", ctx(policy)),
                  rules.check_record(held, "Rated 3/4 overall", ctx(policy)),
                  rules.findings_violations("[x] starter [ ] plenary", PEOPLE, ctx(policy))):
        assert_cited(one(found, "records.grades"), policy, "no_grades", clause)
    assert rules.check_record(held, "We agreed to try hinge questions.", ctx(policy)) == []
    named = rules.findings_violations("Tom's starters were sharp", PEOPLE, ctx(policy))
    assert codes(named) == ["focus.individual"] and named[0].field == "text"
    assert rules.findings_violations("Starters were sharp in most rooms", PEOPLE, ctx(policy)) == []


@pytest.mark.parametrize("preset_id", PRESET_IDS)
def test_the_record_of_dialogue_needs_a_dialogue_and_a_004_peer_visit_keeps_only_its_date(preset_id):
    policy = load_preset(preset_id)
    held = visit(at(WED_3, 9, 50), 60, status=VisitStatus.HELD)
    v = one(rules.check_record(held, "We agreed next steps.", ctx(policy)), "records.no_dialogue")
    assert_cited(v, policy, "record_after_dialogue",
                 "Principles and Good Practice" if preset_id == "lnct-shared-learning" else LOCAL)
    peer = held.but(kind=VisitKind.PEER, dialogue_at=at(THU_4, 15, 30))
    if preset_id == "lnct-sharing-classroom-experience":
        assert_cited(one(rules.check_record(peer, "We agreed next steps.", ctx(policy)), "records.peer"), policy,
                     "peer_visits_date_only", "§7")
    else:
        assert rules.check_record(peer, "We agreed next steps.", ctx(policy)) == []


# --- dialogue hours (finding 8) ---------------------------------------------------------------------

@pytest.mark.parametrize("preset_id", PRESET_IDS)
def test_a_dialogue_after_school_is_allowed_in_the_dialogue_hours(preset_id):
    policy = load_preset(preset_id)
    held = visit(at(WED_3, 9, 50), 60, status=VisitStatus.HELD)
    c = ctx(policy, at(WED_3, 8, 0))
    assert policy.dialogue_hours == Hours(time(8, 0), time(17, 30)) and policy.params["dialogue_hours"].local_default
    assert rules.check_dialogue(held, at(THU_4, 15, 30), 60, Facts(), c) == []  # 002: after school
    assert rules.check_dialogue(held, at(THU_4, 16, 30), 60, Facts(), c) == []  # ends 17:30 exactly
    v = one(rules.check_dialogue(held, at(THU_4, 16, 31), 60, Facts(), c), "calendar.hours")
    assert "outside the hours for a feedback dialogue (08:00–17:30)" in v.message
    assert_cited(v, policy, "dialogue_hours", LOCAL)
    assert codes(rules.check_dialogue(held, at(THU_4, 7, 30), 60, Facts(), c)) == ["calendar.hours"]
    times = [s.start for s in rules.nearest_dialogue_times(held, at(THU_4, 17, 0), Facts(), c)]
    assert times == [at(THU_4, 16, 30), at(THU_4, 16, 0), at(THU_4, 15, 30)]


def test_dialogue_hours_are_overridden_with_who_agreed_them():
    policy = load_preset("lnct-shared-learning").with_overrides({"dialogue_hours": {
        "value": "08:30-16:30", "agreed_by": "SNC", "agreed_on": "2026-09-01"}})
    assert policy.dialogue_hours == Hours(time(8, 30), time(16, 30))
    assert "local override '08:30-16:30', agreed by SNC on 2026-09-01" in str(policy.cite("dialogue_hours"))
    assert "08:30–16:30" in policy_table(policy)
    for wrong in ("16:30-08:30", "after school", "8-5"):
        with pytest.raises(InputError, match="span of the day"):
            load_preset("lnct-shared-learning").with_overrides({"dialogue_hours": {
                "value": wrong, "agreed_by": "SNC", "agreed_on": "2026-09-01"}})


# --- inspections (finding 11) -----------------------------------------------------------------------

def _inspection(start, visitors=(LA_OFFICER,)):
    return plan(start, 60, kind=VisitKind.INSPECTION, visitors=visitors, focus=None, feedback=None)


@pytest.mark.parametrize("preset_id", PRESET_IDS)
def test_inspections_only_inside_a_declared_period(preset_id):
    policy = load_preset(preset_id)
    assert rules.check_visit(_inspection(at(date(2027, 2, 12), 9, 50)), Facts(), ctx(policy)) == []  # last day
    v = one(rules.check_visit(_inspection(at(date(2027, 2, 22), 9, 50)), Facts(), ctx(policy)), "inspection.period")
    assert "none covers Mon 22 Feb 2027 (declared this session: HMIe inspection, Mon 1 Feb to Fri 12 Feb 2027)" \
        in v.message and v.field == "kind"
    clause = {"learning-visits": "§2b", "lnct-shared-learning": "Links to VSE and HMIe"}.get(preset_id, LOCAL)
    assert_cited(v, policy, "inspections_in_declared_period", clause)
    crowd = (LA_OFFICER, SLT, PEER, RAY)  # more than any preset lets observe at once
    assert "observers" in codes(rules.check_visit(_inspection(at(TUE_2, 9, 50), crowd), Facts(), ctx(policy)))


def test_an_inspection_over_a_cap_is_recorded_with_a_warning_and_blocks_other_visits():
    policy = load_preset("durants-learning-walks")
    three = Facts(teacher_booked=booked(3))
    found = rules.check_visit(_inspection(at(TUE_2, 9, 50)), three, ctx(policy))
    assert refusals(found) == [] and codes(found) == ["cap.observations_per_year"]
    assert "takes Tom Baker over the cap: no other visit can be booked past it" in found[0].message
    counted = booked(3) + booked(1, kind=VisitKind.INSPECTION, first=date(2027, 1, 11))
    assert codes(refusals(rules.check_visit(plan(minutes=20), Facts(teacher_booked=counted), ctx(policy)))) == [
        "cap.observations_per_year"]
    session = CAL.session_of(WED_10)
    used = rules.usage(counted + booked(2, kind=VisitKind.INSPECTION, first=date(2027, 1, 18)), session.start,
                       session.end, ctx(policy))
    assert [str(u) for u in used] == ["6 of 3 observations used this year: 3 over the cap",
                                      "120 of 180 minutes"]


# --- each kind's clause (finding 9) --------------------------------------------------------------------

def test_a_learning_walk_clause_is_quoted_for_walks_only():
    policy = load_preset("durants-learning-walks")
    formal = one(rules.check_visit(plan(visitors=(PEER, SLT, RAY)), Facts(), ctx(policy)), "observers")
    assert_cited(formal, policy, "max_observers_at_once", LOCAL)
    assert "§7 limits learning walks to two colleagues at any time" in str(formal)
    room = one(rules.check_visit(plan(minutes=20, kind=VisitKind.LEARNING_WALK, visitors=(PEER, SLT, RAY)), Facts(),
                                 ctx(policy)), "observers")
    assert_cited(room, policy, "max_observers_at_once", "§7")


def test_000_quotes_2a_for_a_review_visits_focus_and_feedback():
    policy = load_preset("learning-visits")
    found = rules.check_visit(plan(kind=VisitKind.REVIEW, focus=None, feedback=None, visitors=(SLT,)), Facts(),
                              ctx(policy))
    for v in found:
        assert v.citation.param.clause == "§2a" and "how staff can access feedback will be communicated" in str(v)
    assert codes(found) == ["focus.missing", "feedback.missing"]


@pytest.mark.parametrize("preset_id", PRESET_IDS)
def test_kind_clauses_quote_verbatim_or_say_why(preset_id):
    policy, document = load_preset(preset_id), _document(preset_id)
    for name, p in policy.params.items():
        for kind, clause in p.by_kind:
            assert clause.name == name and kind in VisitKind
            if clause.local_default:
                assert clause.why and clause.quote is None
            else:
                assert " ".join(clause.quote.split()) in document and len(clause.quote) <= 125


# --- school.yml: focus_areas and inspections ------------------------------------------------------------

SCHOOL = """\
school:
  key: test-school
  name: Test School
  policy: lnct-shared-learning
sessions:
  - name: "2026-27"
    terms:
      - {name: Autumn, start: 2026-09-02, end: 2026-12-18}
    focus_areas: ["feedback in books", "questioning"]
    inspections:
      - {body: HMIe, start: 2026-11-02, end: 2026-11-06}
staff:
  - {id: U1, name: Ann Lee}
"""


def test_school_yml_reads_focus_areas_and_inspection_periods():
    school = parse_school_config(read_school_yaml(SCHOOL)).school
    session = school.calendar.sessions[0]
    assert session.focus_areas == ("feedback in books", "questioning")
    assert session.inspections == (InspectionPeriod("HMIe", date(2026, 11, 2), date(2026, 11, 6)),)
    assert school.calendar.inspection_on(date(2026, 11, 6)).body == "HMIe"
    assert school.calendar.inspection_on(date(2026, 11, 9)) is None


@pytest.mark.parametrize("change, said", [
    (('focus_areas: ["feedback in books", "questioning"]', "focus_areas: questioning"),
     "line 9: session 2026-27: focus_areas must list"),
    (('focus_areas: ["feedback in books", "questioning"]', 'focus_areas: ["questioning", "Questioning"]'),
     "line 9: session 2026-27: the focus area 'Questioning' is listed twice"),
    (("{body: HMIe, start: 2026-11-02, end: 2026-11-06}", "{start: 2026-11-02, end: 2026-11-06}"),
     "line 11: session 2026-27: each inspection period needs its body"),
    (("end: 2026-11-06}", "end: 2026-10-30}"), "line 11: the HMIe inspection of session 2026-27 ends on 2026-10-30"),
    (("end: 2026-11-06}", "end: soon}"), "line 11: the HMIe inspection end: 'soon' is not a date"),
    (("start: 2026-11-02, end: 2026-11-06", "start: 2027-01-11, end: 2027-01-15"),
     "line 11: the HMIe inspection (2027-01-11 to 2027-01-15) is not within session 2026-27"),
])
def test_school_yml_says_what_is_wrong_at_its_line(change, said):
    with pytest.raises(InputError) as err:
        parse_school_config(read_school_yaml(SCHOOL.replace(*change)))
    assert said in str(err.value)
