"""Saved query definitions, one internal table per tenant space (`_ct_queries`), so a tenant
never sees another's queries and a definition commits with its audit event."""

from __future__ import annotations

import uuid
from collections import namedtuple
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

import msgspec
import sqlalchemy as sa

from ddl import driver_sql
from ddl.backends import backend_for
from ddl.catalog import internal_metadata, now_text
from ddl.names import fold

saved_queries = sa.Table(
    "_ct_queries",
    internal_metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("name", sa.String(63), nullable=False),
    sa.Column("name_key", sa.String(63), nullable=False, unique=True),
    sa.Column("namespace", sa.String(63), nullable=False),
    sa.Column("sql_text", sa.UnicodeText, nullable=False),
    sa.Column("dialect", sa.String(32), nullable=False),
    sa.Column("parameters", sa.UnicodeText, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("created_at", sa.String(32), nullable=False),
    sa.Column("updated_at", sa.String(32), nullable=False),
)


class ParameterDef(msgspec.Struct, frozen=True, omit_defaults=True):
    """A declared `@name` parameter as the API shows it; also its stored form."""

    Name: str
    DataTypeId: int
    Default: Any = None
    Required: bool = False


_parameters_decoder = msgspec.json.Decoder(tuple[ParameterDef, ...], float_hook=Decimal)
_encoder = msgspec.json.Encoder(decimal_format="number")  # a Money default stays exact


@dataclass(frozen=True, slots=True)
class SavedQuery:
    id: str
    name: str
    namespace: str
    sql: str
    dialect: str
    parameters: tuple[ParameterDef, ...]
    version: int
    created_at: str
    updated_at: str


def new_query(
    name: str, namespace: str, sql: str, dialect: str, parameters: tuple[ParameterDef, ...]
) -> SavedQuery:
    stamp = now_text()
    return SavedQuery(str(uuid.uuid4()), name, namespace, sql, dialect, parameters, 1, stamp, stamp)


def _from_row(row: Any) -> SavedQuery:
    return SavedQuery(
        id=row.id,
        name=row.name,
        namespace=row.namespace,
        sql=row.sql_text,
        dialect=row.dialect,
        parameters=_parameters_decoder.decode(row.parameters),
        version=row.version,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _values(query: SavedQuery) -> dict[str, object]:
    return {
        "id": query.id,
        "name": query.name,
        "name_key": fold(query.name),
        "namespace": query.namespace,
        "sql_text": query.sql,
        "dialect": query.dialect,
        "parameters": _encoder.encode(query.parameters).decode(),
        "version": query.version,
        "created_at": query.created_at,
        "updated_at": query.updated_at,
    }


_QueryRow = namedtuple("_QueryRow", [column.name for column in saved_queries.c])  # type: ignore[misc]


def _by_name(conn: sa.Connection, lock: bool) -> sa.Select[Any]:
    statement = sa.select(saved_queries).where(saved_queries.c.name_key == sa.bindparam("key"))
    backend = backend_for(conn)
    if lock and not backend.serialised_writers:
        statement = backend.lock_rows(statement, saved_queries, "update")
    return statement


def find(conn: sa.Connection, name: str, *, lock: bool = False) -> SavedQuery | None:
    """The query called `name` (any case), or None; `lock` holds it until commit. Read on
    every run (the driver's cursor, ddl/driver_sql.py), so an edit elsewhere counts at once."""
    read = find_read(conn, name, lock=lock)
    return from_found(driver_sql.fetch_one(conn, read.key, read.build, read.params))


def find_read(conn: sa.Connection, name: str, *, lock: bool = False) -> driver_sql.Read:
    """`find`'s read, to run alone or in one round trip with others (driver_sql.fetch_each)."""
    return driver_sql.Read(("saved_query", lock), lambda: _by_name(conn, lock), {"key": fold(name)})


def from_found(row: tuple[Any, ...] | None) -> SavedQuery | None:
    """The query in a row `find_read` fetched, or None."""
    return _from_row(_QueryRow(*row)) if row else None


def list_all(conn: sa.Connection) -> list[SavedQuery]:
    rows = conn.execute(sa.select(saved_queries).order_by(saved_queries.c.name_key))
    return [_from_row(row) for row in rows]


def insert(conn: sa.Connection, query: SavedQuery) -> None:
    conn.execute(saved_queries.insert().values(**_values(query)))


def update(conn: sa.Connection, current: SavedQuery, changed: SavedQuery) -> SavedQuery:
    """Store `changed` in place of `current` under the next version."""
    stored = replace(
        changed,
        id=current.id,
        created_at=current.created_at,
        version=current.version + 1,
        updated_at=now_text(),
    )
    values = _values(stored)
    del values["id"]
    conn.execute(saved_queries.update().where(saved_queries.c.id == current.id).values(**values))
    return stored


def delete(conn: sa.Connection, query: SavedQuery) -> None:
    conn.execute(saved_queries.delete().where(saved_queries.c.id == query.id))
