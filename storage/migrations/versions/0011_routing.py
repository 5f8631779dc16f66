"""Routing that never reaches the person concerned: whom a concern is about, the visit unsafe practice was seen
on, and an objection's course: whom it was passed to, and whether it is open, resolved or withdrawn.

Objections recorded before this stay open, as they always were; they were passed to the teacher's line manager
(or SLT), which is not recorded, so only the teacher can settle them (by withdrawing).

Revision ID: 0011
Revises: 0010
Create Date: 2027-02-04
"""
import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

ID = sa.String(64)


def upgrade() -> None:
    # Batch operations copy a table on SQLite: safe here, as no other table refers to these two.
    with op.batch_alter_table("concerns") as concerns:
        concerns.add_column(sa.Column("about", ID, nullable=True))
        concerns.add_column(sa.Column("visit_id", sa.Integer(), nullable=True))
        concerns.create_foreign_key("fk_concerns_visit_id_visits", "visits", ["visit_id"], ["id"],
                                    ondelete="SET NULL")
    with op.batch_alter_table("objections") as objections:
        objections.add_column(sa.Column("routed_to", ID, nullable=True))
        objections.add_column(sa.Column("status", sa.String(20), nullable=False, server_default="open"))
        objections.add_column(sa.Column("settled_at", sa.DateTime(timezone=True), nullable=True))
        objections.add_column(sa.Column("resolution", sa.Text(), nullable=True))
        objections.create_index("ix_objections_school_id_visit_id", ["school_id", "visit_id"])


def downgrade() -> None:
    with op.batch_alter_table("objections") as objections:
        objections.drop_index("ix_objections_school_id_visit_id")
        for column in ("resolution", "settled_at", "status", "routed_to"):
            objections.drop_column(column)
    with op.batch_alter_table("concerns") as concerns:
        concerns.drop_constraint("fk_concerns_visit_id_visits", type_="foreignkey")
        concerns.drop_column("visit_id")
        concerns.drop_column("about")
