"""Teams: walkbot installed and removed. Proactive notices need the person's conversation reference, which Teams
gives only then: it is kept in walkbot's database (teams_conversations), and forgotten on removal."""
from __future__ import annotations

from teams_limits import shown_text
from teams_support import (
    BOT,
    CHANNEL,
    OTHER_TENANT,
    RACHEL,
    STRANGER,
    TENANT,
    TOM,
    connector_fixture,  # noqa: F401 (a fixture)
    load,
    rows,
    teams_fixture,  # noqa: F401 (a fixture)
)

from bot.ports import TeamsConversation


def test_a_personal_install_stores_the_reference_and_welcomes_with_the_overview(teams):
    assert teams.install(TOM).status == 200
    [ref] = teams.conversations()
    assert (ref.conversation_id, ref.service_url, ref.tenant_id, ref.scope) == (
        TOM.chat, teams.connector.service_url, TENANT, "personal")
    assert (ref.aad_object_id, ref.teams_user_id, ref.bot_id) == (TOM.aad, TOM.teams_id, BOT)
    welcome = shown_text(teams.answered(TOM))
    assert "walkbot · Durants Teams School" in welcome and "Your allowance" in welcome


def test_the_members_added_event_of_the_same_install_stores_it_once_and_welcomes_once(teams):
    teams.post(teams.activity("conversationUpdate", TOM, membersAdded=[{"id": BOT}]))
    teams.install(TOM)
    teams.post(teams.activity("conversationUpdate", TOM, membersAdded=[{"id": BOT}]))
    assert len(teams.conversations()) == 1
    assert len(teams.connector.to(TOM.chat)) == 1


def test_someone_else_joining_a_conversation_stores_nothing(teams):
    teams.post(teams.activity("conversationUpdate", TOM, membersAdded=[{"id": TOM.teams_id}]))
    assert teams.conversations() == []


def test_uninstalling_forgets_the_reference(teams):
    teams.install(TOM)
    teams.install(RACHEL)
    teams.uninstall(TOM)
    assert [r.aad_object_id for r in teams.conversations()] == [RACHEL.aad]
    teams.post(teams.activity("conversationUpdate", RACHEL, membersRemoved=[{"id": BOT}]))
    assert teams.conversations() == []


def test_a_reinstall_keeps_one_reference_for_the_person(teams):
    teams.install(TOM)
    teams.install(TOM, conversation="a:personal-tom-again")
    [ref] = teams.conversations()
    assert ref.conversation_id == "a:personal-tom-again"


def test_installed_in_a_team_the_channel_is_kept_as_a_team_conversation(teams):
    teams.post(teams.activity("conversationUpdate", RACHEL, conversation=CHANNEL, conversation_type="channel",
                              membersAdded=[{"id": BOT}]))
    [ref] = teams.conversations()
    assert (ref.scope, ref.conversation_id, ref.aad_object_id) == ("team", CHANNEL, None)
    assert teams.connector.sent == []  # a team is not welcomed with anyone's overview


def test_an_install_from_a_tenant_no_school_is_linked_to_stores_nothing(store, clock, connector):
    from teams_support import settings, tenant

    with tenant(store, clock, connector, teams_settings=settings(tenant="multi")) as teams:
        before = rows(store)
        teams.install(TOM, tenant=OTHER_TENANT)
        assert rows(store) == before
        assert "isn't linked to a school" in shown_text(teams.answered(TOM))


def test_someone_not_on_the_staff_list_is_told_so_when_they_install(teams):
    teams.install(STRANGER)
    assert "not on Durants Teams School's staff list" in shown_text(teams.answered(STRANGER))


# --- the repository -------------------------------------------------------------------------------------------------

def test_references_are_per_school_and_found_by_person(store):
    school = load(store)

    def ref(**kw) -> TeamsConversation:
        return TeamsConversation(**{"school_id": school.id, "tenant_id": TENANT, "conversation_id": "a:1",
                                    "service_url": "https://smba.trafficmanager.net/emea/", "aad_object_id": TOM.aad,
                                    "teams_user_id": TOM.teams_id, "bot_id": BOT, "chat_id": TOM.aad, **kw})

    with store.uow() as uow:
        uow.teams.save(ref())
        uow.teams.save(ref(conversation_id=CHANNEL, scope="team", aad_object_id=None, teams_user_id=None))
        uow.commit()
    with store.uow() as uow:
        assert uow.teams.personal(school.id, TOM.aad).conversation_id == "a:1"
        assert uow.teams.by_teams_user(school.id, TOM.teams_id).aad_object_id == TOM.aad
        assert uow.teams.by_aad(school.id, TOM.aad.upper()).chat_id == TOM.aad
        assert uow.teams.personal(school.id, RACHEL.aad) is None
        assert uow.teams.personal(school.id + 1, TOM.aad) is None
        assert uow.teams.remove(school.id, "a:1") is True
        assert uow.teams.remove(school.id, "a:1") is False
        uow.commit()
    with store.uow() as uow:
        assert [r.scope for r in uow.teams.all(school.id)] == ["team"]
        uow.teams.save(ref())
        # not committed: nothing is kept
    with store.uow() as uow:
        assert uow.teams.personal(school.id, TOM.aad) is None
