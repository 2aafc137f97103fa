"""A fresh PostgreSQL database for one test run or benchmark, dropped afterwards together with
the saved-query reader roles its tenants made (roles are cluster-wide, databases are not)."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator

import psycopg


@contextlib.contextmanager
def fresh_database(admin_url: str, prefix: str = "ct_test") -> Iterator[str]:
    """Create a database beside the one `admin_url` names (`postgresql://` or
    `postgresql+psycopg://`) and yield its SQLAlchemy URL."""
    admin = admin_url.replace("postgresql+psycopg://", "postgresql://", 1)
    server = admin.rsplit("/", 1)[0]
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{server.replace('postgresql://', 'postgresql+psycopg://', 1)}/{name}"
    finally:
        roles = _reader_roles(f"{server}/{name}")
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            for role in roles:
                with contextlib.suppress(psycopg.Error):
                    conn.execute(f'DROP ROLE IF EXISTS "{role}"')


def _reader_roles(url: str) -> list[str]:
    """The saved-query reader roles of the database's tenants (ddl/backends/postgresql.py), all
    but the default tenant's, whose name other databases on the cluster share."""
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            rows = conn.execute("SELECT schema_name FROM ct_tenants").fetchall()
    except psycopg.Error:
        return []
    return [f"ct_reader_{schema}" for (schema,) in rows if schema != "customtables"]
