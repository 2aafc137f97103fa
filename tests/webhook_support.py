"""A real HTTP receiver for webhook tests (a small threaded server on a free loopback port),
and the signature check a receiver does (the README's recipe)."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    at: float
    status: int

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def event_id(self) -> str:
        return self.headers["x-customtables-event-id"]


@dataclass
class Receiver:
    url: str
    requests: list[Received] = field(default_factory=list)
    # statuses to answer in turn (the last one repeats); a callable decides per request
    statuses: list[int] = field(default_factory=lambda: [200])
    delay: float = 0.0
    in_flight: dict[str, int] = field(default_factory=dict)
    overlaps: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    before_answer: Callable[[Received], None] | None = None

    def wait_for(self, count: int, timeout: float = 20.0, status: int | None = None) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                got = [r for r in self.requests if status is None or r.status == status]
            if len(got) >= count:
                return
            time.sleep(0.02)
        raise AssertionError(f"expected {count} deliveries, got {len(self.requests)}")

    def delivered(self) -> list[Received]:
        with self.lock:
            return [r for r in self.requests if 200 <= r.status < 300]


def verify(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """What a receiver does: HMAC-SHA256 of "<timestamp>.<body>" with the secret."""
    timestamp = headers["x-customtables-timestamp"]
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    given = headers["x-customtables-signature"].removeprefix("sha256=")
    return hmac.compare_digest(expected.hexdigest(), given)


@contextmanager
def receiver(path: str = "/hook") -> Iterator[Receiver]:
    state = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            headers = {k.lower(): v for k, v in self.headers.items()}
            event_id = headers.get("x-customtables-event-id", "")
            with state.lock:
                index = len(state.requests)
                status = state.statuses[min(index, len(state.statuses) - 1)]
                record = Received(headers, body, time.time(), status)
                if state.in_flight.get(event_id):
                    state.overlaps.append(event_id)
                state.in_flight[event_id] = state.in_flight.get(event_id, 0) + 1
            try:
                if state.before_answer is not None:
                    state.before_answer(record)
                if state.delay:
                    time.sleep(state.delay)
                with state.lock:
                    state.requests.append(record)
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")
            finally:
                with state.lock:
                    state.in_flight[event_id] -= 1

        def log_message(self, *_: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.url = f"http://127.0.0.1:{server.server_address[1]}{path}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
