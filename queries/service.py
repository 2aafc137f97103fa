"""Saved queries end to end: define (Admin), list and read (any user of the tenant), and run
(read rights on every table the query reads), each through parse → check → plan → run.

Parsing and checking are cached by (SQL, dialect); plans by (SQL, dialect, schema, and the
id and version of every table read), so a repeated run skips sqlglot entirely while a column
added or a table re-created by any process is seen by the next run (DESIGN invariant 6).
"""

from __future__ import annotations

import time
from collections.abc import Generator, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

import msgspec
import sqlalchemy as sa

from ddl import audit, catalog, driver_sql
from ddl.access import Caller, require_admin, require_read
from ddl.cache import LruCache
from ddl.catalog import TableDef
from ddl.errors import Conflict, MissingFunction, NotFound, ValidationError
from ddl.guard import Guard
from ddl.names import check_name, fold
from ddl.row_stream import Budget
from ddl.space import TenantSpace
from queries import answer, deep, params, probe, run, store, stream, v1tables
from queries.check import Checked, check
from queries.parse import dialect_name, parse
from queries.plan import Plan, plan
from queries.store import ParameterDef, SavedQuery

NAMESPACE = "CustomTable"
_NAMESPACES = {"customtable", "customtables"}
_PLAN_CACHE_SIZE = 1024


@dataclass(frozen=True, slots=True)
class QueryInput:
    """A definition as a client sent it (unchecked)."""

    name: str | None  # None on a replace: keep the current name
    namespace: str | None
    sql: str
    dialect: str | None
    parameters: Sequence[ParameterDef]


@dataclass(frozen=True, slots=True)
class QueryResult:
    columns: list[tuple[str, int | None]]
    rows: list[dict[str, Any]]
    truncated: bool


@dataclass(frozen=True, slots=True)
class Limits:
    timeout_seconds: float
    max_rows: int
    max_bytes: int = 32 * 1024 * 1024  # of JSON in one answer


class QueryNotFound(NotFound):
    def __init__(self, name: str) -> None:
        super().__init__(f"Saved query '{name}' does not exist")


# --- compile ----------------------------------------------------------------------------------


@lru_cache(maxsize=1024)
def checked(sql: str, dialect: str) -> Checked:
    """Parse and check once per (SQL, dialect); the tree is never mutated afterwards. Both
    recurse as deep as the SQL is nested, so they run where the stack allows it (deep.call)."""
    return deep.call(lambda: check(parse(sql, dialect), dialect))


_plans: LruCache[tuple[Any, ...], Plan] = LruCache(_PLAN_CACHE_SIZE)


def load_tables(conn: sa.Connection, names: Sequence[str]) -> dict[str, TableDef]:
    """The tenant's definitions of `names` by folded name, v3 tables and v1 tables (by sqlName)
    alike; a name it lacks is refused like any table outside the namespace (another tenant's
    table looks just the same)."""
    wanted = {fold(name): name for name in names}
    found: dict[str, TableDef] = {}
    for key in sorted(wanted):  # one indexed read each, on the driver (ddl/driver_sql.py)
        definition = catalog.find_table(conn, key)
        if definition is not None:
            found[key] = definition
    if len(found) < len(wanted):  # the rest may be v1 tables, named by their sqlName
        found.update(v1tables.load(conn, [key for key in wanted if key not in found]))
    for key, name in wanted.items():
        if key not in found:
            raise ValidationError(
                f"Custom table '{name}' does not exist in the CustomTable namespace"
            )
    return found


def compile_query(
    space: TenantSpace,
    conn: sa.Connection,
    sql: str,
    dialect: str,
    max_rows: int,
    read: Mapping[str, TableDef] | None = None,
) -> tuple[Checked, Plan]:
    """Checked tree and plan for this tenant's current catalog (one catalog read per table;
    none for the tables `read`, by folded name, already holds in this transaction)."""
    tree = checked(sql, dialect)
    wanted = {fold(name) for name in tree.tables}
    if read is not None and wanted <= read.keys():
        tables = {key: read[key] for key in wanted}
    else:
        tables = load_tables(conn, tree.tables)
    versions = tuple((name, t.id, t.version) for name, t in sorted(tables.items()))
    key = (sql, dialect, space.backend.name, space.schema, versions, max_rows)
    found = _plans.get(key)
    if found is not None:
        return tree, found
    made = deep.call(
        lambda: plan(
            tree,
            tables,
            dialect=dialect,
            backend=space.backend.name,
            schema_name=space.schema,
            max_rows=max_rows,
        )
    )
    _plans.put(key, made)
    return tree, made


# --- definitions ------------------------------------------------------------------------------


def _namespace(value: str | None) -> str:
    """The source requires queries to be created with the namespace set to CustomTable."""
    if value is None:
        raise ValidationError("Namespace is required: set it to CustomTable")
    if fold(value.strip()) in _NAMESPACES:
        return NAMESPACE
    raise ValidationError(f"Unknown namespace {value!r}: only the CustomTable namespace exists")


def _validated(
    space: TenantSpace, conn: sa.Connection, request: QueryInput, limits: Limits
) -> SavedQuery:
    """Everything a run would check, done at save time: 400 says what is not allowed."""
    if request.name is None:
        raise ValidationError("Name is required")
    name = check_name(request.name, "query name")
    namespace = _namespace(request.namespace)
    dialect = dialect_name(request.dialect)
    if "\x00" in (request.sql or ""):  # PostgreSQL text cannot hold it: a 500 when stored
        raise ValidationError("Sql may not hold NUL characters")
    declared = params.check_declarations(request.parameters, space.backend.name)
    tree, made = compile_query(space, conn, request.sql, dialect, limits.max_rows)
    params.check_usage(tree.parameters, declared)
    probe.probe(space, tree, dialect, made)  # what cannot run here is refused now
    return store.new_query(name, namespace, request.sql, dialect, declared)


def _details(query: SavedQuery) -> dict[str, Any]:
    return {
        "Sql": query.sql,
        "Dialect": query.dialect,
        "Parameters": [p.Name for p in query.parameters],
    }


def create(space: TenantSpace, caller: Caller, request: QueryInput, limits: Limits) -> SavedQuery:
    require_admin(caller, "define saved queries")
    with space.write() as conn:
        query = _validated(space, conn, request, limits)
        if store.find(conn, query.name, lock=True) is not None:
            raise Conflict(f"Saved query '{query.name}' already exists")
        store.insert(conn, query)
        audit.record(
            conn, caller.user, "query.created", "query",
            resource_id=query.id, resource_name=query.name, details={"after": _details(query)},
        )  # fmt: skip
        return query


def update(
    space: TenantSpace, caller: Caller, name: str, request: QueryInput, limits: Limits
) -> SavedQuery:
    """Replace a definition; a different `Name` in the body renames it."""
    require_admin(caller, "define saved queries")
    with space.write() as conn:
        current = store.find(conn, name, lock=True)
        if current is None:
            raise QueryNotFound(name)
        if request.name is None:  # a replace keeps the name and namespace unless given
            request = replace(request, name=current.name)
        if request.namespace is None:
            request = replace(request, namespace=current.namespace)
        query = _validated(space, conn, request, limits)
        if fold(query.name) != fold(current.name) and store.find(conn, query.name) is not None:
            raise Conflict(f"Saved query '{query.name}' already exists")
        stored = store.update(conn, current, query)
        audit.record(
            conn, caller.user, "query.updated", "query",
            resource_id=stored.id, resource_name=stored.name,
            details={"before": _details(current), "after": _details(stored)},
        )  # fmt: skip
        return stored


def delete(space: TenantSpace, caller: Caller, name: str) -> None:
    require_admin(caller, "delete saved queries")
    with space.write() as conn:
        current = store.find(conn, name, lock=True)
        if current is None:
            raise QueryNotFound(name)
        store.delete(conn, current)
        audit.record(
            conn, caller.user, "query.deleted", "query",
            resource_id=current.id, resource_name=current.name,
            details={"before": _details(current)},
        )  # fmt: skip


def get(space: TenantSpace, name: str) -> SavedQuery:
    with space.read() as conn:
        query = store.find(conn, name)
    if query is None:
        raise QueryNotFound(name)
    return query


def list_queries(space: TenantSpace) -> list[SavedQuery]:
    with space.read() as conn:
        return store.list_all(conn)


# --- runs -------------------------------------------------------------------------------------


def answer_chunks(
    space: TenantSpace,
    caller: Caller,
    name: str,
    supplied: Mapping[str, Any],
    limits: Limits,
    *,
    from_text: bool,
    guard: Guard | None = None,
) -> Generator[bytes, None, None]:
    """A run's answer as JSON chunks (a generator: nothing happens before the first `next`).
    The saved query is checked again against today's catalog in the same transaction as the
    run; the time limit counts from the first `next` and covers compile, execution, fetching
    and encoding; closing the generator ends the run and its transaction. `guard` (the access
    token's check, ddl/guard.py) is judged on a row read with the saved query."""
    deadline = time.monotonic() + limits.timeout_seconds
    with run.session(space) as conn:
        with run.with_begin(conn):
            query, read = _first_reads(space, conn, name, guard)
        if query is None:
            raise QueryNotFound(name)
        tree, made = compile_query(space, conn, query.sql, query.dialect, limits.max_rows, read)
        _tables_read.put((space.tenant_id, fold(name)), tree.tables)
        params.check_usage(tree.parameters, query.parameters)
        for table in made.tables:
            require_read(caller, table)
        values = params.bind(
            query.parameters, made.binds, supplied, space.backend.name, from_text=from_text
        )
        budget = Budget(limits.max_rows, limits.max_bytes, deadline, limits.timeout_seconds)
        rows = stream.batches(
            space, conn, made.sql, values, budget=budget, tables=made.tables,
            positions=made.positions,
        )  # fmt: skip
        try:
            yield from answer.encode(made.columns, rows)  # closes `rows` however it ends
        except MissingFunction as error:
            names = probe.function_names(tree, query.dialect, space.backend.name)
            raise probe.in_users_words(error, names) from None


# (tenant id, folded query name) → the tables its last run read: the definitions the next run
# will want, read with the query itself
_tables_read: LruCache[tuple[str, str], tuple[str, ...]] = LruCache(4096)


def _first_reads(
    space: TenantSpace, conn: sa.Connection, name: str, guard: Guard | None
) -> tuple[SavedQuery | None, dict[str, TableDef]]:
    """The saved query, and today's definitions (by folded name) of the tables its last run
    read, in one round trip (one statement on PostgreSQL, driver_sql.fetch_each) with the
    guard's read, whose verdict comes first. Only which tables to read comes from memory;
    compile_query reads the rest when the query was edited since to read others."""
    keys = sorted({fold(table) for table in _tables_read.get((space.tenant_id, fold(name))) or ()})
    reads = [store.find_read(conn, name)]
    reads += [catalog.definition_read(conn, key, None) for key in keys]
    if guard is not None:
        reads.insert(0, guard.read)
    found = driver_sql.fetch_each(conn, reads)
    if guard is not None:
        guard.check(found.pop(0))
    tables = {key: catalog.table_from(row) for key, row in zip(keys, found[1:], strict=True)}
    return store.from_found(found[0]), {k: t for k, t in tables.items() if t is not None}


def execute(
    space: TenantSpace,
    caller: Caller,
    name: str,
    supplied: Mapping[str, Any],
    limits: Limits,
    *,
    from_text: bool,
) -> QueryResult:
    """A whole run as values (benchmarks and scripts; the HTTP route streams answer_chunks)."""
    text = b"".join(answer_chunks(space, caller, name, supplied, limits, from_text=from_text))
    body = msgspec.json.decode(text)
    columns = [(column["Name"], column["DataTypeId"]) for column in body["Columns"]]
    return QueryResult(columns, body["Rows"], body["Truncated"])
