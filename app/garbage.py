"""Collecting what closed tenant spaces leave behind.

A closed space's engine, pool and prepared tables (with their msgspec row classes) are
reference cycles, so only the cyclic collector frees them, and by then they are old: the server
collects the oldest generation rarely (app/cli.py `tune_gc`, which batch writes need). Touching
1,000 tenants with 64 open then grew the server by ~100 MB. So after spaces were closed, a full
collection runs, at most once per `every_seconds` (it walks every object not frozen at start,
a fraction of a second), and never while no space closes (up to 64 tenants: never).
"""

from __future__ import annotations

import gc
import threading
import time


class ClosedSpaceCollector:
    def __init__(self, every_seconds: float = 30.0) -> None:
        self.every_seconds = every_seconds
        self._closed = 0
        self._last = time.monotonic()
        self._lock = threading.Lock()

    def closed(self) -> None:
        with self._lock:
            self._closed += 1

    def collect_if_due(self) -> None:
        with self._lock:
            due = self._closed > 0 and time.monotonic() - self._last >= self.every_seconds
            if due:
                self._closed, self._last = 0, time.monotonic()
        if due:
            gc.collect()
