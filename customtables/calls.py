"""The v3 calls as data (SPEC §4, §5, §10): what each client method sends and how it reads the
answer. Nothing here does I/O, so the sync and the async client share every line of it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx
import msgspec

from customtables.transport import Call
from customtables.values import Row, decode_exact, decoder_for, encode, key_text, row_decoder

V3 = "/api/v3"
ColumnSpec = int | tuple[int, int]


def table_path(name: str, suffix: str = "") -> str:
    """The route of a table; the name is quoted so no text can reach another route."""
    return f"{V3}/custom-tables/{quote(name, safe='')}{suffix}"


def _json(response: httpx.Response) -> Any:
    return msgspec.json.decode(response.content)


@dataclass(frozen=True)
class WriteResult:
    """What a save reported: rows inserted and updated, and their keys in request order."""

    inserted: int
    updated: int
    keys: list[Any]


class QueryRows(list[Row]):
    """The rows of a saved-query run, with the answer's `columns` ((name, type id) pairs) and
    whether the server cut them at its row or size limit (`truncated`)."""

    def __init__(
        self, rows: Iterable[Row], columns: list[tuple[str, int | None]], truncated: bool
    ) -> None:
        super().__init__(rows)
        self.columns = columns
        self.truncated = truncated


def list_tables() -> Call[list[dict[str, Any]]]:
    return Call("GET", f"{V3}/custom-tables", _json)


def get_definition(name: str) -> Call[dict[str, Any]]:
    return Call("GET", table_path(name), _json)


def _column(name: str, spec: ColumnSpec) -> dict[str, Any]:
    if isinstance(spec, tuple):
        type_id, length = spec
        return {"ColumnName": name, "ColumnDataTypeId": type_id, "ColumnLength": length}
    return {"ColumnName": name, "ColumnDataTypeId": spec}


def create_table(
    name: str,
    key: str,
    key_type: int,
    columns: Mapping[str, ColumnSpec],
    key_length: int | None = None,
) -> Call[dict[str, Any]]:
    body: dict[str, Any] = {
        "KeyColumnName": key,
        "KeyDataTypeId": key_type,
        "Columns": [_column(column, spec) for column, spec in columns.items()],
    }
    if key_length is not None:
        body["KeyColumnLength"] = key_length
    # Same name, same columns again is a no-op on the server, so a resend changes nothing.
    return Call("POST", table_path(name), _json, body=encode(body), idempotent=True)


def drop_table(name: str) -> Call[bool]:
    return Call("DELETE", table_path(name), lambda r: bool(_json(r)["Dropped"]))


def set_roles(table_id: str, read: Sequence[str], save: Sequence[str]) -> Call[dict[str, Any]]:
    body = encode({"ReadRoles": list(read), "SaveRoles": list(save)})
    return Call(
        "PUT", f"{V3}/custom-table-definitions/{quote(table_id, safe='')}", _json, body=body
    )


def _flat_row(answer: dict[str, Any]) -> Row:
    """The source's row shape → a dict keyed by column name, key included, values typed."""
    key_step = decoder_for(answer["KeyDataTypeId"])
    key = answer["KeyValue"]
    row: Row = {answer["KeyColumnName"]: key_step(key) if key_step and key is not None else key}
    for column in answer["Columns"]:
        step, value = decoder_for(column["ColumnDataTypeId"]), column["Value"]
        row[column["ColumnName"]] = step(value) if step and value is not None else value
    return row


def get_row(name: str, key: object) -> Call[Row]:
    params = {"KeyValue": key_text(key)}
    return Call(
        "GET", table_path(name, "/row"), lambda r: _flat_row(decode_exact(r.content)), params
    )


def _model(row: Mapping[str, Any], key: str) -> dict[str, Any]:
    """A flat row → an UpsertMany model; the key column is found whatever its case."""
    model: dict[str, Any] = {}
    columns = []
    folded = key.casefold()
    for name, value in row.items():
        if name.casefold() == folded:
            model["KeyValue"] = value
        else:
            columns.append({"ColumnName": name, "Value": value})
    model["Columns"] = columns
    return model


def _write_result(response: httpx.Response) -> WriteResult:
    answer = _json(response)
    return WriteResult(answer["Inserted"], answer["Updated"], answer["KeyValues"])


def upsert_many(name: str, key: str, rows: Iterable[Mapping[str, Any]]) -> Call[WriteResult]:
    body = {"OperationType": "UpsertMany", "UpsertManyModel": [_model(row, key) for row in rows]}
    return Call("PUT", table_path(name, "/rows"), _write_result, body=encode(body))


def _deleted(response: httpx.Response) -> int:
    return int(_json(response)["Deleted"])


def delete_rows(name: str, body: Mapping[str, Any]) -> Call[int]:
    # A resent delete deletes nothing more; `Delete` of one key may then answer 404.
    return Call("DELETE", table_path(name, "/rows"), _deleted, body=encode(body))


def delete_one(name: str, key: object) -> Call[int]:
    return delete_rows(name, {"OperationType": "Delete", "DeleteModel": {"KeyValue": key}})


def delete_many(name: str, keys: Sequence[object]) -> Call[int]:
    body = {"OperationType": "DeleteMany", "DeleteManyModel": {"KeyValues": list(keys)}}
    return delete_rows(name, body)


def delete_all(name: str) -> Call[int]:
    return delete_rows(name, {"OperationType": "DeleteAll"})


def delete_where(name: str, where: str) -> Call[int]:
    body = {"OperationType": "DeleteWhere", "DeleteWhereModel": {"Where": where}}
    return delete_rows(name, body)


def _query_rows(response: httpx.Response) -> QueryRows:
    answer = decode_exact(response.content)
    columns = [(c["Name"], c["DataTypeId"]) for c in answer["Columns"]]
    decode = row_decoder(columns)
    return QueryRows((decode(row) for row in answer["Rows"]), columns, bool(answer["Truncated"]))


def run_query(name: str, params: Mapping[str, Any]) -> Call[QueryRows]:
    """POST with a JSON object, so values keep their types; a read, so safe to resend."""
    path = f"{V3}/queries/{quote(name, safe='')}/execute"
    return Call("POST", path, _query_rows, body=encode(dict(params)), idempotent=True)


def order_by_text(order_by: str | Sequence[str] | None) -> str | None:
    """`"Name"`, `"Name, Price desc"` or `["Name", "Price desc"]` → the `OrderBy` parameter."""
    if order_by is None or isinstance(order_by, str):
        return order_by
    return ", ".join(order_by)
