"""The Slack app end to end: signed HTTP requests into the real Bolt app, the Web API calls it makes
(recorded by the stand-in), and the database.

Demo school, linked to workspace T0DEMO; the clock starts Monday 1 Feb 2027, 08:30.
Sam (U05SAM) visits Tom's (U03TOM) class; Rachel (U01HEAD) is SLT.
"""
from __future__ import annotations

from slack_support import slack, standin, texts  # noqa: F401 (fixtures)

from bot.domain.model import VisitStatus

SAM, TOM, RACHEL, AMY = "U05SAM", "U03TOM", "U01HEAD", "U04AMY"
GOOD = {"teacher": TOM, "date": "2027-02-04", "time": "11:10", "minutes": "30", "kind": "formal",
        "focus": "questioning", "feedback": "a chat after school"}


def visit(slack, visit_id: int):
    with slack.store.uow() as uow:
        return uow.visits.get(1, visit_id)


def open_propose_form(slack, user=SAM) -> dict:
    answer = slack.command(user, "")
    assert answer.status == 200 and answer.body == "", answer  # an empty ack: the form is the answer
    view = slack.last("views.open").args["view"]
    assert view["callback_id"] == "propose"
    return view


def test_propose_by_modal_agree_by_button_and_both_see_it_on_app_home(slack):
    view = open_propose_form(slack)
    assert [b["block_id"] for b in view["blocks"] if b["type"] == "input"] == [
        "teacher", "date", "time", "minutes", "kind", "focus", "feedback", "visitors", "pro_forma"]

    answer = slack.submit(SAM, view, GOOD)
    assert answer.status == 200 and answer.body["response_action"] == "update"
    assert "Proposed #1 formal visit to Tom Baker's class, Thu 4 Feb 2027 at 11:10" in texts(answer.body["view"])
    assert visit(slack, 1).status is VisitStatus.PROPOSED

    [proposal] = slack.deliver()  # the dispatcher posts the proposal to Tom
    assert proposal.channel == TOM and proposal.notice.kind == "proposal"
    assert proposal.buttons == ["visit.agree.1", "visit.suggest.1", "visit.decline.1"]

    answer = slack.click(TOM, "visit.agree", message=proposal)
    assert answer.status == 200
    update = slack.last("chat.update").args
    assert (update["channel"], update["ts"]) == (proposal.channel, proposal.ts)  # the same message, in place
    assert "✅ Agreed: Thu 4 Feb 2027 at 11:10 for 30 minutes" in texts(update["blocks"])
    assert not [b for b in update["blocks"] if b["type"] == "actions"]  # no buttons left to press
    assert visit(slack, 1).status is VisitStatus.AGREED

    told = {post.channel: post for post in slack.deliver()}  # Sam is told the outcome
    assert "Tom Baker agreed: #1 formal visit" in told[SAM].message["text"]

    for user in (TOM, SAM):
        assert slack.open_home(user).status == 200
        home = slack.home_of(user)
        assert "Coming up" in home and "#1 formal visit to Tom Baker's class, Thu 4 Feb 2027 at 11:10" in home
    assert "1 of 3 observations used this year\n30 of 180 minutes" in slack.home_of(TOM)
