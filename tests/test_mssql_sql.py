"""Every statement the engine emits on SQL Server, compiled by the real mssql+pyodbc dialect.

No SQL Server can run where these tests run, so the engine's own builders (and its write path,
on a connection stand-in that compiles and records) are compiled for the dialect as a SQL Server
2022 connection would set it up, and the T-SQL and the parameters pyodbc would get are checked.
The HTTP suite runs against a live server too when CUSTOMTABLES_TEST_MSSQL_URL is set.
"""

from __future__ import annotations

import io
import re
import types
import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.migration import MigrationContext
from alembic.operations import Operations
from sqlalchemy.dialects import sqlite
from sqlalchemy.schema import CreateTable, DropTable

from app.migrate import upgrade_sql
from app.tenancy import schema_for
from app.v3.schemas import ColumnValueIn, UpdateModel
from ddl import audit, catalog
from ddl.backends import backend_for, server_engine
from ddl.backends.tsql_statements import MergeUpsert
from ddl.catalog import TableDef, definition_query
from ddl.errors import NotFound, ValidationError
from ddl.prepared import PreparedTable, build_sql_table, prepare
from ddl.reads import OrderBy, rows_query
from ddl.rows import WriteOperation, delete_statement, validate_batch, write_batch
from ddl.schema import add_physical_columns, check_spec, count_query
from ddl.space import CATALOG_SCHEMA, TenantSpace
from ddl.upsert import update_statement, upsert_statement
from ddl.v1 import catalog as v1_catalog
from ddl.v1 import names as v1_names

SCHEMA = "customtables_acme"
MSSQL = backend_for("mssql")
TABLE = f"{SCHEMA}.[Product]"
URL = "mssql+pyodbc://app:secret@db:1433/customtables?driver=ODBC+Driver+18+for+SQL+Server"
# Stands in for the pyodbc module (which needs unixODBC to import): the dialect reads only these
# at construction; nothing connects.
PYODBC_MODULE = types.SimpleNamespace(
    paramstyle="qmark", version="5.2.0", Error=Exception, Cursor=object
)


def mssql_engine() -> sa.Engine:
    """The engine `server_engine` makes for an mssql URL, its dialect set up as `initialize`
    does on the first connection to SQL Server 2022 (OFFSET/FETCH, NVARCHAR(max))."""
    engine = server_engine(URL, module=PYODBC_MODULE)
    dialect: Any = engine.dialect
    dialect.server_version_info = (16, 0, 4135)
    dialect._setup_version_attributes()
    dialect._supports_nvarchar_max = True
    return engine


@pytest.fixture(scope="module")
def space() -> TenantSpace:
    return TenantSpace("tenant-id", "acme", SCHEMA, mssql_engine())


def definition(
    columns: list[tuple[str, int, int | None]],
    key: tuple[str, int, int | None] = ("Oid", 9, None),
    name: str = "Product",
) -> TableDef:
    spec = check_spec(name, key[0], key[1], key[2], columns)
    return catalog.new_definition(
        spec.name, spec.key_column, spec.key_type, spec.key_length, spec.columns, (), ()
    )


PRODUCT = [("Name", 6, None), ("Price", 4, None), ("IsActive", 0, None)]


@pytest.fixture
def products(space: TenantSpace) -> PreparedTable:
    return prepare(space, definition(PRODUCT))


def compiled(space: TenantSpace, statement: Any, **params: Any) -> tuple[str, Any]:
    """T-SQL as executed (tenant schema in place, IN lists expanded) and its parameters."""
    result = statement.compile(
        dialect=space.engine.dialect,
        schema_translate_map={CATALOG_SCHEMA: space.schema},
        render_schema_translate=True,
    )
    if not isinstance(result, sa.sql.compiler.SQLCompiler):  # DDL
        return str(result).strip(), None
    expanded = result.construct_expanded_state(params or None)
    return expanded.statement.strip(), expanded.positiontup


class _NoRows:
    rowcount = 0

    def first(self) -> None:
        return None

    def scalar_one(self) -> int:
        return 0

    def __iter__(self) -> Any:
        return iter(())


def _is_event(sql: str) -> bool:
    """A statement of the change events: the outbox and the webhook deliveries it fans out to."""
    return any(name in sql for name in ("_ct_event", "_ct_webhook", "_ct_deliver"))


class RecordingConnection:
    """Stands in for a SQLAlchemy Connection to SQL Server: compiles what the engine executes
    with the real mssql dialect and records (sql, parameters); every query finds nothing."""

    def __init__(self, space: TenantSpace) -> None:
        self.space = space
        self.dialect = space.engine.dialect
        self.log: list[tuple[str, Any]] = []

    def execute(self, statement: Any, parameters: Any = None) -> _NoRows:
        result = statement.compile(
            dialect=self.dialect,
            schema_translate_map={CATALOG_SCHEMA: self.space.schema},
            render_schema_translate=True,
        )
        self.log.append((str(result).strip(), result.construct_params(parameters)))
        return _NoRows()

    def exec_driver_sql(self, sql: str, parameters: Any = None) -> _NoRows:
        self.log.append((sql, parameters))
        return _NoRows()

    @property
    def data_log(self) -> list[tuple[str, Any]]:
        """The statements on tables and catalog, without the change events (outbox) that every
        write also records on the same connection."""
        return [entry for entry in self.log if not _is_event(entry[0])]

    @property
    def event_log(self) -> list[tuple[str, Any]]:
        return [entry for entry in self.log if _is_event(entry[0])]

    def get_execution_options(self) -> dict[str, Any]:
        """What a tenant space's connection carries: its schema in place of the catalog's."""
        return {"schema_translate_map": {CATALOG_SCHEMA: self.space.schema}}


# --- engine and types ---------------------------------------------------------------------------


def test_server_engine_uses_fast_executemany_and_qmark(space: TenantSpace) -> None:
    dialect: Any = space.engine.dialect
    assert (dialect.name, dialect.driver) == ("mssql", "pyodbc")
    assert dialect.fast_executemany is True
    assert dialect.paramstyle == "qmark"


TYPES = [
    ("C0", 0, None, "BIT"),
    ("C1", 1, None, "DATETIME2"),
    ("C2", 2, None, "FLOAT(53)"),
    ("C3", 3, None, "BIGINT"),
    ("C4", 4, None, "DECIMAL(19, 4)"),
    ("C5", 5, None, "NVARCHAR(50)"),
    ("C6", 6, None, "NVARCHAR(100)"),
    ("C7", 7, None, "NVARCHAR(max)"),
    ("C8", 8, None, "NVARCHAR(max)"),
    ("C9", 9, None, "UNIQUEIDENTIFIER"),
    ("C10", 10, None, "NVARCHAR(200)"),
    ("C11", 11, 4000, "NVARCHAR(4000)"),
    ("C12", 12, None, "VARBINARY(max)"),
]


def _column_types(create_sql: str) -> dict[str, str]:
    found = re.findall(r"^\s*\[?(\w+)\]? (.+?) (NOT NULL|NULL),? ?$", create_sql, re.MULTILINE)
    return {name: f"{sql_type} {null}" for name, sql_type, null in found}


def test_create_table_renders_each_spec_type(space: TenantSpace) -> None:
    table = build_sql_table(
        definition([(n, t, length) for n, t, length, _ in TYPES]), SCHEMA, MSSQL
    )
    sql, _ = compiled(space, CreateTable(table))
    assert sql.startswith(f"CREATE TABLE {TABLE} (")
    assert _column_types(sql) == {
        "Oid": "UNIQUEIDENTIFIER NOT NULL",
        **{name: f"{expected} NULL" for name, _, _, expected in TYPES},
    }
    assert sql.endswith("PRIMARY KEY ([Oid])\n)")


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        (("Id", 3, None), "BIGINT"),
        (("Code", 5, None), "NVARCHAR(50)"),
        (("Code", 6, None), "NVARCHAR(100)"),
        (("Code", 10, None), "NVARCHAR(200)"),
        (("Code", 11, 450), "NVARCHAR(450)"),
        (("Oid", 9, None), "UNIQUEIDENTIFIER"),
    ],
)
def test_key_types(space: TenantSpace, key: tuple[str, int, int | None], expected: str) -> None:
    table = build_sql_table(definition([("Name", 6, None)], key=key), SCHEMA, MSSQL)
    sql, _ = compiled(space, CreateTable(table))
    assert _column_types(sql)[key[0]] == f"{expected} NOT NULL"


def test_drop_table(space: TenantSpace, products: PreparedTable) -> None:
    assert compiled(space, DropTable(products.table))[0] == f"DROP TABLE {TABLE}"


def test_add_column_through_alembic(space: TenantSpace, products: PreparedTable) -> None:
    extended = definition([*PRODUCT, ("Stock", 3, None), ("Notes", 7, None), ("Sku", 11, 30)])
    buffer = io.StringIO()
    context = MigrationContext.configure(
        dialect=space.engine.dialect, opts={"as_sql": True, "output_buffer": buffer}
    )
    add_physical_columns(
        Operations(context), build_sql_table(extended, SCHEMA, MSSQL), extended.columns[3:]
    )
    statements = [s.strip() for s in buffer.getvalue().split("GO") if s.strip()]
    assert statements == [
        f"ALTER TABLE {TABLE} ADD [Stock] BIGINT NULL;",
        f"ALTER TABLE {TABLE} ADD [Notes] NVARCHAR(max) NULL;",
        f"ALTER TABLE {TABLE} ADD [Sku] NVARCHAR(30) NULL;",
    ]


def test_count_query(space: TenantSpace, products: PreparedTable) -> None:
    assert compiled(space, count_query(products.table))[0] == (
        f"SELECT count(*) AS count_1 \nFROM {TABLE}"
    )


# --- writes -------------------------------------------------------------------------------------


def test_merge_for_every_column(products: PreparedTable) -> None:
    statement = products.compiled("t-all", lambda: upsert_statement(products, products.ordered[1:]))
    assert statement.sql == (
        f"MERGE INTO {TABLE} WITH (HOLDLOCK) AS t\n"
        "USING (VALUES (CAST(? AS UNIQUEIDENTIFIER), CAST(? AS NVARCHAR(100)), "
        "CAST(? AS DECIMAL(19, 4)), CAST(? AS BIT))) AS s ([Oid], [Name], [Price], [IsActive])\n"
        "ON t.[Oid] = s.[Oid]\n"
        "WHEN MATCHED THEN UPDATE SET [Name] = s.[Name], [Price] = s.[Price], "
        "[IsActive] = s.[IsActive]\n"
        "WHEN NOT MATCHED THEN INSERT ([Oid], [Name], [Price], [IsActive]) "
        "VALUES (s.[Oid], s.[Name], s.[Price], s.[IsActive]);"
    )
    assert statement.order == ("_k", "_c0", "_c1", "_c2")


def test_merge_of_a_subset_touches_only_those_columns(products: PreparedTable) -> None:
    price = products.lookup("Price")
    assert price is not None
    statement = products.compiled("t-price", lambda: upsert_statement(products, [price]))
    assert "UPDATE SET [Price] = s.[Price]\n" in statement.sql
    assert "[Name]" not in statement.sql
    assert "INSERT ([Oid], [Price]) VALUES (s.[Oid], s.[Price]);" in statement.sql
    assert statement.order == ("_k", "_c0")


def test_merge_of_the_key_alone_inserts_or_does_nothing(products: PreparedTable) -> None:
    statement = products.compiled("t-none", lambda: upsert_statement(products, []))
    assert statement.sql == (
        f"MERGE INTO {TABLE} WITH (HOLDLOCK) AS t\n"
        "USING (VALUES (CAST(? AS UNIQUEIDENTIFIER))) AS s ([Oid])\n"
        "ON t.[Oid] = s.[Oid]\n"
        "WHEN NOT MATCHED THEN INSERT ([Oid]) VALUES (s.[Oid]);"
    )


def test_merge_brackets_reserved_words(space: TenantSpace) -> None:
    table = prepare(space, definition([("Order", 3, None), ("select", 5, None)], name="Key"))
    statement = table.compiled("t", lambda: upsert_statement(table, table.ordered[1:]))
    assert statement.sql.startswith(f"MERGE INTO {SCHEMA}.[Key] WITH (HOLDLOCK) AS t\n")
    assert "AS s ([Oid], [Order], [select])" in statement.sql
    assert "UPDATE SET [Order] = s.[Order], [select] = s.[select]" in statement.sql


@pytest.mark.parametrize("name", ["a]b", "x; DROP TABLE y", "[Name]", "_ct_tables", "a b"])
def test_names_that_could_break_out_never_reach_sql(name: str) -> None:
    with pytest.raises(ValidationError):
        definition([(name, 6, None)])


def test_merge_is_only_for_sql_server(products: PreparedTable) -> None:
    statement = MergeUpsert(products.table, "Oid", ["Name"], "_k", ["_c0"])
    with pytest.raises(sa.exc.CompileError, match="only on SQL Server"):
        statement.compile(dialect=sqlite.dialect())


def test_single_row_update(products: PreparedTable) -> None:
    name = products.lookup("Name")
    assert name is not None
    statement = products.compiled("u", lambda: update_statement(products, [name]))
    assert statement.sql == f"UPDATE {TABLE} SET [Name]=? WHERE {TABLE}.[Oid] = ?"
    assert statement.order == ("_c0", "_k")


def _row(key: Any, **columns: Any) -> UpdateModel:
    return UpdateModel(
        KeyValue=key, Columns=[ColumnValueIn(name, value) for name, value in columns.items()]
    )


def test_batch_upsert_binds_what_pyodbc_needs(space: TenantSpace) -> None:
    """The whole write path: keys probed with one OPENJSON statement, then one executemany of
    MERGE per column set, with values converted for pyodbc (str GUIDs, Decimal, bool,
    naive UTC datetime, bytes)."""
    table = prepare(
        space,
        definition(
            [
                ("Name", 6, None),
                ("Price", 4, None),
                ("IsActive", 0, None),
                ("Seen", 1, None),
                ("Blob", 12, None),
                ("Ref", 9, None),
            ]
        ),
    )
    rows = [
        _row("A1B2C3D4-0000-0000-0000-000000000001", Name="A", Price=39.99, IsActive=1),
        _row("{a1b2c3d4-0000-0000-0000-000000000002}", Name="B", Price="1.23456", IsActive="true"),
        _row("a1b2c3d4-0000-0000-0000-000000000003", Seen="2026-01-15T12:00:00+02:00"),
        _row(
            "a1b2c3d4-0000-0000-0000-000000000003",
            Blob="AAE=",
            Ref="ABCDEF00-0000-0000-0000-0000000000FF",
        ),
        _row(None, Name=None),
    ]
    batch = validate_batch(table, rows, generate_keys=True)
    connection: Any = RecordingConnection(space)
    result = write_batch(connection, table, WriteOperation.UPSERT_MANY, batch)
    assert (result.inserted, result.updated) == (4, 0)

    (probe, probe_params), *merges = connection.data_log
    assert connection.event_log, "the batch's change event is written on the same connection"
    assert probe == (
        "SELECT count(*) FROM OPENJSON(?) WITH (k NVARCHAR(36) '$') AS j\n"
        f"WHERE EXISTS (SELECT 1 FROM {SCHEMA}.[Product] AS t WHERE t.[Oid] = j.k)"
    )
    generated = result.key_values[-1]
    assert uuid.UUID(generated).version == 4
    assert probe_params == (
        '["a1b2c3d4-0000-0000-0000-000000000001","a1b2c3d4-0000-0000-0000-000000000002",'
        f'"a1b2c3d4-0000-0000-0000-000000000003","{generated}"]',
    )
    by_columns = {re.search(r"AS s \((.*?)\)", sql).group(1): params for sql, params in merges}  # type: ignore[union-attr]
    assert by_columns == {
        "[Oid], [Name], [Price], [IsActive]": [
            ("a1b2c3d4-0000-0000-0000-000000000001", "A", Decimal("39.9900"), True),
            ("a1b2c3d4-0000-0000-0000-000000000002", "B", Decimal("1.2346"), True),
        ],
        "[Oid], [Seen], [Blob], [Ref]": [
            (
                "a1b2c3d4-0000-0000-0000-000000000003",
                datetime(2026, 1, 15, 10, 0),  # naive UTC
                b"\x00\x01",
                "abcdef00-0000-0000-0000-0000000000ff",
            )
        ],
        "[Oid], [Name]": [(generated, None)],
    }
    assert all(sql.startswith(f"MERGE INTO {TABLE} WITH (HOLDLOCK)") for sql, _ in merges)


def test_update_of_missing_rows_names_one_given_key(space: TenantSpace) -> None:
    """`Update` updates, and when its row count falls short asks which keys exist; SQL Server
    answers with the keys as we sent them (not upper-case GUIDs), so the message is right."""
    table = prepare(space, definition(PRODUCT))
    key = "a1b2c3d4-0000-0000-0000-00000000000a"
    batch = validate_batch(table, [_row(key.upper(), Name="x")], generate_keys=False)
    connection: Any = RecordingConnection(space)
    with pytest.raises(NotFound, match=f"Oid = '{key}'"):
        write_batch(connection, table, WriteOperation.UPDATE, batch)
    (update, update_params), (which, which_params) = connection.log
    assert update.startswith(f"UPDATE {TABLE} SET [Name]=?")  # its row count falls short,
    assert update_params == [("x", key)]
    assert which.startswith("SELECT j.k FROM OPENJSON(?) WITH (k NVARCHAR(36) '$') AS j\n")
    assert which_params == (f'["{key}"]',)  # so which keys exist is asked


@pytest.mark.parametrize(
    ("key", "given_as"), [(("Id", 3, None), "BIGINT"), (("Code", 11, 40), "NVARCHAR(40)")]
)
def test_existing_keys_probe_keeps_the_key_type(
    space: TenantSpace, key: tuple[str, int, int | None], given_as: str
) -> None:
    table = prepare(space, definition([("Name", 6, None)], key=key))
    keys = [7, 8] if key[1] == 3 else ["x", "Y"]
    batch = validate_batch(table, [_row(k, Name="n") for k in keys], generate_keys=False)
    connection: Any = RecordingConnection(space)
    write_batch(connection, table, WriteOperation.UPSERT_MANY, batch)
    probe, params = connection.log[0]
    assert f"WITH (k {given_as} '$') AS j" in probe
    assert f"WHERE t.[{key[0]}] = j.k)" in probe
    assert params == ("[7,8]",) if key[1] == 3 else ('["x","Y"]',)


def test_delete_by_keys_and_all(space: TenantSpace, products: PreparedTable) -> None:
    keys = ["a1b2c3d4-0000-0000-0000-000000000001", "a1b2c3d4-0000-0000-0000-000000000002"]
    sql, order = compiled(space, delete_statement(products.table, "Oid"), keys=keys)
    assert sql == f"DELETE FROM {TABLE} WHERE {TABLE}.[Oid] IN (?, ?)"
    assert order == ["keys_1", "keys_2"]
    assert compiled(space, delete_statement(products.table))[0] == f"DELETE FROM {TABLE}"


# --- reads --------------------------------------------------------------------------------------

COLUMNS = f"{TABLE}.[Oid], {TABLE}.[Name], {TABLE}.[Price], {TABLE}.[IsActive]"


def test_read_top_uses_top(space: TenantSpace, products: PreparedTable) -> None:
    sql, _ = compiled(space, rows_query(products, 5, None, None))
    assert sql == f"SELECT TOP 5 {COLUMNS} \nFROM {TABLE} ORDER BY {TABLE}.[Oid]"


def test_read_skip_uses_offset_fetch(space: TenantSpace, products: PreparedTable) -> None:
    sql, order = compiled(space, rows_query(products, 5, 10, OrderBy("price", descending=True)))
    assert sql == (
        f"SELECT {COLUMNS} \nFROM {TABLE} ORDER BY {TABLE}.[Price] DESC, {TABLE}.[Oid]\n"
        " OFFSET ? ROWS\n FETCH FIRST ? ROWS ONLY"
    )
    assert order == ["param_1", "param_2"]
    sql, _ = compiled(space, rows_query(products, None, 10, None))
    assert sql.endswith(f"ORDER BY {TABLE}.[Oid]\n OFFSET ? ROWS")


# --- tenants, catalog, migrations ---------------------------------------------------------------


def test_create_schema_binds_name_and_statement(space: TenantSpace) -> None:
    statement = MSSQL.create_schema(schema_for("acme"))
    result = statement.compile(dialect=space.engine.dialect)
    assert str(result) == "IF SCHEMA_ID(?) IS NULL EXEC(?)"
    assert [result.params[name] for name in result.positiontup] == [
        "customtables_acme",
        "CREATE SCHEMA [customtables_acme]",
    ]


def test_internal_tables_in_the_tenant_schema(space: TenantSpace) -> None:
    catalog_sql, _ = compiled(space, CreateTable(catalog.catalog_tables))
    assert catalog_sql.startswith(f"CREATE TABLE {SCHEMA}._ct_tables (")
    assert "columns NVARCHAR(max) NOT NULL" in catalog_sql
    audit_sql, _ = compiled(space, CreateTable(audit.audit_events))
    assert "seq INTEGER NOT NULL IDENTITY" in audit_sql
    assert "NTEXT" not in catalog_sql + audit_sql


def test_catalog_locks_are_table_hints(space: TenantSpace) -> None:
    plain, _ = compiled(space, definition_query(MSSQL, "Product"))
    share, _ = compiled(space, definition_query(MSSQL, "Product", "share"))
    exclusive, _ = compiled(space, definition_query(MSSQL, "Product", "exclusive"))
    source = f"FROM {SCHEMA}._ct_tables"
    assert f"{source} \nWHERE" in plain
    assert f"{source} WITH (HOLDLOCK, ROWLOCK) \nWHERE" in share
    assert f"{source} WITH (XLOCK, HOLDLOCK, ROWLOCK) \nWHERE" in exclusive
    assert "FOR UPDATE" not in share + exclusive


def test_catalog_and_audit_statements(space: TenantSpace) -> None:
    connection: Any = RecordingConnection(space)
    table = definition(PRODUCT)
    assert catalog.lock_for_change(connection, "PRODUCT") is None
    catalog.insert_definition(connection, table)
    stored = catalog.save_definition(connection, table)
    catalog.delete_definition(connection, stored)
    audit.record(connection, "admin", "table.created", "table", resource_name="Product")
    audit.list_events(connection, limit=20, offset=40)
    (lock, lock_params), insert, update, delete, record, events = connection.data_log
    assert connection.event_log, "the audited table change is also a change event"
    assert "WITH (XLOCK, HOLDLOCK, ROWLOCK)" in lock
    assert lock_params == {"name_key_1": "product"}
    assert insert[0].startswith(f"INSERT INTO {SCHEMA}._ct_tables (id, name, name_key,")
    assert update[0].startswith(f"UPDATE {SCHEMA}._ct_tables SET name=?")
    assert update[1]["version"] == 2
    assert delete[0] == f"DELETE FROM {SCHEMA}._ct_tables WHERE {SCHEMA}._ct_tables.id = ?"
    assert record[0].startswith(f"INSERT INTO {SCHEMA}._ct_audit (id, created_at,")
    assert events[0].endswith(
        f"ORDER BY {SCHEMA}._ct_audit.seq DESC\n OFFSET ? ROWS\n FETCH FIRST ? ROWS ONLY"
    )


def test_metadata_migration_as_sql_server_sql() -> None:
    sql = upgrade_sql("mssql")
    assert "CREATE TABLE ct_tenants (" in sql
    assert "CREATE TABLE ct_tokens (" in sql
    assert "roles NVARCHAR(max) NOT NULL" in sql
    assert "FOREIGN KEY(tenant_id) REFERENCES ct_tenants (id)" in sql
    assert "NTEXT" not in sql
    assert (
        "INSERT INTO alembic_version (version_num) OUTPUT inserted.version_num VALUES ('0001')"
        in sql
    )
    assert sql.count("\nGO\n") >= 4


# --- v1 tables ----------------------------------------------------------------------------------


def test_v1_table_ddl(space: TenantSpace) -> None:
    table = v1_catalog.V1Table(
        id="0b7e4c1a-0000-0000-0000-000000000001",
        name="Processed Invoices",
        sql_name="Processed_Invoices",
        description=None,
        schema={},
        metadata={},
        max_rows=10,
        row_count=0,
        created_at="",
        updated_at="",
    )
    sql, _ = compiled(space, CreateTable(v1_catalog.physical_table(table, SCHEMA)))
    assert _column_types(sql) == {
        "id": "VARCHAR(36) NOT NULL",
        "data": "NVARCHAR(max) NOT NULL",
        "position": "FLOAT NULL",
        "createdAt": "DATETIME NOT NULL",
        "updatedAt": "DATETIME NOT NULL",
    }


@pytest.mark.parametrize(
    ("lock", "hint"),
    [
        ("share", "WITH (HOLDLOCK, ROWLOCK)"),
        ("rows", "WITH (UPDLOCK, HOLDLOCK, ROWLOCK)"),
        ("change", "WITH (XLOCK, HOLDLOCK, ROWLOCK)"),
    ],
)
def test_v1_catalog_locks_are_table_hints(space: TenantSpace, lock: str, hint: str) -> None:
    connection: Any = RecordingConnection(space)
    assert v1_catalog.find(connection, "some-id", lock=lock) is None
    ((sql, params),) = connection.log
    assert f"FROM {SCHEMA}._ct_v1_tables {hint} \nWHERE" in sql
    assert params == {"id_1": "some-id"}


def test_v1_name_claims_take_an_application_lock(space: TenantSpace) -> None:
    connection: Any = RecordingConnection(space)
    v1_names.lock_names(connection, space)
    ((sql, params),) = connection.log
    assert "EXEC @granted = sp_getapplock @Resource = ?, @LockMode = N'Exclusive'" in sql
    assert "@LockOwner = N'Transaction'" in sql
    assert params == (f"customtables.names:{SCHEMA}",)
