"""Answers of the v1 API: engine objects in the source's shape (ISO times with milliseconds)."""

from __future__ import annotations

from datetime import datetime

from app.v1.schemas import TableOut, V1AuditEventOut, V1RowOut
from ddl.audit import AuditEvent
from ddl.v1.catalog import V1Table
from ddl.v1.rows import Row


def stamp(text: str) -> str:
    """A stored `…T10:00:00.123456Z` as the source writes it: `…T10:00:00.123Z`."""
    return f"{text[:23]}Z"


def moment(value: datetime) -> str:
    return f"{value.strftime('%Y-%m-%dT%H:%M:%S')}.{value.microsecond // 1000:03d}Z"


def table_out(table: V1Table) -> TableOut:
    return TableOut(
        id=table.id,
        name=table.name,
        sqlName=table.sql_name,
        description=table.description,
        columns=table.columns,
        schema=table.schema,
        metadata=table.metadata,
        maxRows=table.max_rows,
        rowCount=table.row_count,
        createdAt=stamp(table.created_at),
        updatedAt=stamp(table.updated_at),
    )


def row_out(row: Row) -> V1RowOut:
    position = row.position
    if isinstance(position, float) and position.is_integer():
        position = int(position)
    return V1RowOut(
        id=row.id,
        data=row.data,
        position=position,
        createdAt=moment(row.created_at),
        updatedAt=moment(row.updated_at),
    )


def event_out(event: AuditEvent) -> V1AuditEventOut:
    return V1AuditEventOut(
        id=event.id,
        action=event.action,
        resourceType=event.resource_type,
        resourceId=event.resource_id,
        userId=event.user,
        createdAt=stamp(event.created_at),
        details=event.details,
    )
