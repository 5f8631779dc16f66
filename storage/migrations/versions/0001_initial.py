"""Initial schema: schools, staff, walks, visits, notices, concerns, objections.

Revision ID: 0001
Revises:
Create Date: 2026-05-01
"""
import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

ID = sa.String(64)


def _at(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "schools",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(100), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("config", sa.JSON(), nullable=False),
        sa.Column("slack_team_id", sa.String(32), nullable=True),
        _at("created_at"),
        _at("updated_at"),
        sa.PrimaryKeyConstraint("id", name="pk_schools"),
        sa.UniqueConstraint("key", name="uq_schools_key"),
        sa.UniqueConstraint("slack_team_id", name="uq_schools_slack_team_id"),
    )
    op.create_table(
        "staff",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("chat_id", ID, nullable=False),
        sa.Column("handle", sa.String(100), nullable=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("roles", sa.String(200), nullable=False),
        sa.Column("line_manager", ID, nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("source", sa.String(20), server_default="school.yml", nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_staff"),
        sa.ForeignKeyConstraint(
            ["school_id"], ["schools.id"], name="fk_staff_school_id_schools", ondelete="CASCADE"
        ),
        sa.UniqueConstraint("school_id", "chat_id", name="uq_staff_school_id_chat_id"),
    )
    op.create_index("ix_staff_school_id_lower_handle", "staff", ["school_id", sa.text("lower(handle)")])

    op.create_table(
        "walks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("planned_by", ID, nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        _at("start_at"),
        _at("end_at"),
        sa.Column("focus", sa.Text(), nullable=False),
        sa.Column("cancelled", sa.Boolean(), nullable=False),
        _at("announce_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_walks"),
        sa.ForeignKeyConstraint(
            ["school_id"], ["schools.id"], name="fk_walks_school_id_schools", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_walks_school_id_day", "walks", ["school_id", "day"])
    op.create_table(
        "walk_walkers",
        sa.Column("walk_id", sa.Integer(), nullable=False),
        sa.Column("chat_id", ID, nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("walk_id", "chat_id", name="pk_walk_walkers"),
        sa.ForeignKeyConstraint(
            ["walk_id"], ["walks.id"], name="fk_walk_walkers_walk_id_walks", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_walk_walkers_chat_id", "walk_walkers", ["chat_id"])

    op.create_table(
        "visits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("teacher", ID, nullable=False),
        sa.Column("proposer", ID, nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        _at("start_at"),
        _at("end_at"),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("focus", sa.Text(), nullable=True),
        sa.Column("feedback", sa.Text(), nullable=True),
        sa.Column("pro_forma", sa.Text(), nullable=True),
        sa.Column("walk_id", sa.Integer(), nullable=True),
        _at("suggested_start_at", nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        _at("dialogue_at", nullable=True),
        sa.Column("record", sa.Text(), nullable=True),
        _at("created_at"),
        _at("updated_at"),
        sa.PrimaryKeyConstraint("id", name="pk_visits"),
        sa.ForeignKeyConstraint(
            ["school_id"], ["schools.id"], name="fk_visits_school_id_schools", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["walk_id"], ["walks.id"], name="fk_visits_walk_id_walks", ondelete="SET NULL"),
    )
    op.create_index("ix_visits_teacher_school_id_start_at", "visits", ["teacher", "school_id", "start_at"])
    op.create_index("ix_visits_walk_id", "visits", ["walk_id"])
    op.create_table(
        "visit_visitors",
        sa.Column("visit_id", sa.Integer(), nullable=False),
        sa.Column("chat_id", ID, nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("visit_id", "chat_id", name="pk_visit_visitors"),
        sa.ForeignKeyConstraint(
            ["visit_id"], ["visits.id"], name="fk_visit_visitors_visit_id_visits", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_visit_visitors_chat_id", "visit_visitors", ["chat_id"])
    op.create_table(
        "visit_record_agreements",
        sa.Column("visit_id", sa.Integer(), nullable=False),
        sa.Column("chat_id", ID, nullable=False),
        sa.PrimaryKeyConstraint("visit_id", "chat_id", name="pk_visit_record_agreements"),
        sa.ForeignKeyConstraint(
            ["visit_id"], ["visits.id"], name="fk_visit_record_agreements_visit_id_visits", ondelete="CASCADE"
        ),
    )
    op.create_table(
        "visit_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("visit_id", sa.Integer(), nullable=False),
        sa.Column("author", ID, nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        _at("written_at"),
        sa.PrimaryKeyConstraint("id", name="pk_visit_notes"),
        sa.ForeignKeyConstraint(
            ["visit_id"], ["visits.id"], name="fk_visit_notes_visit_id_visits", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_visit_notes_visit_id", "visit_notes", ["visit_id"])

    op.create_table(
        "notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(50), nullable=False),
        sa.Column("recipient", ID, nullable=False),
        _at("due_at"),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("visit_id", sa.Integer(), nullable=True),
        sa.Column("walk_id", sa.Integer(), nullable=True),
        _at("useful_until", nullable=True),
        sa.Column("ics", sa.Text(), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        _at("sent_at", nullable=True),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("claimed_by", sa.String(100), nullable=True),
        _at("claimed_until", nullable=True),
        sa.Column("message_id", sa.String(100), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_notices"),
        sa.CheckConstraint(
            "status IN ('pending', 'sent', 'superseded', 'failed', 'expired')", name="ck_notices_status"
        ),
        sa.ForeignKeyConstraint(
            ["school_id"], ["schools.id"], name="fk_notices_school_id_schools", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["visit_id"], ["visits.id"], name="fk_notices_visit_id_visits", ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["walk_id"], ["walks.id"], name="fk_notices_walk_id_walks", ondelete="CASCADE"),
    )
    op.create_index("ix_notices_status_due_at", "notices", ["status", "due_at"])
    op.create_index("ix_notices_visit_id", "notices", ["visit_id"])
    op.create_index("ix_notices_walk_id", "notices", ["walk_id"])

    op.create_table(
        "concerns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("raised_by", ID, nullable=False),
        sa.Column("routed_to", ID, nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        _at("raised_at"),
        sa.PrimaryKeyConstraint("id", name="pk_concerns"),
        sa.ForeignKeyConstraint(
            ["school_id"], ["schools.id"], name="fk_concerns_school_id_schools", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_concerns_school_id", "concerns", ["school_id"])
    op.create_table(
        "objections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("teacher", ID, nullable=False),
        sa.Column("observer", ID, nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        _at("raised_at"),
        sa.Column("visit_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_objections"),
        sa.ForeignKeyConstraint(
            ["school_id"], ["schools.id"], name="fk_objections_school_id_schools", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["visit_id"], ["visits.id"], name="fk_objections_visit_id_visits", ondelete="SET NULL"
        ),
    )
    op.create_index("ix_objections_school_id_teacher", "objections", ["school_id", "teacher"])


def downgrade() -> None:
    for table in (
        "objections",
        "concerns",
        "notices",
        "visit_notes",
        "visit_record_agreements",
        "visit_visitors",
        "visits",
        "walk_walkers",
        "walks",
        "staff",
        "schools",
    ):
        op.drop_table(table)
