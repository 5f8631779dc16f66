"""The timetable: each school's lessons (teacher, week A/B, day, times, period, class, subject, room; no pupils),
the staff's own ids in the school's MIS that a timetable names them by, and the visitors whose cover is arranged.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ALTER TABLE: a batch one copies the table on SQLite.
    op.add_column("staff", sa.Column("mis_id", sa.String(100), nullable=True))
    op.create_table(
        "timetable_lessons",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), sa.ForeignKey("schools.id", ondelete="CASCADE",
                                                          name="fk_timetable_lessons_school_id_schools"),
                  nullable=False),
        sa.Column("chat_id", sa.String(64), nullable=False),
        sa.Column("week", sa.String(1), nullable=True),
        sa.Column("day", sa.Integer(), nullable=False),
        sa.Column("start_time", sa.Time(), nullable=False),
        sa.Column("end_time", sa.Time(), nullable=False),
        sa.Column("period", sa.String(100), nullable=True),
        sa.Column("class_name", sa.String(100), nullable=True),
        sa.Column("subject", sa.String(100), nullable=True),
        sa.Column("room", sa.String(100), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_timetable_lessons"),
        sa.CheckConstraint("week IN ('A', 'B')", name="ck_timetable_lessons_week"),
        sa.CheckConstraint("day BETWEEN 0 AND 4", name="ck_timetable_lessons_day"),
    )
    op.create_index("ix_timetable_lessons_school_id_chat_id", "timetable_lessons", ["school_id", "chat_id"])
    op.create_table(
        "visit_covers",
        sa.Column("visit_id", sa.Integer(), sa.ForeignKey("visits.id", ondelete="CASCADE",
                                                         name="fk_visit_covers_visit_id_visits"), nullable=False),
        sa.Column("chat_id", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("visit_id", "chat_id", name="pk_visit_covers"),
    )


def downgrade() -> None:
    op.drop_table("visit_covers")
    op.drop_index("ix_timetable_lessons_school_id_chat_id", table_name="timetable_lessons")
    op.drop_table("timetable_lessons")
    op.execute("ALTER TABLE staff DROP COLUMN mis_id")
