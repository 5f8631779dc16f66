"""Learning walks as a whole-school activity: a walk's purpose and feedback arrangements, when its report was
shared, and the findings walkers record against its focus (the walk's, never a room's).

Revision ID: 0010
Revises: 0009
Create Date: 2027-02-04
"""
import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

ID = sa.String(64)
WALK_COLUMNS = ("purpose", "feedback", "report_shared_at")


def upgrade() -> None:
    # Plain ALTER TABLEs, not batch ones: on SQLite a batch operation copies the table, and dropping walks there
    # would delete the notices that refer to it (ON DELETE CASCADE).
    op.add_column("walks", sa.Column("purpose", sa.Text(), nullable=True))
    op.add_column("walks", sa.Column("feedback", sa.Text(), nullable=True))
    op.add_column("walks", sa.Column("report_shared_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "walk_findings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("walk_id", sa.Integer(), nullable=False),
        sa.Column("author", ID, nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("written_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_walk_findings"),
        sa.ForeignKeyConstraint(["walk_id"], ["walks.id"], name="fk_walk_findings_walk_id_walks", ondelete="CASCADE"),
    )
    op.create_index("ix_walk_findings_walk_id", "walk_findings", ["walk_id"])


def downgrade() -> None:
    op.drop_index("ix_walk_findings_walk_id", table_name="walk_findings")
    op.drop_table("walk_findings")
    # DROP COLUMN itself (SQLite 3.35 and later have it), for the reason given in upgrade.
    for column in WALK_COLUMNS:
        op.execute(f"ALTER TABLE walks DROP COLUMN {column}")
