"""The Messages tab: a message typed in walkbot's DM is read as a command (with or without /visit or
/walk in front) and answered in that DM. Words that are no command get the help; walkbot's own posts,
other bots', edits and retries of an event already answered are not read at all."""
from __future__ import annotations

import json

import pytest
from slack_support import rows, slack, standin, workspace  # noqa: F401 (fixtures)

from bot.domain.model import VisitStatus

SAM, TOM = "U05SAM", "U03TOM"
PROPOSAL = 'propose <@U03TOM|tom> 2027-02-04 P3 30m kind formal focus "questioning" feedback "after school"'
HELP = "walkbot books classroom visits"


def answers(slack) -> list[dict]:
    return [call.args for call in slack.calls("chat.postMessage")]


def answer(slack, user: str, typed: str, **event) -> dict:
    assert slack.dm(user, typed, **event).status == 200
    [said] = answers(slack)
    assert said["channel"] == f"D{user}"  # in the DM it was typed in
    return said


@pytest.mark.parametrize("typed", ["limits", "/visit limits", "visit limits", "  Visit LIMITS "])
def test_a_command_typed_in_walkbots_dm_is_answered_in_that_dm(slack, typed):
    said = answer(slack, TOM, typed)
    assert said["text"].startswith("Tom Baker, session 2026-27: 0 of 3 observations used this year")
    assert said["blocks"][0]["text"]["text"].startswith("Tom Baker, session 2026-27")


@pytest.mark.parametrize("typed", ["walk list", "/walk list", "WALK list"])
def test_walk_commands_work_there_too(slack, typed):
    assert answer(slack, TOM, typed)["text"] == "No learning walks are planned this session."


def test_a_proposal_typed_in_the_dm_is_made_and_the_teacher_asked(slack):
    said = answer(slack, SAM, PROPOSAL)
    assert said["text"].startswith("Proposed #1 formal visit to Tom Baker's class, Thu 4 Feb 2027 at 11:10")
    with slack.store.uow() as uow:
        assert uow.visits.get(1, 1).status is VisitStatus.PROPOSED
    [proposal] = slack.deliver()
    assert proposal.channel == TOM and proposal.buttons == ["visit.agree.1", "visit.suggest.1", "visit.decline.1"]


@pytest.mark.parametrize("typed", ["hello", "thanks!", "help", "visit", "/walk", "what can you do?", "walk dance",
                                   "<!channel> hi"])
def test_words_that_are_no_command_get_the_help(slack, typed):
    before = rows(slack.store)
    said = answer(slack, TOM, typed)
    assert said["text"].startswith(HELP)
    assert rows(slack.store) == before


def test_what_a_person_typed_never_comes_back_as_live_markup(slack):
    said = answer(slack, TOM, "show <!here> <https://evil.example|x>")
    shown = json.dumps(said)
    assert "<!here>" not in shown and "<https" not in shown and "&lt;!here&gt;" in said["text"]


@pytest.mark.parametrize("event", [
    {"bot_id": "B0BOT"},  # walkbot's own post in its DM, or another bot's
    {"subtype": "message_changed"},  # an edit
    {"subtype": "message_deleted"},
    {"subtype": "bot_message", "bot_id": "B0OTHER"},
    {"channel_type": "channel"},  # not walkbot's DM
    {"channel_type": "mpim"},
])
def test_bot_messages_edits_and_other_conversations_are_not_read(slack, event):
    before = rows(slack.store)
    assert slack.dm(TOM, "limits", **event).status == 200
    assert answers(slack) == [] and rows(slack.store) == before


def test_a_retried_event_is_answered_once(slack):
    assert slack.dm(SAM, PROPOSAL, event_id="Ev0042").status == 200
    retry = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    assert slack.dm(SAM, PROPOSAL, event_id="Ev0042", headers=retry).status == 200
    assert len(answers(slack)) == 1
    with slack.store.uow() as uow:
        assert uow.visits.get(1, 2) is None  # proposed once


def test_strangers_and_unknown_workspaces_are_told_why(slack):
    assert "You're not on Durants Demo School's staff list" in answer(slack, "U99NEW", "list")["text"]
    slack.standin.calls.clear()
    assert "isn't linked to a school in walkbot yet" in answer(slack, TOM, "list", team="T0OTHER")["text"]


def test_acknowledged_first_the_answer_follows(store, clock, standin):
    with workspace(store, clock, standin, ack_first=True) as running:
        assert running.dm(TOM, "limits").status == 200
        [said] = standin.wait_for("chat.postMessage")
        assert said.args["channel"] == f"D{TOM}" and said.args["text"].startswith("Tom Baker, session 2026-27")
