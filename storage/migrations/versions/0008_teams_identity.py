"""Microsoft Teams identity: the tenant a school is linked to (several schools may share one), each person's
email (how a Teams user is matched to a staff entry on first contact), and the staff id a conversation belongs to.

Personal conversations stored before this were keyed by the person's Entra object id, which was then their
staff id: that is what they are linked to.

Revision ID: 0008
Revises: 0007
Create Date: 2027-02-02
"""
import re

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

ID = sa.String(64)
GUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def upgrade() -> None:
    # Plain ALTER TABLEs, not batch ones: on SQLite a batch operation copies the table, and dropping a parent
    # table (schools, staff) there deletes the rows that refer to it.
    op.add_column("schools", sa.Column("teams_tenant_id", sa.String(36), nullable=True))
    op.create_index("ix_schools_teams_tenant_id", "schools", ["teams_tenant_id"])
    op.add_column("staff", sa.Column("email", sa.String(254), nullable=True))
    op.create_index("ix_staff_school_id_email", "staff", ["school_id", "email"])
    op.add_column("teams_conversations", sa.Column("chat_id", ID, nullable=True))
    op.create_index("ix_teams_conversations_school_id_chat_id", "teams_conversations", ["school_id", "chat_id"])
    # The staff id was the object id as the staff list spells it (any case); one no one on the list has stays
    # unlinked, and is matched afresh when that person next writes.
    staff, conversations = sa.table("staff", sa.column("school_id"), sa.column("chat_id")), sa.table(
        "teams_conversations", sa.column("school_id"), sa.column("aad_object_id"), sa.column("scope"),
        sa.column("chat_id"))
    same_school = staff.c.school_id == conversations.c.school_id
    exact = sa.select(staff.c.chat_id).where(same_school, staff.c.chat_id == conversations.c.aad_object_id)
    any_case = sa.select(sa.func.min(staff.c.chat_id)).where(
        same_school, sa.func.lower(staff.c.chat_id) == sa.func.lower(conversations.c.aad_object_id))
    op.execute(conversations.update().where(conversations.c.scope == "personal").values(
        chat_id=sa.func.coalesce(exact.scalar_subquery(), any_case.scalar_subquery())))
    # A school's tenant was read from its school.yml until now: the stored document still says it (only a GUID
    # is a tenant, as the parser has it now).
    bind = op.get_bind()
    schools = sa.table("schools", sa.column("id", sa.Integer), sa.column("config", sa.JSON),
                       sa.column("teams_tenant_id", sa.String))
    for school_id, document in bind.execute(sa.select(schools.c.id, schools.c.config)).all():
        teams = ((document or {}).get("school") or {}).get("teams") if isinstance(document, dict) else None
        tenant = str(teams.get("tenant_id") or "").strip().lower() if isinstance(teams, dict) else ""
        if GUID.fullmatch(tenant):
            bind.execute(schools.update().where(schools.c.id == school_id).values(teams_tenant_id=tenant))


def downgrade() -> None:
    # DROP COLUMN itself (SQLite 3.35 and later have it), for the reason given in upgrade.
    for table, column, index in (("teams_conversations", "chat_id", "ix_teams_conversations_school_id_chat_id"),
                                 ("staff", "email", "ix_staff_school_id_email"),
                                 ("schools", "teams_tenant_id", "ix_schools_teams_tenant_id")):
        op.drop_index(index, table_name=table)
        op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
