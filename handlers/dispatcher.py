"""The dispatcher: sends what is due and runs the periodic jobs, on the system clock or a fixed one.

The scheduler (handlers.scheduler) calls `deliver_due` every few seconds and `run_periodic` on a
cron; `walkbot dispatch --once` calls both once; the console and the replays step a fixed clock
through every due moment with `deliver_until`, so a whole term can be previewed in order.
"""
from __future__ import annotations

import logging
import os
import socket
import uuid
from datetime import datetime, timedelta

from bot.domain.clock import FixedClock
from bot.notices.delivery import (
    SENDERS,
    DispatchReport,
    Pauses,
    Settings,
    Transport,
    dispatch_due,
)
from bot.ports import Clock
from bot.usecases.digest import digest_moments, write_weekly_digests
from storage.db import Store

log = logging.getLogger("walkbot.dispatcher")


def worker_name() -> str:
    """Unique per process, and readable in `walkbot notices` while a claim is held."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


# A pause after a 429 (Retry-After), or a notice held back, that ends this soon brings the next run forward to then.
SOON = 5.0


class Dispatcher:
    def __init__(self, store: Store, transport: Transport, clock: Clock, settings: Settings | None = None):
        self.store, self.transport, self.clock = store, transport, clock
        self.settings = settings or Settings(worker=worker_name(), senders=SENDERS)
        self.pauses = Pauses()  # kept from run to run: an installation's Retry-After outlasts a batch
        self.record_with = store.each_statement_uow  # outcomes: one statement a write, no BEGIN and COMMIT

    def deliver_due(self) -> DispatchReport:
        """Everything due now, batch after batch, until a batch comes back short."""
        total = DispatchReport()
        while True:
            report = dispatch_due(self.store.uow, self.transport, self.clock, self.settings, self.pauses,
                                  self.record_with)
            total.claimed += report.claimed
            for outcome in ("sent", "retried", "waiting", "deferred", "expired", "failed"):
                getattr(total, outcome).extend(getattr(report, outcome))
            if report.claimed < self.settings.batch:
                return total

    def soon(self, report: DispatchReport) -> float | None:
        """Seconds until more may go, when that is sooner than a scheduler's next run would come: an installation's
        pause ending, or, after a run that sent, a notice held back for a moment (a channel's pace, a Retry-After).
        The scheduler runs deliver_due again then; nobody sleeps it out. None: the next run will do (and a fixed
        clock has none)."""
        if isinstance(self.clock, FixedClock):
            return None
        waits = [left] if (left := self.pauses.next_end()) is not None else []
        if report.sent:
            now = self.clock.now()
            with self.store.uow() as uow:
                moment = uow.notices.next_moment(now + timedelta(seconds=SOON))
            if moment is not None:
                waits.append(max((moment - now).total_seconds(), 0.0))
        soonest = min(waits, default=None)
        return soonest if soonest is not None and soonest <= SOON else None

    def run_periodic(self) -> int:
        """The weekly digest (written once per week, however many processes run this)."""
        return len(write_weekly_digests(self.store.uow, self.clock))

    def deliver_until(self, target: datetime) -> None:
        """Move a fixed clock to `target`, stopping at each moment a notice falls due or a digest is written."""
        clock = self.clock
        assert isinstance(clock, FixedClock), "only a fixed clock can be stepped"
        with self.store.uow() as uow:
            schools = uow.schools.all()
        stops = sorted({m for school in schools for m in digest_moments(school, clock.now(), target)})
        while True:
            busy = self.run_periodic() + self.deliver_due().claimed
            if not busy and clock.now() >= target:
                return
            with self.store.uow() as uow:
                due = uow.notices.next_moment(target)
            at = min(m for m in (due, stops[0] if stops else None, target) if m is not None)
            if not busy and at <= clock.now():
                # Due, yet nothing could be claimed: another dispatcher holds it until its lease runs out.
                log.warning("notices due at %s are claimed elsewhere; moving on to %s", at, target)
                at = target
            clock.set(max(at, clock.now()))
            stops = [m for m in stops if m > clock.now()]
