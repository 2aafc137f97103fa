"""The first wall: a saved query is one read-only SELECT over the CustomTable namespace.

Checked on the syntax tree, never on the text, with allow-lists: every node must be of a kind
listed here and every function one of the pure functions listed here, so a construct sqlglot
learns tomorrow is refused until someone decides it is safe. The database refuses the same
again (the read-only guards in ddl/backends), so a gap here is not a hole.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlglot import exp

from ddl.errors import ValidationError
from ddl.names import fold
from queries.dialects import allowed
from queries.dialects.reader import written_name

NAMESPACES = frozenset({"customtables", "customtable"})
PARAMETER_PATTERN = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")

# Pure functions over the row values: no files, no sleep, no sequences, no system state.
ALLOWED_FUNCTIONS: frozenset[type[exp.Expr]] = frozenset(
    {
        # conditionals and conversions
        exp.Case, exp.If, exp.Coalesce, exp.Nullif, exp.Nvl2, exp.Cast, exp.TryCast, exp.Convert,
        exp.Greatest, exp.Least,
        # numbers
        exp.Abs, exp.Round, exp.Floor, exp.Ceil, exp.Sign, exp.Sqrt, exp.Cbrt, exp.Pow, exp.Exp,
        exp.Ln, exp.Log, exp.Trunc, exp.Pi, exp.Degrees, exp.Radians, exp.Sin, exp.Cos, exp.Tan,
        exp.Asin, exp.Acos, exp.Atan, exp.Atan2, exp.Cot, exp.SafeDivide,
        # strings
        exp.Length, exp.Lower, exp.Upper, exp.Trim, exp.Substring, exp.Concat, exp.ConcatWs,
        exp.StrPosition, exp.Left, exp.Right, exp.Reverse, exp.Repeat, exp.Pad, exp.Replace,
        exp.Space, exp.Ascii, exp.Chr, exp.Unicode, exp.Initcap, exp.Stuff, exp.Translate,
        exp.Format,
        # dates and times
        exp.CurrentTimestamp, exp.CurrentDate, exp.CurrentDatetime, exp.CurrentTime,
        exp.Localtime, exp.Localtimestamp, exp.DateAdd, exp.DateDiff, exp.DateTrunc,
        exp.Year, exp.Quarter, exp.Month, exp.Week, exp.Day, exp.DayOfWeek, exp.DayOfYear,
        exp.Hour, exp.Minute, exp.Second, exp.Extract, exp.TimeToStr, exp.TimeStrToTime,
        exp.StrToTime, exp.StrToDate, exp.TsOrDsToDate, exp.DateStrToDate, exp.Date,
        exp.Datetime, exp.Time, exp.ToChar,
        # aggregates
        exp.Count, exp.CountIf, exp.Sum, exp.Avg, exp.Min, exp.Max, exp.Stddev, exp.StddevPop,
        exp.StddevSamp, exp.Variance, exp.VariancePop, exp.GroupConcat,
        # JSON (JSON_VALUE, JSON_QUERY; translated per backend by ddl/v1/sqljson.py)
        exp.JSONExtractScalar, exp.JSONExtract,
        # window functions
        exp.RowNumber, exp.Rank, exp.DenseRank, exp.Ntile, exp.Lag, exp.Lead, exp.FirstValue,
        exp.LastValue, exp.NthValue, exp.PercentRank, exp.CumeDist,
    }
) | allowed.FUNCTIONS  # fmt: skip

# Every other kind of node a read-only SELECT is made of.
ALLOWED_NODES: frozenset[type[exp.Expr]] = frozenset(
    {
        exp.Select, exp.Union, exp.Except, exp.Intersect, exp.Subquery, exp.With, exp.CTE,
        exp.From, exp.Join, exp.Table, exp.TableAlias, exp.Lateral, exp.Values, exp.Tuple,
        exp.Where, exp.Group, exp.Having, exp.Order, exp.Ordered, exp.Limit, exp.Offset,
        exp.Fetch, exp.LimitOptions, exp.Distinct, exp.Window, exp.WindowSpec, exp.Qualify,
        exp.Identifier, exp.Column, exp.Star, exp.Alias, exp.Aliases, exp.Literal, exp.Null,
        exp.Boolean, exp.Var, exp.DataType, exp.DataTypeParam, exp.Interval, exp.IntervalSpan,
        exp.Parameter, exp.WithTableHint, exp.QueryOption, exp.Bracket,
        exp.JSONPath, exp.JSONPathRoot, exp.JSONPathKey, exp.JSONPathSubscript,
        # operators
        exp.Paren, exp.Neg, exp.Not, exp.BitwiseNot, exp.And, exp.Or, exp.Xor,
        exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.Is, exp.NullSafeEQ,
        exp.NullSafeNEQ, exp.Like, exp.ILike, exp.Escape, exp.Between, exp.In, exp.Exists,
        exp.Any, exp.All, exp.Add, exp.Sub, exp.Mul, exp.Div, exp.IntDiv, exp.Mod, exp.DPipe,
        exp.BitwiseAnd, exp.BitwiseOr, exp.BitwiseXor, exp.Collate,
    }
)  # fmt: skip

# CAST / CONVERT / TRY_CAST targets: the T-SQL data types (numbers, bit, strings, date/time,
# uniqueidentifier, binary). Everything else is refused, above all PostgreSQL's reg* and oid
# types, whose output functions turn a number into the name of any schema, table or role of the
# whole database, other tenants' included, whatever rights the reader role has (SPEC §5).
_T = exp.DataType.Type
ALLOWED_TYPES: frozenset[object] = frozenset(
    {
        _T.BIT, _T.BOOLEAN, _T.TINYINT, _T.UTINYINT, _T.SMALLINT, _T.INT, _T.BIGINT,
        _T.DECIMAL, _T.MONEY, _T.SMALLMONEY, _T.FLOAT, _T.DOUBLE,
        _T.CHAR, _T.NCHAR, _T.VARCHAR, _T.NVARCHAR, _T.TEXT,
        _T.DATE, _T.TIME, _T.DATETIME, _T.DATETIME2, _T.SMALLDATETIME, _T.TIMESTAMP,
        _T.TIMESTAMPTZ, _T.UUID, _T.BINARY, _T.VARBINARY,
    }
)  # fmt: skip
_NAME = re.compile(r"\s*([A-Za-z_#@$][A-Za-z0-9_#@$]*)")

_WRITES = (exp.Insert, exp.Update, exp.Delete, exp.Merge, exp.Create, exp.Drop, exp.Alter,
           exp.Command, exp.Copy, exp.TruncateTable, exp.Grant, exp.Set, exp.Use,
           exp.Transaction, exp.Commit, exp.Rollback, exp.Pragma, exp.Declare)  # fmt: skip
_READ_ONLY = "a saved query is one read-only SELECT (WITH and UNION allowed)"


@dataclass(frozen=True, slots=True)
class Checked:
    """A tree that passed every check, with the tables and parameters it names."""

    tree: exp.Expr
    tables: tuple[str, ...]  # custom tables named, as first spelled in the SQL
    parameters: tuple[str, ...]  # as first spelled in the SQL


def _statement_name(node: exp.Expr) -> str:
    if isinstance(node, exp.Command):
        return str(node.this).upper()
    key = node.key.upper()
    return {"TRUNCATETABLE": "TRUNCATE", "DECLARE": "DECLARE"}.get(key, key)


def _root_query(tree: exp.Expr, dialect: str = "tsql") -> exp.Expr:
    root = tree
    while isinstance(root, exp.Subquery) and not root.alias:
        root = root.this
    if isinstance(root, _WRITES):
        raise ValidationError(f"{_statement_name(root)} is not allowed: {_READ_ONLY}")
    if not isinstance(root, exp.Select | exp.SetOperation):
        raise ValidationError(f"{written(root, dialect)} is not allowed: {_READ_ONLY}")
    return root


def written(node: exp.Expr, dialect: str) -> str:
    """A function's or type's name as the user wrote it: the spelling our T-SQL reader
    recorded (queries/dialects/reader.py), else the leading word of the node rendered back in
    the query's own dialect (FORMAT, NEWID, OPENJSON), never a class name of sqlglot's
    (NUMBER_TO_STR, UUID, OPEN_J_S_O_N)."""
    if isinstance(node, exp.Anonymous):
        return str(node.this).upper()
    if isinstance(node, exp.Func) and node.meta and node.meta.get("tsql_name"):
        return written_name(node)
    try:
        text = node.sql(dialect=dialect)
    except Exception:  # noqa: BLE001 (sqlglot raises many kinds for a node it cannot render)
        text = ""
    match = _NAME.match(text)
    if match is not None:
        return match.group(1).upper()
    if isinstance(node, exp.Func):
        return node.sql_name()
    return " ".join(text.split())[:40] or node.key.upper()  # the construct as written (1::oid)


def _function_name(node: exp.Expr, dialect: str = "tsql") -> str:
    return written(node, dialect)


def _check_type(node: exp.Expr, dialect: str) -> None:
    """A DataType of the allow-list; PostgreSQL's `::regclass` parses to an ObjectIdentifier."""
    if not isinstance(node, exp.DataType) or node.this not in ALLOWED_TYPES:
        try:
            name = node.sql(dialect=dialect)
        except Exception:  # noqa: BLE001 (a type the dialect cannot render, any kind)
            name = str(node.args.get("kind") or node.name)
        raise ValidationError(
            f"Type {name} is not allowed in a saved query: CAST, CONVERT and TRY_CAST take the "
            "T-SQL types (numbers, bit, strings, date and time types, uniqueidentifier, varbinary)"
        )


def _check_node(node: exp.Expr, dialect: str = "tsql") -> None:
    kind = type(node)
    if kind in ALLOWED_NODES or kind in ALLOWED_FUNCTIONS or kind is exp.ObjectIdentifier:
        return  # an ObjectIdentifier is a type name, refused by _check_type
    if isinstance(node, exp.Anonymous) and str(node.this).upper() in allowed.ANONYMOUS:
        return
    if isinstance(node, exp.Into):
        raise ValidationError("SELECT INTO is not allowed: a saved query only reads")
    if isinstance(node, exp.Lock):
        raise ValidationError(
            "Locking clauses (FOR UPDATE, ...) are not allowed: a saved query only reads"
        )
    if isinstance(node, _WRITES):
        raise ValidationError(f"{_statement_name(node)} is not allowed: {_READ_ONLY}")
    if isinstance(node, exp.Func):
        raise ValidationError(
            f"Function {_function_name(node, dialect)} is not allowed in a saved query "
            "(only functions over the row values are)"
        )
    if isinstance(node, exp.Dot):
        raise ValidationError("Qualified function or object names are not allowed in a saved query")
    if isinstance(node, exp.Placeholder):
        raise ValidationError("Parameters are written @name in a saved query")
    raise ValidationError(f"'{written(node, dialect)}' is not allowed in a saved query")


def _check_table(table: exp.Table, cte_names: set[str], dialect: str) -> str | None:
    """The folded name of a custom table the query reads, or None for a CTE reference."""
    if not isinstance(table.this, exp.Identifier):
        name = _function_name(table.this, dialect) if table.this is not None else "?"
        raise ValidationError(f"Table function {name} is not allowed: only custom tables are read")
    name = table.name
    if table.args.get("catalog") is not None:
        raise ValidationError(
            f"Table '{table.sql(dialect='tsql')}' is outside the CustomTable namespace: "
            "name tables as [customtables].[TableName] or by their name alone"
        )
    schema = table.args.get("db")
    if schema is None:
        return None if fold(name) in cte_names else fold(name)
    if fold(schema.name) not in NAMESPACES:
        raise ValidationError(
            f"Table '{schema.name}.{name}' is outside the CustomTable namespace: "
            "only custom tables of [customtables] may be read"
        )
    return fold(name)


JSON_PATH_RULE = (
    "is a literal of keys and array positions, like '$.customer.id' or "
    "'$.lines[0].sku' (no variables, wildcards or lax/strict)"
)


def plain_json_part(part: exp.Expr) -> bool:
    """A part of a JSON path every backend can follow: the root, a key, an array position."""
    return isinstance(part, exp.JSONPathRoot | exp.JSONPathKey) or (
        isinstance(part, exp.JSONPathSubscript) and isinstance(part.this, int)
    )


def _check_json_path(node: exp.JSONExtract | exp.JSONExtractScalar) -> None:
    """A literal path of keys and array positions, which every backend can follow."""
    path = node.expression
    plain = isinstance(path, exp.JSONPath) and all(map(plain_json_part, path.expressions))
    if not plain:
        raise ValidationError(f"A JSON path in a saved query {JSON_PATH_RULE}")


def _parameter_name(node: exp.Parameter) -> str:
    inner = node.this
    if isinstance(inner, exp.Parameter):
        raise ValidationError(f"System variables (@@{inner.name}) are not allowed in a saved query")
    name = inner.name if isinstance(inner, exp.Expr) else str(inner)
    if PARAMETER_PATTERN.fullmatch(name) is None:
        raise ValidationError(f"Invalid parameter name @{name}")
    return name


def check(tree: exp.Expr, dialect: str = "tsql") -> Checked:
    """Refuse anything but one read-only SELECT over custom tables; say what was refused, in
    the words of the query's `dialect`."""
    _root_query(tree, dialect)
    cte_names = {fold(cte.alias) for cte in tree.find_all(exp.CTE)}
    tables: dict[str, str] = {}
    parameters: dict[str, str] = {}
    for node in tree.walk():
        if isinstance(node, exp.JSONPathPart) and not plain_json_part(node):
            raise ValidationError(f"A JSON path in a saved query {JSON_PATH_RULE}")
        _check_node(node, dialect)
        if isinstance(node, exp.DataType | exp.ObjectIdentifier):
            _check_type(node, dialect)
        elif isinstance(node, exp.Table):
            if _check_table(node, cte_names, dialect) is not None:
                tables.setdefault(fold(node.name), node.name)
        elif isinstance(node, exp.JSONExtract | exp.JSONExtractScalar):
            _check_json_path(node)
        elif isinstance(node, exp.Parameter):
            name = _parameter_name(node)
            parameters.setdefault(fold(name), name)
    return Checked(tree, tuple(tables.values()), tuple(parameters.values()))
