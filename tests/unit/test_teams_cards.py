"""Adaptive Cards: the Teams renderer of the reply model (handlers/teams/cards.py) and its forms
(handlers/teams/forms.py). Every card becomes an Adaptive Card 1.5 that Teams takes (tests/support/teams_limits.py):
texts escaped so nothing typed becomes markup or a mention, each action an Action.Execute whose verb is its
id, what does not fit in 100 KB cut with a note, and each form's inputs with ids of their own."""
from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from notices_support import replayed_term_notices
from teams_limits import (
    ACTIVITY_MAX,
    activity_problems,
    buttons,
    card_problems,
    cards_of,
    live_markup,
    shown_text,
    size,
    unescape,
)

from bot.chat import replies
from bot.domain.model import Role, Staff
from bot.domain.school import parse_school_config
from bot.errors import Refused
from bot.reply.actions import teacher_answers, visitor_answers
from bot.reply.card import (
    Action,
    Card,
    Field,
    Say,
    Section,
    Style,
    Tone,
    Verb,
    card,
    line,
)
from bot.rules import Subject, Violation
from bot.rules.verdict import Slot
from bot.chat import forms as chat_forms
from handlers.teams import cards, forms
from handlers.wiring import read_school_file
from storage import open_store

LONDON = ZoneInfo("Europe/London")
AT = datetime(2027, 2, 4, 11, 10, tzinfo=LONDON)
TOM = Staff(1, 1, "U03TOM", "Tom Baker", frozenset({Role.TEACHER}), "tom")
SAM = Staff(2, 1, "U05SAM", "Sam Patel", frozenset({Role.TEACHER}), "sam")
GONE = Staff(3, 1, "U09GONE", "Ann Left", frozenset({Role.TEACHER}), "ann", active=False)
HOSTILE = ("**bold** _it_ [link](https://evil.example) <at>Tom</at> &lt;b&gt; `code` ~~gone~~ "
           "{{DATE(2027-02-04T11:10:00Z)}}")


@pytest.fixture(scope="module")
def school():
    return replace(parse_school_config(read_school_file(None)).school, id=1)  # the demo school


def accepted(activity: dict) -> dict:
    assert activity_problems(activity) == []
    return activity


def content(activity: dict) -> dict:
    [found] = cards_of(activity)
    return found


def refused(school, retry=Verb.PROPOSE_AT, label="Propose") -> Card:
    err = Refused([Violation("calendar.holiday", "Thu 4 Feb 2027 is a school holiday.", field=Subject.START)],
                  [Slot(AT + timedelta(days=n), 30) for n in (1, 2, 3)])
    return replies.refusal(err, school, retry, label)


# --- text -----------------------------------------------------------------------------------------------------

def test_commands_are_written_as_teams_takes_them_without_the_slash():
    assert cards.typed(Say("visit agree 3")) == "agree 3"
    assert cards.typed(Say("walk plan")) == "walk plan"
    shown = accepted(cards.message(card(line("Or say ", Say("visit show 3"), "."))))
    assert shown_text(content(shown)) == "Or say “show 3”."


def test_person_written_markup_shows_as_itself_never_as_markup_or_a_mention():
    shown = accepted(cards.message(card(f"focus: {HOSTILE}", title=HOSTILE, notes=(HOSTILE,))))
    text = shown_text(content(shown))
    assert text.count(HOSTILE) == 3, text
    assert "<at>" not in json.dumps(content(shown)).replace("\\\\<at\\\\>", "")  # in the card, only ever escaped
    assert shown["summary"] == HOSTILE  # a notification is plain text: as typed
    assert "entities" not in shown


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_escaping_leaves_no_live_markup_and_reads_back_as_typed(typed):
    escaped = cards.escape(typed)
    assert live_markup(escaped) == []
    assert unescape(escaped) == re.sub(r"\n+", "\n", re.sub(r"\r\n?", "\n", typed))


def test_lines_starting_like_lists_or_headings_stay_lines():
    for typed in ("- item", "+ item", "# heading", "1. first", "12) twelfth", "===", "> quote", "  - indented"):
        escaped = cards.escape(typed)
        assert live_markup(escaped) == [] and unescape(escaped) == typed, (typed, escaped)


# --- the parts of a card --------------------------------------------------------------------------------------

def test_each_part_of_a_card_has_its_element():
    asked = Card("A question", (Section(lines=("Sam Patel would like to visit: #3 formal visit",),
                                        fields=(Field("Focus", "questioning"),), notes=("§7 of the agreement",),
                                        actions=teacher_answers(3, AT)),), Tone.REFUSED)
    activity = accepted(cards.message(asked))
    title, said, facts, small, actions = content(activity)["body"]
    assert title | {"text": ""} == {"type": "TextBlock", "text": "", "wrap": True, "weight": "bolder", "size": "large",
                                    "style": "heading", "color": "attention"}
    assert said["text"] == "Sam Patel would like to visit: #3 formal visit"
    assert facts == {"type": "FactSet", "facts": [{"title": "Focus", "value": "questioning"}]}
    assert small["isSubtle"] is True and small["size"] == "small"
    agree, suggest, decline = actions["actions"]
    assert [(b["type"], b["verb"], b["id"]) for b in (agree, suggest, decline)] == [
        ("Action.Execute", a, a) for a in ("visit.agree.3", "visit.suggest.3", "visit.decline.3")]
    assert agree["data"] == {"visit": 3, "at": int(AT.timestamp())}
    assert (agree["style"], decline["style"]) == ("positive", "destructive") and "style" not in suggest
    assert activity["summary"] == "A question" and "text" not in activity  # no second copy above the card
    assert content(activity)["fallbackText"].endswith(
        'Answer with agree 3, suggest 3 DATE TIME, or decline 3 "reason".')


def test_an_action_that_asks_first_says_what_it_does_on_hover():
    [accept, withdraw] = buttons(content(accepted(cards.message(card("Tom suggests Friday.",
                                                                     actions=visitor_answers(3, AT))))))
    assert "tooltip" not in accept
    assert withdraw["tooltip"] == "Withdraw this visit?: Visit #3 will be called off."


def test_an_action_about_no_time_sends_null():
    propose = Action(Verb.OPEN_PROPOSE, "Propose a visit", Say("visit propose"))
    [pressed] = buttons(content(accepted(cards.message(card("Nothing yet.", actions=(propose,))))))
    assert pressed["verb"] == "propose.open" and pressed["data"] == {"visit": None, "at": None}


def test_times_that_only_a_form_can_retry_are_left_out_of_a_message(school):
    said = refused(school)
    assert buttons(content(accepted(cards.message(said)))) == []
    assert "Nearest times that would be allowed" in shown_text(content(cards.message(said)))


def test_an_answered_card_has_no_actions_left(school):
    asked = card("Sam Patel would like to visit.", actions=teacher_answers(3, AT))
    assert buttons(content(accepted(cards.refreshed(asked)))) == []
    answer = cards.execute_response(asked)
    assert answer["statusCode"] == 200 and answer["type"] == cards.CONTENT_TYPE
    assert card_problems(answer["value"]) == [] and buttons(answer["value"]) == []
    inline = suggest(school, 3, inline=True)
    assert cards.execute_response(inline)["value"] is inline  # a form shown in place of the question


def test_more_buttons_than_teams_shows_go_into_its_menu():
    many = tuple(Action(Verb.AGREE, f"Agree #{n}", Say(f"visit agree {n}"), n, AT, key=str(n)) for n in range(1, 9))
    shown = buttons(content(accepted(cards.message(card("Eight visits await you.", actions=many)))))
    assert [b.get("mode") for b in shown] == [None] * 6 + ["secondary"] * 2


def test_a_very_long_card_is_cut_to_fit_teams_and_says_so():
    lines = tuple(f"{n}: " + "<é> " * 500 for n in range(400))
    huge = Card("Everything", (Section(lines=lines, actions=teacher_answers(3, AT)), Section(lines=lines)))
    activity = accepted(cards.message(huge))
    assert size(activity) <= ACTIVITY_MAX
    body = content(activity)["body"]
    assert body[1]["text"].startswith("0: \\<é\\>")
    assert re.fullmatch(r"… and \d+ more not shown here", body[-1]["text"])


def test_styles_and_tones_all_render():
    for tone in Tone:
        for style in Style:
            action = Action(Verb.AGREE, "Agree", Say("visit agree 1"), 1, AT, style)
            accepted(cards.message(Card("Title", (Section(lines=("x",), actions=(action,)),), tone)))
    assert content(cards.message(Card("Walk", (), Tone.ANNOUNCEMENT)))["body"][0]["text"] == "📣 Walk"


# --- notices --------------------------------------------------------------------------------------------------

def test_every_notice_of_a_whole_term_renders_as_a_valid_message(tmp_path):
    store = open_store(f"sqlite:///{tmp_path / 'walkbot.db'}")
    try:
        notices = replayed_term_notices(store)
    finally:
        store.close()
    assert {n.kind for n in notices} >= {"proposal", "suggestion", "agreed", "walk.announcement"}
    for notice in notices:
        shown = buttons(content(accepted(cards.notice_message(notice))))
        assert [b["verb"] for b in shown] == [a.id for a in notice.card.actions if cards.in_message(a)]
        if notice.kind in ("proposal", "suggestion"):  # the question carries the buttons that answer it
            assert shown and all(b["data"]["visit"] == notice.visit_id for b in shown), notice


# --- forms ----------------------------------------------------------------------------------------------------

def propose(school, staff, values=None, refusal=None, *, problems=None, inline=False) -> dict:
    return forms.card(chat_forms.propose_form(school), values, refusal, problems, school=school, staff=staff,
                      inline=inline)


def walk(school, staff) -> dict:
    return forms.card(chat_forms.walk_form(school), None, None, None, school=school, staff=staff)


def suggest(school, visit_id, values=None, refusal=None, *, inline=False) -> dict:
    return forms.card(chat_forms.suggest_form(visit_id), values, refusal, None, school=school, inline=inline,
                      visit_id=visit_id)


def decline(school, visit_id, values=None) -> dict:
    return forms.card(chat_forms.decline_form(visit_id), values, None, None, school=school, visit_id=visit_id)


def inputs(form: dict) -> dict[str, dict]:
    return {e["id"]: e for e in form["body"] if e["type"].startswith("Input.")}


def test_every_form_is_a_card_teams_takes_with_inputs_of_their_own_ids(school):
    staff = (TOM, SAM, GONE)
    ids = {f.id for form in (chat_forms.propose_form(school), chat_forms.walk_form(school),
                             chat_forms.suggest_form(7), chat_forms.decline_form(7)) for f in form.fields}
    for form in (propose(school, staff), walk(school, staff), suggest(school, 7), decline(school, 7),
                 propose(school, staff, refusal=refused(school)),
                 suggest(school, 7, refusal=refused(school, Verb.SUGGEST_AT, "Suggest"), inline=True)):
        assert card_problems(form) == [], form
        assert set(inputs(form)) <= ids
    proposing = inputs(propose(school, staff))
    assert list(proposing) == ["teacher", "date", "time", "minutes", "kind", "focus", "feedback", "visitors",
                               "pro_forma"]
    # People from the staff list (chat ids as values, no one who has left): no Graph permission needed.
    assert [c["value"] for c in proposing["teacher"]["choices"]] == ["U05SAM", "U03TOM"]
    assert proposing["visitors"]["isMultiSelect"] is True and proposing["teacher"]["isMultiSelect"] is False
    assert all(proposing[f]["maxLength"] == forms.TEXT_MAX for f in ("focus", "feedback", "pro_forma"))
    assert proposing["teacher"]["isRequired"] and "isRequired" not in proposing["focus"]
    assert proposing["minutes"]["value"] == str(school.policy.default_visit_minutes)


def test_a_form_comes_back_with_the_values_given_in_the_shapes_its_pickers_take(school):
    shown = inputs(propose(school, (TOM, SAM), {
        "teacher": "U03TOM", "date": "2027-02-05", "time": "1110", "visitors": "U05SAM,UNKNOWN", "focus": HOSTILE,
        "kind": "not a kind"}))
    assert shown["teacher"]["value"] == "U03TOM" and shown["date"]["value"] == "2027-02-05"
    assert "value" not in shown["time"]  # "1110" is no HH:MM: the picker starts empty
    assert shown["visitors"]["value"] == "U05SAM" and "value" not in shown["kind"]
    assert shown["focus"]["value"] == HOSTILE  # an input's value is plain text: shown as typed
    long = inputs(decline(school, 7, {"reason": "x" * 5000}))["reason"]
    assert len(long["value"]) == forms.TEXT_MAX


def test_a_refused_form_shows_the_refusal_first_and_its_times_send_the_form_again(school):
    form = propose(school, (TOM,), {"date": "2027-02-04", "time": "11:10"}, refused(school),
                   problems={"date": "Thu 4 Feb 2027 is a school holiday."})
    assert card_problems(form) == []
    texts = shown_text(form)
    assert texts.index("The agreement doesn't allow that") < texts.index("⚠️ Thu 4 Feb 2027 is a school holiday.")
    times = [b for b in buttons(form) if b["id"].startswith("propose.at.")]
    assert [b["id"] for b in times] == ["propose.at.0", "propose.at.1", "propose.at.2"]
    first = times[0]
    assert first["type"] == "Action.Submit"  # a dialog sends back only a Submit
    assert first["data"] == {"action": "propose.at.0", "visit": None, "at": int((AT + timedelta(days=1)).timestamp()),
                             "local": "2027-02-05T11:10", "form": "propose"}
    [send] = form["actions"]
    assert send == {"type": "Action.Submit", "id": "propose.submit", "title": "Propose", "style": "positive",
                    "data": {"action": "propose.submit", "form": "propose"}}


def test_answers_carry_their_visit_and_inline_forms_use_execute(school):
    [send] = decline(school, 7)["actions"]
    assert send["data"] == {"action": "decline.submit", "form": "decline", "visit": 7}
    assert send["style"] == "destructive"
    inline = suggest(school, 7, refusal=refused(school, Verb.SUGGEST_AT, "Suggest"), inline=True)
    pressed = buttons(inline)
    assert all(b["type"] == "Action.Execute" and b["verb"] == b["id"] for b in pressed)
    assert {b["data"]["visit"] for b in pressed} == {7} and {b["data"]["form"] for b in pressed} == {"suggest"}


def test_a_form_opens_in_a_dialog_and_its_values_are_read_back(school):
    opened = forms.dialog(chat_forms.walk_form(school), walk(school, (TOM,)))
    assert opened["task"]["type"] == "continue"
    assert opened["task"]["value"]["title"] == "Plan a learning walk"
    assert opened["task"]["value"]["card"]["contentType"] == cards.CONTENT_TYPE
    data = {"action": "walk.submit", "form": "walk", "date": "2027-02-10", "start": "09:00", "walkers": "U03TOM,U05SAM",
            "rooms": "", "focus": 3, "unknown": "x"}
    planning = chat_forms.walk_form(school)
    assert forms.read_values(data, planning) == {"date": "2027-02-10", "start": "09:00",
                                                 "walkers": ("U03TOM", "U05SAM")}
    assert forms.read_values(None, planning) == {}
