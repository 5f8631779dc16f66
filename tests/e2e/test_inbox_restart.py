"""`walkbot serve` killed (SIGKILL: no clean-up at all) straight after acknowledging 100 requests loses none of
them: started again on the same database, it does the work of each and answers each person, once.

While the first process runs, Slack's response_urls answer 503 (Slack having trouble), so that at the kill
requests stand at every stage: kept and not yet worked, worked with their answer not yet sent, and (the kill
lands mid-work) in a transaction that dies with the process.
"""
from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections import Counter
from datetime import datetime, timedelta

import pytest
from sqlalchemy import text
from notices_support import LONDON, add_notices
from standin import SlackStandIn, fake_token

from bench import processes
from bench.slack import command
from handlers import work
from handlers.wiring import load_school
from storage.db import open_store

SECRET = "restart-signing-secret"
REQUESTS = 100
STAFF = ["U03TOM", "U04AMY", "U05SAM", "U02DEPUTY"]  # each raises concerns with their line manager


class Hooks:
    """The response_url answers Slack took, by request; while `failing`, Slack answers them 503."""

    def __init__(self):
        self.failing = True
        self.taken: Counter[str] = Counter()
        self.said: dict[str, str] = {}
        self._lock = threading.Lock()

    def __call__(self, call):
        if not call.method.startswith("concern-"):
            return None
        if self.failing:
            return 503, {}, {"ok": False, "error": "service_unavailable"}
        with self._lock:
            self.taken[call.method] += 1
            self.said[call.method] = str(call.args.get("text") or "")
        return None


@pytest.mark.parametrize("db", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_a_killed_serve_loses_no_acknowledged_request_and_answers_each_once(db, request, tmp_path):
    url = request.getfixturevalue("postgres_url") if db == "postgres" else f"sqlite:///{tmp_path / 'walkbot.db'}"
    store = open_store(url)
    load_school(store, None)  # the demo school, Slack workspace T0DEMO
    hooks = Hooks()
    with SlackStandIn(override=hooks) as slack:
        env = {"DATABASE_URL": url, "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": slack.url,
               "SLACK_BOT_TOKEN": fake_token("xoxb", "restart")}
        concerns = [command("concern", f'concern "the rota for week {n} leaves no time for feedback"',
                            user=STAFF[n % len(STAFF)], team="T0DEMO", slack_url=slack.url,
                            request_id=f"concern-{n}") for n in range(REQUESTS)]
        port = processes.free_port()
        with processes.running(processes.walkbot("serve", "--port", str(port)), env, tmp_path / "first.log") as first:
            processes.wait_healthy(port, first, tmp_path / "first.log")
            assert [concern.post(port, SECRET) for concern in concerns] == [200] * REQUESTS  # all acknowledged
            first.send_signal(signal.SIGKILL)
            first.wait()
        with store.engine.connect() as conn:
            at_kill = dict(conn.execute(text("SELECT status, count(*) FROM inbox GROUP BY status")).all())
        assert sum(at_kill.values()) == REQUESTS and not at_kill.get("answered")

        hooks.failing = False  # Slack is well again; walkbot is started again
        port = processes.free_port()
        with processes.running(processes.walkbot("serve", "--port", str(port)), env, tmp_path / "second.log") as again:
            processes.wait_healthy(port, again, tmp_path / "second.log")
            deadline = time.monotonic() + 60
            while len(hooks.taken) < REQUESTS and time.monotonic() < deadline:
                time.sleep(0.1)
            time.sleep(1)  # a poll of the workers' more: no answer goes twice
    with store.engine.connect() as conn:
        stored = conn.scalar(text("SELECT count(*) FROM concerns"))
        statuses = dict(conn.execute(text("SELECT status, count(*) FROM inbox GROUP BY status")).all())
    store.close()
    print(f"\nat the kill: {at_kill}; after the restart: {stored} concerns stored, {len(hooks.taken)} answered")
    assert stored == REQUESTS  # every acknowledged concern done, none twice
    assert set(hooks.taken) == {c.answered_by for c in concerns} and set(hooks.taken.values()) == {1}
    assert all("line manager" in said.lower() or "concern" in said.lower() for said in hooks.said.values())
    assert statuses == {"answered": REQUESTS}


@pytest.mark.postgres
def test_with_worker_processes_killing_the_process_that_acks_loses_nothing(postgres_url, tmp_path):
    """`walkbot serve --workers 2`: the serving process only acknowledges; killed, its workers carry on with what
    it acknowledged, then end (the serve started again in its place starts its own)."""
    store = open_store(postgres_url)
    load_school(store, None)
    hooks = Hooks()
    hooks.failing = False
    with SlackStandIn(override=hooks) as slack:
        env = {**os.environ, "DATABASE_URL": postgres_url, "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": slack.url,
               "SLACK_BOT_TOKEN": fake_token("xoxb", "workers")}
        concerns = [command("concern", f'concern "cover for period {n} is never arranged"', user=STAFF[n % len(STAFF)],
                            team="T0DEMO", slack_url=slack.url, request_id=f"concern-{n}") for n in range(REQUESTS)]
        port = processes.free_port()
        with (tmp_path / "serve.log").open("wb") as log:
            # Its own process group: the workers it starts outlive it, and the test can find them.
            serving = subprocess.Popen(processes.walkbot("serve", "--port", str(port), "--workers", "2"), env=env,
                                       cwd=processes.ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
            try:
                processes.wait_healthy(port, serving, tmp_path / "serve.log")
                assert [concern.post(port, SECRET) for concern in concerns] == [200] * REQUESTS
                serving.send_signal(signal.SIGKILL)
                serving.wait()
                deadline = time.monotonic() + 60
                while len(hooks.taken) < REQUESTS and time.monotonic() < deadline:
                    time.sleep(0.1)
                time.sleep(1)
                deadline = time.monotonic() + 20
                while _alive(serving.pid) and time.monotonic() < deadline:
                    time.sleep(0.2)
                assert not _alive(serving.pid), "the workers of a killed walkbot serve went on running"
            finally:
                if _alive(serving.pid):
                    os.killpg(serving.pid, signal.SIGTERM)
    with store.engine.connect() as conn:
        stored = conn.scalar(text("SELECT count(*) FROM concerns"))
    store.close()
    assert stored == REQUESTS
    assert set(hooks.taken) == {c.answered_by for c in concerns} and set(hooks.taken.values()) == {1}


@pytest.mark.parametrize("db, workers", [("sqlite", 0), pytest.param("postgres", 1, marks=pytest.mark.postgres)])
def test_serve_works_and_sends_notices_from_a_process_of_its_own_on_postgresql_and_stops_it_with_itself(
        db, workers, request, tmp_path):
    url = request.getfixturevalue("postgres_url") if db == "postgres" else f"sqlite:///{tmp_path / 'walkbot.db'}"
    store = open_store(url)
    # A notice due a minute ago, as a failed send leaves one: whatever the time now, the dispatcher acts on it at
    # once, sending it in school hours and moving it to the next school morning outside them.
    inserted = datetime.now(LONDON) - timedelta(minutes=1)
    [due] = add_notices(store, load_school(store, None).id, 1, inserted)
    calls: list[str] = []
    with SlackStandIn(override=lambda call: calls.append(call.method)) as slack:
        env = {"DATABASE_URL": url, "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": slack.url,
               "SLACK_BOT_TOKEN": fake_token("xoxb", "default-workers")}
        port = processes.free_port()
        with processes.running(processes.walkbot("serve", "--port", str(port)), env, tmp_path / "serve.log") as serve:
            processes.wait_healthy(port, serve, tmp_path / "serve.log")
            started = processes.children(serve.pid)
            assert len(started) == workers
            # The worker sends the notices too: the serving process only acknowledges.
            assert all(b"--dispatch" in open(f"/proc/{pid}/cmdline", "rb").read().split(b"\0") for pid in started)
            proposal = command("propose", 'propose <@U03TOM|tom> 2027-03-02 09:00 30m kind peer focus "questioning"',
                               user="U05SAM", team="T0DEMO", slack_url=slack.url, request_id="propose-1")
            assert proposal.post(port, SECRET) == 200
            deadline = time.monotonic() + 30  # answered (by the worker), and the notice acted on (by the dispatcher)
            while not ("propose-1" in calls and _dispatched(store, due, inserted)) and time.monotonic() < deadline:
                time.sleep(0.1)
            assert "propose-1" in calls and _dispatched(store, due, inserted), calls
            # ...at a lower priority than the process that acks, which Slack's 3-second deadline is on.
            assert all(os.getpriority(os.PRIO_PROCESS, pid) == min(19, os.getpriority(os.PRIO_PROCESS, serve.pid)
                                                                    + work.WORKER_NICENESS) for pid in started)
            serve.send_signal(signal.SIGTERM)
            assert serve.wait(timeout=30) == 0
    store.close()
    assert not [pid for pid in started if _state(pid) not in (None, "Z")]  # each ended with it


def _dispatched(store, notice_id: int, due: datetime) -> bool:
    """Whether a dispatcher has acted on the notice that was due at `due`: sent it, or put it off to a school
    morning."""
    with store.uow() as uow:
        sent = [n.id for n in uow.notices.listing(["sent"])]
        put_off = [n.id for n in uow.notices.listing(["pending"]) if n.due_at > due]
    return notice_id in sent or notice_id in put_off


def _alive(group: int) -> list[int]:
    """The processes of a process group still running (not ended, nor ended and not yet reaped)."""
    return [int(entry.name) for entry in os.scandir("/proc") if entry.name.isdigit()
            and _state(int(entry.name), group) not in (None, "Z")]


def _state(pid: int, group: int | None = None) -> str | None:
    """A process's state letter ("Z": ended, not yet reaped); None if it is gone, or not of `group`."""
    try:
        state, _ppid, pgrp = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[:3]
    except OSError:
        return None
    return state if group is None or int(pgrp) == group else None
