"""The checker of what Teams accepts (tests/support/teams_limits.py) refuses what Teams would refuse, or
would take and then never deliver or draw wrongly (by its schema of the Adaptive Cards 1.5 walkbot draws, and
Teams' own rules): it is what every Teams test leans on."""
from __future__ import annotations

import copy

import pytest
from teams_limits import ACTIVITY_MAX, CONTENT_TYPE, activity_problems, card_problems, live_markup, size


def good_card() -> dict:
    return {"type": "AdaptiveCard", "$schema": "http://adaptivecards.io/schemas/adaptive-card.json", "version": "1.5",
            "body": [{"type": "TextBlock", "text": "Sam Patel would like to visit\\.", "wrap": True},
                     {"type": "FactSet", "facts": [{"title": "Focus", "value": "questioning"}]},
                     {"type": "Input.Text", "id": "reason", "maxLength": 2000},
                     {"type": "ActionSet", "actions": [
                         {"type": "Action.Execute", "id": "visit.agree.7", "verb": "visit.agree.7", "title": "Agree",
                          "data": {"visit": 7, "at": 1801739400}}]}],
            "actions": [{"type": "Action.Submit", "id": "decline.submit", "title": "Decline", "data": {"id": "x"}}]}


def activity(card: dict) -> dict:
    return {"type": "message", "summary": "A visit", "attachments": [{"contentType": CONTENT_TYPE, "content": card}]}


def test_a_card_teams_takes_has_no_problems():
    assert card_problems(good_card()) == []
    assert activity_problems(activity(good_card())) == []


def test_a_repeated_id_is_refused_across_the_whole_card():
    card = good_card()
    card["actions"][0]["id"] = "visit.agree.7"  # an action again, in another place
    [problem] = card_problems(card)
    assert "the id 'visit.agree.7' again" in problem
    card = good_card()
    card["body"].append({"type": "Input.Date", "id": "reason"})  # an input, and an element of the same id
    assert any("'reason' again" in p for p in card_problems(card))
    card = good_card()  # the data an action sends is the bot's own: an "id" there is no element's
    card["body"][3]["actions"][0]["data"]["id"] = "reason"
    assert card_problems(card) == []


@pytest.mark.parametrize("verb", [None, "", "   "])
def test_an_execute_without_a_verb_is_refused(verb):
    card = good_card()
    execute = card["body"][3]["actions"][0]
    if verb is None:
        del execute["verb"]
    else:
        execute["verb"] = verb
    assert any("no verb" in p for p in activity_problems(activity(card)))


def test_a_message_over_100_kb_is_refused_and_one_under_is_not():
    def of_size(target: int) -> dict:
        found = activity(good_card())
        found["attachments"][0]["content"]["body"][0]["text"] = ""
        found["attachments"][0]["content"]["body"][0]["text"] = "a" * (target - size(found))
        assert size(found) == target
        return found

    assert activity_problems(of_size(ACTIVITY_MAX)) == []
    [problem] = activity_problems(of_size(101 * 1024))
    assert problem == f"{101 * 1024} bytes, over Teams' {ACTIVITY_MAX}"
    wide = of_size(ACTIVITY_MAX)  # measured as UTF-8: a character of several bytes counts them all
    body = wide["attachments"][0]["content"]["body"][0]
    body["text"] = body["text"][:-2] + "é"
    assert activity_problems(wide) == [] and size(wide) == ACTIVITY_MAX
    body["text"] += "é"
    assert activity_problems(wide)


@pytest.mark.parametrize("version, ok", [("1.5", True), ("1.4", True), ("1.0", True), ("1.6", False), ("2", False),
                                         (None, False), (1.5, False), ("1.5.0 beta", False)])
def test_a_card_is_of_a_version_teams_renders_from_a_bot(version, ok):
    card = good_card()
    if version is None:
        del card["version"]
    else:
        card["version"] = version
    assert any(p.startswith("card.version") for p in card_problems(card)) is not ok


def test_what_the_schema_does_not_know_is_refused():
    for broken in ({"type": "TextBlock", "text": "x", "colour": "good"}, {"type": "TextBlock"},
                   {"type": "Input.Text"}, {"type": "Carousel", "pages": []},
                   {"type": "TextBlock", "text": "x", "style": "title"}):
        card = good_card()
        card["body"].append(broken)
        assert any("schema" in p for p in card_problems(card)), broken
    card = good_card()
    card["msteams"] = {"width": "Full"}  # not in the 1.5 schema: Teams-only, and walkbot does without it
    assert any("schema" in p for p in card_problems(card))


@pytest.mark.parametrize("text", ["**bold**", "_it_", "[link](https://evil.example)", "<at>Tom</at>", "&lt;b&gt;",
                                  "&#64;channel", "`code`", "~~gone~~", "{{DATE(2027-02-04T11:10:00Z)}}", "- item",
                                  "1. first", "# heading", "line\n\n+ item", "a \\ b"])
def test_live_markup_in_a_markdown_text_is_refused(text):
    assert live_markup(text)
    for where in ("text", "fact"):
        card = good_card()
        if where == "text":
            card["body"][0]["text"] = text
        else:
            card["body"][1]["facts"][0]["value"] = text
        assert any("live" in p for p in card_problems(card)), (where, text)


@pytest.mark.parametrize("text", ["\\*\\*bold\\*\\*", "\\[link\\](https://example.org)", "\\<at\\>Tom\\</at\\>",
                                  "\\&lt;b\\&gt;", "\\- item", "1\\. first", "\\#7 formal visit", "\\#1. heading",
                                  "questioning & wait time", "Sam's visit - 11:10 (30 minutes)", "a \\\\ b"])
def test_escaped_markup_is_plain_text(text):
    assert live_markup(text) == []


def test_plain_texts_are_not_read_as_markdown():
    card = good_card()
    card["body"][3]["actions"][0]["title"] = "Propose *Fri* instead"  # a button's title is plain text to Teams
    assert card_problems(card) == []


def test_live_mentions_are_refused():
    mention = {"type": "mention", "text": "<at>Tom</at>", "mentioned": {"id": "29:1", "name": "Tom"}}
    shown = activity(good_card())
    shown["entities"] = [mention]
    assert "entities: a live mention" in activity_problems(shown)
    card = good_card()
    card["msteams"] = {"entities": [mention]}
    assert any("live mention" in p for p in card_problems(card))
    shown = activity(good_card())
    shown["text"] = "<at>Tom</at> asks"
    assert any(p.startswith("text: live") for p in activity_problems(shown))


def test_a_message_is_a_message_with_something_to_show():
    assert activity_problems({"type": "message", "attachments": []}) == ["nothing to show: no text and no attachment"]
    assert activity_problems({"type": "typing", "text": "x"}) == ["type: 'typing', not 'message'"]
    assert activity_problems([]) == ["an activity is an object, not list"]
    broken = activity(good_card())
    broken["attachments"][0]["content"] = copy.deepcopy(broken["attachments"][0]["content"]) | {"type": "HeroCard"}
    assert activity_problems(broken) == ["attachments[0].content: not an AdaptiveCard object"]


def test_a_choice_value_with_a_comma_is_refused():
    card = good_card()
    card["body"].append({"type": "Input.ChoiceSet", "id": "walkers", "isMultiSelect": True,
                         "choices": [{"title": "Tom", "value": "U03TOM"}, {"title": "Two", "value": "U1,U2"}]})
    [problem] = card_problems(card)
    assert "'U1,U2' has a comma" in problem
