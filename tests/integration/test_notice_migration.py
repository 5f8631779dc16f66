"""Migration 0004, notices as cards: a notice written as text before it still sends after it, with
the buttons a question had, on SQLite and PostgreSQL; and going back renders every card as text."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from alembic import command
from notices_support import TUESDAY_10, Recorder, at

from bot.domain.clock import FixedClock
from bot.domain.model import Notice, NoticeKind, Visit, VisitKind
from bot.notices import words
from bot.notices.delivery import dispatch_due
from bot.reply.actions import teacher_answers
from bot.reply.card import Verb
from bot.reply.text import render
from handlers.wiring import load_school
from storage import open_store
from storage.coltypes import UTCDateTime
from storage.db import make_engine
from storage.migrate import alembic_config

OLD_PROPOSAL = ("Sam Patel would like to visit: #1 formal visit to Tom Baker's class, Thu 4 Feb 2027 at 11:10 for "
                "30 minutes, by Sam Patel. Feedback: after school. Answer with /visit agree 1, /visit suggest 1 DATE "
                "TIME, or /visit decline 1 \"reason\".")
OLD_REMINDER = ("Reminder: you visit Tom Baker's class Thu 4 Feb 2027 at 11:10 for 30 minutes (formal visit #1).\n"
                "Focus: questioning")

# The notices table as revision 0003 has it: the words are text.
OLD_NOTICES = sa.table(
    "notices", sa.column("id", sa.Integer()), sa.column("school_id", sa.Integer()), sa.column("kind", sa.String()),
    sa.column("recipient", sa.String()), sa.column("due_at", UTCDateTime()), sa.column("text", sa.Text()),
    sa.column("visit_id", sa.Integer()), sa.column("useful_until", UTCDateTime()), sa.column("status", sa.String()),
    sa.column("attempts", sa.Integer()))


def migrate_to(url: str, revision: str, *, down: bool = False) -> None:
    """As storage.migrate.migrate does, to one revision."""
    engine = make_engine(url)
    config = alembic_config()
    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            (command.downgrade if down else command.upgrade)(config, revision)
    finally:
        engine.dispose()


@pytest.fixture
def at_0003(store_url):
    """A database with the demo school and one proposed visit, at revision 0003."""
    store = open_store(store_url)
    school = load_school(store, None)
    with store.uow() as uow:
        visit = uow.visits.add(Visit(None, school.id, "U03TOM", ("U05SAM",), "U05SAM", VisitKind.FORMAL,
                                     at("2027-02-04", "11:10"), 30, focus="questioning", feedback="after school"))
        uow.commit()
    store.close()
    migrate_to(store_url, "0003", down=True)
    return store_url, school, visit


def test_a_notice_written_as_text_before_0004_still_sends_after_it(at_0003):
    url, school, visit = at_0003
    due = TUESDAY_10 - timedelta(hours=1)
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(OLD_NOTICES.insert(), [
            {"school_id": school.id, "kind": "proposal", "recipient": "U03TOM", "due_at": due, "text": OLD_PROPOSAL,
             "visit_id": visit.id, "useful_until": visit.start, "status": "pending", "attempts": 0},
            {"school_id": school.id, "kind": "reminder", "recipient": "U05SAM", "due_at": due, "text": OLD_REMINDER,
             "visit_id": visit.id, "useful_until": visit.start, "status": "pending", "attempts": 0},
        ])
    engine.dispose()

    store = open_store(url)  # migrates to head
    try:
        clock = FixedClock(TUESDAY_10)
        transport = Recorder(clock)
        report = dispatch_due(store.uow, transport, clock)
        assert len(report.sent) == 2 and not report.failed
        sent = {n.kind: n for _, n in transport.sent}
        proposal, reminder = sent[NoticeKind.PROPOSAL], sent[NoticeKind.REMINDER]
        # The words are as they were, a line of the card each.
        assert proposal.card.sections[0].lines == (OLD_PROPOSAL,)
        assert reminder.text == OLD_REMINDER
        assert not list(reminder.card.actions)
        # The question keeps its buttons, answering the time it asked about, as the Slack renderer drew them.
        actions = list(proposal.card.actions)
        assert [a.verb for a in actions] == [Verb.AGREE, Verb.SUGGEST, Verb.DECLINE]
        assert all(a.visit_id == visit.id and a.at == visit.start for a in actions)
        assert actions[0].at.tzinfo is not None
        assert proposal.text.startswith(OLD_PROPOSAL)
        assert proposal.text.endswith(f'/visit agree {visit.id}, /visit suggest {visit.id} DATE TIME, or '
                                      f'/visit decline {visit.id} "reason".')
        # The very actions walkbot writes on a proposal now (bot.reply.actions).
        assert tuple(actions) == teacher_answers(visit.id, visit.start)
    finally:
        store.close()


def test_going_back_to_0003_renders_each_card_as_its_text(store_url):
    store = open_store(store_url)
    school = load_school(store, None)
    with store.uow() as uow:
        visit = uow.visits.add(Visit(None, school.id, "U03TOM", ("U05SAM",), "U05SAM", VisitKind.FORMAL,
                                     at("2027-02-04", "11:10"), 30, focus="questioning", pro_forma="https://e.org/f"))
        names = {s.chat_id: s.name for s in uow.staff.all(school.id)}
        cards = [words.proposal(school, visit, names, "Sam Patel"), words.reminder(school, visit, names),
                 words.nudge_held(school, visit, at("2027-02-11").date())]
        for card in cards:
            uow.notices.add(Notice(school.id, NoticeKind.PROPOSAL, "U03TOM", TUESDAY_10, card, visit_id=visit.id,
                                   useful_until=visit.start))
        uow.commit()
    store.close()

    migrate_to(store_url, "0003", down=True)
    engine = make_engine(store_url)
    with engine.connect() as conn:
        texts = conn.scalars(sa.select(OLD_NOTICES.c.text).order_by(OLD_NOTICES.c.id)).all()
    engine.dispose()
    assert texts == [render(card) for card in cards]

    store = open_store(store_url)  # and forward again: the texts become cards once more
    try:
        with store.uow() as uow:
            again = uow.notices.listing(["pending"])
        assert [n.card.sections[0].lines for n in again] == [tuple(render(card).split("\n")) for card in cards]
    finally:
        store.close()


def test_the_converted_asked_time_is_utc_whatever_the_backend_returned():
    from importlib import import_module

    migration = import_module("storage.migrations.versions.0004_notices_as_cards")
    naive, aware = datetime(2027, 2, 4, 11, 10), datetime(2027, 2, 4, 11, 10, tzinfo=UTC)
    for value in (naive, aware, "2027-02-04 11:10:00.000000"):
        card = migration.card_of("suggestion", "Tom Baker suggests …", 3, value)
        assert [a["at"] for a in card["sections"][0]["actions"]] == ["2027-02-04T11:10:00+00:00"] * 2
    assert migration.card_of("proposal", "no visit", None, aware)["sections"][0]["actions"] == []
