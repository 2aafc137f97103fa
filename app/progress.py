"""A one-line progress bar for the command line (rows done / total, rate), drawn on stderr only
when stderr is a terminal, so scripts and logs get quiet output."""

from __future__ import annotations

import sys
import time
from typing import TextIO

WIDTH = 30
REDRAW_SECONDS = 0.1


class ProgressBar:
    def __init__(self, label: str, total: int | None, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty()
        self.label = label
        self.total = total
        self.started = time.monotonic()
        self.drawn = 0.0
        self.done = 0

    def update(self, done: int) -> None:
        self.done = done
        now = time.monotonic()
        if self.enabled and now - self.drawn >= REDRAW_SECONDS:
            self.drawn = now
            self._draw(now)

    def _draw(self, now: float) -> None:
        elapsed = max(now - self.started, 1e-9)
        rate = self.done / elapsed
        if self.total:
            share = min(self.done / self.total, 1.0)
            filled = int(share * WIDTH)
            bar = "#" * filled + "-" * (WIDTH - filled)
            text = f"{self.label} [{bar}] {self.done:,} / {self.total:,} rows {share:6.1%}"
        else:
            text = f"{self.label} {self.done:,} rows"
        self.stream.write(f"\r{text}  {rate:,.0f} rows/s ")
        self.stream.flush()

    def finish(self, message: str = "") -> None:
        """Draw the final state and end its line, then `message` if any (on a terminal only)."""
        if not self.enabled:
            return
        self._draw(time.monotonic())
        self.stream.write(f"\n{message}\n" if message else "\n")
        self.stream.flush()
