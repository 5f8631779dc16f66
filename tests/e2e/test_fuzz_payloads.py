"""Correctly signed but fuzzed Slack payloads, over real HTTP into the real server and the real Bolt app.

Button clicks (walkbot's action ids and others; values of garbage, huge, wrong JSON, other schools'
visits, missing, of the wrong type), form submissions for each of walkbot's forms (blocks missing, of the
wrong type, absurd dates and times, long and unusual text, private metadata broken) and slash-command
text. Whatever comes: no 5xx, nothing fails inside walkbot (nothing logged as an error: a listener that
failed is a bug here, not an answer), no stack trace reaches anyone, and the database does not change.
That last holds because every payload is one that can never be valid: it comes from someone on no staff
list, or it names no visit of this school, or a field of its form is broken beyond use.

WALKBOT_LONG_TESTS=1 runs five times as many examples.
"""
from __future__ import annotations

import json
import logging
import os
from datetime import datetime
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import pytest
from conftest import DEMO_SCHOOL
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from malformed import malformed
from slack_support import TEAM, rows, standin, workspace  # noqa: F401 (fixtures)

from bot.chat.router import SORRY, Walkbot
from bot.domain.clock import FixedClock
from bot.domain.school import parse_school_config
from handlers.slack import modals as m
from handlers.slack.blocks import (
    ACCEPT,
    AGREE,
    DECLINE,
    OPEN_PROPOSE,
    OPEN_WALK,
    SUGGEST,
    WITHDRAW,
    verb_of,
)
from storage import open_store

LONG = os.environ.get("WALKBOT_LONG_TESTS") == "1"
EXAMPLES = 1000 if LONG else 200
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

SAM, TOM, AMY, RACHEL, GORDON = "U05SAM", "U03TOM", "U04AMY", "U01HEAD", "U07GORDON"
STAFF = [SAM, TOM, AMY, RACHEL, GORDON]
STRANGER = "U0STRANGER"  # a member of the workspace on no school's staff list
OURS = 1  # the demo school's one visit; 2 and 3 are another school's
FORM = "application/x-www-form-urlencoded"


@pytest.fixture(scope="module")
def slack(tmp_path_factory, standin):
    """One walkbot for the whole module, since no example may change anything (each checks it did not).
    SQLite: what is fuzzed here is what walkbot makes of a payload, not the database."""
    store = open_store(f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'walkbot.db'}")
    clock = FixedClock(datetime(2027, 2, 1, 8, 30, tzinfo=ZoneInfo("Europe/London")))
    with workspace(store, clock, standin) as running:
        yield running
    store.close()


@pytest.fixture(scope="module")
def world(slack):
    """Sam has proposed visit #1 to Tom; another school (the same people's ids, no Slack workspace) has #2
    and #3, proposed by its Amy to its Tom. Every example must leave all this exactly as it is."""
    assert slack.command(SAM, 'propose <@U03TOM|tom> 2027-02-04 P3 30m kind formal focus "questioning" '
                              'feedback "after school"').text.startswith("Proposed #1")
    with slack.store.uow() as uow:
        other = uow.schools.save(parse_school_config(DEMO_SCHOOL))
        uow.commit()
    bot = Walkbot(uow_factory=slack.store.uow, clock=slack.clock)
    for day in ("2027-02-04", "2027-02-05"):
        reply = bot.handle(f'/visit propose @tom {day} P2 30m kind peer focus "x"', school_id=other.id, actor=AMY)
        assert reply.ok, reply.text
    slack.deliver()
    slack.standin.calls.clear()
    return Rows(rows(slack.store))


class Rows(dict):
    """Every row of every table; shown in a failure by its size only."""

    def __repr__(self) -> str:
        return f"<{sum(map(len, self.values()))} rows>"


def send(slack, caplog, body: str):
    """One signed request: the answer, and the Web API calls it made (its log records are in caplog)."""
    caplog.set_level(logging.WARNING)
    caplog.clear()
    calls = len(slack.standin.calls)
    answer = slack.post(body, FORM)
    return answer, slack.standin.calls[calls:]


def check(slack, caplog, before, answer, calls, what) -> None:
    assert answer.status < 500, (answer.status, what)
    failures = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not failures, (what, [r.getMessage() for r in failures])
    said = json.dumps(answer.body) + json.dumps([c.args for c in calls])
    assert "Traceback" not in said and SORRY not in said, what
    assert rows(slack.store) == before, what


def payload_body(payload) -> str:
    return urlencode({"payload": json.dumps(payload)})


# --- what goes into payloads ------------------------------------------------------------------------------------

huge = st.builds(lambda ch, n: ch * n, st.characters(codec="utf-8"), st.integers(3000, 20_000))
words = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=60)
odd_json = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | words,
                        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(words, inner, max_size=3),
                        max_leaves=8)
anything = st.one_of(words, huge, odd_json, st.just(""),
                     st.sampled_from(["1", "2", "3", "0", "-1", "1@", "@1", "1@x", "1@-1", "1@99999999999999999",
                                      "9" * 40, "1e3", "{}", "[]", "null", "1 OR 1=1", "<@U01HEAD>", "\x00"]))
users = st.one_of(st.sampled_from([STRANGER, "", "U", "W0STRANGER", "<@U03TOM>", "U03TOM ", "u03tom"]), words)


def now_and_then(draw, one_in: int) -> bool:
    """True about once in `one_in` draws (hypothesis favours small integers, so the rare case is the largest)."""
    return draw(st.integers(1, one_in)) == one_in


def names_our_visit(value) -> bool:
    """Whether a button's value could be read as this school's visit (as an int() of its first part)."""
    try:
        return int(str(value).partition("@")[0]) == OURS
    except ValueError:
        return False


def reads_as_a_time(value) -> bool:
    try:
        datetime.fromisoformat(value)
        return True
    except (TypeError, ValueError):
        return False


# Each as Slack sends it back: the verb alone, or with the key that tells apart the buttons of one card.
ANSWERS = [AGREE, ACCEPT, WITHDRAW, SUGGEST, DECLINE, f"{AGREE}.1", f"{WITHDRAW}.2", f"{SUGGEST}.3"]
TIMES = [m.PROPOSE_AT, m.SUGGEST_AT, f"{m.PROPOSE_AT}.0", f"{m.SUGGEST_AT}.2"]
OURS_ACTIONS = ANSWERS + TIMES + [OPEN_PROPOSE, OPEN_WALK]


def not_ours(action_id: str) -> bool:
    """An action id none of walkbot's listeners answers."""
    return verb_of(action_id) is None


def _dates():
    return st.one_of(st.sampled_from(["2027-02-04", "2027-02-30", "0001-01-01", "9999-12-31", "2027-2-4", "04/02/2027",
                                      "2026-10-27", "2027-02-06", "1970-01-01", "tomorrow"]),
                     st.dates().map(str), anything)


def _times():
    return st.one_of(st.sampled_from(["11:10", "25:00", "11:60", "24:00", "00:00", "23:59", "11:10:30",
                                      "-1:00", "11.10", "P3", "noon"]),
                     st.times().map(lambda t: t.isoformat()), anything)


def _users():
    return st.one_of(st.sampled_from([TOM, AMY, SAM, STRANGER]), users, anything)


def _people():
    return st.one_of(st.lists(st.sampled_from([TOM, AMY, RACHEL, STRANGER, ""]), max_size=4),
                     st.lists(users, max_size=3), anything)


# A value for each block of each form, as Slack's element would carry it (or as it never would).
BLOCKS = {
    "teacher": ("selected_user", _users), "date": ("selected_date", _dates), "time": ("selected_time", _times),
    "start": ("selected_time", _times), "end": ("selected_time", _times),
    "minutes": ("selected_option", lambda: st.one_of(st.sampled_from(["30", "0", "-5", "1e9", "9" * 30]), anything)),
    "kind": ("selected_option", lambda: st.one_of(st.sampled_from(["peer", "formal", "inspection", "lecture"]),
                                                  anything)),
    "focus": ("value", lambda: st.one_of(words, huge, anything)),
    "feedback": ("value", lambda: st.one_of(words, huge, anything)),
    "reason": ("value", lambda: st.one_of(words, huge, st.just("   "), anything)),
    "pro_forma": ("value", lambda: st.one_of(st.just("https://example.org/x"), words, anything)),
    "visitors": ("selected_users", _people), "walkers": ("selected_users", _people),
    "rooms": ("selected_users", _people),
}
FORMS = {
    m.PROPOSE: ["teacher", "date", "time", "minutes", "kind", "focus", "feedback", "visitors", "pro_forma"],
    m.WALK: ["date", "start", "end", "focus", "walkers", "rooms"],
    m.SUGGEST: ["date", "time"],
    m.DECLINE: ["reason"],
}
# For someone on the staff list, a broken field that makes sure the form can never go through.
BROKEN = {
    m.PROPOSE: {"teacher": st.sampled_from([None, STRANGER, ""]), "date": st.sampled_from(["2027-02-30", "x", None]),
                "time": st.sampled_from(["25:00", "x", None]), "minutes": st.sampled_from(["half an hour", "1.5"]),
                "kind": st.sampled_from(["lecture", "grading"])},
    m.WALK: {"date": st.sampled_from(["2027-13-01", None]), "start": st.sampled_from(["9am", None]),
             "end": st.sampled_from(["00:00", None])},  # no start is before midnight
    m.SUGGEST: {"date": st.sampled_from(["2027-02-29", None]), "time": st.sampled_from(["11:61", None])},
    m.DECLINE: {"reason": st.sampled_from(["", "   ", "\n\t", None])},
}


@st.composite
def state_values(draw, form: str, broken: str | None = None) -> dict:
    """A view's state.values: each of the form's blocks present or not, in the right shape or not."""
    found = {}
    for block in FORMS[form] + draw(st.lists(words, max_size=2)):
        key, values = BLOCKS.get(block, ("value", lambda: anything))
        if block == broken:  # in its right shape: a missing length or kind would only mean the default
            value = draw(BROKEN[form][block])
            found[block] = {m.VALUE: {"selected_option": {"value": value}} if key == "selected_option"
                            else {key: value}}
            continue
        if now_and_then(draw, 6):
            continue  # a block left out
        value = draw(values())
        picked = {"selected_option": {"value": value}} if key == "selected_option" else {key: value}
        shape = draw(st.integers(0, 9))  # small numbers come most often: mostly Slack's own shape
        if shape == 9:
            found[block] = draw(anything)  # not a mapping of action ids at all
        elif shape == 8:
            found[block] = {"another_action": {"type": "x", **picked}}  # not the action id walkbot reads
        elif shape == 7 and key == "selected_option":
            found[block] = {m.VALUE: {"selected_option": draw(anything)}}
        else:
            found[block] = {m.VALUE: {"type": "x", **picked}}
    return found


def knock_out(draw, payload: dict) -> dict:
    """Now and then a key Slack always sends left out: of the payload, its view, container or action. (The
    broken field that keeps a form from going through sits deeper, in state.values.)"""
    if now_and_then(draw, 8):
        places = [payload, *(v for v in payload.values() if isinstance(v, dict)), *payload.get("actions", [])]
        place = draw(st.sampled_from([p for p in places if p]))
        del place[draw(st.sampled_from(sorted(place)))]
    return payload


def who(user) -> dict:
    return {"team": {"id": TEAM}, "user": {"id": user, "team_id": TEAM}, "api_app_id": "A0WALK",
            "trigger_id": "1.2.trigger"}


def metadata(visit) -> str:
    return json.dumps({"visit": visit, "channel": "DU03TOM", "ts": "1.000001"})


@st.composite
def view(draw, form: str, broken: str | None = None) -> dict:
    """One of walkbot's forms as submitted (or clicked in), its state fuzzed; for an answer's form (Suggest,
    Decline) the metadata saying which visit it is about too."""
    private = draw(st.just("") | anything)
    if form in (m.SUGGEST, m.DECLINE):
        visit = st.sampled_from([1, 2, 3, "1", None, [1], 1.0, 10**40]) | anything
        private = draw(visit.map(metadata) | st.sampled_from(["", "{", "[]", "null", "{}"]) | st.just(private))
    shown = {"id": "V0", "hash": "h", "type": "modal", "callback_id": form, "private_metadata": private,
             "state": {"values": draw(state_values(form, broken))}}
    if now_and_then(draw, 10):
        shown["state"] = draw(anything)  # not a state at all
    return shown


# --- buttons ----------------------------------------------------------------------------------------------------


@st.composite
def button_clicks(draw) -> dict:
    outsider = draw(st.booleans())
    unknown = now_and_then(draw, 5)  # a button walkbot does not have
    if outsider:
        user = draw(users)
        action_id = draw(words) if unknown else draw(st.sampled_from(OURS_ACTIONS))
        value = draw(st.one_of(st.sampled_from(["1", "2", "3", "1@1801234567", "home", "2027-02-08T11:10"]), anything))
    else:
        # Someone on the staff list: a value naming no visit of this school, or a time that is no time.
        user = draw(st.sampled_from(STAFF))
        action_id = draw(words.filter(not_ours)) if unknown else draw(st.sampled_from(ANSWERS + TIMES))
        if action_id in ANSWERS:
            value = draw(st.one_of(st.sampled_from(["2", "3", "2@1800000000", "3@x"]), anything)
                         .filter(lambda v: not names_our_visit(v)))
        elif action_id in TIMES:
            value = draw(anything.filter(lambda v: not reads_as_a_time(v)))
        else:
            value = draw(anything)
    action = {"type": "button", "action_id": action_id, "block_id": "b", "action_ts": "1.0"}
    if not now_and_then(draw, 10):
        action["value"] = value  # else: no value at all
    payload = {"type": "block_actions", **who(user), "actions": [action],
               "response_url": "RESPONSE_URL"}
    where = draw(st.sampled_from(["message", "view", "home", "nowhere"]))
    if where == "message":
        payload |= {"container": {"type": "message", "channel_id": draw(st.sampled_from(["DU03TOM", ""]) | words),
                                  "message_ts": draw(st.sampled_from(["1.000001", ""]) | words)},
                    "channel": {"id": "DU03TOM"}, "message": {"ts": "1.000001", "text": "", "blocks": []}}
    elif where in ("view", "home"):
        form = draw(st.sampled_from(list(FORMS)))
        shown = draw(view(form)) if where == "view" else {"id": "V0", "type": "home"}
        payload |= {"container": {"type": "view", "view_id": "V0"}, "view": shown}
    return knock_out(draw, payload)


@FUZZ
@given(payload=button_clicks())
def test_fuzzed_button_clicks_change_nothing_and_fail_nowhere(slack, world, caplog, payload):
    payload["response_url"] = f"{slack.standin.url}hooks/response"
    answer, calls = send(slack, caplog, payload_body(payload))
    check(slack, caplog, world, answer, calls, payload)


# --- forms ------------------------------------------------------------------------------------------------------


@st.composite
def form_submissions(draw) -> dict:
    if draw(st.booleans()):
        user = draw(users)
        form = draw(st.sampled_from(list(FORMS)))
        shown = draw(view(form))
        if now_and_then(draw, 5):
            shown["callback_id"] = draw(words)  # a form walkbot does not have
    else:
        user = draw(st.sampled_from(STAFF))
        form = draw(st.sampled_from(list(FORMS)))
        shown = draw(view(form, broken=draw(st.sampled_from(list(BROKEN[form])))))
    return knock_out(draw, {"type": "view_submission", **who(user), "view": shown})


@FUZZ
@given(payload=form_submissions())
def test_fuzzed_form_submissions_change_nothing_and_fail_nowhere(slack, world, caplog, payload):
    answer, calls = send(slack, caplog, payload_body(payload))
    check(slack, caplog, world, answer, calls, payload)


# --- slash commands ---------------------------------------------------------------------------------------------

# Slack sends &, < and > as entities, and people as <@U…|name>: both, in pieces and whole.
SLACKISH = ["&lt;", "&gt;", "&amp;", "<@U03TOM|tom>", "&lt;@U03TOM&gt;", "<@", "|", "<#C0STAFF|staff>", "<!here>",
            "“", "”", "\u200b", "\u202e", "🏫", "\n", "\t"]
VERBS = ["propose", "agree", "suggest", "accept", "decline", "withdraw", "move", "cancel", "held", "dialogue",
         "record", "notes", "object", "limits", "show", "list", "staff", "plan", "help"]
typed = st.builds(lambda verb, rest: " ".join([verb, *rest]), st.sampled_from(VERBS) | words, st.lists(st.one_of(
    words, st.sampled_from(SLACKISH), st.sampled_from(VERBS + [
        "1", "2", "3", "add", "remove", "walkers", "rooms", "focus", "feedback", "kind", "with", "tomorrow", "P3",
        "30m", "2027-02-04", "11:10", "09:00-11:00", '"', '"questioning"'])), max_size=12))


@st.composite
def slash_commands(draw) -> dict:
    if draw(st.booleans()):
        user, text = draw(users), draw(st.one_of(typed, words, huge))
        command = draw(words) if now_and_then(draw, 5) else draw(st.sampled_from(["/visit", "/walk"]))
    else:
        # Gordon, a governor in no visit, mistyping: test_fuzz_commands shows none of these can be valid.
        user, line = GORDON, draw(malformed)
        command, _, text = (line if line.split(" ")[0] in ("/visit", "/walk") else f"/visit {line}").partition(" ")
    return {"token": "legacy", "team_id": TEAM, "team_domain": "demo", "channel_id": "D0DM",
            "channel_name": "directmessage", "user_id": user, "user_name": "someone", "command": command,
            "text": text, "api_app_id": "A0WALK", "response_url": "RESPONSE_URL", "trigger_id": "1.2.trigger"}


@FUZZ
@given(fields=slash_commands())
def test_fuzzed_slash_commands_change_nothing_and_fail_nowhere(slack, world, caplog, fields):
    """From someone on no staff list whatever the words, or mistyped by a governor: a reply, nothing done."""
    fields["response_url"] = f"{slack.standin.url}hooks/command"
    answer, calls = send(slack, caplog, urlencode(fields))
    check(slack, caplog, world, answer, calls, fields)
    if fields["command"] in ("/visit", "/walk") and answer.body:
        assert answer.text, fields  # a sentence, not an empty answer


# --- each payload the fuzzing found failing inside walkbot, on its own ------------------------------------------
# Even from the right person (Tom, whose class visit #1 is to), a garbled payload changes nothing.

def click(action_id: str, **action) -> dict:
    return {"type": "block_actions", **who(TOM), "actions": [{"type": "button", "action_id": action_id,
                                                              "block_id": "b", "action_ts": "1.0", **action}],
            "container": {"type": "message", "channel_id": "DU03TOM", "message_ts": "1.000001"}}


def submitted(form: str, values: dict, private: str = "") -> dict:
    return {"type": "view_submission", **who(TOM), "view": {"id": "V0", "hash": "h", "type": "modal",
                                                            "callback_id": form, "private_metadata": private,
                                                            "state": {"values": values}}}


IGNORED = "ignored a button walkbot did not make"  # logged (a warning), and nothing else done
FOUND = {
    "Agree with no value": (click(AGREE), IGNORED),
    "Agree with a value that is no visit": (click(AGREE, value="one"), IGNORED),
    "Agree with a visit number of 5000 digits": (click(AGREE, value="1" * 5000), IGNORED),
    "Agree with a list for a value": (click(AGREE, value=[1]), IGNORED),
    "Suggest with a time of 30 digits": (click(SUGGEST, value="1@" + "9" * 30), IGNORED),
    "a time button outside any form": (click(m.PROPOSE_AT, value="2027-02-08T11:10"),
                                       "ignored a time button walkbot did not make"),
    "a time button offering no time": ({**click(m.PROPOSE_AT, value="soon"), "container": {"type": "view"},
                                        "view": {"id": "V0", "type": "modal", "state": {"values": {}}}},
                                       "ignored a time button walkbot did not make"),
    "a Decline form with no metadata": (submitted(m.DECLINE, {"reason": {m.VALUE: {"value": "exams"}}}),
                                        m.UNREADABLE),
    "a Decline form whose metadata is not JSON": (submitted(m.DECLINE, {"reason": {m.VALUE: {"value": "exams"}}},
                                                            "{"), m.UNREADABLE),
    "a Suggest form naming visit 'x'": (submitted(m.SUGGEST, {}, '{"visit": "x"}'), m.UNREADABLE),
    "a form whose date is a number": (submitted(m.PROPOSE, {"teacher": {m.VALUE: {"selected_user": AMY}},
                                                            "date": {m.VALUE: {"selected_date": 20270208}}}),
                                      '"errors": {"date": "Choose a date."}'),
    "a form whose blocks are lists": (submitted(m.WALK, {"date": [], "start": ["09:00"]}),
                                      '"errors": {"date": "Choose a date."}'),
    # Python reads "1110" and "20270206" as a time and a date, Slack's pickers do not: the refusal (a Saturday)
    # redraws the form, and a picker given either failed to build.
    "a refused form with a time of 1110": (submitted(m.PROPOSE, {
        "teacher": {m.VALUE: {"selected_user": AMY}}, "date": {m.VALUE: {"selected_date": "2027-02-06"}},
        "time": {m.VALUE: {"selected_time": "1110"}}}), "is a weekend"),
    "a refused form with a date of 20270206": (submitted(m.PROPOSE, {
        "teacher": {m.VALUE: {"selected_user": AMY}}, "date": {m.VALUE: {"selected_date": "20270206"}},
        "time": {m.VALUE: {"selected_time": "11:10"}}}), "is a weekend"),
    "a form whose state is a list": ({**submitted(m.PROPOSE, {}), "view": {"type": "modal", "callback_id": m.PROPOSE,
                                                                           "state": []}},
                                     '"errors": {"teacher": "Choose whose class to visit."}'),
}


@pytest.mark.parametrize("case", FOUND)
def test_payloads_that_once_failed_inside_walkbot_are_answered_and_change_nothing(slack, world, caplog, case):
    payload, expected = FOUND[case]
    payload["response_url"] = f"{slack.standin.url}hooks/response"
    answer, calls = send(slack, caplog, payload_body(payload))
    check(slack, caplog, world, answer, calls, case)
    assert answer.status == 200
    assert expected in json.dumps(answer.body) + "\n".join(r.getMessage() for r in caplog.records)


# Bolt reads these before any listener runs, without looking: a view's type (the first was a 500) and callback
# id, a button's action id (the second reached the app's error handler as a listener that failed).
UNREADABLE_TO_BOLT = {
    "a form with no type": {**submitted(m.PROPOSE, {}), "view": {"callback_id": m.PROPOSE}},
    "a form with no callback id": {**submitted(m.PROPOSE, {}), "view": {"type": "modal"}},
    "a button with no action id": {**click(AGREE, value="1"), "actions": [{"type": "button", "value": "1"}]},
    "no button at all": {**click(AGREE, value="1"), "actions": []},
}


@pytest.mark.parametrize("case", UNREADABLE_TO_BOLT)
def test_a_payload_bolt_itself_cannot_read_gets_400_not_500(slack, world, caplog, case):
    answer, calls = send(slack, caplog, payload_body(UNREADABLE_TO_BOLT[case]))
    assert answer.status == 400 and calls == []
    check(slack, caplog, world, answer, calls, case)


def test_an_event_with_an_odd_event_id_is_still_handled(slack, world, caplog):
    """Repeats of an event are dropped by its id: an id that is not a string is no id, not a failure."""
    caplog.clear()
    answer = slack.open_home(TOM, event_id=["Ev1"])
    assert answer.status == 200
    assert slack.last("views.publish").args["user_id"] == TOM
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_a_visit_number_of_thousands_of_digits_is_told_it_is_no_visit_number(slack, world, caplog):
    caplog.clear()
    answer = slack.command(TOM, "show " + "9" * 5000)
    assert "is not a visit number" in answer.text
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
