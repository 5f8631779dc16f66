"""Notices that wait for walkbot to be installed: why a notice cannot reach its recipient yet (walkbot not
installed for them in Teams, not in the staff team, or not installed for the school at all), so that SLT see
who cannot be reached and how to put it right.

Revision ID: 0009
Revises: 0008
Create Date: 2027-02-03
"""
import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ALTER TABLE: a batch operation would copy the whole outbox on SQLite.
    op.add_column("notices", sa.Column("waiting_for", sa.String(20), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("notices") as notices:
        notices.drop_column("waiting_for")
