"""Private calendar feeds (a hash of each person's secret token), and a revision on visits and walks: each change
of time or status, the SEQUENCE calendars need to take an event's new version.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02
"""
import time

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

TABLES = ("visits", "walks")


def upgrade() -> None:
    # Plain ALTER TABLEs (as 0010): on SQLite a batch operation copies the table, and dropping visits or walks
    # there would delete what refers to them (ON DELETE CASCADE).
    for table in TABLES:
        op.add_column(table, sa.Column("revision", sa.Integer(), nullable=False, server_default="0"))
    # Calendar files sent before this numbered their SEQUENCE by the minute they were written: visits booked
    # already start at the minute of this upgrade, so the next file about one still replaces the one people have.
    op.execute(sa.text("UPDATE visits SET revision = :minute").bindparams(minute=int(time.time()) // 60))
    op.create_table(
        "calendar_feeds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), sa.ForeignKey("schools.id", ondelete="CASCADE",
                                                          name="fk_calendar_feeds_school_id_schools"),
                  nullable=False),
        sa.Column("chat_id", sa.String(64), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_calendar_feeds"),
        sa.UniqueConstraint("school_id", "chat_id", name="uq_calendar_feeds_school_id_chat_id"),
        sa.UniqueConstraint("token_hash", name="uq_calendar_feeds_token_hash"),
    )


def downgrade() -> None:
    op.drop_table("calendar_feeds")
    for table in TABLES:
        op.execute(f"ALTER TABLE {table} DROP COLUMN revision")
