"""A tenant's space: the engine and schema where its catalog and custom tables live.

Keeping the catalog inside the tenant's own schema (SQLite: its own file) means one transaction
covers a DDL change and its catalog row on every backend (DESIGN invariant 2).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ddl.backends import Backend, backend_for

CATALOG_SCHEMA = "customtables"


@dataclass(frozen=True, slots=True)
class TenantSpace:
    tenant_id: str
    tenant_name: str
    schema: str
    engine: Engine

    @property
    def backend(self) -> Backend:
        return backend_for(self.engine)

    def _options(self, **extra: object) -> dict[str, object]:
        return {"schema_translate_map": {CATALOG_SCHEMA: self.schema}, **extra}

    @contextmanager
    def write(self) -> Iterator[sa.Connection]:
        """One write transaction: committed when the block ends, rolled back on any error."""
        with self.engine.connect() as conn:
            conn.execution_options(**self._options(ct_write=True))
            with conn.begin():
                yield conn

    @contextmanager
    def read(self) -> Iterator[sa.Connection]:
        """One read transaction (a consistent snapshot for multi-statement reads)."""
        with self.engine.connect() as conn:
            conn.execution_options(**self._options())
            with conn.begin():
                yield conn
