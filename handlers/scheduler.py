"""APScheduler as walkbot's clock, and nothing more: what it runs lives in handlers.dispatcher.

One interval job sends due notices every few seconds; a cron job does the periodic work (the
weekly digest), and a daily one the retention purge. The first two start at once, so notices that
fell due while walkbot was down go straight away. The periodic jobs run in one process of a deployment
(add_periodic: the one holding the lead), the dispatch job in every one. The in-memory job store is
enough: the schedule is code, and the work is in the database.
"""
from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta, timezone
from typing import Callable

from apscheduler.events import EVENT_SCHEDULER_SHUTDOWN
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.domain.clock import SystemClock
from bot.ports import Clock
from handlers.dispatcher import Dispatcher
from storage.leader import Leadership

DISPATCH_EVERY_SECONDS = 3.0
SOONEST = 0.05  # seconds: a run brought forward comes no sooner, so the one ending has finished by then


class _SkippedRunsAreExpected(logging.Filter):
    """A run still busy when the next is due makes APScheduler skip that one and warn; with
    max_instances=1 that is the design (the busy run sends everything due), so it is not logged."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "maximum number of running instances reached" not in record.getMessage()


_QUIET = _SkippedRunsAreExpected()


class _Scheduler(BackgroundScheduler):
    """APScheduler 3's shutdown(wait=True) holds its job-store lock while it waits for the running jobs, so a job
    moving its own next run then would wait for that lock for ever, and the shutdown for the job: a run is brought
    forward only while the scheduler is not shutting down."""

    def __init__(self, **options) -> None:
        super().__init__(**options)
        self._moving = threading.Lock()
        self._stopping = False

    def bring_forward(self, job_id: str, seconds: float) -> None:
        with self._moving:
            if not self._stopping:
                self.modify_job(job_id, next_run_time=datetime.now(timezone.utc) + timedelta(seconds=seconds))

    def shutdown(self, *args, **kwargs) -> None:
        with self._moving:  # a run being brought forward now finishes first; none is after
            self._stopping = True
        super().shutdown(*args, **kwargs)


def build_scheduler(dispatcher: Dispatcher, *, every_seconds: float = DISPATCH_EVERY_SECONDS) -> BackgroundScheduler:
    """A scheduler ready to start(); nothing runs until then."""
    logging.getLogger("apscheduler.scheduler").addFilter(_QUIET)  # adds it once, however often called
    scheduler = _Scheduler(
        timezone=timezone.utc,
        # One run at a time, late runs folded into one, and none dropped however late (a busy host, a pause).
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
    )
    now = datetime.now(timezone.utc)
    def dispatch() -> None:
        soon = dispatcher.soon(dispatcher.deliver_due())
        if soon is not None and soon < every_seconds:  # a pause or a hold ends before the next run: run then
            scheduler.bring_forward("dispatch", max(soon, SOONEST))

    scheduler.add_job(dispatch, IntervalTrigger(seconds=every_seconds), id="dispatch", name="send due notices",
                      next_run_time=now)
    leader = Leadership(dispatcher.store.engine)
    scheduler.add_listener(lambda _event: leader.close(), EVENT_SCHEDULER_SHUTDOWN)
    # Every quarter hour: each school's digest falls due on its own school morning, in its own timezone.
    add_periodic(scheduler, leader, dispatcher.run_periodic, CronTrigger(minute="*/15", timezone=timezone.utc),
                 id="periodic", name="weekly digests", next_run_time=now)
    # Daily in the small hours: what is past school.yml's retention periods goes, and the disposal log says so. Were
    # two processes ever to run it at once, each school is purged under its row's lock and nothing disposed of is
    # counted twice (bot.usecases.privacy.purge).
    add_periodic(scheduler, leader, _purge, CronTrigger(hour=2, minute=30, timezone=timezone.utc), args=(dispatcher,),
                 id="purge", name="retention purge")
    return scheduler


def add_periodic(scheduler: BackgroundScheduler, leader: Leadership, job: Callable, trigger, **options) -> None:
    """A periodic job for one process of the deployment: every process schedules it, and it runs in the one that
    holds the lead (storage.leader); elsewhere a run only asks whether the lead is free. Every periodic job is added
    this way; the dispatch job is not (each process sends what it claims)."""
    def run(*args, **kwargs):
        if leader.holds():
            return job(*args, **kwargs)
        return None
    scheduler.add_job(run, trigger, **options)


def _purge(dispatcher: Dispatcher) -> None:
    from bot.usecases.privacy import purge

    purge(dispatcher.store.uow, dispatcher.clock)


def dispatch_beside_slack(runtime, clock: Clock | None = None) -> Callable[[], None]:
    """The Slack app's on_start hook (handlers.slack.server): the dispatcher runs beside the app, each school's
    notices going its own way (handlers.transports: this app's Slack, and Teams when its settings are set too),
    and is stopped on the way out, letting a batch in hand finish."""
    from handlers.slack.blocks import notice_message
    from handlers.slack.transport import for_runtime
    from handlers.transports import PerSchool, teams_from_environment

    transport = PerSchool(runtime.store.uow, slack=for_runtime(runtime, render=notice_message),
                          teams=teams_from_environment(runtime.store.uow))
    return _beside(runtime.store, transport, clock)


def dispatch_beside_teams(runtime, clock: Clock | None = None) -> Callable[[], None]:
    """The Teams app's on_start hook (handlers.teams.server), as dispatch_beside_slack: this app's Teams, and
    Slack when its settings are set too."""
    from handlers.slack import transport as slack
    from handlers.slack.blocks import notice_message
    from handlers.teams.transport import for_runtime
    from handlers.transports import PerSchool

    transport = PerSchool(runtime.store.uow, slack=slack.from_environment(runtime.store.engine, render=notice_message),
                          teams=for_runtime(runtime))
    return _beside(runtime.store, transport, clock)


def _beside(store, transport, clock: Clock | None) -> Callable[[], None]:
    scheduler = build_scheduler(Dispatcher(store, transport, clock or SystemClock()))
    scheduler.start()

    def stop() -> None:
        scheduler.shutdown(wait=True)
        transport.close()
    return stop
