"""Notices by recipient: each person's notices go in order, so claiming one asks whether an earlier one to the
same person is still pending (storage/repos/notices.py, _before). This index answers that without a scan.

Revision ID: 0012
Revises: 0011
Create Date: 2027-02-02
"""
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_notices_school_id_recipient_status_due_at", "notices",
                    ["school_id", "recipient", "status", "due_at"])


def downgrade() -> None:
    op.drop_index("ix_notices_school_id_recipient_status_due_at", table_name="notices")
