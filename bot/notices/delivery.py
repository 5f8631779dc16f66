"""Delivering notices from the outbox through whatever chat platform the school uses.

At least once: a dispatcher claims a batch of due notices for a while (a lease), sends each, and
records it as sent before that sender sends its next. The senders' records are written together, a
few in one statement (whatever came in while the last write was under way), so recording costs at
most a statement a notice, and less the busier the senders. One that dies between sending and
recording sends each notice in flight again once its lease runs out (at most one per sender);
nothing is ever lost in between.
Several dispatchers may share one database: a claimed notice is nobody else's until its lease runs out.

After a 429 that holds for a whole installation (Slack's limits are per workspace), the dispatcher
calls that school's installation no more until Retry-After has passed (`Pauses`): the school's other
notices are given back untried and left out of the claims meanwhile, instead of each collecting a 429.

Nobody waits: a 429 holds the notice back until Retry-After, a failed attempt until a back-off,
and a notice due outside school time is moved to the next school morning. Someone walkbot cannot
reach yet (not installed for them in Teams, or for their school at all) is never skipped: the notice
waits, marked with why (`Reach`), and SLT see who waits on their overview. A notice past its use
(a reminder once the visit has begun) is marked expired, with the reason. Nothing is dropped
without a trace: failed and expired notices stay listed (`walkbot notices --failed`).
"""
from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Callable, Protocol

from bot.domain.model import Notice
from bot.domain.school import School
from bot.domain.school_time import next_sending_moment
from bot.ports import Clock, UnitOfWork

log = logging.getLogger("walkbot.delivery")


SENDERS = 4


class DeliveryError(Exception):
    """The platform did not take the message (this time)."""


# Seconds a platform's Retry-After is taken for at most (the longest back-off): a wrong one pauses no school for ever.
LONGEST_PAUSE = 3_600.0


def within_reason(retry_after: float) -> float:
    """A platform's Retry-After, from now (none below 0) to LONGEST_PAUSE."""
    return min(max(retry_after, 0.0), LONGEST_PAUSE)


class RateLimited(DeliveryError):
    """Try again after `retry_after` seconds (Slack's 429 Retry-After), LONGEST_PAUSE at most. `whole_installation`:
    the limit is the installation's (a Slack workspace's), not only this conversation's, so nothing of the school
    goes meanwhile."""

    def __init__(self, retry_after: float, *, whole_installation: bool = False):
        retry_after = within_reason(retry_after)
        super().__init__(f"rate limited; retry after {retry_after:g} s")
        self.retry_after, self.whole_installation = retry_after, whole_installation


class Undeliverable(DeliveryError):
    """It will never go (unknown channel, user left): stop trying and show it as failed."""


class Reach(StrEnum):
    """Why walkbot cannot reach a notice's recipient yet: each is put right by the school, not by trying again."""

    TEAMS_PERSON = "teams-person"  # walkbot is not installed for this person in Teams
    TEAMS_TEAM = "teams-team"  # walkbot is not in the staff team whose channel gets the walk programme
    NO_INSTALLATION = "no-installation"  # walkbot is not installed for the school in any chat this walkbot runs


class Unreachable(DeliveryError):
    """Nobody can reach the recipient this way until the school installs walkbot for them: the notice waits,
    no attempt counted, and SLT see who waits and why (`reach`)."""

    def __init__(self, reach: Reach, message: str):
        super().__init__(message)
        self.reach = reach


class Transport(Protocol):
    def send(self, notice: Notice) -> str:
        """Deliver one notice; return the platform's message id. Raises DeliveryError."""


@dataclass(frozen=True)
class Settings:
    worker: str = "walkbot"  # who claims: unique per dispatcher process
    batch: int = 100  # notices claimed at once: a claim's statements are shared by them all
    # Notices of a batch sent at once, each person's in order. One at a time keeps a console preview and
    # a replay in order; a running dispatcher uses SENDERS (a platform's answer takes a round trip, and
    # one sender alone would spend most of its time waiting for it).
    senders: int = 1
    lease: timedelta = timedelta(seconds=60)  # how long a claim keeps other dispatchers off
    max_attempts: int = 5  # failed attempts before a notice is marked failed
    first_backoff: timedelta = timedelta(seconds=30)  # doubled after each failed attempt...
    max_backoff: timedelta = timedelta(hours=1)  # ...up to this
    # How often a notice for someone walkbot cannot reach yet is tried again (they may have installed it since).
    reach_again: timedelta = timedelta(hours=1)

    def __post_init__(self) -> None:
        # A batch of none would never come back short, so "everything due" would never end.
        if self.batch < 1 or self.senders < 1 or self.lease <= timedelta(0) or self.max_attempts < 1:
            raise ValueError(f"dispatch settings out of range: {self}")

    def backoff(self, attempts: int) -> timedelta:
        return min(self.first_backoff * 2 ** (attempts - 1), self.max_backoff)


@dataclass
class DispatchReport:
    claimed: int = 0
    sent: list[Notice] = field(default_factory=list)
    retried: list[Notice] = field(default_factory=list)  # held back: 429, or a failed attempt
    waiting: list[Notice] = field(default_factory=list)  # for walkbot to be installed for the recipient (Unreachable)
    deferred: list[Notice] = field(default_factory=list)  # moved to the next school morning
    expired: list[Notice] = field(default_factory=list)
    failed: list[Notice] = field(default_factory=list)


@dataclass(frozen=True)
class Outcome:
    """What became of one claimed notice, as the outbox records it (NoticeRepo.settle). Pending with nothing else
    set: given back untried, for a later claim."""

    notice_id: int
    status: str = "pending"  # sent, failed or expired; pending: held back, deferred, waiting, or given back
    sent_at: datetime | None = None
    message_id: str | None = None
    error: str | None = None  # why it failed, expired, or is held back
    not_before: datetime | None = None  # held back until then (Retry-After, a back-off, trying to reach again)
    due_at: datetime | None = None  # deferred to then (the next school morning)
    waiting_for: str | None = None  # a Reach: whom walkbot cannot reach yet
    attempt_failed: bool = False  # counted towards max_attempts


class Pauses:
    """Schools whose installation said to wait (a 429 for all of it), and for how long: in real seconds
    (time.monotonic), since a platform's limits run on real time whatever clock the dispatcher keeps."""

    def __init__(self, clock: Callable[[], float] = time.monotonic):
        self.clock = clock
        self._until: dict[int, float] = {}
        self._lock = threading.Lock()

    def pause(self, school_id: int, seconds: float) -> None:
        with self._lock:
            self._until[school_id] = max(self._until.get(school_id, 0.0), self.clock() + seconds)

    def left(self, school_id: int) -> float:
        """Seconds until the school's installation may be called again (0: now)."""
        with self._lock:
            return max(self._until.get(school_id, 0.0) - self.clock(), 0.0)

    def paused(self) -> frozenset[int]:
        now = self.clock()
        with self._lock:
            self._until = {school: until for school, until in self._until.items() if until > now}
            return frozenset(self._until)

    def next_end(self) -> float | None:
        """Seconds until the first pause ends; None: nothing is paused."""
        now = self.clock()
        with self._lock:
            return min((until - now for until in self._until.values() if until > now), default=None)


class _Records:
    """A claim's outcomes, written a few at a time (a group commit). A sender hands its outcome over and, for a
    sent notice, waits until it is written, so a dispatcher that dies has at most one notice a sender unrecorded.
    Whoever finds no write under way writes everything handed over by then in one transaction, with the lease on
    the claim's notices still to settle renewed once a quarter of it has gone (measured by a clock no one can set):
    past it another dispatcher may take them."""

    def __init__(self, uow_factory: Callable[[], UnitOfWork], token: str, lease: timedelta, notices: list[Notice],
                 claimed_at: float):
        self.uow_factory, self.token, self.lease = uow_factory, token, lease
        self._open = {n.id for n in notices}  # not settled yet: what a renewal keeps
        self._queue: list[Outcome] = []
        self._handed = self._written = 0  # outcomes handed over, and written, so far
        self._writing, self._renewed = False, claimed_at
        self._lost: set[int] = set()  # this claim's no more: another dispatcher took them
        self._failed: BaseException | None = None
        self._turn = threading.Condition()

    def add(self, outcome: Outcome, *, wait: bool = False) -> bool:
        """Hand `outcome` over; with `wait`, return once it is written. Whether the notice was still this claim's."""
        with self._turn:
            self._queue.append(outcome)
            self._open.discard(outcome.notice_id)
            self._handed += 1
            if wait:
                self._until(self._handed)
            return outcome.notice_id not in self._lost

    def held(self, notice_id: int) -> bool:
        """Before a send: whether the claim still holds the notice (the lease renewed if a quarter has gone)."""
        with self._turn:
            while self._renewal_due():
                if self._writing:
                    self._turn.wait()
                else:
                    self._write(renew=True)
            return notice_id not in self._lost

    def finish(self) -> None:
        """Everything handed over, written."""
        with self._turn:
            self._until(self._handed)

    def _renewal_due(self) -> bool:
        return time.monotonic() - self._renewed > self.lease.total_seconds() / 4

    def _until(self, handed: int) -> None:
        while self._written < handed:
            if self._writing:
                self._turn.wait()
            else:
                self._write(renew=self._renewal_due())
        if self._failed is not None:
            raise self._failed

    def _write(self, *, renew: bool) -> None:
        """Holding the condition, no write under way: write the queue, letting senders hand over more meanwhile."""
        if self._failed is not None:
            raise self._failed
        outcomes, self._queue, upto = self._queue, [], self._handed
        keep = sorted(self._open) if renew else []
        if renew:
            self._renewed = time.monotonic()  # before the renewal: the new lease can only have begun later
        self._writing = True
        self._turn.release()
        try:
            recorded, held = self._store(outcomes, keep)
        except BaseException as error:  # every sender waiting on this write is told, not only this one
            self._turn.acquire()
            self._failed, self._written, self._writing = error, upto, False
            self._turn.notify_all()
            raise
        self._turn.acquire()
        self._lost |= {o.notice_id for o in outcomes if o.notice_id not in recorded} | (set(keep) - held)
        self._written, self._writing = upto, False
        self._turn.notify_all()

    def _store(self, outcomes: list[Outcome], keep: list[int]) -> tuple[set[int], set[int]]:
        if not outcomes and not keep:
            return set(), set()
        with self.uow_factory() as uow:
            recorded = uow.notices.settle(outcomes, self.token) if outcomes else set()
            held = uow.notices.renew(keep, self.token, self.lease) if keep else set()
            uow.commit()
        return recorded, held


def dispatch_due(uow_factory: Callable[[], UnitOfWork], transport: Transport, clock: Clock,
                 settings: Settings = Settings(), pauses: Pauses | None = None,
                 record_with: Callable[[], UnitOfWork] | None = None) -> DispatchReport:
    """Claim one batch of due notices (none of a school whose installation is paused) and settle each: sent, held
    back, deferred, expired or failed. Outcomes are recorded with `record_with` (default: `uow_factory`): each
    write is one statement, so a unit of work that commits each statement as it goes saves two round trips."""
    pauses = pauses or Pauses()
    now = clock.now()
    claimed_at = time.monotonic()  # before the claim: the lease can only have begun later than this
    with uow_factory() as uow:
        token, claimed = uow.notices.claim(now, settings.worker, settings.lease, settings.batch,
                                           skip_schools=pauses.paused())
        schools = {school_id: uow.schools.get(school_id) for school_id in {n.school_id for n in claimed}}
        # Someone taken off the staff list since a notice was written is not messaged any more.
        leavers = {(s.school_id, s.chat_id) for school_id in schools
                   for s in uow.staff.all(school_id, with_leavers=True) if not s.active}
        uow.commit()
    report = DispatchReport(claimed=len(claimed))
    records = _Records(record_with or uow_factory, token, settings.lease, claimed, claimed_at)
    by_recipient: dict[str, list[Notice]] = {}
    for notice in claimed:
        by_recipient.setdefault(notice.recipient, []).append(notice)

    def settle_in_order(notices: list[Notice]) -> None:
        unreached = None
        for n, notice in enumerate(notices):
            if not records.held(notice.id):  # the lease ran out and another has them: theirs to send, in order
                log.warning("lost the claim on %d notices before sending them", len(notices) - n)
                return
            if (notice.school_id, notice.recipient) in leavers:
                records.add(Outcome(notice.id, "expired", error="not sent: the recipient was taken off the staff list"))
                report.expired.append(notice)
                continue
            held = _settle(notice, schools[notice.school_id], transport, clock, settings, report, records, pauses,
                           unreached)
            if isinstance(held, Unreachable):
                unreached = held  # the person's later notices wait with it, each expiring past its use
            elif held is not None:
                # The person's later notices go after this one: given back for a later claim, which takes
                # none of them while this one is held.
                for later in notices[n + 1:]:
                    records.add(Outcome(later.id))
                return

    try:
        if settings.senders == 1 or len(by_recipient) <= 1:
            for notices in by_recipient.values():
                settle_in_order(notices)
        else:
            with ThreadPoolExecutor(max_workers=min(settings.senders, len(by_recipient))) as senders:
                for finished in [senders.submit(settle_in_order, notices) for notices in by_recipient.values()]:
                    finished.result()
    finally:
        records.finish()
    return report


def _settle(notice: Notice, school: School | None, transport: Transport, clock: Clock, settings: Settings,
            report: DispatchReport, records: _Records, pauses: Pauses,
            unreached: Unreachable | None = None) -> Exception | None:
    """Send one notice (unless its recipient is known to be `unreached`, or its installation is paused) and hand
    over what became of it; what held it back to go later, or None."""
    now = clock.now()
    if school is None:
        records.add(Outcome(notice.id, "failed", error=f"school {notice.school_id} is no longer in walkbot"))
        report.failed.append(notice)
        return None
    if notice.useful_until is not None and now >= notice.useful_until:
        until = school.calendar.local(notice.useful_until)
        # What kept it back (walkbot not installed for the person, a platform down) is why it came too late.
        waited = f": {notice.last_error}" if notice.last_error else ""
        records.add(Outcome(notice.id, "expired", error=f"not sent: it was of use only until {until:%a %-d %b %Y %H:%M}"
                                                        f", and walkbot could not send it before then{waited}"))
        report.expired.append(notice)
        return None
    # Checked again here, not only when written: the dispatcher may have been down over a night,
    # or the school calendar may have changed (a snow day added) since the notice was written.
    morning = next_sending_moment(school, now)
    if morning > now:
        records.add(Outcome(notice.id, due_at=morning))
        report.deferred.append(notice)
        return None
    if unreached is None and (left := pauses.left(notice.school_id)):
        records.add(Outcome(notice.id))  # given back untried: the installation said to wait
        return RateLimited(left, whole_installation=True)
    try:
        if unreached is not None:
            raise unreached
        message_id = transport.send(notice)
    except RateLimited as limited:
        if limited.whole_installation:
            pauses.pause(notice.school_id, limited.retry_after)
        # From when the answer came, not from when we asked: never a moment before Retry-After has passed.
        until = clock.now() + timedelta(seconds=limited.retry_after)
        records.add(Outcome(notice.id, not_before=until, error=str(limited)))
        report.retried.append(notice)
        return limited
    except Unreachable as waits:
        records.add(Outcome(notice.id, not_before=clock.now() + settings.reach_again, error=str(waits),
                            waiting_for=waits.reach))
        report.waiting.append(notice)
        return waits
    except Undeliverable as never:
        records.add(Outcome(notice.id, "failed", error=str(never)))
        report.failed.append(notice)
        return None
    except Exception as error:  # a network fault, the platform down, or a bug: try again later, a few times
        if not isinstance(error, DeliveryError):
            log.exception("sending notice %s failed unexpectedly", notice.id)
        attempts, why = notice.attempts + 1, str(error)
        if attempts >= settings.max_attempts:
            records.add(Outcome(notice.id, "failed", error=f"gave up after {attempts} attempts: {why}"))
            report.failed.append(notice)
            return None
        records.add(Outcome(notice.id, not_before=clock.now() + settings.backoff(attempts), error=why,
                            attempt_failed=True))
        report.retried.append(notice)
        return error
    if not records.add(Outcome(notice.id, "sent", sent_at=clock.now(), message_id=message_id), wait=True):
        # Sent, but another dispatcher took the notice meanwhile (a send longer than a lease): it may go twice.
        log.warning("notice %s was sent after its claim was lost; another dispatcher may send it too", notice.id)
    report.sent.append(notice)
    return None
