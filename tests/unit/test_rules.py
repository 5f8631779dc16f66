"""bot.rules: every rule of every preset, pinned to the clause it enforces.

Pure unit tests: no database, no clock. Each refusal is checked for its `code`, for the parameter
and clause it cites (or that it honestly cites a local default), and that the clause's quote is
what the teacher is shown.
"""
from __future__ import annotations

import itertools
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot import rules
from bot.domain.calendar import InspectionPeriod, Period, SchoolCalendar, Session, Term
from bot.domain.model import Objection, Role, Staff, Visit, VisitKind, VisitStatus, Walk
from bot.domain.policy import PRESET_IDS, Policy, load_preset
from bot.rules import Context, Facts, Violation, VisitPlan

# ------------------------------------------------------------------------------- the school's year

TZ = ZoneInfo("Europe/London")

PREV_SUMMER = Term("Summer", date(2026, 4, 13), date(2026, 7, 3))
AUTUMN = Term("Autumn", date(2026, 9, 2), date(2026, 12, 18))
SPRING = Term("Spring", date(2027, 1, 5), date(2027, 3, 26))
SUMMER = Term("Summer", date(2027, 4, 12), date(2027, 7, 2))
HALF_TERM = (date(2027, 2, 15), date(2027, 2, 19))  # February half-term: Mon-Fri

CAL = SchoolCalendar(
    timezone="Europe/London",
    day_start=time(8, 50),
    day_end=time(15, 20),
    sessions=(
        Session("2025-26", (PREV_SUMMER,)),  # only there to show a session boundary
        # An inspection the first fortnight of February: inspection visits are recorded only inside one.
        Session("2026-27", (AUTUMN, SPRING, SUMMER),
                inspections=(InspectionPeriod("HMIe", date(2027, 2, 1), date(2027, 2, 12)),)),
    ),
    holidays=(HALF_TERM,),
    periods=(
        Period("P1", time(8, 50), time(9, 50)),
        Period("P2", time(9, 50), time(10, 50)),
        Period("P3", time(11, 10), time(12, 10)),
        Period("P4", time(13, 10), time(14, 10)),
        Period("P5", time(14, 20), time(15, 20)),
    ),
)
PERIOD_STARTS = tuple(p.start for p in CAL.periods)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=TZ)


# Spring 2027, weeks around the half-term (15-19 Feb). 1 Feb is a Monday.
MON_1 = date(2027, 2, 1)
TUE_2 = date(2027, 2, 2)
WED_3 = date(2027, 2, 3)
THU_4 = date(2027, 2, 4)
FRI_5 = date(2027, 2, 5)
SAT_6 = date(2027, 2, 6)
SUN_7 = date(2027, 2, 7)
MON_8 = date(2027, 2, 8)
TUE_9 = date(2027, 2, 9)
WED_10 = date(2027, 2, 10)
THU_11 = date(2027, 2, 11)
FRI_12 = date(2027, 2, 12)
MON_15 = date(2027, 2, 15)  # half-term
WED_17 = date(2027, 2, 17)  # half-term
MON_22 = date(2027, 2, 22)

NOW = at(MON_1, 8, 0)  # fixed, timezone-aware; every test's clock unless it says otherwise
WANTED = at(WED_10, 9, 50)  # P2, seven school days after NOW: enough notice for every preset

# ------------------------------------------------------------------------------- the school's staff

SCHOOL = 1
TEACHER = Staff(1, SCHOOL, "U02TEACH", "Tom Baker", frozenset({Role.TEACHER}), handle="tom", line_manager="U01HEAD")
PEER = Staff(2, SCHOOL, "U03PEER", "Nadia Peers", frozenset({Role.TEACHER}), handle="nadia")
PEER2 = Staff(3, SCHOOL, "U08PEER", "Omar Reid", frozenset({Role.TEACHER}), handle="omar")
PROMOTED = Staff(4, SCHOOL, "U04PT", "Priya Shah", frozenset({Role.TEACHER, Role.PROMOTED}), handle="priya")
SLT = Staff(5, SCHOOL, "U01HEAD", "Rachel Carli", frozenset({Role.SLT}), handle="rachel")
SUPPORT = Staff(6, SCHOOL, "U05SUP", "Sam Ode", frozenset({Role.SUPPORT}), handle="sam")
GOVERNOR = Staff(7, SCHOOL, "U06GOV", "Gail Grant", frozenset({Role.GOVERNOR}), handle="gail")
LA_OFFICER = Staff(8, SCHOOL, "U07LA", "Liam Hart", frozenset({Role.LA_OFFICER}), handle="liam")
OTHER_TEACHER = Staff(9, SCHOOL, "U09T", "Uma Iyer", frozenset({Role.TEACHER}), handle="uma")
STAFF = (TEACHER, PEER, PEER2, PROMOTED, SLT, SUPPORT, GOVERNOR, LA_OFFICER, OTHER_TEACHER)
ROLE_STAFF = {
    Role.TEACHER: PEER, Role.PROMOTED: PROMOTED, Role.SLT: SLT, Role.SUPPORT: SUPPORT,
    Role.GOVERNOR: GOVERNOR, Role.LA_OFFICER: LA_OFFICER,
}
# Colleagues every preset allows as visitors, for counting observers.
COLLEAGUES = (PEER, PROMOTED, SLT, PEER2)

FOCUS = "pupils' use of talk partners in group work"
FEEDBACK = "a 30-minute dialogue the following day"
ALL_BUT_INSPECTION = frozenset(VisitKind) - {VisitKind.INSPECTION}
OBSERVED_KINDS = sorted(ALL_BUT_INSPECTION)

# ------------------------------------------------------------------------------- builders

_ids = itertools.count(100)


def visit(start: datetime, minutes: int = 60, *, kind: VisitKind = VisitKind.FORMAL, teacher: Staff = TEACHER,
          visitors: tuple[Staff, ...] = (PEER,), status: VisitStatus = VisitStatus.AGREED,
          id: int | None = None, focus: str | None = FOCUS, feedback: str | None = FEEDBACK) -> Visit:
    return Visit(
        id=next(_ids) if id is None else id, school_id=SCHOOL, teacher=teacher.chat_id,
        visitors=tuple(v.chat_id for v in visitors), proposer=visitors[0].chat_id if visitors else teacher.chat_id,
        kind=kind, start=start, minutes=minutes, status=status, focus=focus, feedback=feedback,
    )


def plan(start: datetime = WANTED, minutes: int = 60, *, kind: VisitKind = VisitKind.FORMAL,
         teacher: Staff = TEACHER, visitors: tuple[Staff, ...] = (PEER,), focus: str | None = FOCUS,
         feedback: str | None = FEEDBACK, visit_id: int | None = None) -> VisitPlan:
    return VisitPlan(teacher, tuple(visitors), kind, start, minutes, focus, feedback, visit_id)


def ctx(policy: str | Policy, now: datetime = NOW) -> Context:
    return Context(CAL, load_preset(policy) if isinstance(policy, str) else policy, now)


def walk(day: date, *, start: tuple[int, int] = (9, 0), end: tuple[int, int] = (12, 0), id: int | None = None,
         focus: str = FOCUS, walkers: tuple[Staff, ...] = (SLT,), cancelled: bool = False,
         purpose: str | None = "to see how feedback moves learning on", feedback: str | None = "a staff meeting"
         ) -> Walk:
    return Walk(id, SCHOOL, SLT.chat_id, day, at(day, *start), at(day, *end), focus,
                tuple(w.chat_id for w in walkers), cancelled=cancelled, purpose=purpose, feedback=feedback)


def booked(n: int, *, kind: VisitKind = VisitKind.FORMAL, minutes: int = 20, first: date = date(2026, 9, 14),
           status: VisitStatus = VisitStatus.HELD) -> tuple[Visit, ...]:
    """n of the teacher's visits already booked/held, one a week from `first` (Autumn 2026)."""
    return tuple(visit(at(first + timedelta(weeks=i), 9, 50), minutes, kind=kind, status=status) for i in range(n))


def codes(found: list[Violation]) -> list[str]:
    return [v.code for v in found]


def refusals(found: list[Violation]) -> list[Violation]:
    return [v for v in found if not v.warning]


def one(found: list[Violation], code: str) -> Violation:
    matching = [v for v in found if v.code == code]
    assert len(matching) == 1, f"expected one {code!r}, got {codes(found)}"
    return matching[0]


LOCAL = "<local default>"


def assert_cited(v: Violation, policy: Policy, param: str, clause: str) -> None:
    """`v` cites `param` of `policy`: at `clause` with its quote shown, or honestly as a local default."""
    c = v.citation
    assert c is not None, f"{v.code} carries no citation"
    assert c.param.name == param
    assert c.preset_title == policy.title and c.document == policy.document
    text = str(c)
    assert text in str(v)
    if clause == LOCAL:
        assert c.param.local_default and c.param.clause is None, f"{param} is not a local default"
        assert "local default" in text
        assert c.param.why and c.param.why in text
    else:
        assert not c.param.local_default
        assert c.param.clause == clause
        assert c.param.quote and f'"{c.param.quote}"' in text
        assert f"{policy.title} {clause}:" in text


def nth_weekday_after(day: date, n: int) -> date:
    """The n-th Monday-Friday after `day`, counted by hand (callers keep clear of holidays)."""
    while n:
        day += timedelta(days=1)
        if day.weekday() < 5:
            n -= 1
    return day


# ------------------------------------------------------------------------------- the fixture itself


def test_fixture_calendar_is_what_the_tests_assume():
    assert [d.weekday() for d in (MON_1, FRI_5, SAT_6, SUN_7, MON_8, WED_10, MON_15, MON_22)] == [0, 4, 5, 6, 0, 2, 0, 0]
    assert CAL.holiday_on(WED_17) and not CAL.is_school_day(WED_17)
    assert CAL.term_of(WED_10) == SPRING and CAL.session_of(WED_10).name == "2026-27"
    assert CAL.session_of(date(2026, 6, 10)).name == "2025-26"
    assert CAL.term_of(date(2027, 3, 31)) is None and CAL.session_of(date(2027, 3, 31)).name == "2026-27"
    assert NOW.tzinfo is not None and NOW.utcoffset() == timedelta(0)


@pytest.mark.parametrize("preset_id", PRESET_IDS)
def test_the_baseline_plan_breaks_no_rule(preset_id):
    """Every refusal below changes one thing about this plan, so each refusal is that one thing's doing."""
    assert rules.check_visit(plan(), Facts(staff=STAFF), ctx(preset_id)) == []


# ------------------------------------------------------------------------------- calendar (every preset)

CALENDAR_CASES = [
    ("weekend-saturday", at(SAT_6, 10, 0), 30, "calendar.weekend"),
    ("weekend-sunday", at(SUN_7, 10, 0), 30, "calendar.weekend"),
    ("half-term-holiday", at(WED_17, 9, 50), 30, "calendar.holiday"),
    ("easter-break-outside-term", at(date(2027, 3, 31), 9, 50), 30, "calendar.term"),
    ("between-sessions-outside-term", at(date(2027, 8, 11), 9, 50), 30, "calendar.term"),
    ("before-school-day-start", at(WED_10, 8, 30), 30, "calendar.hours"),
    ("ends-after-school-day-end", at(WED_10, 14, 30), 60, "calendar.hours"),
    ("ends-one-minute-late", at(WED_10, 14, 21), 60, "calendar.hours"),
    ("in-the-past", at(date(2027, 1, 29), 9, 50), 30, "calendar.past"),
    ("earlier-today", at(MON_1, 7, 0), 30, "calendar.past"),
]


@pytest.mark.parametrize("preset_id", PRESET_IDS)
@pytest.mark.parametrize("start,minutes,code", [c[1:] for c in CALENDAR_CASES], ids=[c[0] for c in CALENDAR_CASES])
def test_calendar_refuses(preset_id, start, minutes, code):
    found = rules.check_visit(plan(start, minutes), Facts(), ctx(preset_id))
    calendar = [v for v in found if v.code.startswith("calendar.")]
    assert codes(calendar) == [code]
    assert calendar[0].field == "start"
    assert calendar[0] == rules.calendar_violations(start, minutes, ctx(preset_id))[0]


@pytest.mark.parametrize("preset_id", PRESET_IDS)
@pytest.mark.parametrize("start,minutes", [
    (at(WED_10, 8, 50), 60),  # starts exactly at day start
    (at(WED_10, 14, 20), 60),  # ends exactly at day end
    (at(FRI_12, 14, 20), 60),  # the last lesson before half-term
    (at(MON_22, 8, 50), 30),  # the first lesson after it
])
def test_calendar_allows_the_edges_of_the_school_day(preset_id, start, minutes):
    assert rules.calendar_violations(start, minutes, ctx(preset_id)) == []
    assert rules.check_visit(plan(start, minutes), Facts(), ctx(preset_id)) == []


# ------------------------------------------------------------------------------- notice (every preset)

NOTICE = {  # min_notice_school_days: a local default in every preset
    "learning-visits": 2, "durants-learning-walks": 2, "lnct-shared-learning": 2,
    "trust-learning-walks": 2, "lnct-sharing-classroom-experience": 5,
}


@pytest.mark.parametrize("preset_id", PRESET_IDS)
def test_notice_exactly_enough_is_allowed_one_day_short_refused(preset_id):
    policy = load_preset(preset_id)
    need = NOTICE[preset_id]
    assert policy.min_notice_school_days == need
    now = at(THU_4, 15, 0)  # Thursday: counting forward crosses the weekend
    enough = nth_weekday_after(THU_4, need)
    short = nth_weekday_after(THU_4, need - 1)
    assert enough.weekday() in (0, 1, 2, 3, 4) and (enough - THU_4).days > need  # a weekend lies between
    assert rules.check_visit(plan(at(enough, 9, 50)), Facts(), ctx(policy, now)) == []
    found = rules.check_visit(plan(at(short, 9, 50)), Facts(), ctx(policy, now))
    v = one(found, "notice")
    assert codes(found) == ["notice"]
    assert v.field == "start"
    assert f"this gives {need - 1}" in v.message
    assert_cited(v, policy, "min_notice_school_days", LOCAL)


@pytest.mark.parametrize("preset_id", PRESET_IDS)
def test_notice_does_not_count_holiday_days(preset_id):
    """From Fri 12 Feb (the last day before half-term), Mon 22 Feb is one school day away, not six."""
    need = NOTICE[preset_id]
    now = at(FRI_12, 10, 0)
    enough = nth_weekday_after(date(2027, 2, 19), need)  # counting from the last day of the holiday
    short = nth_weekday_after(date(2027, 2, 19), need - 1)
    assert short.weekday() < 5 and len([d for d in range(1, (short - FRI_12).days + 1)
                                        if (FRI_12 + timedelta(days=d)).weekday() < 5]) >= need + 4
    assert rules.check_visit(plan(at(enough, 9, 50)), Facts(), ctx(preset_id, now)) == []
    found = rules.check_visit(plan(at(short, 9, 50)), Facts(), ctx(preset_id, now))
    assert codes(found) == ["notice"]
    assert f"this gives {need - 1}" in found[0].message


def test_notice_waived_by_check_notice_false():
    """When the teacher agrees, the notice is theirs to waive (services pass check_notice=False)."""
    short = plan(at(TUE_2, 9, 50))
    assert codes(rules.check_visit(short, Facts(), ctx("durants-learning-walks"))) == ["notice"]
    assert rules.check_visit(short, Facts(), ctx("durants-learning-walks"), check_notice=False) == []


# ------------------------------------------------------------------------------- overrides


def test_override_changes_the_notice_rule_and_says_who_agreed_it():
    base = load_preset("durants-learning-walks")
    overridden = base.with_overrides({"min_notice_school_days": {
        "value": 3, "agreed_by": "School Negotiating Committee", "agreed_on": "2026-09-01"}})
    now = at(MON_8, 8, 0)
    two_days, three_days = at(WED_10, 9, 50), at(THU_11, 9, 50)
    assert rules.check_visit(plan(two_days), Facts(), ctx(base, now)) == []  # the preset allows it ...
    v = one(rules.check_visit(plan(two_days), Facts(), ctx(overridden, now)), "notice")  # ... the override not
    assert "at least 3 school days" in v.message
    assert v.citation.param.value == 3 and v.citation.param.override is not None
    text = str(v.citation)
    assert "agreed by School Negotiating Committee on 2026-09-01" in text
    assert "agreed by" in str(v)
    assert rules.check_visit(plan(three_days), Facts(), ctx(overridden, now)) == []


def test_override_of_a_cited_rule_keeps_its_clause():
    policy = load_preset("durants-learning-walks").with_overrides({"max_observers_at_once": {
        "value": 3, "agreed_by": "SNC", "agreed_on": date(2026, 9, 1)}})
    room = dict(minutes=20, kind=VisitKind.LEARNING_WALK)  # §7 is a learning-walk clause
    assert rules.check_visit(plan(visitors=COLLEAGUES[:3], **room), Facts(), ctx(policy)) == []
    v = one(rules.check_visit(plan(visitors=COLLEAGUES[:4], **room), Facts(), ctx(policy)), "observers")
    text = str(v.citation)
    assert text.startswith(f"{policy.title} §7:")
    assert "local override 3, agreed by SNC on 2026-09-01" in text


def test_override_of_a_local_default_does_not_print_none():
    policy = load_preset("durants-learning-walks").with_overrides({"min_notice_school_days": {
        "value": 3, "agreed_by": "School Negotiating Committee", "agreed_on": "2026-09-01"}})
    v = one(rules.check_visit(plan(at(WED_10, 9, 50)), Facts(), ctx(policy, at(MON_8, 8, 0))), "notice")
    text = str(v.citation)
    assert "None" not in text
    assert "local default (the policy sets no minimum notice for a single visit)" in text
    assert text.endswith("local override 3, agreed by School Negotiating Committee on 2026-09-01")


# ------------------------------------------------------------------------------- duration (every preset)

DURATION = {  # preset: (max_visit_minutes clause, walk_visit_max_minutes clause)
    "learning-visits": (LOCAL, LOCAL),
    "durants-learning-walks": ("§9", "Rationale"),
    "lnct-shared-learning": (LOCAL, LOCAL),
    "trust-learning-walks": (LOCAL, LOCAL),
    "lnct-sharing-classroom-experience": (LOCAL, LOCAL),
}


@pytest.mark.parametrize("preset_id", PRESET_IDS)
def test_observation_of_60_minutes_allowed_61_refused(preset_id):
    policy = load_preset(preset_id)
    assert policy.max_visit_minutes == 60
    assert rules.check_visit(plan(minutes=60), Facts(), ctx(policy)) == []
    found = rules.check_visit(plan(minutes=61), Facts(), ctx(policy))
    v = one(found, "duration")
    assert codes(found) == ["duration"] and v.field == "minutes"
    assert_cited(v, policy, "max_visit_minutes", DURATION[preset_id][0])


@pytest.mark.parametrize("preset_id", PRESET_IDS)
def test_learning_walk_room_visit_20_minutes_allowed_21_refused(preset_id):
    policy = load_preset(preset_id)
    assert policy.walk_visit_max_minutes == 20
    walk_plan = lambda m: plan(minutes=m, kind=VisitKind.LEARNING_WALK)  # noqa: E731
    assert rules.check_visit(walk_plan(20), Facts(), ctx(policy)) == []
    found = rules.check_visit(walk_plan(21), Facts(), ctx(policy))
    v = one(found, "duration.walk")
    assert codes(found) == ["duration.walk"] and v.field == "minutes"
    assert_cited(v, policy, "walk_visit_max_minutes", DURATION[preset_id][1])


@pytest.mark.parametrize("minutes", [0, -5])
def test_a_visit_must_last_at_least_a_minute(minutes):
    v = one(rules.duration_violations(plan(minutes=minutes), ctx("learning-visits")), "duration")
    assert v.field == "minutes" and v.citation is None


# ------------------------------------------------------------------------------- observers at once

OBSERVERS = {
    "learning-visits": (2, LOCAL),
    "durants-learning-walks": (2, LOCAL),  # §7 speaks of learning walks; this is a formal visit (finding 9)
    "lnct-shared-learning": (2, LOCAL),
    "trust-learning-walks": (3, LOCAL),  # §5 likewise
    "lnct-sharing-classroom-experience": (2, LOCAL),
}


@pytest.mark.parametrize("preset_id", PRESET_IDS)
def test_observers_at_most_the_preset_number(preset_id):
    policy = load_preset(preset_id)
    most, clause = OBSERVERS[preset_id]
    assert policy.max_observers_at_once == most
    assert rules.check_visit(plan(visitors=COLLEAGUES[:most]), Facts(), ctx(policy)) == []
    found = rules.check_visit(plan(visitors=COLLEAGUES[:most + 1]), Facts(), ctx(policy))
    v = one(found, "observers")
    assert codes(found) == ["observers"] and v.field == "visitors"
    assert f"this names {most + 1}" in v.message
    assert_cited(v, policy, "max_observers_at_once", clause)


# ------------------------------------------------------------------------------- who may visit

# preset -> (clause of visitor_roles, roles refused)
WHO_MAY_VISIT = {
    "learning-visits": (LOCAL, {Role.SUPPORT, Role.GOVERNOR}),
    "durants-learning-walks": ("Who goes on a learning walk?", set()),  # staff, governors, other professionals
    "lnct-shared-learning": ("Principles and Good Practice", {Role.SUPPORT, Role.GOVERNOR}),
    "trust-learning-walks": (LOCAL, {Role.SUPPORT, Role.GOVERNOR, Role.LA_OFFICER}),
    "lnct-sharing-classroom-experience": ("§7", {Role.SUPPORT, Role.GOVERNOR, Role.LA_OFFICER}),
}


@pytest.mark.parametrize("preset_id", PRESET_IDS)
@pytest.mark.parametrize("role", list(ROLE_STAFF), ids=str)
def test_who_may_visit(preset_id, role):
    policy = load_preset(preset_id)
    clause, refused = WHO_MAY_VISIT[preset_id]
    visitor = ROLE_STAFF[role]
    found = rules.check_visit(plan(visitors=(visitor,)), Facts(), ctx(policy))
    if role in refused:
        v = one(found, "visitor.role")
        assert codes(found) == ["visitor.role"] and v.field == "visitors"
        assert visitor.name in v.message
        assert_cited(v, policy, "visitor_roles", clause)
    else:
        assert found == []


def test_governor_may_visit_on_durants_but_not_under_lnct():
    """The agreements differ: Durants lets governors walk; LNCT 3 says fellow professionals or LA staff."""
    governor_visit = plan(visitors=(GOVERNOR,))
    assert rules.check_visit(governor_visit, Facts(), ctx("durants-learning-walks")) == []
    v = one(rules.check_visit(governor_visit, Facts(), ctx("lnct-shared-learning")), "visitor.role")
    assert "must be undertaken by fellow professionals or specified local authority staff" in str(v)


@pytest.mark.parametrize("preset_id", PRESET_IDS)
def test_a_teacher_cannot_visit_their_own_class(preset_id):
    v = one(rules.check_visit(plan(visitors=(TEACHER,)), Facts(), ctx(preset_id)), "visitor.self")
    assert v.field == "visitors"


# ------------------------------------------------------------------------------- objections

OBJECTION_CLAUSE = {  # concerns_to_line_manager
    "learning-visits": LOCAL,
    "durants-learning-walks": LOCAL,
    "lnct-shared-learning": LOCAL,
    "trust-learning-walks": "§13",
    "lnct-sharing-classroom-experience": "Action points",
}


@pytest.mark.parametrize("preset_id", PRESET_IDS)
def test_teacher_objection_refuses_that_observer_only(preset_id):
    policy = load_preset(preset_id)
    facts = Facts(objections=(Objection(1, SCHOOL, TEACHER.chat_id, PEER.chat_id, "unresolved dispute", NOW),))
    found = rules.check_visit(plan(visitors=(PEER, PROMOTED)), facts, ctx(policy))
    v = one(found, "visitor.objection")
    assert codes(found) == ["visitor.objection"]
    assert v.field == "visitors" and PEER.name in v.message and PROMOTED.name not in v.message
    assert_cited(v, policy, "concerns_to_line_manager", OBJECTION_CLAUSE[preset_id])
    assert rules.check_visit(plan(visitors=(PROMOTED,)), facts, ctx(policy)) == []


# ------------------------------------------------------------------------------- focus

FOCUS_REQUIRED = {  # preset -> (clause, a kind needing a focus, a kind not needing one or None)
    "learning-visits": ("§1a, §2a, §3a", VisitKind.PRD, VisitKind.PEER),
    "durants-learning-walks": ("§1", VisitKind.LEARNING_WALK, VisitKind.FORMAL),
    "lnct-shared-learning": ("Planned and Focused", VisitKind.FORMAL, None),
    "trust-learning-walks": ("§1", VisitKind.LEARNING_WALK, VisitKind.FORMAL),
    "lnct-sharing-classroom-experience": ("§3", VisitKind.PEER, None),
}
FOCUS_INDIVIDUAL = {  # for a formal visit: §8 and §2 speak of learning walks (test_walk_focus has them)
    "learning-visits": LOCAL,
    "durants-learning-walks": LOCAL,
    "lnct-shared-learning": "Principles and Good Practice",
    "trust-learning-walks": LOCAL,
    "lnct-sharing-classroom-experience": LOCAL,
}


@pytest.mark.parametrize("preset_id", PRESET_IDS)
def test_focus_required(preset_id):
    policy = load_preset(preset_id)
    clause, needs, needs_not = FOCUS_REQUIRED[preset_id]
    minutes = 20  # short enough for a learning-walk room visit too
    for blank in (None, "", "   "):
        found = rules.check_visit(plan(minutes=minutes, kind=needs, focus=blank), Facts(), ctx(policy))
        v = one(found, "focus.missing")
        assert codes(refusals(found)) == ["focus.missing"] and v.field == "focus"
        assert_cited(v, policy, "focus_required_kinds", clause)
    if needs_not is not None:
        assert needs_not not in policy.focus_required_kinds
        assert "focus.missing" not in codes(rules.check_visit(
            plan(minutes=minutes, kind=needs_not, focus=None), Facts(), ctx(policy)))


@pytest.mark.parametrize("preset_id", PRESET_IDS)
@pytest.mark.parametrize("focus", [
    "Tom Baker's performance",
    "the capability of the class teacher",
    "how Rachel Carli's class uses talk partners",  # names a member of staff
    "Omar's competence with questioning",
    "@tom and his questioning",
])
def test_focus_about_one_person_refused(preset_id, focus):
    policy = load_preset(preset_id)
    assert policy.focus_not_about_individual is True
    found = rules.check_visit(plan(focus=focus), Facts(staff=STAFF), ctx(policy))
    v = one(found, "focus.individual")
    assert codes(found) == ["focus.individual"] and v.field == "focus"
    assert_cited(v, policy, "focus_not_about_individual", FOCUS_INDIVIDUAL[preset_id])


@pytest.mark.parametrize("focus", [FOCUS, "questioning to deepen pupils' thinking", "use of the outdoor area"])
def test_focus_on_learning_allowed(focus):
    assert rules.focus_violations(VisitKind.FORMAL, focus, Facts(staff=STAFF), ctx("trust-learning-walks")) == []


# ------------------------------------------------------------------------------- feedback arrangements

FEEDBACK_REQUIRED = {  # preset -> (clause, kinds that need feedback agreed beforehand)
    "learning-visits": (LOCAL, {VisitKind.FORMAL, VisitKind.PRD, VisitKind.REVIEW}),
    "durants-learning-walks": (LOCAL, {VisitKind.FORMAL, VisitKind.PRD, VisitKind.REVIEW}),
    "lnct-shared-learning": ("Principles and Good Practice", {VisitKind.FORMAL}),
    "trust-learning-walks": (LOCAL, {VisitKind.FORMAL, VisitKind.PRD, VisitKind.REVIEW}),
    "lnct-sharing-classroom-experience": ("§3", set(ALL_BUT_INSPECTION)),
}


@pytest.mark.parametrize("preset_id", PRESET_IDS)
@pytest.mark.parametrize("kind", OBSERVED_KINDS, ids=str)
def test_feedback_arrangements(preset_id, kind):
    policy = load_preset(preset_id)
    clause, needed = FEEDBACK_REQUIRED[preset_id]
    assert policy.feedback_required_kinds == needed
    found = rules.check_visit(plan(minutes=20, kind=kind, visitors=(PROMOTED,), feedback=None), Facts(), ctx(policy))
    if kind in needed:
        v = one(found, "feedback.missing")
        assert codes(found) == ["feedback.missing"] and v.field == "feedback"
        # 000 §2a: how staff access feedback from a review is communicated before it.
        review = preset_id == "learning-visits" and kind is VisitKind.REVIEW
        assert_cited(v, policy, "feedback_required_kinds", "§2a" if review else clause)
    else:
        assert found == []


# ------------------------------------------------------------------------------- clashes (every preset)


@pytest.mark.parametrize("preset_id", PRESET_IDS)
def test_teacher_double_booked_refused(preset_id):
    other = visit(at(WED_10, 10, 0), 30, visitors=(SLT,), status=VisitStatus.PROPOSED)
    found = rules.check_visit(plan(), Facts(busy=(other,)), ctx(preset_id))
    v = one(found, "clash")
    assert codes(found) == ["clash"] and v.field == "teacher"
    assert TEACHER.name in v.message and f"#{other.id}" in v.message


@pytest.mark.parametrize("preset_id", PRESET_IDS)
def test_visitor_double_booked_refused(preset_id):
    # PEER is being visited in their own class at 10:30 (they are that visit's teacher).
    other = visit(at(WED_10, 10, 30), 60, teacher=PEER, visitors=(SLT,))
    found = rules.check_visit(plan(), Facts(busy=(other,)), ctx(preset_id))
    v = one(found, "clash")
    assert v.field == "visitors" and PEER.name in v.message
    # ... or visiting another class at the same time.
    elsewhere = visit(at(WED_10, 9, 0), 60, teacher=OTHER_TEACHER, visitors=(PEER,))
    assert one(rules.check_visit(plan(), Facts(busy=(elsewhere,)), ctx(preset_id)), "clash").field == "visitors"


@pytest.mark.parametrize("preset_id", PRESET_IDS)
def test_adjacent_visits_do_not_clash(preset_id):
    before = visit(at(WED_10, 8, 50), 60, visitors=(SLT,))  # ends 09:50 == plan start
    after = visit(at(WED_10, 10, 50), 60, teacher=OTHER_TEACHER, visitors=(PEER,))  # starts 10:50 == plan end
    assert before.end == WANTED and after.start == plan().end
    assert rules.check_visit(plan(), Facts(busy=(before, after)), ctx(preset_id)) == []


def test_clash_ignores_closed_visits_and_the_visit_itself():
    facts = Facts(busy=tuple(
        visit(WANTED, 60, visitors=(SLT,), status=s)
        for s in (VisitStatus.DECLINED, VisitStatus.WITHDRAWN, VisitStatus.CANCELLED)))
    assert rules.clash_violations(plan(), facts, ctx("learning-visits")) == []
    itself = visit(WANTED, 60, id=42)
    assert codes(rules.clash_violations(plan(), Facts(busy=(itself,)), ctx("learning-visits"))) == ["clash", "clash"]
    assert rules.clash_violations(plan(visit_id=42), Facts(busy=(itself,)), ctx("learning-visits")) == []


def test_clash_names_each_person_once():
    a = visit(at(WED_10, 9, 0), 60, visitors=(PEER,))
    b = visit(at(WED_10, 10, 0), 30, visitors=(PEER,))
    found = rules.clash_violations(plan(), Facts(busy=(a, b)), ctx("learning-visits"))
    assert sorted(v.field for v in found) == ["teacher", "visitors"]


# ------------------------------------------------------------------------------- inspections


@pytest.mark.parametrize("preset_id", PRESET_IDS)
def test_inspection_is_never_refused_by_caps_notice_or_other_rules(preset_id):
    inspection = plan(at(TUE_2, 9, 50), 90, kind=VisitKind.INSPECTION, visitors=(LA_OFFICER, SLT),
                      focus=None, feedback=None)
    facts = Facts(
        teacher_booked=booked(6) + booked(4, kind=VisitKind.LEARNING_WALK, first=date(2026, 11, 2)),
        busy=(visit(at(TUE_2, 10, 0), 30, visitors=(SLT,)),),
        objections=(Objection(1, SCHOOL, TEACHER.chat_id, SLT.chat_id, "r", NOW),),
    )
    # The same plan as a formal visit is refused many times over ...
    assert len(refusals(rules.check_visit(plan(at(TUE_2, 9, 50), 90, visitors=inspection.visitors,
                                                focus=None, feedback=None), facts, ctx(preset_id)))) >= 5
    # ... but an inspection is recorded (000 §2b: it cannot be agreed in advance); going past a cap is a warning.
    assert refusals(rules.check_visit(inspection, facts, ctx(preset_id))) == []


@pytest.mark.parametrize("preset_id", PRESET_IDS)
def test_inspection_is_still_held_to_the_calendar(preset_id):
    found = rules.check_visit(plan(at(SAT_6, 10, 0), kind=VisitKind.INSPECTION, focus=None), Facts(), ctx(preset_id))
    assert codes(found) == ["calendar.weekend"] and found[0].field == "start"


# ------------------------------------------------------------------------------- every broken rule


@pytest.mark.parametrize("preset_id", PRESET_IDS)
def test_check_visit_lists_every_broken_rule(preset_id):
    policy = load_preset(preset_id)
    too_many = COLLEAGUES[:policy.max_observers_at_once + 1]
    found = rules.check_visit(plan(at(TUE_2, 9, 50), 61, visitors=too_many), Facts(), ctx(policy))
    assert {"notice", "duration", "observers"} <= set(codes(found))
    assert len(codes(found)) == len(set(codes(found))) == 3


def test_check_visit_lists_every_broken_rule_including_clash_and_role():
    facts = Facts(busy=(visit(at(TUE_2, 10, 0), 30, visitors=(SLT,)),), staff=STAFF)
    found = rules.check_visit(
        plan(at(TUE_2, 9, 50), 61, visitors=(PEER, GOVERNOR, SUPPORT), focus="Tom Baker's performance", feedback=None),
        facts, ctx("lnct-shared-learning"))
    assert set(codes(found)) == {"notice", "duration", "observers", "visitor.role", "focus.individual",
                                 "feedback.missing", "clash"}
    assert codes(found).count("visitor.role") == 2  # the governor and the support assistant


def test_warnings_come_last():
    found = rules.check_visit(plan(kind=VisitKind.PRD, feedback=None), Facts(), ctx("learning-visits"))
    assert codes(found) == ["feedback.missing", "prd.promoted"]
    assert [v.warning for v in found] == [False, True]


# ------------------------------------------------------------------------------- durants-learning-walks

DURANTS = "durants-learning-walks"


@pytest.mark.parametrize("kind", [VisitKind.FORMAL, VisitKind.LEARNING_WALK, VisitKind.PEER], ids=str)
def test_durants_observation_cap_third_allowed_fourth_refused(kind):
    policy = load_preset(DURANTS)
    assert policy.observations_per_year == 3
    new = plan(minutes=20, kind=kind)
    assert rules.check_visit(new, Facts(teacher_booked=booked(2)), ctx(policy)) == []
    found = rules.check_visit(new, Facts(teacher_booked=booked(3)), ctx(policy))
    v = one(found, "cap.observations_per_year")
    assert codes(found) == ["cap.observations_per_year"] and v.field == "teacher"
    assert "3 of 3 observations" in v.message and "2026-27" in v.message
    assert_cited(v, policy, "observations_per_year", "§9")


def test_durants_walk_visits_count_towards_the_observation_cap():
    walked = booked(3, kind=VisitKind.LEARNING_WALK)
    v = one(rules.check_visit(plan(minutes=20), Facts(teacher_booked=walked), ctx(DURANTS)), "cap.observations_per_year")
    assert "counted towards the overall maximum of three observations per year" in str(v)


def test_durants_observation_minutes_120_plus_60_allowed_121_plus_60_refused():
    policy = load_preset(DURANTS)
    assert policy.observation_minutes_per_year == 180
    first = date(2026, 10, 5)
    used_120 = (visit(at(first, 9, 50), 60), visit(at(first + timedelta(weeks=1), 9, 50), 60))
    used_121 = (visit(at(first, 9, 50), 60), visit(at(first + timedelta(weeks=1), 9, 50), 61))
    assert rules.check_visit(plan(minutes=60), Facts(teacher_booked=used_120), ctx(policy)) == []
    found = rules.check_visit(plan(minutes=60), Facts(teacher_booked=used_121), ctx(policy))
    v = one(found, "cap.observation_minutes_per_year")
    assert codes(found) == ["cap.observation_minutes_per_year"]  # two visits: the count cap still has room
    assert "121 of 180 minutes" in v.message and "60 more" in v.message
    assert_cited(v, policy, "observation_minutes_per_year", "§9")


def test_durants_caps_count_only_booked_visits_in_this_session():
    not_booked = booked(3, status=VisitStatus.CANCELLED) + booked(3, status=VisitStatus.DECLINED)
    last_session = booked(3, first=date(2026, 5, 4))
    assert CAL.session_of(last_session[0].start.date()).name == "2025-26"
    assert rules.check_visit(plan(), Facts(teacher_booked=not_booked + last_session), ctx(DURANTS)) == []


def test_durants_re_checking_a_booked_visit_does_not_count_it_twice():
    mine = booked(3)
    moved = plan(minutes=20, visit_id=mine[2].id)
    assert rules.check_visit(moved, Facts(teacher_booked=mine), ctx(DURANTS)) == []


def test_durants_usage_shows_each_cap():
    session = CAL.session_of(WED_10)
    lines = rules.usage(booked(2, minutes=45), session.start, session.end, ctx(DURANTS))
    assert [str(line) for line in lines] == ["2 of 3 observations used this year", "90 of 180 minutes"]


def test_durants_walk_frequency_once_a_term():
    policy = load_preset(DURANTS)
    assert policy.walks_per_term == 1
    first = walk(date(2027, 1, 20), id=1)
    now = at(date(2027, 1, 11), 9, 0)
    same_term = walk(date(2027, 3, 10))
    found = rules.check_walk(same_term, (SLT,), Facts(walks=(first,)), ctx(policy, now))
    v = one(found, "walk.frequency")
    assert codes(found) == ["walk.frequency"] and "#1" in v.message and "Spring" in v.message
    assert_cited(v, policy, "walks_per_term", "§3")
    other_term = walk(date(2027, 5, 12))
    assert rules.check_walk(other_term, (SLT,), Facts(walks=(first,)), ctx(policy, now)) == []
    # A cancelled walk does not use the term's walk, nor does re-checking the same walk.
    assert rules.check_walk(same_term, (SLT,), Facts(walks=(walk(date(2027, 1, 20), id=1, cancelled=True),)),
                            ctx(policy, now)) == []
    assert rules.check_walk(walk(date(2027, 3, 10), id=1), (SLT,), Facts(walks=(first,)), ctx(policy, now)) == []


@pytest.mark.parametrize("preset_id", [p for p in PRESET_IDS if p != DURANTS])
def test_other_presets_set_no_walk_frequency(preset_id):
    assert load_preset(preset_id).walks_per_term is None
    walks = (walk(date(2027, 1, 20), id=1), walk(date(2027, 1, 27), id=2), walk(date(2027, 3, 3), id=3),
             walk(date(2027, 3, 4), id=4))
    assert rules.check_walk(walk(date(2027, 3, 10)), (SLT,), Facts(walks=walks), ctx(preset_id, at(MON_1, 8))) == []


# The walk is in the week of Mon 8 Feb; the programme goes out in the week of Mon 1 Feb.
@pytest.mark.parametrize("now,late", [
    (at(MON_1, 8, 0), False),  # start of the week before
    (at(FRI_5, 14, 0), False),  # Friday of the week before, during the school day
    (at(FRI_5, 15, 20), False),  # the last moment: end of that school day
    (at(FRI_5, 15, 21), True),  # after the end of that school day
    (at(SAT_6, 10, 0), True),  # the weekend before the walk week
    (at(MON_8, 8, 0), True),  # Monday of the walk week
])
def test_durants_walk_notice_in_the_week_before_the_walk_week(now, late):
    policy = load_preset(DURANTS)
    assert policy.walk_announce_in_week_before is True
    first, latest = rules.walk_announcement_due(WED_10, ctx(policy, now))
    assert (first, latest) == (at(MON_1, 8, 50), at(FRI_5, 15, 20))
    found = rules.check_walk(walk(WED_10), (SLT, PROMOTED), Facts(), ctx(policy, now))
    if late:
        v = one(found, "walk.notice")
        assert codes(found) == ["walk.notice"] and v.field == "start"
        assert "Fri 5 Feb 15:20" in v.message
        assert_cited(v, policy, "walk_announce_in_week_before", "§2")
    else:
        assert found == []


def test_durants_walk_after_half_term_is_announced_before_the_holiday():
    """The week before the walk week (22 Feb) is half-term: the programme must reach staff on the last
    school day before it (Fri 12 Feb), not on a holiday Monday -- from which the announcement would be
    put off to the next school morning, Mon 22 Feb, in the walk week itself."""
    policy = load_preset(DURANTS)
    walk_day = date(2027, 2, 24)
    first, latest = rules.walk_announcement_due(walk_day, ctx(policy))
    assert (first, latest) == (at(FRI_12, 8, 50), at(FRI_12, 15, 20))
    assert CAL.next_school_morning(first) == first  # so the announcement goes out before the holiday
    assert rules.check_walk(walk(walk_day), (SLT,), Facts(), ctx(policy, at(FRI_12, 15, 0))) == []
    v = one(rules.check_walk(walk(walk_day), (SLT,), Facts(), ctx(policy, at(MON_15, 9, 0))), "walk.notice")
    assert "Fri 12 Feb 15:20" in v.message
    assert_cited(v, policy, "walk_announce_in_week_before", "§2")


@pytest.mark.parametrize("preset_id", [p for p in PRESET_IDS if p != DURANTS])
def test_walk_notice_in_school_days_elsewhere(preset_id):
    policy = load_preset(preset_id)
    assert policy.walk_announce_in_week_before is False and policy.walk_notice_school_days == 5
    # Five school days before Wed 10 Feb: Tue 9, Mon 8, Fri 5, Thu 4, Wed 3 -> by the end of Wed 3 Feb.
    assert rules.walk_announcement_due(WED_10, ctx(policy))[1] == at(WED_3, 15, 20)
    assert rules.check_walk(walk(WED_10), (SLT,), Facts(), ctx(policy, at(WED_3, 15, 0))) == []
    v = one(rules.check_walk(walk(WED_10), (SLT,), Facts(), ctx(policy, at(THU_4, 8, 0))), "walk.notice")
    assert_cited(v, policy, "walk_notice_school_days", LOCAL)


@pytest.mark.parametrize("preset_id,most,clause", [(DURANTS, 2, "§7"), ("trust-learning-walks", 3, "§5")])
def test_walkers_at_once(preset_id, most, clause):
    policy = load_preset(preset_id)
    walkers = (SLT, PROMOTED, PEER, PEER2)
    assert rules.check_walk(walk(WED_10), walkers[:most], Facts(), ctx(policy)) == []
    found = rules.check_walk(walk(WED_10), walkers[:most + 1], Facts(), ctx(policy))
    v = one(found, "observers")
    assert codes(found) == ["observers"] and v.field == "visitors"
    assert_cited(v, policy, "max_observers_at_once", clause)


def test_durants_governor_may_walk_trust_governor_may_not():
    assert rules.check_walk(walk(WED_10), (SLT, GOVERNOR), Facts(), ctx(DURANTS)) == []
    assert rules.check_visit(plan(minutes=20, kind=VisitKind.LEARNING_WALK, visitors=(GOVERNOR,)), Facts(),
                             ctx(DURANTS)) == []
    policy = load_preset("trust-learning-walks")
    v = one(rules.check_walk(walk(WED_10), (SLT, GOVERNOR), Facts(), ctx(policy)), "visitor.role")
    assert GOVERNOR.name in v.message
    assert_cited(v, policy, "visitor_roles", LOCAL)


@pytest.mark.parametrize("preset_id,focus_clause,individual_clause", [
    (DURANTS, "§1", "§8"), ("trust-learning-walks", "§1", "§2")])
def test_walk_focus(preset_id, focus_clause, individual_clause):
    policy = load_preset(preset_id)
    v = one(rules.check_walk(walk(WED_10, focus=""), (SLT,), Facts(), ctx(policy)), "focus.missing")
    assert_cited(v, policy, "focus_required_kinds", focus_clause)
    v = one(rules.check_walk(walk(WED_10, focus="Tom Baker's performance"), (SLT,), Facts(staff=STAFF), ctx(policy)),
            "focus.individual")
    assert_cited(v, policy, "focus_not_about_individual", individual_clause)


def test_walk_needs_walkers_and_a_school_day():
    assert codes(rules.check_walk(walk(WED_10), (), Facts(), ctx(DURANTS))) == ["walk.walkers"]
    assert "calendar.holiday" in codes(rules.check_walk(walk(WED_17), (SLT,), Facts(), ctx(DURANTS)))
    assert "calendar.hours" in codes(rules.check_walk(walk(WED_10, end=(16, 0)), (SLT,), Facts(), ctx(DURANTS)))


# ------------------------------------------------------------------------------- trust-learning-walks

TRUST = "trust-learning-walks"


def test_trust_three_observers_ok_four_refused():
    policy = load_preset(TRUST)
    assert rules.check_visit(plan(visitors=(PEER, PROMOTED, SLT)), Facts(), ctx(policy)) == []
    room = dict(minutes=20, kind=VisitKind.LEARNING_WALK)
    v = one(rules.check_visit(plan(visitors=(PEER, PROMOTED, SLT, PEER2), **room), Facts(), ctx(policy)), "observers")
    assert "A maximum of three colleagues will be involved in 'learning walks' at any time." in str(v)


@pytest.mark.parametrize("focus", ["Tom Baker's performance", "what Nadia Peers does at the start of lessons"])
def test_trust_focus_about_an_individual_refused(focus):
    policy = load_preset(TRUST)
    room = plan(minutes=20, kind=VisitKind.LEARNING_WALK, focus=focus)  # §2 is a learning-walk clause
    v = one(rules.check_visit(room, Facts(staff=STAFF), ctx(policy)), "focus.individual")
    assert_cited(v, policy, "focus_not_about_individual", "§2")
    assert "That purpose or focus will not relate to the performance of an individual" in str(v)


def test_trust_sets_no_visit_caps():
    assert rules.check_visit(plan(), Facts(teacher_booked=booked(12, minutes=60)), ctx(TRUST)) == []


# ------------------------------------------------------------------------------- lnct-shared-learning

LNCT3 = "lnct-shared-learning"


@pytest.mark.parametrize("kind", [VisitKind.FORMAL, VisitKind.REVIEW], ids=str)
def test_lnct3_formal_cap_third_allowed_fourth_refused(kind):
    policy = load_preset(LNCT3)
    assert policy.formal_visits_per_session == 3
    new = plan(kind=kind)
    assert rules.check_visit(new, Facts(teacher_booked=booked(2)), ctx(policy)) == []
    found = rules.check_visit(new, Facts(teacher_booked=booked(3)), ctx(policy))
    v = one(found, "cap.formal_visits_per_session")
    assert codes(found) == ["cap.formal_visits_per_session"] and v.field == "teacher"
    assert "3 of 3 formal visits" in v.message and "2026-27" in v.message
    assert_cited(v, policy, "formal_visits_per_session", "Principles and Good Practice")


def test_lnct3_informal_visits_are_not_capped():
    assert rules.check_visit(plan(kind=VisitKind.PEER), Facts(teacher_booked=booked(3)), ctx(LNCT3)) == []
    assert rules.check_visit(plan(), Facts(teacher_booked=booked(6, kind=VisitKind.PEER)), ctx(LNCT3)) == []


@pytest.mark.parametrize("counted", [VisitKind.INSPECTION, VisitKind.REVIEW], ids=str)
def test_lnct3_inspection_and_review_visits_count_towards_the_formal_cap(counted):
    policy = load_preset(LNCT3)
    param = policy.params["inspection_visits_count"]
    assert param.value is True and param.clause == "Links to VSE and HMIe"
    assert "do not experience too many visits in any one session" in param.quote
    facts = Facts(teacher_booked=booked(2) + booked(1, kind=counted, first=date(2026, 11, 16)))
    v = one(rules.check_visit(plan(), facts, ctx(policy)), "cap.formal_visits_per_session")
    assert_cited(v, policy, "formal_visits_per_session", "Principles and Good Practice")
    # Without the VSE/HMIe clause the inspection would not count: the clause is what refuses.
    if counted is VisitKind.INSPECTION:
        relaxed = policy.with_overrides({"inspection_visits_count": {
            "value": False, "agreed_by": "LNCT", "agreed_on": "2026-09-01"}})
        assert rules.check_visit(plan(), facts, ctx(relaxed)) == []


def test_lnct3_visits_in_the_previous_session_do_not_count():
    last_session = booked(3, first=date(2026, 5, 4))
    assert {CAL.session_of(v.start.date()).name for v in last_session} == {"2025-26"}
    assert rules.check_visit(plan(), Facts(teacher_booked=last_session), ctx(LNCT3)) == []
    this_session = booked(3, first=date(2027, 1, 11))
    assert codes(rules.check_visit(plan(), Facts(teacher_booked=last_session + this_session), ctx(LNCT3))) == [
        "cap.formal_visits_per_session"]


def test_lnct3_formal_visit_needs_focus_and_feedback():
    policy = load_preset(LNCT3)
    found = rules.check_visit(plan(focus=None, feedback=None), Facts(), ctx(policy))
    assert codes(found) == ["focus.missing", "feedback.missing"]
    assert_cited(found[0], policy, "focus_required_kinds", "Planned and Focused")
    assert_cited(found[1], policy, "feedback_required_kinds", "Principles and Good Practice")
    assert "Feedback following formal SLEs should focus on the agreed points" in str(found[1])


def test_lnct3_governor_may_not_visit_la_officer_may():
    policy = load_preset(LNCT3)
    v = one(rules.check_visit(plan(visitors=(GOVERNOR,)), Facts(), ctx(policy)), "visitor.role")
    assert_cited(v, policy, "visitor_roles", "Principles and Good Practice")
    assert rules.check_visit(plan(visitors=(LA_OFFICER,)), Facts(), ctx(policy)) == []


def test_lnct3_usage_counts_inspections_as_formal():
    facts = booked(1) + booked(1, kind=VisitKind.INSPECTION, first=date(2026, 11, 2))
    session = CAL.session_of(WED_10)
    lines = rules.usage(facts, session.start, session.end, ctx(LNCT3))
    assert str(lines[0]) == "2 of 3 formal visits used this session"


# ------------------------------------------------------------------------------- lnct-sharing-classroom-experience

LNCT_SCE = "lnct-sharing-classroom-experience"
HELD_PEER = visit(at(date(2027, 1, 20), 9, 50), kind=VisitKind.PEER, status=VisitStatus.HELD)
HELD_FORMAL = visit(at(date(2027, 1, 20), 9, 50), kind=VisitKind.FORMAL, status=VisitStatus.HELD)
PLAIN_NOTE = "Pupils explained their fractions method to a partner; ask about the group task."


def test_lnct_sce_peer_visits_keep_only_the_date():
    policy = load_preset(LNCT_SCE)
    assert policy.peer_visits_date_only is True
    found = rules.check_note(HELD_PEER, PLAIN_NOTE, ctx(policy))
    v = one(found, "records.peer")
    assert codes(found) == ["records.peer"]
    assert_cited(v, policy, "peer_visits_date_only", "§7")
    assert rules.check_note(HELD_FORMAL, PLAIN_NOTE, ctx(policy)) == []


@pytest.mark.parametrize("preset_id", [p for p in PRESET_IDS if p != LNCT_SCE])
def test_other_presets_allow_notes_on_peer_visits(preset_id):
    assert load_preset(preset_id).peer_visits_date_only is False
    assert rules.check_note(HELD_PEER, PLAIN_NOTE, ctx(preset_id)) == []


NO_GRADES = {
    "learning-visits": LOCAL, "durants-learning-walks": LOCAL, "lnct-shared-learning": LOCAL,
    "trust-learning-walks": LOCAL, "lnct-sharing-classroom-experience": "§5",
}


@pytest.mark.parametrize("preset_id", PRESET_IDS)
@pytest.mark.parametrize("note", [
    "Outstanding lesson",
    "Overall grade 2",
    "Grade: 3",
    "Behaviour ✓ Pace ✓",
    "☑ objectives shared",
    "requires improvement on pace",
])
def test_notes_with_grades_refused(preset_id, note):
    policy = load_preset(preset_id)
    v = one(rules.check_note(HELD_FORMAL, note, ctx(policy)), "records.grades")
    assert_cited(v, policy, "no_grades", NO_GRADES[preset_id])


def test_lnct_sce_grades_quote():
    v = one(rules.check_note(HELD_FORMAL, "grade 2", ctx(LNCT_SCE)), "records.grades")
    assert "The visitor should avoid a tick box and grades approach." in str(v)


@pytest.mark.parametrize("note", [
    PLAIN_NOTE,
    "Good use of mini whiteboards; pupils were satisfied with their answers.",
    "Talk partners used in 2 of the 3 tasks; gradual release of responsibility.",
    "3/4 of the class finished the extension task.",
])
def test_plain_notes_allowed(note):
    assert rules.check_note(HELD_FORMAL, note, ctx(LNCT_SCE)) == []


@pytest.mark.parametrize("kind", OBSERVED_KINDS, ids=str)
def test_lnct_sce_focus_and_feedback_for_every_kind_but_inspection(kind):
    policy = load_preset(LNCT_SCE)
    assert policy.focus_required_kinds == ALL_BUT_INSPECTION == policy.feedback_required_kinds
    found = rules.check_visit(plan(minutes=20, kind=kind, focus=None, feedback=None), Facts(), ctx(policy))
    assert codes(found) == ["focus.missing", "feedback.missing"]
    assert_cited(found[0], policy, "focus_required_kinds", "§3")
    assert_cited(found[1], policy, "feedback_required_kinds", "§3")
    inspection = plan(minutes=20, kind=VisitKind.INSPECTION, focus=None, feedback=None)
    assert rules.check_visit(inspection, Facts(), ctx(policy)) == []


# ------------------------------------------------------------------------------- learning-visits (PRD)

LV = "learning-visits"


def test_prd_without_a_promoted_visitor_is_a_warning_not_a_refusal():
    policy = load_preset(LV)
    assert policy.prd_promoted_visitor is True
    found = rules.check_visit(plan(kind=VisitKind.PRD, visitors=(PEER,)), Facts(), ctx(policy))
    v = one(found, "prd.promoted")
    assert v.warning is True and refusals(found) == [] and v.field == "visitors"
    assert_cited(v, policy, "prd_promoted_visitor", "§3a")
    assert "At least one of the visits will be undertaken by a promoted member of staff." in str(v)


@pytest.mark.parametrize("visitors", [(PROMOTED,), (SLT,), (PEER, PROMOTED)], ids=["promoted", "slt", "mixed"])
def test_prd_with_a_promoted_visitor_no_warning(visitors):
    assert rules.check_visit(plan(kind=VisitKind.PRD, visitors=visitors), Facts(), ctx(LV)) == []


def test_prd_warning_silenced_by_an_earlier_prd_visit_by_promoted_staff_this_session():
    earlier = visit(at(date(2027, 1, 20), 9, 50), kind=VisitKind.PRD, visitors=(PROMOTED,), status=VisitStatus.HELD)
    facts = Facts(teacher_booked=(earlier,), staff=STAFF)
    assert rules.check_visit(plan(kind=VisitKind.PRD, visitors=(PEER,)), facts, ctx(LV)) == []


@pytest.mark.parametrize("earlier", [
    visit(at(date(2027, 1, 20), 9, 50), kind=VisitKind.PRD, visitors=(PEER2,), status=VisitStatus.HELD),
    visit(at(date(2026, 5, 6), 9, 50), kind=VisitKind.PRD, visitors=(PROMOTED,), status=VisitStatus.HELD),
], ids=["earlier-prd-by-a-peer", "promoted-prd-last-session"])
def test_prd_warning_not_silenced_by_a_prd_visit_that_does_not_meet_3a(earlier):
    """§3a wants a promoted visitor among this session's PRD visits: a peer's PRD visit, or last
    session's, does not meet it."""
    facts = Facts(teacher_booked=(earlier,), staff=STAFF)
    v = one(rules.check_visit(plan(kind=VisitKind.PRD, visitors=(PEER,)), facts, ctx(LV)), "prd.promoted")
    assert v.warning


@pytest.mark.parametrize("preset_id", [p for p in PRESET_IDS if p != LV])
def test_no_prd_warning_where_the_agreement_has_none(preset_id):
    assert load_preset(preset_id).prd_promoted_visitor is False
    assert rules.check_visit(plan(kind=VisitKind.PRD, visitors=(PEER,)), Facts(), ctx(preset_id)) == []


def test_learning_visits_prd_needs_a_focus():
    policy = load_preset(LV)
    v = one(rules.check_visit(plan(kind=VisitKind.PRD, visitors=(PROMOTED,), focus=None), Facts(), ctx(policy)),
            "focus.missing")
    assert "Learning visits as part of the annual PRD process will have an agreed focus" in str(v)


# ------------------------------------------------------------------------------- dialogue (every preset)

HELD = visit(at(WED_3, 9, 50), 60, status=VisitStatus.HELD, id=7)  # 09:50-10:50, Wed 3 Feb


@pytest.mark.parametrize("preset_id", PRESET_IDS)
def test_dialogue_within_five_school_days_ok_a_day_later_refused(preset_id):
    policy = load_preset(preset_id)
    within = policy.dialogue_within_school_days
    assert within == 5
    now = at(WED_3, 8, 0)
    last_day = nth_weekday_after(WED_3, within)  # Thu 4, Fri 5, Mon 8, Tue 9, Wed 10
    assert last_day == WED_10
    assert rules.check_dialogue(HELD, at(last_day, 14, 20), 60, Facts(), ctx(policy, now)) == []
    found = rules.check_dialogue(HELD, at(THU_11, 8, 50), 60, Facts(), ctx(policy, now))
    v = one(found, "dialogue.late")
    assert codes(found) == ["dialogue.late"] and v.field == "start"
    assert "by Wed 10 Feb" in v.message
    assert_cited(v, policy, "dialogue_within_school_days", LOCAL)


@pytest.mark.parametrize("preset_id", PRESET_IDS)
def test_dialogue_before_the_visit_ends_refused(preset_id):
    now = at(WED_3, 8, 0)
    found = rules.check_dialogue(HELD, at(WED_3, 10, 30), 30, Facts(), ctx(preset_id, now))
    assert codes(found) == ["dialogue.before"] and found[0].field == "start"
    assert rules.check_dialogue(HELD, HELD.end, 30, Facts(), ctx(preset_id, now)) == []  # straight after is fine


def test_dialogue_counts_school_days_across_half_term():
    held = visit(at(THU_11, 9, 50), 60, status=VisitStatus.HELD)
    now = at(THU_11, 8, 0)
    # Fri 12, Mon 22, Tue 23, Wed 24, Thu 25 -> by Thu 25 Feb.
    assert rules.check_dialogue(held, at(date(2027, 2, 25), 14, 0), 60, Facts(), ctx(LV, now)) == []
    assert codes(rules.check_dialogue(held, at(date(2027, 2, 26), 9, 0), 60, Facts(), ctx(LV, now))) == ["dialogue.late"]
    assert codes(rules.check_dialogue(held, at(WED_17, 9, 0), 60, Facts(), ctx(LV, now))) == ["calendar.holiday"]


def test_dialogue_clash_and_calendar():
    now = at(WED_3, 8, 0)
    busy = visit(at(THU_4, 13, 10), 60, visitors=(SLT,))
    assert codes(rules.check_dialogue(HELD, at(THU_4, 13, 30), 30, Facts(busy=(busy, HELD)), ctx(LV, now))) == ["clash"]
    assert rules.check_dialogue(HELD, at(THU_4, 14, 10), 30, Facts(busy=(busy, HELD)), ctx(LV, now)) == []
    # After school is dialogue time (the dialogue hours, 08:00-17:30 by default); past them is not.
    assert rules.check_dialogue(HELD, at(THU_4, 15, 30), 60, Facts(), ctx(LV, now)) == []
    assert codes(rules.check_dialogue(HELD, at(THU_4, 17, 0), 60, Facts(), ctx(LV, now))) == ["calendar.hours"]


# ------------------------------------------------------------------------------- nearest_slots


def assert_good_slots(slots, p: VisitPlan, facts: Facts, c: Context):
    assert slots, "expected at least one slot"
    assert len(slots) <= 3
    wanted = p.start
    for slot in slots:
        day = CAL.local(slot.start).date()
        assert slot.minutes == p.minutes and slot.start != wanted
        assert day.weekday() < 5 and not CAL.holiday_on(day) and CAL.is_school_day(day)
        assert refusals(rules.check_visit(p.at(slot.start), facts, c)) == []
        for other in facts.busy:
            assert not (other.start < slot.end and slot.start < other.end and other.people & {
                p.teacher.chat_id, *(v.chat_id for v in p.visitors)})
    distances = [abs(s.start - wanted) for s in slots]
    assert distances == sorted(distances)
    assert len({s.start for s in slots}) == len(slots)


def test_nearest_slots_avoid_the_clash_nearest_first():
    c = ctx(LV)
    facts = Facts(busy=(visit(at(WED_10, 9, 50), 60, visitors=(SLT,)),))  # the teacher is busy at P2
    p = plan()
    assert codes(rules.check_visit(p, facts, c)) == ["clash"]
    slots = rules.nearest_slots(p, facts, c)
    assert [s.start for s in slots] == [at(WED_10, 8, 50), at(WED_10, 11, 10), at(WED_10, 13, 10)]
    assert_good_slots(slots, p, facts, c)


def test_nearest_slots_skip_weekends_and_holidays():
    c = ctx(LV)
    p = plan(at(MON_15, 9, 50))  # half-term Monday
    slots = rules.nearest_slots(p, Facts(), c)
    # Friday 12 Feb afternoon is nearer than Monday 22 Feb.
    assert [s.start for s in slots] == [at(FRI_12, 14, 20), at(FRI_12, 13, 10), at(FRI_12, 11, 10)]
    assert_good_slots(slots, p, Facts(), c)
    saturday = plan(at(SAT_6, 9, 50))
    slots = rules.nearest_slots(saturday, Facts(), c)
    assert [s.start for s in slots] == [at(FRI_5, 14, 20), at(FRI_5, 13, 10), at(FRI_5, 11, 10)]


def test_nearest_slots_respect_notice_and_the_past():
    c = ctx(LNCT_SCE, at(MON_1, 12, 0))  # five school days' notice: nothing before Mon 8 Feb
    p = plan(at(TUE_2, 9, 50))
    slots = rules.nearest_slots(p, Facts(), c)
    assert [s.start for s in slots] == [at(MON_8, 8, 50), at(MON_8, 9, 50), at(MON_8, 11, 10)]
    assert_good_slots(slots, p, Facts(), c)
    # When the teacher has agreed, notice is waived: the afternoon of the wanted day is offered, not this morning.
    waived = rules.nearest_slots(p, Facts(), c, check_notice=False)
    assert [s.start for s in waived] == [at(TUE_2, 8, 50), at(TUE_2, 11, 10), at(TUE_2, 13, 10)]


def test_nearest_slots_avoid_a_busy_visitor_across_the_day():
    c = ctx(DURANTS)
    visitor_busy = tuple(visit(at(WED_10, s.hour, s.minute), 60, teacher=OTHER_TEACHER, visitors=(PEER,))
                         for s in PERIOD_STARTS)  # PEER is busy all Wednesday
    facts = Facts(busy=visitor_busy)
    p = plan()
    slots = rules.nearest_slots(p, facts, c)
    assert len(slots) == 3
    assert all(CAL.local(s.start).date() != WED_10 for s in slots)
    # Tuesday afternoon (19h30 before) is nearer than Thursday P1 (23h after).
    assert [s.start for s in slots] == [at(TUE_9, 14, 20), at(TUE_9, 13, 10), at(TUE_9, 11, 10)]
    assert_good_slots(slots, p, facts, c)


def test_nearest_slots_empty_when_the_cap_is_exhausted_for_the_session():
    c = ctx(LNCT3)
    facts = Facts(teacher_booked=booked(3))
    p = plan()
    # The whole search window (three school weeks either side) lies in the same session.
    window = list(CAL.school_days(WED_10, 15)) + list(CAL.school_days(TUE_9, 15, step=-1))
    assert len(window) == 30 and {CAL.session_of(d).name for d in window} == {"2026-27"}
    assert rules.nearest_slots(p, facts, c) == []
    # Not vacuous: the same facts leave room for an informal visit.
    peer = plan(kind=VisitKind.PEER)
    assert_good_slots(rules.nearest_slots(peer, facts, c), peer, facts, c)


def test_nearest_slots_empty_when_no_time_could_help():
    # A governor may not visit under LNCT 3 at any time; moving the visit cannot fix that.
    assert rules.nearest_slots(plan(visitors=(GOVERNOR,)), Facts(), ctx(LNCT3)) == []


def test_nearest_slots_count():
    c = ctx(LV)
    assert len(rules.nearest_slots(plan(), Facts(), c, count=1)) == 1
    assert len(rules.nearest_slots(plan(), Facts(), c, count=5)) == 5


SPAN_START, SPAN_END = date(2027, 2, 2), date(2027, 6, 30)
busy_visit = st.builds(
    lambda day, period, minutes, who: visit(at(day, period.hour, period.minute), minutes,
                                            teacher=who[0], visitors=(who[1],)),
    st.dates(SPAN_START, SPAN_END), st.sampled_from(PERIOD_STARTS), st.sampled_from([20, 30, 60, 90]),
    st.sampled_from([(TEACHER, SLT), (OTHER_TEACHER, PEER), (PEER, PROMOTED), (OTHER_TEACHER, TEACHER)]),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    preset_id=st.sampled_from(PRESET_IDS),
    day=st.dates(SPAN_START, SPAN_END),
    hour=st.integers(7, 16),
    minute=st.sampled_from([0, 10, 20, 30, 40, 50]),
    kind=st.sampled_from(OBSERVED_KINDS),
    minutes=st.integers(10, 60),
    visitors=st.sampled_from([(PEER,), (PROMOTED,), (SLT, PEER)]),
    busy=st.lists(busy_visit, max_size=8),
)
def test_property_every_nearest_slot_passes_check_visit(preset_id, day, hour, minute, kind, minutes, visitors, busy):
    if kind is VisitKind.LEARNING_WALK:
        minutes = min(minutes, 20)
    c = ctx(preset_id)
    facts = Facts(busy=tuple(busy), staff=STAFF)
    p = plan(at(day, hour, minute), minutes, kind=kind, visitors=visitors)
    slots = rules.nearest_slots(p, facts, c)
    assert len(slots) == 3  # there is always room within three school weeks here
    assert_good_slots(slots, p, facts, c)
