"""Validly signed requests that Slack would never send: a button whose container, or a form whose metadata,
names a message walkbot did not send to the person answering (the staff channel's, someone else's DM) never
gets that message updated; sizes and ranges in a form are refused at the edge, in a sentence, storing nothing."""
from __future__ import annotations

import json
from dataclasses import replace

import pytest
from slack_support import Posted, rows, slack, standin  # noqa: F401 (fixtures)

from bot.domain.model import VisitStatus

SAM, TOM = "U05SAM", "U03TOM"
PROPOSE = 'propose <@U03TOM|tom> 2027-02-04 P3 30m kind formal focus "questioning" feedback "after school"'
STAFF_CHANNEL = "C0STAFF"
GOOD = {"teacher": TOM, "date": "2027-02-04", "time": "11:10", "minutes": "30", "kind": "formal",
        "focus": "questioning", "feedback": "a chat after school"}


def proposal(slack) -> Posted:
    assert slack.command(SAM, PROPOSE).text.startswith("Proposed #")
    return next(p for p in slack.deliver() if p.notice.kind == "proposal")


def status(slack, visit_id=1) -> VisitStatus:
    with slack.store.uow() as uow:
        return uow.visits.get(1, visit_id).status


# A message walkbot posted in the staff channel (a walk's programme, say): Slack would let walkbot update it.
IN_STAFF_CHANNEL = {"channel": STAFF_CHANNEL, "ts": "1770000000.000100"}


def test_a_button_whose_container_names_the_staff_channel_updates_nothing_there(slack):
    asked = proposal(slack)
    assert slack.click(TOM, "visit.agree", message=replace(asked, **IN_STAFF_CHANNEL)).status == 200
    assert status(slack) is VisitStatus.AGREED  # Tom may agree: it is only the message that is not his
    assert slack.calls("chat.update") == []
    assert "Sam Patel" in slack.home_of(TOM)  # his Home is drawn again instead, the visit on it


def test_a_button_naming_another_person_s_message_updates_nothing(slack):
    asked = proposal(slack)
    slack.click(TOM, "visit.suggest", message=asked)
    slack.submit(TOM, slack.last("views.open").args["view"], {"date": "2027-02-05", "time": "09:50"})
    sams = next(p for p in slack.deliver() if p.channel == SAM)  # walkbot's DM to Sam about the same visit
    updates = len(slack.calls("chat.update"))
    slack.click(TOM, "visit.agree", message=replace(asked, channel=sams.channel, ts=sams.ts))
    assert len(slack.calls("chat.update")) == updates


def test_a_form_whose_metadata_names_another_message_updates_nothing(slack):
    asked = proposal(slack)
    slack.click(TOM, "visit.decline", message=asked)
    form = slack.last("views.open").args["view"]
    metadata = json.dumps({**json.loads(form["private_metadata"]), **IN_STAFF_CHANNEL})
    answer = slack.submit(TOM, {**form, "private_metadata": metadata}, {"reason": "mock exams"})
    assert answer.status == 200
    assert status(slack) is VisitStatus.DECLINED
    assert slack.calls("chat.update") == []


def test_the_message_walkbot_sent_that_person_is_still_updated_in_place(slack):
    asked = proposal(slack)
    slack.click(TOM, "visit.agree", message=asked)
    [update] = slack.calls("chat.update")
    assert (update.args["channel"], update.args["ts"]) == (asked.channel, asked.ts)


@pytest.mark.parametrize("field", ["focus", "feedback", "pro_forma"])
def test_a_900_kb_text_in_the_propose_form_is_refused_with_a_sentence(slack, field):
    slack.command(SAM, "")
    form = slack.last("views.open").args["view"]
    before = rows(slack.store)
    answer = slack.submit(SAM, form, {**GOOD, field: "x" * 900_000})
    assert answer.status == 200 and answer.body["response_action"] == "errors"
    said = answer.body["errors"][field]
    assert "too long" in said and "2,000 characters" in said
    assert rows(slack.store) == before


def test_a_900_kb_reason_to_decline_is_refused_with_a_sentence(slack):
    slack.click(TOM, "visit.decline", message=proposal(slack))
    answer = slack.submit(TOM, slack.last("views.open").args["view"], {"reason": "x" * 900_000})
    assert "too long" in answer.body["errors"]["reason"]
    assert status(slack) is VisitStatus.PROPOSED


@pytest.mark.parametrize("minutes", ["0", str(10**12)])
def test_a_length_of_none_or_of_ages_is_asked_for_again(slack, minutes):
    slack.command(SAM, "")
    answer = slack.submit(SAM, slack.last("views.open").args["view"], {**GOOD, "minutes": minutes})
    assert answer.body == {"response_action": "errors", "errors": {"minutes": "Choose how long the visit lasts."}}
