"""The one per-process cache utility: a bounded, thread-safe map that forgets its least recently
used entry past its size. Every cache of compiled things (prepared tables, saved-query plans,
Where conditions, cursor keys) is one of these, so each is bounded the same way and a test can
empty it the same way (`clear`).

Values are built outside the lock (`get_or_make`): building may be slow (sqlglot) and two
threads building the same key at once both get a correct value; the later one is kept.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class LruCache(Generic[K, V]):
    """At most `size` entries; `on_evict(key, value)` runs (outside the lock) for each entry the
    cache forgets because it is full, e.g. to close what the value holds."""

    def __init__(self, size: int, on_evict: Callable[[K, V], None] | None = None) -> None:
        if size < 1:
            raise ValueError("an LruCache holds at least one entry")
        self.size = size
        self._on_evict = on_evict
        self._entries: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        """The value, now the most recently used; None when absent."""
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
            return found

    def put(self, key: K, value: V) -> None:
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            evicted = [self._entries.popitem(last=False) for _ in range(self._excess())]
        if self._on_evict is not None:
            for old_key, old_value in evicted:
                self._on_evict(old_key, old_value)

    def get_or_make(self, key: K, make: Callable[[], V]) -> V:
        """The cached value, else `make()` (run outside the lock) cached and returned."""
        found = self.get(key)
        if found is None:
            found = make()
            self.put(key, found)
        return found

    def pop(self, key: K) -> V | None:
        """Forget `key` (no eviction hook: the caller has the value)."""
        with self._lock:
            return self._entries.pop(key, None)

    def remove_if(self, stale: Callable[[K, V], bool]) -> int:
        """Forget every entry `stale(key, value)` says is stale (no eviction hook: the caller
        decided); how many went."""
        with self._lock:
            keys = [key for key, value in self._entries.items() if stale(key, value)]
            for key in keys:
                del self._entries[key]
            return len(keys)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def __contains__(self, key: object) -> bool:
        with self._lock:
            return key in self._entries

    def _excess(self) -> int:
        return max(0, len(self._entries) - self.size)
