"""Forms in Slack: a refusal comes back inside the form, against the right field, with the clause quoted
and the nearest allowed times as buttons; mistakes in a form are shown there too, and change nothing."""
from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest
from slack_limits import view_problems
from slack_support import buttons, slack, standin, texts  # noqa: F401 (fixtures)

from bot.domain.model import VisitStatus

SAM, TOM, RACHEL = "U05SAM", "U03TOM", "U01HEAD"
GOOD = {"teacher": TOM, "date": "2027-02-04", "time": "11:10", "minutes": "30", "kind": "formal",
        "focus": "questioning", "feedback": "a chat after school"}


def visits(slack) -> list:
    with slack.store.uow() as uow:
        return uow.visits.of_person(1, TOM, slack.clock.now().replace(year=2026))


def form(slack, user=SAM, command="/visit", text="") -> dict:
    answer = slack.command(user, text, command)
    assert answer.status == 200 and answer.body == "", answer
    return slack.last("views.open").args["view"]


def test_a_refused_proposal_shows_the_clause_and_offers_the_nearest_times_as_buttons(slack):
    view = form(slack)
    answer = slack.submit(SAM, view, {**GOOD, "date": "2027-02-02", "time": "10:00"})  # tomorrow: too little notice
    assert answer.status == 200 and answer.body["response_action"] == "update"
    redrawn = answer.body["view"]
    shown = texts(redrawn)
    assert "The agreement doesn't allow that:" in shown
    assert "needs at least 2 school days' notice; this gives 1" in shown
    assert "agreed by Demo School Negotiating Committee on 2026-09-01" in shown  # the clause, and who agreed it
    date_block = next(b for b in redrawn["blocks"] if b.get("block_id") == "date")
    assert date_block["hint"]["text"].startswith("⚠️ ") and "notice" in date_block["hint"]["text"]  # on its field
    times = [b for b in buttons(redrawn) if b["action_id"].startswith("propose.at.")]
    assert 1 <= len(times) <= 3
    assert times[0]["text"]["text"].startswith("Propose Wed 3 Feb 2027 at ")
    assert times[0]["action_id"] == "propose.at.0" and times[0]["style"] == "primary"
    # What was typed is kept: the teacher and the focus are still filled in.
    inputs = {b["block_id"]: b["element"] for b in redrawn["blocks"] if b["type"] == "input"}
    assert inputs["teacher"]["initial_user"] == TOM and inputs["focus"]["initial_value"] == "questioning"
    assert visits(slack) == []

    answer = slack.click(SAM, "propose.at.0", view=redrawn, values={**GOOD, "date": "2027-02-02", "time": "10:00"})
    assert answer.status == 200
    done = slack.last("views.update").args
    assert done["view_id"] == "V0"
    assert "Proposed #1 formal visit to Tom Baker's class, Wed 3 Feb 2027" in texts(done["view"])
    [proposed] = visits(slack)
    assert proposed.status is VisitStatus.PROPOSED
    assert f"{proposed.start.astimezone(ZoneInfo('Europe/London')):%Y-%m-%dT%H:%M}" == times[0]["value"]


def test_a_refusal_offering_three_times_is_a_form_slack_accepts_and_each_time_can_be_pressed(slack):
    """Three "Propose … instead" buttons once shared one action id in one block, and Slack refused the whole
    form (invalid_blocks): the person saw nothing. Each now has its own, and Slack takes the form."""
    refused = {**GOOD, "date": "2027-02-02", "time": "10:00"}  # tomorrow: too little notice
    answer = slack.submit(SAM, form(slack), refused)
    assert answer.status == 200 and answer.body["response_action"] == "update"
    redrawn = answer.body["view"]
    assert view_problems(redrawn) == []
    times = [b for b in buttons(redrawn) if b["action_id"].startswith("propose.at.")]
    assert [b["action_id"] for b in times] == ["propose.at.0", "propose.at.1", "propose.at.2"]
    assert len({b["value"] for b in times}) == 3 and len({b["text"]["text"] for b in times}) == 3
    assert "Nearest times that would be allowed: " in texts(redrawn)

    # The second time, pressed in that very form (its action id, block id and value, as Slack sends them back).
    second = times[1]
    assert slack.click(SAM, second["action_id"], view=redrawn, values=refused).status == 200
    done = slack.last("views.update").args["view"]
    assert done["type"] == "modal" and "Proposed #1 formal visit to Tom Baker's class" in texts(done)
    [proposed] = visits(slack)
    assert proposed.status is VisitStatus.PROPOSED
    assert f"{proposed.start.astimezone(ZoneInfo('Europe/London')):%Y-%m-%dT%H:%M}" == second["value"]
    assert slack.standin.refused == []  # every view walkbot opened or updated, Slack would have taken


def test_a_refusal_about_one_field_is_shown_on_that_field(slack):
    answer = slack.submit(SAM, form(slack), {**GOOD, "focus": "Tom's performance"})
    assert answer.body["response_action"] == "errors"
    assert list(answer.body["errors"]) == ["focus"]
    assert "not about one person's performance" in answer.body["errors"]["focus"]
    assert "§8" in answer.body["errors"]["focus"]  # the clause quoted
    assert visits(slack) == []


def test_several_broken_rules_each_go_to_their_own_field(slack):
    answer = slack.submit(SAM, form(slack), {**GOOD, "minutes": "60", "visitors": [RACHEL, "U04AMY"],
                                             "feedback": None})
    errors = answer.body["errors"]
    assert set(errors) == {"visitors", "feedback"}
    assert "At most 2 colleagues" in errors["visitors"] and "§7" in errors["visitors"]


def test_someone_not_on_the_staff_list_picked_in_the_form_is_named_at_the_top(slack):
    answer = slack.submit(SAM, form(slack), {**GOOD, "teacher": "U99NEW"})
    assert answer.body["response_action"] == "update"
    assert "I can't find @U99NEW on Durants Demo School's staff list" in texts(answer.body["view"])
    assert visits(slack) == []


def test_only_slt_may_record_an_inspection_and_the_form_says_so(slack):
    answer = slack.submit(SAM, form(slack), {**GOOD, "kind": "inspection"})
    assert "Only SLT record inspection visits." in texts(answer.body["view"])


def test_a_form_value_slack_would_never_send_is_still_answered_kindly(slack):
    answer = slack.submit(SAM, form(slack), {**GOOD, "minutes": "lots"})
    assert answer.status == 200 and answer.body == {"response_action": "errors",
                                                    "errors": {"minutes": "Choose how long the visit lasts."}}


def test_plan_a_walk_by_modal_and_its_announcement_reaches_the_staff_channel(slack):
    view = form(slack, RACHEL, "/walk", "plan")
    assert view["callback_id"] == "walk"
    values = {"date": "2027-03-10", "start": "09:00", "end": "11:00", "focus": "feedback in books",
              "walkers": [RACHEL, "U02DEPUTY"], "rooms": [TOM, "U04AMY"]}
    # Durants §2 shares "the purpose and the focus": without a purpose the form says so, against that field.
    answer = slack.submit(RACHEL, view, values)
    assert answer.body["response_action"] == "errors" and list(answer.body["errors"]) == ["purpose"]
    assert "§2" in answer.body["errors"]["purpose"]
    answer = slack.submit(RACHEL, view, {**values, "purpose": "to share how feedback moves learning on"})
    shown = texts(answer.body["view"])
    assert "Planned Learning walk #1, Wed 10 Mar 2027 09:00–11:00" in shown
    assert "The programme goes to all staff Mon 1 Mar 2027 at 08:50" in shown

    slack.clock.set(slack.clock.now().replace(month=3, day=1, hour=9))
    announced = [p for p in slack.deliver() if p.notice.kind == "walk.announcement"]
    [post] = announced
    assert post.channel == "C0STAFF"
    header, *rest = post.message["blocks"]
    body = texts(rest)
    assert header["type"] == "header" and header["text"]["text"].startswith("📣 Learning walk #1 on Wednesday 10 March")
    assert "*Focus:* feedback in books" in body and "*Walking:* Rachel Carli, Daniela Barzanti" in body
    assert "stand to the side" in body  # the agreement's conduct lines


def test_a_walk_that_ends_before_it_starts_is_caught_in_the_form(slack):
    values = {"date": "2027-03-10", "start": "11:00", "end": "09:00", "focus": "books", "walkers": [RACHEL]}
    answer = slack.submit(RACHEL, form(slack, RACHEL, "/walk", "plan"), values)
    assert answer.body == {"response_action": "errors", "errors": {"end": "The walk must end after it starts."}}


def test_a_refused_walk_is_shown_against_its_fields(slack):
    values = {"date": "2027-02-03", "start": "09:00", "end": "10:00", "focus": "books",
              "walkers": [RACHEL, "U02DEPUTY", SAM]}
    answer = slack.submit(RACHEL, form(slack, RACHEL, "/walk", "plan"), values)
    errors = answer.body["errors"]
    assert "too late to give all staff the notice" in errors["date"]
    assert "At most 2 colleagues" in errors["walkers"]


@pytest.mark.parametrize("user, text", [(SAM, "plan"), ("U99NEW", "plan")])
def test_the_walk_form_opens_only_for_slt(slack, user, text):
    answer = slack.command(user, text, "/walk")
    assert answer.status == 200 and answer.body["response_type"] == "ephemeral"
    assert "planned by SLT" in answer.text or "not on Durants Demo School's staff list" in answer.text
    assert slack.calls("views.open") == []


@pytest.mark.parametrize("minutes", ["0", "1000000000000", "20.5", "-5", "9999"])
def test_a_length_the_form_never_offers_is_asked_again_not_changed(slack, minutes):
    answer = slack.submit(SAM, form(slack), {**GOOD, "minutes": minutes})  # a forged, validly signed submission
    assert answer.status == 200 and answer.body == {
        "response_action": "errors", "errors": {"minutes": "Choose how long the visit lasts."}}
    assert visits(slack) == []
