"""Mutated copies of genuine Slack requests, over real HTTP into the real server: every one is refused.

Seven genuine requests are captured first, each of which would act (a proposal typed and one from the
form, a bare /visit that opens the form, Agree on Tom's message, a Decline reason, the Home tab's
"Propose a visit" button, the Home tab opening). Then a thousand mutations of them (ten thousand with
WALKBOT_LONG_TESTS=1), from a seeded random source: stale and future timestamps, flipped bytes, the
signature of another body, missing, duplicated and odd headers, content types Slack does not use,
bodies too big with and without a length. Every one gets a 4xx (never 2xx, never 5xx), no listener
runs (the Web API stand-in sees no call, no table changes, nothing is logged as failed), and the seven
genuine requests, sent as Slack sent them, still work afterwards.
"""
from __future__ import annotations

import json
import logging
import math
import os
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable
from urllib.parse import quote_plus

import pytest
from hostile import Pool, Raw
from slack_support import SECRET, Answer, Workspace, rows, slack, standin  # noqa: F401 (fixtures)
from standin import sign

from handlers.slack.server import MAX_BODY

LONG = os.environ.get("WALKBOT_LONG_TESTS") == "1"
COUNT = 10_000 if LONG else 1_000
SEED = 20270201

SAM, TOM = "U05SAM", "U03TOM"
FORM, JSON = "application/x-www-form-urlencoded", "application/json"
GOOD_FORM = {"teacher": "U04AMY", "date": "2027-02-08", "time": "11:10", "minutes": "30", "kind": "peer",
             "focus": "group work", "feedback": "a chat at lunch"}


@pytest.fixture
def store_url(tmp_path) -> str:
    """SQLite only: these requests are refused before anything reads the database."""
    return f"sqlite:///{tmp_path / 'walkbot.db'}"


# --- the genuine requests ---------------------------------------------------------------------------------------


@dataclass
class Genuine:
    name: str
    body: str
    content_type: str


@dataclass
class Capture(Workspace):
    """The test workspace's people, but what they send is kept instead of posted."""

    kept: list[tuple[str, str]] = field(default_factory=list)

    def post(self, body: str, content_type: str, headers: dict[str, str] | None = None) -> Answer:
        self.kept.append((body, content_type))
        return Answer(200, "")


def genuine_requests(slack) -> list[Genuine]:
    """Two proposals to Tom (#1 to agree, #2 to decline), then what each person would send next."""
    for when in ("2027-02-04 P3", "2027-02-05 P2"):
        proposed = slack.command(SAM, f'propose <@{TOM}|tom> {when} 30m kind formal focus "questioning" '
                                      'feedback "after school"')
        assert proposed.text.startswith("Proposed #"), proposed.text
    first, second = [p for p in slack.deliver() if p.notice.kind == "proposal"]
    slack.command(SAM, "")
    propose_form = slack.last("views.open").args["view"]
    slack.click(TOM, "visit.decline", str(second.notice.visit_id), message=second)
    decline_form = slack.last("views.open").args["view"]
    slack.open_home(SAM)
    home = slack.last("views.publish").args["view"]

    capture = Capture(slack.http, slack.standin, slack.client, slack.store, slack.clock)
    capture.command(SAM, 'propose <@U04AMY|amy> 2027-02-09 P3 30m kind peer focus "questioning"')
    capture.command(SAM, "")
    capture.click(TOM, "visit.agree", str(first.notice.visit_id), message=first)
    capture.submit(TOM, decline_form, {"reason": "mock exams that week"})
    capture.click(SAM, "propose.open", "home", view=home)
    capture.submit(SAM, propose_form, GOOD_FORM)
    capture.open_home(SAM)
    names = ["a typed proposal", "a bare /visit", "Agree", "a Decline reason", "the Home tab's Propose button",
             "a proposal from the form", "the Home tab opening"]
    return [Genuine(name, body, content_type) for name, (body, content_type) in zip(names, capture.kept)]


def slack_headers(body: str, content_type: str, timestamp: int | None = None, secret: str = SECRET) -> list:
    signed = sign(body, secret, timestamp)
    return [("Content-Type", content_type), ("X-Slack-Request-Timestamp", signed["X-Slack-Request-Timestamp"]),
            ("X-Slack-Signature", signed["X-Slack-Signature"])]


def as_sent(g: Genuine) -> Raw:
    return Raw(slack_headers(g.body, g.content_type), g.body.encode())


# --- the mutations ----------------------------------------------------------------------------------------------
# Each takes a genuine request and a seeded random source and returns a function that makes the request
# when it is sent, so that a timestamp is fresh (or exactly as stale as meant) at that moment.

Make = Callable[[], Raw]


@dataclass(frozen=True)
class Mutation:
    name: str
    make: Callable[[Genuine, random.Random, list[Genuine]], Make]
    expect: frozenset[int]


MUTATIONS: list[Mutation] = []


def mutation(name: str, *expect: int):
    def register(make):
        MUTATIONS.append(Mutation(name, make, frozenset(expect)))
        return make
    return register


def _with(headers: list, name: str, value) -> list:
    """The headers with `name` given another value (or left out, with None)."""
    kept = [(n, v) for n, v in headers if n != name]
    return kept if value is None else kept + [(name, value)]


def _signature(headers: list) -> str:
    return dict(headers)["X-Slack-Signature"]


def _signed_at(offset: Callable[[float], int]):
    """Correctly signed, with a timestamp outside Slack's five minutes."""
    def make(g, rng, others):
        return lambda: Raw(slack_headers(g.body, g.content_type, offset(time.time())), g.body.encode())
    return make


# Five minutes is 300 s: the verifier reads its clock after the timestamp is made, so a past timestamp
# only gets older, and a future one gets a margin of a few seconds to stay in the future by more than 300.
mutation("timestamp five minutes and a second old", 401)(_signed_at(lambda now: math.floor(now) - 301))
mutation("timestamp five minutes and a second ahead", 401)(_signed_at(lambda now: math.ceil(now) + 301 + 5))
mutation("timestamp an hour old", 401)(_signed_at(lambda now: int(now) - 3600))
mutation("timestamp a day ahead", 401)(_signed_at(lambda now: int(now) + 86400))
mutation("timestamp 1970", 401)(_signed_at(lambda now: 0))
mutation("timestamp in the year 33658", 401)(_signed_at(lambda now: 10**12))
mutation("timestamp of twenty nines", 401)(_signed_at(lambda now: int("9" * 20)))


@mutation("timestamp stale by a random amount", 401)
def _stale(g, rng, others):
    age = rng.randint(302, 10**9) * rng.choice([-1, 1])
    return _signed_at(lambda now: max(0, int(now) - age) if age > 0 else math.ceil(now) - age + 5)(g, rng, others)


@mutation("an hour-old signature under a fresh timestamp", 401)
def _old_signature(g, rng, others):
    def make():
        fresh = slack_headers(g.body, g.content_type)
        old = slack_headers(g.body, g.content_type, int(time.time()) - 3600)
        return Raw(_with(fresh, "X-Slack-Signature", _signature(old)), g.body.encode())
    return make


@mutation("a flipped byte in the body", 400, 401)  # 400 when the byte breaks UTF-8 or the JSON
def _flip_body(g, rng, others):
    at, xor = rng.randrange(len(g.body.encode())), rng.randint(1, 255)

    def make():
        body = bytearray(g.body.encode())
        body[at] ^= xor
        return Raw(slack_headers(g.body, g.content_type), bytes(body))
    return make


@mutation("the body cut short", 400, 401)
def _truncate(g, rng, others):
    cut = rng.randrange(len(g.body.encode()))
    return lambda: Raw(slack_headers(g.body, g.content_type), g.body.encode()[:cut])


@mutation("something added to the body", 400, 401)
def _append(g, rng, others):
    extra = rng.choice([b"&text=agree+1", b"&user_id=U01HEAD", b" ", b"\n", b"}", rng.randbytes(rng.randint(1, 40))])
    return lambda: Raw(slack_headers(g.body, g.content_type), g.body.encode() + extra)


@mutation("the same meaning in other bytes", 401)
def _reencoded(g, rng, others):
    """A form with %20 for +, or the JSON spaced differently: what the signature covers is the bytes."""
    if g.content_type == FORM:
        other = g.body.replace("+", "%20") if "+" in g.body else g.body + "&"
    else:
        other = json.dumps(json.loads(g.body), indent=1)
    return lambda: Raw(slack_headers(g.body, g.content_type), other.encode())


@mutation("the signature of another request", 401)
def _another_body(g, rng, others):
    other = rng.choice([o for o in others if o.body != g.body])
    return lambda: Raw(_with(slack_headers(g.body, g.content_type), "X-Slack-Signature",
                             _signature(slack_headers(other.body, g.content_type))), g.body.encode())


@mutation("signed with another secret", 401)
def _wrong_secret(g, rng, others):
    secret = rng.choice([" ", "x", SECRET.upper(), SECRET[:-1], SECRET + " ", "3f1e0a9c8b7d6e5f4a3b2c1d0e9f8a7b"])
    return lambda: Raw(slack_headers(g.body, g.content_type, secret=secret), g.body.encode())


def _odd_signature(change: Callable[[str, random.Random], str | bytes | None]):
    """The genuine signature changed, left out or replaced, under a fresh timestamp."""
    def make(g, rng, others):
        seed = rng.random()

        def request():
            headers = slack_headers(g.body, g.content_type)
            odd = change(_signature(headers), random.Random(seed))
            return Raw(_with(headers, "X-Slack-Signature", odd), g.body.encode())
        return request
    return make


def _flip_hex(signature: str, rng: random.Random) -> str:
    at = rng.randrange(3, len(signature))
    return signature[:at] + rng.choice([c for c in "0123456789abcdef" if c != signature[at]]) + signature[at + 1:]


mutation("one hex digit of the signature changed", 401)(_odd_signature(_flip_hex))
mutation("no signature", 401)(_odd_signature(lambda s, rng: None))
mutation("an empty signature", 401)(_odd_signature(lambda s, rng: ""))
mutation("a bare v0=", 401)(_odd_signature(lambda s, rng: "v0="))
mutation("a signature in another scheme (v1=)", 401)(_odd_signature(lambda s, rng: "v1=" + s[3:]))
mutation("the signature in capitals", 401)(_odd_signature(lambda s, rng: "v0=" + s[3:].upper()))
mutation("the signature cut short", 401)(_odd_signature(lambda s, rng: s[:rng.randrange(len(s))]))
mutation("the signature twice in one header", 401)(_odd_signature(lambda s, rng: f"{s},{s}"))
mutation("a signature that is not hex", 401)(_odd_signature(
    lambda s, rng: "v0=" + "".join(rng.choice("ghijklmnopqrstuvwxyz-_ ") for _ in range(64))))
mutation("a signature of bytes outside ASCII", 401)(_odd_signature(
    lambda s, rng: s[:3].encode() + bytes(rng.randint(0x80, 0xFF) for _ in range(64))))


def _odd_timestamp(value: Callable[[random.Random], str | bytes | None]):
    """The genuine signature, under a timestamp header that is missing, empty or not Slack's kind of number."""
    def make(g, rng, others):
        seed = rng.random()
        return lambda: Raw(_with(slack_headers(g.body, g.content_type), "X-Slack-Request-Timestamp",
                                 value(random.Random(seed))), g.body.encode())
    return make


mutation("no timestamp", 401)(_odd_timestamp(lambda rng: None))
mutation("an empty timestamp", 401)(_odd_timestamp(lambda rng: ""))
mutation("a timestamp that is not a number", 401)(_odd_timestamp(lambda rng: rng.choice(
    ["soon", "now", "1e9", "0x65f1a2b3", "-300", "12.5", "+1769935800", "1769935800 ", "NaN", "Infinity"])))
mutation("a timestamp of five thousand digits", 401)(_odd_timestamp(lambda rng: "9" * 5000))
mutation("a timestamp in superscript digits", 401)(_odd_timestamp(  # "²".isdigit() is True; int("²") fails
    lambda rng: bytes(rng.choice(b"\xb2\xb3\xb9") for _ in range(rng.randint(1, 12)))))
mutation("a timestamp of random bytes", 401)(_odd_timestamp(
    lambda rng: bytes(rng.choice([*range(0x21, 0x7F), *range(0xA0, 0x100)]) for _ in range(rng.randint(1, 30)))))


@mutation("the timestamp padded with zeros after signing", 401)
def _padded(g, rng, others):
    def make():
        headers = slack_headers(g.body, g.content_type)
        return Raw(_with(headers, "X-Slack-Request-Timestamp", "00" + dict(headers)["X-Slack-Request-Timestamp"]),
                   g.body.encode())
    return make


@mutation("a Slack header sent twice", 400)
def _twice(g, rng, others):
    """Even with the genuine value in one copy: a proxy in front could read the other."""
    name = rng.choice(["X-Slack-Signature", "X-Slack-Request-Timestamp", "Content-Type"])
    genuine_last = rng.random() < 0.5

    def make():
        headers = slack_headers(g.body, g.content_type)
        decoy = {"X-Slack-Signature": "v0=" + "0" * 64, "X-Slack-Request-Timestamp": "1",
                 "Content-Type": "text/plain"}[name]
        copies = [(name, decoy), (name, dict(headers)[name])]
        return Raw(_with(headers, name, None) + (copies if genuine_last else copies[::-1]), g.body.encode())
    return make


@mutation("a content type Slack does not use", 415)
def _content_type(g, rng, others):
    kind = rng.choice(["text/plain", "multipart/form-data; boundary=x", "application/xml", "", "text/html",
                       "application/jsonp", "application/x-www-form-urlencoded-x", "*/*", None])

    def make():
        return Raw(_with(slack_headers(g.body, g.content_type), "Content-Type", kind), g.body.encode())
    return make


@mutation("a form labelled as JSON", 400)
def _form_as_json(g, rng, others):
    form = g if g.content_type == FORM else rng.choice([o for o in others if o.content_type == FORM])
    return lambda: Raw(_with(slack_headers(form.body, form.content_type), "Content-Type", JSON), form.body.encode())


@mutation("too big, saying its length", 413)
def _too_big(g, rng, others):
    padding = "&x=" + quote_plus("y" * (MAX_BODY + rng.randint(1, 1000)))
    return lambda: Raw(slack_headers(g.body + padding, g.content_type), (g.body + padding).encode())


@mutation("too big, sent in chunks", 413)
def _too_big_chunked(g, rng, others):
    size = rng.choice([1024, 65536, 300_000])

    def make():
        chunks = [g.body.encode()] + [b"y" * size] * (MAX_BODY // size + 2)
        return Raw(slack_headers(g.body, g.content_type), chunks=chunks)
    return make


@mutation("a length far beyond the body", 413)
def _length_lies_high(g, rng, others):
    length = str(rng.randint(MAX_BODY + 1, 10**12))
    return lambda: Raw(slack_headers(g.body, g.content_type) + [("Content-Length", length)], g.body.encode())


@mutation("a length that is not a number", 400)  # h11, under uvicorn, refuses these itself
def _length_not_a_number(g, rng, others):
    length = rng.choice(["abc", "-1", "1e3", "12 34", "0x10", ""])
    return lambda: Raw(slack_headers(g.body, g.content_type) + [("Content-Length", length)], g.body.encode())


@mutation("a length and chunks both", 400)
def _length_and_chunks(g, rng, others):
    return lambda: Raw(slack_headers(g.body, g.content_type) + [("Content-Length", str(len(g.body)))],
                       chunks=[g.body.encode()])


# --- the test ---------------------------------------------------------------------------------------------------


def mutated(genuine: list[Genuine], count: int) -> list[tuple[Mutation, Genuine, Make]]:
    """`count` mutated requests: every mutation in turn, on a genuine request chosen at random."""
    rng = random.Random(SEED)
    made = []
    for n in range(count):
        how = MUTATIONS[n % len(MUTATIONS)]
        g = rng.choice(genuine)
        made.append((how, g, how.make(g, rng, genuine)))
    return made


def test_mutated_signed_requests_are_all_refused_and_run_no_listener(slack, caplog, capsys):
    genuine = genuine_requests(slack)
    slack.standin.calls.clear()
    before = rows(slack.store)
    caplog.set_level(logging.WARNING)
    requests = mutated(genuine, COUNT)

    with Pool(slack.http.port) as pool:
        statuses = pool.send_all([make for _, _, make in requests])

        histogram = Counter(statuses)
        with capsys.disabled():
            print(f"\n{len(statuses)} mutated requests over {len(MUTATIONS)} kinds of mutation; statuses: "
                  + ", ".join(f"{status}×{n}" for status, n in sorted(histogram.items())))
        wrong = Counter((how.name, g.name, status) for (how, g, _), status in zip(requests, statuses)
                        if status not in how.expect)
        assert not wrong, f"answered otherwise than expected (mutation, request, status): {wrong.most_common(20)}"
        assert all(400 <= status < 500 for status in statuses)
        assert slack.standin.calls == []  # no listener ran: nothing reached Slack's Web API...
        assert rows(slack.store) == before  # ...and nothing reached the database
        assert not [r for r in caplog.records if r.levelno >= logging.ERROR], "something failed inside walkbot"

        # The same requests as Slack sent them still work, each leaving its mark.
        for g in genuine:
            calls, tables = len(slack.standin.calls), rows(slack.store)
            assert pool.send(as_sent(g)) == 200, g.name
            assert len(slack.standin.calls) > calls or rows(slack.store) != tables, f"{g.name} did nothing"


# --- each hole the mutations found, on its own ------------------------------------------------------------------
# slack_sdk's verifier raised on the first three; the app's error handler caught that and answered 200, as for
# a listener that failed. In the last three, a proxy in front of walkbot and walkbot could read different copies.

def _decoy_then(name: str, decoy: str):
    def change(headers: list) -> list:
        return _with(headers, name, None) + [(name, decoy), (name, dict(headers)[name])]
    return change


ONCE_ANSWERED_200 = {
    "a timestamp in superscript digits": (401, lambda h: _with(h, "X-Slack-Request-Timestamp", b"\xb2\xb3")),
    "a timestamp of five thousand digits": (401, lambda h: _with(h, "X-Slack-Request-Timestamp", "1" * 5000)),
    "a signature outside ASCII": (401, lambda h: _with(h, "X-Slack-Signature", b"v0=\xe9" + b"0" * 63)),
    "the genuine signature after a decoy": (400, _decoy_then("X-Slack-Signature", "v0=" + "0" * 64)),
    "Slack's content type after another": (400, _decoy_then("Content-Type", "text/plain")),
}


@pytest.mark.parametrize("how", ONCE_ANSWERED_200)
def test_headers_slack_never_sends_are_refused_not_answered(slack, caplog, how):
    status, change = ONCE_ANSWERED_200[how]
    [proposal] = [g for g in genuine_requests(slack) if g.name == "a typed proposal"]
    slack.standin.calls.clear()
    before = rows(slack.store)
    with Pool(slack.http.port, workers=1) as pool:
        assert pool.send(Raw(change(slack_headers(proposal.body, FORM)), proposal.body.encode())) == status
        assert slack.standin.calls == [] and rows(slack.store) == before
        assert "listener failed" not in caplog.text
        assert pool.send(as_sent(proposal)) == 200
    assert rows(slack.store) != before


def test_a_length_and_chunks_both_are_refused(slack):
    """Which of the two says where the body ends is the oldest request-smuggling trick: neither is trusted."""
    [proposal] = [g for g in genuine_requests(slack) if g.name == "a typed proposal"]
    before = rows(slack.store)
    with Pool(slack.http.port, workers=1) as pool:
        headers = slack_headers(proposal.body, FORM) + [("Content-Length", str(len(proposal.body)))]
        assert pool.send(Raw(headers, chunks=[proposal.body.encode()])) == 400
    assert rows(slack.store) == before
