"""Migration 0008, Teams identity: a database with a Teams school and its stored chats from before it. The school's
tenant moves from its stored school.yml to its row; each personal chat is linked to the staff id its object id was
(as the staff list spells it); a chat of no one on the list stays unlinked. On SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from teams_support import RACHEL, STRANGER, TENANT, TOM, school_config

from bot.domain.school import parse_school_config
from storage import open_store
from storage.db import make_engine
from tests.integration.test_notice_migration import migrate_to

# teams_conversations as revision 0007 has it: no chat_id yet.
OLD_CONVERSATIONS = sa.table(
    "teams_conversations", sa.column("school_id", sa.Integer()), sa.column("tenant_id", sa.String()),
    sa.column("conversation_id", sa.String()), sa.column("service_url", sa.String()), sa.column("scope", sa.String()),
    sa.column("aad_object_id", sa.String()), sa.column("teams_user_id", sa.String()), sa.column("bot_id", sa.String()),
    sa.column("installed_at", sa.DateTime(timezone=True)))
SCHOOLS = sa.table("schools", sa.column("id", sa.Integer()), sa.column("key", sa.String()),
                   sa.column("config", sa.JSON()))
SERVICE = "https://smba.trafficmanager.net/emea/"


def chat(school_id: int, conversation: str, aad: str | None, scope: str = "personal") -> dict:
    return {"school_id": school_id, "tenant_id": TENANT, "conversation_id": conversation, "service_url": SERVICE,
            "scope": scope, "aad_object_id": aad, "teams_user_id": None, "bot_id": "28:walkbot",
            "installed_at": datetime(2027, 1, 20, tzinfo=UTC)}


@pytest.fixture
def at_0007(store_url):
    """Durants (its tenant in school.yml, Tom's object id in capitals there) and Elsewhere (a tenant no GUID, as
    school.yml was let say before), with chats stored by object id, at revision 0007."""
    durants = school_config()
    durants["staff"][1] = {**durants["staff"][1], "id": TOM.aad.upper()}
    elsewhere = school_config(key="elsewhere", name="Elsewhere School", teams=None)
    store = open_store(store_url)
    with store.uow() as uow:
        school = uow.schools.save(parse_school_config(durants))
        other = uow.schools.save(parse_school_config(elsewhere))
        staff = len(uow.staff.all(school.id))
        uow.commit()
    store.close()
    migrate_to(store_url, "0007", down=True)
    engine = make_engine(store_url)
    with engine.begin() as conn:
        conn.execute(SCHOOLS.update().where(SCHOOLS.c.id == other.id).values(
            config={**other.config, "school": {**other.config["school"], "teams": {"tenant_id": "contoso"}}}))
        conn.execute(OLD_CONVERSATIONS.insert(), [
            chat(school.id, TOM.chat, TOM.aad), chat(school.id, RACHEL.chat, RACHEL.aad),
            chat(school.id, STRANGER.chat, STRANGER.aad), chat(school.id, "19:staff@thread.tacv2", None, "team")])
    engine.dispose()
    return store_url, school, other, staff


def test_after_0008_the_tenant_is_the_schools_and_each_chat_is_linked_to_its_staff_id(at_0007):
    url, school, other, staff = at_0007
    store = open_store(url)  # migrates to head
    try:
        with store.uow() as uow:
            assert [s.key for s in uow.schools.by_teams_tenant(TENANT)] == [school.key]
            chats = {c.conversation_id: c.chat_id for c in uow.teams.all(school.id)}
            assert chats == {TOM.chat: TOM.aad.upper(), RACHEL.chat: RACHEL.aad, STRANGER.chat: None,
                             "19:staff@thread.tacv2": None}
            assert uow.teams.personal(school.id, TOM.aad.upper()).conversation_id == TOM.chat
            assert uow.teams.by_aad(school.id, TOM.aad).chat_id == TOM.aad.upper()
            assert len(uow.staff.all(school.id)) == staff  # no row lost to the new columns
            assert all(s.email is None for s in uow.staff.all(school.id))
            # A stored tenant that is no GUID links nothing, and its school still loads.
            assert uow.schools.get(other.id).teams is None
            assert uow.schools.by_teams_tenant("contoso") == []
    finally:
        store.close()


def test_going_back_to_0007_keeps_the_chats_and_forward_again_links_them(at_0007):
    url, school, _, _ = at_0007
    open_store(url).close()
    migrate_to(url, "0007", down=True)
    engine = make_engine(url)
    with engine.connect() as conn:
        kept = conn.execute(sa.select(OLD_CONVERSATIONS.c.conversation_id)).scalars().all()
    engine.dispose()
    assert sorted(kept) == sorted([TOM.chat, RACHEL.chat, STRANGER.chat, "19:staff@thread.tacv2"])
    store = open_store(url)
    try:
        with store.uow() as uow:
            assert uow.teams.personal(school.id, RACHEL.aad).conversation_id == RACHEL.chat
    finally:
        store.close()
