"""Notices as cards: the outbox keeps what a notice says as data (`body`, a card as JSON), not as an
English sentence (`text`), so each chat surface renders it its own way when it is sent.

Every notice already written is kept: its text becomes a card of one section whose lines are the
text's lines. A proposal or a suggestion about a visit also gets the actions that answer it, at the
time it was asked about (its useful_until), as the Slack renderer gave it buttons before. The card
is written out here in bot.reply.card's stored form, version 1, so this migration stays as it is
whatever that module does later. Downgrading renders each card back to plain text.

Revision ID: 0004
Revises: 0003
Create Date: 2027-01-04
"""
import json
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

BATCH = 500

notices = sa.table(
    "notices",
    sa.column("id", sa.Integer()),
    sa.column("kind", sa.String(50)),
    sa.column("text", sa.Text()),
    sa.column("body", sa.Text()),
    sa.column("visit_id", sa.Integer()),
    sa.column("useful_until", sa.DateTime(timezone=True)),
)


def _utc(value: datetime | str | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):  # a driver that hands SQLite's text back as it is
        value = datetime.fromisoformat(value)
    value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return value.isoformat()


def _action(verb: str, label: str, command: str, visit_id: int, at: str | None, style: str = "default",
            confirm: list[str] | None = None) -> dict:
    return {"verb": verb, "label": label, "command": command, "visit_id": visit_id, "at": at, "style": style,
            "key": str(visit_id), "confirm": confirm}


def _answers(kind: str, v: int, at: str | None) -> list[dict]:
    """bot.reply.actions.teacher_answers / visitor_answers, as they were stored at version 1."""
    if kind == "proposal":
        return [_action("visit.agree", "Agree", f"visit agree {v}", v, at, "primary"),
                _action("visit.suggest", "Suggest another time", f"visit suggest {v} DATE TIME", v, at),
                _action("visit.decline", "Decline", f'visit decline {v} "reason"', v, at, "danger")]
    if kind == "suggestion":
        return [_action("visit.accept", "Accept this time", f"visit accept {v}", v, at, "primary"),
                _action("visit.withdraw", "Withdraw", f"visit withdraw {v}", v, at, "danger",
                        ["Withdraw this visit?", f"Visit #{v} will be called off.", "Withdraw", "Keep it"])]
    return []


def card_of(kind: str, text: str, visit_id: int | None, useful_until) -> dict:
    """An old notice's text as a card (version 1)."""
    actions = _answers(kind, visit_id, _utc(useful_until)) if visit_id is not None else []
    return {"v": 1, "title": None, "tone": "info", "attachment": None, "sections": [
        {"title": None, "lines": text.split("\n") if text else [], "fields": [], "notes": [], "actions": actions,
         "ask": "Answer with"}]}


def text_of(body: str) -> str:
    """A card (version 1) as plain text, as bot.reply.text rendered it: for downgrading."""
    data = json.loads(body)

    def flat(line) -> str:
        return line if isinstance(line, str) else "".join(p if isinstance(p, str) else "/" + p["say"] for p in line)

    lines = [data["title"]] if data.get("title") else []
    for s in data.get("sections", []):
        lines += [s["title"]] if s.get("title") else []
        lines += [flat(t) for t in s.get("lines", [])]
        lines += [f"{label}: {value}" for label, value in s.get("fields", [])]
        lines += [f"  {note}" for note in s.get("notes", [])]
        said = list(dict.fromkeys("/" + a["command"] for a in s.get("actions", []) if a.get("command")))
        if said:
            listed = said[0] if len(said) == 1 else ", ".join(said[:-1]) + ", or " + said[-1]
            lines.append(f"{s.get('ask', 'Answer with')} {listed}.")
    return "\n".join(lines)


def _convert(source: str, target: str, convert) -> None:
    """Fill `target` from `source` for every row, a batch at a time."""
    if op.get_context().as_sql:
        raise RuntimeError("this migration converts the notices already written, so it must run against the "
                           "database itself, not as an SQL script")
    conn = op.get_bind()
    last = 0
    while True:
        rows = conn.execute(
            sa.select(notices.c.id, notices.c.kind, notices.c[source], notices.c.visit_id, notices.c.useful_until)
            .where(notices.c.id > last).order_by(notices.c.id).limit(BATCH)).all()
        if not rows:
            return
        change = notices.update().where(notices.c.id == sa.bindparam("row_id")).values({target: sa.bindparam("value")})
        conn.execute(change, [{"row_id": r.id, "value": convert(r)} for r in rows])
        last = rows[-1].id


def upgrade() -> None:
    with op.batch_alter_table("notices") as batch:
        batch.add_column(sa.Column("body", sa.Text(), nullable=True))
    _convert("text", "body", lambda r: json.dumps(card_of(r.kind, r.text, r.visit_id, r.useful_until),
                                                  ensure_ascii=False))
    with op.batch_alter_table("notices") as batch:
        batch.alter_column("body", existing_type=sa.Text(), nullable=False)
        batch.drop_column("text")


def downgrade() -> None:
    with op.batch_alter_table("notices") as batch:
        batch.add_column(sa.Column("text", sa.Text(), nullable=True))
    _convert("body", "text", lambda r: text_of(r.body))
    with op.batch_alter_table("notices") as batch:
        batch.alter_column("text", existing_type=sa.Text(), nullable=False)
        batch.drop_column("body")
