"""Saved queries on SQL Server, checked where no SQL Server can run: the T-SQL the plan hands to
pyodbc, the binds and their values, the statements of the database-side wall, and a run through
the real code on a stand-in for the pyodbc connection (it records what it is sent, and answers
or fails as pyodbc does). The HTTP suite runs on a live server when CUSTOMTABLES_TEST_MSSQL_URL
is set; nothing here claims to have run on one."""

from __future__ import annotations

import types
from collections.abc import Callable, Iterator
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest

from app.errors import STATUS
from ddl.backends import MSSQL, server_engine
from ddl.backends import common as messages
from ddl.backends.tsql_statements import TRANSACTION_APPLOCK
from ddl.catalog import TableDef
from ddl.errors import QueryTimeout, ValidationError
from ddl.names import fold
from ddl.space import TenantSpace
from queries import mssql, params, run
from queries.plan import Plan, plan
from queries.service import checked
from queries.store import ParameterDef
from tests.test_mssql_sql import PRODUCT, URL, definition, mssql_engine
from tests.test_queries import EXAMPLE
from tests.test_queries_forbidden import FORBIDDEN

SCHEMA = "customtables_acme"
CATALOG = definition(PRODUCT, name="ProductCatalog")
ORDERS = definition(
    [("ProductOid", 9, None), ("Qty", 3, None), ("CreatedOn", 1, None)],
    key=("Id", 3, None),
    name="Orders",
)
TABLES = {fold(t.name): t for t in (CATALOG, ORDERS)}
COOKIE = bytes.fromhex("0a1b2c3d4e5f")


def planned(sql: str, max_rows: int = 100, dialect: str = "tsql") -> Plan:
    return plan(
        checked(sql, dialect), TABLES, dialect=dialect, backend="mssql", schema_name=SCHEMA,
        max_rows=max_rows,
    )  # fmt: skip


# --- the T-SQL as planned -----------------------------------------------------------------------


def test_source_example_runs_as_written() -> None:
    """Tenant schema and defined names in brackets, the row limit as TOP; `IsActive = 1` stays
    (SQL Server's bit takes it), unlike on PostgreSQL where it becomes `= TRUE`."""
    made = planned(EXAMPLE)
    assert made.sql == (
        "SELECT TOP 101 [productcatalog].[Oid] AS [oid], [productcatalog].[Name] AS [name], "
        "[productcatalog].[Price] AS [price], [productcatalog].[IsActive] AS [isactive] "
        "FROM [customtables_acme].[ProductCatalog] AS [productcatalog] "
        "WHERE [productcatalog].[IsActive] = 1 ORDER BY [name]"
    )
    assert (made.binds, made.positions, made.limited) == ({}, (), True)
    assert [(c.name, c.type_id) for c in made.columns] == [
        ("Oid", 9), ("Name", 6), ("Price", 4), ("IsActive", 0),
    ]  # fmt: skip
    assert [t.name for t in made.tables] == ["ProductCatalog"]
    postgres = plan(
        checked(EXAMPLE, "tsql"), TABLES, dialect="tsql", backend="postgresql",
        schema_name=SCHEMA, max_rows=100,
    )  # fmt: skip
    assert '"IsActive" = TRUE' in postgres.sql


def test_default_tenant_and_names_in_any_case() -> None:
    made = plan(
        checked("SELECT name FROM CUSTOMTABLE.productcatalog WHERE ISACTIVE = 0", "tsql"),
        TABLES, dialect="tsql", backend="mssql", schema_name="customtables", max_rows=5,
    )  # fmt: skip
    assert made.sql == (
        "SELECT TOP 6 [productcatalog].[Name] AS [name] "
        "FROM [customtables].[ProductCatalog] AS [productcatalog] "
        "WHERE [productcatalog].[IsActive] = 0"
    )


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        pytest.param(
            "SELECT Name + '!' AS Shout, LEFT(Name, 2) AS L, YEAR(CreatedOn) AS Y "
            "FROM ProductCatalog p JOIN Orders o ON o.ProductOid = p.Oid",
            "SELECT TOP 101 [p].[Name] + '!' AS [shout], LEFT([p].[Name], 2) AS [l], "
            "YEAR([o].[CreatedOn]) AS [y] FROM [customtables_acme].[ProductCatalog] AS [p] "
            "JOIN [customtables_acme].[Orders] AS [o] ON [o].[ProductOid] = [p].[Oid]",
            id="string-plus-left-year-untranslated",
        ),
        pytest.param(
            "SELECT Name FROM ProductCatalog WITH (NOLOCK) ORDER BY Name "
            "OFFSET 1 ROWS FETCH NEXT 500 ROWS ONLY",
            "SELECT [productcatalog].[Name] AS [name] FROM [customtables_acme].[ProductCatalog] "
            "AS [productcatalog] ORDER BY [name] OFFSET 1 ROWS FETCH NEXT 101 ROWS ONLY",
            id="no-lock-hints-fetch-capped",
        ),
        pytest.param(
            "SELECT Name /* a ? here */ FROM ProductCatalog -- and ? there\nWHERE Name = '?'",
            "SELECT TOP 101 [productcatalog].[Name] AS [name] "
            "FROM [customtables_acme].[ProductCatalog] AS [productcatalog] "
            "WHERE [productcatalog].[Name] = '?'",
            id="comments-dropped-literal-kept",
        ),
        pytest.param(
            "WITH r AS (SELECT 1 AS n UNION ALL SELECT n + 1 FROM r WHERE n < 300) "
            "SELECT n FROM r OPTION (MAXRECURSION 400)",
            "WITH [r] AS (SELECT 1 AS [n] UNION ALL SELECT [r].[n] + 1 AS [_col_0] FROM [r] AS [r] "
            "WHERE [r].[n] < 300) SELECT TOP 101 [r].[n] AS [n] FROM [r] AS [r] "
            "OPTION(MAXRECURSION 400)",
            id="maxrecursion-kept",
        ),
        pytest.param(
            "SELECT FORMAT(CreatedOn, 'yyyy-MM') AS M, DATENAME(weekday, CreatedOn) AS D, "
            "FORMAT(Qty, 'N2') AS Q, CONVERT(VARCHAR(10), CreatedOn, 103) AS C FROM Orders",
            "SELECT TOP 101 FORMAT([orders].[CreatedOn], 'yyyy-MM') AS [m], "
            "DATENAME(weekday, [orders].[CreatedOn]) AS [d], FORMAT([orders].[Qty], 'N2') AS [q], "
            "CONVERT(VARCHAR(10), [orders].[CreatedOn], 103) AS [c] "
            "FROM [customtables_acme].[Orders] AS [orders]",
            id="format-datename-convert-as-written",
        ),
    ],
)
def test_tsql_is_rendered_not_translated(sql: str, expected: str) -> None:
    assert planned(sql).sql == expected


def test_a_question_mark_in_a_name_is_refused() -> None:
    with pytest.raises(ValidationError, match=r"cannot contain '\?' on SQL Server"):
        planned("SELECT Name AS [Why?] FROM ProductCatalog")


# --- parameters --------------------------------------------------------------------------------

DECLARED = (
    ParameterDef("Min", 4, None, True),
    ParameterDef("Pattern", 7, "%", False),
    ParameterDef("Product", 9, None, False),
    ParameterDef("Active", 0, True, False),
    ParameterDef("Since", 1, None, False),
    ParameterDef("N", 3, 10, False),
)
WITH_PARAMETERS = (
    "SELECT TOP (@n) p.Name FROM ProductCatalog p JOIN Orders o ON o.ProductOid = p.Oid "
    "WHERE p.Price > @MIN AND (p.Name LIKE @pattern OR p.Price < @min) AND p.Oid <> @product "
    "AND p.IsActive = @Active AND o.CreatedOn >= @since"
)


def bound(supplied: dict[str, Any], *, from_text: bool = False) -> tuple[Plan, list[Any]]:
    made = planned(WITH_PARAMETERS)
    values = params.bind(DECLARED, made.binds, supplied, "mssql", from_text=from_text)
    return made, mssql.positional_values(values, made.positions)


def test_parameters_become_question_marks_in_order() -> None:
    made, values = bound(
        {"min": 10.5, "PATTERN": "W%", "Product": "{A1B2C3D4-0000-0000-0000-00000000000A}",
         "since": "2026-01-15T00:00:00+01:00"}
    )  # fmt: skip
    assert made.sql == (
        "SELECT TOP (?) [p].[Name] AS [name] FROM [customtables_acme].[ProductCatalog] AS [p] "
        "JOIN [customtables_acme].[Orders] AS [o] ON [o].[ProductOid] = [p].[Oid] "
        "WHERE [p].[Price] > ? AND ([p].[Name] LIKE ? OR [p].[Price] < ?) AND [p].[Oid] <> ? "
        "AND [p].[IsActive] = ? AND [o].[CreatedOn] >= ?"
    )
    assert "@" not in made.sql
    assert ":" not in made.sql
    assert made.limited is False  # TOP (@n) is the user's; fetchmany(max_rows + 1) caps it
    n, minimum, pattern, product, active, since = (made.binds[k] for k in (
        "n", "min", "pattern", "product", "active", "since"))  # fmt: skip
    assert made.positions == (n, minimum, pattern, minimum, product, active, since)
    assert values == [
        10,  # the default
        Decimal("10.5"),
        "W%",
        Decimal("10.5"),  # @min twice, bound twice
        "a1b2c3d4-0000-0000-0000-00000000000a",
        True,  # a Python bool: pyodbc binds it as bit
        datetime(2026, 1, 14, 23, 0),
    ]
    assert type(values[1]) is Decimal


def test_parameter_values_from_a_query_string_are_coerced() -> None:
    _, values = bound({"Min": "39.99", "Active": "0", "N": "3"}, from_text=True)
    assert values == [3, Decimal("39.99"), "%", Decimal("39.99"), None, False, None]


def test_values_are_never_pasted_into_the_sql() -> None:
    evil = "x' OR 1=1; DELETE FROM [customtables].[ProductCatalog]; --"
    made, values = bound({"Min": 1, "Pattern": evil})
    assert evil not in made.sql
    assert values[2] == evil


def test_missing_required_parameter_is_a_400() -> None:
    with pytest.raises(ValidationError, match="Parameter @Min is required"):
        bound({})


@pytest.mark.parametrize(("sql", "dialect", "message"), FORBIDDEN)
def test_forbidden_statements_are_refused_before_any_sql(
    sql: str, dialect: str, message: str
) -> None:
    with pytest.raises(ValidationError, match=message.replace("(", r"\(").replace(")", r"\)")):
        plan(
            checked(sql, dialect), TABLES, dialect=dialect, backend="mssql", schema_name=SCHEMA,
            max_rows=10,
        )  # fmt: skip


@pytest.mark.parametrize(
    "sql",
    [
        "REVERT",
        "EXECUTE AS USER = 'dbo'",
        "SETUSER 'dbo'",
        "WAITFOR DELAY '00:10:00'",
        "SELECT Name FROM ProductCatalog; REVERT",
        "DBCC CHECKDB",
        "BULK INSERT ProductCatalog FROM 'c:\\x.csv'",
        "SELECT * FROM OPENQUERY(srv, 'SELECT 1')",
        "SELECT * FROM OPENDATASOURCE('SQLNCLI', 'Data Source=x').db.dbo.t",
        "SELECT * FROM otherdb.dbo.ProductCatalog",
        "SELECT SUSER_SNAME()",
        "SELECT Name FROM ProductCatalog FOR XML PATH",
    ],
)
def test_sql_server_escapes_are_refused(sql: str) -> None:
    with pytest.raises(ValidationError):
        planned(sql)


# --- the reader user --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def engine() -> Any:
    return mssql_engine()


def test_reader_set_up_statements(engine: Any) -> None:
    statements = mssql.setup_statements(engine, SCHEMA, ["ProductCatalog", "Order"], create=True)
    assert statements == [
        (TRANSACTION_APPLOCK, ("customtables-reader-customtables_acme",)),
        (
            "IF USER_ID(?) IS NULL EXEC(?)",
            (
                "ct_reader_customtables_acme",
                "CREATE USER [ct_reader_customtables_acme] WITHOUT LOGIN",
            ),
        ),
        (
            "GRANT SELECT ON OBJECT::[customtables_acme].[ProductCatalog] "
            "TO [ct_reader_customtables_acme]",
            (),
        ),
        (
            "GRANT SELECT ON OBJECT::[customtables_acme].[Order] TO [ct_reader_customtables_acme]",
            (),
        ),
    ]
    # Once the user exists, new tables only get their grant (still under the lock).
    assert mssql.setup_statements(engine, SCHEMA, ["Orders"], create=False) == [
        (TRANSACTION_APPLOCK, ("customtables-reader-customtables_acme",)),
        (
            "GRANT SELECT ON OBJECT::[customtables_acme].[Orders] TO [ct_reader_customtables_acme]",
            (),
        ),
    ]


def test_reader_names_must_be_plain() -> None:
    with pytest.raises(ValidationError):
        mssql.reader_user("customtables_x'; DROP USER dbo; --")
    with pytest.raises(ValidationError):
        mssql.enter_statement("ct_reader_x]", 1000)


def test_enter_and_revert_statements() -> None:
    assert mssql.enter_statement("ct_reader_customtables_acme", 2500) == (
        "SET TRANSACTION ISOLATION LEVEL READ COMMITTED; SET LOCK_TIMEOUT 2500; "
        "DECLARE @ct_cookie varbinary(8000); "
        "EXECUTE AS USER = N'ct_reader_customtables_acme' WITH COOKIE INTO @ct_cookie; "
        "SELECT @ct_cookie"
    )
    assert mssql.revert_statement(COOKIE) == (
        "DECLARE @ct_cookie varbinary(8000) = 0x0a1b2c3d4e5f; "
        "REVERT WITH COOKIE = @ct_cookie; SET LOCK_TIMEOUT -1"
    )


# --- a run on a stand-in pyodbc connection ----------------------------------------------------


class OdbcError(Exception):
    """Shaped like pyodbc.Error: args are (SQLSTATE, message with the native number)."""


TIMEOUT = OdbcError(
    "HYT00", "[HYT00] [Microsoft][ODBC Driver 18 for SQL Server]Query timeout expired (0) "
    "(SQLExecDirectW)",
)  # fmt: skip
DENIED = OdbcError(
    "42000", "[42000] [Microsoft][ODBC Driver 18 for SQL Server][SQL Server]The SELECT "
    "permission was denied on the object 'ProductCatalog'. (229) (SQLExecDirectW)",
)  # fmt: skip
LOCKED = OdbcError(
    "HY000", "[HY000] [Microsoft][ODBC Driver 18 for SQL Server][SQL Server]Lock request time "
    "out period exceeded. (1222) (SQLExecDirectW)",
)  # fmt: skip


class StandInCursor:
    def __init__(self, owner: StandInConnection) -> None:
        self.owner = owner
        self.timeout = owner.timeout  # as pyodbc: fixed when the cursor is made
        self.noscan = False
        self.description: Any = None
        self.rows: list[tuple[Any, ...]] = []

    def execute(self, sql: str, *parameters: Any) -> None:
        self.owner.log.append((sql, parameters, self.timeout))
        failure = self.owner.fail(sql)
        if failure is not None:
            raise failure
        if sql.startswith("SET TRANSACTION"):
            self.description, self.rows = [("",)], [(COOKIE,)]
        elif not sql.startswith("DECLARE"):
            self.description, self.rows = [("name",)], list(self.owner.rows)

    def nextset(self) -> bool:
        return False

    def fetchone(self) -> tuple[Any, ...] | None:
        return self.rows.pop(0) if self.rows else None

    def fetchmany(self, size: int) -> list[tuple[Any, ...]]:
        taken, self.rows = self.rows[:size], self.rows[size:]
        self.owner.fetched += len(taken)
        return taken

    def close(self) -> None:
        self.owner.closed += 1


class StandInConnection:
    """Stands in for pyodbc.Connection: `timeout`, `cursor()`, and a log of what was run."""

    def __init__(self, rows: int = 3, fail: Callable[[str], Exception | None] = lambda _: None):
        self.timeout = 0
        self.rows = [(f"n{i}",) for i in range(rows)]
        self.fail = fail
        self.log: list[tuple[str, tuple[Any, ...], int]] = []
        self.fetched = 0
        self.closed = 0

    def cursor(self) -> StandInCursor:
        return StandInCursor(self)


class StandInSession:
    """What mssql.execute uses of a SQLAlchemy Connection: the DBAPI connection, invalidate()."""

    def __init__(self, raw: StandInConnection) -> None:
        self.connection = types.SimpleNamespace(dbapi_connection=raw)
        self.invalidated = False

    def invalidate(self) -> None:
        self.invalidated = True


@pytest.fixture(scope="module")
def space() -> TenantSpace:
    """An mssql+pyodbc engine whose driver module raises OdbcError (nothing connects)."""
    module = types.SimpleNamespace(
        paramstyle="qmark", version="5.2.0", Error=OdbcError, Cursor=object
    )
    return TenantSpace("tenant-id", "acme", SCHEMA, server_engine(URL, module=module))


@pytest.fixture
def reader_ready(space: TenantSpace) -> Iterator[TableDef]:
    """The reader as a process has it after its first run (set-up statements are checked
    above; no server here to run them on)."""
    url = str(space.engine.url)
    space.backend.grants.granted(url, SCHEMA, [CATALOG.id])
    yield CATALOG
    space.backend.grants.forget(url, SCHEMA, [CATALOG.id], reader=True)


def execute(
    space: TenantSpace, raw: StandInConnection, made: Plan, values: dict[str, Any], **kw: Any
) -> tuple[run.RawResult, StandInSession]:
    session = StandInSession(raw)
    result = run.execute(
        space, made.sql, values, timeout=kw.get("timeout", 2.5), max_rows=kw.get("max_rows", 100),
        tables=made.tables, stream=not made.limited, conn=session, positions=made.positions,
    )  # fmt: skip
    return result, session


def test_a_run_switches_to_the_reader_and_back(space: TenantSpace, reader_ready: TableDef) -> None:
    raw = StandInConnection(rows=5)
    raw.timeout = 7  # whatever the pool's connection had stays afterwards
    made = planned("SELECT Name FROM ProductCatalog WHERE Price > @min", max_rows=3)
    values = params.bind((ParameterDef("min", 4, None, True),), made.binds, {"min": 2}, "mssql",
                         from_text=False)  # fmt: skip
    result, session = execute(space, raw, made, values, max_rows=3)
    assert result == run.RawResult(("name",), [("n0",), ("n1",), ("n2",)], True)
    assert raw.fetched == 4  # max_rows + 1, never more
    assert raw.log == [
        (mssql.enter_statement("ct_reader_customtables_acme", 2500), (), 3),
        (made.sql, ((Decimal(2),),), 3),  # the driver's query timeout: 2.5 s rounded up
        (mssql.revert_statement(COOKIE), (), 3),
    ]
    assert made.sql.endswith("WHERE [productcatalog].[Price] > ?")
    assert raw.timeout == 7
    assert raw.closed == 2
    assert session.invalidated is False


def test_a_driver_timeout_is_a_408_and_the_reader_is_left(
    space: TenantSpace, reader_ready: TableDef
) -> None:
    made = planned(EXAMPLE)
    raw = StandInConnection(fail=lambda sql: TIMEOUT if sql == made.sql else None)
    with pytest.raises(QueryTimeout) as stopped:
        execute(space, raw, made, {}, timeout=1)
    assert stopped.value.message == (
        "The query ran longer than the time limit of 1 s and was cancelled"
    )
    assert dict(STATUS)[QueryTimeout] == 408
    assert [sql for sql, _, _ in raw.log] == [
        mssql.enter_statement("ct_reader_customtables_acme", 1000),
        made.sql,
        mssql.revert_statement(COOKIE),
    ]
    assert raw.timeout == 0


def test_a_lock_timeout_is_a_408_too(space: TenantSpace, reader_ready: TableDef) -> None:
    made = planned(EXAMPLE)
    raw = StandInConnection(fail=lambda sql: LOCKED if sql == made.sql else None)
    with pytest.raises(QueryTimeout):
        execute(space, raw, made, {})


def test_a_refused_read_is_a_400_and_grants_are_made_again(
    space: TenantSpace, reader_ready: TableDef
) -> None:
    made = planned(EXAMPLE)
    raw = StandInConnection(fail=lambda sql: DENIED if sql == made.sql else None)
    with pytest.raises(ValidationError) as refused:
        execute(space, raw, made, {})
    assert refused.value.message == messages.REFUSED
    assert "ProductCatalog" not in refused.value.message  # no driver text goes back
    assert not space.backend.grants.has(str(space.engine.url), SCHEMA, CATALOG.id)


def test_a_connection_that_cannot_revert_is_thrown_away(
    space: TenantSpace, reader_ready: TableDef
) -> None:
    broken = OdbcError("08S01", "[08S01] Communication link failure (10054)")
    raw = StandInConnection(fail=lambda sql: broken if "REVERT" in sql else None)
    result, session = execute(space, raw, planned(EXAMPLE), {})
    assert len(result.rows) == 3  # the rows were read before; only the connection is lost
    assert session.invalidated is True


def test_a_failed_switch_never_runs_the_query(space: TenantSpace, reader_ready: TableDef) -> None:
    missing = OdbcError(
        "42000", "[42000] [SQL Server]Cannot execute as the database principal because the "
        "principal does not exist (15517) (SQLExecDirectW)",
    )  # fmt: skip
    raw = StandInConnection(fail=lambda sql: missing if "EXECUTE AS" in sql else None)
    made = planned(EXAMPLE)
    with pytest.raises(ValidationError, match="refused"):
        _, _ = execute(space, raw, made, {})
    assert [sql for sql, _, _ in raw.log] == [mssql.enter_statement(
        "ct_reader_customtables_acme", 2500)]  # fmt: skip
    assert not space.backend.grants.has(str(space.engine.url), SCHEMA)  # the user is made again


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (OdbcError("22012", "[22012] [SQL Server]Divide by zero error encountered. (8134)"),
         "The database could not run the query: division by zero"),
        (OdbcError("42S22", "[42S22] [SQL Server]Invalid column name 'Gone'. (207)"),
         messages.MISSING),
        (OdbcError("42S02", "[42S02] [SQL Server]Invalid object name 'x'. (208)"),
         messages.MISSING),
        (OdbcError("22018", "[22018] [SQL Server]Conversion failed when converting. (245)"),
         "The database could not run the query: a value cannot be converted to the type it is "
         "compared with"),
        (OdbcError("42000", "[42000] [SQL Server]The maximum recursion 100 has been exhausted "
                   "before statement completion. (530)"),
         "The database could not run the query: a recursive query went deeper than 100 levels"),
        (OdbcError("HY000", "[HY000] something else (50000)"),
         "The database could not run the query (check types and functions)"),
    ],
)  # fmt: skip
def test_driver_errors_become_our_messages(error: OdbcError, expected: str) -> None:
    assert MSSQL.query_error(error, 5).message == expected


def test_unique_bind_names_per_plan() -> None:
    first, second = (
        planned("SELECT Name FROM ProductCatalog WHERE Price > @x"),
        planned("SELECT Name FROM ProductCatalog WHERE Price > @x"),
    )
    assert first.sql == second.sql
    assert first.binds != second.binds  # a random nonce: no query text can pose as a bind
    assert all(name.startswith("ct") for name in first.positions)
