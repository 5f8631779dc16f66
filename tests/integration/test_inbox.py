"""The inbox's promises (handlers.inbox), on SQLite and PostgreSQL: a request kept once however often the
platform sends it; its work undone when it fails, tried again, and given up with a sorry after the last
attempt; an answer the platform cannot take yet sent later, once; several workers never working or
answering one request twice.

The surface here is a small one of this test's own (the Surface protocol is the inbox's seam): its work
raises a concern through the store, as a real request's work does.
"""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
from slack_support import standin, workspace  # noqa: F401 (fixtures)
from sqlalchemy import text

from bot.domain.model import Concern
from handlers.inbox import AnswerLater, Inbox
from handlers.wiring import load_school
from storage.repos.inbox import MOST_ATTEMPTS

NOW = datetime(2027, 2, 1, 9, 0, tzinfo=UTC)


class Concerns:
    """Each request raises one concern (written as the work, in the request's transaction) and is answered
    by a call recorded in `said`."""

    name = "test"

    def __init__(self, store, school_id: int, *, fail_times: int = 0, later_times: int = 0):
        self.store, self.school_id = store, school_id
        self.fail_times, self.later_times = fail_times, later_times
        self.said: list[tuple[int, str]] = []
        self._lock = threading.Lock()

    def work(self, item):
        with self.store.uow() as uow:
            uow.concerns.add(Concern(None, self.school_id, "U03TOM", "U02DEPUTY", item.request["text"], NOW))
            uow.commit()
        with self._lock:
            if self.fail_times:
                self.fail_times -= 1
                raise RuntimeError("a bug in the work, after the use case committed")
        return [{"say": f"done: {item.request['text']}"}]

    def sorry(self, item):
        return [{"say": "sorry"}]

    def answer(self, item, calls):
        with self._lock:
            if self.later_times:
                self.later_times -= 1
                raise AnswerLater("the platform is busy")
            self.said.extend((item.id, call["say"]) for call in calls)


def count(store, sql: str) -> int:
    with store.engine.connect() as conn:
        return conn.scalar(text(sql))


@pytest.fixture
def school(store):
    return load_school(store, None)


def test_a_request_sent_again_is_kept_once_and_worked_once(store, school):
    surface = Concerns(store, school.id)
    inbox = Inbox(store, surface)
    assert inbox.keep("event:Ev1", school.id, {"text": "one"})
    assert not inbox.keep("event:Ev1", school.id, {"text": "one"})  # Slack's retry of the same event
    other_process = Inbox(store, surface)
    assert not other_process.keep("event:Ev1", school.id, {"text": "one"})
    inbox.drain()
    assert count(store, "SELECT count(*) FROM concerns") == 1 and [said for _, said in surface.said] == ["done: one"]


def test_failed_work_is_undone_and_tried_again_then_given_up_with_a_sorry(store, school):
    surface = Concerns(store, school.id, fail_times=1)
    inbox = Inbox(store, surface)
    inbox.keep("command:1", school.id, {"text": "first"})
    inbox.drain()
    # The first attempt's concern went with its transaction; the second attempt's is the one kept.
    assert count(store, "SELECT count(*) FROM concerns") == 1
    assert [said for _, said in surface.said] == ["done: first"]
    assert count(store, "SELECT attempts FROM inbox") == 2

    surface.fail_times = MOST_ATTEMPTS
    inbox.keep("command:2", school.id, {"text": "never"})
    inbox.drain()
    assert count(store, "SELECT count(*) FROM concerns") == 1  # nothing of the failed request is kept
    assert [said for _, said in surface.said][-1:] == ["sorry"]
    assert count(store, "SELECT count(*) FROM inbox WHERE status = 'answered'") == 2


class RefusedAfterWriting(Concerns):
    """The first time, the work's first part writes a concern and is left uncommitted (a use case refusing after it
    wrote); each time a second part raises one that is kept."""

    refusals = 1

    def work(self, item):
        if self.refusals:
            self.refusals -= 1
            with self.store.uow() as refused:
                refused.concerns.add(Concern(None, self.school_id, "U03TOM", "U02DEPUTY", "refused", NOW))
        return super().work(item)


def test_a_request_whose_first_part_failed_after_writing_is_worked_again_and_kept_once(store, school):
    surface = RefusedAfterWriting(store, school.id)
    inbox = Inbox(store, surface)
    inbox.keep("command:1", school.id, {"text": "kept"})
    assert inbox.work_one()
    # The refused part's concern went with the first transaction; the second part's is kept, once.
    assert concern_texts(store) == ["kept"] and [said for _, said in surface.said] == ["done: kept"]
    assert count(store, "SELECT attempts FROM inbox") == 1 and not inbox.work_one()


def concern_texts(store) -> list[str]:
    with store.engine.connect() as conn:
        return list(conn.scalars(text("SELECT text FROM concerns ORDER BY id")))


def test_an_answer_the_platform_cannot_take_yet_is_sent_later_once(store, school):
    surface = Concerns(store, school.id, later_times=2)
    inbox = Inbox(store, surface)
    inbox.keep("command:1", school.id, {"text": "later"})
    assert inbox.work_one()  # worked; its answer refused for now
    assert surface.said == [] and count(store, "SELECT count(*) FROM inbox WHERE status = 'worked'") == 1
    assert not inbox.answer_one()  # still refused
    assert inbox.answer_one()
    assert not inbox.answer_one() and not inbox.work_one()  # nothing more to send: once
    assert [said for _, said in surface.said] == ["done: later"]
    assert count(store, "SELECT count(*) FROM concerns") == 1


@pytest.mark.postgres
@pytest.mark.parametrize("store_url", ["postgres"], indirect=True)
def test_workers_in_several_processes_work_and_answer_each_request_once(store, school):
    """Four inboxes over one database, as four `walkbot work` processes, each with two threads."""
    surface = Concerns(store, school.id)
    for n in range(60):
        Inbox(store, surface).keep(f"command:{n}", school.id, {"text": f"concern {n}"})
    workers = [Inbox(store, surface, threads=2, poll=0.05) for _ in range(4)]
    stops = [worker.start() for worker in workers]
    try:
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(lambda w: w.drain(), workers))
        deadline = threading.Event()
        for _ in range(100):
            if len(surface.said) >= 60:
                break
            deadline.wait(0.1)
    finally:
        for stop in stops:
            stop()
    answered = [item_id for item_id, _ in surface.said]
    assert len(answered) == 60 and len(set(answered)) == 60
    assert count(store, "SELECT count(*) FROM concerns") == 60
    assert count(store, "SELECT count(*) FROM inbox WHERE status = 'answered'") == 60
