"""Our sqlglot dialects: T-SQL answers on each backend (SPEC §5.1), one module per backend.

- reader.py: the T-SQL reader (FORMAT and DATENAME kept as written);
- sqlite.py / postgres.py: a Generator subclass per backend whose TRANSFORMS make up the
  differences function by function; sqlite_functions.py registers what SQLite lacks;
- forms.py: rewrites of whole query forms the backends lack (TOP PERCENT / WITH TIES, PIVOT,
  UNPIVOT, MAXRECURSION, date literals), done on the tree before rendering.
SQL Server gets the T-SQL untranslated.
"""

from __future__ import annotations

from sqlglot.dialects.dialect import Dialect

from ddl.backends import POSTGRESQL, SQLITE
from queries.dialects.postgres import CtPostgres
from queries.dialects.reader import CtTsql, reader
from queries.dialects.sqlite import CtSqlite

# Our generator per backend name; a backend not listed gets T-SQL as written.
_TARGETS = {SQLITE.name: CtSqlite, POSTGRESQL.name: CtPostgres}

__all__ = ["CtPostgres", "CtSqlite", "CtTsql", "reader", "target"]


def target(backend: str) -> str | type[Dialect]:
    """The sqlglot dialect a plan for `backend` is rendered in."""
    return _TARGETS.get(backend, "tsql")
