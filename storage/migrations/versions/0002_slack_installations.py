"""Slack OAuth: slack_sdk's installation and state store tables, in walkbot's database.

The columns are slack_sdk's (SQLAlchemyInstallationStore, SQLAlchemyOAuthStateStore), written out
here so this migration stays as it is whatever slack_sdk does later; credential columns are Text
because they hold Fernet ciphertext (handlers/slack/oauth.py). tests/test_slack_oauth.py compares
the result with the stores' own metadata.

Revision ID: 0002
Revises: 0001
Create Date: 2026-05-20
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

SLACK_ID = sa.String(32)
NAME = sa.String(200)
SCOPES = sa.String(1000)


def _bot_columns() -> list[sa.Column]:
    """The columns slack_bots and slack_installations share, in slack_sdk's order."""
    return [
        sa.Column("bot_token", sa.Text()),
        sa.Column("bot_id", SLACK_ID),
        sa.Column("bot_user_id", SLACK_ID),
        sa.Column("bot_scopes", SCOPES),
        sa.Column("bot_refresh_token", sa.Text()),
        sa.Column("bot_token_expires_at", sa.DateTime()),
    ]


def upgrade() -> None:
    op.create_table(
        "slack_installations",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("client_id", SLACK_ID, nullable=False),
        sa.Column("app_id", SLACK_ID, nullable=False),
        sa.Column("enterprise_id", SLACK_ID),
        sa.Column("enterprise_name", NAME),
        sa.Column("enterprise_url", NAME),
        sa.Column("team_id", SLACK_ID),
        sa.Column("team_name", NAME),
        *_bot_columns(),
        sa.Column("user_id", SLACK_ID, nullable=False),
        sa.Column("user_token", sa.Text()),
        sa.Column("user_scopes", SCOPES),
        sa.Column("user_refresh_token", sa.Text()),
        sa.Column("user_token_expires_at", sa.DateTime()),
        sa.Column("incoming_webhook_url", sa.Text()),
        sa.Column("incoming_webhook_channel", NAME),
        sa.Column("incoming_webhook_channel_id", NAME),
        sa.Column("incoming_webhook_configuration_url", NAME),
        sa.Column("is_enterprise_install", sa.Boolean(), nullable=False),
        sa.Column("token_type", SLACK_ID),
        sa.Column("installed_at", sa.DateTime(), nullable=False),
    )
    op.create_index("slack_installations_idx", "slack_installations",
                    ["client_id", "enterprise_id", "team_id", "user_id", "installed_at"])
    op.create_table(
        "slack_bots",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("client_id", SLACK_ID, nullable=False),
        sa.Column("app_id", SLACK_ID, nullable=False),
        sa.Column("enterprise_id", SLACK_ID),
        sa.Column("enterprise_name", NAME),
        sa.Column("team_id", SLACK_ID),
        sa.Column("team_name", NAME),
        *_bot_columns(),
        sa.Column("is_enterprise_install", sa.Boolean(), nullable=False),
        sa.Column("installed_at", sa.DateTime(), nullable=False),
    )
    op.create_index("slack_bots_idx", "slack_bots", ["client_id", "enterprise_id", "team_id", "installed_at"])
    op.create_table(
        "slack_oauth_states",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("state", NAME, nullable=False),
        sa.Column("expire_at", sa.DateTime(), nullable=False),
    )


def downgrade() -> None:
    for table in ("slack_oauth_states", "slack_bots", "slack_installations"):
        op.drop_table(table)  # their indexes go with them
