"""What every backend shares: the defaults a backend class overrides, the row-lock modes, the
bind names of upsert statements, and the one per-process cache of reader grants.

Defaults describe a server database that needs no special care; each backend module says only
where it differs, so adding a backend means reading one short class.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, ClassVar, Literal

import sqlalchemy as sa

from ddl.driver_sql import first_row
from ddl.errors import CustomTablesError, QueryTimeout, ValidationError

# How a read holds catalog rows until commit, strongest last:
# "key_share" keeps a row from being deleted or re-keyed (PostgreSQL FOR KEY SHARE),
# "share" keeps it from any change (FOR SHARE), "no_key_update" also queues writers that take
# it the same way (FOR NO KEY UPDATE), "update" is for changing the row itself (FOR UPDATE).
RowLock = Literal["key_share", "share", "no_key_update", "update"]

KEY_BIND = "_k"  # user names cannot start with "_", so binds never clash


def bind_name(index: int) -> str:
    """The bind of the index-th listed column in an upsert or update statement."""
    return f"_c{index}"


# What a saved query's database error tells the client, on every backend (SPEC 10: never the
# driver's text or our SQL).
REFUSED = (
    "The database refused the query: a saved query may only read the custom tables of its "
    "own tenant"
)
MISSING = "A table or column this query reads no longer exists; edit the query"
DEEP = "The query is nested too deeply for this database (SQLite parses about 100 levels)"
MAXRECURSION_MESSAGE = (
    "The statement terminated: the maximum recursion {limit} has been exhausted before "
    "statement completion (raise it with OPTION (MAXRECURSION n), 0 for no limit)"
)


def timeout_error(seconds: float) -> QueryTimeout:
    return QueryTimeout(
        f"The query ran longer than the time limit of {seconds:g} s and was cancelled"
    )


def could_not_run(reason: str | None, sqlstate: str = "") -> ValidationError:
    """The database failed the query for `reason` (a phrase of ours), else for the standard
    SQLSTATE class 22 (data exception) a value does not fit, else for no known reason."""
    if reason is None and sqlstate.startswith("22"):
        reason = "a value does not fit an operation"
    suffix = f": {reason}" if reason else " (check types and functions)"
    return ValidationError(f"The database could not run the query{suffix}")


class BackendBase:
    """Defaults of the `Backend` protocol (ddl/backends/__init__.py): see it for each member."""

    name: ClassVar[str]
    sqlglot_dialect: ClassVar[str]
    serialised_writers: ClassVar[bool] = False
    translates_tsql: ClassVar[bool] = True
    dates_as_text: ClassVar[bool] = False
    money_as_text: ClassVar[bool] = False
    booleans_as_int: ClassVar[bool] = False
    native_uuid: ClassVar[bool] = False
    binds_decimal: ClassVar[bool] = True
    nulls_sort_high: ClassVar[bool] = False
    icu_collation: ClassVar[bool] = False
    sortkey_collation: ClassVar[bool] = False
    counting_upsert: ClassVar[str | None] = None
    key_probe: ClassVar[str] = "in_list"
    read_only_options: ClassVar[dict[str, Any]] = {}
    dynamic_typing: ClassVar[bool] = False
    lateral_joins: ClassVar[bool] = True
    python_functions: ClassVar[bool] = False
    pyformat_binds: ClassVar[bool] = False
    colon_binds: ClassVar[bool] = False
    schema_per_tenant: ClassVar[bool] = True
    drops_tenants: ClassVar[bool] = True
    batched_ddl: ClassVar[bool] = False
    writable_ctes: ClassVar[bool] = False

    def __init__(self) -> None:
        self.grants = GrantCache()  # the saved-query reader's grants made by this process

    def space_probe(self, schema: str) -> tuple[str, dict[str, Any]] | None:
        """One query whose rows name the internal tables a tenant space has (and, where text
        needs a per-schema collation, an empty name when it exists: ddl/space_setup.py); None
        where there is none, and the full check runs on every open."""
        return None

    def engine_options(self) -> dict[str, Any]:
        # no pool_pre_ping: server_engine pings only connections idle a while (ping_after_idle)
        return {"pool_size": 10, "max_overflow": 20}

    def create_schema(self, schema: str) -> sa.Executable:
        return sa.schema.CreateSchema(schema, if_not_exists=True)

    def lock_rows(self, query: sa.Select[Any], table: sa.Table, mode: RowLock) -> sa.Select[Any]:
        return query

    def transaction_lock(self, conn: sa.Connection, resource: str) -> None:
        """Hold the named lock until `conn`'s transaction ends (no-op where writers queue)."""

    @contextmanager
    def session_lock(self, engine: sa.Engine, resource: str) -> Iterator[bool]:
        """Hold the named lock for the block; yields False where the backend has none."""
        yield False

    @contextmanager
    def time_limited(self, conn: sa.Connection, seconds: float) -> Iterator[None]:
        yield

    def is_timeout(self, error: sa.exc.DBAPIError) -> bool:
        return False

    def upsert(self, table: sa.Table, key: str, columns: Sequence[str]) -> sa.Executable:
        raise NotImplementedError(f"no upsert statement on {self.name}")

    def query_error(self, error: BaseException, seconds: float) -> CustomTablesError:
        """A driver error of a saved query's run (time limit `seconds`) as a message of ours."""
        return could_not_run(None)

    def lost_grant(self, error: BaseException) -> bool:
        """The database refused a read because a reader grant this process made is gone (a
        table re-created, a role dropped by hand): the grants are set up again next time."""
        return False

    def probe_reports(self, error: BaseException) -> bool:
        """Whether a compile-only probe (EXPLAIN) failing with `error` answers the client now;
        other failures are left for the run to report."""
        return True

    def first_row_committing(self, dbapi: Any, sql: str, params: Any) -> tuple[Any, ...] | None:
        """The first row of the last statement of `dbapi`'s transaction, the transaction then
        committed where the driver can send the COMMIT with the statement (PostgreSQL); here
        it is run alone and commits when its block ends, as usual."""
        return first_row(dbapi, sql, params)

    def lost_connection(self, error: BaseException) -> bool:
        """Whether the driver error `error` (not wrapped by SQLAlchemy: hot paths run on the
        driver's own cursor) says the connection to the server broke or could not be made.
        SQLAlchemy marks the errors it wraps itself (`connection_invalidated`)."""
        return False


class GrantCache:
    """Which reader grants this process has made, per (database url, schema, table id; "" for
    the reader itself): granted once, forgotten when the database refuses a read."""

    def __init__(self) -> None:
        self._granted: set[tuple[str, str, str]] = set()
        self._lock = threading.Lock()

    def missing(self, url: str, schema: str, ids: Iterable[str]) -> tuple[bool, list[str]]:
        """Whether the reader must be set up, and which of `ids` still need their grant."""
        with self._lock:
            setup = (url, schema, "") not in self._granted
            return setup, [i for i in ids if (url, schema, i) not in self._granted]

    def granted(self, url: str, schema: str, ids: Iterable[str]) -> None:
        with self._lock:
            self._granted.add((url, schema, ""))
            self._granted.update((url, schema, i) for i in ids)

    def has(self, url: str, schema: str, table_id: str = "") -> bool:
        with self._lock:
            return (url, schema, table_id) in self._granted

    def clear(self) -> None:
        """Forget every grant, as a freshly started process would have none."""
        with self._lock:
            self._granted.clear()

    def forget_schema(self, url: str, schema: str) -> None:
        """A space its process closed (app/tenancy.py): granted again if it opens again, so the
        set stays as small as the set of open spaces (the GRANTs are idempotent)."""
        with self._lock:
            self._granted = {key for key in self._granted if key[:2] != (url, schema)}

    def forget(self, url: str, schema: str, ids: Iterable[str], *, reader: bool = False) -> None:
        with self._lock:
            if reader:
                self._granted.discard((url, schema, ""))
            for i in ids:
                self._granted.discard((url, schema, i))


def on_conflict_upsert(
    insert: Any, table: sa.Table, key: str, columns: Sequence[str]
) -> sa.Executable:
    """`INSERT … ON CONFLICT (key) DO UPDATE SET <listed columns>` (SQLite, PostgreSQL); with no
    columns listed an existing row is left as it is."""
    values: dict[str, sa.BindParameter[Any]] = {key: sa.bindparam(KEY_BIND)}
    values.update({name: sa.bindparam(bind_name(i)) for i, name in enumerate(columns)})
    statement = insert(table).values(values)
    index = [table.c[key]]
    if not columns:
        return statement.on_conflict_do_nothing(index_elements=index)  # type: ignore[no-any-return]
    excluded = statement.excluded
    return statement.on_conflict_do_update(  # type: ignore[no-any-return]
        index_elements=index, set_={name: excluded[name] for name in columns}
    )


PING_AFTER_IDLE_SECONDS = 1.0


def ping_after_idle(engine: sa.Engine) -> None:
    """Test a pooled server connection before use only when it sat idle a while (or its driver
    says it broke): one that came back a moment ago is as good as a ping says, and pinging it
    cost every transaction a round trip. A dead one is replaced before the request uses it.

    A connection that comes back broken means the server may have dropped them all (a restart):
    every connection opened before it is replaced at its next checkout, with no ping, as
    SQLAlchemy does after a disconnect it sees itself. The driver-SQL hot paths
    (ddl/driver_sql.py) bypass SQLAlchemy, so without this each dead pooled connection would
    cost one more failed request."""
    lost_at = [float("-inf")]  # when a connection last came back broken

    @sa.event.listens_for(engine, "connect")
    def _opened(_dbapi: Any, record: Any) -> None:
        record.info["ct_opened_at"] = time.monotonic()

    @sa.event.listens_for(engine, "checkin")
    def _idle_from(dbapi: Any, record: Any) -> None:
        now = time.monotonic()
        record.info["ct_idle_since"] = now
        if dbapi is None or getattr(dbapi, "closed", False) or getattr(dbapi, "broken", False):
            lost_at[0] = now

    @sa.event.listens_for(engine, "checkout")
    def _check(dbapi: Any, record: Any, _proxy: Any) -> None:
        if record.info.get("ct_opened_at", float("-inf")) <= lost_at[0]:
            raise sa.exc.DisconnectionError("opened before a connection was found lost")
        since = record.info.get("ct_idle_since")
        broken = getattr(dbapi, "closed", False) or getattr(dbapi, "broken", False)
        if not broken and since is not None and time.monotonic() - since < PING_AFTER_IDLE_SECONDS:
            return
        try:
            if broken or not engine.dialect.do_ping(dbapi):
                raise sa.exc.DisconnectionError("the connection is gone")
        except sa.exc.DisconnectionError:
            raise
        except Exception as error:  # the driver's own error for a dead connection
            raise sa.exc.DisconnectionError(str(error)) from error
