"""school.yml: a school's identity is its key, and every problem in the file is told at once, at its line."""
from __future__ import annotations

import json
import re
from datetime import date
from importlib import resources

import pytest
import school_yaml
from school_yaml import parse, problems

from bot.domain.school import parse_school_config, read_school_yaml
from bot.errors import InputError
from tests.conftest import DEMO_SCHOOL

# A correct school.yml; each test breaks it in one or more places. Line numbers matter here.
GOOD = """\
school:
  key: st-marys-primary
  name: St Mary's Primary
  timezone: Europe/London
  policy: durants-learning-walks
  school_day: {start: "08:50", end: "15:20"}
  periods:
    P1: "08:50-09:50"
    P2: "09:50-10:50"
  slack_team_id: T0MARY
sessions:
  - name: "2026-27"
    terms:
      - {name: Autumn, start: 2026-09-02, end: 2026-12-18}
      - {name: Spring, start: 2027-01-05, end: 2027-03-26}
      - {name: Summer, start: 2027-04-12, end: 2027-07-21}
    holidays: [2026-10-26/2026-10-30]
  - name: "2027-28"
    terms:
      - {name: Autumn, start: 2027-09-02, end: 2027-12-17}
staff:
  - {id: U01HEAD, handle: rachel, name: Rachel Carli, roles: [slt, promoted]}
  - {id: U03TOM, handle: tom, name: Tom Baker, roles: [teacher], line_manager: U01HEAD}
  - {id: U04AMY, handle: amy, name: Amy Chen, line_manager: U01HEAD}
"""


def changed(*swaps: tuple[str, str]) -> str:
    return school_yaml.changed(GOOD, *swaps)


def test_the_good_file_parses_and_keeps_a_plain_document():
    config = parse(GOOD)
    assert config.school.key == "st-marys-primary" and config.school.name == "St Mary's Primary"
    assert [t.name for s in config.school.calendar.sessions for t in s.terms] == ["Autumn", "Spring", "Summer",
                                                                                  "Autumn"]
    assert {s.chat_id: s.line_manager for s in config.staff} == {"U01HEAD": None, "U03TOM": "U01HEAD",
                                                                 "U04AMY": "U01HEAD"}
    document = config.school.config  # as stored: plain dicts and lists, no line numbers
    assert type(document) is dict and type(document["school"]) is dict and type(document["staff"]) is list
    json.dumps(document, default=str)


def test_the_bundled_and_test_schools_have_keys():
    demo = resources.files("bot").joinpath("demo/school.yml").read_text(encoding="utf-8")
    assert parse(demo).school.key == "demo"
    assert parse_school_config(DEMO_SCHOOL).school.key == "durants-test"


# --- the key ------------------------------------------------------------------------------------


def test_a_school_without_a_key_is_told_to_add_one():
    said = problems(changed(("  key: st-marys-primary\n", "")))
    assert said.startswith("school.yml line 1: school.key is missing")
    assert "`key: st-mary-s-primary`" in said  # the key walkbot made of the name before keys were required
    assert "when its name changes" in said


@pytest.mark.parametrize("key", ["St Marys", "st_marys", "-st-marys", "st--marys", "'st marys'", "[a]", "true"])
def test_a_key_is_a_slug(key):
    said = problems(changed(("key: st-marys-primary", f"key: {key}")))
    assert said.startswith("school.yml line 2: school.key") and "lowercase letters, digits and dashes" in said


def test_a_key_made_of_digits_is_a_slug():
    assert parse(changed(("key: st-marys-primary", "key: 1234"))).school.key == "1234"


# --- accepted silently before -------------------------------------------------------------------


@pytest.mark.parametrize("swap, line, says", [
    (("{name: Spring, start: 2027-01-05, end: 2027-03-26}", "{name: Spring, start: 2027-03-26, end: 2027-01-05}"),
     15, "term Spring of session 2026-27 ends on 2027-01-05, before it starts on 2027-03-26"),
    (("{name: Summer, start: 2027-04-12,", "{name: Summer, start: 2027-03-01,"),
     16, "terms Spring (2027-01-05 to 2027-03-26) and Summer (2027-03-01 to 2027-07-21) of session 2026-27 overlap"),
    (("{name: Autumn, start: 2027-09-02, end: 2027-12-17}", "{name: Autumn, start: 2027-07-01, end: 2027-12-17}"),
     18, "sessions 2026-27 (2026-09-02 to 2027-07-21) and 2027-28 (2027-07-01 to 2027-12-17) overlap"),
    (('{start: "08:50", end: "15:20"}', '{start: "15:20", end: "08:50"}'),
     6, "the school day ends at 08:50, which is not after it starts (15:20)"),
    (('P2: "09:50-10:50"', 'P2: "15:00-16:00"'), 9, "period P2 (15:00-16:00) is not within the school day (08:50-15:20)"),
    (('P1: "08:50-09:50"', 'P1: "08:00-09:50"'), 8, "period P1 (08:00-09:50) is not within the school day"),
    (('P2: "09:50-10:50"', 'P2: "10:50-09:50"'), 9, "period P2 ends at 09:50, which is not after it starts (10:50)"),
    (("[2026-10-26/2026-10-30]", "[2026-10-30/2026-10-26]"),
     17, "the holiday 2026-10-30/2026-10-26 of session 2026-27 ends before it starts; write its first day first, "
         "like 2026-10-26/2026-10-30"),
    (("line_manager: U01HEAD}\n  - {id: U04AMY", "line_manager: U99GONE}\n  - {id: U04AMY"),
     23, "the line_manager of Tom Baker, U99GONE, is not the id of anyone listed under staff"),
    (("handle: amy", "handle: '@Tom'"), 24, "the handle @Tom is given to both Tom Baker and Amy Chen"),
    (("P2: ", "P1: "), 9, "'P1' is given twice here (first on line 8)"),
])
def test_what_was_accepted_silently_is_told_at_its_line(swap, line, says):
    said = problems(changed(swap))
    assert said.startswith(f"school.yml line {line}: "), said
    assert says in said


# --- tracebacks before --------------------------------------------------------------------------


@pytest.mark.parametrize("swap, line, says", [
    (('    P1: "08:50-09:50"\n    P2: "09:50-10:50"\n', '    - P1: "08:50-09:50"\n    - P2: "09:50-10:50"\n'),
     7, "school.periods must map each period's name to its times"),
    (('  - name: "2027-28"\n', '  - name:\n'), 18, 'a session has no name: give it one, like name: "2026-27"'),
    (("{name: Spring, start: 2027-01-05, end: 2027-03-26}", "{name: Spring, end: 2027-03-26}"),
     15, "term Spring of session 2026-27 has no start"),
    (("{name: Spring, start: 2027-01-05, end: 2027-03-26}", "{name: Spring}"),
     15, "term Spring of session 2026-27 has no start and no end"),
    (("{name: Spring, start: 2027-01-05, end: 2027-03-26}", "{start: 2027-01-05, end: 2027-03-26}"),
     15, "a term of session 2026-27 has no name"),
    (("    holidays: [2026-10-26/2026-10-30]", "    holidays: 2026-10-26"), 17, "holidays must be a list"),
    (("staff:\n  - {id: U01HEAD", "staff:\n  - U01HEAD\n  - {id: U01HEAD"), 22, "every staff entry needs an id"),
    (('{start: "08:50", end: "15:20"}', "{start: 8:50, end: '15:20'}"), 6,
     "'530' is not a time; write it like \"08:50\" in quotes"),
    (("start: 2026-09-02,", "start: 2026-09-02 09:00:00,"), 14, "is a date and a time; give the date alone"),
    (("roles: [teacher]", "roles: 'teacher, deputy'"), 23, "staff Tom Baker: 'deputy' is not a role"),
])
def test_what_raised_a_traceback_is_told_at_its_line(swap, line, says):
    said = problems(changed(swap))
    assert said.startswith(f"school.yml line {line}: "), said
    assert says in said


def test_a_single_role_may_be_written_without_brackets():
    config = parse(changed(("roles: [teacher]", "roles: 'teacher, promoted'")))
    assert {r.value for r in config.staff[1].roles} == {"teacher", "promoted"}


def test_every_problem_is_told_at_once_each_with_its_line_in_order():
    said = problems(changed(
        ("  key: st-marys-primary\n", ""),                                            # line 1
        ("policy: durants-learning-walks", "policy: no-such-preset"),                  # line 4
        ('P2: "09:50-10:50"', 'P2: "10:50-09:50"'),                                    # line 8
        ("{name: Spring, start: 2027-01-05, end: 2027-03-26}", "{name: Spring}"),      # line 14
        ("[2026-10-26/2026-10-30]", "[2026-10-30/2026-10-26]"),                        # line 16
        ("line_manager: U01HEAD}\n  - {id: U04AMY", "line_manager: U99}\n  - {id: U04AMY"),  # line 22
    ))
    head, *told = said.splitlines()
    assert head == "school.yml has 6 problems; nothing was loaded:"
    assert [int(re.match(r"  line (\d+): ", t).group(1)) for t in told] == [1, 4, 8, 14, 16, 22]
    assert "There is no policy preset 'no-such-preset'" in told[1]


def test_each_wrong_override_is_told():
    said = problems(changed(("  school_day:", "  overrides:\n    no_such_rule: {value: 1, agreed_by: SNC, "
                                              "agreed_on: 2026-09-01}\n    min_notice_school_days: {value: 3}\n"
                                              "  school_day:")))
    assert "line 7: overrides an unknown rule 'no_such_rule'" in said
    assert "line 8: The override of 'min_notice_school_days' must say value, agreed_by and agreed_on" in said


def test_a_file_read_from_disk_is_named():
    with pytest.raises(InputError, match=r"^schools/mary\.yml line 1: school\.key is missing"):
        parse_school_config(read_school_yaml(changed(("  key: st-marys-primary\n", "")), source="schools/mary.yml"))


def test_yaml_that_is_not_yaml_says_where():
    with pytest.raises(InputError, match=r"school\.yml is not valid YAML at line 3"):
        read_school_yaml("school:\n  name: [A\n  key: b\n")


def test_a_plain_document_is_checked_as_fully_without_lines():
    data = {**DEMO_SCHOOL, "school": {**DEMO_SCHOOL["school"], "key": None, "periods": ["P1"]},
            "staff": [*DEMO_SCHOOL["staff"], {"id": "U09X", "name": "X", "handle": "TOM"}]}
    said = str(pytest.raises(InputError, parse_school_config, data).value)
    assert said.startswith("school.yml has 3 problems") and "line" not in said
    assert "school.key is missing" in said and "school.periods must map" in said and "@TOM is given to both" in said


def test_a_stored_document_is_rebuilt_under_its_key_without_the_newer_checks():
    # What the database may hold from before: no key, a reversed holiday, a line manager not in the file.
    data = {**DEMO_SCHOOL, "school": {k: v for k, v in DEMO_SCHOOL["school"].items() if k != "key"},
            "sessions": [{**DEMO_SCHOOL["sessions"][0], "holidays": ["2026-10-30/2026-10-26"]}],
            "staff": [*DEMO_SCHOOL["staff"], {"id": "U09X", "name": "X", "line_manager": "U99"}]}
    with pytest.raises(InputError):
        parse_school_config(data)
    school = parse_school_config(data, stored_key="durants-test").school
    assert school.key == "durants-test"
    assert school.calendar.holidays == ((date(2026, 10, 30), date(2026, 10, 26)),)  # as it was, until reloaded
