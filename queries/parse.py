"""Saved SQL → one sqlglot syntax tree: T-SQL by default, any dialect sqlglot knows by name.

Parse errors become 400s that say where (line and column) and what sqlglot expected; the text
of the query is never echoed back beyond the offending token.
"""

from __future__ import annotations

import sqlglot
from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import ErrorLevel, ParseError, TokenError

from ddl.errors import ValidationError
from queries.dialects.reader import reader

DEFAULT_DIALECT = "tsql"
MAX_SQL_CHARS = 100_000


def dialect_name(name: str | None) -> str:
    """The canonical sqlglot name of a dialect ('T-SQL' and 'TSQL' are 'tsql'); 400 if unknown."""
    if name is None or not name.strip():
        return DEFAULT_DIALECT
    wanted = name.strip().lower().replace("-", "").replace("_", "")
    if wanted == "sqlserver":
        wanted = "tsql"
    try:
        Dialect.get_or_raise(wanted)
    except ValueError:
        raise ValidationError(f"Unknown SQL dialect {name!r}; the default is 'tsql'") from None
    return wanted


def _where(error: ParseError) -> str:
    details = error.errors[0] if error.errors else {}
    line, column = details.get("line"), details.get("col")
    what = details.get("description") or "invalid syntax"
    token = (details.get("highlight") or "").strip()
    near = f" near '{token[:40]}'" if token else ""
    if line is None:
        return f"{what}{near}"
    return f"{what}{near} at line {line}, column {column}"


def parse(sql: str, dialect: str) -> exp.Expression:
    """Exactly one statement, as a tree; anything else is a 400 saying why."""
    if not isinstance(sql, str) or not sql.strip():
        raise ValidationError("Sql is required")
    if len(sql) > MAX_SQL_CHARS:
        raise ValidationError(f"Sql is longer than {MAX_SQL_CHARS} characters")
    try:
        statements = sqlglot.parse(sql, read=reader(dialect), error_level=ErrorLevel.RAISE)
    except ParseError as error:
        raise ValidationError(f"The SQL does not parse: {_where(error)}") from None
    except TokenError as error:
        raise ValidationError(f"The SQL does not parse: {error}") from None
    trees = [statement for statement in statements if statement is not None]
    if len(trees) != 1:
        raise ValidationError(f"A saved query is exactly one statement; this SQL has {len(trees)}")
    return trees[0]
