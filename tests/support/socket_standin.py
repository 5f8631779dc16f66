"""A local stand-in for Slack's Socket Mode server: one WebSocket on 127.0.0.1, port 0.

Point the Web API stand-in's apps.connections.open at `url`; once walkbot connects, `deliver` hands
it an envelope (as Slack would: a slash command, an action...) and returns walkbot's answer to it.
Only what slack_sdk's built-in client uses is spoken: the handshake, text frames, ping/pong, close.
"""
from __future__ import annotations

import base64
import hashlib
import json
import queue
import socket
import struct
import threading

_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"  # RFC 6455
TEXT, CLOSE, PING, PONG = 0x1, 0x8, 0x9, 0xA


class SocketModeStandIn:
    def __init__(self):
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._answers: queue.Queue[dict] = queue.Queue()
        self._connected = threading.Event()
        self._conn: socket.socket | None = None
        self._send_lock = threading.Lock()
        threading.Thread(target=self._serve, daemon=True).start()

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self._listener.getsockname()[1]}/link/?ticket=test"

    def deliver(self, envelope: dict, timeout: float = 30) -> dict:
        """Send one envelope once walkbot is connected; wait for the message that answers it."""
        if not self._connected.wait(timeout):
            raise TimeoutError("walkbot never connected over Socket Mode")
        self._send(TEXT, json.dumps(envelope).encode())
        while True:
            answer = self._answers.get(timeout=timeout)
            if answer.get("envelope_id") == envelope["envelope_id"]:
                return answer

    def close(self) -> None:
        self._listener.close()
        if self._conn:
            self._conn.close()

    def _serve(self) -> None:
        conn, _ = self._listener.accept()
        request = b""
        while b"\r\n\r\n" not in request:
            request += conn.recv(4096)
        key = next(line.split(":", 1)[1].strip() for line in request.decode().split("\r\n")
                   if line.lower().startswith("sec-websocket-key:"))
        accept = base64.b64encode(hashlib.sha1((key + _GUID).encode()).digest()).decode()
        conn.sendall(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                      f"Sec-WebSocket-Accept: {accept}\r\n\r\n").encode())
        self._conn = conn
        self._send(TEXT, json.dumps({"type": "hello", "num_connections": 1}).encode())
        self._connected.set()
        try:
            while True:
                opcode, payload = self._read_frame(conn)
                if opcode == TEXT:
                    self._answers.put(json.loads(payload))
                elif opcode == PING:
                    self._send(PONG, payload)
                elif opcode == CLOSE:
                    return
        except OSError:  # walkbot went away, or close()
            return

    def _send(self, opcode: int, payload: bytes) -> None:
        # Server frames are not masked; lengths up to 64 KiB are all this needs.
        header = bytes([0x80 | opcode]) + (bytes([len(payload)]) if len(payload) < 126
                                           else bytes([126]) + struct.pack("!H", len(payload)))
        with self._send_lock:
            self._conn.sendall(header + payload)

    @staticmethod
    def _read_frame(conn: socket.socket) -> tuple[int, bytes]:
        def exactly(n: int) -> bytes:
            data = b""
            while len(data) < n:
                chunk = conn.recv(n - len(data))
                if not chunk:
                    raise ConnectionError("closed")
                data += chunk
            return data

        first, second = exactly(2)
        length = second & 0x7F
        if length == 126:
            length = struct.unpack("!H", exactly(2))[0]
        elif length == 127:
            length = struct.unpack("!Q", exactly(8))[0]
        mask = exactly(4) if second & 0x80 else b"\0\0\0\0"  # client frames are masked
        payload = bytes(b ^ mask[i % 4] for i, b in enumerate(exactly(length)))
        return first & 0x0F, payload
