"""The outbox: one change event per write request and table, inserted in the write's own
transaction (SPEC §14), so a rolled-back write emits nothing and a committed one is never lost.

Writers call one function here at their commit point. The write path stays cheap: values are
stored as the database values the write bound, encoded by msgspec in C; turning them into the
JSON the API shows (ddl/changes.py) happens later, off the write path, in the dispatcher or the
change stream.

Each table has a stream (`v3:<folded name>`, `v1:<table id>`) with its own sequence, taken by
an upsert on `_ct_event_streams` that row-locks the stream until commit: events of one table
commit in sequence order on every backend, which is what in-order delivery and `Last-Event-ID`
resume rely on.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import msgspec
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from ddl import driver_sql, webhooks
from ddl.backends import backend_for
from ddl.catalog import internal_metadata, now_text
from ddl.names import fold

if TYPE_CHECKING:
    from ddl.prepared import PreparedTable

ROWS_CREATED, ROWS_UPDATED, ROWS_DELETED = "rows.created", "rows.updated", "rows.deleted"
TABLE_CREATED, TABLE_UPDATED, TABLE_DELETED = "table.created", "table.updated", "table.deleted"
EVENT_KINDS = (ROWS_CREATED, ROWS_UPDATED, ROWS_DELETED, TABLE_CREATED, TABLE_UPDATED,
               TABLE_DELETED)  # fmt: skip
RETENTION = timedelta(days=7)  # events kept for the change stream; pending deliveries keep theirs
PRUNE_EVERY = 500  # a stream's old events are pruned on every 500th event of that stream
WAKE_FLAG = "ct_outbox_wake"
MAX_KEYS_PER_EVENT = 10_000  # a DeleteWhere of more rows is told in several events

event_streams = sa.Table(
    "_ct_event_streams",
    internal_metadata,
    sa.Column("stream", sa.String(300), primary_key=True),
    sa.Column("last_seq", sa.Integer, nullable=False),
)

events = sa.Table(
    "_ct_events",
    internal_metadata,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("id", sa.String(36), nullable=False, unique=True),
    sa.Column("stream", sa.String(300), nullable=False),
    sa.Column("stream_seq", sa.Integer, nullable=False),
    sa.Column("event", sa.String(32), nullable=False),
    sa.Column("table_name", sa.String(255), nullable=False),
    sa.Column("occurred_at", sa.String(32), nullable=False),
    sa.Column("payload", sa.UnicodeText, nullable=False),
    sa.Index("ix_ct_events_stream", "stream", "stream_seq", unique=True),
)

_encoder = msgspec.json.Encoder()


def v3_stream(name: str) -> str:
    """A v3 table's stream follows its name: a table dropped and made again continues it."""
    return f"v3:{fold(name)}"


def v1_stream(table_id: str) -> str:
    return f"v1:{table_id}"


# the backends with INSERT … ON CONFLICT … RETURNING (by backend name, a registry key)
_ON_CONFLICT_INSERTS: dict[str, Callable[[sa.Table], Any]] = {
    "sqlite": sqlite.insert,
    "postgresql": postgresql.insert,
}


def _upsert_seq(insert: Callable[[sa.Table], Any]) -> Any:
    """The stream's next number (INSERT … ON CONFLICT … RETURNING), alone or as a CTE."""
    return (
        insert(event_streams)
        .values(stream=sa.bindparam("stream"), last_seq=sa.literal_column("1"))
        .on_conflict_do_update(
            index_elements=["stream"],
            set_={"last_seq": event_streams.c.last_seq + sa.literal_column("1")},
        )
        .returning(event_streams.c.last_seq)
    )


def _next_seq(conn: sa.Connection, stream: str) -> int:
    """The stream's next number; the upsert holds the stream's row lock until commit."""
    insert = _ON_CONFLICT_INSERTS.get(backend_for(conn).name)
    if insert is not None:
        build = lambda: _upsert_seq(insert)  # noqa: E731
        next_seq = driver_sql.execute(conn, "outbox.next_seq", build, {"stream": stream})
        return int(next_seq.scalar_one())
    last = event_streams.c.last_seq  # SQL Server: under the stream's row lock the update takes
    where = event_streams.c.stream == stream
    if not conn.execute(event_streams.update().where(where).values(last_seq=last + 1)).rowcount:
        conn.execute(event_streams.insert().values(stream=stream, last_seq=1))
    return int(conn.execute(sa.select(last).where(where)).scalar_one())


def _insert_event() -> sa.Executable:
    names = ("id", "stream", "stream_seq", "event", "table_name", "occurred_at", "payload")
    # (the statement of backends without writable CTEs; see _emit_in_one)
    return events.insert().values({name: sa.bindparam(name) for name in names})


def _emit_in_one() -> sa.Executable:
    """Number, event and deliveries in one statement (writable CTEs): the stream's upsert
    feeds the event's insert, which feeds the fan-out; answers (number, deliveries made).
    One round trip instead of three, the outbox's whole cost on a write."""
    stored = events
    numbered = _upsert_seq(postgresql.insert).cte("numbered")
    names = ("id", "stream", "event", "table_name", "occurred_at", "payload")
    made = (
        stored.insert()
        .from_select(
            [*names, "stream_seq"],
            sa.select(*(sa.bindparam(name) for name in names), numbered.c.last_seq),
        )
        .returning(stored.c.stream_seq)
        .cte("made")
    )
    topics = webhooks.webhook_topics
    chosen = webhooks.fan_out_select(topics.c, made.c.stream_seq).select_from(
        topics.join(made, sa.true())
    )
    fanned = (
        webhooks.deliveries.insert()
        .from_select(webhooks.FAN_OUT_COLUMNS, chosen)
        .returning(webhooks.deliveries.c.id)
        .cte("fanned")
    )
    matched = sa.select(sa.func.count()).select_from(fanned).scalar_subquery()
    return sa.select(made.c.stream_seq, matched)


def emit(
    conn: sa.Connection,
    stream: str,
    table_name: str,
    event: str,
    payload: dict[str, Any],
    kinds: Sequence[str] = (),
    *,
    last: bool = False,
) -> str:
    """Insert one event (and a delivery per subscribed webhook); returns its id.
    `kinds` are the kinds a subscriber may have asked for (a mixed upsert is both created
    and updated); by default the event's own. `last`: nothing else is written in `conn`'s
    transaction, whose COMMIT may then go with the event (Backend.first_row_committing: the
    stream's number stays locked for the least time)."""
    event_id = str(uuid.uuid4())
    values: dict[str, Any] = {
        "id": event_id,
        "stream": stream,
        "event": event,
        "table_name": table_name,
        "occurred_at": now_text(),
        "payload": _encoder.encode(payload).decode(),
    }
    kinds = kinds or (event,)
    fan = webhooks.fan_out_params(event_id, stream, fold(table_name), kinds, time.time())
    backend = backend_for(conn)
    if backend.writable_ctes:
        read = driver_sql.Read("outbox.emit", _emit_in_one, {**values, **fan})
        if last:
            sql, bound = driver_sql.bound_sql(conn, read)
            emitted = backend.first_row_committing(conn.connection.dbapi_connection, sql, bound)
        else:
            emitted = driver_sql.execute(conn, read.key, read.build, read.params).one()
        assert emitted is not None  # the CTEs' select always makes one row
        seq, matched = map(int, emitted)
    else:
        seq = values["stream_seq"] = _next_seq(conn, stream)
        driver_sql.execute(conn, "outbox.insert_event", _insert_event, values)
        matched = driver_sql.execute(conn, "outbox.fan_out", webhooks.fan_out_statement,
                                     {**fan, "stream_seq": seq}).rowcount  # fmt: skip
    if matched:
        conn.info[WAKE_FLAG] = True  # the dispatcher of this process is woken on commit
    if seq % PRUNE_EVERY == 0:
        _prune(conn, stream)  # after a commit with the event: a transaction of its own
    return event_id


def _prune(conn: sa.Connection, stream: str) -> None:
    cutoff = (datetime.now(UTC) - RETENTION).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    waiting = sa.select(webhooks.deliveries.c.event_id).where(
        webhooks.deliveries.c.state == webhooks.PENDING
    )
    conn.execute(
        events.delete().where(
            events.c.stream == stream,
            events.c.occurred_at < cutoff,
            events.c.id.not_in(waiting),
        )
    )


# --- what writers call ------------------------------------------------------------------------


def rows_written(
    conn: sa.Connection,
    table: PreparedTable,
    groups: dict[tuple[Any, ...], list[Sequence[Any]]],
    inserted: int,
    updated: int,
    *,
    last: bool = False,
) -> None:
    """A v3 batch (an UpsertMany, UpdateMany, Update or an import's chunk) was written:
    `groups` maps the columns a set of rows wrote (PreparedColumns) to (key, values…) rows.
    `last` as for `emit`."""
    if not any(groups.values()):
        return  # an empty batch changed nothing
    kinds: tuple[str, ...]
    if inserted and not updated:
        event, kinds = ROWS_CREATED, (ROWS_CREATED,)
    elif updated and not inserted:
        event, kinds = ROWS_UPDATED, (ROWS_UPDATED,)
    else:
        event, kinds = ROWS_UPDATED, (ROWS_CREATED, ROWS_UPDATED)
    payload = {
        "k": int(table.key.type_id),
        "g": [
            [[c.name for c in columns], [int(c.type_id) for c in columns], rows]
            for columns, rows in groups.items()
            if rows
        ],
        "Inserted": inserted,
        "Updated": updated,
    }
    name = table.definition.name
    emit(conn, v3_stream(name), name, event, payload, kinds, last=last)


def rows_deleted(
    conn: sa.Connection, table_name: str, key_type: int, keys: Sequence[Any] | None, count: int
) -> None:
    """v3 rows were deleted: their keys as bound, or None for DeleteAll (said, not listed)."""
    if count == 0:
        return
    payload: dict[str, Any] = {"k": key_type, "Deleted": count}
    if keys is None:
        payload["All"] = True
    else:
        payload["keys"] = list(keys)
    emit(conn, v3_stream(table_name), table_name, ROWS_DELETED, payload)


def v1_rows(
    conn: sa.Connection, table_id: str, table_name: str, event: str, rows: list[dict[str, Any]]
) -> None:
    """v1 rows changed: `rows` already in the event's shape (`KeyValue` is the row id)."""
    emit(conn, v1_stream(table_id), table_name, event, {"Rows": rows})


_TABLE_ACTIONS = {
    "table.created": TABLE_CREATED,
    "table.columns_added": TABLE_UPDATED,
    "table.permissions_changed": TABLE_UPDATED,
    "table.dropped": TABLE_DELETED,
    "table.updated": TABLE_UPDATED,  # v1
    "table.deleted": TABLE_DELETED,  # v1
}
_STREAMS: dict[str, Callable[[str, str], str]] = {
    "custom_table": lambda _id, name: v3_stream(name),
    "table": lambda table_id, _name: v1_stream(table_id),
}


def table_audited(
    conn: sa.Connection,
    action: str,
    resource_type: str,
    resource_id: str | None,
    resource_name: str | None,
    details: dict[str, Any] | None,
) -> None:
    """Every audited change of a table's definition (v3 or v1) is also a change event: the
    audit log (ddl/audit.py) passes each record through here, in the same transaction."""
    event = _TABLE_ACTIONS.get(action)
    stream = _STREAMS.get(resource_type)
    if event is None or stream is None or resource_name is None:
        return
    payload = {"Changes": {"Action": action, **(details or {})}}
    emit(conn, stream(resource_id or "", resource_name), resource_name, event, payload)
