"""The head teacher on the staff list (role head: SLT and promoted too) and school.escalation.head, who takes what
concerns the head, told at its line when it is wrong."""
from __future__ import annotations

from dataclasses import replace

import pytest
import school_yaml
from school_yaml import parse, problems as problem

from bot.domain.model import Role, Staff
from bot.domain.school import parse_school_config

# Line numbers matter here: escalation is on line 6, its head on line 7, the staff from line 14.
GOOD = """\
school:
  key: st-marys-primary
  name: St Mary's Primary
  timezone: Europe/London
  policy: trust-learning-walks
  escalation:
    head: U07GORDON
sessions:
  - name: "2026-27"
    terms:
      - {name: Autumn, start: 2026-09-02, end: 2026-12-18}
      - {name: Spring, start: 2027-01-05, end: 2027-03-26}
staff:
  - {id: U01HEAD, handle: rachel, name: Rachel Carli, roles: [head, teacher]}
  - {id: U02DEPUTY, handle: daniela, name: Daniela Barzanti, roles: [slt], line_manager: U01HEAD}
  - {id: U03TOM, handle: tom, name: Tom Baker, roles: [teacher], line_manager: U02DEPUTY}
  - {id: U07GORDON, email: gordon.reid@example.org, name: Gordon Reid, roles: [governor]}
"""


def changed(old: str, new: str) -> str:
    assert GOOD.count(old) == 1, old
    return GOOD.replace(old, new)


def test_the_head_is_slt_and_promoted_staff_as_well():
    head = Staff(None, 1, "U01HEAD", "Rachel Carli", frozenset({Role.HEAD}))
    assert head.is_slt and head.has(Role.PROMOTED) and head.roles == {Role.HEAD, Role.SLT, Role.PROMOTED}
    assert replace(head, name="Rachel Carli-Hart").roles == head.roles  # a changed entry keeps them
    deputy = Staff(None, 1, "U02DEPUTY", "Daniela Barzanti", frozenset({Role.SLT}))
    assert deputy.roles == {Role.SLT} and not deputy.has(Role.HEAD)


def test_escalation_names_who_takes_what_concerns_the_head_by_id_or_email():
    assert parse(GOOD).school.head_escalation == "U07GORDON"
    assert parse(changed("head: U07GORDON", "head: Gordon.Reid@example.org")).school.head_escalation == "U07GORDON"
    assert parse(changed("  escalation:\n    head: U07GORDON\n", "")).school.head_escalation is None


def test_a_stored_school_keeps_whom_it_names():
    school = parse(GOOD).school
    again = parse_school_config(school.config, stored_key=school.key).school
    assert again.head_escalation == "U07GORDON"


@pytest.mark.parametrize("old, new, says", [
    ("head: U07GORDON", "head: U99NOBODY",
     "line 7: school.escalation.head, U99NOBODY, is not the id or email of anyone listed under staff"),
    ("head: U07GORDON", "head: U01HEAD",
     "line 7: school.escalation.head names Rachel Carli, a head teacher: name who takes what concerns the head"),
    ("head: U07GORDON", "head: ''", "line 7: school.escalation.head is missing"),
    ("head: U07GORDON", "chair: U07GORDON", "line 6: school.escalation has chair, which walkbot does not know"),
    ("  escalation:\n    head: U07GORDON\n", "  escalation: U07GORDON\n",
     "line 6: school.escalation must be a mapping"),
])
def test_what_is_wrong_with_it_is_told_at_its_line(old, new, says):
    said = problem(changed(old, new))
    assert says in said, said


def test_a_stored_document_with_a_wrong_escalation_still_builds_its_school_naming_nobody():
    school = parse(GOOD).school
    document = {**school.config, "school": {**school.config["school"], "escalation": {"head": "U99NOBODY"}}}
    assert parse_school_config(document, stored_key=school.key).school.head_escalation is None
