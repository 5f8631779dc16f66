"""`walkbot work`: a process that only works on requests kept in the inbox (handlers.inbox), and
`walkbot serve --workers N`, which starts N of them and keeps them running beside the process that acks."""
from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable

log = logging.getLogger("walkbot.work")


PARENT_POLL_SECONDS = 1.0  # how often a worker started beside `walkbot serve` looks whether that process is there
# How long a worker whose `walkbot serve` has gone goes on with what that process acknowledged before it ends: the
# serve started again in its place starts its own workers, which take over whatever is left.
ORPHAN_DRAIN_SECONDS = 30.0
# A worker started beside `walkbot serve` yields the CPU to it: Slack wants each ack within 3 seconds, and on a
# machine with few cores the acks would otherwise wait behind the work (in a trial on 2 cores at 8 requests at once,
# the acks' p99 fell by a third; the answers came as fast).
WORKER_NICENESS = 10


def work(*, db_url: str | None = None, parent: int | None = None, dispatch: bool = False) -> int:
    """Work on Slack's kept requests until Ctrl-C or SIGTERM, or (with `parent`, the `walkbot serve` that started
    it) once that process has ended and what is waiting is done: a `walkbot serve` killed outright answers what it
    acknowledged all the same and leaves no worker behind. With `dispatch`, send the notices too, as `walkbot
    serve` does beside its app. Needs what answering Slack needs (a bot token or the OAuth settings), not the
    signing secret: the requests were verified when they were kept. Beside `walkbot serve` it runs at a lower
    priority than that process (WORKER_NICENESS)."""
    from bot.domain.clock import SystemClock
    from handlers.lifecycle import until_stopped
    from handlers.slack.runtime import build_slack
    from handlers.slack.settings import SlackSettings

    if parent is not None:
        os.nice(WORKER_NICENESS)
    runtime = build_slack(settings=SlackSettings.from_env(), db_url=db_url, clock=SystemClock())
    stop = runtime.inbox.start()
    stop_dispatch = None
    if dispatch:
        from handlers.scheduler import dispatch_beside_slack

        stop_dispatch = dispatch_beside_slack(runtime)
    print("walkbot: working on kept requests (Ctrl-C to stop).", flush=True)
    try:
        with until_stopped():
            while parent is None or os.getppid() == parent:
                time.sleep(PARENT_POLL_SECONDS)
            log.warning("the walkbot serve this worker works for has ended; finishing what it acknowledged")
            stop()
            runtime.inbox.drain(ORPHAN_DRAIN_SECONDS)
    finally:
        if stop_dispatch:
            stop_dispatch()
        stop()
        runtime.store.close()
    return 0


def beside(count: int, db_url: str | None, *, dispatch: bool = False) -> Callable[[], None]:
    """Start `count` `walkbot work` processes (with `dispatch`, the first sends the notices too), start again any
    that ends, and return what stops them all."""
    command = [sys.executable, "-m", "handlers.cli", "work", "--parent", str(os.getpid()),
               *(["--db", db_url] if db_url else [])]
    commands = [command + (["--dispatch"] if dispatch and n == 0 else []) for n in range(count)]
    stopping = threading.Event()
    children = [subprocess.Popen(each, env=os.environ.copy()) for each in commands]

    def watch() -> None:
        while not stopping.wait(1.0):
            for n, child in enumerate(children):
                if child.poll() is not None and not stopping.is_set():
                    log.warning("a walkbot work process ended (exit %s); starting another", child.returncode)
                    children[n] = subprocess.Popen(commands[n], env=os.environ.copy())

    watcher = threading.Thread(target=watch, name="walkbot-work-watch", daemon=True)
    watcher.start()

    def stop() -> None:
        stopping.set()
        watcher.join()
        for child in children:
            child.terminate()
        for child in children:
            try:
                child.wait(timeout=15)
            except subprocess.TimeoutExpired:
                child.kill()

    return stop
