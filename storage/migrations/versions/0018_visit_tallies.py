"""Visit tallies: each school's sessions as school.yml sets them, and the booked visits (agreed or held) to each
teacher of each kind in each session, kept by triggers on visits as each visit is written, so that SLT's App Home
and `/visit limits` count the caps by reading a row a teacher and kind, not every visit of the session.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-03
"""
import json

import sqlalchemy as sa
from alembic import op

from bot.domain.school import parse_school_config
from storage.coltypes import UTCDateTime

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

BOOKED = "('agreed', 'held')"  # bot.domain.model.BOOKED_STATUSES, as this revision counts them

# A visit's tally: its school's session that its start falls in. `{row}` is NEW or OLD.
_SESSION_OF = ("FROM school_sessions s WHERE s.school_id = {row}.school_id "
               "AND {row}.start_at BETWEEN s.first_at AND s.last_at")
_ADD = ("INSERT INTO visit_tallies (school_id, session_starts, teacher, kind, visits, minutes) "
        "SELECT NEW.school_id, s.starts, NEW.teacher, NEW.kind, 1, NEW.minutes " + _SESSION_OF.format(row="NEW") +
        " {also} ON CONFLICT (school_id, session_starts, teacher, kind) DO UPDATE "
        "SET visits = visit_tallies.visits + 1, minutes = visit_tallies.minutes + excluded.minutes")
_TAKE = ("UPDATE visit_tallies SET visits = visits - 1, minutes = minutes - OLD.minutes "
         "WHERE school_id = OLD.school_id AND teacher = OLD.teacher AND kind = OLD.kind {also} "
         "AND session_starts IN (SELECT s.starts " + _SESSION_OF.format(row="OLD") + ")")
# What a visit's tally depends on: an UPDATE of anything else leaves the tallies be.
_COUNTED = "school_id, teacher, kind, status, start_at, minutes"

_POSTGRESQL = f"""
CREATE FUNCTION walkbot_tally_visit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' AND OLD.status IN {BOOKED} THEN
        {_TAKE.format(also="")};
    END IF;
    IF TG_OP <> 'DELETE' AND NEW.status IN {BOOKED} THEN
        {_ADD.format(also="")};
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER visits_tally AFTER INSERT OR DELETE OR UPDATE OF {_COUNTED} ON visits
    FOR EACH ROW EXECUTE FUNCTION walkbot_tally_visit();
"""

_SQLITE = (
    f"CREATE TRIGGER visits_tally_insert AFTER INSERT ON visits WHEN NEW.status IN {BOOKED} "
    f"BEGIN {_ADD.format(also='')}; END",
    f"CREATE TRIGGER visits_tally_delete AFTER DELETE ON visits WHEN OLD.status IN {BOOKED} "
    f"BEGIN {_TAKE.format(also='')}; END",
    f"CREATE TRIGGER visits_tally_update AFTER UPDATE OF {_COUNTED} ON visits BEGIN "
    f"{_TAKE.format(also=f'AND OLD.status IN {BOOKED}')}; "
    f"{_ADD.format(also=f'AND NEW.status IN {BOOKED}')}; END",
)

SESSIONS = sa.table("school_sessions", sa.column("school_id", sa.Integer()), sa.column("starts", sa.Date()),
                    sa.column("first_at", UTCDateTime()), sa.column("last_at", UTCDateTime()))


def upgrade() -> None:
    op.create_table(
        "school_sessions",
        sa.Column("school_id", sa.Integer(), sa.ForeignKey("schools.id", ondelete="CASCADE",
                                                          name="fk_school_sessions_school_id_schools"),
                  nullable=False),
        sa.Column("starts", sa.Date(), nullable=False),
        sa.Column("first_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("school_id", "starts", name="pk_school_sessions"),
    )
    op.create_table(
        "visit_tallies",
        sa.Column("school_id", sa.Integer(), sa.ForeignKey("schools.id", ondelete="CASCADE",
                                                          name="fk_visit_tallies_school_id_schools"),
                  nullable=False),
        sa.Column("session_starts", sa.Date(), nullable=False),
        sa.Column("teacher", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("visits", sa.Integer(), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("school_id", "session_starts", "teacher", "kind", name="pk_visit_tallies"),
    )
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute(_POSTGRESQL)
    else:
        for trigger in _SQLITE:
            op.execute(trigger)
    # The schools there are: their sessions as their stored school.yml sets them, then their visits counted.
    spans = []
    for school_id, key, config in bind.execute(sa.text("SELECT id, key, config FROM schools")):
        document = config if isinstance(config, dict) else json.loads(config)  # SQLite's JSON comes as text
        calendar = parse_school_config(document, stored_key=key).school.calendar
        spans += [dict(zip(("school_id", "starts", "first_at", "last_at"), (school_id, s.start, *calendar.span(s))))
                  for s in calendar.sessions]
    if spans:
        bind.execute(sa.insert(SESSIONS), spans)
    op.execute(
        "INSERT INTO visit_tallies (school_id, session_starts, teacher, kind, visits, minutes) "
        "SELECT v.school_id, s.starts, v.teacher, v.kind, count(*), sum(v.minutes) FROM visits v "
        "JOIN school_sessions s ON s.school_id = v.school_id AND v.start_at BETWEEN s.first_at AND s.last_at "
        f"WHERE v.status IN {BOOKED} GROUP BY v.school_id, s.starts, v.teacher, v.kind")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER visits_tally ON visits")
        op.execute("DROP FUNCTION walkbot_tally_visit()")
    else:
        for name in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER visits_tally_{name}")
    op.drop_table("visit_tallies")
    op.drop_table("school_sessions")
