"""Hostile requests at speed: raw HTTP requests (any headers, duplicated or odd; any body; chunked) sent
over keep-alive connections from a few threads, so a thousand of them take seconds, not minutes.

    with serving(SlackHttp(bolt=app)) as http, Pool(http.port) as pool:
        statuses = pool.send_all([Raw(headers=[("Content-Type", "text/plain")], body=b"x"), ...])

tests/support/live.py's Client opens a connection per request and lets http.client choose the framing; here the
test says every header byte, which is what mutated requests need.
"""
from __future__ import annotations

import http.client
import itertools
import select
import socket
import threading
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from handlers.slack.server import EVENTS_PATH

PIECE = 1 << 16  # bodies go out in pieces this big, checking between them whether the answer has come
PATIENCE = 1.0  # seconds a big body waits for an answer to its headers alone (as curl waits on Expect)
ATTEMPTS = 3

# What a client sees when the server answers and closes before reading all that was sent: a 413 for a body
# too big arrives, and the connection is reset under it. The request is sent again to see its answer.
_CUT_OFF = (BrokenPipeError, ConnectionResetError, ConnectionAbortedError, http.client.RemoteDisconnected)


@dataclass
class Raw:
    """One request exactly as it goes on the wire: headers in order (repeats allowed), values as str
    (sent as Latin-1) or bytes. With `chunks`, the body goes chunked (with Transfer-Encoding: chunked)."""

    headers: list[tuple[str, str | bytes]] = field(default_factory=list)
    body: bytes = b""
    chunks: Iterable[bytes] | None = None
    method: str = "POST"
    path: str = EVENTS_PATH

    def declares_length(self) -> bool:
        return any(name.lower() == "content-length" for name, _ in self.headers)

    def wire_body(self) -> Iterator[bytes]:
        """The body's bytes as sent, chunk framing included, in pieces of at most PIECE bytes."""
        if self.chunks is None:
            yield from (self.body[at:at + PIECE] for at in range(0, len(self.body), PIECE))
            return
        framed = itertools.chain.from_iterable(
            (b"%X\r\n" % len(chunk), chunk, b"\r\n") for chunk in self.chunks if chunk)
        pending = bytearray()
        for part in itertools.chain(framed, [b"0\r\n\r\n"]):
            pending += part
            while len(pending) >= PIECE:
                yield bytes(pending[:PIECE])
                del pending[:PIECE]
        if pending:
            yield bytes(pending)


class Pool:
    """Keep-alive connections to 127.0.0.1:`port`, one per worker thread."""

    def __init__(self, port: int, workers: int = 8):
        self.port = port
        self._local = threading.local()
        self._workers = ThreadPoolExecutor(workers, thread_name_prefix="hostile")

    def __enter__(self) -> "Pool":
        return self

    def __exit__(self, *exc) -> None:
        self._workers.shutdown()

    def send_all(self, requests: Sequence) -> list[int]:
        """Statuses in the order of `requests`; each item is a Raw, or a callable making one when it is sent
        (so that a timestamp is taken at the moment of sending)."""
        return list(self._workers.map(self.send, requests))

    def send(self, request) -> int:
        for attempt in range(1, ATTEMPTS + 1):
            raw = request() if callable(request) else request
            try:
                return self._exchange(self._connection(), raw)
            except (http.client.HTTPException, OSError) as error:
                # Also when the server has closed a kept-alive connection meanwhile: again, on a fresh one.
                self._drop()
                if attempt == ATTEMPTS or not isinstance(error, _CUT_OFF):
                    raise
        raise AssertionError("unreachable")

    def _exchange(self, conn: http.client.HTTPConnection, raw: Raw) -> int:
        conn.putrequest(raw.method, raw.path, skip_accept_encoding=True)
        for name, value in raw.headers:
            conn.putheader(name, value)
        if raw.chunks is not None:
            conn.putheader("Transfer-Encoding", "chunked")
        elif not raw.declares_length():
            conn.putheader("Content-Length", str(len(raw.body)))
        conn.endheaders()
        declared = dict((n.lower(), v) for n, v in raw.headers).get("content-length", str(len(raw.body)))
        patience = PATIENCE if raw.chunks is None and str(declared).isdigit() and int(declared) > PIECE else 0
        whole = True
        try:
            for n, piece in enumerate(raw.wire_body()):
                if select.select([conn.sock], [], [], patience if n == 0 else 0)[0]:
                    whole = False  # answered already: what is left would go unread
                    break
                conn.sock.sendall(piece)
        except _CUT_OFF:
            whole = False  # the answer came before the whole body went: it may be waiting to be read
        if hasattr(socket, "TCP_QUICKACK"):
            # uvicorn writes an answer's head and body apart, and Nagle holds the body until the head is
            # acknowledged: acknowledging at once saves the 40 ms a kept-alive connection would wait.
            conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
        response = conn.getresponse()
        response.read()
        # A body not all sent, or a Content-Length the test chose (it may not match the body), would be
        # taken for the start of the next request on this connection.
        if response.will_close or not whole or raw.declares_length():
            self._drop()
        return response.status

    def _connection(self) -> http.client.HTTPConnection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        return conn

    def _drop(self) -> None:
        conn, self._local.conn = getattr(self._local, "conn", None), None
        if conn is not None:
            conn.close()
