"""A closed-loop load generator: `concurrency` people at once, each on one keep-alive connection,
sending a chat service's requests (Slack's signed ones, Teams' activities) one after another.

Two times per request, both from the first byte sent: the **ack**, when the HTTP answer is back (what
Slack's 3-second deadline runs over, and what Teams waits for), and the **answer**, when walkbot has told
the person (the stand-in saw the reply, or the HTTP answer was the reply). Each person waits for the
answer before the next request, as people do, so work acknowledged but not yet done cannot pile up unseen.
"""
from __future__ import annotations

import http.client
import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol


class Request(Protocol):
    kind: str  # what the benchmark calls it: propose, agree, limits, list, home
    body: str
    answered_by: str | None  # the key Answers knows walkbot's answer by; None: the HTTP answer is the answer

    def headers(self, credential: str) -> dict[str, str]:
        """Made as it is sent, with the credential (Slack's signatures are good for five minutes)."""


# Each client asks for its next request with what the previous one answered (a proposal's reply names
# the visit that the next click agrees to).
Script = Callable[[int, int, "Answered | None"], Request]


class Answers:
    """When each answer reached a stand-in, and what it said, by key; a stand-in's hook records them."""

    def __init__(self):
        self._at: dict[str, tuple[float, str]] = {}  # when, and what walkbot said
        self._changed = threading.Condition()

    def record(self, key: str, said: str) -> None:
        with self._changed:
            self._at[key] = (time.perf_counter(), said)
            self._changed.notify_all()

    def wait(self, key: str, since: float, timeout: float = 30) -> tuple[float, str] | None:
        """When `key` was answered after `since` (perf_counter) and what walkbot said, or None if it was
        not within `timeout`."""
        deadline = since + timeout
        with self._changed:
            while (answer := self._at.get(key, (0.0, "")))[0] < since:
                left = deadline - time.perf_counter()
                if left <= 0:
                    return None
                self._changed.wait(left)
            return answer


@dataclass(frozen=True)
class Answered:
    request: Request
    status: int
    said: str  # what walkbot answered, in the ack or after it
    ack_ms: float
    answer_ms: float | None  # None: no answer awaited, or none came


@dataclass
class Latencies:
    acks: dict[str, list[float]] = field(default_factory=dict)  # by kind of request
    answers: dict[str, list[float]] = field(default_factory=dict)
    unanswered: int = 0
    failed: int = 0  # no HTTP answer at all (the connection failed)
    statuses: dict[int, int] = field(default_factory=dict)
    seconds: float = 0.0
    cpu_ms: float | None = None  # the server's CPU time per timed request (when it was asked to measure it)

    def add(self, answered: Answered, awaited: bool) -> None:
        kind = answered.request.kind
        self.acks.setdefault(kind, []).append(answered.ack_ms)
        if answered.answer_ms is not None:
            self.answers.setdefault(kind, []).append(answered.answer_ms)
        elif awaited:
            self.unanswered += 1
        self.statuses[answered.status] = self.statuses.get(answered.status, 0) + 1

    @staticmethod
    def every(by_kind: dict[str, list[float]]) -> list[float]:
        return [ms for values in by_kind.values() for ms in values]

    @property
    def requests_per_second(self) -> float:
        return len(self.every(self.acks)) / self.seconds if self.seconds else 0.0


def percentile(values: list[float], p: int) -> float:
    """The p-th percentile (1–99) of the values, interpolated between the nearest two."""
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


def run(port: int, path: str, credential: str, script: Script, *, concurrency: int, requests: int,
        warmup: int = 0, answers: Answers | None = None, cpu: Callable[[], float] | None = None) -> Latencies:
    """POST `requests` timed requests to `path` (after `warmup` untimed ones per client) from `concurrency`
    clients; with `answers`, each waits for walkbot's answer before its next request. `cpu`: the server's CPU
    seconds so far, read as the timed requests begin and once they are all answered."""
    timed = Latencies()
    lock = threading.Lock()
    per_client = [requests // concurrency + (1 if n < requests % concurrency else 0) for n in range(concurrency)]
    start = threading.Barrier(concurrency + 1)

    def client(n: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        previous = None
        for step in range(warmup + per_client[n]):
            if step == warmup:
                start.wait()
            try:
                previous = _send(conn, path, credential, script(n, step, previous), answers)
            except (OSError, http.client.HTTPException):  # counted (if timed), and the person carries on, reconnected
                conn.close()
                if step >= warmup:
                    with lock:
                        timed.failed += 1
                continue
            if step >= warmup:
                with lock:
                    timed.add(previous, awaited=answers is not None)
        conn.close()

    threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(concurrency)]
    for thread in threads:
        thread.start()
    start.wait()
    began, cpu_began = time.perf_counter(), cpu() if cpu else None
    for thread in threads:
        thread.join()
    timed.seconds = time.perf_counter() - began
    if cpu is not None and requests:
        timed.cpu_ms = (cpu() - cpu_began) * 1000 / requests
    return timed


def _send(conn: http.client.HTTPConnection, path: str, credential: str, request: Request,
          answers: Answers | None) -> Answered:
    body = request.body.encode()
    headers = request.headers(credential)
    began = time.perf_counter()
    conn.request("POST", path, body=body, headers=headers)
    response = conn.getresponse()
    answer = response.read().decode("utf-8", "replace")
    acked = time.perf_counter()
    ack_ms = (acked - began) * 1000
    if answers is not None and request.answered_by is None:  # the HTTP answer is walkbot's (an invoke's card)
        return Answered(request, response.status, answer, ack_ms, ack_ms)
    answered = answers.wait(request.answered_by, since=began) if answers else None
    if answered is None:
        return Answered(request, response.status, answer, ack_ms, None)
    at, said = answered
    return Answered(request, response.status, said, ack_ms, (at - began) * 1000)
