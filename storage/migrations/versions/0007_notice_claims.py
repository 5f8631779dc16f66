"""Notice claims in database time, with a token: a dispatcher's lease on a notice ends by the database's
clock, not its own machine's, and only the dispatcher holding the claim can record how the notice went.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""
import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("notices") as notices:
        notices.add_column(sa.Column("claim_token", sa.String(32), nullable=True))
        notices.add_column(sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("notices") as notices:
        notices.drop_column("lease_until")
        notices.drop_column("claim_token")
