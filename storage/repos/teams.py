"""Microsoft Teams conversation references: where walkbot may write to a person (or a team) unasked."""
from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from bot.ports import TeamsConversation
from storage.tables import TeamsConversationRow

PERSONAL = "personal"


def _from_row(row: TeamsConversationRow) -> TeamsConversation:
    return TeamsConversation(school_id=row.school_id, tenant_id=row.tenant_id, conversation_id=row.conversation_id,
                             service_url=row.service_url, scope=row.scope, aad_object_id=row.aad_object_id,
                             teams_user_id=row.teams_user_id, bot_id=row.bot_id, chat_id=row.chat_id,
                             installed_at=row.installed_at)


class SqlTeamsConversationRepo:
    def __init__(self, session: Session):
        self.session = session

    def save(self, conversation: TeamsConversation) -> TeamsConversation:
        """Upsert by (school, conversation id). A person's personal chat is one: Teams gives a reinstall the same
        conversation id, and should it give another, the older reference of that person is replaced."""
        c = conversation
        row = self.session.scalar(select(TeamsConversationRow).where(
            TeamsConversationRow.school_id == c.school_id, TeamsConversationRow.conversation_id == c.conversation_id)
            .with_for_update())
        if row is None:
            if c.scope == PERSONAL and c.aad_object_id:
                self.session.execute(delete(TeamsConversationRow).where(
                    TeamsConversationRow.school_id == c.school_id, TeamsConversationRow.scope == PERSONAL,
                    func.lower(TeamsConversationRow.aad_object_id) == c.aad_object_id.lower()))
            row = TeamsConversationRow(school_id=c.school_id, conversation_id=c.conversation_id)
            self.session.add(row)
        row.tenant_id, row.service_url, row.scope = c.tenant_id, c.service_url, c.scope
        row.aad_object_id, row.teams_user_id, row.bot_id = c.aad_object_id, c.teams_user_id, c.bot_id
        row.chat_id = c.chat_id or row.chat_id
        row.installed_at = c.installed_at or datetime.now(UTC)
        self.session.flush()
        return _from_row(row)

    def remove(self, school_id: int, conversation_id: str) -> bool:
        gone = self.session.execute(delete(TeamsConversationRow).where(
            TeamsConversationRow.school_id == school_id, TeamsConversationRow.conversation_id == conversation_id))
        return bool(gone.rowcount)

    def personal(self, school_id: int, chat_id: str) -> TeamsConversation | None:
        row = self.session.scalar(select(TeamsConversationRow).where(
            TeamsConversationRow.school_id == school_id, TeamsConversationRow.scope == PERSONAL,
            TeamsConversationRow.chat_id == chat_id).order_by(TeamsConversationRow.id.desc()).limit(1))
        return _from_row(row) if row else None

    def by_aad(self, school_id: int, aad_object_id: str) -> TeamsConversation | None:
        row = self.session.scalar(select(TeamsConversationRow).where(
            TeamsConversationRow.school_id == school_id, TeamsConversationRow.scope == PERSONAL,
            func.lower(TeamsConversationRow.aad_object_id) == aad_object_id.lower())
            .order_by(TeamsConversationRow.id.desc()).limit(1))
        return _from_row(row) if row else None

    def by_teams_user(self, school_id: int, teams_user_id: str) -> TeamsConversation | None:
        row = self.session.scalar(select(TeamsConversationRow).where(
            TeamsConversationRow.school_id == school_id, TeamsConversationRow.scope == PERSONAL,
            TeamsConversationRow.teams_user_id == teams_user_id).order_by(TeamsConversationRow.id.desc()).limit(1))
        return _from_row(row) if row else None

    def all(self, school_id: int) -> list[TeamsConversation]:
        return [_from_row(row) for row in self.session.scalars(select(TeamsConversationRow).where(
            TeamsConversationRow.school_id == school_id).order_by(TeamsConversationRow.id))]
