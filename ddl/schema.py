"""Schema changes: CREATE TABLE, ADD COLUMN, DROP TABLE, each in one transaction with its
catalog row, and the checks that decide 201 / 200 / 409 for a create-or-extend request."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import sqlalchemy as sa
from alembic.migration import MigrationContext
from alembic.operations import Operations

from ddl import audit, catalog
from ddl.access import Caller, require_admin
from ddl.catalog import ColumnDef, TableDef
from ddl.errors import Conflict, NotFound, TableNotFound, ValidationError
from ddl.names import check_column_name, check_role_name, check_table_name, fold
from ddl.prepared import build_sql_table, prepare
from ddl.space import TenantSpace
from ddl.types import (
    KEY_TYPES,
    MAX_COLUMN_LENGTH,
    MAX_KEY_LENGTH,
    MAX_TYPE_ID,
    TypeId,
    type_name,
)
from ddl.v1 import names as v1_names

MAX_COLUMNS = 1000


@dataclass(frozen=True, slots=True)
class TableSpec:
    """A validated create-or-extend request."""

    name: str
    key_column: str
    key_type: TypeId
    key_length: int | None
    columns: tuple[ColumnDef, ...]
    read_roles: tuple[str, ...] = ()
    save_roles: tuple[str, ...] = ()


def _type_id(value: object, what: str) -> TypeId:
    if type(value) is not int or value not in TypeId._value2member_map_:
        raise ValidationError(f"{what} must be a type id from 0 to {MAX_TYPE_ID}, got {value!r}")
    return TypeId(value)


def _length(type_id: TypeId, length: object, what: str, limit: int) -> int | None:
    if type_id is TypeId.VARCHAROTHER:
        if type(length) is not int or not 1 <= length <= limit:
            raise ValidationError(f"{what} must be an integer from 1 to {limit} for VarcharOther")
        return length
    if length is not None:
        raise ValidationError(f"{what} applies only to VarcharOther (11)")
    return None


def check_column(name: object, type_id: object, length: object) -> ColumnDef:
    column = check_column_name(name)
    kind = _type_id(type_id, f"ColumnDataTypeId of column '{column}'")
    size = _length(kind, length, f"ColumnLength of column '{column}'", MAX_COLUMN_LENGTH)
    return ColumnDef(column, int(kind), size)


def check_spec(
    name: str,
    key_column: object,
    key_type: object,
    key_length: object,
    columns: Sequence[tuple[object, object, object]],
    read_roles: Sequence[str] = (),
    save_roles: Sequence[str] = (),
) -> TableSpec:
    """Validate a create-or-extend request before anything touches the database."""
    table = check_table_name(name)
    if key_column is None:
        raise ValidationError("KeyColumnName is required")
    key = check_column_name(key_column, "key column name")
    kind = _type_id(9 if key_type is None else key_type, "KeyDataTypeId")
    if kind not in KEY_TYPES:
        allowed = ", ".join(f"{int(t)} ({type_name(t)})" for t in sorted(KEY_TYPES))
        raise ValidationError(f"KeyDataTypeId {int(kind)} cannot be a key; use one of {allowed}")
    size = _length(kind, key_length, "KeyColumnLength", MAX_KEY_LENGTH)
    checked = tuple(check_column(*column) for column in columns)
    seen = {fold(key)}
    for column in checked:
        if fold(column.ColumnName) in seen:
            raise ValidationError(f"Column '{column.ColumnName}' is listed twice or is the key")
        seen.add(fold(column.ColumnName))
    if len(checked) > MAX_COLUMNS:
        raise ValidationError(f"A table has at most {MAX_COLUMNS} columns")
    reads, saves = _roles(read_roles, "ReadRoles"), _roles(save_roles, "SaveRoles")
    return TableSpec(table, key, kind, size, checked, reads, saves)


def new_columns(existing: TableDef, spec: TableSpec) -> list[ColumnDef]:
    """Columns of `spec` that `existing` lacks; a clash of key or type is a 409."""
    if fold(spec.key_column) != fold(existing.key_column):
        raise Conflict(
            f"Custom table '{existing.name}' has key column '{existing.key_column}', "
            f"not '{spec.key_column}'"
        )
    if spec.key_type != existing.key_type or (
        spec.key_length is not None and spec.key_length != existing.key_length
    ):
        raise Conflict(
            f"Key column '{existing.key_column}' of custom table '{existing.name}' is "
            f"{type_name(existing.key_type)} ({int(existing.key_type)}); its type never changes"
        )
    added = []
    for column in spec.columns:
        current = existing.column(column.ColumnName)
        if current is None:
            added.append(column)
        elif (current.ColumnDataTypeId, current.ColumnLength) != (
            column.ColumnDataTypeId,
            column.ColumnLength,
        ):
            raise Conflict(
                f"Column '{current.ColumnName}' of custom table '{existing.name}' is "
                f"{type_name(current.ColumnDataTypeId)} ({current.ColumnDataTypeId}); "
                "a column's type never changes"
            )
    if len(existing.columns) + len(added) > MAX_COLUMNS:
        raise ValidationError(f"A table has at most {MAX_COLUMNS} columns")
    return added


def add_columns(
    conn: sa.Connection, space: TenantSpace, table: TableDef, columns: Sequence[ColumnDef]
) -> TableDef:
    """ALTER TABLE ADD COLUMN for each column, and the catalog's next version, in `conn`'s
    transaction."""
    if not columns:
        return table
    extended = replace(table, columns=table.columns + tuple(columns))
    physical = build_sql_table(extended, space.schema, space.backend)
    add_physical_columns(Operations(MigrationContext.configure(conn)), physical, columns)
    return catalog.save_definition(conn, extended)


def add_physical_columns(
    operations: Operations, physical: sa.Table, columns: Sequence[ColumnDef]
) -> None:
    """ALTER TABLE … ADD for each column, through Alembic (which knows each dialect's form);
    `physical` is the extended table, so each column carries its final SQL type."""
    for column in columns:
        operations.add_column(
            physical.name, physical.c[column.ColumnName]._copy(), schema=physical.schema
        )


def create_table(conn: sa.Connection, space: TenantSpace, spec: TableSpec) -> TableDef:
    v1_names.refuse_if_v1(conn, space, spec.name)  # one namespace for v1 and v3 SQL names
    definition = catalog.new_definition(
        spec.name,
        spec.key_column,
        spec.key_type,
        spec.key_length,
        spec.columns,
        spec.read_roles,
        spec.save_roles,
    )
    catalog.insert_definition(conn, definition)
    build_sql_table(definition, space.schema, space.backend).create(conn)
    return definition


def create_or_extend(
    space: TenantSpace, caller: Caller, spec: TableSpec
) -> tuple[TableDef, bool, list[str]]:
    """Create the table, or add the columns it lacks. Returns (definition, created, added).

    Two requests creating the same new table at once both find no row to lock; the second
    one's catalog insert then fails on the unique name, and it goes round again to extend."""
    require_admin(caller, "create or change custom tables")
    for attempt in range(3):
        try:
            return _create_or_extend(space, caller, spec)
        except sa.exc.IntegrityError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _create_or_extend(
    space: TenantSpace, caller: Caller, spec: TableSpec
) -> tuple[TableDef, bool, list[str]]:
    with space.write() as conn:
        existing = catalog.lock_for_change(conn, spec.name)
        if existing is None:
            created = create_table(conn, space, spec)
            audit.record_table(
                conn, caller.user, audit.TABLE_CREATED, created, created_details(created)
            )
            return created, True, [c.ColumnName for c in spec.columns]
        added = new_columns(existing, spec)
        extended = add_columns(conn, space, existing, added)
        if added:
            audit.record_table(
                conn, caller.user, audit.COLUMNS_ADDED, extended, added_details(added)
            )
        return extended, False, [c.ColumnName for c in added]


def created_details(table: TableDef) -> dict[str, object]:
    details: dict[str, object] = {
        "KeyColumnName": table.key_column,
        "KeyDataTypeId": int(table.key_type),
        "Columns": list(table.columns),
        "ReadRoles": list(table.read_roles),
        "SaveRoles": list(table.save_roles),
    }
    if table.key_length is not None:
        details["KeyColumnLength"] = table.key_length
    return details


def added_details(columns: Sequence[ColumnDef]) -> dict[str, object]:
    return {"Columns": list(columns)}


def drop_table(space: TenantSpace, caller: Caller, name: str) -> None:
    require_admin(caller, "drop custom tables")
    with space.write() as conn:
        existing = catalog.lock_for_change(conn, name)
        if existing is None:
            raise TableNotFound(name)
        prepare(space, existing).table.drop(conn)
        catalog.delete_definition(conn, existing)
        audit.record_table(
            conn, caller.user, audit.TABLE_DROPPED, existing, created_details(existing)
        )


def _roles(value: Sequence[object], what: str) -> tuple[str, ...]:
    """The roles of `what` (ReadRoles or SaveRoles), each checked as a token's roles are, so a
    required role is one a token can be given, and no control character reaches the catalog."""
    return tuple(dict.fromkeys(check_role_name(role, f"{what} role") for role in value))


def set_roles(
    space: TenantSpace,
    caller: Caller,
    table_id: str,
    read_roles: Sequence[object] | None,
    save_roles: Sequence[object] | None,
) -> TableDef:
    """Replace ReadRoles and/or SaveRoles of the table with this definition id."""
    require_admin(caller, "change table permissions")
    reads = None if read_roles is None else _roles(read_roles, "ReadRoles")
    saves = None if save_roles is None else _roles(save_roles, "SaveRoles")
    with space.write() as conn:
        found = catalog.find_by_id(conn, table_id)
        current = found and catalog.lock_for_change(conn, found.name)
        if current is None:
            raise NotFound(f"Custom table definition '{table_id}' does not exist")
        changed = replace(
            current,
            read_roles=current.read_roles if reads is None else reads,
            save_roles=current.save_roles if saves is None else saves,
        )
        stored = catalog.save_definition(conn, changed)
        audit.record_table(
            conn,
            caller.user,
            audit.PERMISSIONS_CHANGED,
            stored,
            {
                "Before": {
                    "ReadRoles": list(current.read_roles),
                    "SaveRoles": list(current.save_roles),
                },
                "After": {
                    "ReadRoles": list(stored.read_roles),
                    "SaveRoles": list(stored.save_roles),
                },
            },
        )
        return stored


def row_count(conn: sa.Connection, space: TenantSpace, table: TableDef) -> int:
    return int(conn.execute(count_query(prepare(space, table).table)).scalar_one())


def count_query(physical: sa.Table) -> sa.Select[Any]:
    return sa.select(sa.func.count()).select_from(physical)
