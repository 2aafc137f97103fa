"""Rows of v1 tables: list, create, replace, delete.

Every write first locks the table's catalog row (PostgreSQL; SQLite writers are serialised by
BEGIN IMMEDIATE), then checks the data against the declared columns, then writes the row and
the catalog's `row_count` in the same transaction: the row cap holds exactly under concurrent
inserts and `rowCount` is always the number of rows.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from ddl import outbox
from ddl.errors import NotFound, ValidationError
from ddl.space import TenantSpace
from ddl.v1 import catalog
from ddl.v1.columns import check_data, check_storable

MAX_LIMIT = 100


class _Keep:
    """Marker: leave `position` as it is."""


KEEP = _Keep()


@dataclass(frozen=True, slots=True)
class Row:
    id: str
    data: dict[str, Any]
    position: float | None
    created_at: datetime
    updated_at: datetime


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _row(row: sa.Row[Any]) -> Row:
    return Row(row.id, row.data, row.position, row.createdAt, row.updatedAt)


def _event_row(row: Row) -> dict[str, Any]:
    """A v1 row in a change event: its id is the key; `data` and `position` its values."""
    return {"KeyValue": row.id, "Values": {"data": row.data, "position": row.position}}


def _check_position(position: float | _Keep | None) -> None:
    if isinstance(position, float | int):
        check_storable(float(position), "position")


def list_rows(space: TenantSpace, table_id: str, limit: int = 50, offset: int = 0) -> list[Row]:
    """Rows by `position` (those without one last), then creation time."""
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationError(f"limit must be from 1 to {MAX_LIMIT}")
    if offset < 0:
        raise ValidationError("offset must be 0 or more")
    with space.read() as conn:
        table = catalog.get(conn, table_id, lock="share")
        physical = catalog.physical_table(table, space.schema)
        query = (
            sa.select(physical)
            .order_by(
                sa.case((physical.c.position.is_(None), 1), else_=0),
                physical.c.position,
                physical.c.createdAt,
                physical.c.id,
            )
            .limit(limit)
            .offset(offset)
        )
        return [_row(row) for row in conn.execute(query)]


def create_row(
    space: TenantSpace, table_id: str, data: dict[str, Any], position: float | None = None
) -> Row:
    _check_position(position)
    with space.write() as conn:
        table = catalog.get(conn, table_id, lock="rows")
        check_data(table.checked_columns, data)
        if table.row_count >= table.max_rows:
            raise ValidationError(f"Table has reached its maximum row limit of {table.max_rows}")
        stamp = _now()
        row = Row(str(uuid.uuid4()), data, position, stamp, stamp)
        physical = catalog.physical_table(table, space.schema)
        conn.execute(
            physical.insert().values(
                id=row.id, data=data, position=position, createdAt=stamp, updatedAt=stamp
            )
        )
        catalog.change_count(conn, table.id, +1)
        outbox.v1_rows(conn, table.id, table.name, outbox.ROWS_CREATED, [_event_row(row)])
    return row


def update_row(
    space: TenantSpace,
    table_id: str,
    row_id: str,
    data: dict[str, Any],
    position: float | _Keep | None = KEEP,
) -> Row:
    """Replace the row's `data` whole (and its position when given)."""
    _check_position(position)
    with space.write() as conn:
        table = catalog.get(conn, table_id, lock="share")
        check_data(table.checked_columns, data)
        physical = catalog.physical_table(table, space.schema)
        values: dict[str, Any] = {"data": data, "updatedAt": _now()}
        if not isinstance(position, _Keep):
            values["position"] = position
        changed = conn.execute(
            physical.update().where(physical.c.id == row_id).values(**values)
        ).rowcount
        if not changed:
            raise NotFound(f"Row '{row_id}' not found in table '{table_id}'")
        found = _row(conn.execute(sa.select(physical).where(physical.c.id == row_id)).one())
        outbox.v1_rows(conn, table.id, table.name, outbox.ROWS_UPDATED, [_event_row(found)])
        return found


def delete_row(space: TenantSpace, table_id: str, row_id: str) -> None:
    with space.write() as conn:
        table = catalog.get(conn, table_id, lock="rows")
        physical = catalog.physical_table(table, space.schema)
        deleted = conn.execute(physical.delete().where(physical.c.id == row_id)).rowcount
        if not deleted:
            raise NotFound(f"Row '{row_id}' not found in table '{table_id}'")
        catalog.change_count(conn, table.id, -1)
        outbox.v1_rows(conn, table.id, table.name, outbox.ROWS_DELETED, [{"KeyValue": row_id}])
