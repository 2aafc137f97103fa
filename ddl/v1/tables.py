"""v1 tables: create, change and drop, each in one transaction with its DDL, its catalog row
and its audit event (`table.created`, `table.updated`, `table.deleted`)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from typing import Any

from ddl import audit
from ddl.catalog import now_text
from ddl.errors import ValidationError
from ddl.names import check_display_name
from ddl.space import TenantSpace
from ddl.v1 import catalog, columns, names
from ddl.v1.catalog import V1Table

MAX_NAME = 255
MAX_ROWS_LIMIT = 100_000
DEFAULT_MAX_ROWS = 10_000
RESOURCE = "table"


@dataclass(frozen=True, slots=True)
class TableChanges:
    """The fields a create or PATCH gives; `None` = not given (description uses `clear`)."""

    name: str | None = None
    description: str | None = None
    clear_description: bool = False
    columns: list[Any] | None = None
    schema: dict[str, Any] | None = None
    metadata: dict[str, Any] | None = None
    max_rows: int | None = None

    @property
    def given(self) -> list[str]:
        fields = {
            "name": self.name is not None,
            "description": self.description is not None or self.clear_description,
            "columns": self.columns is not None,
            "schema": self.schema is not None,
            "metadata": self.metadata is not None,
            "maxRows": self.max_rows is not None,
        }
        return [field for field, present in fields.items() if present]


def check_name(name: object) -> str:
    """A v1 table's display name: free text under the one rule of display names (its SQL name
    is derived from it once, by ddl/v1/names.py)."""
    return check_display_name(name, "name", MAX_NAME)


def check_max_rows(value: int) -> int:
    if not 1 <= value <= MAX_ROWS_LIMIT:
        raise ValidationError(f"maxRows must be an integer from 1 to {MAX_ROWS_LIMIT:,}")
    return value


def _schema(changes: TableChanges, current: dict[str, Any] | None) -> dict[str, Any] | None:
    """The schema after `changes`: `schema` replaces it whole, `columns` replaces
    `schema.columns`; either way the columns it ends with are checked."""
    if changes.schema is None and changes.columns is None:
        return None
    schema = dict(changes.schema if changes.schema is not None else current or {})
    columns.check_storable(schema, "schema")
    if changes.columns is not None:
        schema["columns"] = columns.normalize(changes.columns)
    elif "columns" in schema:
        declared = schema["columns"]
        if not isinstance(declared, list):
            raise ValidationError("schema.columns must be an array of column definitions")
        schema["columns"] = columns.normalize(declared, "schema.columns")
    return schema


def _check_description(value: str | None) -> str | None:
    if value is not None:
        columns.check_storable(value, "description")
    return value


def create_table(space: TenantSpace, user: str, changes: TableChanges) -> V1Table:
    name = check_name(changes.name)
    max_rows = check_max_rows(DEFAULT_MAX_ROWS if changes.max_rows is None else changes.max_rows)
    metadata = changes.metadata or {}
    columns.check_storable(metadata, "metadata")
    schema = _schema(changes, None) or {}
    schema.setdefault("columns", [])
    stamp = now_text()
    with space.write() as conn:
        table = V1Table(
            id=str(uuid.uuid4()),
            name=name,
            sql_name=names.claim(conn, space, name),
            description=_check_description(changes.description),
            schema=schema,
            metadata=metadata,
            max_rows=max_rows,
            row_count=0,
            created_at=stamp,
            updated_at=stamp,
        )
        catalog.insert(conn, table)
        catalog.physical_table(table, space.schema).create(conn)
        audit.record(
            conn,
            user,
            "table.created",
            RESOURCE,
            resource_id=table.id,
            resource_name=table.name,
            details={"name": table.name, "sqlName": table.sql_name, "maxRows": max_rows},
        )
    return table


def get_table(space: TenantSpace, table_id: str) -> V1Table:
    with space.read() as conn:
        return catalog.get(conn, table_id)


def list_tables(space: TenantSpace) -> list[V1Table]:
    with space.read() as conn:
        return catalog.list_all(conn)


def update_table(space: TenantSpace, user: str, table_id: str, changes: TableChanges) -> V1Table:
    """Replace the fields given and only those; the SQL name never changes."""
    name = None if changes.name is None else check_name(changes.name)
    max_rows = None if changes.max_rows is None else check_max_rows(changes.max_rows)
    if changes.metadata is not None:
        columns.check_storable(changes.metadata, "metadata")
    given = changes.given
    with space.write() as conn:
        current = catalog.get(conn, table_id, lock="change")
        if not given:
            return current
        schema = _schema(changes, current.schema)
        if schema is not None:
            schema.setdefault("columns", [])
        description = current.description
        if changes.description is not None or changes.clear_description:
            description = _check_description(changes.description)
        changed = replace(
            current,
            name=current.name if name is None else name,
            description=description,
            schema=current.schema if schema is None else schema,
            metadata=current.metadata if changes.metadata is None else changes.metadata,
            max_rows=current.max_rows if max_rows is None else max_rows,
            updated_at=now_text(),
        )
        catalog.save(conn, changed)
        details: dict[str, Any] = {"fields": given}
        if changed.name != current.name:
            details["previousName"] = current.name
        audit.record(
            conn,
            user,
            "table.updated",
            RESOURCE,
            resource_id=changed.id,
            resource_name=changed.name,
            details=details,
        )
    return changed


def delete_table(space: TenantSpace, user: str, table_id: str) -> None:
    """Drop the table with all its rows."""
    with space.write() as conn:
        table = catalog.get(conn, table_id, lock="change")
        catalog.physical_table(table, space.schema).drop(conn)
        catalog.delete(conn, table.id)
        audit.record(
            conn,
            user,
            "table.deleted",
            RESOURCE,
            resource_id=table.id,
            resource_name=table.name,
            details={"name": table.name, "sqlName": table.sql_name, "rowCount": table.row_count},
        )
