"""Which format an answer goes out in (`Format=` or the `Accept` header), the CSV response, and
what OpenAPI says about CSV: the route handlers only switch on `wants_csv`."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from litestar.openapi.spec import (
    OpenAPIHeader,
    OpenAPIMediaType,
    Operation,
    Schema,
)
from litestar.openapi.spec.enums import OpenAPIType
from litestar.response import Stream

from app.streaming import closing_stream
from ddl.errors import ValidationError
from ddl.formats.csv_write import csv_chunks
from ddl.row_stream import RowStream

CSV = "text/csv"
JSON = "application/json"


def _quality(accept: str) -> dict[str, float]:
    """Media type → q of an Accept header (malformed q values count as 1)."""
    found: dict[str, float] = {}
    for entry in accept.split(","):
        kind, *params = (part.strip() for part in entry.split(";"))
        q = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 1.0
        if kind:
            found[kind.lower()] = max(q, found.get(kind.lower(), 0.0))
    return found


def accepts_csv(accept: str | None) -> bool:
    """`Accept` prefers CSV: text/csv is listed with q > 0 and JSON (or */*) not above it."""
    if not accept:
        return False
    q = _quality(accept)
    csv = q.get(CSV, 0.0)
    other = max(q.get(JSON, 0.0), q.get("application/*", 0.0))
    return csv > 0 and csv >= other


def wants_csv(format: str | None, accept: str | None, others: tuple[str, ...] = ("json",)) -> bool:
    """`Format` wins when given (csv, or one of `others`); else the Accept header decides."""
    if format is not None and format.strip():
        chosen = format.strip().lower()
        if chosen == "csv":
            return True
        if chosen in others:
            return False
        names = [f"'{name}'" for name in (*others, "csv")]
        allowed = f"{', '.join(names[:-1])} or {names[-1]}"
        raise ValidationError(f"Format must be {allowed}, got {format!r}")
    return accepts_csv(accept)


def csv_response(
    chunks: Iterator[bytes], filename: str | None = None, headers: dict[str, str] | None = None
) -> Stream:
    """A streamed `text/csv; charset=utf-8` answer; an attachment when `filename` is given."""
    extra = dict(headers or {})
    if filename:
        extra["Content-Disposition"] = f'attachment; filename="{filename}"'
    return closing_stream(chunks, media_type=CSV, headers=extra)  # Litestar adds the charset


_TEXT = OpenAPIMediaType(
    schema=Schema(
        type=OpenAPIType.STRING,
        description="RFC 4180 CSV, UTF-8, a header row of column names; an empty unquoted "
        'field is NULL, "" the empty string',
    )
)


_TRUNCATED = OpenAPIHeader(
    schema=Schema(type=OpenAPIType.STRING, enum=["true", "false"]),
    description="CSV answers only: whether rows were cut at the row limit or size budget",
)


def with_csv(
    base: type[Operation] = Operation,
    *,
    truncated: bool = False,
    headers: dict[str, OpenAPIHeader] | None = None,
    overlapping: bool = False,
) -> type[Operation]:
    """An operation class (pass as `operation_class=`) that documents the CSV answer of 200
    (with its `X-Truncated` header when `truncated`, and `headers`) beside what `base`
    documents. `overlapping`: the JSON answer's shapes (a union, which Litestar writes as
    `oneOf`) can match the same value, so they are `anyOf`."""

    @dataclass
    class CsvOperation(base):  # type: ignore[valid-type, misc]
        def __post_init__(self) -> None:
            post_init: Any = getattr(super(), "__post_init__", None)
            if post_init is not None:
                post_init()
            ok = (self.responses or {}).get("200")
            if ok is not None and hasattr(ok, "content"):
                ok.content = {**(ok.content or {}), CSV: _TEXT}
                if truncated:
                    ok.headers = {**(ok.headers or {}), "X-Truncated": _TRUNCATED}
            if ok is not None and headers and hasattr(ok, "headers"):
                ok.headers = {**(ok.headers or {}), **headers}
            if ok is not None and overlapping and hasattr(ok, "content"):
                schema = (ok.content or {})[JSON].schema
                if isinstance(schema, Schema) and schema.one_of:
                    schema.any_of, schema.one_of = schema.one_of, None

    return CsvOperation


def query_csv(result: Any) -> Stream:
    """A saved query's answer (queries.service.QueryResult) as CSV; `X-Truncated` says whether
    the row limit or the size budget cut it, as `Truncated` does in JSON."""
    names = [name for name, _type_id in result.columns]

    def partitions() -> Iterator[list[list[Any]]]:
        for start in range(0, len(result.rows), 1000):
            yield [[row.get(name) for name in names] for row in result.rows[start : start + 1000]]

    chunks = csv_chunks(result.columns, RowStream(partitions()))
    return csv_response(chunks, headers={"X-Truncated": "true" if result.truncated else "false"})
