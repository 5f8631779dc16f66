"""One scenario, driven on Slack and on Teams, leaves the same database and the same notices.

The same school (bot/demo/school.yml) lives the same visit on each surface, each in a fresh database of its own and
on the same fixed clock steps. On Slack it is the file as it is, linked to workspace T0DEMO; on Teams it is the same
file linked to a tenant instead, each person's id their Entra object id (a fixed mapping, IDS). People act the way
people on that surface do:

    Sam proposes a visit to Tom's class    Slack: /visit propose <@U03TOM|tom> …   Teams: propose <at>Tom Baker</at> …
                                                                                          (a mention, personal chat)
    the dispatcher sends Tom the proposal  Slack: chat.postMessage                  Teams: a proactive card
    Tom presses Agree on that message      Slack: its block action                  Teams: the Action.Execute invoke
                                                                                          built from the card received
    the day before, the reminders are dispatched; after the lesson Sam marks it held and arranges the dialogue;
    after the dialogue Sam writes the record and Tom agrees it (Slack: /visit held 1 …; Teams: held 1 …)

Then, Slack ids mapped to object ids, the two databases must be equal: the visit (status, times, kind, focus,
feedback, visitors, dialogue, record and who agreed it), every teacher's allowance, and every notice (kind, recipient,
due and sent times, status, its card as plain text), in the same order for each person; and beyond those, every row
of every table except what is each surface's own by nature (SURFACE_OWN, each with why). A surface only translates:
nothing it does may show in the data but ids.
"""
from __future__ import annotations

import copy
import json
import os
import time
import uuid
from contextlib import contextmanager
from datetime import datetime
from typing import Any, Iterator
from zoneinfo import ZoneInfo

import pytest
from slack_support import RecordingTransport, standin, texts, workspace  # noqa: F401 (standin: a fixture)
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url
from teams_limits import cards_of, shown_text
from teams_support import (
    APP_ID,
    SECRET,
    TENANT,
    Person,
    connector_fixture,  # noqa: F401 (a fixture)
    execute_of,
    mention,
    tenant,
)

from bot.chat.router import Walkbot
from bot.domain.clock import FixedClock
from bot.notices.delivery import Settings
from bot.reply.card import from_data
from bot.reply.text import render
from bot.usecases import commands as c
from handlers.dispatcher import Dispatcher
from handlers.teams.auth import ClientCredentialsToken
from handlers.teams.transport import TeamsTransport
from handlers.wiring import read_school_file
from storage import open_store
from storage.tables import Base

LONDON = ZoneInfo("Europe/London")
SAM, TOM = "U05SAM", "U03TOM"  # the visitor and the class teacher, by their Slack ids in the demo school.yml
TEAM = "19:durants-staff@thread.tacv2"  # the school's staff team in Teams...
CHANNEL = "19:staffroom@thread.tacv2"  # ...and its channel, where the Slack school posts to C0STAFF

DEMO = read_school_file(None)
# The fixed mapping: each person's Slack id ↔ their Entra object id (and Teams user id) in the school's tenant.
PEOPLE: dict[str, Person] = {s["id"]: Person(f"8a1f0c2e-{n:04d}-4000-8000-{n:012d}", f"29:1{s['handle']}", s["name"])
                             for n, s in enumerate(DEMO["staff"], start=1)}
HANDLES = {s["id"]: s["handle"] for s in DEMO["staff"]}
IDS = {slack: person.aad for slack, person in PEOPLE.items()} | {DEMO["school"]["announcements_channel"]: CHANNEL}


def teams_school() -> dict:
    """The demo school.yml, linked to the tenant instead of the workspace, everyone listed by their object id."""
    config = copy.deepcopy(DEMO)
    school = config["school"]
    del school["slack_team_id"]
    school["announcements_channel"] = None  # Teams posts to the staff channel through the team it is in
    school["teams"] = {"tenant_id": TENANT, "team_id": TEAM, "channel_id": CHANNEL}
    school["escalation"] = {role: IDS[who] for role, who in school["escalation"].items()}
    config["staff"] = [{**s, "id": IDS[s["id"]], **({"line_manager": IDS[s["line_manager"]]} if "line_manager" in s
                                                     else {})} for s in config["staff"]]
    return config


# --- the scenario: the same steps at the same moments on either surface ------------------------------------------

MONDAY = datetime(2027, 2, 1, 8, 30, tzinfo=LONDON)
PROPOSE = 'propose {teacher} 2027-02-04 P3 30m kind formal focus "questioning" feedback "a chat after school"'
RECORD = "We agreed to try hinge questions in Year 9."


def scenario(run) -> None:
    """Sam visits Tom's class on Thursday 4 February, P3."""
    said = run.propose(SAM, TOM, PROPOSE)
    assert "Proposed #1 formal visit to Tom Baker's class, Thu 4 Feb 2027 at 11:10" in said
    [proposal] = run.deliver(expect=[(TOM, "proposal")])

    run.at(datetime(2027, 2, 1, 9, 0, tzinfo=LONDON))
    assert "✅ Agreed: Thu 4 Feb 2027 at 11:10 for 30 minutes" in run.agree(TOM, proposal)
    run.deliver(expect=[(SAM, "agreed"), (TOM, "confirmed")])

    run.at(datetime(2027, 2, 3, 7, 50, tzinfo=LONDON))  # the morning of the day before
    run.deliver(expect=[(SAM, "reminder"), (TOM, "reminder.teacher")])

    run.at(datetime(2027, 2, 4, 11, 45, tzinfo=LONDON))  # the lesson is over
    assert "marked as held" in run.type(SAM, "held 1")
    assert "Feedback dialogue for visit #1: Fri 5 Feb 2027 at 14:00" in run.type(SAM, "dialogue 1 2027-02-05 14:00")
    run.deliver(expect=[(SAM, "dialogue.prompt"), (TOM, "dialogue.prompt"), (TOM, "dialogue.scheduled")])

    run.at(datetime(2027, 2, 5, 15, 0, tzinfo=LONDON))  # after the dialogue
    assert "saved; the others have been asked" in run.type(SAM, f'record 1 "{RECORD}"')
    run.deliver(expect=[(TOM, "record")])
    assert "agreed by everyone and kept" in run.type(TOM, "record 1 agree")
    run.deliver(expect=[(SAM, "record.agreed")])

    run.at(datetime(2027, 3, 1, 16, 0, tzinfo=LONDON))  # weeks on: nothing more was owed, so nothing more goes
    run.deliver(expect=[])


# --- each surface, driven the way its people drive it --------------------------------------------------------------

WORKER = "dispatcher"  # one name on both: the worker that claimed a notice is kept in its row


class Run:
    """What both surfaces share: the fixed clock, and the dispatcher run as the scheduler runs it."""

    def __init__(self, store, clock, transport):
        self.store, self.clock, self.transport = store, clock, transport

    def at(self, moment: datetime) -> None:
        self.clock.set(moment)

    def deliver(self, expect: list[tuple[str, str]]) -> list:
        """Send what is due; `expect`: (Slack id, kind) of each notice sent, in any order."""
        sent = self.dispatch()
        assert sorted((back(n.recipient), str(n.kind)) for n in sent) == sorted(expect)
        return self.messages(sent)

    def dispatch(self) -> list:
        report = Dispatcher(self.store, self.transport, self.clock, Settings(worker=WORKER)).deliver_due()
        assert not (report.retried or report.waiting or report.deferred or report.expired or report.failed), report
        return report.sent


class SlackRun(Run):
    def __init__(self, slack, clock):
        super().__init__(slack.store, clock, RecordingTransport(slack.client))
        self.slack = slack

    def propose(self, who: str, teacher: str, words: str) -> str:
        return self.type(who, words.format(teacher=f"<@{teacher}|{HANDLES[teacher]}>"))  # as Slack escapes a user

    def type(self, who: str, words: str) -> str:
        answer = self.slack.command(who, words)  # /visit <words>
        assert answer.status == 200, answer
        return texts(answer.body)

    def messages(self, sent: list) -> list:
        ids = {n.id for n in sent}
        return [posted for posted in self.transport.posted if posted.notice.id in ids]

    def arrivals(self) -> dict[str, list[int]]:
        """The notices each person's DM got, in the order its messages came."""
        found: dict[str, list[int]] = {}
        for posted in self.transport.posted:
            found.setdefault(posted.channel, []).append(posted.notice.id)
        return found

    def agree(self, who: str, proposal) -> str:
        assert proposal.channel == who
        assert self.slack.click(who, "visit.agree", message=proposal).status == 200  # the button on that message
        update = self.slack.last("chat.update").args
        assert (update["channel"], update["ts"]) == (proposal.channel, proposal.ts)  # settled in place
        return texts(update["blocks"])


PACE = 5.0  # seconds, at the least, between one person's messages (TeamsRun)


class TeamsRun(Run):
    def __init__(self, teams, clock, transport):
        super().__init__(teams.store, clock, transport)
        self.teams, self.acted = teams, 0
        # Teams' limits per conversation (7 sends a second, 8 in 2 s) are about bursts. The scenario's people act
        # minutes apart in its time but milliseconds apart in the test's, so the stand-in reads its limits on the
        # scenario's clock, each person's message or press a few seconds after their last: they still hold for
        # walkbot's own bursts (an answer and the dispatcher's notices together), only not for people typing faster
        # than anyone can.
        teams.connector.limits.clock = lambda: clock.now().timestamp() + PACE * self.acted + time.monotonic()

    def propose(self, who: str, teacher: str, words: str) -> str:
        named = PEOPLE[teacher]
        return self.type(who, words.format(teacher=f"<at>{named.name}</at>"), entities=[mention(named)])

    def type(self, who: str, words: str, **activity: Any) -> str:
        person, self.acted = PEOPLE[who], self.acted + 1
        assert self.teams.say(person, words, **activity).status == 200  # in walkbot's personal chat
        return shown_text(self.teams.answered(person))

    def messages(self, sent: list) -> list:
        ids = {n.message_id for n in self.notices(sent)}
        return [s for s in self.teams.connector.sent if s.activity_id in ids]

    def notices(self, sent: list) -> list:
        with self.store.uow() as uow:
            return [uow.notices.get(n.id) for n in sent]

    def arrivals(self) -> dict[str, list[int]]:
        """The notices each person's chat got, in the order its messages came (the connector's record of them)."""
        notice_of = {n["message_id"]: n["id"] for n in rows(self.store)["notices"] if n["message_id"]}
        chat_of = {p.chat: slack for slack, p in PEOPLE.items()}
        found: dict[str, list[int]] = {}
        for sent in self.teams.connector.sent:  # besides these: the welcomes, and walkbot's answers in the chat
            if sent.method == "POST" and sent.activity_id in notice_of:
                found.setdefault(chat_of[sent.conversation], []).append(notice_of[sent.activity_id])
        return found

    def agree(self, who: str, proposal) -> str:
        person, self.acted = PEOPLE[who], self.acted + 1
        assert proposal.conversation == person.chat
        agree = execute_of(cards_of(proposal.activity)[0], "visit.agree")  # on the very card Tom was sent
        answer = self.teams.press(person, agree, message_id=proposal.activity_id)
        assert answer.status == 200
        return shown_text(answer.card)  # the card that replaces it


def back(teams_or_slack_id: str) -> str:
    """A recipient as its Slack id, whichever surface wrote it."""
    return {aad: slack for slack, aad in IDS.items()}.get(teams_or_slack_id, teams_or_slack_id)


def on_slack(store, standin) -> dict[str, list[int]]:
    clock = FixedClock(MONDAY)
    with workspace(store, clock, standin) as slack:
        standin.override = calendar_uploads(standin)  # each confirmation's calendar file follows it in its thread
        run = SlackRun(slack, clock)
        scenario(run)
        return run.arrivals()


def on_teams(store, connector) -> dict[str, list[int]]:
    clock = FixedClock(MONDAY)
    token = ClientCredentialsToken(client_id=APP_ID, client_secret=SECRET,
                                   login_endpoint=connector.cloud.login_endpoint, default_tenant=TENANT)
    sending = TeamsTransport(store.uow, token, connector.cloud)
    try:
        with tenant(store, clock, connector, config=teams_school()) as teams:
            for person in PEOPLE.values():  # walkbot installed for all staff, as the IT lead's setup policy does
                teams.knows(person)
                assert teams.install(person).status == 200
            run = TeamsRun(teams, clock, sending)
            scenario(run)
            return run.arrivals()
    finally:
        sending.close()


def calendar_uploads(standin):
    """Slack's two-step file upload, which the Web API stand-in leaves to a test to answer."""
    def answer(call):
        if call.method == "files.getUploadURLExternal":
            return 200, {}, {"ok": True, "upload_url": f"{standin.url}upload-here", "file_id": "F0ICS"}
        if call.method == "files.completeUploadExternal":
            return 200, {}, {"ok": True, "files": [{"id": "F0ICS", "title": "Add to your calendar"}]}
        return None
    return answer


# --- what is compared --------------------------------------------------------------------------------------------

def mapped(value: Any) -> Any:
    """Slack's run, every Slack id in it (a column's value, or inside a card's text) written as its object id: the
    one thing the two school.yml files differ in, by construction."""
    if isinstance(value, str):
        for slack, aad in IDS.items():
            value = value.replace(slack, aad)
        return value
    if isinstance(value, dict):
        return {mapped(k): mapped(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return type(value)(mapped(v) for v in value)
    return value


def rows(store) -> dict[str, list[dict]]:
    with store.engine.connect() as conn:
        return {name: [dict(r._mapping) for r in conn.execute(select(table).order_by(*table.primary_key.columns))]
                for name, table in Base.metadata.tables.items()}


def state(store) -> dict:
    """What the scenario is about: the visits, everyone's allowance, and each person's notices in order."""
    found = rows(store)
    visits = [{**{k: v[k] for k in ("id", "teacher", "proposer", "kind", "status", "start_at", "end_at", "minutes",
                                    "focus", "feedback", "pro_forma", "suggested_start_at", "reason", "dialogue_at",
                                    "record")},
               "visitors": [w["chat_id"] for w in sorted(found["visit_visitors"], key=lambda w: w["position"])
                            if w["visit_id"] == v["id"]],
               "record agreed by": {a["chat_id"] for a in found["visit_record_agreements"]
                                    if a["visit_id"] == v["id"]}}
              for v in found["visits"]]
    walkbot = Walkbot(uow_factory=store.uow, clock=FixedClock(MONDAY))  # asked in the visit's session
    allowance = {}
    for person in found["staff"]:
        said = walkbot.run(c.ShowLimits(school_id=person["school_id"], actor=person["chat_id"]))
        allowance[person["chat_id"]] = [str(line) for line in said.result.lines] if said.ok else render(said.card)
    notices: dict[str, list] = {}
    for n in found["notices"]:  # by id: the order walkbot wrote them in, and sends each person's
        notices.setdefault(n["recipient"], []).append(
            {"kind": n["kind"], "due_at": n["due_at"], "status": n["status"], "sent_at": n["sent_at"],
             "useful_until": n["useful_until"], "visit": n["visit_id"], "ics": n["ics"],
             "card": render(from_data(json.loads(n["body"])))})
    return {"visits": visits, "allowance": allowance, "notices": notices}


# Each surface's own, left out of the row-by-row comparison.
SURFACE_OWN = {
    # The link itself (slack_team_id or teams_tenant_id, and the school.yml holding it): the one input that differs
    # by design. The school's key and name are compared.
    ("schools", "config"), ("schools", "slack_team_id"), ("schools", "teams_tenant_id"),
    # Wall-clock bookkeeping (storage.tables._now), not walkbot's clock: when the test happened to run.
    ("schools", "created_at"), ("schools", "updated_at"), ("visits", "updated_at"),
    # The platform's own id for each message sent: a Slack ts, a Teams activity id.
    ("notices", "message_id"),
    # Teams' conversation references, stored as walkbot is installed for each person: Slack posts to a user id and
    # needs none. (That every notice reached its person on Teams is what the dispatcher's reports show.)
    ("teams_conversations", None),
}


def comparable(found: dict[str, list[dict]]) -> dict[str, list[dict]]:
    return {table: [{k: v for k, v in row.items() if (table, k) not in SURFACE_OWN} for row in listed]
            for table, listed in found.items() if (table, None) not in SURFACE_OWN}


# --- the test ----------------------------------------------------------------------------------------------------

@contextmanager
def another_database(store_url: str, tmp_path) -> Iterator[str]:
    """A second fresh database on the same backend as conftest's `store_url` (a file, or a schema of its own)."""
    if store_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'teams.db'}"
        return
    base = os.environ["WALKBOT_TEST_POSTGRES_URL"]
    schema = f"walkbot_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield make_url(base).update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def databases(store_url, tmp_path) -> Iterator[tuple]:
    """A store for Slack's run and one for Teams', each fresh, on SQLite or PostgreSQL (as `store` is)."""
    with another_database(store_url, tmp_path) as teams_url:
        slack_store, teams_store = open_store(store_url), open_store(teams_url)
        try:
            yield slack_store, teams_store
        finally:
            slack_store.close()
            teams_store.close()


def test_one_visit_on_slack_and_on_teams_leaves_the_same_database_and_the_same_notices(databases, standin,
                                                                                          connector):
    slack_store, teams_store = databases
    slack_arrivals = on_slack(slack_store, standin)
    teams_arrivals = on_teams(teams_store, connector)

    slack, teams = state(slack_store), state(teams_store)
    [visit] = slack["visits"]
    assert (visit["status"], visit["dialogue_at"].isoformat(), visit["record"], visit["record agreed by"]) == (
        "held", "2027-02-05T14:00:00+00:00", RECORD, {TOM, SAM})
    assert slack["allowance"][TOM] == ["1 of 3 observations used this year", "30 of 180 minutes"]
    sent = {who: [n["kind"] for n in listed if n["status"] == "sent"] for who, listed in slack["notices"].items()}
    assert sent == {TOM: ["proposal", "confirmed", "reminder.teacher", "dialogue.prompt", "dialogue.scheduled",
                          "record"],
                    SAM: ["agreed", "reminder", "dialogue.prompt", "record.agreed"],
                    "U01HEAD": [], "U02DEPUTY": []}  # (escalations planned for the head and deputy, superseded)

    assert mapped(slack["visits"]) == teams["visits"]
    assert mapped(slack["allowance"]) == teams["allowance"]
    assert mapped(slack["notices"]) == teams["notices"]
    assert mapped(comparable(rows(slack_store))) == comparable(rows(teams_store))
    # ...and each person's messages came in that order on both, in their Slack DM as in their Teams chat.
    kind = {n["id"]: n["kind"] for n in rows(slack_store)["notices"]}
    assert {who: [kind[n] for n in came] for who, came in slack_arrivals.items()} == {
        who: kinds for who, kinds in sent.items() if kinds}
    assert slack_arrivals == teams_arrivals
