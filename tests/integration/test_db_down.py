"""The database goes away while walkbot is answering Slack, over real HTTP into the real server.

A proposal typed as a slash command, Agree pressed on the teacher's message, and a proposal from the
form, each sent when the database has just become unreachable (to a walkbot that has just started, and
so looks the workspace's school up first, and to one that remembers it), and with the database going
away mid-request, just as walkbot writes the notices the change implies (the visit's row already written
in the same transaction). As `walkbot serve` runs (acknowledged first, the answer after), and answered
in the ack. Every time: HTTP 200, the person is told to try again (storage's UNAVAILABLE), nothing is
half-written (every table as it was: no visit without its notices), and once the database is back the
same request goes through. Except where the request was kept in the inbox before the database went
mid-request (acknowledged first, a typed command or a button): then walkbot itself works it again once the
database is back, and the person is told the outcome, once, without sending it again.

On PostgreSQL the engine reaches the server through a TCP relay in this module, which the test cuts
(every connection dropped, new ones refused) and restores. On SQLite the folder holding the database
file goes away (so no new connection opens) and the open connection is closed under walkbot.
"""
from __future__ import annotations

import json
import logging
import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from slack_support import rows, standin, texts, workspace  # noqa: F401 (fixtures)
from sqlalchemy import event
from sqlalchemy.engine import make_url

from storage.uow import UNAVAILABLE

SAM, TOM = "U05SAM", "U03TOM"
PROPOSAL = 'propose <@U03TOM|tom> 2027-02-04 P3 30m kind formal focus "questioning" feedback "after school"'
FORM = {"teacher": TOM, "date": "2027-02-04", "time": "11:10", "minutes": "30", "kind": "formal",
        "focus": "questioning", "feedback": "a chat after school"}
# The first write of a notice: by then the visit's own row is written in the same transaction.
WRITING_NOTICES = re.compile(r"\s*(INSERT INTO|UPDATE) notices\b", re.IGNORECASE)
# (on PostgreSQL a new visit is written with its visitors in one statement: WITH made AS (INSERT INTO visits ...))
WRITING_A_VISIT = re.compile(r"\s*(WITH \w+ AS\s*\(\s*)?(INSERT INTO|UPDATE) visits\b", re.IGNORECASE)


# --- making the database unreachable ----------------------------------------------------------------------------


class Relay:
    """A TCP relay on 127.0.0.1, port 0, to `target`. cut() drops every connection through it and refuses
    new ones (they are closed as soon as they arrive) until restore()."""

    def __init__(self, target: tuple[str, int]):
        self.target = target
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._cut = False
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def __enter__(self) -> "Relay":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.cut()
        self._listener.close()

    def cut(self) -> None:
        with self._lock:
            self._cut = True
            doomed, self._open = self._open, set()
        for sock in doomed:
            _close(sock)

    def restore(self) -> None:
        with self._lock:
            self._cut = False

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return  # the relay is closed
            with self._lock:
                if self._cut:
                    _close(client)
                    continue
            server = socket.create_connection(self.target)
            with self._lock:
                self._open |= {client, server}
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        for sock in (source, sink):
            _close(sock)
        with self._lock:
            self._open -= {source, sink}


def _close(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()


class Outage:
    """One database, which the test can make unreachable: now, or at the moment a statement is sent."""

    url: str

    def cut(self, store) -> None:
        raise NotImplementedError

    def cut_mid_statement(self, connection) -> None:
        """Called with the connection about to send a statement, which must then fail to reach the database."""
        raise NotImplementedError

    def restore(self) -> None:
        raise NotImplementedError


class PostgresOutage(Outage):
    def __init__(self, url: str, relay: Relay):
        self.relay = relay
        self.url = make_url(url).set(host="127.0.0.1", port=relay.port).render_as_string(hide_password=False)

    def cut(self, store) -> None:
        self.relay.cut()

    def cut_mid_statement(self, connection) -> None:
        self.relay.cut()

    def restore(self) -> None:
        self.relay.restore()


class SqliteOutage(Outage):
    """The database file's folder moved away (a disk gone): no connection can open until it is back."""

    def __init__(self, folder: Path):
        folder.mkdir()
        self.folder, self.away = folder, folder.with_name(folder.name + "-away")
        self.url = f"sqlite:///{folder / 'walkbot.db'}"

    def cut(self, store) -> None:
        store.engine.dispose()  # the open connections keep the file open; they go too
        self.folder.rename(self.away)

    def cut_mid_statement(self, connection) -> None:
        self.folder.rename(self.away)
        connection.connection.dbapi_connection.close()

    def restore(self) -> None:
        self.away.rename(self.folder)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def outage(request, tmp_path) -> Iterator[Outage]:
    if request.param == "sqlite":
        yield SqliteOutage(tmp_path / "school")
        return
    url = make_url(request.getfixturevalue("postgres_url"))
    with Relay((url.host or "127.0.0.1", url.port or 5432)) as relay:
        yield PostgresOutage(url.render_as_string(hide_password=False), relay)


@pytest.fixture
def store_url(outage) -> str:
    """The store (and so the Slack app) reaches its database only through the outage's seam."""
    return outage.url


class Trap:
    """Once armed, cuts the database as the next notice is about to be written, and remembers what had
    been sent before it (the visit's own row, which must not be left behind alone)."""

    def __init__(self, outage: Outage):
        self.outage, self.armed, self.fired, self.sent_before = outage, threading.Event(), threading.Event(), []

    def __call__(self, conn, cursor, statement, parameters, context, executemany) -> None:
        if not self.armed.is_set():
            return
        if WRITING_NOTICES.match(statement):
            self.armed.clear()
            self.outage.cut_mid_statement(conn)
            self.fired.set()
        else:
            self.sent_before.append(statement)

    @property
    def visit_written_first(self) -> bool:
        return any(WRITING_A_VISIT.match(statement) for statement in self.sent_before)


@pytest.fixture
def when_notices_are_written(outage, store) -> Iterator[Trap]:
    trap = Trap(outage)
    event.listen(store.engine, "before_cursor_execute", trap)
    yield trap
    event.remove(store.engine, "before_cursor_execute", trap)


# --- the requests, and what the person is told ----------------------------------------------------------------


def posted_proposal(slack):
    since = len(slack.standin.calls)
    assert "Proposed #1" in told(slack.command(SAM, PROPOSAL), slack.standin, since, "Proposed #1")
    return next(p for p in slack.deliver() if p.notice.kind == "proposal")


# Each request: set up while the database is there; what comes back is a way to send it from a workspace.
def _typed(slack):
    return lambda ws: ws.command(SAM, PROPOSAL)


def _agreed(slack):
    proposal = posted_proposal(slack)
    return lambda ws: ws.click(TOM, "visit.agree", "1", message=proposal)


def _from_the_form(slack):
    assert slack.command(SAM, "").status == 200
    form = slack.standin.wait_for("views.open")[-1].args["view"]
    return lambda ws: ws.submit(SAM, form, FORM)


# Each with what the person is shown once it has gone through. (The visit's number is not known: on
# PostgreSQL a rolled-back insert still uses up its number.)
REQUESTS = {"a typed proposal": (_typed, "Proposed #"), "Agree on the teacher's message": (_agreed, "✅ Agreed"),
            "a proposal from the form": (_from_the_form, "Proposed #")}
KEPT = {"a typed proposal", "Agree on the teacher's message"}  # kept in the inbox before their ack: not the form


def told(answer, standin, since: int, wanted: str) -> str:
    """Everything the person was shown: the HTTP answer, and what went to Slack after it (a lazy listener's
    reply by response_url comes a moment later: waited for until `wanted` shows, for up to 10 seconds)."""
    deadline = time.monotonic() + 10
    while True:
        shown = "\n".join([json.dumps(answer.body, ensure_ascii=False),
                           *(texts(call.args) for call in standin.calls[since:])])
        if wanted in shown or time.monotonic() > deadline:
            return shown
        time.sleep(0.02)


def assert_no_failure_logged(caplog) -> None:
    """The database being away is not walkbot failing: nothing of walkbot's is logged as an error."""
    failed = [r for r in caplog.records if r.name.startswith("walkbot") and r.levelno >= logging.ERROR]
    assert not failed, [r.getMessage() for r in failed]


# When the database goes: before the request reaches a walkbot that has just started (its first look at the
# database, for the workspace's school, finds it gone), before a request to a walkbot that remembers the
# school (the listener finds it gone), or mid-request as the notices are written.
MOMENTS = ["just started", "before the request", "mid-request"]
MODES = {"acknowledged first": True, "answered in the ack": False}
# walkbot serve acknowledges first; the tests' usual way, answering in the ack, where the answer differs.
CASES = [(kind, moment, "acknowledged first") for kind in REQUESTS for moment in MOMENTS] + [
    (kind, "mid-request", "answered in the ack") for kind in ("a typed proposal", "Agree on the teacher's message")]


@pytest.mark.parametrize("request_kind, moment, mode", CASES)
def test_a_lost_database_means_try_again_nothing_half_written_and_then_it_works(
        store, clock, standin, outage, when_notices_are_written, caplog, request_kind, moment, mode):
    with ExitStack() as running:
        slack = running.enter_context(workspace(store, clock, standin, ack_first=MODES[mode]))
        setup, success = REQUESTS[request_kind]
        send = setup(slack)
        ws = slack
        if moment == "just started":  # another walkbot, started now: it has not met this workspace yet
            ws = running.enter_context(workspace(store, clock, standin, ack_first=MODES[mode]))
        before, since = rows(store), len(standin.calls)
        caplog.set_level(logging.WARNING)

        if moment == "mid-request":
            when_notices_are_written.armed.set()
        else:
            outage.cut(store)
        answer = send(ws)
        assert answer.status == 200, answer
        if moment == "mid-request" and MODES[mode] and request_kind in KEPT:
            assert when_notices_are_written.fired.wait(10)  # the database went as the notices were written
            outage.restore()
            said = told(answer, standin, since, success)
            assert success in said and UNAVAILABLE not in said, "the kept request is worked once the database is back"
            assert_no_failure_logged(caplog)
            after = rows(store)  # once: one visit more (a proposal) or one changed (Agree), with its notices
            assert after["visits"] != before["visits"] and len(after["notices"]) > len(before["notices"])
            assert len(after["visits"]) == len(before["visits"]) + (request_kind == "a typed proposal")
            return
        said = told(answer, standin, since, UNAVAILABLE)
        assert UNAVAILABLE in said and "Traceback" not in said
        if request_kind == "a proposal from the form":  # it stays open, filled in, to be sent again
            assert answer.body["response_action"] == "errors" or answer.body["view"]["callback_id"] == "propose"
        assert_no_failure_logged(caplog)
        if moment == "mid-request":
            assert when_notices_are_written.visit_written_first  # so a visit could have been left without them

        outage.restore()
        assert rows(store) == before  # nothing half-written: not a visit without its notices, nor anything else

        since = len(standin.calls)
        again = send(ws)
        assert again.status == 200
        said = told(again, standin, since, success)
        assert success in said and UNAVAILABLE not in said, "the same request goes through once the database is back"
        after = rows(store)  # the visit, and the notices it implies
        assert after["visits"] != before["visits"] and len(after["notices"]) > len(before["notices"])
