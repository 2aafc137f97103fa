"""The database's own wall (DESIGN invariant 5): SQL handed straight to the executor, past the
parser's checks, still cannot write, read internal tables or tokens, or reach another tenant,
and still stops at the time limit. The pooled connection is clean again afterwards."""

from __future__ import annotations

import contextlib
import sqlite3
import threading
import time
import uuid

import pytest

from app.tenancy import Tenancy
from ddl import catalog
from ddl.backends import backend_for
from ddl.errors import QueryTimeout, ValidationError
from ddl.space import TenantSpace
from queries import run
from tests.conftest import Api, TenantCtx
from tests.test_queries import put_rows

ROW = {"Oid": "a1b2c3d4-0000-0000-0000-000000000001", "Name": "Kept", "Price": 1, "IsActive": True}


def space_of(tenancy: Tenancy, tenant: str) -> TenantSpace:
    return tenancy.space(tenancy.get_tenant(tenant))


def execute(space: TenantSpace, sql: str, timeout: float = 5) -> run.RawResult:
    with space.read() as conn:
        tables = catalog.list_tables(conn)
    return run.execute(space, sql, {}, timeout=timeout, max_rows=100, tables=tables)


def still_intact(api: Api) -> None:
    rows = api.get("custom-tables/ProductCatalog/rows/values?Format=flat").json()
    assert [row["Name"] for row in rows] == ["Kept"]
    # The connection went back to the pool without its guard: writes work again.
    put_rows(api, "ProductCatalog", [{**ROW, "Name": "Kept"}])


def mssql_attacks(space: TenantSpace, other: TenantSpace) -> list[str]:
    own = f"[{space.schema}]"
    table = f"{own}.[ProductCatalog]"
    return [
        f"DELETE FROM {table}",
        f"UPDATE {table} SET Name = 'hacked'",
        f"INSERT INTO {table} (Oid, Name) VALUES (NEWID(), 'y')",
        f"DROP TABLE {table}",
        f"CREATE TABLE {own}.evil (a INT)",
        f"SELECT * FROM {own}.[_ct_tables]",
        f"SELECT * FROM {own}.[_ct_audit]",
        "SELECT * FROM dbo.ct_tokens",
        "SELECT * FROM dbo.ct_tenants",
        f"SELECT * FROM [{other.schema}].[Secret]",
        f"REVERT; DELETE FROM {table}",
        f"EXECUTE AS USER = 'dbo'; DELETE FROM {table}",
        "EXEC xp_cmdshell 'dir'",
        f"SELECT * INTO {own}.copied FROM {table}",
    ]


def attacks(space: TenantSpace, other: TenantSpace) -> list[str]:
    if space.backend.name == "mssql":
        return mssql_attacks(space, other)
    own = f'"{space.schema}"'
    table = f'{own}."ProductCatalog"'
    common = [
        f"DELETE FROM {table}",
        f"UPDATE {table} SET \"Name\" = 'hacked'",
        f"INSERT INTO {table} (\"Oid\", \"Name\") VALUES ('x', 'y')",
        f"DROP TABLE {table}",
        f"CREATE TABLE {own}.evil (a INTEGER)",
        f"SELECT * FROM {own}._ct_tables",
        f"SELECT * FROM {own}._ct_audit",
    ]
    if space.backend.name == "sqlite":
        meta = str(space.engine.url)  # the tenant engine; the metadata file is beside it
        return [
            *common,
            "SELECT * FROM sqlite_master",
            "SELECT * FROM customtables.sqlite_master",
            "ATTACH DATABASE 'customtables.db' AS meta",
            "PRAGMA query_only = 0",
            "SELECT * FROM ct_tokens",
            f"SELECT '{meta}'; DELETE FROM {table}",
        ]
    return [
        *common,
        "SELECT * FROM public.ct_tokens",
        "SELECT * FROM public.ct_tenants",
        f'SELECT * FROM "{other.schema}"."Secret"',
        "SELECT pg_read_file('/etc/passwd')",
        f"WITH d AS (DELETE FROM {table} RETURNING *) SELECT * FROM d",
        f"SELECT * FROM {table} FOR UPDATE",
    ]


def test_database_refuses_what_the_parser_would(
    tenant: TenantCtx, other_tenant: TenantCtx, api: Api, products: str
) -> None:
    put_rows(api, products, [ROW])
    secret = {
        "KeyColumnName": "Id",
        "KeyDataTypeId": 3,
        "Columns": [{"ColumnName": "Code", "ColumnDataTypeId": 7}],
    }
    assert other_tenant.admin.post("custom-tables/Secret", json=secret).status_code == 201
    put_rows(other_tenant.admin, "Secret", [{"Id": 1, "Code": "s3cr3t"}], key="Id")
    space = space_of(tenant.tenancy, tenant.name)
    other = space_of(tenant.tenancy, other_tenant.name)
    # The guard lets the tenant's own tables through: the refusals below are not blanket.
    assert execute(space, f'SELECT "Name" FROM "{space.schema}"."ProductCatalog"').rows == [
        ("Kept",)
    ]
    for sql in attacks(space, other):
        with pytest.raises(ValidationError) as refused:
            execute(space, sql)
        assert "SELECT" not in refused.value.message, sql  # no SQL text goes back
        still_intact(api)
    assert other_tenant.admin.get("custom-tables/Secret/rows/values?Format=flat").json() == [
        {"Id": 1, "Code": "s3cr3t"}
    ]


def test_side_effects_never_persist(tenant: TenantCtx, api: Api, products: str) -> None:
    """The run's transaction is always rolled back: a function with a side effect that a
    read-only transaction still allows (lo_create on PostgreSQL 15) leaves nothing behind."""
    space = space_of(tenant.tenancy, tenant.name)
    if space.backend.name == "mssql":
        # Anyone may create a global temporary table; made in the run's transaction, it is gone
        # with the rollback (it would outlive the run on the pooled session otherwise).
        probe = f"##ct_probe_{uuid.uuid4().hex}"
        with contextlib.suppress(ValidationError):  # no result set: "could not run"
            execute(space, f"SELECT 1 AS a INTO {probe}")
        with space.engine.connect() as conn:
            found = conn.exec_driver_sql("SELECT OBJECT_ID(?)", (f"tempdb..{probe}",)).scalar()
        assert found is None
        return
    if space.backend.name == "sqlite":
        # Each SQLite layer holds on its own: query_only alone refuses a write the authorizer
        # would have let through.
        put_rows(api, products, [ROW])
        with space.engine.connect() as conn:
            raw = conn.connection.dbapi_connection
            raw.execute("PRAGMA query_only=1")
            try:
                with pytest.raises(sqlite3.OperationalError, match="readonly"):
                    raw.execute('DELETE FROM customtables."ProductCatalog"')
            finally:
                raw.execute("PRAGMA query_only=0")
        still_intact(api)
        return
    created = execute(space, "SELECT lo_create(0)").rows[0][0]
    with space.engine.connect() as conn:
        found = conn.exec_driver_sql(
            "SELECT count(*) FROM pg_largeobject_metadata WHERE oid = %(oid)s", {"oid": created}
        ).scalar_one()
    assert found == 0


def test_database_enforces_the_time_limit(tenant: TenantCtx, api: Api, products: str) -> None:
    space = space_of(tenant.tenancy, tenant.name)
    if space.backend.name == "sqlite":
        sql = (
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT COUNT(*) FROM n"
        )
    elif space.backend.name == "mssql":
        sql = "WAITFOR DELAY '00:00:30'"  # pyodbc's query timeout cancels it
    else:
        sql = "SELECT pg_sleep(30)"
    started = time.monotonic()
    with pytest.raises(QueryTimeout) as stopped:
        execute(space, sql, timeout=1)
    assert time.monotonic() - started < 2
    assert "time limit of 1 s" in stopped.value.message
    put_rows(api, products, [ROW])
    still_intact(api)


def test_concurrent_first_runs_share_the_reader_set_up(api: Api, products: str) -> None:
    """Several requests (as several processes would) set up the reader role and its grants at
    once: each is idempotent and tolerates the others, so every run succeeds. Four at once:
    the tenant's share of concurrent heavy requests (SPEC §9; a fifth would get 429)."""
    put_rows(api, products, [ROW])
    body = {"Name": "Names", "Namespace": "CustomTable", "Sql": "SELECT Name FROM ProductCatalog"}
    response = api.post("queries", json=body)
    assert response.status_code == 201, response.text
    results: list[object] = []

    def first_run() -> None:
        results.append(api.get("queries/Names/execute"))

    for _ in range(2):
        for name in ("postgresql", "mssql"):
            backend_for(name).grants.clear()  # as in a freshly started process
        threads = [threading.Thread(target=first_run) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert len(results) == 8
    for result in results:
        assert result.status_code == 200, result.text
        assert result.json()["Rows"] == [{"Name": "Kept"}]
