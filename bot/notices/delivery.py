"""Delivering notices from the outbox through whatever chat platform the school uses.

At least once: a dispatcher claims a batch of due notices for a while (a lease), sends each, and
records it as sent in a transaction of its own. One that dies between sending and recording sends
that notice again once its lease runs out; nothing is ever lost in between. Several dispatchers
may share one database: a claimed notice is nobody else's until its lease runs out.

Nobody waits: a 429 holds the notice back until Retry-After, a failed attempt until a back-off,
and a notice due outside school time is moved to the next school morning. Someone walkbot cannot
reach yet (not installed for them in Teams, or for their school at all) is never skipped: the notice
waits, marked with why (`Reach`), and SLT see who waits on their overview. A notice past its use
(a reminder once the visit has begun) is marked expired, with the reason. Nothing is dropped
without a trace: failed and expired notices stay listed (`walkbot notices --failed`).
"""
from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum
from functools import partial
from typing import Any, Callable, Protocol

from bot.domain.model import Notice
from bot.domain.school import School
from bot.domain.school_time import next_sending_moment
from bot.ports import Clock, NoticeRepo, UnitOfWork

log = logging.getLogger("walkbot.delivery")


SENDERS = 4


class DeliveryError(Exception):
    """The platform did not take the message (this time)."""


class RateLimited(DeliveryError):
    """Try again after `retry_after` seconds (Slack's 429 Retry-After)."""

    def __init__(self, retry_after: float):
        super().__init__(f"rate limited; retry after {retry_after:g} s")
        self.retry_after = retry_after


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
    batch: int = 20  # notices claimed at once
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


def dispatch_due(uow_factory: Callable[[], UnitOfWork], transport: Transport, clock: Clock,
                 settings: Settings = Settings()) -> DispatchReport:
    """Claim one batch of due notices and settle each: sent, held back, deferred, expired or failed."""
    now = clock.now()
    claimed_at = time.monotonic()  # before the claim: the lease can only have begun later than this
    with uow_factory() as uow:
        token, claimed = uow.notices.claim(now, settings.worker, settings.lease, settings.batch)
        schools = {school_id: uow.schools.get(school_id) for school_id in {n.school_id for n in claimed}}
        # Someone taken off the staff list since a notice was written is not messaged any more.
        leavers = {(s.school_id, s.chat_id) for school_id in schools
                   for s in uow.staff.all(school_id, with_leavers=True) if not s.active}
        uow.commit()
    report = DispatchReport(claimed=len(claimed))
    by_recipient: dict[str, list[Notice]] = {}
    for notice in claimed:
        by_recipient.setdefault(notice.recipient, []).append(notice)

    def settle_in_order(notices: list[Notice]) -> None:
        renewed, unreached = claimed_at, None
        for n, notice in enumerate(notices):
            # Each send starts with most of a lease ahead (renewed by the database's clock once a quarter has gone,
            # measured here by a clock no one can set): past it another dispatcher may take the notice.
            if time.monotonic() - renewed > settings.lease.total_seconds() / 4:
                renewed = time.monotonic()
                held = _record(uow_factory, lambda r: r.renew([c.id for c in notices[n:]], token, settings.lease))
                if notice.id not in held:  # the lease ran out and another has them: theirs to send, in order
                    log.warning("lost the claim on %d notices before sending them", len(notices) - n)
                    return
            if (notice.school_id, notice.recipient) in leavers:
                _record(uow_factory, lambda r: r.mark_expired(
                    notice.id, "not sent: the recipient was taken off the staff list", token=token))
                report.expired.append(notice)
                continue
            held = _settle(uow_factory, notice, schools[notice.school_id], transport, clock, settings, report, token,
                           unreached)
            later = [c.id for c in notices[n + 1:]]
            if isinstance(held, Unreachable):
                unreached = held  # the person's later notices wait with it, each expiring past its use
            elif held is not None and later:
                # The person's later notices go after this one: given back for a later claim, which takes
                # none of them while this one is held.
                _record(uow_factory, lambda r: r.release(later, token))
                return

    if settings.senders == 1 or len(by_recipient) <= 1:
        for notices in by_recipient.values():
            settle_in_order(notices)
    else:
        with ThreadPoolExecutor(max_workers=min(settings.senders, len(by_recipient))) as senders:
            for finished in [senders.submit(settle_in_order, notices) for notices in by_recipient.values()]:
                finished.result()
    return report


def _record(uow_factory: Callable[[], UnitOfWork], change: Callable[[NoticeRepo], Any]) -> Any:
    with uow_factory() as uow:
        done = change(uow.notices)
        uow.commit()
    return done


def _settle(uow_factory, notice: Notice, school: School | None, transport: Transport, clock: Clock,
            settings: Settings, report: DispatchReport, token: str,
            unreached: Unreachable | None = None) -> Exception | None:
    """Send one notice (unless its recipient is known to be `unreached`) and record what became of it; what held
    it back to go later, or None."""
    now = clock.now()
    record = partial(_record, uow_factory)
    if school is None:
        record(lambda r: r.mark_failed(notice.id, f"school {notice.school_id} is no longer in walkbot", token=token))
        report.failed.append(notice)
        return None
    if notice.useful_until is not None and now >= notice.useful_until:
        until = school.calendar.local(notice.useful_until)
        # What kept it back (walkbot not installed for the person, a platform down) is why it came too late.
        waited = f": {notice.last_error}" if notice.last_error else ""
        record(lambda r: r.mark_expired(notice.id, f"not sent: it was of use only until {until:%a %-d %b %Y %H:%M}, "
                                                   f"and walkbot could not send it before then{waited}", token=token))
        report.expired.append(notice)
        return None
    # Checked again here, not only when written: the dispatcher may have been down over a night,
    # or the school calendar may have changed (a snow day added) since the notice was written.
    morning = next_sending_moment(school, now)
    if morning > now:
        record(lambda r: r.defer(notice.id, morning, token=token))
        report.deferred.append(notice)
        return None
    try:
        if unreached is not None:
            raise unreached
        message_id = transport.send(notice)
    except RateLimited as limited:
        # From when the answer came, not from when we asked: never a moment before Retry-After has passed.
        until, why = clock.now() + timedelta(seconds=limited.retry_after), str(limited)
        record(lambda r: r.hold(notice.id, until, why, attempt_failed=False, token=token))
        report.retried.append(notice)
        return limited
    except Unreachable as waits:
        until, why = clock.now() + settings.reach_again, str(waits)
        record(lambda r: r.wait_for(notice.id, waits.reach, until, why, token=token))
        report.waiting.append(notice)
        return waits
    except Undeliverable as never:
        why = str(never)
        record(lambda r: r.mark_failed(notice.id, why, token=token))
        report.failed.append(notice)
        return None
    except Exception as error:  # a network fault, the platform down, or a bug: try again later, a few times
        if not isinstance(error, DeliveryError):
            log.exception("sending notice %s failed unexpectedly", notice.id)
        attempts, why = notice.attempts + 1, str(error)
        if attempts >= settings.max_attempts:
            record(lambda r: r.mark_failed(notice.id, f"gave up after {attempts} attempts: {why}", token=token))
            report.failed.append(notice)
            return None
        until = clock.now() + settings.backoff(attempts)
        record(lambda r: r.hold(notice.id, until, why, attempt_failed=True, token=token))
        report.retried.append(notice)
        return error
    else:
        if not record(lambda r: r.mark_sent(notice.id, clock.now(), message_id, token=token)):
            # Sent, but another dispatcher took the notice meanwhile (a send longer than a lease): it may go twice.
            log.warning("notice %s was sent after its claim was lost; another dispatcher may send it too", notice.id)
        report.sent.append(notice)
        return None
