"""school.yml for Teams: the tenant, staff team and channel a school is linked to, and staff listed by email."""
from __future__ import annotations

import pytest
import school_yaml
from school_yaml import parse, problems

from bot.domain.school import TeamsLink, parse_school_config, read_school_yaml

TENANT = "6f1c2d3e-4b5a-4697-8899-aabbccddeeff"
TEAM = "19:durants-staff@thread.tacv2"
CHANNEL = "19:walks@thread.tacv2"

GOOD = f"""\
school:
  key: st-marys-primary
  name: St Mary's Primary
  policy: durants-learning-walks
  teams: {{tenant_id: {TENANT.upper()}, team_id: "{TEAM}", channel_id: "{CHANNEL}"}}
sessions:
  - name: "2026-27"
    terms:
      - {{name: Autumn, start: 2026-09-02, end: 2026-12-18}}
staff:
  - {{id: 8A1F0C2E-1111-4000-8000-000000000001, name: Rachel Carli, roles: [slt], email: Rachel.Carli@StMarys.example}}
  - {{email: Tom.Baker@StMarys.example, name: Tom Baker, line_manager: rachel.carli@stmarys.example}}
"""


def changed(*swaps: tuple[str, str]) -> str:
    return school_yaml.changed(GOOD, *swaps)


def test_a_school_is_linked_to_its_tenant_team_and_channel():
    school = parse(GOOD).school
    assert school.teams == TeamsLink(TENANT, TEAM, CHANNEL)  # the tenant in lower case, as activities say it
    assert school.staff_channels == (CHANNEL,)


def test_a_school_with_no_teams_section_is_linked_to_no_tenant():
    assert parse(changed((f'  teams: {{tenant_id: {TENANT.upper()}, team_id: "{TEAM}", channel_id: "{CHANNEL}"}}\n',
                          ""))).school.teams is None


def test_the_tenant_alone_links_a_school():
    school = parse(changed((f', team_id: "{TEAM}", channel_id: "{CHANNEL}"', ""))).school
    assert school.teams == TeamsLink(TENANT)


def test_ids_pasted_from_a_get_link_url_are_decoded():
    school = parse(changed((f'team_id: "{TEAM}"', 'team_id: "19%3adurants-staff%40thread.tacv2"'))).school
    assert school.teams.team_id == TEAM


@pytest.mark.parametrize("tenant, says", [
    ("contoso.onmicrosoft.com", "school.teams.tenant_id 'contoso.onmicrosoft.com' is not a tenant id"),
    ("6f1c2d3e-4b5a-4697-8899", "is not a tenant id: give the school's Microsoft Entra tenant id, a GUID"),
    ("''", "school.teams.tenant_id is missing"),
])
def test_a_tenant_that_is_no_guid_is_told(tenant, says):
    said = problems(changed((f"tenant_id: {TENANT.upper()}", f"tenant_id: {tenant}")))
    assert said.startswith("school.yml line 5: ") and says in said


@pytest.mark.parametrize("field, value, says", [
    ("channel_id", "General", "school.teams.channel_id 'General' is not a Teams channel id"),
    ("channel_id", "https://teams.microsoft.com/l/channel/19%3ax%40thread.tacv2/General", "Get link to channel"),
    ("team_id", "19:no-thread-here", "school.teams.team_id '19:no-thread-here' is not a Teams team id"),
])
def test_a_team_or_channel_that_is_no_teams_id_is_told(field, value, says):
    old = TEAM if field == "team_id" else CHANNEL
    said = problems(changed((f'{field}: "{old}"', f'{field}: "{value}"')))
    assert said.startswith("school.yml line 5: ") and says in said


def test_a_channel_without_its_team_is_told():
    said = problems(changed((f'team_id: "{TEAM}", ', "")))
    assert "school.teams.channel_id needs the team_id of the team it is in" in said


def test_what_the_teams_section_does_not_take_is_told():
    said = problems(changed(("channel_id:", "channel:")))
    assert "school.teams has channel, which walkbot does not know" in said


def test_a_teams_section_that_is_no_mapping_is_told():
    said = problems(changed((f'{{tenant_id: {TENANT.upper()}, team_id: "{TEAM}", channel_id: "{CHANNEL}"}}',
                             TENANT)))
    assert "school.teams must be a mapping" in said


def test_a_stored_school_with_a_wrong_teams_section_still_builds_unlinked():
    """A document the database kept from before these checks: the school works on, linked to no tenant."""
    document = read_school_yaml(changed((f"tenant_id: {TENANT.upper()}", "tenant_id: contoso")))
    school = parse_school_config(document, stored_key="st-marys-primary").school
    assert school.teams is None and school.name == "St Mary's Primary"


# --- staff listed by email -----------------------------------------------------------------------------------------

def test_an_email_only_entry_has_its_email_as_staff_id_and_emails_are_lower_case():
    rachel, tom = parse(GOOD).staff
    assert (rachel.chat_id, rachel.email) == ("8A1F0C2E-1111-4000-8000-000000000001", "rachel.carli@stmarys.example")
    assert (tom.chat_id, tom.email) == ("tom.baker@stmarys.example", "tom.baker@stmarys.example")


def test_a_line_manager_may_be_named_by_email():
    assert parse(GOOD).staff[1].line_manager == "8A1F0C2E-1111-4000-8000-000000000001"


def test_the_same_email_twice_is_told():
    said = problems(changed(("email: Tom.Baker@StMarys.example", "email: RACHEL.carli@stmarys.example")))
    assert said.startswith("school.yml line 12: ")
    assert "the email rachel.carli@stmarys.example is given to both Rachel Carli and Tom Baker" in said


@pytest.mark.parametrize("email", ["tom.baker", "tom@baker", "tom baker@stmarys.example", "@stmarys.example"])
def test_an_email_that_is_no_email_is_told(email):
    said = problems(changed(("email: Tom.Baker@StMarys.example", f"email: '{email}'")))
    assert said.startswith("school.yml line 12: ") and "is not an email address" in said


def test_an_entry_with_neither_id_nor_email_is_told():
    said = problems(changed(("email: Tom.Baker@StMarys.example, ", "")))
    assert "every staff entry needs an id" in said and "or an email" in said


def test_an_email_too_long_to_be_an_id_needs_an_id():
    long = f"{'t' * 60}@stmarys.example"
    said = problems(changed(("email: Tom.Baker@StMarys.example", f"email: {long}")))
    assert "is too long to serve as their id" in said
    assert parse(changed(("email: Tom.Baker@StMarys.example", f"id: U03TOM, email: {long}"))).staff[1].email == long
