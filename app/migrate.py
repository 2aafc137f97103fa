"""Bring the metadata schema to the newest Alembic revision (run on every start)."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from ddl.mssql import TRANSACTION_APPLOCK

MIGRATIONS = Path(__file__).parent / "migrations"

# Several processes may start at once: one migrates, the others wait for it. Each server has a
# transaction-scoped lock for that; constant statements, no input.
MIGRATION_LOCKS = {
    "postgresql": "SELECT pg_advisory_xact_lock(724110318)",
    "mssql": TRANSACTION_APPLOCK,
}
LOCK_PARAMETERS = {"mssql": ("customtables-migrate",)}


def config() -> Config:
    result = Config()
    result.set_main_option("script_location", str(MIGRATIONS))
    return result


def upgrade(engine: sa.Engine) -> None:
    settings = config()
    with engine.connect() as conn:
        conn.execution_options(ct_write=True)
        lock = MIGRATION_LOCKS.get(conn.dialect.name)
        if lock is not None:
            with conn.begin():
                conn.exec_driver_sql(lock, LOCK_PARAMETERS.get(conn.dialect.name, ()))
                settings.attributes["connection"] = conn
                command.upgrade(settings, "head")
            return
        settings.attributes["connection"] = conn
        command.upgrade(settings, "head")
        conn.commit()


def upgrade_sql(dialect: str) -> str:
    """The SQL of `upgrade head` for `dialect`, without a database (`alembic upgrade --sql`):
    for a DBA who reviews DDL first, and for the tests that check each backend's DDL."""
    settings = config()
    settings.set_main_option("dialect_name", dialect)
    output: list[str] = []
    settings.print_stdout = lambda *_: None  # type: ignore[method-assign]
    settings.attributes["output"] = output
    command.upgrade(settings, "head", sql=True)
    return "".join(output)
