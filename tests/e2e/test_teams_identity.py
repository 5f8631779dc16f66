"""Teams: who is asking, and for which school. A person is found on a staff list by their personal chat as stored,
their Entra object id as staff id, or their email (Teams' members API, asked on first contact only); a tenant may
hold several schools, each seeing only its own; an activity of one tenant never reads or changes another's school.
The connector stand-in counts every members API call."""
from __future__ import annotations

import pytest
from teams_limits import shown_text
from teams_support import (
    AMY,
    BOT,
    CHANNEL,
    NINA,
    OTHER_TENANT,
    RACHEL,
    STRANGER,
    TEAM,
    TENANT,
    TOM,
    Person,
    connector_fixture,  # noqa: F401 (a fixture)
    listed_by_email,
    load,
    mention,
    rows,
    school_config,
    settings,
    tenant,
    walkbot_mention,
)

from handlers.teams.listeners import MEMBER_LOOKUPS
from handlers.teams.tenancy import NOT_TOLD

# Durants, its staff team and channel named, and Nina listed by her email alone.
DURANTS = school_config(teams={"tenant_id": TENANT, "team_id": TEAM, "channel_id": CHANNEL})
DURANTS["staff"].append(listed_by_email(NINA, handle="nina"))

# A second school in the same tenant, as a local authority's tenant holds many.
OLA = Person("8a1f0c2e-5555-4000-8000-000000000005", "29:1ola", "Ola Okafor", "ola.okafor@glow.example")
PAT = Person("8a1f0c2e-6666-4000-8000-000000000006", "29:1pat", "Pat Reid", "pat.reid@glow.example")
GLOW = school_config(key="glow-primary", name="Glow Primary", teams={"tenant_id": TENANT},
                     announcements_channel=None)
GLOW["staff"] = [{"id": OLA.aad, "handle": "ola", "name": OLA.name, "roles": ["slt", "promoted"]},
                 listed_by_email(PAT, handle="pat", line_manager=OLA.aad)]


@pytest.fixture
def teams(store, clock, connector):
    with tenant(store, clock, connector, config=DURANTS) as running:
        yield running


@pytest.fixture
def shared(store, clock, connector):
    """Durants and Glow Primary, both in TENANT."""
    load(store, GLOW)
    with tenant(store, clock, connector, config=DURANTS) as running:
        running.knows(OLA)
        running.knows(PAT)
        yield running


def said(teams, to) -> str:
    return shown_text(teams.answered(to))


def linked(teams) -> dict[str, str | None]:
    """Each stored personal chat, by conversation id, to the staff id it is linked to."""
    return {r.conversation_id: r.chat_id for r in teams.conversations() if r.scope == "personal"}


def school_of(teams, key: str):
    with teams.store.uow() as uow:
        return uow.schools.by_key(key)


# --- found on the staff list ----------------------------------------------------------------------------------------

def test_someone_listed_by_email_is_found_on_their_first_message_and_linked(teams):
    teams.say(NINA, "list")
    assert said(teams, NINA) == "You have no visits coming up and nothing awaits your answer."
    assert teams.lookups() == [(NINA.chat, NINA.teams_id)]  # Teams asked once, in her own chat
    assert linked(teams) == {NINA.chat: NINA.email}
    teams.say(NINA, "limits")
    assert "of 3 observations" in said(teams, NINA)
    assert teams.lookups() == [(NINA.chat, NINA.teams_id)]  # the stored chat says who she is now


def test_someone_listed_by_email_who_installs_is_linked_and_welcomed(teams):
    teams.install(NINA)
    assert linked(teams) == {NINA.chat: NINA.email}
    assert "walkbot · Durants Teams School" in said(teams, NINA)


def test_someone_listed_by_their_entra_object_id_is_found_without_asking_teams(teams):
    teams.say(TOM, "list")
    assert said(teams, TOM) == "You have no visits coming up and nothing awaits your answer."
    assert teams.lookups() == []
    assert linked(teams) == {TOM.chat: TOM.aad}


def test_an_object_id_is_matched_in_any_case_and_the_staff_list_spells_the_staff_id(store, clock, connector):
    config = school_config()
    config["staff"][1] = {**config["staff"][1], "id": TOM.aad.upper()}
    with tenant(store, clock, connector, config=config) as teams:
        teams.say(RACHEL, "propose @tom Thu P3 30m")
        teams.say(TOM, "list")
        assert "#1 peer visit to Tom Baker's class" in said(teams, TOM)
        assert [n.recipient for n in teams.notices("proposal")] == [TOM.aad.upper()]
        assert linked(teams)[TOM.chat] == TOM.aad.upper()


def test_a_colleague_listed_by_email_is_named_by_a_mention_in_a_typed_proposal(teams):
    teams.knows(NINA, TEAM)
    teams.say(RACHEL, "propose <at>Nina Patel</at> Thu P3 30m", entities=[mention(NINA)])
    assert "Proposed #1 peer visit to Nina Patel's class" in said(teams, RACHEL)
    assert [n.recipient for n in teams.notices("proposal")] == [NINA.email]
    # Her personal chat holds only her: the staff team is asked who she is.
    assert teams.lookups() == [(TEAM, NINA.teams_id)]


def test_a_colleague_listed_by_email_alone_without_a_handle_is_named_by_a_mention(store, clock, connector):
    config = school_config(teams={"tenant_id": TENANT, "team_id": TEAM, "channel_id": CHANNEL})
    config["staff"].append(listed_by_email(NINA))
    with tenant(store, clock, connector, config=config) as teams:
        teams.knows(NINA, TEAM)
        teams.say(RACHEL, "propose <at>Nina Patel</at> Thu P3 30m", entities=[mention(NINA)])
        assert [n.recipient for n in teams.notices("proposal")] == [NINA.email]


def test_a_colleague_walkbot_has_linked_is_named_without_asking_teams(teams):
    teams.say(NINA, "list")
    before = teams.lookups()
    teams.say(RACHEL, "propose <at>Nina Patel</at> Thu P3 30m", entities=[mention(NINA, aad=False)])
    assert [n.recipient for n in teams.notices("proposal")] == [NINA.email]
    assert teams.lookups() == before


def test_in_a_channel_mentions_are_asked_about_in_the_channel(teams):
    teams.install(RACHEL)
    teams.knows(NINA, CHANNEL)
    teams.say(RACHEL, "<at>walkbot</at> propose <at>Nina Patel</at> Thu P3 30m",
              entities=[walkbot_mention(), mention(NINA)], conversation=CHANNEL, conversation_type="channel")
    assert [n.recipient for n in teams.notices("proposal")] == [NINA.email]
    assert teams.lookups() == [(CHANNEL, NINA.teams_id)]


def test_the_members_api_is_asked_a_few_times_a_message_at_most(teams):
    crowd = [Person(f"8a1f0c2e-7777-4000-8000-00000000001{i}", f"29:1crowd{i}", f"Crowd {i}") for i in range(8)]
    text = "propose " + " ".join(f"<at>{p.name}</at>" for p in crowd) + " Thu P3 30m"
    teams.say(RACHEL, text, entities=[mention(p) for p in crowd])
    assert len(teams.lookups()) == MEMBER_LOOKUPS
    assert not teams.notices("proposal")


# --- found on no list -----------------------------------------------------------------------------------------------

def test_someone_on_no_list_is_told_to_ask_slt_with_their_email_and_nothing_changes(teams):
    before = rows(teams.store)
    teams.say(STRANGER, "propose @tom Thu P3 30m")
    told = said(teams, STRANGER)
    assert "You're not on Durants Teams School's staff list in walkbot, so nothing was done" in told
    assert f"Ask SLT to add you to it with your email, {STRANGER.email}." in told
    assert rows(teams.store) == before


def test_in_a_channel_the_sentence_does_not_show_their_email(teams):
    teams.knows(STRANGER, CHANNEL)
    teams.say(STRANGER, "<at>walkbot</at> list", entities=[walkbot_mention()], conversation=CHANNEL,
              conversation_type="channel")
    told = said(teams, CHANNEL)
    assert "with the email you sign in to Teams with" in told and STRANGER.email not in told


def test_when_teams_does_not_say_their_email_they_are_told_to_try_again(teams):
    teams.connector.members.clear()
    before = rows(teams.store)
    teams.say(NINA, "list")
    assert said(teams, NINA) == NOT_TOLD
    assert rows(teams.store) == before


def test_a_members_api_answer_about_another_user_is_not_believed(teams):
    teams.connector.add_member(NINA.chat, **{**NINA.member(), "aadObjectId": STRANGER.aad})
    teams.say(NINA, "list")
    assert said(teams, NINA) == NOT_TOLD
    assert linked(teams) == {}


def test_someone_on_no_list_who_installs_is_told_and_nothing_is_stored(teams):
    teams.install(STRANGER)
    assert "not on Durants Teams School's staff list" in said(teams, STRANGER)
    assert teams.conversations() == []


def test_a_card_pressed_by_someone_on_no_list_is_answered_with_the_sentence(teams):
    pressed = teams.press(STRANGER, {"verb": "visit.agree.1", "data": {"visit": 1, "at": None}})
    assert pressed.status == 200 and "not on Durants Teams School's staff list" in pressed.toast
    fetched = teams.fetch(STRANGER, {"action": "visit.suggest.1", "visit": 1})
    assert "not on Durants Teams School's staff list" in fetched.body["task"]["value"]


# --- two schools in one tenant --------------------------------------------------------------------------------------

def test_two_schools_in_one_tenant_each_see_only_their_own(shared):
    shared.say(RACHEL, "propose @tom Thu P3 30m")
    assert "Proposed #1" in said(shared, RACHEL)
    shared.say(OLA, "list")
    assert said(shared, OLA) == "You have no visits coming up and nothing awaits your answer."
    shared.say(OLA, "show 1")
    assert "There is no visit #1 that you can see" in said(shared, OLA)
    shared.say(PAT, "list")  # by email, in Glow Primary
    glow, durants = school_of(shared, "glow-primary"), school_of(shared, "durants-teams")
    with shared.store.uow() as uow:
        assert uow.teams.personal(glow.id, PAT.email).conversation_id == PAT.chat
        assert uow.teams.personal(durants.id, PAT.email) is None
        assert uow.teams.personal(glow.id, RACHEL.aad) is None
    assert {n.school_id for n in shared.notices()} == {durants.id}


def test_a_person_of_one_school_named_in_the_other_is_no_one_there(shared):
    shared.say(TOM, "list")  # linked in Durants, by Teams id too
    shared.say(OLA, "list")
    before = rows(shared.store)
    shared.say(OLA, "propose <at>Tom Baker</at> Thu P3 30m", entities=[mention(TOM, aad=False)])
    assert "Proposed" not in said(shared, OLA)
    assert rows(shared.store) == before


def test_in_a_shared_tenant_the_first_message_asks_teams_once_then_never(shared):
    shared.say(RACHEL, "list")  # her object id is on Durants' list: is her email on Glow's too?
    assert shared.lookups() == [(RACHEL.chat, RACHEL.teams_id)]
    shared.say(RACHEL, "list")
    assert shared.lookups() == [(RACHEL.chat, RACHEL.teams_id)]


def test_someone_on_two_schools_lists_in_one_tenant_is_told_and_nothing_changes(store, clock, connector):
    both = school_config(key="glow-primary", name="Glow Primary", teams={"tenant_id": TENANT},
                         announcements_channel=None)
    amy = Person(AMY.aad, AMY.teams_id, AMY.name, "amy.chen@glow.example")  # by id at Durants, by email here
    both["staff"] = [{"id": OLA.aad, "name": OLA.name, "roles": ["slt"]}, listed_by_email(amy)]
    load(store, both)
    with tenant(store, clock, connector, config=DURANTS) as teams:
        teams.knows(amy)
        before = rows(store)
        teams.say(AMY, "list")
        told = said(teams, AMY)
        assert "You're on the staff lists of Durants Teams School and Glow Primary" in told
        assert "Ask SLT to keep you on one school's list" in told
        assert rows(store) == before


def test_someone_on_no_list_in_a_shared_tenant_is_told_so(shared):
    shared.say(STRANGER, "list")
    assert "You're not on the staff list of any school walkbot serves" in said(shared, STRANGER)
    assert STRANGER.email in said(shared, STRANGER)


def test_uninstalling_in_a_shared_tenant_forgets_the_chat_wherever_it_was_kept(shared):
    shared.install(PAT)
    assert linked(shared) == {PAT.chat: PAT.email}
    shared.uninstall(PAT)
    assert shared.conversations() == []


def test_a_team_is_kept_for_the_school_whose_staff_team_it_is(shared):
    shared.post(shared.activity("conversationUpdate", OLA, conversation=CHANNEL, conversation_type="channel",
                                membersAdded=[{"id": BOT}],
                                channelData={"tenant": {"id": TENANT}, "team": {"id": TEAM}}))
    [ref] = shared.conversations()
    assert (ref.scope, ref.school_id) == ("team", school_of(shared, "durants-teams").id)


# --- two tenants ----------------------------------------------------------------------------------------------------

def test_nothing_of_one_tenant_is_found_from_another(store, clock, connector):
    """Elsewhere, in OTHER_TENANT, has no Nina: someone there with her email and ids is not her; a mention of Tom
    (linked in TENANT) is no one there; an uninstall there of Tom's chat id removes nothing of Durants."""
    elsewhere = school_config(key="elsewhere", name="Elsewhere School", teams={"tenant_id": OTHER_TENANT},
                              announcements_channel=None)
    elsewhere["staff"] = [{"id": OLA.aad, "handle": "ola", "name": OLA.name, "roles": ["slt", "promoted"]}]
    load(store, elsewhere)
    with tenant(store, clock, connector, config=DURANTS, teams_settings=settings(tenant="multi")) as teams:
        teams.say(NINA, "list")
        teams.say(TOM, "list")
        durants = school_of(teams, "durants-teams").id
        kept = [r for r in teams.conversations() if r.school_id == durants]
        teams.connector.add_member("a:elsewhere-nina", **NINA.member(OTHER_TENANT))
        teams.post(teams.activity("message", NINA, text="list", tenant=OTHER_TENANT, conversation="a:elsewhere-nina"))
        assert "not on Elsewhere School's staff list" in said(teams, "a:elsewhere-nina")
        teams.connector.add_member("a:elsewhere-ola", **OLA.member(OTHER_TENANT))
        teams.post(teams.activity("message", OLA, text="propose <at>Tom Baker</at> Thu P3 30m",
                                  entities=[mention(TOM, aad=False)], tenant=OTHER_TENANT,
                                  conversation="a:elsewhere-ola"))
        assert "Proposed" not in said(teams, "a:elsewhere-ola")
        teams.uninstall(TOM, tenant=OTHER_TENANT)
        assert [r for r in teams.conversations() if r.school_id == durants] == kept
        assert teams.notices() == []
