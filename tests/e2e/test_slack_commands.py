"""Typed commands in Slack: the console's language on /visit and /walk, answered in an ephemeral reply.
Malformed text, strangers, wrong roles and unknown workspaces get a friendly answer, never a 500,
and change nothing."""
from __future__ import annotations

import pytest
from slack_support import rows, slack, standin, texts  # noqa: F401 (fixtures)

from bot.chat.router import SORRY

SAM, TOM, RACHEL = "U05SAM", "U03TOM", "U01HEAD"
PROPOSE = '/visit propose <@U03TOM|tom> 2027-02-04 P3 30m kind formal focus "questioning" feedback "after school"'


def test_a_typed_proposal_is_answered_in_an_ephemeral_reply(slack):
    answer = slack.command(SAM, PROPOSE.removeprefix("/visit "))
    assert answer.status == 200 and answer.body["response_type"] == "ephemeral"
    assert answer.text.startswith("Proposed #1 formal visit to Tom Baker's class, Thu 4 Feb 2027 at 11:10")
    assert texts(answer.body["blocks"]).startswith("Proposed #1 formal visit")
    [proposal] = slack.deliver()
    assert proposal.channel == TOM and proposal.buttons == ["visit.agree.1", "visit.suggest.1", "visit.decline.1"]
    # No Web API call was needed to answer: the reply travelled in the acknowledgement.
    assert {call.method for call in slack.standin.calls} <= {"auth.test", "chat.postMessage"}


def test_what_slack_escapes_in_a_command_is_read_as_typed(slack):
    answer = slack.command(SAM, PROPOSE.removeprefix("/visit ").replace("questioning", "Years 7 &amp; 8 &lt;set 2&gt;"))
    assert "focus: Years 7 &amp; 8 &lt;set 2&gt;" in answer.body["blocks"][0]["text"]["text"]  # shown as typed
    with slack.store.uow() as uow:
        assert uow.visits.get(1, 1).focus == "Years 7 & 8 <set 2>"


def test_walk_commands_share_the_language(slack):
    answer = slack.command(RACHEL, 'plan 2027-03-10 09:00-11:00 focus "questioning" purpose "share practice" walkers <@U01HEAD> <@U02DEPUTY>', "/walk")
    assert answer.text.startswith("Planned Learning walk #1, Wed 10 Mar 2027 09:00–11:00")
    assert "#1 Wed 10 Mar 09:00–11:00 · questioning" in slack.command(TOM, "list", "/walk").text
    assert slack.command(TOM, "", "/walk").text.startswith("walkbot books classroom visits")  # help


@pytest.mark.parametrize("user, text, says", [
    (SAM, "propose tom tomorrow 10:00", "is not a person"),
    (SAM, "propose <@U03TOM|tom> someday 10:00", "couldn't read 'someday' as a date"),
    (SAM, 'propose <@U03TOM|tom> 2027-02-04 P1 focus "unclosed', "quotation mark is not closed"),
    (SAM, "agree twelve", "'twelve' is not a visit number"),
    (SAM, "dance", "There is no command 'dance' after /visit"),
    (SAM, "propose <@U99NEW|newbie> 2027-02-04 P1", "I can't find @U99NEW on Durants Demo School's staff"),
    (TOM, "propose <@U04AMY> 2027-02-04 P1 kind inspection", "Only SLT record inspection visits."),
    (TOM, "staff add <@U99NEW|newbie> Nia Jones", "Only SLT can change or see the staff list."),
    ("U99NEW", "list", "You're not on Durants Demo School's staff list in walkbot, so I can't act for you. "
                       "Ask Daniela Barzanti or Rachel Carli to add you."),
    ("U99NEW", "", "You're not on Durants Demo School's staff list"),  # the form does not even open
])
def test_mistakes_strangers_and_wrong_roles_get_a_friendly_ephemeral_answer_and_change_nothing(slack, user, text,
                                                                                                says):
    before = rows(slack.store)
    answer = slack.command(user, text)
    assert answer.status == 200 and answer.body["response_type"] == "ephemeral"
    assert says in answer.text
    assert rows(slack.store) == before
    assert slack.calls("views.open") == []


def test_a_slack_mention_reaches_the_core_as_a_staff_id(slack):
    answer = slack.command(SAM, "propose <@U99NEW|newbie> 2027-02-04 P1")
    section = answer.body["blocks"][0]["text"]["text"]
    # The edge turned Slack's markup into the command language's @id; nothing comes back as a live mention.
    assert "I can't find @U99NEW on" in section and "<@" not in section


def test_a_workspace_no_school_is_linked_to_is_told_so(slack):
    before = rows(slack.store)
    answer = slack.command(SAM, "list", team="T0OTHER")
    assert answer.status == 200 and answer.body["response_type"] == "ephemeral"
    assert "isn't linked to a school in walkbot yet" in answer.text and "slack_team_id" in answer.text
    assert rows(slack.store) == before


def test_slt_keep_the_staff_list_from_slack(slack):
    answer = slack.command(RACHEL, 'staff add <@U09NIA|nia> "Nia Jones" roles teacher,promoted manager <@U01HEAD>')
    assert answer.text == ("Added Nia Jones to Durants Demo School's staff list (promoted, teacher, line manager "
                           "Rachel Carli). They have been told.")
    [welcome] = slack.deliver()
    assert welcome.channel == "U09NIA" and "added you to Durants Demo School's staff list" in welcome.message["text"]
    assert slack.command("U09NIA", "limits").text.startswith("Nia Jones, session 2026-27")
    assert "@nia       Nia Jones (promoted, teacher) · line manager Rachel Carli · added in chat" in \
        slack.command(RACHEL, "staff list").text
    assert slack.command(RACHEL, "staff remove <@U09NIA|nia>").text.startswith("Took Nia Jones off")
    assert "You're not on Durants Demo School's staff list" in slack.command("U09NIA", "limits").text



def test_when_slack_refuses_a_call_the_person_still_gets_an_answer_never_a_500(slack):
    slack.standin.override = lambda call: ((200, {}, {"ok": False, "error": "expired_trigger_id"})
                                           if call.method == "views.open" else None)
    answer = slack.command(SAM, "")
    assert answer.status == 200 and answer.body == {"response_type": "ephemeral", "text": SORRY}
