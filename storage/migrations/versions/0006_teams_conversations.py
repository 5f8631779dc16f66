"""Microsoft Teams: the conversation references walkbot is given when it is installed for a person (or in a
team), so that it can write to them unasked (notices). One per conversation in a school; removed on uninstall.

Revision ID: 0006
Revises: 0004
Create Date: 2027-01-18
"""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0004"
branch_labels = None
depends_on = None

ID = sa.String(64)


def upgrade() -> None:
    op.create_table(
        "teams_conversations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", ID, nullable=False),
        sa.Column("conversation_id", sa.String(500), nullable=False),
        sa.Column("service_url", sa.String(500), nullable=False),
        sa.Column("scope", sa.String(20), nullable=False),
        sa.Column("aad_object_id", ID, nullable=True),
        sa.Column("teams_user_id", sa.String(200), nullable=True),
        sa.Column("bot_id", sa.String(200), nullable=True),
        sa.Column("installed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_teams_conversations"),
        sa.ForeignKeyConstraint(["school_id"], ["schools.id"], name="fk_teams_conversations_school_id_schools",
                                ondelete="CASCADE"),
        sa.UniqueConstraint("school_id", "conversation_id", name="uq_teams_conversations_school_id_conversation_id"),
    )
    op.create_index("ix_teams_conversations_school_id_aad_object_id", "teams_conversations",
                    ["school_id", "aad_object_id"])
    op.create_index("ix_teams_conversations_school_id_teams_user_id", "teams_conversations",
                    ["school_id", "teams_user_id"])


def downgrade() -> None:
    op.drop_index("ix_teams_conversations_school_id_teams_user_id", table_name="teams_conversations")
    op.drop_index("ix_teams_conversations_school_id_aad_object_id", table_name="teams_conversations")
    op.drop_table("teams_conversations")
