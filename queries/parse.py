"""Saved SQL → one sqlglot syntax tree: T-SQL by default, any dialect sqlglot knows by name.

Parse errors become 400s that say where (line and column) and what was expected; the text
of the query is never echoed back beyond the offending token, and sqlglot's own token and class
dumps (`<Token token_type: …>`) are rewritten into words first.
"""

from __future__ import annotations

import re

import sqlglot
from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import ErrorLevel, ParseError, TokenError

from ddl.errors import ValidationError
from queries import deep
from queries.dialects.reader import reader

DEFAULT_DIALECT = "tsql"
_TOKEN = re.compile(r"<Token token_type: [^,>]*, text: (.*?), line: \d+, col: \d+[^>]*>")
_CLASS = re.compile(r"<class '(?:[\w]+\.)*(\w+)'>")
_INTERNAL = re.compile(r"[<>]|sqlglot|TokenType|Expression")


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


def _description(text: str | None) -> str:
    """sqlglot's description in words: tokens by their text, classes by their name, and
    anything still internal replaced by 'invalid syntax'."""
    if not text:
        return "invalid syntax"
    text = _TOKEN.sub(lambda match: f"'{match.group(1)}'", text)
    text = _CLASS.sub(lambda match: match.group(1).lower(), text)
    text = text.replace("Required keyword: 'this' missing for", "something is missing in")
    return "invalid syntax" if _INTERNAL.search(text) else text


def _where(error: ParseError) -> str:
    details = error.errors[0] if error.errors else {}
    line, column = details.get("line"), details.get("col")
    what = _description(details.get("description"))
    token = (details.get("highlight") or "").strip()
    near = f" near '{token[:40]}'" if token else ""
    if line is None:
        return f"{what}{near}"
    return f"{what}{near} at line {line}, column {column}"


def parse(sql: str, dialect: str) -> exp.Expr:
    """Exactly one statement, as a tree; anything else is a 400 saying why."""
    if not isinstance(sql, str) or not sql.strip():
        raise ValidationError("Sql is required")
    deep.scan(sql, dialect)
    try:
        statements = sqlglot.parse(sql, read=reader(dialect), error_level=ErrorLevel.RAISE)
    except ParseError as error:
        raise ValidationError(f"The SQL does not parse: {_where(error)}") from None
    except TokenError:
        raise ValidationError(f"The SQL does not parse: {deep.UNCLOSED}") from None
    trees = [statement for statement in statements if statement is not None]
    if len(trees) != 1:
        raise ValidationError(f"A saved query is exactly one statement; this SQL has {len(trees)}")
    return trees[0]
