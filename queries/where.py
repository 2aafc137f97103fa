"""`Where=<T-SQL condition>` of the rows API: one boolean expression over one table's columns,
parsed, checked and translated by the saved-query machinery, with every value literal bound.

Why not a translator of its own: the expression must mean on SQLite and PostgreSQL what it means
on SQL Server (SPEC §5.1), exactly as in a saved query. So the condition is wrapped in
`SELECT key FROM [customtables].[Table] WHERE <condition>`, checked again by `queries.check`,
and planned by `queries.plan`; its translated WHERE is taken back out and rendered for the
backend with the literals turned into bind parameters. The allow-list here is stricter than a
saved query's: no subquery, no other table, no aggregate or window function, no `@parameter`,
no comment and no `;` (each refused with its position in the text).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
import sqlglot
from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import ErrorLevel, ParseError, TokenError
from sqlglot.tokens import Token, TokenType

from ddl.backends import backend_for
from ddl.cache import LruCache
from ddl.catalog import TableDef
from ddl.errors import ValidationError
from ddl.names import fold
from ddl.types import BadValue, parse_datetime
from queries import dialects
from queries.check import (
    ALLOWED_FUNCTIONS,
    ALLOWED_NODES,
    JSON_PATH_RULE,
    Checked,
    check,
    written,
)
from queries.dialects.reader import reader
from queries.plan import NAMESPACE, plan

MAX_WHERE_CHARS = 4_000
# Names, values and operators. Checking and planning cost grows faster than linearly (1,100
# ORs took 2.5 s of CPU), and every new text is a new plan: a few hundred keep it near 0.2 s.
MAX_TOKENS = 300
MAX_DEPTH = 64  # parentheses nested deeper than this: 400 (the parser recurses per level)
INT64_LIMIT = 2**63  # a larger integer literal is a decimal, as in T-SQL
_READER = reader("tsql")  # our T-SQL reader: FORMAT, DATENAME, names as written
_CACHE_SIZE = 512

_NOT_IN_A_CONDITION: frozenset[type[exp.Expr]] = frozenset(
    {
        exp.Select, exp.Union, exp.Except, exp.Intersect, exp.Subquery, exp.With, exp.CTE,
        exp.From, exp.Join, exp.Table, exp.TableAlias, exp.Lateral, exp.Values, exp.Where,
        exp.Group, exp.Having, exp.Order, exp.Ordered, exp.Limit, exp.Offset, exp.Fetch,
        exp.LimitOptions, exp.Distinct, exp.Window, exp.WindowSpec, exp.Qualify, exp.Star,
        exp.Alias, exp.Aliases, exp.Parameter, exp.WithTableHint, exp.QueryOption, exp.Exists,
        exp.Any, exp.All, exp.Collate,  # collation is the server's (SPEC §5.1), not the client's
        # aggregates and window functions need a GROUP BY or OVER: not one row's condition
        exp.Count, exp.CountIf, exp.Sum, exp.Avg, exp.Min, exp.Max, exp.Stddev, exp.StddevPop,
        exp.StddevSamp, exp.Variance, exp.VariancePop, exp.GroupConcat, exp.RowNumber,
        exp.Rank, exp.DenseRank, exp.Ntile, exp.Lag, exp.Lead, exp.FirstValue, exp.LastValue,
        exp.NthValue, exp.PercentRank, exp.CumeDist,
    }
)  # fmt: skip
ALLOWED: frozenset[type[exp.Expr]] = (
    ALLOWED_NODES | ALLOWED_FUNCTIONS | {exp.National}
) - _NOT_IN_A_CONDITION
# A condition's top node: something true or false, not a bare value.
_PREDICATES = (
    exp.And, exp.Or, exp.Not, exp.Xor, exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE,
    exp.Is, exp.NullSafeEQ, exp.NullSafeNEQ, exp.Like, exp.ILike, exp.Between, exp.In,
    exp.Boolean,
)  # fmt: skip
# Literals that are syntax, not values: type lengths, interval amounts, format strings, styles.
_KEEP_LITERALS_UNDER = (exp.DataType, exp.DataTypeParam, exp.Interval, exp.JSONPath)
_FORMAT_ARGUMENTS = {"format", "style", "decimals", "unit"}


@dataclass(frozen=True, slots=True)
class CompiledWhere:
    """The condition as SQL for one backend (bind names `:name`) and the values to bind."""

    text: str  # the client's text, for the next-page link and the cursor fingerprint
    sql: str
    values: tuple[tuple[str, Any], ...]

    def clause(self) -> sa.TextClause:
        """A fresh SQLAlchemy clause; untyped binds, so the database infers each type from the
        column it meets (a date string compared with a Date column is a date)."""
        binds = [
            sa.bindparam(name, value, type_=sa.types.NullType()) for name, value in self.values
        ]
        # Parenthesised: the condition is ANDed with keyset bounds, and `A OR B AND bound`
        # would page without end (found by a hostile test).
        return sa.text(f"({self.sql})").bindparams(*binds)


def _position(text: str, start: int) -> str:
    line = text.count("\n", 0, start) + 1
    column = start - (text.rfind("\n", 0, start) + 1) + 1
    return f"at line {line}, column {column} (character {start + 1})"


def _refuse(text: str, what: str, token: Token | None) -> ValidationError:
    where = f" {_position(text, token.start)}" if token is not None else ""
    return ValidationError(f"Where: {what}{where}")


def _tokens(text: str) -> list[Token]:
    """The tokens, refusing comments and `;` with their position (the parser would keep a
    comment and silently drop it, and a `;` starts another statement)."""
    try:
        tokens = Dialect.get_or_raise(_READER).tokenize(text)
    except TokenError as error:
        raise ValidationError(f"Where does not parse: {error}") from None
    if len(tokens) > MAX_TOKENS:
        raise ValidationError(
            f"Where is too long: {len(tokens)} names, values and operators, at most {MAX_TOKENS}"
        )
    depth = 0
    for token in tokens:
        depth += {TokenType.L_PAREN: 1, TokenType.R_PAREN: -1}.get(token.token_type, 0)
        if depth > MAX_DEPTH:
            raise _refuse(text, f"parentheses nest deeper than {MAX_DEPTH} levels", token)
        if token.token_type is TokenType.SEMICOLON:
            raise _refuse(text, "';' is not allowed: Where is one condition", token)
        if token.comments:
            after = text[token.end + 1 :]
            start = (
                token.end
                + 1
                + min((i for i in (after.find("--"), after.find("/*")) if i >= 0), default=0)
            )
            raise ValidationError(f"Where: comments are not allowed {_position(text, start)}")
    return tokens


def _parse(text: str) -> exp.Expr:
    try:
        tree = sqlglot.parse_one(
            text, read=_READER, into=exp.Condition, error_level=ErrorLevel.RAISE
        )
    except ParseError as error:
        details = error.errors[0] if error.errors else {}
        what = details.get("description") or "invalid syntax"
        if "<class" in what:  # "Required keyword: 'expression' missing for <class …>"
            what = "an operand is missing"
        near = (details.get("highlight") or "").strip()
        line, column = details.get("line"), details.get("col")
        at = f" near '{near[:40]}'" if near else ""
        if line is not None:
            at += f" at line {line}, column {column}"
        raise ValidationError(
            f"Where does not parse: {what}{at}; expected one condition such as "
            "Price > 10 AND Name LIKE 'A%'"
        ) from None
    if tree is None:
        raise ValidationError("Where is empty")
    return tree


def _first_token(tokens: list[Token], *texts: str) -> Token | None:
    wanted = {t.upper() for t in texts if t}
    return next((t for t in tokens if t.text.upper() in wanted), None)


def _node_name(node: exp.Expr) -> str:
    """The name as the user wrote it (the reader records it), never sqlglot's own."""
    return written(node, _READER)


def _check_node(node: exp.Expr, text: str, tokens: list[Token]) -> None:
    kind = type(node)
    if kind in ALLOWED:
        return
    if isinstance(node, exp.Select | exp.Subquery | exp.Exists | exp.Union | exp.With):
        raise _refuse(text, "subqueries are not allowed", _first_token(tokens, "SELECT", "WITH"))
    if isinstance(node, exp.Table | exp.From | exp.Join):
        raise _refuse(text, "other tables are not allowed", _first_token(tokens, "FROM"))
    if isinstance(node, exp.Parameter | exp.Placeholder):
        raise _refuse(
            text,
            "parameters are not allowed (write the value itself)",
            _first_token(tokens, "@", "?"),
        )
    if isinstance(node, exp.Collate):
        raise _refuse(
            text,
            "COLLATE is not allowed (text compares with the server's collation)",
            _first_token(tokens, "COLLATE"),
        )
    if isinstance(node, exp.Func):
        name = _node_name(node)
        raise _refuse(
            text,
            f"function {name} is not allowed (only functions over one row's values are)",
            _first_token(tokens, name, str(node.this) if isinstance(node, exp.Anonymous) else ""),
        )
    if isinstance(node, exp.Dot):
        raise _refuse(text, "qualified names are not allowed", _first_token(tokens, "."))
    if isinstance(node, exp.JSONPathPart):
        raise ValidationError(f"Where: a JSON path {JSON_PATH_RULE}")
    try:
        shown = node.sql(_READER)[:40]  # the construct as T-SQL, never a parser class name
    except Exception:  # noqa: BLE001 (sqlglot raises many kinds for a node it cannot render)
        raise ValidationError("Where: a construct of this condition is not allowed") from None
    at = text.upper().find(shown.upper())
    where = f" {_position(text, at)}" if at >= 0 else ""
    raise ValidationError(f"Where: '{shown}' is not allowed here{where}")


_T_SQL_TYPES = frozenset(
    {
        exp.DataType.Type.BIT, exp.DataType.Type.BOOLEAN, exp.DataType.Type.TINYINT,
        exp.DataType.Type.UTINYINT, exp.DataType.Type.SMALLINT, exp.DataType.Type.INT,
        exp.DataType.Type.BIGINT, exp.DataType.Type.DECIMAL, exp.DataType.Type.FLOAT,
        exp.DataType.Type.DOUBLE, exp.DataType.Type.MONEY, exp.DataType.Type.SMALLMONEY,
        exp.DataType.Type.CHAR, exp.DataType.Type.NCHAR, exp.DataType.Type.VARCHAR,
        exp.DataType.Type.NVARCHAR, exp.DataType.Type.TEXT, exp.DataType.Type.DATE,
        exp.DataType.Type.DATETIME, exp.DataType.Type.DATETIME2, exp.DataType.Type.SMALLDATETIME,
        exp.DataType.Type.TIME, exp.DataType.Type.TIMESTAMPTZ, exp.DataType.Type.UUID,
        exp.DataType.Type.VARBINARY, exp.DataType.Type.BINARY,
    }
)  # fmt: skip


def _check_types(tree: exp.Expr, text: str, tokens: list[Token]) -> None:
    """CAST/CONVERT targets are T-SQL data types only (no regclass, oid, …: SPEC §5)."""
    for node in tree.find_all(exp.DataType):
        if node.this not in _T_SQL_TYPES:
            name = node.sql(_READER).split("(")[0]
            raise _refuse(
                text,
                f"type {name} is not allowed (T-SQL data types only)",
                _first_token(tokens, name),
            )


def _check_columns(tree: exp.Expr, table: TableDef, text: str, tokens: list[Token]) -> None:
    known = {fold(table.key_column)} | {fold(c.ColumnName) for c in table.columns}
    for column in tree.find_all(exp.Column):
        if column.table:
            raise _refuse(
                text,
                f"'{column.table}.{column.name}': name this table's columns alone (no table "
                "or schema)",
                _first_token(tokens, column.table),
            )
        if fold(column.name) not in known:
            raise _refuse(
                text,
                f"column '{column.name}' does not exist in custom table '{table.name}'",
                _first_token(tokens, column.name),
            )


def parse_where(text: str, table: TableDef) -> exp.Expr:
    """The checked condition tree; a 400 with the position for anything refused."""
    if not text.strip():
        raise ValidationError("Where is empty: leave it out to read every row")
    if len(text) > MAX_WHERE_CHARS:
        raise ValidationError(f"Where is longer than {MAX_WHERE_CHARS} characters")
    if "\x00" in text:
        raise ValidationError("Where: NUL characters are not allowed")
    tokens = _tokens(text)
    tree = _parse(text)
    for national in list(tree.find_all(exp.National)):  # N'x' is 'x' on every backend here
        national.replace(exp.Literal.string(national.name))
    for node in tree.walk():
        _check_node(node, text, tokens)
    _check_columns(tree, table, text, tokens)
    _check_types(tree, text, tokens)
    inner = tree.unnest() if isinstance(tree, exp.Paren) else tree
    if not isinstance(inner, _PREDICATES):
        raise ValidationError(
            "Where must be a condition (a comparison, LIKE, IN, BETWEEN, IS NULL, joined with "
            f"AND/OR/NOT), not a bare value: {inner.sql(_READER)[:60]!r}"
        )
    return tree


def _is_value_literal(node: exp.Expr) -> bool:
    """A literal standing for a value (bound), not for syntax (kept: it passed the parser)."""
    parent, arg = node.parent, node.arg_key
    while isinstance(parent, exp.Paren | exp.Neg):
        arg = parent.arg_key
        parent = parent.parent
    if parent is None or isinstance(parent, _KEEP_LITERALS_UNDER):
        return False
    if isinstance(parent, exp.Func) and not isinstance(parent, exp.Anonymous):
        return arg not in _FORMAT_ARGUMENTS and isinstance(parent, _VALUE_FUNCTIONS)
    return True


_VALUE_FUNCTIONS = (
    exp.Coalesce, exp.Nullif, exp.If, exp.Case, exp.Lower, exp.Upper, exp.Trim, exp.Concat,
    exp.ConcatWs, exp.Abs, exp.Greatest, exp.Least, exp.Length, exp.Replace,
)  # fmt: skip


def _bind_value(literal: exp.Expr, backend: str) -> Any:
    if isinstance(literal, exp.Literal) and literal.is_string:
        return literal.name
    number = literal.name
    if literal.is_int and -INT64_LIMIT <= int(number) < INT64_LIMIT:
        return int(number)
    value = Decimal(number)
    return value if backend_for(backend).binds_decimal else float(value)


_DATE_TYPES = frozenset(
    {
        exp.DataType.Type.DATETIME2,
        exp.DataType.Type.DATETIME,
        exp.DataType.Type.TIMESTAMP,
        exp.DataType.Type.DATE,
    }
)
_DATE_FORMATS = ("%Y%m%d", "%m/%d/%Y", "%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M")


def _compared_with_date(literal: exp.Expr) -> bool:
    """True when the literal is compared with a Date column (=, <, BETWEEN, IN …)."""
    parent = literal.parent
    while isinstance(parent, exp.Paren | exp.Tuple):
        parent = parent.parent
    if not isinstance(parent, exp.Binary | exp.Between | exp.In):
        return False
    operands = (
        [parent.this, *parent.expressions]
        if isinstance(parent, exp.In)
        else [parent.args.get(k) for k in ("this", "expression", "low", "high")]
    )
    return any(
        isinstance(o, exp.Column) and o.type is not None and o.type.this in _DATE_TYPES
        for o in operands
    )


def _date_literal(text: str) -> datetime:
    """A date literal as SQL Server reads it (DATEFORMAT mdy): ISO-8601, yyyymmdd, mm/dd/yyyy."""
    try:
        return parse_datetime(text)
    except BadValue:
        pass
    for pattern in _DATE_FORMATS:
        try:
            return datetime.strptime(text.strip(), pattern)
        except ValueError:
            continue
    raise ValidationError(f"Where: {text!r} is not a date (use 'yyyy-mm-dd' or ISO-8601)")


def _bind_literals(condition: exp.Expr, backend: str) -> list[tuple[str, Any]]:
    values: list[tuple[str, Any]] = []
    for node in list(condition.find_all(exp.Literal)):
        if not _is_value_literal(node):
            continue
        value = _bind_value(node, backend)
        if isinstance(value, str) and _compared_with_date(node):
            moment = _date_literal(value)  # compared as a point in time, not as text
            value = moment.isoformat(sep=" ") if backend_for(backend).dates_as_text else moment
        name = f"w{len(values)}"
        values.append((name, value))
        node.replace(exp.Placeholder(this=name))
    return values


def _render(condition: exp.Expr, backend: str) -> str:
    """SQL for the backend with `:name` binds (SQLAlchemy's text form on every backend)."""
    for column in condition.find_all(exp.Column):
        column.set("table", None)  # one table: the rows query names it once, unaliased
    sql = condition.sql(dialect=dialects.target(backend))  # our dialects (§5.1 functions)
    if not backend_for(backend).colon_binds:  # PostgreSQL renders %(name)s, SQL Server @name
        for placeholder in condition.find_all(exp.Placeholder):
            name = placeholder.name
            sql = sql.replace(f"%({name})s", f":{name}").replace(f"@{name}", f":{name}")
    return sql


def _wrapped(condition: exp.Expr, table: TableDef) -> Checked:
    key = exp.column(exp.to_identifier(table.key_column, quoted=True))
    source = exp.Table(
        this=exp.to_identifier(table.name, quoted=True), db=exp.to_identifier(NAMESPACE)
    )
    tree = exp.select(key).from_(source).where(condition)
    check(tree)  # the saved-query wall again, on exactly what is planned
    return Checked(tree, (table.name,), ())


def _compile(text: str, table: TableDef, backend: str, schema: str) -> CompiledWhere:
    condition = parse_where(text, table)
    made = plan(
        _wrapped(condition.copy(), table),
        {fold(table.name): table},
        dialect=_READER,
        backend=backend,
        schema_name=schema,
        max_rows=1,
    )
    assert made.tree is not None
    translated = made.tree.args["where"].this.copy()
    values = _bind_literals(translated, backend)
    return CompiledWhere(text, _render(translated, backend), tuple(values))


_cache: LruCache[tuple[Any, ...], CompiledWhere] = LruCache(_CACHE_SIZE)


def compile_where(text: str, table: TableDef, *, backend: str, schema: str) -> CompiledWhere:
    """The condition for this table version and backend, cached (sqlglot is slow-ish)."""
    key = (text, table.id, table.version, backend, schema)
    found = _cache.get(key)
    if found is not None:
        return found
    try:
        compiled = _compile(text, table, backend, schema)
    except RecursionError:
        raise ValidationError("Where is nested too deeply") from None
    _cache.put(key, compiled)
    return compiled
