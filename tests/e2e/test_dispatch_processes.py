"""Real processes against the local Slack stand-in: killed mid-dispatch, two at once, and a rate-limiting Slack.

`walkbot dispatch --once` runs in processes of its own (tests/support/notices_support.py), posting to the
stand-in, which runs in this process and counts every chat.postMessage. Run with -s to see the
figures. WALKBOT_LONG_TESTS=1 runs the long versions (more notices, more kills).
"""
from __future__ import annotations

import os
import random
import signal
import time
from collections import Counter
from datetime import timedelta

import pytest
from notices_support import TUESDAY_10, add_notices, dispatcher_process, statuses
from slack_sdk import WebClient
from standin import SlackStandIn

from bot.domain.clock import ShiftedClock
from bot.domain.model import Notice, NoticeKind
from bot.notices.delivery import SENDERS, Settings
from bot.reply.card import card
from handlers.cli import main
from handlers.dispatcher import Dispatcher
from handlers.scheduler import build_scheduler
from handlers.slack.transport import SlackTransport
from handlers.wiring import load_school
from storage.db import open_store

LONG = os.environ.get("WALKBOT_LONG_TESTS") == "1"


def posted(slack: SlackStandIn) -> Counter:
    """How many times each test notice ("notice N") reached Slack."""
    return Counter(c.args["text"] for c in slack.of("chat.postMessage") if c.args.get("text", "").startswith("notice "))


def first_arrivals(slack: SlackStandIn) -> list[int]:
    """The test notices' numbers in the order each first reached Slack."""
    texts = [c.args["text"] for c in slack.of("chat.postMessage") if c.args.get("text", "").startswith("notice ")]
    return [int(text.split()[1]) for text in dict.fromkeys(texts)]


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=[
    pytest.mark.postgres, pytest.mark.skipif(not LONG, reason="on PostgreSQL with WALKBOT_LONG_TESTS=1")])])
def test_killing_the_dispatcher_again_and_again_loses_nothing(backend, request, tmp_path):
    store_url = request.getfixturevalue("postgres_url") if backend == "postgres" else f"sqlite:///{tmp_path / 'k.db'}"
    count, kills_wanted = (2000, 40) if LONG else (500, 10)
    store = open_store(store_url)
    school = load_school(store, None)
    add_notices(store, school.id, count, TUESDAY_10)
    rng, kills, runs = random.Random(9), 0, 0
    started = time.monotonic()
    with SlackStandIn() as slack:
        # After a kill the next process may find nothing it can take yet: the person's next notices wait for
        # those the killed one held, whose lease runs out within a second.
        while statuses(store)["pending"] and runs < 2 * kills_wanted + 20:
            runs += 1
            # Each process's clock carries on from the last one's: a lease runs out for the next process too.
            now = TUESDAY_10 + timedelta(seconds=time.monotonic() - started)
            process = dispatcher_process(store_url, slack.url, "--lease", "1", "--batch", "10", now=now)
            if kills < kills_wanted:
                # Let it get going (past start-up, into dispatch), then kill it at a random moment.
                target = len(slack.calls) + rng.randint(3, 60)
                deadline = time.monotonic() + 30
                while len(slack.calls) < target and process.poll() is None and time.monotonic() < deadline:
                    time.sleep(0.001)
                time.sleep(rng.uniform(0, 0.03))  # anywhere: in a send, between send and commit, in a claim
                if process.poll() is None:
                    process.send_signal(signal.SIGKILL)
                    process.communicate()
                    kills += 1
                    continue
            out, err = process.communicate(timeout=120)
            assert process.returncode == 0, err
            if statuses(store)["pending"]:
                time.sleep(1.05)  # what a killed process had claimed is free once its lease runs out
        seconds = time.monotonic() - started
        times = posted(slack)
        arrived = first_arrivals(slack)
    with store.uow() as uow:
        sent = [n for n in uow.notices.listing(["sent"], limit=10_000) if n.kind == "reminder"]
    store.close()
    lost = [f"notice {n}" for n in range(count) if times[f"notice {n}"] == 0]
    duplicates = sum(t - 1 for t in times.values())
    print(f"\n[{backend}] {count} notices, {kills} SIGKILLs in {runs} runs, {seconds:.1f} s: "
          f"lost {len(lost)}, sent twice {duplicates} ({sorted(t for t, n in times.items() if n > 1)[:10]})")
    assert kills == kills_wanted
    assert lost == [] and len(sent) == count and all(n.message_id for n in sent)
    assert arrived == sorted(arrived)  # the person's messages arrived in order, however often a dispatcher died
    # A duplicate needs a kill between a send and its commit: at most one per notice in flight, per kill.
    assert duplicates <= kills * SENDERS


@pytest.mark.postgres
def test_two_dispatchers_on_one_postgresql_database_send_nothing_twice(postgres_url):
    count = 5000 if LONG else 1000
    store = open_store(postgres_url)
    school = load_school(store, None)
    add_notices(store, school.id, count, TUESDAY_10)
    started = time.monotonic()
    with SlackStandIn() as slack:
        processes = [dispatcher_process(postgres_url, slack.url, "--batch", "10") for _ in range(2)]
        outputs = [p.communicate(timeout=300) for p in processes]
        seconds = time.monotonic() - started
        times = posted(slack)
    assert [p.returncode for p in processes] == [0, 0], [err for _, err in outputs]
    assert statuses(store)["pending"] == 0
    store.close()
    print(f"\n[postgresql] two dispatchers, {count} notices in {seconds:.1f} s "
          f"({count / seconds:.0f}/s, start-up included): " + " | ".join(out.strip() for out, _ in outputs))
    assert len(times) == count and set(times.values()) == {1}


def test_a_slack_answering_429_to_one_call_in_five_gets_nothing_early_and_loses_nothing(store):
    # Each 429 pauses the whole workspace for its Retry-After (a second): about five posts a second get through,
    # so the long runs do not make this one longer (the volume is test_two_dispatchers_…'s).
    count = 100
    clock = ShiftedClock(TUESDAY_10)
    school = load_school(store, None)
    # Due over the next two seconds, so "not before its time" is tested as well as "not before Retry-After".
    dues = [TUESDAY_10 + timedelta(milliseconds=2000 * n // count) for n in range(count)]
    # To twenty people: a notice held after a 429 holds back only its own person's later ones.
    with store.uow() as uow:
        for n in range(count):
            uow.notices.add(Notice(school.id, NoticeKind.REMINDER, f"U9P{n % 20:02d}", dues[n], card(f"notice {n}")))
        uow.commit()
    due_of = {f"notice {n}": dues[n] for n in range(count)}
    rng, calls = random.Random(20), []  # (when Slack got it, text, answered 429?)
    answers: dict[str, list[int]] = {}  # each person's notices, in the order Slack took them

    def sometimes_429(call):
        if call.method != "chat.postMessage":
            return None
        limited = rng.random() < 0.2
        calls.append((clock.now(), call.args["text"], limited))
        if not limited and call.args["text"] in due_of:
            answers.setdefault(call.args["channel"], []).append(int(call.args["text"].split()[1]))
        return (429, {"Retry-After": "1"}, {"ok": False, "error": "ratelimited"}) if limited else None

    with SlackStandIn(override=sometimes_429) as slack:
        transport = SlackTransport(WebClient(token="xoxb-test", base_url=slack.url))
        scheduler = build_scheduler(Dispatcher(store, transport, clock, Settings(worker="w429")), every_seconds=0.1)
        started = time.monotonic()
        scheduler.start()
        try:
            while statuses(store)["pending"] and time.monotonic() - started < 120:
                time.sleep(0.1)
        finally:
            scheduler.shutdown(wait=True)
    ours = [c for c in calls if c[1] in due_of]
    answered = Counter(text for _, text, limited in ours if not limited)
    limited = [c for c in ours if c[2]]
    print(f"\n[{store.engine.dialect.name}] {count} notices, {len(limited)} answered 429 "
          f"({len(limited) / len(ours):.0%} of calls), all sent in {time.monotonic() - started:.1f} s")
    assert statuses(store)["pending"] == 0
    assert answered == Counter(list(due_of))  # each exactly once: nothing lost, nothing twice
    assert all(at >= due_of[text] for at, text, _ in ours)  # nothing before its time
    for at, text, _ in limited:  # and nothing before Retry-After had passed
        retry = min(later for later, again, _ in ours if again == text and later > at)
        assert retry - at >= timedelta(seconds=1), (text, at, retry)
    assert len(limited) > count // 10
    assert all(taken == sorted(taken) for taken in answers.values())  # each person's in order


def digests_written(store) -> bool:
    with store.uow() as uow:
        return any(n.kind is NoticeKind.DIGEST for n in uow.notices.listing(["pending", "sent"], limit=100_000))


def test_walkbot_dispatch_runs_until_told_to_stop(tmp_path):
    url = f"sqlite:///{tmp_path / 'run.db'}"
    store = open_store(url)
    school = load_school(store, None)
    add_notices(store, school.id, 5, TUESDAY_10)
    with SlackStandIn() as slack:
        process = dispatcher_process(url, slack.url, "--every", "0.2", once=False)
        deadline = time.monotonic() + 30
        # The five, and this week's digests: the periodic job writes them at start, in its own thread, so they may
        # come after the five have gone; the process is stopped once both are written and sent.
        while not (len(posted(slack)) == 5 and digests_written(store) and not statuses(store)["pending"]) \
                and time.monotonic() < deadline:
            time.sleep(0.05)
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert "walkbot dispatch: sending due notices every 0.2 s" in out
    assert len(posted(slack)) == 5 and statuses(store)["pending"] == 0
    store.close()


def test_walkbot_dispatch_says_what_it_needs(tmp_path, capsys, monkeypatch):
    for name in ("SLACK_BOT_TOKEN", "SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET", "TEAMS_APP_ID", "TEAMS_APP_SECRET",
                 "TEAMS_TENANT_ID"):
        monkeypatch.delenv(name, raising=False)
    assert main(["dispatch", "--once", "--db", f"sqlite:///{tmp_path / 'w.db'}"]) == 2
    assert "walkbot has no chat to send notices through: set SLACK_BOT_TOKEN" in capsys.readouterr().err
