"""Answering in a DM: Agree, Suggest another time and Decline on the teacher's message, Accept and
Withdraw on the visitor's; each message is updated in place once answered, and a second click (a
double click, an old message) has no second effect."""
from __future__ import annotations

import threading

from slack_support import buttons, rows, slack, standin, texts  # noqa: F401 (fixtures)

from bot.domain.model import VisitStatus

SAM, TOM, AMY = "U05SAM", "U03TOM", "U04AMY"
PROPOSE = 'propose <@U03TOM|tom> {day} {time} 30m kind formal focus "questioning" feedback "after school"'


def propose(slack, day="2027-02-04", time="P3"):
    answer = slack.command(SAM, PROPOSE.format(day=day, time=time))
    assert answer.text.startswith("Proposed #"), answer.text
    return next(p for p in slack.deliver() if p.notice.kind == "proposal")


def status(slack, visit_id=1) -> VisitStatus:
    with slack.store.uow() as uow:
        return uow.visits.get(1, visit_id).status


def updated(slack, posted) -> str:
    """What the message now says, after walkbot updated it in place (and that it has no buttons left)."""
    update = slack.last("chat.update").args
    assert (update["channel"], update["ts"]) == (posted.channel, posted.ts)
    assert not [b for b in update["blocks"] if b["type"] == "actions"]
    return texts(update["blocks"])


def test_suggest_another_time_then_the_visitor_accepts_it(slack):
    proposal = propose(slack)
    assert slack.click(TOM, "visit.suggest", message=proposal).status == 200
    form = slack.last("views.open").args["view"]
    assert form["callback_id"] == "suggest" and "Visit #1" in texts(form)

    answer = slack.submit(TOM, form, {"date": "2027-02-05", "time": "09:50"})
    assert answer.status == 200 and answer.body == ""  # the form closes
    assert "🕑 Another time suggested: Fri 5 Feb 2027 at 09:50; waiting for the visitor" in updated(slack, proposal)

    suggestion = next(p for p in slack.deliver() if p.notice.kind == "suggestion")
    assert suggestion.channel == SAM and suggestion.buttons == ["visit.accept.1", "visit.withdraw.1"]
    slack.click(SAM, "visit.accept", message=suggestion)
    assert "✅ Agreed: Fri 5 Feb 2027 at 09:50 for 30 minutes" in updated(slack, suggestion)
    assert status(slack) is VisitStatus.AGREED
    told = {p.channel: p.message["text"] for p in slack.deliver()}
    assert "Sam Patel accepted the new time" in told[TOM]


def test_a_refused_suggestion_offers_allowed_times_in_the_form(slack):
    proposal = propose(slack)
    slack.click(TOM, "visit.suggest", message=proposal)
    form = slack.last("views.open").args["view"]
    answer = slack.submit(TOM, form, {"date": "2027-02-06", "time": "11:10"})  # a Saturday
    redrawn = answer.body["view"]
    assert answer.body["response_action"] == "update" and "is a weekend" in texts(redrawn)
    [first, *_] = [b for b in buttons(redrawn) if b["action_id"].startswith("suggest.at.")]
    assert first["text"]["text"] == "Suggest Fri 5 Feb 2027 at 14:00 instead"

    slack.click(TOM, first["action_id"], view=redrawn, values={"date": "2027-02-06", "time": "11:10"})
    done = texts(slack.last("views.update").args["view"])
    assert "You suggested Fri 5 Feb 2027 at 14:00 for 30 minutes for visit #1" in done
    assert "Another time suggested: Fri 5 Feb 2027 at 14:00" in updated(slack, proposal)
    assert status(slack) is VisitStatus.COUNTERED


def test_decline_with_a_reason(slack):
    proposal = propose(slack)
    slack.click(TOM, "visit.decline", message=proposal)
    form = slack.last("views.open").args["view"]
    assert form["callback_id"] == "decline"
    answer = slack.submit(TOM, form, {"reason": "   "})
    assert answer.body == {"response_action": "errors", "errors": {"reason": "Say why, so the visitor understands."}}
    assert status(slack) is VisitStatus.PROPOSED

    assert slack.submit(TOM, form, {"reason": "mock exams that week"}).body == ""
    assert "Declined: “mock exams that week”" in updated(slack, proposal)
    told = {p.channel: p.message["text"] for p in slack.deliver()}
    assert "Tom Baker declined visit #1: “mock exams that week”." in told[SAM]


def test_a_double_click_has_one_effect(slack):
    proposal = propose(slack)
    answers = []
    clicks = [threading.Thread(target=lambda: answers.append(slack.click(TOM, "visit.agree", message=proposal)))
              for _ in range(2)]
    for click in clicks:
        click.start()
    for click in clicks:
        click.join()
    assert [a.status for a in answers] == [200, 200]
    assert status(slack) is VisitStatus.AGREED
    told = [p for p in slack.deliver() if p.channel == SAM]
    assert len(told) == 1  # Sam hears it once
    # Both clicks leave the message saying the same thing; neither shows an error.
    shown = {texts(call.args["blocks"]) for call in slack.calls("chat.update")}
    assert len(shown) == 1 and "✅ Agreed" in shown.pop()
    assert slack.calls("response") == []


def test_a_button_on_an_old_message_shows_where_the_visit_stands(slack):
    proposal = propose(slack)
    slack.click(TOM, "visit.decline", message=proposal)
    slack.submit(TOM, slack.last("views.open").args["view"], {"reason": "exams"})
    slack.deliver()
    before = rows(slack.store)
    assert slack.click(TOM, "visit.agree", message=proposal).status == 200
    assert "Declined: “exams”" in updated(slack, proposal)
    assert rows(slack.store) == before and slack.calls("response") == []


def test_a_refused_agreement_is_explained_and_the_buttons_stay(slack):
    posts = [propose(slack, day) for day in ("2027-02-03", "2027-02-04", "2027-02-05", "2027-02-08")]
    for posted in posts[:3]:
        slack.click(TOM, "visit.agree", message=posted)
    updates = len(slack.calls("chat.update"))
    slack.click(TOM, "visit.agree", message=posts[3])
    [said] = slack.calls("response")  # an ephemeral reply through the response_url
    assert said.args["response_type"] == "ephemeral" and said.args["replace_original"] is False
    assert "Tom Baker has already had 3 of 3 observations" in said.args["text"]
    assert len(slack.calls("chat.update")) == updates  # the question still stands
    assert status(slack, 4) is VisitStatus.PROPOSED


def test_withdraw_from_the_visitors_message(slack):
    proposal = propose(slack)
    slack.click(TOM, "visit.suggest", message=proposal)
    slack.submit(TOM, slack.last("views.open").args["view"], {"date": "2027-02-05", "time": "09:50"})
    suggestion = next(p for p in slack.deliver() if p.notice.kind == "suggestion")
    withdraw = suggestion.button("visit.withdraw")
    assert withdraw["confirm"]["confirm"]["text"] == "Withdraw"  # Slack asks before it is done
    slack.click(SAM, "visit.withdraw", message=suggestion)
    assert "Withdrawn by the visitor" in updated(slack, suggestion)
    assert status(slack) is VisitStatus.WITHDRAWN


def test_someone_else_pressing_the_button_changes_nothing(slack):
    proposal = propose(slack)
    before = rows(slack.store)
    slack.click(AMY, "visit.agree", message=proposal)
    [said] = slack.calls("response")
    assert "There is no visit #1 that you can see" in said.args["text"]
    assert rows(slack.store) == before and slack.calls("chat.update") == []


def test_agree_on_a_message_about_a_time_since_moved_does_not_agree_the_new_time(slack):
    first = propose(slack)
    agree = first.button("visit.agree")
    moved = slack.command(SAM, "move 1 2027-02-05 P2")
    assert "is now proposed for Fri 5 Feb 2027 at 09:50" in moved.text
    again = next(p for p in slack.deliver() if p.notice.kind == "proposal")

    slack.click(TOM, "visit.agree", message=first)  # the button Tom was shown first
    assert status(slack) is VisitStatus.PROPOSED
    [said] = slack.calls("response")
    assert "has changed since that message: it now asks about Fri 5 Feb 2027 at 09:50" in said.args["text"]
    assert "Waiting for the class teacher to answer" in updated(slack, first)  # its buttons are gone

    new_agree = again.button("visit.agree")
    assert new_agree["value"] != agree["value"]  # the same visit, asked about another time
    slack.click(TOM, "visit.agree", message=again)
    assert status(slack) is VisitStatus.AGREED
    assert "✅ Agreed: Fri 5 Feb 2027 at 09:50" in updated(slack, again)
