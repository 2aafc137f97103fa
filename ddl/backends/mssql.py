"""SQL Server (compiled-SQL tests only here): one database, each tenant a schema; no FOR UPDATE
(table hints instead), named locks as application locks, MERGE for the upsert. Saved queries
run as written: their T-SQL needs no translation.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, ClassVar

import sqlalchemy as sa

from ddl.backends.common import (
    KEY_BIND,
    MISSING,
    REFUSED,
    BackendBase,
    RowLock,
    bind_name,
    could_not_run,
    timeout_error,
)
from ddl.backends.tsql_statements import (
    LOCK_HINTS,
    SESSION_APPLOCK,
    SESSION_APPUNLOCK,
    TRANSACTION_APPLOCK,
    CreateSchemaIfMissing,
    MergeUpsert,
)
from ddl.errors import CustomTablesError, ValidationError

_TIMEOUT_STATES = frozenset({"HYT00", "HYT01"})
_LOCK_TIMEOUT = 1222
_REFUSED_CODES = frozenset({229, 230, 262, 300, 916, 15196, 15199, 15517})  # permissions, REVERT
_MISSING_CODES = frozenset({207, 208, 4104})
_REASONS = {
    8134: "division by zero",
    8115: "a value is out of range",
    220: "a value is out of range",
    232: "a value is out of range",
    245: "a value cannot be converted to the type it is compared with",
    8114: "a value cannot be converted to the type it is compared with",
    8169: "a value cannot be converted to the type it is compared with",
    241: "a date or time value is not valid",
    242: "a date or time value is out of range",
    195: "a function does not exist for these argument types on this database",
    4121: "a function does not exist for these argument types on this database",
    8120: "a column must appear in GROUP BY or be used in an aggregate",
    8127: "an ORDER BY expression is not valid",
    1033: "an ORDER BY is not valid in a subquery without TOP or OFFSET",
    512: "a subquery used as a value returned more than one row",
    530: "a recursive query went deeper than 100 levels",
    191: "the query is too complex",
    8623: "the query is too complex",
}
_CODE = re.compile(r"\((\d+)\)")


def error_state(error: BaseException) -> tuple[str, int | None]:
    """(SQLSTATE, SQL Server error number) of a pyodbc error: pyodbc puts the state first in
    `args` and the native number in brackets in the message."""
    args: tuple[object, ...] = getattr(error, "args", ())
    state = args[0] if args and isinstance(args[0], str) else ""
    message = args[1] if len(args) > 1 and isinstance(args[1], str) else ""
    codes = [int(code) for code in _CODE.findall(message) if code != "0"]
    return state, codes[0] if codes else None


def _query_error(error: BaseException, seconds: float) -> CustomTablesError:
    state, code = error_state(error)
    if state in _TIMEOUT_STATES or code == _LOCK_TIMEOUT:
        return timeout_error(seconds)
    if code in _REFUSED_CODES or state == "42501":
        return ValidationError(REFUSED)
    if code in _MISSING_CODES or state in ("42S02", "42S22"):
        return ValidationError(MISSING)
    return could_not_run(_REASONS.get(code) if code is not None else None, state)


class MssqlBackend(BackendBase):
    name: ClassVar[str] = "mssql"
    sqlglot_dialect: ClassVar[str] = "tsql"
    translates_tsql = False
    key_probe = "openjson"
    drops_tenants = False  # not supported on SQL Server yet

    def engine_options(self) -> dict[str, Any]:
        return {**super().engine_options(), "fast_executemany": True}

    def create_schema(self, schema: str) -> sa.Executable:
        return CreateSchemaIfMissing(schema)  # SQL Server has no IF NOT EXISTS

    def lock_rows(self, query: sa.Select[Any], table: sa.Table, mode: RowLock) -> sa.Select[Any]:
        return query.with_hint(table, LOCK_HINTS[mode], self.name)

    def transaction_lock(self, conn: sa.Connection, resource: str) -> None:
        conn.exec_driver_sql(TRANSACTION_APPLOCK, (resource,))

    @contextmanager
    def session_lock(self, engine: sa.Engine, resource: str) -> Iterator[bool]:
        with engine.connect() as conn:
            conn.exec_driver_sql(SESSION_APPLOCK, (resource,))
            conn.commit()
            try:
                yield True
            finally:
                conn.exec_driver_sql(SESSION_APPUNLOCK, (resource,))
                conn.commit()

    def upsert(self, table: sa.Table, key: str, columns: Sequence[str]) -> sa.Executable:
        binds = [bind_name(i) for i in range(len(columns))]
        return MergeUpsert(table, key, columns, KEY_BIND, binds)

    def query_error(self, error: BaseException, seconds: float) -> CustomTablesError:
        return _query_error(error, seconds)

    def lost_grant(self, error: BaseException) -> bool:
        return error_state(error)[1] in _REFUSED_CODES


BACKEND = MssqlBackend()
