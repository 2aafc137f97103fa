"""ddl/cache.py: the one bounded LRU every per-process cache uses."""

from __future__ import annotations

import threading

import pytest

from ddl.cache import LruCache


def test_forgets_the_least_recently_used_and_tells_the_hook() -> None:
    evicted: list[tuple[str, int]] = []
    cache: LruCache[str, int] = LruCache(2, on_evict=lambda k, v: evicted.append((k, v)))
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1  # "a" is now the most recent: "b" goes first
    cache.put("c", 3)
    assert evicted == [("b", 2)]
    assert "b" not in cache
    assert cache.get("a") == 1
    assert cache.get("c") == 3
    assert len(cache) == 2


def test_get_or_make_builds_once_and_pop_skips_the_hook() -> None:
    calls: list[str] = []
    evicted: list[str] = []
    cache: LruCache[str, str] = LruCache(4, on_evict=lambda k, _v: evicted.append(k))

    def make() -> str:
        calls.append("x")
        return "built"

    assert cache.get_or_make("k", make) == "built"
    assert cache.get_or_make("k", make) == "built"
    assert calls == ["x"]
    assert cache.pop("k") == "built"
    assert cache.pop("k") is None
    cache.put("z", "1")
    cache.clear()
    assert len(cache) == 0
    assert evicted == []


def test_stays_bounded_under_threads() -> None:
    cache: LruCache[int, int] = LruCache(50)

    def fill(start: int) -> None:
        for i in range(start, start + 500):
            cache.get_or_make(i, lambda i=i: i * 2)

    threads = [threading.Thread(target=fill, args=(n * 500,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(cache) == 50
    kept = [i for i in range(4000) if i in cache]
    assert len(kept) == 50
    assert all(cache.get(i) == i * 2 for i in kept)


def test_a_cache_holds_at_least_one_entry() -> None:
    with pytest.raises(ValueError, match="at least one"):
        LruCache(0)


def test_remove_if_forgets_only_the_stale_entries() -> None:
    evicted: list[str] = []
    cache: LruCache[str, int] = LruCache(8, on_evict=lambda k, _v: evicted.append(k))
    for name, value in (("a", 1), ("b", 2), ("c", 3)):
        cache.put(name, value)
    assert cache.remove_if(lambda _k, v: v % 2 == 1) == 2
    assert "b" in cache
    assert "a" not in cache
    assert "c" not in cache
    assert evicted == []
