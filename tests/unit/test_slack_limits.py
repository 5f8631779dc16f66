"""The check of what walkbot sends Slack (tests/support/slack_limits.py) has teeth: each of Slack's documented
limits it knows is refused when broken, and the Web API stand-in answers invalid_blocks, as Slack does."""
from __future__ import annotations

import json
import urllib.request

import pytest
from slack_limits import ack_problems, live_markup, message_problems, view_problems
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from standin import SlackStandIn


def plain(text: str) -> dict:
    return {"type": "plain_text", "text": text}


def section(text: str = "hello", **more) -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}, **more}


def button(action_id: str, text: str = "Go", **more) -> dict:
    return {"type": "button", "action_id": action_id, "text": plain(text), **more}


def actions(*elements: dict, **more) -> dict:
    return {"type": "actions", "elements": list(elements), **more}


def msg(*blocks: dict, text: str = "hello") -> dict:
    return {"text": text, "blocks": list(blocks)}


def modal(*blocks: dict, **more) -> dict:
    return {"type": "modal", "title": plain("Propose a visit"), "close": plain("Cancel"), "submit": plain("Propose"),
            "blocks": list(blocks), **more}


def an_input(block_id: str) -> dict:
    return {"type": "input", "block_id": block_id, "label": plain(block_id),
            "element": {"type": "plain_text_input", "action_id": "value"}}


def test_what_slack_takes_passes():
    assert message_problems(msg(section(), actions(button("visit.agree.1"), button("visit.decline.1")))) == []
    assert view_problems(modal(an_input("date"), an_input("time"), actions(button("propose.at.0")))) == []
    assert view_problems({"type": "home", "blocks": [section()] * 0 + [{"type": "divider"}]}) == []
    assert message_problems(msg(*[section()] * 50)) == []
    assert view_problems({"type": "home", "blocks": [section()] * 100}) == []


def test_a_repeated_action_id_is_refused():
    # The form that refused a proposal once did this: three "Propose … instead" buttons, one action id.
    old_form = modal(an_input("date"), actions(*[button("propose.at", f"Propose {n} instead", value=f"2027-02-0{n}T09:50")
                                                 for n in (3, 4, 5)], block_id="alternatives"))
    twice = [p for p in view_problems(old_form) if "'propose.at' twice in one block" in p]
    assert [p.partition(":")[0] for p in twice] == ["blocks[1].elements[1].action_id", "blocks[1].elements[2].action_id"]
    # The same id in two blocks: Slack takes it, walkbot would not tell the presses apart.
    across = msg(actions(button("visit.agree")), section(), actions(button("visit.agree")))
    assert any("again in the same surface" in p for p in message_problems(across))


def test_inputs_are_told_apart_by_their_block_ids_not_their_action_ids():
    assert view_problems(modal(an_input("date"), an_input("time"))) == []
    [problem] = view_problems(modal(an_input("date"), an_input("date")))
    assert "'date' again" in problem


@pytest.mark.parametrize("payload, says", [
    (msg(*[section()] * 51), "51 blocks, over 50"),
    (msg(section(), text=""), "no fallback text"),
    ({"blocks": [section()]}, "no fallback text"),
    (msg(text="x" * 40_001), "over 40000"),
    (msg(section("x" * 3001)), "1 to 3000 characters"),
    (msg(section("")), "1 to 3000 characters"),
    (msg({"type": "section"}), "a section needs a text or fields"),
    (msg({"type": "section", "fields": [{"type": "mrkdwn", "text": "f"}] * 11}), "at most 10"),
    (msg({"type": "header", "text": {"type": "mrkdwn", "text": "*Hi*"}}), "plain_text only"),
    (msg({"type": "header", "text": plain("h" * 151)}), "1 to 150 characters"),
    (msg({"type": "context", "elements": [{"type": "mrkdwn", "text": "c"}] * 11}), "1 to 10 elements"),
    (msg({"type": "context", "elements": []}), "1 to 10 elements"),
    (msg(actions(*[button(f"b.{n}") for n in range(26)])), "1 to 25 elements"),
    (msg(actions()), "1 to 25 elements"),
    (msg(actions(button("go", "x" * 76))), "1 to 75 characters"),
    (msg(actions(button("a" * 256))), "1 to 255 characters"),
    (msg(actions(button("go", value="v" * 2001))), "at most 2000 characters"),
    (msg(actions(button("go", style="green"))), "no button style"),
    (msg(actions(button("go", confirm={"title": plain("Sure?"), "text": plain("t" * 301), "confirm": plain("Yes"),
                                       "deny": plain("No")}))), "1 to 300 characters"),
    (msg(actions(button("go", confirm={"title": plain("Sure?"), "text": plain("t"), "confirm": plain("Yes")}))),
     "deny: missing"),
    (msg(section(block_id="x" * 256)), "1 to 255 characters"),
    (msg(section(block_id="a"), section(block_id="a")), "'a' again"),
    (msg({"type": "table"}), "not a block walkbot should send"),
])
def test_each_limit_of_a_message_is_refused_when_broken(payload, says):
    problems = message_problems(payload)
    assert any(says in p for p in problems), problems


@pytest.mark.parametrize("view, says", [
    ({"type": "home", "blocks": [section()] * 101}, "101 blocks, over 100"),
    (modal(title=plain("t" * 25)), "title: 1 to 24 characters"),
    (modal(submit=plain("s" * 25)), "submit: 1 to 24 characters"),
    (modal(close=plain("c" * 25)), "close: 1 to 24 characters"),
    ({**modal(), "title": None}, "title: missing"),
    (modal(title={"type": "mrkdwn", "text": "*T*"}), "plain_text only"),
    ({**modal(an_input("date")), "submit": None}, "needs a submit button"),
    (modal(private_metadata="m" * 3001), "over 3000 characters"),
    (modal(callback_id="c" * 256), "over 255 characters"),
    (modal({"type": "input", "block_id": "d", "label": plain("l" * 2001),
            "element": {"type": "datepicker", "action_id": "value"}}), "1 to 2000 characters"),
    (modal({"type": "input", "block_id": "d", "label": plain("Date"),
            "element": {"type": "datepicker", "action_id": "value", "initial_date": "2027-2-4"}}), "YYYY-MM-DD"),
    (modal({"type": "input", "block_id": "f", "label": plain("Focus"),
            "element": {"type": "plain_text_input", "action_id": "value", "max_length": 10,
                        "initial_value": "x" * 11}}), "within max_length"),
    (modal({"type": "input", "block_id": "k", "label": plain("Kind"), "element": {
        "type": "static_select", "action_id": "value", "options": [{"text": plain("k" * 76), "value": "k"}]}}),
     "1 to 75 characters"),
    ({"type": "dialog", "blocks": []}, "not a view type"),
])
def test_each_limit_of_a_view_is_refused_when_broken(view, says):
    problems = view_problems(view)
    assert any(says in p for p in problems), problems


def test_an_ack_is_checked_as_slack_checks_it():
    form = modal(an_input("date"), an_input("time"))
    assert ack_problems({"response_action": "errors", "errors": {"date": "Choose a date."}}, form) == []
    assert ack_problems({"response_action": "errors", "errors": {"alternatives": "no"}}, form) == [
        "errors: 'alternatives' is not an input block of the form"]
    assert ack_problems({"response_action": "errors", "errors": {}}, form)
    assert ack_problems({"response_action": "update", "view": {"type": "home", "blocks": [section()] * 101}})
    assert ack_problems({"response_action": "update", "view": modal()}) == []
    assert ack_problems({"response_action": "explode"}) and ack_problems("") == []


@pytest.mark.parametrize("text", ["<!channel> now", "see <https://evil.example|this>", "ask <@U03TOM>", "Q&A",
                                  "a > b", "&amp <!here"])
def test_live_markup_is_found_in_any_text(text):
    assert live_markup(msg(section(text)))
    assert live_markup({"text": text, "blocks": []})
    assert live_markup(modal(actions(button("go", text))))


def test_escaped_text_is_not_markup():
    escaped = "Q&amp;A &lt;!channel&gt; &lt;https://e.example|x&gt; &lt;@U03TOM&gt;"
    assert live_markup(msg(section(escaped), text=escaped)) == []
    # Values Slack hands back and never shows are not text: a button's value, a form's metadata.
    assert live_markup(modal(actions(button("go", value="<x>")), private_metadata='{"a": "<b>"}')) == []


def test_the_standin_refuses_what_slack_refuses_with_invalid_blocks():
    with SlackStandIn() as slack:
        client = WebClient(token="xoxb-test", base_url=slack.url)
        twice = [actions(button("propose.at"), button("propose.at"))]
        with pytest.raises(SlackApiError) as refused:
            client.chat_postMessage(channel="U03TOM", text="Times", blocks=twice)
        assert refused.value.response["error"] == "invalid_blocks"
        with pytest.raises(SlackApiError):
            client.views_publish(user_id="U03TOM", view={"type": "home", "blocks": [section()] * 101})
        with pytest.raises(SlackApiError):
            client.views_open(trigger_id="t", view=modal(title=plain("A title far too long for Slack")))
        client.chat_update(channel="D1", ts="1.1", text="fine", blocks=[section()])
        assert [call.method for call, _ in slack.refused] == ["chat.postMessage", "views.publish", "views.open"]

        # A response_url body too, as Bolt's respond() posts it.
        body = json.dumps({"response_type": "ephemeral", "blocks": [section()]}).encode()
        request = urllib.request.Request(f"{slack.url}hooks/command", body, {"Content-Type": "application/json"})
        with urllib.request.urlopen(request) as said:
            assert json.load(said)["error"] == "invalid_blocks"  # no text for the notification
        assert slack.refused[-1][0].method == "command"

        client.chat_postMessage(channel="U03TOM", text="<!channel> hi")
        assert [call.method for call, _ in slack.unsafe] == ["chat.postMessage"]
