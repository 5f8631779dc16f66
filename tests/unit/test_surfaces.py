"""Every notice kind and every reply kind, rendered in every surface from the same card.

The core words each outcome once, as a card; the console prints it as text, Slack draws it as Block
Kit and Teams as an Adaptive Card. For each card: every surface shows the same words, the same actions
(Slack as buttons whose ids are the actions' ids, Teams as Action.Execute whose verbs are, the console as
the commands to type), Slack accepts the payload by its documented limits (tests/support/slack_limits.py),
Teams by the Adaptive Cards 1.5 schema and its own (tests/support/teams_limits.py), and the card survives
the outbox (to_data / from_data).
"""
from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from slack_limits import live_markup, message_problems, view_problems
from teams_limits import activity_problems, buttons, cards_of, shown_text

from bot.chat import replies
from bot.domain.model import Finding, FindingKind, Note, NoticeKind, Role, Staff, Visit, VisitKind, VisitStatus, Walk
from bot.domain.timetable import Lesson
from bot.errors import InputError, NotFound, Refused
from bot.notices import words
from bot.reply import text
from bot.reply.card import Card, Say, Verb, from_data, to_data
from bot.rules import Subject, Violation
from bot.rules.allowance import Usage
from bot.rules.verdict import Slot
from bot.usecases.results import (Allowance, Member, Outcome, Overview, Said, StaffChange, StaffList, StaffOutcome,
                                  TeacherCounts, VisitDetail, VisitDone, VisitList, WalkDone, WalkList, WalkOutcome,
                                  ReportOutcome, WalkReport)
from handlers.slack.blocks import message
from handlers.slack.home import home_view
from handlers.teams import cards as teams
from bot.domain.school import parse_school_config
from handlers.wiring import read_school_file

LONDON = ZoneInfo("Europe/London")
AT = datetime(2027, 2, 4, 11, 10, tzinfo=LONDON)
TOM = Staff(1, 1, "U03TOM", "Tom Baker", frozenset({Role.TEACHER}), "tom", "U01HEAD")
SAM = Staff(2, 1, "U05SAM", "Sam Patel", frozenset({Role.TEACHER, Role.PROMOTED}), "sam")
RACHEL = Staff(3, 1, "U01HEAD", "Rachel Carli", frozenset({Role.SLT, Role.TEACHER}), "rachel")
NAMES = {p.chat_id: p.name for p in (TOM, SAM, RACHEL)}
# Person-written text with every kind of markup Slack or a console could take for its own.
FOCUS = "questioning & <b>wait time</b> <!channel> <@U03TOM> *bold*"


@pytest.fixture(scope="module")
def school():
    return replace(parse_school_config(read_school_file(None)).school, id=1)  # the demo school


def visit(status=VisitStatus.PROPOSED, **changes) -> Visit:
    return Visit(7, 1, TOM.chat_id, (SAM.chat_id,), SAM.chat_id, VisitKind.FORMAL, AT, 30, status, focus=FOCUS,
                 feedback="a chat after school", pro_forma="https://example.org/form", **changes)


def walk() -> Walk:
    return Walk(2, 1, RACHEL.chat_id, AT.date(), AT, AT + timedelta(hours=2), FOCUS, (RACHEL.chat_id, SAM.chat_id),
                announce_at=AT - timedelta(days=7), purpose=FOCUS, feedback=FOCUS)


FINDINGS = tuple(Finding(n, 2, SAM.chat_id, kind, FOCUS, AT) for n, kind in enumerate(FindingKind))


def notices(school) -> dict[NoticeKind, list[Card]]:
    """A card for every notice the core writes, each under the kind it is sent as."""
    v, countered, held = visit(), visit(VisitStatus.COUNTERED, suggested_start=AT + timedelta(days=1)), \
        visit(VisitStatus.HELD, record="We agreed hinge questions.", record_agreed_by=frozenset({TOM.chat_id}))
    w, deadline = walk(), date(2027, 2, 11)
    cards = {
        NoticeKind.PROPOSAL: [words.proposal(school, v, NAMES, "Sam Patel"), words.moved(school, v, "Sam Patel"),
                              words.walk_room(school, w, v, NAMES)],
        NoticeKind.SUGGESTION: [words.suggestion(school, countered, "Tom Baker")],
        NoticeKind.AGREED: [words.agreed(school, v, NAMES, "Tom Baker"), words.accepted(school, v, NAMES, "Sam Patel")],
        NoticeKind.CONFIRMED: [words.confirmed(school, v, NAMES)],
        NoticeKind.DECLINED: [words.declined(v, "Tom Baker", FOCUS)],
        NoticeKind.WITHDRAWN: [words.withdrawn(v, "Sam Patel")],
        NoticeKind.CANCELLED: [words.cancelled(school, v, "Tom Baker", FOCUS), words.walk_room_cancelled(w, FOCUS)],
        NoticeKind.INSPECTION: [words.inspection(school, v, NAMES)],
        NoticeKind.DIALOGUE_PROMPT: [words.dialogue_prompt(school, held, [AT + timedelta(days=1, hours=3)]),
                                     words.dialogue_prompt(school, held, [])],
        NoticeKind.DIALOGUE_SCHEDULED: [words.dialogue_scheduled(school, held, AT + timedelta(days=1), 60)],
        NoticeKind.RECORD: [words.record(held, "Tom Baker", FOCUS)],
        NoticeKind.RECORD_AGREED: [words.record_agreed(held)],
        NoticeKind.OBJECTION: [words.objection(v, "Tom Baker", "Sam Patel", FOCUS)],
        NoticeKind.OBJECTION_RESOLVED: [words.objection_resolved(v.id, "Rachel Carli", "Sam Patel", FOCUS)],
        NoticeKind.OBJECTION_WITHDRAWN: [words.objection_withdrawn(v.id, "Tom Baker", "Sam Patel")],
        NoticeKind.CONCERN: [words.concern("Tom Baker", FOCUS), words.concern("Tom Baker", FOCUS, "Sam Patel")],
        NoticeKind.UNSAFE_PRACTICE: [words.unsafe_practice(school, v, NAMES, "Sam Patel", FOCUS)],
        NoticeKind.STAFF_ADDED: [words.staff_added(school, TOM, "Rachel Carli")],
        NoticeKind.WALK_ANNOUNCEMENT: [words.walk_announcement(school, w, NAMES)],
        NoticeKind.WALK_CANCELLED: [words.walk_cancelled(w, FOCUS)],
        NoticeKind.WALK_NOTE: [words.walk_note(school, v.but(kind=VisitKind.LEARNING_WALK, walk_id=w.id), "Sam Patel",
                                               FOCUS)],
        NoticeKind.WALK_FINDINGS: [words.walk_findings(school, w, 3), words.walk_findings(school, w, 1)],
        NoticeKind.WALK_REPORT: [words.walk_report(school, w, FINDINGS, 2),
                                 words.walk_report(school, replace(w, report_shared_at=AT), (), 1)],
        NoticeKind.CALENDAR_CHANGED: [
            words.visit_off_the_calendar(school, v, AT, "Thu 4 Feb 2027 is a school holiday.", NAMES,
                                         [AT + timedelta(days=1)], was_agreed=True),
            words.visit_off_the_calendar(school, countered, AT, "Thu 4 Feb 2027 is outside term time.", NAMES, [],
                                         was_agreed=False),
            words.dialogue_off_the_calendar(school, held, AT, "Thu 4 Feb 2027 is a school holiday.", [AT]),
            words.walk_off_the_calendar(school, w, "Thu 4 Feb 2027 is a school holiday.")],
        NoticeKind.NUDGE: [words.nudge_teacher(school, v, NAMES), words.nudge_visitors(school, countered, NAMES)],
        NoticeKind.REMINDER: [words.reminder(school, v, NAMES), words.walk_reminder(school, w, [v], NAMES),
                              words.walk_findings_due(school, w)],
        NoticeKind.REMINDER_SOON: [words.reminder_soon(school, v, NAMES, 30),
                                   words.walk_reminder_soon(school, w, [v], NAMES, 30)],
        NoticeKind.REMINDER_TEACHER: [words.reminder_teacher(school, v, NAMES)],
        NoticeKind.REMINDER_DIALOGUE: [words.reminder_dialogue(school, held.but(dialogue_at=AT), NAMES)],
        NoticeKind.NUDGE_HELD: [words.nudge_held(school, visit(VisitStatus.AGREED), deadline)],
        NoticeKind.NUDGE_DIALOGUE: [words.nudge_dialogue_arrange(school, held, deadline),
                                    words.nudge_dialogue_record(held), words.nudge_record_agreement(held)],
        NoticeKind.ESCALATION: [words.escalation(school, held, NAMES, deadline)],
        NoticeKind.DIGEST: [words.digest(school, NAMES, date(2027, 2, 1), this_week=[v],
                                         waiting=[(countered, [SAM.chat_id])], overdue=[(held, deadline)],
                                         near_a_cap=[("Tom Baker", ["2 of 3 observations used this year"])],
                                         reports_due=[(w, 3)]),
                            words.digest(school, NAMES, date(2027, 2, 1), this_week=[], waiting=[], overdue=[],
                                         near_a_cap=[])],
        NoticeKind.ANSWER: [replies.problem(NotFound("There is no visit #9 that you can see."))],
        NoticeKind.COVER: [words.cover_request(school, v, NAMES, [(SAM, Lesson(SAM.chat_id, 3, AT.time(), AT.time(),
                                                                        None, "P3", "9E", "Maths", "S14"))])],
    }
    return cards


def reply_cards(school) -> list[Card]:
    """A card for every reply the router gives: each outcome of each result, refusals and problems."""
    v = visit(VisitStatus.AGREED, dialogue_at=AT + timedelta(days=1), reason=FOCUS, record=FOCUS,
              notes=(Note(TOM.chat_id, FOCUS, AT),), suggested_start=AT + timedelta(days=1))
    session = school.calendar.sessions[0]
    usage = (Usage("observations used this year", 1, 3, "observations_per_year"),)
    allowance = Allowance(TOM, session, usage, ("001 §9: “no more than three observations”",))
    lists = VisitList(school, NAMES, (visit(),), (visit(VisitStatus.COUNTERED, suggested_start=AT),), (v,), (v,))
    cited = Violation("cap.observations_per_year", "Tom Baker has already had 3 of 3 observations.",
                      school.policy.cite("observations_per_year"), Subject.TEACHER)
    refused = Refused([cited, Violation("calendar.holiday", "Thu 4 Feb 2027 is a school holiday.",
                                        field=Subject.START)],
                      [Slot(AT + timedelta(days=n), 30) for n in (1, 2, 3)])
    cards = [replies.reply(VisitDone(school, v, NAMES, outcome, (cited,))) for outcome in Outcome]
    cards += [replies.reply(WalkDone(school, walk(), NAMES, outcome, (v,))) for outcome in WalkOutcome]
    cards += [replies.reply(WalkReport(school, w, NAMES, outcome, FINDINGS, 2, 2))
              for outcome in ReportOutcome for w in (walk(), replace(walk(), report_shared_at=AT))]
    cards += [replies.reply(StaffChange(school, TOM, outcome, NAMES, True)) for outcome in StaffOutcome]
    cards += [replies.reply(r) for r in (
        VisitDetail(school, v, NAMES, show_notes=True), lists, VisitList(school, NAMES, (), (), (), ()), allowance,
        WalkList(school, NAMES, (walk(),)), WalkList(school, NAMES, ()), StaffList(school, (TOM, SAM), NAMES,
                                                                                   frozenset({TOM.chat_id})),
        Member(school, TOM), Said(FOCUS, ("and more",)),
        Overview(school, RACHEL, lists, allowance, (walk(),), (TeacherCounts(TOM, usage),)))]
    cards += [replies.refusal(refused, school, Verb.PROPOSE_AT, "Propose"),
              replies.refusal(refused, school, Verb.SUGGEST_AT, "Suggest", typed=True),
              replies.problem(InputError("'someday' is not a date.", usage="/visit propose @teacher DATE TIME")),
              replies.problem(NotFound("There is no visit #9.")), replies.settled(school, v, NAMES)]
    return cards


def shown_words(card: Card) -> tuple[list[str], list[Say]]:
    """The words of a card as any surface must show them (every line, field and note), and the commands to
    type that its lines name."""
    found, said = [card.title or ""], []
    for s in card.sections:
        found.append(s.title or "")
        for t in s.lines:
            parts = (t,) if isinstance(t, str) else t
            found += [p for p in parts if isinstance(p, str)]
            said += [p for p in parts if isinstance(p, Say)]
        found += [f.label for f in s.fields] + [f.value for f in s.fields] + list(s.notes)
    return [w for w in found if w.strip()], said


def slack_text(payload: dict) -> str:
    """Everything a Slack person reads in a payload, with Slack's escapes read back."""
    found = []

    def walk_(node):
        if isinstance(node, dict):
            if node.get("type") in ("mrkdwn", "plain_text"):
                found.append(node["text"])
            for key, value in node.items():
                if key != "text" or not isinstance(value, str):
                    walk_(value)
        elif isinstance(node, list):
            for item in node:
                walk_(item)

    walk_(payload.get("blocks"))
    joined = "\n".join(found)
    return re.sub(r"[*_`]", "", joined).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def button_ids(payload: dict) -> list[str]:
    return [e["action_id"] for b in payload.get("blocks") or () if b.get("type") == "actions" for e in b["elements"]]


def check_every_surface(card: Card) -> None:
    assert from_data(to_data(card)) == card  # the outbox keeps it whole
    console = text.render(card)
    slack = message(card)
    assert message_problems(slack) == [] and live_markup(slack) == []
    view = home_view(card).to_dict()
    assert view_problems(view) == [] and live_markup(view) == []
    plain_slack = re.sub(r"[*_`]", "", slack_text(view))
    shown, commands = shown_words(card)
    for said in shown:
        for piece in filter(None, (p.strip(" .,;:") for p in said.split("\n"))):
            assert piece[:60] in console, (piece, console)
            bare = re.sub(r"[*_`]", "", piece)  # Slack's own emphasis marks aside
            assert bare[:60] in plain_slack, (bare, plain_slack)
    for say in commands:  # named in a line: written with its slash in both (Slack takes the slash form)
        assert text.typed(say) in console and text.typed(say) in plain_slack, (say, plain_slack)
    # The same actions: Slack's buttons are the actions' ids; the console names the commands to type.
    assert button_ids(view) == [a.id for a in card.actions]
    for action in card.actions:
        if action.command:
            assert text.typed(action.command) in console
    assert {a.id for a in card.actions if a.verb not in (Verb.PROPOSE_AT, Verb.SUGGEST_AT)} == set(button_ids(slack))
    check_teams(card, shown, commands)


def check_teams(card: Card, shown: list[str], commands: list[Say]) -> None:
    """Teams: a message it takes, the same words, each action an Action.Execute whose verb is its id (the
    form-only ones left out, as in Slack), and the commands named in lines written without the slash."""
    activity = teams.message(card)
    assert activity_problems(activity) == []
    [adaptive] = cards_of(activity)
    plain_teams = shown_text(adaptive)
    for said in shown:
        for piece in filter(None, (p.strip(" .,;:") for p in said.split("\n"))):
            assert piece[:60] in plain_teams, (piece, plain_teams)
    for say in commands:
        assert teams.typed(say) in plain_teams and text.typed(say) not in plain_teams, (say, plain_teams)
    executes = [b for b in buttons(adaptive) if b["type"] == "Action.Execute"]
    assert [b["verb"] for b in executes] == [b["id"] for b in executes] == [
        a.id for a in card.actions if a.command is not None and a.verb not in (Verb.PROPOSE_AT, Verb.SUGGEST_AT)]
    assert buttons(adaptive) == executes


def test_every_notice_kind_has_its_wording_and_renders_in_every_surface(school):
    cards = notices(school)
    assert set(cards) == set(NoticeKind), set(NoticeKind) - set(cards)
    for kind, each in cards.items():
        for card in each:
            check_every_surface(card)


def test_every_reply_kind_renders_in_every_surface(school):
    for card in reply_cards(school):
        check_every_surface(card)


def test_every_outcome_has_its_own_words(school):
    v = visit(suggested_start=AT + timedelta(days=1), dialogue_at=AT + timedelta(days=1))
    said = {text.render(replies.reply(VisitDone(school, v, NAMES, outcome))) for outcome in Outcome}
    assert len(said) == len(Outcome)  # no outcome falls through to another's sentence


def test_questions_carry_their_answers_and_the_time_they_ask_about(school):
    cards = notices(school)
    [proposal, moved_, room] = cards[NoticeKind.PROPOSAL]
    for card in (proposal, moved_, room):
        assert [a.id for a in card.actions] == ["visit.agree.7", "visit.suggest.7", "visit.decline.7"]
        assert all(a.at == AT for a in card.actions)
    [suggestion] = cards[NoticeKind.SUGGESTION]
    assert [a.id for a in suggestion.actions] == ["visit.accept.7", "visit.withdraw.7"]
    assert all(a.at == AT + timedelta(days=1) for a in suggestion.actions)


def test_a_refusal_offers_each_time_once_with_its_own_id(school):
    refused = Refused([Violation("calendar.holiday", "A holiday.", field=Subject.START)],
                      [Slot(AT + timedelta(days=n), 30) for n in (1, 2, 3)])
    card = replies.refusal(refused, school, Verb.PROPOSE_AT, "Propose")
    assert [a.id for a in card.actions] == ["propose.at.0", "propose.at.1", "propose.at.2"]
    assert "Nearest times that would be allowed: " in text.render(card)
    assert button_ids(message(card)) == []  # a time fills in its form again: no use in a message
    assert buttons(cards_of(teams.message(card))[0]) == []  # nor in Teams
