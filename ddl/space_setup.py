"""Making a tenant space's internal tables, and checking cheaply that a space has them.

Creating a tenant is frequent at scale (SPEC §11: 1,000 tenants in under a minute), and so is
opening a space again after the bounded set of open spaces closed it. Both used to run
`MetaData.create_all(checkfirst=True)`: one catalog probe per table, the DDL compiled again each
time, and a write lock on every open. Here the DDL is compiled once per dialect, a new space
gets it in one round trip, and an open space is checked with one query ("are all internal
tables and the collation there?"), so the upgrade of spaces made by earlier releases
(`create_internal_tables`, `collation.install`) only runs when something is missing.
"""

from __future__ import annotations

import threading
from typing import Any

import sqlalchemy as sa
from sqlalchemy.schema import CreateIndex, CreateTable, ExecutableDDLElement

from ddl import collation
from ddl.backends import backend_for
from ddl.catalog import internal_metadata
from ddl.space import CATALOG_SCHEMA

# Compiled DDL carries this token where the schema goes (SQLAlchemy's schema-translate form).
SCHEMA_TOKEN = f"__[SCHEMA_{CATALOG_SCHEMA}]"
_scripts: dict[tuple[str, frozenset[str]], tuple[str, ...]] = {}
_scripts_lock = threading.Lock()


def internal_table_names() -> frozenset[str]:
    return frozenset(table.name for table in internal_metadata.sorted_tables)


def _compile(dialect: sa.Dialect) -> tuple[str, ...]:
    translate: dict[str, Any] = {"schema_translate_map": {CATALOG_SCHEMA: CATALOG_SCHEMA}}
    statements: list[str] = []
    for table in internal_metadata.sorted_tables:
        elements: list[ExecutableDDLElement] = [
            CreateTable(table),
            *(CreateIndex(index) for index in table.indexes),
        ]
        for element in elements:
            compiled = element.compile(
                dialect=dialect, compile_kwargs={"render_schema_translate": False}, **translate
            )
            statements.append(str(compiled))
    return tuple(statements)


def ddl_script(dialect: sa.Dialect) -> tuple[str, ...]:
    """The CREATE TABLE and CREATE INDEX statements of every internal table, with the schema
    as a token; compiled once per dialect (and again only if an internal table was added)."""
    key = (dialect.name, internal_table_names())
    with _scripts_lock:
        script = _scripts.get(key)
        if script is None:
            script = _scripts[key] = _compile(dialect)
    return script


def create_new_space(conn: sa.Connection, schema: str) -> None:
    """The internal tables (and, where text needs it, the collation) of a schema the caller's
    transaction has just made, so no one else sees it yet (no race guard is needed)."""
    backend = backend_for(conn)
    quoted = conn.dialect.identifier_preparer.quote_schema(schema)
    statements = [s.replace(SCHEMA_TOKEN, quoted) for s in ddl_script(conn.dialect)]
    if backend.icu_collation:
        statements.append(collation.pg_create(schema))
    if backend.batched_ddl:  # one round trip: a parameterless multi-statement string
        conn.exec_driver_sql(";\n".join(statements))
        return
    for statement in statements:
        conn.exec_driver_sql(statement)


def space_is_current(conn: sa.Connection, schema: str) -> bool:
    """Whether the space has every internal table of this build (and its collation): one
    query, no lock. False also when the space does not exist yet (a server schema not made
    yet) and on backends without a probe."""
    backend = backend_for(conn)
    probe = backend.space_probe(schema)
    if probe is None:
        return False
    sql, parameters = probe
    rows = conn.exec_driver_sql(sql, parameters) if parameters else conn.exec_driver_sql(sql)
    found = {row[0] for row in rows}
    wanted = internal_table_names()
    if backend.icu_collation:
        wanted = wanted | {""}  # the collation's row
    return wanted <= found


def schema_exists(conn: sa.Connection, schema: str) -> bool:
    """Whether a tenant schema exists (one indexed catalog look-up, not a list of all);
    always true where a tenant is a file."""
    if not backend_for(conn).schema_per_tenant:
        return True
    return bool(sa.inspect(conn).has_schema(schema))
