"""The other side of each ratio in bench/perf.py: the plain driver on the same database
(sqlite3, or psycopg with COPY), and Datasette 1.0's upsert API on a copy of the rows."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol

import httpx
import msgspec
import psycopg

from bench.perf_rows import COLUMNS, made
from tests.live import free_port

PLAIN = "Plain"
_SET = ", ".join(f'"{c}" = excluded."{c}"' for c in COLUMNS[1:])
_NAMES = ", ".join(f'"{c}"' for c in COLUMNS)
SQLITE_DDL = (
    f'CREATE TABLE IF NOT EXISTS customtables."{PLAIN}" ("Oid" VARCHAR(36) PRIMARY KEY, '
    '"Name" VARCHAR(100), "Category" VARCHAR(50), "Price" DECIMAL_TEXT(19,4), '
    '"Quantity" BIGINT, "Made" DATETIME)'
)
PG_DDL = (
    f'CREATE TABLE customtables."{PLAIN}" ("Oid" uuid PRIMARY KEY, "Name" varchar(100), '
    '"Category" varchar(50), "Price" numeric(19,4), "Quantity" bigint, "Made" timestamp)'
)
PG_TYPES = ["uuid", "varchar", "varchar", "numeric", "int8", "timestamp"]


class Plain(Protocol):
    def upsert(self, rows: list[dict[str, Any]]) -> float: ...
    def read(self) -> float: ...
    def single_updates(self, keys: list[str], seconds: float) -> float: ...
    def fill_function(self) -> Callable[[str, int], None]: ...
    def close(self) -> None: ...


def _stored_rows(count: int) -> list[tuple[Any, ...]]:
    """Rows as SQLite stores them (Money text with 4 places, Date 'YYYY-MM-DD HH:MM:SS')."""
    return [
        (
            str(uuid.UUID(int=i + 1)),
            f"Product {i}",
            f"Cat {i % 17}",
            f"{i % 1000}.2500",
            i,
            made(i, 0).replace("T", " "),
        )
        for i in range(count)
    ]


_UPDATE_ONE = f'UPDATE customtables."{PLAIN}" SET "Price" = %s, "Made" = %s WHERE "Oid" = %s'


def _one_update(keys: list[str], i: int, native: bool = False) -> tuple[Any, ...]:
    """The values of the i-th single-row update: the same change the HTTP bench sends."""
    price, made_at, key = round(i * 0.25, 2), made(i, 1), keys[i % len(keys)]
    if native:
        return Decimal(str(price)), datetime.fromisoformat(made_at), uuid.UUID(key)
    return str(price), made_at, key


def _rate(step: Callable[[int], None], seconds: float) -> float:
    for i in range(50):  # warm
        step(i)
    done, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        step(done)
        done += 1
    return done / (time.perf_counter() - started)


class SqlitePlain:
    """sqlite3 on the server's own tenant file (WAL, synchronous=NORMAL as the server)."""

    def __init__(self, data: Path) -> None:
        self.file = data / "tenants" / "default.db"
        self.conn = self._connect()
        self.conn.execute(SQLITE_DDL)

    def _connect(self) -> Any:
        import sqlite3

        conn = sqlite3.connect(":memory:", isolation_level=None)
        conn.execute("ATTACH DATABASE ? AS customtables", (str(self.file),))
        conn.execute("PRAGMA customtables.synchronous=NORMAL")
        conn.execute("PRAGMA busy_timeout=30000")
        return conn

    def upsert(self, rows: list[dict[str, Any]]) -> float:
        statement = (
            f'INSERT INTO customtables."{PLAIN}" ({_NAMES}) VALUES (?, ?, ?, ?, ?, ?) '
            f'ON CONFLICT ("Oid") DO UPDATE SET {_SET}'
        )
        started = time.perf_counter()
        self.conn.execute("BEGIN IMMEDIATE")
        self.conn.executemany(
            statement,
            [
                (r["Oid"], r["Name"], r["Category"], str(r["Price"]), r["Quantity"], r["Made"])
                for r in rows
            ],
        )
        self.conn.execute("COMMIT")
        return time.perf_counter() - started

    def single_updates(self, keys: list[str], seconds: float) -> float:
        """Sequential one-row UPDATEs, each its own transaction, for `seconds`: per second."""

        def update(i: int) -> None:
            self.conn.execute("BEGIN IMMEDIATE")
            self.conn.execute(_UPDATE_ONE.replace("%s", "?"), _one_update(keys, i))
            self.conn.execute("COMMIT")

        return _rate(update, seconds)

    def read(self) -> float:
        encoder = msgspec.json.Encoder()
        started = time.perf_counter()
        cursor = self.conn.execute(f'SELECT * FROM customtables."{PLAIN}" ORDER BY "Oid"')
        names = [d[0] for d in cursor.description]
        encoder.encode([dict(zip(names, row, strict=True)) for row in cursor])
        return time.perf_counter() - started

    def fill_function(self) -> Callable[[str, int], None]:
        def fill(table: str, count: int) -> None:
            conn = self._connect()
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany(
                f'INSERT INTO customtables."{table}" ({_NAMES}) VALUES (?, ?, ?, ?, ?, ?)',
                _stored_rows(count),
            )
            conn.execute("COMMIT")
            conn.close()

        return fill

    def close(self) -> None:
        self.conn.close()


class PostgresPlain:
    """psycopg 3 on the server's database: COPY (binary) into a temporary table, then one
    INSERT … SELECT … ON CONFLICT DO UPDATE; reads fetch all rows and encode with msgspec."""

    def __init__(self, url: str) -> None:
        self.url = url.replace("postgresql+psycopg://", "postgresql://", 1)
        self.conn = psycopg.connect(self.url)
        self.conn.execute(PG_DDL)
        self.conn.commit()

    def upsert(self, rows: list[dict[str, Any]]) -> float:
        started = time.perf_counter()
        with self.conn.transaction(), self.conn.cursor() as cursor:
            cursor.execute(f'CREATE TEMP TABLE _load (LIKE customtables."{PLAIN}") ON COMMIT DROP')
            with cursor.copy(f"COPY _load ({_NAMES}) FROM STDIN (FORMAT BINARY)") as copy:
                copy.set_types(PG_TYPES)
                for r in rows:
                    copy.write_row(
                        (
                            uuid.UUID(r["Oid"]),
                            r["Name"],
                            r["Category"],
                            Decimal(str(r["Price"])),
                            r["Quantity"],
                            datetime.fromisoformat(r["Made"]),
                        )
                    )
            cursor.execute(
                f'INSERT INTO customtables."{PLAIN}" ({_NAMES}) SELECT {_NAMES} FROM _load '
                f'ON CONFLICT ("Oid") DO UPDATE SET {_SET}'
            )
        return time.perf_counter() - started

    def single_updates(self, keys: list[str], seconds: float) -> float:
        """Sequential one-row UPDATEs, each committed (durably, as the server's), for `seconds`."""

        def update(i: int) -> None:
            self.conn.execute(_UPDATE_ONE, _one_update(keys, i, native=True))
            self.conn.commit()

        return _rate(update, seconds)

    def read(self) -> float:
        encoder = msgspec.json.Encoder()
        started = time.perf_counter()
        with self.conn.cursor() as cursor:
            cursor.execute(f'SELECT * FROM customtables."{PLAIN}" ORDER BY "Oid"')
            names = [d[0] for d in cursor.description or ()]
            encoder.encode([dict(zip(names, row, strict=True)) for row in cursor])
        self.conn.commit()
        return time.perf_counter() - started

    def fill_function(self) -> Callable[[str, int], None]:
        url = self.url

        def fill(table: str, count: int) -> None:
            epoch = datetime(2020, 1, 1)
            with psycopg.connect(url) as conn, conn.cursor() as cursor:
                statement = f'COPY customtables."{table}" ({_NAMES}) FROM STDIN (FORMAT BINARY)'
                with cursor.copy(statement) as copy:
                    copy.set_types(PG_TYPES)
                    for i in range(count):
                        copy.write_row(
                            (
                                uuid.UUID(int=i + 1),
                                f"Product {i}",
                                f"Cat {i % 17}",
                                Decimal(f"{i % 1000}.25"),
                                i,
                                epoch + timedelta(minutes=7 * i),
                            )
                        )

        return fill

    def close(self) -> None:
        self.conn.close()


def datasette_available() -> bool:
    return importlib.util.find_spec("datasette") is not None


class Datasette:
    """Datasette 1.0 serving a copy of the table, written through its JSON upsert API with a
    root API token; `max_insert_rows` raised to the batch size."""

    def __init__(self, file: Path, batch: int) -> None:
        import sqlite3

        conn = sqlite3.connect(file)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(SQLITE_DDL.replace('customtables."Plain"', '"bench"'))
        conn.close()
        secret = "perf-bench-secret"
        env = {**os.environ, "DATASETTE_SECRET": secret}
        port = free_port()
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "datasette",
                "serve",
                str(file),
                "--port",
                str(port),
                "--root",
                "--setting",
                "max_insert_rows",
                str(batch),
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        token = subprocess.run(
            [sys.executable, "-m", "datasette", "create-token", "root", "--secret", secret],
            capture_output=True,
            text=True,
            check=True,
            env=env,
        ).stdout.strip()
        self.client = httpx.Client(
            base_url=f"http://127.0.0.1:{port}",
            headers={"Authorization": f"Bearer {token}"},
            timeout=300,
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                if self.client.get("/-/versions.json").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("datasette did not start")
            time.sleep(0.2)
        self.path = f"/{file.stem}/bench/-/upsert"

    def upsert(self, rows: list[dict[str, Any]]) -> float:
        body = msgspec.json.encode({"rows": [{**r, "Price": str(r["Price"])} for r in rows]})
        started = time.perf_counter()
        response = self.client.post(
            self.path, content=body, headers={"Content-Type": "application/json"}
        )
        elapsed = time.perf_counter() - started
        assert response.status_code == 200, response.text[:300]
        return elapsed

    def close(self) -> None:
        self.client.close()
        self.process.terminate()
        self.process.wait(10)
