"""Each person's notices in order, on SQLite and PostgreSQL: a claim never takes a person's later notices while
an earlier one waits on someone else's lease (a dispatcher killed mid-batch) or on a hold (a 429, a failed
attempt); a notice that failed, expired or was superseded holds nothing up, and a hold or a lease always ends."""
from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from notices_support import TUESDAY_10, Recorder, add_notices, statuses
from sqlalchemy import text

from bot.domain.clock import FixedClock
from bot.notices.delivery import DeliveryError, Settings, dispatch_due
from handlers.dispatcher import Dispatcher
from handlers.wiring import load_school

TOM, AMY = "U03TOM", "U04AMY"


@pytest.fixture
def school(store):
    return load_school(store, None)


@pytest.fixture
def clock():
    return FixedClock(TUESDAY_10)


def minutes_ago(*minutes: int):
    return [TUESDAY_10 - timedelta(minutes=m) for m in minutes]


def claim_dead(store, limit: int, lease: timedelta = timedelta(seconds=1)) -> list[int]:
    """A dispatcher claims a batch, then is killed before it sends any of it."""
    with store.uow() as uow:
        _, claimed = uow.notices.claim(TUESDAY_10, "killed", lease, limit)
        uow.commit()
    return [n.id for n in claimed]


def sent_to(recorder: Recorder, person: str) -> list[int]:
    return [n.id for _, n in recorder.sent if n.recipient == person]


def test_a_killed_dispatcher_s_batch_is_sent_before_that_person_s_later_notices(store, school, clock):
    toms = add_notices(store, school.id, 6, minutes_ago(9, 8, 7, 6, 5, 4))
    amys = add_notices(store, school.id, 2, minutes_ago(3, 2), recipient=AMY)
    assert claim_dead(store, 2) == toms[:2]
    other = Recorder(clock)
    report = dispatch_due(store.uow, other, clock, Settings(worker="other"))
    # Tom's later four wait for his first two; Amy's, with nothing of hers held, go.
    assert sent_to(other, TOM) == [] and sent_to(other, AMY) == amys and report.claimed == 2
    time.sleep(1.1)  # by the database's clock the killed dispatcher's lease is over
    dispatch_due(store.uow, other, clock, Settings(worker="other"))
    assert sent_to(other, TOM) == toms


def test_a_notice_held_after_a_429_keeps_that_person_s_later_ones_back_until_it_goes(store, school, clock):
    first, second = add_notices(store, school.id, 2, minutes_ago(2, 1))
    (amys,) = add_notices(store, school.id, 1, TUESDAY_10, recipient=AMY)
    with store.uow() as uow:  # the first was answered 429, Retry-After 30 s
        uow.notices.hold(first, TUESDAY_10 + timedelta(seconds=30), "rate limited", attempt_failed=False)
        uow.commit()
    recorder = Recorder(clock)
    dispatch_due(store.uow, recorder, clock)
    assert sent_to(recorder, TOM) == [] and sent_to(recorder, AMY) == [amys]
    with store.uow() as uow:  # the replay's clock stops when the first may go, not at the second's due time
        assert uow.notices.next_moment(TUESDAY_10 + timedelta(hours=1)) == TUESDAY_10 + timedelta(seconds=30)
    clock.advance(timedelta(seconds=30))
    dispatch_due(store.uow, recorder, clock)
    assert sent_to(recorder, TOM) == [first, second]


def test_a_notice_that_keeps_failing_holds_the_rest_back_only_until_it_is_given_up(store, school, clock):
    first, second = add_notices(store, school.id, 2, minutes_ago(2, 1))

    class FirstFails(Recorder):
        def send(self, notice):
            if notice.id == first:
                raise DeliveryError("Slack said internal_error")
            return super().send(notice)

    recorder, settings = FirstFails(clock), Settings(worker="w", max_attempts=3)
    with store.uow() as uow:  # the first has failed once already: held for its back-off
        uow.notices.hold(first, TUESDAY_10 + timedelta(seconds=30), "Slack said internal_error", attempt_failed=True)
        uow.commit()
    dispatch_due(store.uow, recorder, clock, settings)
    assert recorder.sent == []  # the second waits behind it
    while statuses(store)["failed"] == 0:
        with store.uow() as uow:
            clock.set(uow.notices.next_moment(clock.now() + timedelta(days=1)))
        dispatch_due(store.uow, recorder, clock, settings)
    dispatch_due(store.uow, recorder, clock, settings)
    assert sent_to(recorder, TOM) == [second]  # given up on (and listed as failed), it holds nothing back


@pytest.mark.parametrize("outcome", ["failed", "expired", "superseded"])
def test_a_notice_that_will_not_go_holds_nothing_back(store, school, clock, outcome):
    first, second = add_notices(store, school.id, 2, minutes_ago(2, 1))
    with store.uow() as uow:  # held back for an hour, and then settled some other way
        uow.notices.hold(first, TUESDAY_10 + timedelta(hours=1), "held", attempt_failed=True)
        uow.commit()
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE notices SET status = :status WHERE id = :id"), {"status": outcome, "id": first})
    recorder = Recorder(clock)
    dispatch_due(store.uow, recorder, clock)
    assert sent_to(recorder, TOM) == [second]


def test_a_notice_deferred_to_the_morning_does_not_hold_back_one_due_now(store, school, clock):
    first, second = add_notices(store, school.id, 2, minutes_ago(2, 1))
    with store.uow() as uow:  # deferred (say, when the calendar changed): due tomorrow morning now
        uow.notices.defer(first, TUESDAY_10 + timedelta(days=1))
        uow.commit()
    recorder = Recorder(clock)
    dispatch_due(store.uow, recorder, clock)
    assert sent_to(recorder, TOM) == [second]


@pytest.mark.postgres
@pytest.mark.parametrize("store_url", ["postgres"], indirect=True)
def test_two_dispatchers_claiming_at_once_send_each_person_s_notices_in_order(store, school):
    """Several dispatchers on one PostgreSQL database: one claim never takes a person's later notices while
    another is taking their earlier ones, whatever the batches and however the claims interleave."""
    people = [f"U9P{n:02d}" for n in range(8)]
    ids = {person: add_notices(store, school.id, 30, minutes_ago(*range(30, 0, -1)), recipient=person)
           for person in people}
    clock = FixedClock(TUESDAY_10)
    arrived: list[tuple[str, int]] = []
    lock = threading.Lock()

    class Keeping(Recorder):
        def send(self, notice):
            time.sleep(0.002)
            with lock:
                arrived.append((notice.recipient, notice.id))
            return super().send(notice)

    def run(name: str) -> None:
        dispatcher = Dispatcher(store, Keeping(clock), clock, Settings(worker=name, batch=7, senders=2))
        deadline = time.monotonic() + 60
        while statuses(store)["pending"] and time.monotonic() < deadline:
            dispatcher.deliver_due()

    threads = [threading.Thread(target=run, args=(name,)) for name in ("one", "two", "three")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for person in people:
        assert [i for who, i in arrived if who == person] == ids[person]
