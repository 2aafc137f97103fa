"""Our T-SQL reader: sqlglot's T-SQL parser, except that FORMAT and DATENAME are kept as
written. sqlglot turns them into strftime patterns, which loses what SQL Server means ('D'
is a long date; DATENAME(day, d) is '5', not '05'); our backend dialects need the original.
SQL Server gets the same text back (the nodes render as FORMAT(...) and DATENAME(...)).
"""

from __future__ import annotations

from typing import Any, ClassVar

from sqlglot import exp
from sqlglot.dialects.tsql import TSQL
from sqlglot.helper import seq_get
from sqlglot.parsers.tsql import TSQLParser


class TsqlFormat(exp.Expression, exp.Func):
    """FORMAT(value, format[, culture]) with the .NET format string untouched."""

    arg_types: ClassVar[dict[str, bool]] = {"this": True, "format": True, "culture": False}
    _sql_names: ClassVar[list[str]] = ["FORMAT"]


class TsqlDateName(exp.Expression, exp.Func):
    """DATENAME(part, value); `this` is the part as a Var."""

    arg_types: ClassVar[dict[str, bool]] = {"this": True, "expression": True}
    _sql_names: ClassVar[list[str]] = ["DATENAME"]


def _format(args: list[Any]) -> TsqlFormat:
    return TsqlFormat(this=seq_get(args, 0), format=seq_get(args, 1), culture=seq_get(args, 2))


def _datename(args: list[Any]) -> TsqlDateName:
    part = seq_get(args, 0)
    name = part.name if isinstance(part, exp.Expr) else str(part)
    return TsqlDateName(this=exp.var(name), expression=seq_get(args, 1))


class CtTsqlParser(TSQLParser):
    FUNCTIONS: ClassVar[dict[str, Any]] = {
        **TSQLParser.FUNCTIONS,
        "FORMAT": _format,
        "DATENAME": _datename,
    }


class CtTsql(TSQL):
    """Registered with sqlglot as 'cttsql'; used to read saved queries written in T-SQL. Each
    function keeps the name the user wrote (meta 'tsql_name'), so messages can use it."""

    ORIGINAL_NAME_META_KEY = "tsql_name"
    Parser = CtTsqlParser


def written_name(node: exp.Expr) -> str:
    """A function's name as the user wrote it (upper-cased), else sqlglot's name for it."""
    name = node.meta.get("tsql_name") if node.meta else None
    if isinstance(node, exp.Anonymous):
        return str(node.this).upper()
    if name:
        return str(name).upper()
    return node.sql_name() if isinstance(node, exp.Func) else node.key.upper()


# What they return, for sqlglot's type annotation (so `DATENAME(...) + ' '` is concatenation).
for _node in (TsqlFormat, TsqlDateName):
    TSQL.EXPRESSION_METADATA[_node] = {"returns": exp.DataType.Type.NVARCHAR}
# CONVERT(type, value[, style]) is of its target type (sqlglot leaves it unknown).
TSQL.EXPRESSION_METADATA[exp.Convert] = {"annotator": lambda self, e: self._set_type(e, e.this)}


def reader(dialect: str) -> str:
    """The sqlglot dialect that reads a saved query written in `dialect`."""
    return "cttsql" if dialect == "tsql" else dialect
