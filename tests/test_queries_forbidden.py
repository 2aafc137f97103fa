"""Saved queries refuse everything but one read-only SELECT over the tenant's custom tables:
at save time, again at run time, and with the tables left as they were."""

from __future__ import annotations

from typing import Any

import pytest

from app.tenancy import Tenancy
from queries import store
from tests.conftest import Api, TenantCtx
from tests.test_queries import ORDERS, put_rows, save

READ_ONLY = "a saved query is one read-only SELECT"
OUTSIDE = "outside the CustomTable namespace"
MISSING = "does not exist in the CustomTable namespace"
FUNCTION = "is not allowed in a saved query"
PARSE = "does not parse"

FORBIDDEN = [
    (
        "INSERT INTO ProductCatalog (Oid, Name) VALUES (NEWID(), 'x')",
        "tsql",
        "INSERT is not allowed",
    ),
    ("UPDATE ProductCatalog SET Name = 'x'", "tsql", "UPDATE is not allowed"),
    ("DELETE FROM [customtables].[ProductCatalog]", "tsql", "DELETE is not allowed"),
    (
        "MERGE ProductCatalog AS t USING Orders AS s ON 1 = 0 "
        "WHEN NOT MATCHED THEN INSERT (Oid) VALUES (s.ProductOid);",
        "tsql",
        "MERGE is not allowed",
    ),
    ("DROP TABLE [customtables].[ProductCatalog]", "tsql", "DROP is not allowed"),
    ("CREATE TABLE Evil (a INT)", "tsql", "CREATE is not allowed"),
    ("ALTER TABLE ProductCatalog ADD Evil INT", "tsql", "not allowed"),
    ("TRUNCATE TABLE ProductCatalog", "tsql", "not allowed"),
    ("EXEC xp_cmdshell 'dir'", "tsql", "not allowed"),
    ("EXEC sp_executesql N'DELETE FROM ProductCatalog'", "tsql", "not allowed"),
    ("SELECT * INTO Copied FROM ProductCatalog", "tsql", "SELECT INTO is not allowed"),
    (
        "SELECT Name FROM ProductCatalog; DELETE FROM ProductCatalog",
        "tsql",
        "exactly one statement",
    ),
    ("SELECT * FROM ct_tokens", "tsql", MISSING),
    ("SELECT * FROM dbo.ct_tokens", "tsql", OUTSIDE),
    ("SELECT * FROM sqlite_master", "tsql", MISSING),
    ("SELECT * FROM main.sqlite_master", "tsql", OUTSIDE),
    ("SELECT * FROM information_schema.tables", "tsql", OUTSIDE),
    ("SELECT * FROM pg_catalog.pg_tables", "tsql", OUTSIDE),
    ("SELECT * FROM sys.objects", "tsql", OUTSIDE),
    ("SELECT * FROM public.ct_tenants", "tsql", OUTSIDE),
    ("SELECT * FROM [customtables].[_ct_tables]", "tsql", MISSING),
    ("SELECT * FROM customtables._ct_audit", "tsql", MISSING),
    (
        "SELECT * FROM OPENROWSET('SQLNCLI', 'Server=x;Trusted_Connection=yes', 'SELECT 1') AS a",
        "tsql",
        "OPENROWSET is not allowed",
    ),
    ("SELECT * FROM OPENQUERY(LinkedSrv, 'SELECT 1')", "tsql", "OPENQUERY is not allowed"),
    ("SELECT * FROM LinkedSrv.master.dbo.sysobjects", "tsql", "not allowed"),
    ("SELECT pg_read_file('/etc/passwd')", "tsql", "PG_READ_FILE " + FUNCTION),
    ("SELECT Name, pg_sleep(10) FROM ProductCatalog", "tsql", "PG_SLEEP " + FUNCTION),
    ("SELECT load_extension('evil')", "tsql", "LOAD_EXTENSION " + FUNCTION),
    ("SELECT xp_cmdshell('dir')", "tsql", "XP_CMDSHELL " + FUNCTION),
    ("SELECT dbo.fn_evil(1) FROM ProductCatalog", "tsql", "not allowed"),
    ("WAITFOR DELAY '00:00:10'", "tsql", PARSE),
    ("SELECT NEXT VALUE FOR dbo.seq", "tsql", FUNCTION),
    ("SELECT @@VERSION", "tsql", "System variables (@@VERSION) are not allowed"),
    ("GRANT SELECT ON ProductCatalog TO public", "tsql", "not allowed"),
    ("DECLARE @x INT", "tsql", "not allowed"),
    ("USE master", "tsql", "not allowed"),
    ("SELECT * FROM customtables_other.ProductCatalog", "tsql", OUTSIDE),
    ("SELECT * FROM ProductCatalog p JOIN [customtables_x].[Orders] o ON 1 = 1", "tsql", OUTSIDE),
    ("SELECT * FROM generate_series(1, 10)", "tsql", "not allowed"),
    ("WITH d AS (DELETE FROM ProductCatalog RETURNING *) SELECT * FROM d", "postgres", "DELETE"),
    ("SELECT * FROM ProductCatalog FOR UPDATE", "postgres", "Locking clauses"),
    ("COPY (SELECT 1) TO '/tmp/evil'", "postgres", "not allowed"),
    ("SELECT set_config('role', 'postgres', false)", "postgres", "SET_CONFIG " + FUNCTION),
    ("SELECT dblink('host=x', 'SELECT 1')", "postgres", "DBLINK " + FUNCTION),
    ("PRAGMA writable_schema = 1", "sqlite", "not allowed"),
    ("ATTACH DATABASE '/tmp/evil.db' AS evil", "sqlite", "not allowed"),
    ("SELECT readfile('/etc/passwd')", "sqlite", "READFILE " + FUNCTION),
]


@pytest.fixture
def shop(api: Api, products: str) -> Api:
    assert api.post("custom-tables/Orders", json=ORDERS).status_code == 201
    put_rows(api, products, [{"Oid": "a1b2c3d4-0000-0000-0000-00000000000a", "Name": "Kept"}])
    return api


def intact(api: Api) -> None:
    tables = api.get("custom-tables").json()
    assert sorted(t["TableName"] for t in tables) == ["Orders", "ProductCatalog"]
    product = next(t for t in tables if t["TableName"] == "ProductCatalog")
    assert [c["ColumnName"] for c in product["Columns"]] == ["Name", "Price", "IsActive"]
    rows = api.get("custom-tables/ProductCatalog/rows/values?Format=flat").json()
    assert [row["Name"] for row in rows] == ["Kept"]


def test_at_least_25_kinds_are_listed() -> None:
    assert len(FORBIDDEN) >= 25


@pytest.mark.parametrize(("sql", "dialect", "message"), FORBIDDEN)
def test_refused_when_saved(shop: Api, sql: str, dialect: str, message: str) -> None:
    response = save(shop, "Evil", sql, Dialect=dialect)
    assert response.status_code == 400, response.text
    assert response.json()["Code"] == "VALIDATION_ERROR"
    assert message in response.json()["Message"]
    assert shop.get("queries").json() == []
    intact(shop)


def plant(tenancy: Tenancy, tenant: str, name: str, sql: str, dialect: str) -> None:
    """A definition written straight into the store, as if the save-time check had a gap."""
    space = tenancy.space(tenancy.get_tenant(tenant))
    with space.write() as conn:
        store.insert(conn, store.new_query(name, "CustomTable", sql, dialect, ()))


@pytest.mark.parametrize(("sql", "dialect", "message"), FORBIDDEN)
def test_refused_again_when_run(
    tenant: TenantCtx, shop: Api, sql: str, dialect: str, message: str
) -> None:
    plant(tenant.tenancy, tenant.name, "Planted", sql, dialect)
    for response in (shop.get("queries/Planted/execute"), shop.post("queries/Planted/execute")):
        assert response.status_code == 400, response.text
        assert message in response.json()["Message"]
    intact(shop)


def test_another_tenants_tables_and_queries_are_out_of_reach(
    tenant: TenantCtx, other_tenant: TenantCtx, shop: Api
) -> None:
    theirs = other_tenant.admin
    secret = {
        "KeyColumnName": "Id",
        "KeyDataTypeId": 3,
        "Columns": [{"ColumnName": "Code", "ColumnDataTypeId": 7}],
    }
    assert theirs.post("custom-tables/Secret", json=secret).status_code == 201
    put_rows(theirs, "Secret", [{"Id": 1, "Code": "s3cr3t"}], key="Id")
    assert save(theirs, "Mine", "SELECT Code FROM Secret").status_code == 201
    assert theirs.get("queries/Mine/execute").json()["Rows"] == [{"Code": "s3cr3t"}]
    schema = tenant.tenancy.get_tenant(other_tenant.name).schema_name
    attempts: list[tuple[str, str]] = [
        ("SELECT Code FROM Secret", MISSING),
        ("SELECT Code FROM [customtables].[Secret]", MISSING),
        (f"SELECT Code FROM [{schema}].[Secret]", OUTSIDE),
        (f"SELECT Code FROM {other_tenant.name}.Secret", OUTSIDE),
    ]
    for sql, message in attempts:
        response = save(shop, "Steal", sql)
        assert response.status_code == 400, response.text
        assert message in response.json()["Message"]
    # The other tenant's saved query is as invisible as a missing one.
    for response in (shop.get("queries/Mine"), shop.get("queries/Mine/execute")):
        assert response.status_code == 404
        assert response.json()["Message"] == "Saved query 'Mine' does not exist"
    assert [q["Name"] for q in shop.get("queries").json()] == []


def body(response: Any) -> Any:
    assert response.status_code == 200, response.text
    return response.json()
