"""The dispatcher on its own (bot.notices.delivery, storage/repos/notices.py), on SQLite and PostgreSQL, with a fixed clock.

Sent once with the platform's id; a 429 holds a notice until Retry-After; failures back off, then
fail visibly and can be retried; overdue notices go, or expire with a reason; nothing goes outside
school time; a claim keeps other dispatchers off until its lease runs out.
"""
from __future__ import annotations

import subprocess
import sys
import threading
import time
from datetime import timedelta

import pytest
from notices_support import TUESDAY_10, Recorder, add_notices, at, statuses

from bot.domain.clock import FixedClock, ShiftedClock
from bot.notices.delivery import (
    DeliveryError,
    RateLimited,
    Settings,
    Undeliverable,
    dispatch_due,
)
from handlers.cli import main
from handlers.dispatcher import Dispatcher
from handlers.scheduler import build_scheduler
from handlers.wiring import load_school


@pytest.fixture
def school(store):
    return load_school(store, None)


@pytest.fixture
def clock():
    return FixedClock(TUESDAY_10)


class Failing(Recorder):
    """Raises `error` for the first `times` sends, then delivers."""

    def __init__(self, clock, error: Exception, times: int = 10**6):
        super().__init__(clock)
        self.error, self.times = error, times

    def send(self, notice):
        if self.times > 0:
            self.times -= 1
            raise self.error
        return super().send(notice)


def one(store, notice_id):
    with store.uow() as uow:
        return next(n for n in uow.notices.listing(["pending", "sent", "failed", "expired"], limit=10_000)
                    if n.id == notice_id)


def test_due_notices_are_sent_once_oldest_first_with_the_message_id(store, school, clock):
    ids = add_notices(store, school.id, 3, [TUESDAY_10 - timedelta(minutes=m) for m in (1, 3, 2)])
    (later,) = add_notices(store, school.id, 1, TUESDAY_10 + timedelta(minutes=1))
    transport = Recorder(clock)
    report = dispatch_due(store.uow, transport, clock)
    assert [n.id for _, n in transport.sent] == [ids[1], ids[2], ids[0]]
    assert len(report.sent) == 3 and report.claimed == 3
    sent = one(store, ids[0])
    assert (sent.status, sent.message_id, sent.sent_at) == ("sent", f"rec-{ids[0]}", TUESDAY_10)
    assert dispatch_due(store.uow, transport, clock).claimed == 0  # nothing twice
    assert one(store, later).status == "pending"


def test_a_429_holds_the_notice_until_retry_after_and_no_worker_waits(store, school, clock):
    (notice_id,) = add_notices(store, school.id, 1, TUESDAY_10)
    transport = Failing(clock, RateLimited(30), times=1)
    started = time.monotonic()
    assert len(dispatch_due(store.uow, transport, clock).retried) == 1
    assert time.monotonic() - started < 1  # rescheduled, not slept on
    held = one(store, notice_id)
    assert (held.status, held.attempts, held.last_error) == ("pending", 0, "rate limited; retry after 30 s")
    clock.advance(timedelta(seconds=29))
    assert dispatch_due(store.uow, transport, clock).claimed == 0  # not a moment early
    clock.advance(timedelta(seconds=2))
    assert len(dispatch_due(store.uow, transport, clock).sent) == 1
    assert one(store, notice_id).due_at == TUESDAY_10  # its due time is kept: it was only held back


def test_failures_back_off_then_fail_visibly_and_can_be_retried(store, school, clock, store_url, capsys):
    (notice_id,) = add_notices(store, school.id, 1, TUESDAY_10)
    transport = Failing(clock, DeliveryError("Slack said internal_error"))
    waits = []
    for attempt in range(1, 6):
        report = dispatch_due(store.uow, transport, clock)
        if attempt < 5:
            assert len(report.retried) == 1
            with store.uow() as uow:
                moment = uow.notices.next_moment(clock.now() + timedelta(days=1))
            waits.append((moment - clock.now()).total_seconds())
            clock.set(moment)
    assert waits == [30, 60, 120, 240]  # doubling back-off
    assert len(report.failed) == 1
    failed = one(store, notice_id)
    assert failed.status == "failed" and failed.last_error == "gave up after 5 attempts: Slack said internal_error"

    assert main(["notices", "--failed", "--db", store_url]) == 0
    listed = capsys.readouterr().out
    assert f"{notice_id:>6}  Tue 2 Feb 2027 10:00  reminder" in listed and "→ Tom Baker: notice 0" in listed
    assert "failed: gave up after 5 attempts" in listed and f"walkbot notices retry {notice_id}" in listed

    assert main(["notices", "retry", str(notice_id), "--db", store_url]) == 0
    assert "will go at the next dispatch" in capsys.readouterr().out
    assert main(["notices", "--db", store_url]) == 0
    assert "notice 0" in capsys.readouterr().out  # pending again
    clock.advance(timedelta(days=1))
    assert len(dispatch_due(store.uow, Recorder(clock), clock).sent) == 1
    assert main(["notices", "--failed", "--db", store_url]) == 0
    assert "No failed or expired notices." in capsys.readouterr().out


def test_a_recipient_slack_will_never_reach_fails_at_once(store, school, clock):
    (notice_id,) = add_notices(store, school.id, 1, TUESDAY_10)
    report = dispatch_due(store.uow, Failing(clock, Undeliverable("Slack will not deliver it: user_not_found")), clock)
    assert len(report.failed) == 1
    assert one(store, notice_id).last_error == "Slack will not deliver it: user_not_found"


def test_after_downtime_overdue_notices_go_unless_past_their_use(store, school, clock):
    yesterday = TUESDAY_10 - timedelta(days=1)
    (still_useful,) = add_notices(store, school.id, 1, yesterday)
    (too_late,) = add_notices(store, school.id, 1, yesterday, useful_until=yesterday + timedelta(hours=1))
    report = dispatch_due(store.uow, Recorder(clock), clock)
    assert [n.id for n in report.sent] == [still_useful] and [n.id for n in report.expired] == [too_late]
    expired = one(store, too_late)
    assert expired.status == "expired"
    assert expired.last_error == ("not sent: it was of use only until Mon 1 Feb 2027 11:00, "
                                  "and walkbot could not send it before then")


def test_nothing_goes_at_the_weekend_even_when_the_dispatcher_wakes_then(store, school, clock):
    (notice_id,) = add_notices(store, school.id, 1, at("2027-02-05", "15:00"))  # Friday afternoon
    clock.set(at("2027-02-06", "10:00"))  # the dispatcher was down until Saturday
    transport = Recorder(clock)
    assert len(dispatch_due(store.uow, transport, clock).deferred) == 1
    assert transport.sent == [] and one(store, notice_id).due_at == at("2027-02-08", "07:50")
    clock.set(at("2027-02-08", "07:50"))
    assert len(dispatch_due(store.uow, transport, clock).sent) == 1


def test_a_claim_keeps_others_off_until_its_lease_runs_out_by_the_database_s_clock(store, school, clock):
    (notice_id,) = add_notices(store, school.id, 1, TUESDAY_10)
    with store.uow() as uow:  # a dispatcher claims it, then dies before sending
        token, claimed = uow.notices.claim(TUESDAY_10, "dead", timedelta(seconds=1), 10)
        assert [n.id for n in claimed] == [notice_id]
        uow.commit()
    other = Recorder(clock)
    clock.advance(timedelta(minutes=30))  # the other dispatcher's clock runs far ahead: the lease still holds
    assert dispatch_due(store.uow, other, clock, Settings(worker="other")).claimed == 0
    time.sleep(1.1)  # by the database's clock the lease is over
    assert len(dispatch_due(store.uow, other, clock, Settings(worker="other")).sent) == 1
    with store.uow() as uow:  # the dead one, back, cannot record anything on a notice it no longer holds
        assert uow.notices.mark_sent(notice_id, TUESDAY_10, token=token) is False


def test_a_slow_dispatcher_keeps_its_claim_while_it_works_and_no_one_else_sends_its_notices(store, school, clock):
    add_notices(store, school.id, 6, TUESDAY_10)
    others: list = []

    class Slow(Recorder):
        def send(self, notice):
            time.sleep(0.3)  # Slack is slow today: six sends take nearly twice the lease
            # Meanwhile another dispatcher, its clock ten minutes ahead, looks for work again and again.
            others.append(dispatch_due(store.uow, Recorder(clock), ShiftedClock(TUESDAY_10 + timedelta(minutes=10)),
                                       Settings(worker="next")).claimed)
            return super().send(notice)

    report = dispatch_due(store.uow, Slow(clock), clock, Settings(worker="slow", lease=timedelta(seconds=1)))
    assert len(report.sent) == 6 and others == [0] * 6  # renewed as it went: never anyone else's to send


def test_claims_made_at_the_same_moment_never_overlap(store, school, clock):
    for person in range(200):  # one each: a claim never takes a person's notice while another holds their earlier one
        add_notices(store, school.id, 1, TUESDAY_10, recipient=f"U9P{person:03d}")
    taken: dict[str, list[int]] = {}

    def claim(worker: str) -> None:
        mine = []
        while True:
            with store.uow() as uow:
                _, got = uow.notices.claim(TUESDAY_10, worker, timedelta(minutes=5), 7)
                uow.commit()
            if not got:
                break
            assert len(got) <= 7  # never more than asked for, however the claims interleave
            mine += [n.id for n in got]
        taken[worker] = mine

    threads = [threading.Thread(target=claim, args=(f"w{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    everything = [i for ids in taken.values() for i in ids]
    assert len(everything) == len(set(everything)) == 200


def test_the_scheduler_is_only_the_clock(store, school):
    clock = ShiftedClock(TUESDAY_10)
    add_notices(store, school.id, 5, TUESDAY_10)
    transport = Recorder(clock)
    scheduler = build_scheduler(Dispatcher(store, transport, clock, Settings(worker="sched")), every_seconds=0.05)
    scheduler.start()
    try:
        jobs = {job.id: job for job in scheduler.get_jobs()}
        assert set(jobs) == {"dispatch", "periodic", "purge"}  # purge: the daily retention job
        for job in jobs.values():  # nothing dropped as misfired, one run at a time, late runs folded into one
            assert (job.misfire_grace_time, job.max_instances, job.coalesce) == (None, 1, True)
        deadline = time.monotonic() + 10
        while len(transport.sent) < 7 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        scheduler.shutdown(wait=True)
    # The five, and this week's digest to the two SLT members (written by the periodic job at start).
    assert sorted(n.kind for _, n in transport.sent) == ["digest"] * 2 + ["reminder"] * 5
    assert statuses(store)["pending"] == 0


class _HeldFirst(Recorder):
    """A transport whose first send waits until it is let go."""

    def __init__(self, clock):
        super().__init__(clock)
        self.sending, self.release = threading.Event(), threading.Event()

    def send(self, notice):
        if not self.sending.is_set():
            self.sending.set()
            self.release.wait(10)
        return super().send(notice)


def test_a_run_bringing_its_next_run_forward_as_the_scheduler_stops_lets_it_stop(store, school):
    """APScheduler's shutdown(wait=True) waits for the running job holding the lock the job needs to move its
    next run: the run in hand finishes, moves nothing, and the scheduler stops."""
    clock = ShiftedClock(TUESDAY_10)
    first, _ = add_notices(store, school.id, 2, [TUESDAY_10, TUESDAY_10 + timedelta(milliseconds=500)])  # then soon
    transport = _HeldFirst(clock)
    scheduler = build_scheduler(Dispatcher(store, transport, clock, Settings(worker="stopping")), every_seconds=60)
    scheduler.start()
    assert transport.sending.wait(10)
    stopping = threading.Thread(target=scheduler.shutdown, kwargs={"wait": True})
    stopping.start()
    time.sleep(0.3)  # the shutdown is waiting for the run
    transport.release.set()
    stopping.join(10)
    assert not stopping.is_alive()
    assert [n.id for _, n in transport.sent][:1] == [first]  # the run in hand finished its send


def test_several_senders_keep_each_person_s_notices_in_order(store, school, clock):
    people = ["U03TOM", "U04AMY", "U05SAM", "U01HEAD"]
    ids = {person: add_notices(store, school.id, 5, [TUESDAY_10 - timedelta(minutes=10 - m) for m in range(5)],
                               recipient=person) for person in people}
    transport = Recorder(clock)
    report = dispatch_due(store.uow, transport, clock, Settings(worker="many", batch=20, senders=4))
    assert len(report.sent) == 20 and statuses(store)["pending"] == 0
    for person in people:
        assert [n.id for _, n in transport.sent if n.recipient == person] == ids[person]


@pytest.mark.parametrize("changes", [{"batch": 0}, {"batch": -3}, {"senders": 0}, {"lease": timedelta(0)},
                                     {"max_attempts": 0}])
def test_settings_that_could_never_finish_are_refused(changes):
    # A batch of none never comes back short: "everything due" would loop for ever.
    with pytest.raises(ValueError):
        Settings(**changes)


@pytest.mark.parametrize("args, says", [(["--batch", "0"], "--batch: 0 is out of range: give 1 to 1000"),
                                        (["--senders", "0"], "--senders: 0 is out of range"),
                                        (["--lease", "x"], "--lease: 'x' is not a number")])
def test_dispatch_out_of_range_is_told_at_once(tmp_path, args, says):
    done = subprocess.run([sys.executable, "-m", "handlers.cli", "dispatch", "--once", "--db",
                           f"sqlite:///{tmp_path / 'walkbot.db'}", *args], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and says in done.stderr and "Traceback" not in done.stderr


def test_a_dispatcher_starting_after_school_sends_the_weekly_digest_once(store, school):
    clock = FixedClock(at("2027-02-08", "19:00"))  # Monday evening: this week's digest was due at 07:50
    transport = Recorder(clock)
    dispatcher = Dispatcher(store, transport, clock, Settings(worker="evening"))
    for _ in range(3):  # the periodic job runs every few minutes through the evening
        dispatcher.run_periodic()
        dispatcher.deliver_due()  # it is deferred to Tuesday morning, which moves its due time
        clock.advance(timedelta(minutes=15))
    dispatcher.deliver_until(at("2027-02-09", "09:00"))
    digests = [n.recipient for _, n in transport.sent if n.kind == "digest"]
    assert len(digests) == len(set(digests)) == 2  # one to each SLT member, once


@pytest.mark.postgres
@pytest.mark.parametrize("store_url", ["postgres"], indirect=True)
def test_two_dispatchers_one_five_minutes_ahead_send_each_notice_once(store, school):
    """Leases run by the database's clock: a dispatcher whose clock runs ahead does not take what another holds.
    On PostgreSQL, where several dispatchers on several machines are supported (docs/deploy.md); SQLite lives on
    one machine with one clock, and its one writer at a time can hold a send's record back past a short lease."""
    count = 1000
    for person in range(40):  # 25 notices each for 40 people: senders work on several at once
        add_notices(store, school.id, count // 40, TUESDAY_10, recipient=f"U9P{person:03d}")

    class Steady(Recorder):
        def send(self, notice):
            time.sleep(0.001)  # a post takes a moment; leases are short, so they are renewed and raced for
            return super().send(notice)

    clocks = {"behind": ShiftedClock(TUESDAY_10), "ahead": ShiftedClock(TUESDAY_10 + timedelta(minutes=5))}
    sent: dict[str, Recorder] = {name: Steady(clock) for name, clock in clocks.items()}

    def run(name: str) -> None:
        dispatcher = Dispatcher(store, sent[name], clocks[name],
                                Settings(worker=name, batch=25, senders=2, lease=timedelta(seconds=2)))
        deadline = time.monotonic() + 120
        while statuses(store)["pending"] and time.monotonic() < deadline:
            dispatcher.deliver_due()

    threads = [threading.Thread(target=run, args=(name,)) for name in clocks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    ids = [n.id for recorder in sent.values() for _, n in recorder.sent]
    assert len(ids) == len(set(ids)) == count  # none twice, none lost
    assert all(recorder.sent for recorder in sent.values())  # both did some of the work
    assert statuses(store)["sent"] == count and statuses(store)["pending"] == 0
