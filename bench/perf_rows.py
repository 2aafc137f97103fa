"""The rows and request bodies of bench/perf.py: 6 columns with a UniqueIdentifier key, Money
and Date, as the issue measured them."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import msgspec

TABLE = "Bench"
TABLE_DEFINITION = {
    "KeyColumnName": "Oid",
    "KeyDataTypeId": 9,
    "Columns": [
        {"ColumnName": "Name", "ColumnDataTypeId": 6},
        {"ColumnName": "Category", "ColumnDataTypeId": 5},
        {"ColumnName": "Price", "ColumnDataTypeId": 4},
        {"ColumnName": "Quantity", "ColumnDataTypeId": 3},
        {"ColumnName": "Made", "ColumnDataTypeId": 1},
    ],
}
COLUMNS = ("Oid", "Name", "Category", "Price", "Quantity", "Made")
_EPOCH = datetime(2020, 1, 1)


def made(i: int, round_: int) -> str:
    return (_EPOCH + timedelta(minutes=i * 7 + round_)).isoformat()


def make_rows(count: int, round_: int) -> list[dict[str, object]]:
    return [
        {
            "Oid": str(uuid.UUID(int=i + 1)),
            "Name": f"Product {i} r{round_}",
            "Category": f"Cat {i % 17}",
            "Price": round(i * 1.37 + round_, 2),
            "Quantity": i * 3 + round_,
            "Made": made(i, round_),
        }
        for i in range(count)
    ]


def _model(row: dict[str, object]) -> dict[str, object]:
    return {
        "KeyColumnName": "Oid",
        "KeyValue": row["Oid"],
        "KeyDataTypeId": 9,
        "Columns": [{"ColumnName": k, "Value": v} for k, v in row.items() if k != "Oid"],
    }


def upsert_body(rows: list[dict[str, object]]) -> bytes:
    return msgspec.json.encode(
        {"OperationType": "UpsertMany", "UpsertManyModel": [_model(row) for row in rows]}
    )


def update_body(key: str, i: int) -> bytes:
    """A single-row Update of two columns (Price and Made) of an existing row."""
    return msgspec.json.encode(
        {
            "OperationType": "Update",
            "UpdateModel": {
                "KeyColumnName": "Oid",
                "KeyValue": key,
                "Columns": [
                    {"ColumnName": "Price", "Value": round(i * 0.25, 2)},
                    {"ColumnName": "Made", "Value": made(i, 1)},
                ],
            },
        }
    )
