"""A check that rides in a write's own transaction: a read sent in the same round trip as the
write's catalog read, and a verdict on its row given before anything is written.

The app layer uses it to check an access token inside the write it authorises (app/tokens.py):
on a server database every round trip costs more than the read itself."""

from __future__ import annotations

from typing import Any, Protocol

from ddl.driver_sql import Read


class Guard(Protocol):
    """`read` runs first in the write's transaction; `check` gets its row (None: no row) and
    raises to refuse the write, which then rolls back."""

    @property
    def read(self) -> Read: ...

    def check(self, row: tuple[Any, ...] | None) -> None: ...
