"""Change events as clients see them (SPEC §14): `{"Id", "Event", "Table", "OccurredAt",
"Rows": [{"KeyValue", "Values": {…}}]}`, rendered from the outbox's stored form, and read
back in stream order for the change stream.

Rendering is deterministic (same stored event, same bytes), so every retry of a delivery
signs and sends the same body.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import msgspec
import sqlalchemy as sa

from ddl.outbox import TABLE_CREATED, events
from ddl.types import TypeId, output_converter

_encoder = msgspec.json.Encoder(decimal_format="number")
_decoder = msgspec.json.Decoder()


@dataclass(frozen=True, slots=True)
class StoredEvent:
    id: str
    stream_seq: int
    event: str
    table_name: str
    occurred_at: str
    payload: str


def _converter(type_id: int) -> Callable[[Any], Any]:
    kind = TypeId(type_id)
    if kind is TypeId.VARBINARY:  # stored as base64 text already: the API's own form
        return lambda value: value
    convert = output_converter(kind)
    return (lambda value: value) if convert is None else convert


def _convert(convert: Callable[[Any], Any], value: Any) -> Any:
    return None if value is None else convert(value)


def _written_rows(payload: dict[str, Any]) -> list[dict[str, Any]]:
    to_key = _converter(payload["k"])
    rows = []
    for names, types, group in payload["g"]:
        converters = [_converter(t) for t in types]
        for key, *values in group:
            rows.append(
                {
                    "KeyValue": _convert(to_key, key),
                    "Values": {
                        name: _convert(convert, value)
                        for name, convert, value in zip(names, converters, values, strict=True)
                    },
                }
            )
    return rows


def render(event: StoredEvent) -> bytes:
    """The event's JSON body."""
    payload = _decoder.decode(event.payload)
    body: dict[str, Any] = {
        "Id": event.id,
        "Event": event.event,
        "Table": event.table_name,
        "OccurredAt": event.occurred_at,
    }
    if "g" in payload:
        body["Rows"] = _written_rows(payload)
        body["Inserted"], body["Updated"] = payload["Inserted"], payload["Updated"]
    elif "keys" in payload:
        to_key = _converter(payload["k"])
        body["Rows"] = [{"KeyValue": _convert(to_key, key)} for key in payload["keys"]]
        body["Deleted"] = payload["Deleted"]
    elif payload.get("All"):
        body["All"] = True
        body["Deleted"] = payload["Deleted"]
    else:
        body.update(payload)  # v1 rows (already in shape) and table changes
    return _encoder.encode(body)


def _stored(row: sa.Row[Any]) -> StoredEvent:
    return StoredEvent(
        row.id, row.stream_seq, row.event, row.table_name, row.occurred_at, row.payload
    )


def find_events(conn: sa.Connection, event_ids: list[str]) -> dict[str, StoredEvent]:
    """The stored events of `event_ids` that still exist, by id (one query for a run)."""
    rows = conn.execute(sa.select(events).where(events.c.id.in_(event_ids)))
    return {row.id: _stored(row) for row in rows}


def after(conn: sa.Connection, stream: str, seq: int, limit: int) -> list[StoredEvent]:
    """The stream's events after number `seq`, oldest first."""
    query = (
        sa.select(events)
        .where(events.c.stream == stream, events.c.stream_seq > seq)
        .order_by(events.c.stream_seq)
        .limit(limit)
    )
    return [_stored(row) for row in conn.execute(query)]


def born_at(conn: sa.Connection, stream: str) -> int:
    """The number of the stream's newest `table.created` event (0 when none is kept). A v3
    stream follows the table's name, so events before it are an earlier table's, which the
    current table's read roles say nothing about: the change stream starts here at the
    earliest."""
    found = conn.execute(sa.select(sa.func.max(events.c.stream_seq)).where(
        events.c.stream == stream, events.c.event == TABLE_CREATED)).scalar()  # fmt: skip
    return int(found or 0)


def last_seq(conn: sa.Connection, stream: str) -> int:
    """The stream's newest number (0 when it has none): where a stream without
    Last-Event-ID starts, so it sends only what happens from now on."""
    found = conn.execute(sa.select(sa.func.max(events.c.stream_seq)).where(
        events.c.stream == stream)).scalar()  # fmt: skip
    return int(found or 0)
