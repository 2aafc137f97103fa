"""What SQL Server's arithmetic costs on SQLite (issue 13): the same T-SQL rendered by our
dialect (zero divisors fail, DECIMAL results at SQL Server's scale, text read as numbers by
SQL Server's rules) against the stock sqlglot rendering, over 200,000 rows, in one run.

    .venv/bin/python -m bench.tsql_arithmetic

Prints the median of 5 runs per query and the ratio ours / stock (timings on a shared machine
are noisy: compare the ratios, not the seconds).
"""

from __future__ import annotations

import sqlite3
import statistics
import time

import sqlglot
from sqlglot.optimizer.annotate_types import annotate_types
from sqlglot.optimizer.qualify import qualify
from sqlglot.schema import MappingSchema

from ddl import collation
from queries import collate
from queries.dialects import decimals, sqlite_functions, target

ROWS = 200_000
SCHEMA = MappingSchema(
    {"t": {"qty": "BIGINT", "qty2": "BIGINT", "price": "DECIMAL(19, 4)", "name": "NVARCHAR(50)"}},
    dialect="cttsql",
)
QUERIES = {
    "int / int column": "SELECT SUM(qty / qty2) FROM t",
    "int / constant": "SELECT SUM(qty / 3) FROM t",
    "money * int": "SELECT SUM(price * qty) FROM t",
    "money / int": "SELECT SUM(price / qty2) FROM t",
    "money / constant": "SELECT SUM(price / 3) FROM t",
    "(10,2) / (10,2)": "SELECT SUM(CAST(price AS DECIMAL(10, 2)) / CAST(qty2 AS DECIMAL(10, 2))) "
    "FROM t",
    "int % column": "SELECT SUM(qty % qty2) FROM t",
    "float arithmetic": "SELECT SUM(CAST(qty AS FLOAT) / qty2) FROM t",
    "LIKE plain": "SELECT COUNT(*) FROM t WHERE name LIKE 'ab%'",
    "LIKE class": "SELECT COUNT(*) FROM t WHERE name LIKE '[a-c]b%'",
}


def connection() -> sqlite3.Connection:
    conn = sqlite3.connect(":memory:")
    sqlite_functions.register(conn)
    collation.register_sqlite(conn)
    conn.execute("CREATE TABLE t (qty INTEGER, qty2 INTEGER, price REAL, name TEXT)")
    conn.executemany(
        "INSERT INTO t VALUES (?, ?, ?, ?)",
        ((i % 97, i % 13 + 1, (i % 1000) / 100, f"{'abc'[i % 3]}b{i}") for i in range(ROWS)),
    )
    return conn


def rendered(sql: str) -> tuple[str, str]:
    """(ours, stock sqlglot) SQLite text of a T-SQL query."""
    tree = qualify(sqlglot.parse_one(sql, read="cttsql"), schema=SCHEMA, dialect="cttsql")
    annotate_types(tree, schema=SCHEMA, dialect="cttsql")
    stock = tree.sql(dialect="sqlite")
    decimals.annotate(tree)
    tree = collate.apply(tree, "sqlite", "main")  # LIKE and text comparison, as plan.py does
    return tree.sql(dialect=target("sqlite")), stock


def timed(conn: sqlite3.Connection, sql: str) -> float:
    samples = []
    for _ in range(5):
        started = time.perf_counter()
        conn.execute(sql).fetchall()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def main() -> None:
    conn = connection()
    for label, sql in QUERIES.items():
        ours, stock = rendered(sql)
        mine, theirs = timed(conn, ours), timed(conn, stock)
        print(f"{label:18} ours {mine * 1000:7.1f} ms  stock {theirs * 1000:7.1f} ms  "
              f"ratio {mine / theirs:4.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
