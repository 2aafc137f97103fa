"""Our PostgreSQL dialect (placeholder, filled below)."""

from __future__ import annotations

from sqlglot.dialects.postgres import Postgres
from sqlglot.generators.postgres import PostgresGenerator


class CtPostgresGenerator(PostgresGenerator):
    pass


class CtPostgres(Postgres):
    Generator = CtPostgresGenerator
