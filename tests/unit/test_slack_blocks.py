"""Block Kit: the one renderer of the reply model (handlers/slack/blocks.py). Every card becomes a message
or view Slack accepts (tests/support/slack_limits.py checks, slack_sdk's models check again): long or odd texts are
clipped and escaped, sections beyond a surface's blocks are cut with a note, and each action is a button
whose action id is unique in its message or view."""
from __future__ import annotations

import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from notices_support import replayed_term_notices
from slack_limits import live_markup, message_problems, view_problems

from bot.chat import replies
from bot.domain.model import Notice, Role, Staff, Visit, VisitKind, VisitStatus
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
from bot.rules.allowance import Usage
from bot.usecases.results import Allowance, Overview, TeacherCounts, VisitList
from handlers.slack import modals
from handlers.slack.blocks import (
    SECTION_MAX,
    answer_value,
    escape,
    message,
    mrkdwn,
    notice_message,
    pressed,
    read_answer_value,
    verb_of,
    view_blocks,
)
from handlers.slack.home import home_view
from handlers.wiring import load_school
from storage import open_store

LONDON = ZoneInfo("Europe/London")
AT = datetime(2027, 2, 4, 11, 10, tzinfo=LONDON)


@pytest.fixture
def school(tmp_path):
    store = open_store(f"sqlite:///{tmp_path / 'walkbot.db'}")
    yield store, load_school(store, None)
    store.close()


def accepted(payload: dict, *, view: bool = False) -> dict:
    """What Slack would take: no problem by its limits, no live markup."""
    assert (view_problems(payload) if view else message_problems(payload)) == []
    assert live_markup(payload) == []
    return payload


def blocks_of(payload: dict, kind: str) -> list[dict]:
    return [b for b in payload["blocks"] if b["type"] == kind]


def action_ids(payload: dict) -> list[str]:
    return [e["action_id"] for b in blocks_of(payload, "actions") for e in b["elements"]]


# --- notices ------------------------------------------------------------------------------------------------

def test_every_notice_of_a_whole_term_renders_as_a_valid_message(tmp_path):
    store = open_store(f"sqlite:///{tmp_path / 'walkbot.db'}")
    try:
        notices = replayed_term_notices(store)
    finally:
        store.close()
    kinds = {n.kind for n in notices}
    assert {"proposal", "suggestion", "agreed", "walk.announcement"} <= kinds, kinds
    for notice in notices:
        shown = accepted(notice_message(notice))  # to_dict() inside checks every length and count too
        assert bool(blocks_of(shown, "actions")) == any(a.command for a in notice.card.actions), notice
        if notice.kind in ("proposal", "suggestion"):  # the question carries the buttons that answer it
            assert all(a.endswith(f".{notice.visit_id}") for a in action_ids(shown)), notice


def test_a_notice_is_its_card_the_title_of_an_announcement_a_header():
    walk = Card("Learning walk #1 on Wednesday 10 March", (
        Section(fields=(Field("Focus", "feedback in books"), Field("Walking", "Rachel Carli"))),
        Section("How walks are conducted here:", ("• stand to the side",))), Tone.ANNOUNCEMENT)
    shown = accepted(notice_message(Notice(school_id=1, kind="walk.announcement", recipient="C0STAFF",
                                           due_at=AT, card=walk)))
    header, fields, conduct = shown["blocks"]
    assert header == {"type": "header", "text": {"type": "plain_text", "text": "📣 Learning walk #1 on Wednesday "
                                                                                "10 March", "emoji": True}}
    assert fields["text"]["text"] == "*Focus:* feedback in books\n*Walking:* Rachel Carli"
    assert conduct["text"]["text"] == "*How walks are conducted here:*\n• stand to the side"
    assert shown["text"].startswith("Learning walk #1 on Wednesday 10 March\nFocus: feedback in books")


# --- the parts of a card ------------------------------------------------------------------------------------

def test_each_part_of_a_card_has_its_block():
    asked = card("Sam Patel would like to visit: #3 formal visit", line("Or say ", Say("visit show 3"), "."),
                 notes=("§7 of the agreement",), actions=teacher_answers(3, AT))
    shown = accepted(message(asked.but(title="A question")))
    section, context, actions = shown["blocks"]
    assert section["text"]["text"] == ("*A question*\nSam Patel would like to visit: #3 formal visit\n"
                                       "Or say `/visit show 3`.")  # a command as Slack takes it, slash first
    assert context == {"type": "context", "elements": [{"type": "mrkdwn", "text": "§7 of the agreement"}]}
    agree, suggest, decline = actions["elements"]
    assert [agree["action_id"], suggest["action_id"], decline["action_id"]] == [
        "visit.agree.3", "visit.suggest.3", "visit.decline.3"]
    assert agree["value"] == answer_value(3, AT) == f"3@{int(AT.timestamp())}"
    assert read_answer_value(agree["value"]) == (3, AT)
    assert (agree["style"], decline["style"]) == ("primary", "danger") and "style" not in suggest
    # Without blocks (a notification, a screen reader, an old client) it says which commands answer it.
    assert shown["text"].endswith('Answer with /visit agree 3, /visit suggest 3 DATE TIME, or /visit decline 3 '
                                  '"reason".')


def test_an_action_that_asks_first_asks_in_slack_too():
    [_, withdraw] = accepted(message(card("Tom suggests Friday.", actions=visitor_answers(3, AT))))["blocks"][1][
        "elements"]
    assert withdraw["confirm"] == {"title": {"type": "plain_text", "text": "Withdraw this visit?", "emoji": True},
                                   "text": {"type": "plain_text", "text": "Visit #3 will be called off.", "emoji": True},
                                   "confirm": {"type": "plain_text", "text": "Withdraw", "emoji": True},
                                   "deny": {"type": "plain_text", "text": "Keep it", "emoji": True}}


def test_times_that_only_a_form_can_retry_are_buttons_in_a_form_and_left_out_of_a_message():
    times = tuple(Action(Verb.PROPOSE_AT, f"Propose {n} instead", None, at=AT + timedelta(hours=n), key=str(n))
                  for n in range(3))
    refused = Card("The agreement doesn't allow that:", (Section(lines=("• too little notice",)),
                                                         Section(lines=("Nearest times: …",), actions=times)))
    assert blocks_of(accepted(message(refused)), "actions") == []
    in_form = [b.to_dict() for b in view_blocks(refused, local=lambda moment: moment.astimezone(LONDON))]
    [buttons] = [b["elements"] for b in in_form if b["type"] == "actions"]
    assert [(b["action_id"], b["value"]) for b in buttons] == [
        ("propose.at.0", "2027-02-04T11:10"), ("propose.at.1", "2027-02-04T12:10"), ("propose.at.2", "2027-02-04T13:10")]
    assert in_form[0]["text"]["text"].startswith("*The agreement doesn't allow that:*")  # no header inside a form


def test_the_action_ids_of_one_verb_are_found_with_or_without_their_key():
    agree = pressed(Verb.AGREE)
    assert all(agree.match(a) for a in ("visit.agree", "visit.agree.1", "visit.agree.2147483647"))
    assert not any(agree.match(a) for a in ("visit.agreed", "visit.agree.", "visit.agree\n", "visit.agree.1\n",
                                            "xvisit.agree", "visit.agree.1.2", "visit.agree.١"))
    assert (verb_of("propose.at.2"), verb_of("visit.withdraw.9"), verb_of("walk.open")) == (
        Verb.PROPOSE_AT, Verb.WITHDRAW, Verb.OPEN_WALK)
    assert verb_of("visit.dance") is None and verb_of(["visit.agree"]) is None


# --- what people typed, and how long it is ------------------------------------------------------------------------

def test_every_text_is_escaped_so_nothing_typed_becomes_a_live_mention_or_link():
    typed = "Years 7 & 8 <!channel> <https://evil.example|click> <@U03TOM|tom> <!here>"
    said = Card("Visit #3 & <!here>", (Section("Focus <b>:", (typed,), (Field("Note <!channel>", typed),),
                                               (typed,), teacher_answers(3, AT)),))
    shown = accepted(message(said))
    assert "<" not in json.dumps(shown) and ">" not in json.dumps(shown)
    assert escape(typed) in shown["text"]  # the notification text too
    assert mrkdwn("Year 7 & 8 <b>, ask <@U03TOM|tom>") == "Year 7 &amp; 8 &lt;b&gt;, ask &lt;@U03TOM|tom&gt;"
    home = home_view(said).to_dict()
    assert live_markup(home) == [] and home["blocks"][0]["text"]["text"] == "Visit #3 &amp; &lt;!here&gt;"


def test_clipping_never_cuts_an_escape_in_half():
    for n in range(15, 30):
        clipped = mrkdwn("&" * 50, n)
        assert len(clipped) <= n and clipped.endswith("&amp;…") and live_markup({"text": clipped}) == []
    assert SECTION_MAX - 4 <= len(mrkdwn("<" * 5000)) <= SECTION_MAX and mrkdwn("<" * 5000).endswith("&lt;…")


def test_a_very_long_card_is_clipped_and_cut_not_rejected():
    long = "a very long focus & more " * 400
    for tone in Tone:
        said = Card(long, (Section(long, (long,) * 3, (Field(long, long),), (long,) * 3, teacher_answers(7, AT)),), tone)
        accepted(message(said))
    shown = accepted(message(card("x" * 100_000)))
    assert len(shown["blocks"][0]["text"]["text"]) <= SECTION_MAX and len(shown["text"]) <= 4000
    many = accepted(message(card(*["x" * 2000] * 100)))
    assert len(many["blocks"]) == 50 and many["blocks"][-1]["text"]["text"].endswith("… and 50 more")


def test_a_card_of_more_sections_than_a_message_holds_keeps_each_group_and_says_what_was_cut():
    visits = [Section(lines=(f"#{n} formal visit",), actions=teacher_answers(n, AT)) for n in range(1, 41)]
    said = Card("walkbot", (Section("Awaiting your answer:"), *visits, Section("Coming up:", ("#99 peer visit",))))
    shown = accepted(message(said))
    assert len(shown["blocks"]) <= 50
    texts = [b["text"]["text"] if b["type"] == "section" else b["elements"][0].get("text", "")
             for b in shown["blocks"] if b["type"] in ("section", "context")]
    assert texts[-1] == "*Coming up:*\n#99 peer visit"  # the group after the long one is still there
    assert any(t.startswith("… and ") and t.endswith(" more not shown here") for t in texts)
    assert len(action_ids(shown)) == len(set(action_ids(shown)))


# --- forms, the Home tab, an answered question --------------------------------------------------------------------

def test_forms_hold_the_longest_values_people_can_type(school):
    _, demo = school
    long = "x" * 2000
    view = modals.propose_view(demo, {"focus": long, "feedback": long, "pro_forma": "https://e.g/" + "p" * 2000})
    accepted(view.to_dict(), view=True)
    times = tuple(Action(Verb.PROPOSE_AT, "Propose " + long, None, at=AT, key=str(n)) for n in range(3))
    refused = Card("No", (Section(lines=(long * 3,) * 40, notes=(long,)), Section(lines=(long,), actions=times)))
    trouble = modals.Trouble(fields={"focus": long * 2}, card=refused, local=demo.calendar.local)
    answer = trouble.ack(lambda t: modals.propose_view(demo, {}, t))
    assert answer["response_action"] == "update"
    shown = accepted(answer["view"].to_dict(), view=True)
    assert [b["block_id"] for b in shown["blocks"] if b["type"] == "input"][0] == "teacher"  # every field stays
    assert len(shown["blocks"]) <= 100


def test_the_home_tab_stays_within_slacks_hundred_blocks(school):
    _, demo = school
    start = datetime(2027, 2, 4, 9, 0, tzinfo=LONDON)
    me = Staff(1, demo.id, "U03TOM", "Tom Baker", frozenset({Role.TEACHER, Role.SLT}))
    visits = tuple(Visit(i, demo.id, "U03TOM", ("U05SAM",), "U05SAM", VisitKind.PEER, start + timedelta(days=i), 20,
                         VisitStatus.PROPOSED, focus="f" * 2000) for i in range(1, 60))
    listing = VisitList(demo, {"U03TOM": "Tom Baker"}, visits, visits, visits, visits)
    allowance = Allowance(me, demo.calendar.sessions[0], (), ())
    usage = (Usage("observations used this year", 1, 3, "observations_per_year"),
             Usage("minutes", 30, 180, "observation_minutes_per_year"))
    teachers = tuple(TeacherCounts(Staff(n, demo.id, f"U{n}", f"Teacher Number {n}", me.roles), usage)
                     for n in range(200))
    overview = Overview(demo, me, listing, allowance, (), teachers)
    view = accepted(home_view(replies.overview_card(overview, flash="y" * 5000)).to_dict(), view=True)
    assert len(view["blocks"]) <= 100
    shown = "\n".join(b["text"]["text"] for b in view["blocks"] if b["type"] in ("section", "header"))
    assert "Teacher Number 0: 1 of 3" in shown and "*Learning walks planned:*" in shown  # the last groups stay
    assert "more not shown here" in json.dumps(view) and len(action_ids(view)) == len(set(action_ids(view)))


def test_a_settled_message_has_no_buttons(school):
    _, demo = school
    visit = Visit(3, demo.id, "U03TOM", ("U05SAM",), "U05SAM", VisitKind.FORMAL,
                  datetime(2027, 2, 4, 11, 10, tzinfo=LONDON), 30, VisitStatus.DECLINED, reason="exams <soon>")
    shown = accepted(message(replies.settled(demo, visit, {"U03TOM": "Tom Baker", "U05SAM": "Sam Patel"})))
    assert [b["type"] for b in shown["blocks"]] == ["section", "context"]
    assert shown["blocks"][1]["elements"][0]["text"] == "Declined: “exams &lt;soon&gt;”"


def test_styles_and_tones_all_render():
    for style in Style:
        action = Action(Verb.AGREE, "Agree", Say("visit agree 1"), 1, AT, style, key="1")
        accepted(message(Card("t", (Section(actions=(action,)),), Tone.DONE)))
