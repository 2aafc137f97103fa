"""A large batch takes another path than a small one (PostgreSQL: binary COPY into a temporary
table and one INSERT … SELECT … ON CONFLICT, ddl/pg_copy.py; SQLite: the same executemany):
values, counts and keys must be exactly what the small path gives, on every backend."""

from __future__ import annotations

from typing import Any

import pytest

from ddl.pg_copy import COPY_MIN_ROWS
from tests.conftest import Api
from tests.test_write_paths import CANONICAL, COLUMNS

ROWS = COPY_MIN_ROWS * 3


def _table(api: Api, name: str) -> None:
    columns = [{"ColumnName": n, "ColumnDataTypeId": t} for n, t in COLUMNS]
    columns[11]["ColumnLength"] = 20
    body = {"KeyColumnName": "Id", "KeyDataTypeId": 3, "Columns": columns}
    assert api.post(f"custom-tables/{name}", json=body).status_code == 201


def _row(key: int, names: list[str]) -> dict[str, Any]:
    values = dict(CANONICAL, I=key, V50=f"row {key}", M=key + 0.25)
    return {"KeyValue": key, "Columns": [{"ColumnName": n, "Value": values[n]} for n in names]}


def _batch(first: int, count: int) -> list[dict[str, Any]]:
    """Rows of three column sets (all columns, two, none) and a null, in request order."""
    every = [name for name, _ in COLUMNS]
    rows = []
    for key in range(first, first + count):
        names = every if key % 3 == 0 else ["V50", "M"] if key % 3 == 1 else []
        row = _row(key, names)
        if key % 7 == 0 and names:
            row["Columns"][0]["Value"] = None
        rows.append(row)
    return rows


def _write(api: Api, table: str, rows: list[dict[str, Any]]) -> dict[str, Any]:
    response = api.put(
        f"custom-tables/{table}/rows", json={"OperationType": "UpsertMany", "UpsertManyModel": rows}
    )
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def _all(api: Api, table: str) -> list[dict[str, Any]]:
    response = api.get(f"custom-tables/{table}/rows/values", params={"Format": "flat"})
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def test_large_batch_stores_what_small_batches_store(api: Api) -> None:
    _table(api, "Large")
    _table(api, "Small")
    first = _batch(1, ROWS)
    second = _batch(ROWS // 2, ROWS)  # half of it updates, half inserts
    large = [_write(api, "Large", first), _write(api, "Large", second)]
    small: list[dict[str, Any]] = []
    for rows in (first, second):
        parts = [_write(api, "Small", [row]) for row in rows]
        small.append({
            "Inserted": sum(p["Inserted"] for p in parts),
            "Updated": sum(p["Updated"] for p in parts),
            "KeyValues": [key for p in parts for key in p["KeyValues"]],
        })  # fmt: skip
    assert large == small
    assert (large[0]["Inserted"], large[0]["Updated"]) == (ROWS, 0)
    overlap = ROWS - ROWS // 2 + 1  # keys ROWS // 2 … ROWS
    assert (large[1]["Inserted"], large[1]["Updated"]) == (ROWS - overlap, overlap)
    stored = _all(api, "Large")
    assert stored == _all(api, "Small")
    assert len(stored) == 2 * ROWS - overlap
    by_key = {row["Id"]: row for row in stored}
    assert by_key[3]["D"] == "2026-01-15T08:00:00Z"
    assert by_key[3]["M"] == 3.25
    assert by_key[4]["V50"] == "row 4"
    assert by_key[4]["B"] is None
    assert by_key[7]["V50"] is None  # a null written through the large path


def test_large_batch_with_a_key_twice_keeps_the_later_values(api: Api) -> None:
    _table(api, "Twice")
    rows = [*_batch(1, ROWS), _row(5, ["V50"])]
    rows[-1]["Columns"][0]["Value"] = "later"
    result = _write(api, "Twice", rows)
    assert (result["Inserted"], result["Updated"]) == (ROWS, 0)
    assert len(result["KeyValues"]) == ROWS + 1
    by_key = {row["Id"]: row for row in _all(api, "Twice")}
    assert by_key[5]["V50"] == "later"


@pytest.mark.parametrize("bad", [{"ColumnName": "V50", "Value": "x" * 51}])
def test_large_batch_with_one_bad_row_writes_nothing(api: Api, bad: dict[str, Any]) -> None:
    _table(api, "Refused")
    rows = _batch(1, ROWS)
    rows[-1]["Columns"] = [bad]
    response = api.put(
        "custom-tables/Refused/rows", json={"OperationType": "UpsertMany", "UpsertManyModel": rows}
    )
    assert response.status_code == 400
    assert f"row {ROWS - 1}" in response.json()["Message"].lower()
    assert _all(api, "Refused") == []
