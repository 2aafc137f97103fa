"""Cost of SQL Server's collation on SQLite: ordering 100,000 text values by the collation's
key (`ct_sortkey`, as saved queries and the rows API do) against binary (code-point) order, and,
for comparison, through the comparison callback `CT_CI_AS` alone. The goal (issue 13) is the key
within 3x of binary order. Each figure is the median of several runs of the whole statement,
rows fetched into Python, with the key cache emptied before each run (no run reuses keys).

    .venv/bin/python -m bench.collation [ROWS]
"""

from __future__ import annotations

import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from ddl import collation
from ddl.backends.sqlite import sqlite_engine

RUNS = 5
_LETTERS = "abcdefghijklmnopqrstuvwxyz"
_ACCENTED = "éèêëáàâäåíìîïóòôöõúùûüçñ"


def _word(rng: random.Random) -> str:
    """A name-like value: mixed case, some accents, some hyphens, apostrophes and spaces."""
    length = rng.randint(3, 14)
    letters = [
        rng.choice(_ACCENTED) if rng.random() < 0.05 else rng.choice(_LETTERS)
        for _ in range(length)
    ]
    if rng.random() < 0.5:
        letters[0] = letters[0].upper()
    if rng.random() < 0.1:
        letters.insert(rng.randint(1, length - 1), rng.choice("-' "))
    return "".join(letters)


def _time(conn: object, sql: str) -> float:
    timings = []
    for _ in range(RUNS):
        collation._cached_key.cache_clear()  # the callback's cache
        start = time.perf_counter()
        rows = conn.exec_driver_sql(sql).fetchall()  # type: ignore[attr-defined]
        timings.append(time.perf_counter() - start)
        assert rows
    return statistics.median(timings)


def main(count: int) -> None:
    rng = random.Random(13)
    with tempfile.TemporaryDirectory() as directory:
        engine = sqlite_engine(Path(directory) / "bench.db")
        with engine.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE words (id INTEGER PRIMARY KEY, w TEXT)")
            conn.exec_driver_sql(
                "INSERT INTO words (w) VALUES (?)", [(_word(rng),) for _ in range(count)]
            )
        with engine.connect() as conn:
            binary = _time(conn, "SELECT w FROM words ORDER BY w")
            keyed = _time(conn, "SELECT w FROM words ORDER BY ct_sortkey(w) COLLATE BINARY")
            callback = _time(conn, "SELECT w FROM words ORDER BY w COLLATE CT_CI_AS")
            grouped = _time(conn, "SELECT COUNT(*) FROM words GROUP BY w COLLATE CT_CI_AS")
        engine.dispose()
    print(f"{count:,} values, median of {RUNS} runs")
    print(f"binary order            {binary * 1000:8.1f} ms")
    print(f"collation key           {keyed * 1000:8.1f} ms  ({keyed / binary:.2f}x binary)")
    print(f"comparison callback     {callback * 1000:8.1f} ms  ({callback / binary:.2f}x binary)")
    print(f"GROUP BY with callback  {grouped * 1000:8.1f} ms")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
