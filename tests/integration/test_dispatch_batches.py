"""Dispatch in batches (bot.notices.delivery, storage/repos/notices.py), on SQLite and PostgreSQL: a notice costs
under one round trip to the database, and after a 429 for a whole installation nothing more of that school is
tried until Retry-After has passed."""
from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from notices_support import TUESDAY_10, Recorder, add_notices, statuses
from sqlalchemy import event

from bot.domain.clock import FixedClock, ShiftedClock
from bot.notices.delivery import Outcome, Pauses, RateLimited, Settings, Undeliverable, dispatch_due
from handlers.dispatcher import Dispatcher
from handlers.scheduler import build_scheduler
from handlers.wiring import load_school


@pytest.fixture
def school(store):
    return load_school(store, None)


class RoundTrips:
    """Round trips to the database while counting: each statement, each transaction begun, committed or rolled
    back (BEGIN is a round trip of its own on PostgreSQL, as on SQLite, where walkbot sends BEGIN IMMEDIATE)."""

    def __init__(self, engine):
        self.engine, self.count = engine, 0
        self._events = {"before_cursor_execute": self._statement, "begin": self._tx, "commit": self._tx,
                        "rollback": self._tx}

    def _statement(self, _conn, _cursor, statement, *_rest) -> None:
        if not statement.lstrip().upper().startswith("BEGIN"):  # SQLite's BEGIN IMMEDIATE is the "begin" below
            self.count += 1

    def _tx(self, conn, *_args) -> None:
        if conn.get_execution_options().get("isolation_level") != "AUTOCOMMIT":  # else the driver sends nothing
            self.count += 1

    def __enter__(self) -> RoundTrips:
        for name, listener in self._events.items():
            event.listen(self.engine, name, listener)
        return self

    def __exit__(self, *_exc) -> None:
        for name, listener in self._events.items():
            event.remove(self.engine, name, listener)


@pytest.mark.postgres
@pytest.mark.parametrize("store_url", ["postgres"], indirect=True)
def test_a_notice_costs_under_one_round_trip_amortised(store, school):
    """On PostgreSQL, where a round trip crosses the network (SQLite's are calls within the process)."""
    people = [f"U9P{n:02d}" for n in range(50)]
    for person in people:
        add_notices(store, school.id, 4, [TUESDAY_10 - timedelta(minutes=4 - m) for m in range(4)], recipient=person)
    clock = FixedClock(TUESDAY_10)
    transport = Recorder(clock)
    dispatcher = Dispatcher(store, transport, clock, Settings(worker="batches", batch=100, senders=4))
    with RoundTrips(store.engine) as trips:
        report = dispatcher.deliver_due()
    assert len(report.sent) == 200 and statuses(store)["pending"] == 0
    print(f"\n[{store.engine.dialect.name}] {trips.count} round trips for 200 notices")
    assert trips.count <= 200, f"{trips.count} round trips for 200 notices"
    for person in people:  # and each person's still in order
        assert [n.due_at for _, n in transport.sent if n.recipient == person] == sorted(
            n.due_at for _, n in transport.sent if n.recipient == person)


def test_outcomes_of_every_kind_are_recorded_in_one_statement(store, school):
    sent, failed, held, deferred = add_notices(store, school.id, 4, TUESDAY_10)
    (given_back,) = add_notices(store, school.id, 1, TUESDAY_10, recipient="U04AMY")  # not behind the others
    with store.uow() as uow:
        token, claimed = uow.notices.claim(TUESDAY_10, "w", timedelta(minutes=1), 10)
        uow.commit()
    assert len(claimed) == 5
    later = TUESDAY_10 + timedelta(days=1)
    outcomes = [Outcome(sent, "sent", sent_at=TUESDAY_10, message_id="m1"),
                Outcome(failed, "failed", error="Slack will not deliver it: user_not_found"),
                Outcome(held, not_before=later, error="Slack said internal_error", attempt_failed=True),
                Outcome(deferred, due_at=later), Outcome(given_back)]
    with RoundTrips(store.engine) as trips, store.uow() as uow:
        assert uow.notices.settle(outcomes, token) == {sent, failed, held, deferred, given_back}
        uow.commit()
    assert trips.count == 3  # BEGIN, one UPDATE, COMMIT
    with store.uow() as uow:
        found = {n.id: n for n in uow.notices.listing(["pending", "sent", "failed"], limit=10)}
        assert uow.notices.settle([Outcome(sent, "failed", error="too late")], token) == set()  # the claim is over
    assert (found[sent].status, found[sent].message_id) == ("sent", "m1")
    assert (found[failed].status, found[failed].last_error) == ("failed", "Slack will not deliver it: user_not_found")
    assert (found[held].status, found[held].attempts, found[held].last_error) == ("pending", 1,
                                                                                  "Slack said internal_error")
    assert found[deferred].due_at == later and found[deferred].attempts == 0
    with store.uow() as uow:  # held and deferred wait till tomorrow; the one given back is free at once
        _, again = uow.notices.claim(TUESDAY_10, "next", timedelta(minutes=1), 10)
    assert [n.id for n in again] == [given_back]


class Workspace(Recorder):
    """One Slack workspace whose limit is reached at the `refuse_at`th post: a 429 for all of it, Retry-After 1 s."""

    def __init__(self, clock, refuse_at: int, *, whole_installation: bool = True):
        super().__init__(clock)
        self.refuse_at, self.whole_installation = refuse_at, whole_installation
        self.calls: list[tuple[float, int, bool]] = []  # (when, notice id, answered 429)
        self._lock = threading.Lock()

    def send(self, notice):
        with self._lock:
            refused = len(self.calls) + 1 == self.refuse_at
            self.calls.append((time.monotonic(), notice.id, refused))
        if refused:
            raise RateLimited(1, whole_installation=self.whole_installation)
        return super().send(notice)


def test_after_a_429_for_the_workspace_nothing_of_the_school_is_tried_until_retry_after(store, school):
    add_notices(store, school.id, 1, TUESDAY_10)
    for n in range(30):
        add_notices(store, school.id, 1, TUESDAY_10, recipient=f"U9P{n:02d}")
    clock = ShiftedClock(TUESDAY_10)
    transport = Workspace(clock, refuse_at=5)
    # Runs every 3 s (the default), and brought forward to when the pause ends: nobody sleeps it out.
    scheduler = build_scheduler(Dispatcher(store, transport, clock, Settings(worker="paused", batch=10, senders=4)))
    started = time.monotonic()
    scheduler.start()
    try:
        while statuses(store)["pending"] and time.monotonic() - started < 20:
            time.sleep(0.05)
    finally:
        scheduler.shutdown(wait=True)
    assert statuses(store)["pending"] == 0  # the 31, and this week's digests (the periodic job at start)
    assert time.monotonic() - started < 2.9  # the run after the pause came when it ended, not 3 s on
    refused = [(at, notice_id) for at, notice_id, limited in transport.calls if limited]
    assert len(refused) == 1  # one 429, not one for each notice tried meanwhile
    (refused_at, _), = refused
    after = [at for at, _, _ in transport.calls if at > refused_at]
    in_flight = 3  # senders that had asked before the answer came
    assert all(at - refused_at >= 1 for at in after[in_flight:]), [round(at - refused_at, 3) for at in after]


def test_a_429_for_one_conversation_holds_back_only_that_person(store, school):
    for n in range(20):
        add_notices(store, school.id, 1, TUESDAY_10, recipient=f"U9P{n:02d}")
    clock = FixedClock(TUESDAY_10)
    transport = Workspace(clock, refuse_at=1, whole_installation=False)  # Teams' limits are per conversation
    report = dispatch_due(store.uow, transport, clock, Settings(worker="one", batch=20, senders=1), Pauses())
    assert len(report.retried) == 1 and len(report.sent) == 19


def test_a_claim_leaves_out_the_schools_that_wait(store, school):
    add_notices(store, school.id, 3, TUESDAY_10)
    with store.uow() as uow:
        assert uow.notices.claim(TUESDAY_10, "w", timedelta(minutes=1), 10, skip_schools={school.id})[1] == []
        assert len(uow.notices.claim(TUESDAY_10, "w", timedelta(minutes=1), 10)[1]) == 3


def test_a_failed_write_is_told_to_every_sender_and_sends_nothing_more(store, school):
    for n in range(8):
        add_notices(store, school.id, 2, TUESDAY_10, recipient=f"U9P{n:02d}")
    clock = FixedClock(TUESDAY_10)

    class Broken(Recorder):
        def send(self, notice):
            if len(self.sent) == 3:
                raise Undeliverable("Slack will not deliver it: channel_not_found")
            return super().send(notice)

    fail = {"now": False}

    def refuse(_conn, _cursor, statement, *_rest) -> None:
        if fail["now"] and statement.lstrip().startswith("UPDATE notices"):
            raise RuntimeError("the database went away")

    transport = Broken(clock)
    event.listen(store.engine, "before_cursor_execute", refuse)
    try:
        fail["now"] = True
        with pytest.raises(RuntimeError, match="the database went away"):
            dispatch_due(store.uow, transport, clock, Settings(worker="broken", batch=16, senders=4))
    finally:
        event.remove(store.engine, "before_cursor_execute", refuse)
    assert len(transport.sent) <= 4  # each sender stopped at its first unrecorded send


def test_once_a_workspace_has_answered_429_each_channel_gets_one_post_a_second():
    from slack_sdk import WebClient
    from standin import SlackStandIn

    from bot.domain.model import Notice, NoticeKind
    from bot.reply.card import card
    from handlers.slack.transport import SlackTransport

    posts = {"n": 0}

    def second_429(call):  # the second post finds the workspace's limit reached
        if call.method == "chat.postMessage":
            posts["n"] += 1
            if posts["n"] == 2:
                return 429, {"Retry-After": "1"}, {"ok": False, "error": "ratelimited"}
        return None

    def notice(n: int) -> Notice:
        return Notice(1, NoticeKind.REMINDER, "U03TOM", TUESDAY_10, card(f"notice {n}"), id=n)

    with SlackStandIn(override=second_429) as slack:
        transport = SlackTransport(WebClient(token="xoxb-test", base_url=slack.url))
        assert transport.send(notice(1))  # no limit shown yet: as fast as they come
        with pytest.raises(RateLimited) as workspace:
            transport.send(notice(2))
        assert workspace.value.whole_installation  # Slack's 429: the whole workspace waits
        time.sleep(1.0)
        assert transport.send(notice(3))
        asked = len(slack.of("chat.postMessage"))
        with pytest.raises(RateLimited) as paced:
            transport.send(notice(4))  # within the second: held back without asking Slack
        assert not paced.value.whole_installation and 0 < paced.value.retry_after <= 1
        assert len(slack.of("chat.postMessage")) == asked
