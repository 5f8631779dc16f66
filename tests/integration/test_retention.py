"""Retention on SQLite and PostgreSQL: a term scripted in chat on the demo school (session 2026-27 ends Wed 21 July
2027), then the clock frozen either side of each period's end. Due rows go or lose their words, every count stays,
the disposal log says what kind, how many and when, and nothing else is touched."""
from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from importlib import resources

import pytest
from freezegun import freeze_time
from sqlalchemy import text
from standin import fake_token

from bot.domain.clock import SystemClock
from bot.domain.retention import REMOVED, RecordKind, due_spans, parse_retention, within
from bot.domain.school import parse_school_config, read_school_yaml
from bot.errors import InputError
from bot.usecases.privacy import purge
from handlers.wiring import save_school

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def visit_id(reply: str) -> int:
    return int(re.search(r"#(\d+)", reply).group(1))


@pytest.fixture
def term(chat):
    chat.say("as @sam")
    held = visit_id(chat.say('/visit propose @tom 2027-02-04 P3 30m kind formal focus "questioning" '
                             'feedback "after school"'))
    chat.say("as @tom")
    chat.say(f"/visit agree {held}")
    chat.say("advance to 2027-02-04T11:45")
    chat.say("as @sam")
    chat.say(f"/visit held {held}")
    chat.say(f"/visit dialogue {held} 2027-02-05 14:00")
    chat.say(f'/visit notes {held} "lots of wait time"')
    chat.say(f'/visit record {held} "We agreed to try hinge questions."')
    chat.say("as @tom")
    chat.say(f"/visit record {held} agree")
    chat.say("as @sam")
    objected = visit_id(chat.say('/visit propose @tom 2027-02-12 P3 30m kind formal focus "questioning" '
                                 'feedback "after school"'))
    chat.say("as @tom")
    chat.say(f'/visit object {objected} "an open objection"')
    chat.say("as @amy")
    chat.say('/visit concern "too many drop-ins"')
    return {"held": held, "objected": objected}


def rows(store, sql: str) -> list:
    with store.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(sql)).all()]


def snapshot(store) -> dict:
    """What must never change: the visits as counted (who, when, kind, status), the record agreements, the staff."""
    return {
        "visits": rows(store, "SELECT id, teacher, kind, status, start_at, minutes FROM visits ORDER BY id"),
        "visitors": rows(store, "SELECT visit_id, chat_id FROM visit_visitors ORDER BY visit_id, chat_id"),
        "agreed": rows(store, "SELECT visit_id, chat_id FROM visit_record_agreements ORDER BY visit_id, chat_id"),
        "staff": rows(store, "SELECT chat_id, name, active FROM staff ORDER BY chat_id"),
        "notices": rows(store, "SELECT id, kind, recipient, status FROM notices ORDER BY id"),
        "objections": rows(store, "SELECT id, reason FROM objections WHERE status = 'open' ORDER BY id"),
    }


def log(store) -> dict[str, tuple[str, int]]:
    return {kind: (action, count) for kind, action, count in
            rows(store, "SELECT kind, action, count FROM disposal_log WHERE cause = 'retention'")}


def test_across_the_session_end_due_rows_go_counts_stay_and_the_log_says_so(term, store):
    before = snapshot(store)
    clock = SystemClock()
    with freeze_time("2027-03-01 12:00:00"):  # in the session, under 90 days after the first message
        assert purge(store.uow, clock) == []
    assert log(store) == {} and snapshot(store) == before

    with freeze_time("2027-10-22 12:00:00"):  # three months after the session: notes go; messages' words long since
        autumn = {d.kind: d.count for d in purge(store.uow, clock)}
    assert autumn.keys() == {"notes", "messages"} and autumn["notes"] == 1 and autumn["messages"] > 0
    assert rows(store, "SELECT count(*) FROM visit_notes") == [(0,)]
    bodies = rows(store, "SELECT body, ics FROM notices WHERE status <> 'pending'")
    assert all(REMOVED in json.dumps(json.loads(body)) and ics is None for body, ics in bodies)
    assert rows(store, f"SELECT record FROM visits WHERE id = {term['held']}") == [
        ("We agreed to try hinge questions.",)]  # a year after the session, not yet

    with freeze_time("2028-07-21 12:00:00"):  # the last day of the year after the session: nothing more yet
        assert purge(store.uow, clock) == []
    with freeze_time("2028-07-22 09:00:00"):
        done = {d.kind: (d.action, d.count) for d in purge(store.uow, clock)}
    assert done == {"visits": ("de-identified", 2), "records": ("de-identified", 1), "concerns": ("deleted", 1)}
    assert rows(store, f"SELECT focus, feedback, record FROM visits WHERE id = {term['held']}") == [
        (REMOVED, REMOVED, REMOVED)]
    assert rows(store, "SELECT count(*) FROM concerns") == [(0,)]
    # Every count and fact stays: the visits as caps count them, the record still agreed by both, the open
    # objection still keeping Sam out of Tom's lessons, every message's row, the staff list.
    assert snapshot(store) == before
    with store.uow() as uow:
        school = uow.schools.by_key("demo")
        [visit] = [v for v in uow.visits.of_person(school.id, "U03TOM", EPOCH) if v.id == term["held"]]
        assert visit.record_agreed
    assert log(store) == {"notes": ("deleted", 1), "messages": ("de-identified", autumn["messages"]),
                          "visits": ("de-identified", 2), "records": ("de-identified", 1),
                          "concerns": ("deleted", 1)}
    with freeze_time("2028-07-23 09:00:00"):  # run again: nothing left to do, nothing logged twice
        assert purge(store.uow, clock) == []


def test_a_dry_run_counts_and_changes_nothing(term, store):
    before = snapshot(store), rows(store, "SELECT id, text FROM visit_notes"), rows(store, "SELECT body FROM notices")
    with freeze_time("2029-01-01 09:00:00"):
        due = {d.kind: d.count for d in purge(store.uow, SystemClock(), dry_run=True)}
    assert due["visits"] == 2 and due["notes"] == 1 and due["records"] == 1 and due["concerns"] == 1
    after = snapshot(store), rows(store, "SELECT id, text FROM visit_notes"), rows(store, "SELECT body FROM notices")
    assert after == before and log(store) == {}


def test_a_schools_own_periods_are_used(term, store, chat):
    document = read_school_yaml(_demo() + "retention:\n  notes: 1 week\n  concerns: 0 days\n")
    save_school(store, parse_school_config(document))
    with freeze_time("2027-07-29 09:00:00"):  # a week and a day after the session's end
        done = {d.kind: d.count for d in purge(store.uow, SystemClock())}
    assert done["notes"] == 1 and done["concerns"] == 1 and "records" not in done


def _demo() -> str:
    return resources.files("bot").joinpath("demo/school.yml").read_text(encoding="utf-8")


def test_every_retention_problem_is_told_with_its_line():
    text = _demo() + "retention:\n  visits: 2 years\n  notes: soon\n  inbox: 2 days\n  gizmos: 1 day\n" \
                     "  messages: 30 days\n  installations: 0 days\n  records: true\n"
    with pytest.raises(InputError) as told:
        parse_school_config(read_school_yaml(text))
    said = str(told.value)
    first = _demo().count("\n") + 1  # the line of retention:
    assert f"line {first + 2}: retention.notes: 'soon' is not a period" in said
    assert f"line {first + 4}: retention: 'gizmos' is not a kind of record" in said
    assert f"line {first + 7}: retention.records: 'True' is not a period" in said
    assert "3 problems" in said
    problems = []
    parse_retention({"inbox": "12 hours"}, 3, lambda c, k: None, lambda line, m: problems.append(m))
    assert problems and "'12 hours' is not a period" in problems[0]
    parse_retention({"inbox": "0 days"}, 3, lambda c, k: None, lambda line, m: problems.append(m))
    assert "too short; keep it at least 1 day" in problems[-1]


def test_a_record_dated_between_sessions_counts_from_its_own_date():
    school = parse_school_config(read_school_yaml(_demo())).school

    def due(moment: datetime, now: datetime) -> bool:
        return within(due_spans(school.calendar, RecordKind.NOTES, school.retention, now), moment)

    # The session ended on 21 July 2027: its notes are due three months on, from 22 October.
    assert not due(datetime(2026, 10, 1, tzinfo=UTC), datetime(2027, 10, 21, 12, tzinfo=UTC))
    assert due(datetime(2026, 10, 1, tzinfo=UTC), datetime(2027, 10, 22, 12, tzinfo=UTC))
    # A note of 1 August, between sessions, counts from its own date.
    assert not due(datetime(2027, 8, 1, 9, tzinfo=UTC), datetime(2027, 10, 22, 12, tzinfo=UTC))
    assert due(datetime(2027, 8, 1, 9, tzinfo=UTC), datetime(2027, 11, 1, 12, tzinfo=UTC))


def test_the_purge_runs_daily_beside_the_dispatcher(term, store):
    from handlers.dispatcher import Dispatcher
    from handlers.scheduler import build_scheduler

    job = build_scheduler(Dispatcher(store, transport=None, clock=SystemClock())).get_job("purge")
    assert str(job.trigger) == "cron[hour='2', minute='30']"
    with freeze_time("2029-01-01 02:30:00"):
        job.func(*job.args)
    assert log(store)["concerns"] == ("deleted", 1)


def test_answered_inbox_rows_and_departed_installations_go_and_nothing_else(store, chat):
    """The demo school is linked to Slack workspace T0DEMO and to no Teams tenant."""
    from cryptography.fernet import Fernet
    from slack_sdk.oauth.installation_store import Installation

    from bot.ports import TeamsConversation
    from handlers.slack.oauth import EncryptedInstallationStore, token_cipher
    from storage.tables import InboxRow

    school = chat.school.id
    old, recent = datetime(2027, 1, 1, tzinfo=UTC), datetime(2027, 3, 1, tzinfo=UTC)
    installs = EncryptedInstallationStore(client_id="1.2", engine=store.engine,
                                          cipher=token_cipher(Fernet.generate_key().decode()))
    for team in ("T0DEMO", "T0GONE"):
        installs.save(Installation(app_id="A0WALK", team_id=team, user_id="U0ADMIN",
                                   bot_token=fake_token("xoxb", team), bot_id="B0", bot_user_id="U0BOT",
                                   installed_at=old.timestamp()))
    with store.uow() as uow:
        for n, (status, at) in enumerate([("answered", old), ("answered", recent), ("pending", old)]):
            uow.session.add(InboxRow(surface="slack", key=f"k{n}", school_id=school, request="{}", status=status,
                                     received_at=at, answered_at=at if status == "answered" else None))
        uow.session.add(InboxRow(surface="slack", key="nobody", school_id=None, request="{}", status="answered",
                                 received_at=old, answered_at=old))
        uow.teams.save(TeamsConversation(school_id=school, tenant_id="6f1c2d3e-0000-4000-8000-123456789abc",
                                         conversation_id="a:gone", service_url="https://smba.example/",
                                         installed_at=old))
        uow.commit()
    with freeze_time("2027-03-05 09:00:00"):
        done = {(d.school_id, d.kind): d.count for d in purge(store.uow, SystemClock())}
    assert done[(school, "inbox")] == 1 and done[(None, "inbox")] == 1  # the answered ones over 7 days old
    assert done[(school, "installations")] == 1 and done[(None, "installations")] == 2  # T0GONE: bot and install
    assert rows(store, "SELECT key, status FROM inbox ORDER BY key") == [("k1", "answered"), ("k2", "pending")]
    assert rows(store, "SELECT team_id FROM slack_bots") == [("T0DEMO",)]
    assert rows(store, "SELECT team_id FROM slack_installations") == [("T0DEMO",)]
    assert rows(store, "SELECT count(*) FROM teams_conversations") == [(0,)]
    assert installs.find_bot(enterprise_id=None, team_id="T0DEMO").bot_token == fake_token("xoxb", "T0DEMO")
