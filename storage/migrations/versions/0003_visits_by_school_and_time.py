"""Visits by school and time: who visits in a span is found among the school's visits then, not among
everything a visitor has ever visited (the visitor half of SqlVisitRepo.involving).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_visits_school_id_start_at", "visits", ["school_id", "start_at"])


def downgrade() -> None:
    op.drop_index("ix_visits_school_id_start_at", table_name="visits")
