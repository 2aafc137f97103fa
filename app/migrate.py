"""Bring the metadata schema to the newest Alembic revision (run on every start)."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from ddl.backends import backend_for

MIGRATIONS = Path(__file__).parent / "migrations"

# Several processes may start at once: one migrates, the others wait for it on a named lock
# held by the transaction (where the backend needs one: SQLite writers queue anyway).
MIGRATION_LOCK = "customtables-migrate"


def config() -> Config:
    result = Config()
    result.set_main_option("script_location", str(MIGRATIONS))
    return result


def upgrade(engine: sa.Engine) -> None:
    settings = config()
    with engine.connect() as conn:
        conn.execution_options(ct_write=True)
        backend = backend_for(conn)
        if not backend.serialised_writers:
            with conn.begin():
                backend.transaction_lock(conn, MIGRATION_LOCK)
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
