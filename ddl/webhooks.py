"""Webhook subscriptions and their deliveries, kept in the tenant's space.

A delivery row is made for each matching webhook in the same transaction as the event
(`fan_out_select`, run by the outbox), so a committed event can never be forgotten by any
subscriber. Dispatchers claim due deliveries under a lease (`claim_due`, then `claim_run` for
the ones that follow in the stream): PostgreSQL takes the rows with `FOR UPDATE SKIP LOCKED`,
SQLite's writers are serialised by BEGIN IMMEDIATE; the lease then keeps every other
process off an attempt in flight, and a process killed mid-attempt loses its lease when it
expires. Only the oldest pending delivery of a (webhook, table stream) is ever claimable, so a
table's events reach each receiver in order.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import msgspec
import sqlalchemy as sa

from ddl.backends import backend_for
from ddl.catalog import internal_metadata, now_text
from ddl.names import fold

ALL_TABLES = "*"
PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"

webhooks = sa.Table(
    "_ct_webhooks",
    internal_metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("url", sa.String(2048), nullable=False),
    sa.Column("tables", sa.UnicodeText, nullable=False),  # JSON array of names as given
    sa.Column("events", sa.UnicodeText, nullable=False),  # JSON array of event kinds
    sa.Column("secret", sa.String(200), nullable=False),
    sa.Column("created_at", sa.String(32), nullable=False),
    sa.Column("created_by", sa.String(200), nullable=False),
)

# one row per (webhook, folded table name or "*", event kind): fan-out is one indexed join
webhook_topics = sa.Table(
    "_ct_webhook_topics",
    internal_metadata,
    sa.Column("webhook_id", sa.String(36), primary_key=True),
    sa.Column("table_key", sa.String(255), primary_key=True),
    sa.Column("event", sa.String(32), primary_key=True),
    sa.Index("ix_ct_webhook_topics_match", "table_key", "event"),
)

deliveries = sa.Table(
    "_ct_deliveries",
    internal_metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("webhook_id", sa.String(36), nullable=False),
    sa.Column("event_id", sa.String(36), nullable=False),
    sa.Column("stream", sa.String(300), nullable=False),
    sa.Column("stream_seq", sa.Integer, nullable=False),
    sa.Column("state", sa.String(10), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("created", sa.Float, nullable=False),  # unix seconds; retries end 24 h later
    sa.Column("next_at", sa.Float, nullable=False),
    sa.Column("lease_until", sa.Float),
    sa.Column("lease_owner", sa.String(64)),
    sa.Index("ix_ct_deliveries_due", "state", "next_at"),
    sa.Index("ix_ct_deliveries_order", "webhook_id", "stream", "stream_seq"),
)

delivery_attempts = sa.Table(
    "_ct_delivery_attempts",
    internal_metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("webhook_id", sa.String(36), nullable=False, index=True),
    sa.Column("event_id", sa.String(36), nullable=False),
    sa.Column("attempt", sa.Integer, nullable=False),
    sa.Column("status", sa.Integer),  # the receiver's HTTP status; NULL when none came
    sa.Column("outcome", sa.String(10), nullable=False),  # delivered, retrying, failed
    sa.Column("error", sa.String(500)),
    sa.Column("at", sa.String(32), nullable=False),
    sa.Column("duration_ms", sa.Integer, nullable=False),
)

_names = msgspec.json.Decoder(list[str])


@dataclass(frozen=True, slots=True)
class Webhook:
    id: str
    url: str
    tables: list[str]
    events: list[str]
    secret: str
    created_at: str


@dataclass(frozen=True, slots=True)
class Attempt:
    event_id: str
    attempt: int
    status: int | None
    outcome: str
    error: str | None
    at: str
    duration_ms: int


@dataclass(frozen=True, slots=True)
class Claim:
    """One delivery attempt a dispatcher now holds the lease of."""

    delivery_id: int
    webhook_id: str
    event_id: str
    attempt: int
    created: float
    stream: str
    stream_seq: int
    owner: str  # the lease's owner: one per run of a stream, never shared by two threads


@dataclass(frozen=True, slots=True)
class Finished:
    """An attempt made under `claim`; `next_at` None ends the delivery (delivered or failed),
    else it is retried then."""

    claim: Claim
    attempt: Attempt
    next_at: float | None


def _webhook(row: sa.Row[Any]) -> Webhook:
    return Webhook(
        row.id, row.url, _names.decode(row.tables), _names.decode(row.events), row.secret,
        row.created_at,
    )  # fmt: skip


def create_webhook(
    conn: sa.Connection, url: str, tables: Sequence[str], events: Sequence[str], secret: str,
    user: str,
) -> Webhook:  # fmt: skip
    """Store a subscription and its topics; `events` already checked and not empty."""
    hook = Webhook(str(uuid.uuid4()), url, list(tables), list(events), secret, now_text())
    conn.execute(
        webhooks.insert().values(
            id=hook.id, url=url, tables=msgspec.json.encode(hook.tables).decode(),
            events=msgspec.json.encode(hook.events).decode(), secret=secret,
            created_at=hook.created_at, created_by=user,
        )
    )  # fmt: skip
    keys = sorted({fold(name) for name in tables}) or [ALL_TABLES]
    conn.execute(
        webhook_topics.insert(),
        [{"webhook_id": hook.id, "table_key": k, "event": e} for k in keys for e in set(events)],
    )
    return hook


def list_webhooks(conn: sa.Connection) -> list[Webhook]:
    query = sa.select(webhooks).order_by(webhooks.c.created_at, webhooks.c.id)
    return [_webhook(row) for row in conn.execute(query)]


def find_webhook(conn: sa.Connection, webhook_id: str) -> Webhook | None:
    row = conn.execute(sa.select(webhooks).where(webhooks.c.id == webhook_id)).first()
    return _webhook(row) if row else None


def count_webhooks(conn: sa.Connection) -> int:
    return int(conn.execute(sa.select(sa.func.count()).select_from(webhooks)).scalar_one())


def delete_webhook(conn: sa.Connection, webhook_id: str) -> bool:
    """Remove a subscription with its pending deliveries and its log; False when unknown."""
    for table in (webhook_topics, deliveries, delivery_attempts):
        conn.execute(table.delete().where(table.c.webhook_id == webhook_id))
    return bool(conn.execute(webhooks.delete().where(webhooks.c.id == webhook_id)).rowcount)


def fan_out_select(topics: Any, stream_seq: Any) -> sa.Select[Any]:
    """The deliveries an event makes: one per webhook subscribed to its table (or to every
    table) and one of its kinds. `topics` are webhook_topics' columns; `stream_seq` the
    event's number (a bind, or a column of the statement that inserts the event)."""
    binds = ("event_id", "stream")
    after = ("pending", "zero", "now", "now")
    return (
        sa.select(
            topics.webhook_id,
            *(sa.bindparam(name) for name in binds),
            stream_seq,
            *(sa.bindparam(name) for name in after),
        )
        .where(
            topics.table_key.in_([sa.bindparam("table_key"), sa.bindparam("all_tables")]),
            topics.event.in_([sa.bindparam("kind"), sa.bindparam("other_kind")]),
        )
        .distinct()
    )


FAN_OUT_COLUMNS = ["webhook_id", "event_id", "stream", "stream_seq", "state", "attempts",
                   "created", "next_at"]  # fmt: skip


def fan_out_params(
    event_id: str, stream: str, table_key: str, kinds: Sequence[str], now: float
) -> dict[str, Any]:
    return {
        "event_id": event_id, "stream": stream, "pending": PENDING, "zero": 0, "now": now,
        "table_key": table_key, "all_tables": ALL_TABLES, "kind": kinds[0],
        "other_kind": kinds[-1],
    }  # fmt: skip


def fan_out_statement() -> sa.Executable:
    """One pending delivery per subscribed webhook, for an event already numbered."""
    chosen = fan_out_select(webhook_topics.c, sa.bindparam("stream_seq"))
    return deliveries.insert().from_select(FAN_OUT_COLUMNS, chosen)


def _skip_locked(conn: sa.Connection, query: sa.Select[Any], table: Any) -> sa.Select[Any]:
    """Rows another dispatcher is claiming are passed over, not waited for (where writers
    run concurrently; where they are serialised, the claim runs alone anyway)."""
    if backend_for(conn).serialised_writers:
        return query
    return query.with_for_update(skip_locked=True, of=table)


def _claim_columns(d: Any) -> list[Any]:
    """What a Claim is made of, from the columns `d` of deliveries (or an alias of it)."""
    return [d.id, d.webhook_id, d.event_id, d.attempts, d.created, d.stream, d.stream_seq]


def _due_query(now: float, limit: int) -> tuple[sa.Select[Any], Any]:
    d = deliveries.alias("d")
    e = deliveries.alias("e")
    earlier = (
        sa.select(sa.literal(1))
        .where(
            e.c.webhook_id == d.c.webhook_id,
            e.c.stream == d.c.stream,
            e.c.state == PENDING,
            e.c.stream_seq < d.c.stream_seq,
        )
        .exists()
    )
    query = (
        sa.select(*_claim_columns(d.c))
        .where(
            d.c.state == PENDING,
            d.c.next_at <= now,
            sa.or_(d.c.lease_until.is_(None), d.c.lease_until < now),
            ~earlier,
        )
        .order_by(d.c.next_at, d.c.id)
        .limit(limit)
    )
    return query, d


def _claim(row: Any, owner: str) -> Claim:
    return Claim(row.id, row.webhook_id, row.event_id, row.attempts + 1, row.created, row.stream,
                 row.stream_seq, owner)  # fmt: skip


def run_owner(dispatcher: str) -> str:
    """A lease owner of its own for one run (at most 64 characters with a dispatcher's name of
    40): a thread that comes back late can then never release or finish another's leases."""
    return f"{dispatcher[:40]}/{uuid.uuid4().hex[:16]}"


def _lease(conn: sa.Connection, ids: Sequence[int], owner: str, now: float, lease: float) -> int:
    """Take the lease of deliveries `ids` (re-checked on the rows as they are now: a stale
    read never takes one); how many were taken."""
    d = deliveries.c
    return conn.execute(
        deliveries.update()
        .where(
            d.id.in_(ids),
            d.state == PENDING,
            sa.or_(d.lease_until.is_(None), d.lease_until < now),
        )
        .values(lease_owner=owner, lease_until=now + lease, attempts=d.attempts + 1)
    ).rowcount


def claim_due(
    conn: sa.Connection, dispatcher: str, now: float, lease_seconds: float, limit: int
) -> list[Claim]:
    """Take the lease of up to `limit` due deliveries, each the oldest pending of its stream,
    each under an owner of its own (run_owner)."""
    query, table = _due_query(now, limit)
    claims = []
    for row in conn.execute(_skip_locked(conn, query, table)).all():
        owner = run_owner(dispatcher)
        if _lease(conn, [row.id], owner, now, lease_seconds):
            claims.append(_claim(row, owner))
    return claims


def claim_run(
    conn: sa.Connection, head: Claim, now: float, lease_seconds: float, limit: int
) -> list[Claim] | None:
    """Renew the lease of `head` and take, under the same owner, the deliveries that follow it
    in its (webhook, stream), up to `limit`: those due and free, in stream order, stopping at
    the first that is not. One dispatcher then sends a busy stream's events one after another,
    paying the database once per run rather than once per event; no other can take them
    meanwhile (each is leased, and only a stream's oldest pending delivery is ever due in
    `claim_due`). None: the head's lease was lost (it ran out and another took it)."""
    d = deliveries.c
    renewed = conn.execute(
        deliveries.update()
        .where(d.id == head.delivery_id, d.lease_owner == head.owner, d.state == PENDING)
        .values(lease_until=now + lease_seconds)
    ).rowcount
    if not renewed:
        return None
    query = (
        sa.select(*_claim_columns(d), d.next_at, d.lease_until)
        .where(
            d.webhook_id == head.webhook_id,
            d.stream == head.stream,
            d.state == PENDING,
            d.stream_seq > head.stream_seq,
        )
        .order_by(d.stream_seq)
        .limit(limit)
    )
    run = []
    for row in conn.execute(_skip_locked(conn, query, deliveries)):
        if row.next_at > now or (row.lease_until is not None and row.lease_until >= now):
            break
        run.append(row)
    if run and _lease(conn, [row.id for row in run], head.owner, now, lease_seconds) == len(run):
        return [_claim(row, head.owner) for row in run]
    release(conn, [_claim(row, head.owner) for row in run])  # none, or another took one
    return []


def claim_next(conn: sa.Connection, done: Claim, now: float, lease_seconds: float
               ) -> Claim | None:  # fmt: skip
    """After `done` ended, take the next due delivery of its (webhook, stream), if any, under
    the same owner: a stream's deliveries then follow each other without waiting for the
    next poll."""
    d = deliveries.c
    query = (
        sa.select(*_claim_columns(d), d.next_at)
        .where(d.webhook_id == done.webhook_id, d.stream == done.stream, d.state == PENDING)
        .order_by(d.stream_seq)
        .limit(1)
    )
    row = conn.execute(_skip_locked(conn, query, deliveries)).first()
    if row is None or row.next_at > now:
        return None
    taken = _lease(conn, [row.id], done.owner, now, lease_seconds)
    return _claim(row, done.owner) if taken else None


def _still_held(conn: sa.Connection, claims: Sequence[Claim]) -> set[int]:
    """Which of `claims` still hold their lease: one taken over after it ran out is another
    dispatcher's to record now."""
    d = deliveries.c
    rows = conn.execute(
        sa.select(d.id, d.lease_owner).where(d.id.in_([c.delivery_id for c in claims]))
    )
    owners = {c.delivery_id: c.owner for c in claims}
    return {row.id for row in rows if row.lease_owner == owners[row.id]}


def finish(conn: sa.Connection, done: Sequence[Finished]) -> None:
    """Record attempts (one statement each for the deliveries and the log, however many);
    an attempt whose lease was lost meanwhile is not recorded (its new holder records its own)."""
    held = _still_held(conn, [f.claim for f in done]) if done else set()
    done = [f for f in done if f.claim.delivery_id in held]
    if not done:
        return
    d = deliveries.c
    update = (
        deliveries.update()
        .where(d.id == sa.bindparam("delivery_id"))
        .values(
            state=sa.bindparam("new_state"),
            next_at=sa.bindparam("new_next_at"),
            lease_until=None,
            lease_owner=None,
        )
    )
    conn.execute(update, [
        {"delivery_id": f.claim.delivery_id, "new_next_at": f.next_at or 0.0,
         "new_state": PENDING if f.next_at is not None
         else DELIVERED if f.attempt.outcome == DELIVERED else FAILED}
        for f in done
    ])  # fmt: skip
    conn.execute(delivery_attempts.insert(), [
        {"webhook_id": f.claim.webhook_id, "event_id": f.claim.event_id,
         "attempt": f.claim.attempt, "status": f.attempt.status, "outcome": f.attempt.outcome,
         "error": f.attempt.error, "at": f.attempt.at, "duration_ms": f.attempt.duration_ms}
        for f in done
    ])  # fmt: skip


def release(conn: sa.Connection, claims: Sequence[Claim]) -> None:
    """Give back leases taken but not attempted (their attempt count with them); only those
    still held by the claim's own owner."""
    d = deliveries.c
    for owner in {c.owner for c in claims}:
        conn.execute(
            deliveries.update()
            .where(
                d.id.in_([c.delivery_id for c in claims if c.owner == owner]),
                d.lease_owner == owner,
            )
            .values(lease_until=None, lease_owner=None, attempts=d.attempts - 1)
        )


def recent_attempts(conn: sa.Connection, webhook_id: str, limit: int) -> list[Attempt]:
    a = delivery_attempts.c
    query = (
        sa.select(delivery_attempts)
        .where(a.webhook_id == webhook_id)
        .order_by(a.id.desc())
        .limit(limit)
    )
    return [
        Attempt(r.event_id, r.attempt, r.status, r.outcome, r.error, r.at, r.duration_ms)
        for r in conn.execute(query)
    ]


def prune(conn: sa.Connection, before: float, keep_attempts_before: str) -> None:
    """Forget finished deliveries older than `before` and attempts logged before the cutoff."""
    conn.execute(
        deliveries.delete().where(deliveries.c.state != PENDING, deliveries.c.created < before)
    )
    conn.execute(delivery_attempts.delete().where(delivery_attempts.c.at < keep_attempts_before))
