"""Retention and subject access: the disposal log (what kind of record, how many, when, why: never what they held)
and the subject access requests SLT log, each with its legal due date.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "disposal_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("cause", sa.String(20), nullable=False),
        sa.Column("disposed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_disposal_log"),
        # The log outlives a school's row: it is what shows the disposals were done.
        sa.ForeignKeyConstraint(["school_id"], ["schools.id"], name="fk_disposal_log_school_id_schools",
                                ondelete="SET NULL"),
    )
    op.create_index("ix_disposal_log_school_id_disposed_at", "disposal_log", ["school_id", "disposed_at"])
    op.create_table(
        "subject_access_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("person", sa.String(64), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("answered_on", sa.Date(), nullable=True),
        sa.Column("logged_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_subject_access_requests"),
        sa.ForeignKeyConstraint(["school_id"], ["schools.id"], name="fk_subject_access_requests_school_id_schools",
                                ondelete="CASCADE"),
    )
    op.create_index("ix_subject_access_requests_school_id_person", "subject_access_requests", ["school_id", "person"])


def downgrade() -> None:
    op.drop_index("ix_subject_access_requests_school_id_person", table_name="subject_access_requests")
    op.drop_table("subject_access_requests")
    op.drop_index("ix_disposal_log_school_id_disposed_at", table_name="disposal_log")
    op.drop_table("disposal_log")
