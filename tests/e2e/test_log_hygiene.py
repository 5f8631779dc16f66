"""No staff name, nothing a person wrote and no token reaches a log, at any level, on the way that works
and on the ways that fail (a refusal, a forged button, a NUL byte, a database that refuses writes).

Names and texts are chosen so that any appearance in the captured log is theirs.
"""
from __future__ import annotations

import logging
import sqlite3

import pytest
from slack_support import slack, standin  # noqa: F401 (fixtures)
from sqlalchemy import event

from handlers import redact

SAM, TOM, RACHEL = "U05SAM", "U03TOM", "U01HEAD"
NAMES = ("Sam Patel", "Tom Baker", "Rachel Carli")
FOCUS, FEEDBACK, CONCERN = "zebra-questioning", "walrus-chat", "CONCERN-TWO about my line manager"
PROPOSE = f'propose <@{TOM}|tom> 2027-02-04 P3 30m kind formal focus "{FOCUS}" feedback "{FEEDBACK}"'


@pytest.fixture
def logs(caplog):
    redact.install()
    caplog.set_level(logging.DEBUG)  # every logger, every level
    return caplog


def clean(logs) -> None:
    said = logs.text + "".join(r.exc_text or "" for r in logs.records)
    for secret in (*NAMES, FOCUS, FEEDBACK, CONCERN, "xoxb-test"):
        assert secret not in said, (secret, [r.getMessage() for r in logs.records if secret in r.getMessage()][:3])


@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
def test_the_whole_slack_flow_at_debug_logs_nothing_personal(slack, logs):
    assert slack.command(SAM, PROPOSE).text.startswith("Proposed #1")
    [proposal] = slack.deliver()
    slack.click(TOM, "visit.agree", message=proposal)
    slack.deliver()
    slack.command(TOM, f'concern "{CONCERN}"')
    slack.deliver()
    slack.command(SAM, PROPOSE.replace("2027-02-04 P3", "2027-02-06 P3"))  # a Saturday: refused
    slack.click(TOM, "visit.agree.1", "garbled-" + FOCUS, message=proposal)  # a value walkbot never made
    assert "control character" in slack.command(SAM, PROPOSE.replace(FOCUS, FOCUS + "\x00")).text
    slack.open_home(TOM)
    assert logs.records, "the flow was logged at all"
    clean(logs)


@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
def test_a_database_refusing_writes_asks_to_try_again_and_logs_no_values(slack, logs):
    def read_only(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith(("INSERT", "UPDATE")):
            raise sqlite3.OperationalError("attempt to write a readonly database")

    event.listen(slack.store.engine, "before_cursor_execute", read_only)
    try:
        answer = slack.command(TOM, f'concern "{CONCERN}"').text
    finally:
        event.remove(slack.store.engine, "before_cursor_execute", read_only)
    assert "try again" in answer and "Sorry" not in answer
    assert any(r.levelno >= logging.WARNING for r in logs.records), "the failure was logged"
    clean(logs)


@pytest.mark.postgres
@pytest.mark.parametrize("store_url", ["postgres"], indirect=True)
def test_a_read_only_postgresql_asks_to_try_again_and_logs_no_values(slack, logs):
    def read_only(conn, *_):  # every transaction read-only, as on a standby or a database set so
        conn.exec_driver_sql("SET TRANSACTION READ ONLY")

    event.listen(slack.store.engine, "begin", read_only)
    try:
        answer = slack.command(TOM, f'concern "{CONCERN}"').text
    finally:
        event.remove(slack.store.engine, "begin", read_only)
    assert "try again" in answer and "Sorry" not in answer
    clean(logs)
