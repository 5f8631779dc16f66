"""Acknowledged first, worked on after: how `walkbot serve` and `walkbot slack` run the Slack app.

Slack gives an app 3 seconds to acknowledge a request. Acknowledging a command, a button or an event
before touching the database keeps that promise whatever the load; the answer follows by the command's
response_url, an updated message, or a redrawn App Home. The listeners are the same as in the other
Slack tests, which do the work before the ack; these tests show what differs.
"""
from __future__ import annotations

import logging
import threading
import time

import pytest
from slack_support import standin, workspace  # noqa: F401 (fixtures)

from sqlalchemy import text

from bot.chat.router import SORRY
from bot.domain.model import VisitStatus

SAM, TOM = "U05SAM", "U03TOM"
PROPOSAL = 'propose <@U03TOM|tom> 2027-02-04 P3 30m kind formal focus "questioning" feedback "after school"'


@pytest.fixture
def slack(store, clock, standin):
    with workspace(store, clock, standin, ack_first=True) as running:
        yield running


def held_back(slack, method: str) -> threading.Event:
    """Slack holds every `method` call until the returned event is set."""
    release = threading.Event()

    def hold(call):
        if call.method == method:
            release.wait(10)
        return None

    slack.standin.override = hold
    return release


def test_a_command_is_acknowledged_before_its_answer_is_ready(slack):
    release = held_back(slack, "command")  # the answer cannot reach Slack yet...
    answer = slack.command(SAM, PROPOSAL)
    assert (answer.status, answer.body) == (200, "")  # ...and still the ack has come back
    release.set()
    (reply,) = slack.standin.wait_for("command")
    assert reply.args["response_type"] == "ephemeral" and reply.args["text"].startswith("Proposed #1")


def test_agree_on_a_message_updates_it_after_the_ack(slack):
    slack.command(SAM, PROPOSAL)
    slack.standin.wait_for("command")
    proposal = next(p for p in slack.deliver() if p.notice.kind == "proposal")
    release = held_back(slack, "chat.update")
    answer = slack.click(TOM, "visit.agree", "1", message=proposal)
    assert (answer.status, answer.body) == (200, "")
    release.set()
    (update,) = slack.standin.wait_for("chat.update")
    assert (update.args["channel"], update.args["ts"]) == (proposal.channel, proposal.ts)
    with slack.store.uow() as uow:
        assert uow.visits.get(1, 1).status is VisitStatus.AGREED


def test_the_app_home_is_drawn_after_the_ack(slack):
    release = held_back(slack, "views.publish")
    assert slack.open_home(TOM).status == 200
    release.set()
    (published,) = slack.standin.wait_for("views.publish")
    assert published.args["user_id"] == TOM and published.args["view"]["type"] == "home"


def test_a_failure_after_the_ack_is_logged_and_the_person_told(slack, caplog):
    slack.standin.override = lambda call: ((200, {}, {"ok": False, "error": "expired_trigger_id"})
                                           if call.method == "views.open" else None)
    caplog.set_level(logging.ERROR, logger="walkbot.slack")
    assert slack.command(SAM, "").status == 200  # a bare /visit opens the form, which Slack refuses
    (reply,) = slack.standin.wait_for("command")
    assert reply.args["text"] == SORRY
    assert any("failed after its ack" in r.getMessage() and r.exc_info for r in caplog.records)


def test_a_command_is_kept_before_its_ack_without_slacks_verification_token(slack):
    slack.command(SAM, PROPOSAL)
    slack.standin.wait_for("command")
    deadline = time.monotonic() + 10
    while True:  # marked answered a moment after Slack took the answer
        with slack.store.engine.connect() as conn:
            (kept, status), = conn.execute(text("SELECT request, status FROM inbox")).all()
        if status == "answered" or time.monotonic() > deadline:
            break
        time.sleep(0.02)
    assert status == "answered" and '"command": "/visit"' in kept
    assert "verification-token" not in kept  # a credential of Slack's, of no use once the request was verified
