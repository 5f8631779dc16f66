"""`walkbot dispatch` and `walkbot notices`: the outbox from the command line.

Added to the CLI's parser by handlers.cli; like it, builds what it needs only when a command runs.
"""
from __future__ import annotations

import argparse
import signal
import threading
from datetime import timedelta, timezone

from bot.domain.model import Notice
from bot.domain.school import School
from bot.notices.delivery import SENDERS, DispatchReport, Settings
from bot.reply.text import render


def add_commands(sub) -> None:
    dispatch = sub.add_parser("dispatch", help="send due notices and write the weekly digests, on their own, "
                                               "each school's through its own installation (Slack: SLACK_BOT_TOKEN "
                                               "or OAuth's SLACK_CLIENT_ID...; Teams: TEAMS_APP_ID...)")
    dispatch.add_argument("--db", help="database URL (default: $DATABASE_URL, else sqlite:///walkbot.db)")
    dispatch.add_argument("--once", action="store_true", help="send what is due now, then stop")
    dispatch.add_argument("--every", type=_between(0.1, 3600, float), default=3.0, metavar="SECONDS",
                          help="how often to look for due notices (default: 3)")
    dispatch.add_argument("--lease", type=_between(0.5, 3600, float), default=60.0, metavar="SECONDS",
                          help="how long a claim keeps other dispatchers off a notice (default: 60)")
    dispatch.add_argument("--batch", type=_between(1, 1000, int), default=Settings.batch,
                          help=f"notices claimed at once, 1 to 1000 (default: {Settings.batch})")
    dispatch.add_argument("--senders", type=_between(1, 64, int), default=SENDERS,
                          help=f"notices sent at once, each person's in order (default: {SENDERS})")
    dispatch.add_argument("--now", help="start the clock at this moment and let it run, e.g. 2027-02-02T10:00 "
                                        "(school time): to rehearse a school day at any hour")
    dispatch.set_defaults(run=_dispatch)

    notices = sub.add_parser("notices", help="what walkbot will say, and what it could not (--failed)")
    notices.add_argument("--db", help="database URL (default: $DATABASE_URL, else sqlite:///walkbot.db)")
    notices.add_argument("--failed", action="store_true", help="failed and expired notices, and why")
    notices.set_defaults(run=_list)
    retry = notices.add_subparsers(dest="action").add_parser("retry", help="send a failed or expired notice after all")
    retry.add_argument("id", type=int, help="the notice's number, from walkbot notices --failed")
    retry.add_argument("--db", default=argparse.SUPPRESS, help="database URL")
    retry.set_defaults(run=_retry)


def _between(lowest: float, highest: float, kind: type):
    """An argument type for a number in [lowest, highest]: anything else is refused with a sentence."""
    def read(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"'{text}' is not a number")
        if not lowest <= value <= highest:
            raise argparse.ArgumentTypeError(f"{text} is out of range: give {lowest:g} to {highest:g}")
        return value
    return read


def _store(args):
    from handlers.wiring import database_url
    from storage.db import open_store

    return open_store(database_url(args.db))


def _dispatch(args) -> int:
    from bot.domain.clock import ShiftedClock, SystemClock
    from handlers.console import _moment
    from handlers.dispatcher import Dispatcher, worker_name
    from handlers.scheduler import build_scheduler
    from handlers.transports import from_environment

    store, transport = _store(args), None
    try:
        transport = from_environment(store)
        clock = SystemClock()
        if args.now:
            with store.uow() as uow:
                schools = uow.schools.all()
            clock = ShiftedClock(_moment(args.now, schools[0].calendar.tz if schools else timezone.utc))
        settings = Settings(worker=worker_name(), batch=args.batch, lease=timedelta(seconds=args.lease),
                            senders=args.senders)
        dispatcher = Dispatcher(store, transport, clock, settings)
        if args.once:
            dispatcher.run_periodic()
            print(summary(dispatcher.deliver_due()), flush=True)
            return 0
        stop = threading.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stop.set())
        scheduler = build_scheduler(dispatcher, every_seconds=args.every)
        scheduler.start()
        print(f"walkbot dispatch: sending due notices every {args.every:g} s as {settings.worker}. "
              "Ctrl-C stops.", flush=True)
        stop.wait()
        scheduler.shutdown(wait=True)  # lets a batch in hand finish, so nothing is left claimed
        return 0
    finally:
        if transport is not None:
            transport.close()
        store.close()


def summary(report: DispatchReport) -> str:
    return (f"Sent {len(report.sent)}, held back {len(report.retried)}, waiting for walkbot to be installed "
            f"{len(report.waiting)}, moved to school time {len(report.deferred)}, expired {len(report.expired)}, "
            f"failed {len(report.failed)}.")


def _list(args) -> int:
    store = _store(args)
    try:
        with store.uow() as uow:
            notices = uow.notices.listing(["failed", "expired"] if args.failed else ["pending"])
            schools = {s.id: s for s in uow.schools.all()}
            names = {s.id: {p.chat_id: p.name for p in uow.staff.all(s.id)} for s in schools.values()}
    finally:
        store.close()
    if not notices:
        print("No failed or expired notices." if args.failed else "Nothing is waiting to be sent.")
    for notice in notices:
        print(describe(notice, schools[notice.school_id], names[notice.school_id]))
    return 0


def describe(notice: Notice, school: School, names: dict[str, str]) -> str:
    when = school.calendar.local(notice.due_at)
    to = names.get(notice.recipient, notice.recipient)
    text = render(notice.card)
    first = text.splitlines()[0] if text else ""
    line = f"{notice.id:>6}  {when:%a %-d %b %Y %H:%M}  {notice.kind:<18} → {to}: {first[:70]}"
    if notice.status in ("failed", "expired"):
        line += (f"\n        {notice.status}: {notice.last_error or 'no reason recorded'}"
                 f"  (walkbot notices retry {notice.id} sends it after all)")
    return line


def _retry(args) -> int:
    from bot.domain.clock import SystemClock

    store = _store(args)
    try:
        with store.uow() as uow:
            notice = uow.notices.retry(args.id, SystemClock().now())
            uow.commit()
    finally:
        store.close()
    print(f"Notice {notice.id} ({notice.kind} to {notice.recipient}) will go at the next dispatch, "
          "in school time.")
    return 0
