"""Bring the metadata schema to the newest Alembic revision (run on every start)."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"


def upgrade(engine: sa.Engine) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.connect() as conn:
        conn.execution_options(ct_write=True)
        if conn.dialect.name == "postgresql":
            # Several processes may start at once: one migrates, the others wait for it.
            with conn.begin():
                conn.exec_driver_sql("SELECT pg_advisory_xact_lock(724110318)")
                config.attributes["connection"] = conn
                command.upgrade(config, "head")
            return
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
        conn.commit()
