"""Query forms SQLite and PostgreSQL lack, rewritten on the tree into forms they have, with
SQL Server's meaning (SPEC §5.1): TOP n PERCENT / WITH TIES (window functions), a recursive
WITH that stops with an error past MAXRECURSION levels (a hidden level column), date literals
compared with dates (read as SQL Server reads them); CROSS/OUTER APPLY on SQLite is apply.py.
PIVOT and UNPIVOT are in pivots.py (they are rewritten before names are resolved).
"""

from __future__ import annotations

from sqlglot import exp

from ddl.backends import backend_for
from ddl.errors import ValidationError
from queries.dialects import apply, common, tsql_dates
from queries.dialects.pivots import before_qualify

__all__ = ["after_qualify", "before_qualify", "is_max_recursion", "max_recursion"]
DEFAULT_MAXRECURSION = 100
LEVEL = "ct_level"


def is_max_recursion(node: exp.Expr) -> bool:
    return isinstance(node, exp.QueryOption) and node.name.upper() == "MAXRECURSION"


def max_recursion(tree: exp.Expr) -> int:
    """OPTION (MAXRECURSION n) of the query, else SQL Server's default of 100; 0 = no limit."""
    for option in tree.find_all(exp.QueryOption):
        if option.name.upper() == "MAXRECURSION":
            value = common.literal_int(option.args.get("expression"))
            if value is None or not 0 <= value <= 32767:
                raise ValidationError("MAXRECURSION takes a whole number from 0 to 32767")
            return value
    return DEFAULT_MAXRECURSION


def after_qualify(tree: exp.Expr, backend: str, recursion: int | None) -> exp.Expr:
    """Every rewrite that needs resolved names and types, for `backend` (one that translates
    T-SQL); returns the (possibly new) root."""
    if not backend_for(backend).lateral_joins:
        apply.for_sqlite(tree, _order_keys)  # no LATERAL: correlated equalities → a join
    _date_literals(tree)
    if recursion:
        _guard_recursion(tree, backend, recursion)
    for select in reversed(list(tree.find_all(exp.Select))):
        replaced = _top(select)
        if replaced is not None:
            if select is tree:
                tree = replaced
            else:
                select.replace(replaced)
    return tree


# --- date literals ----------------------------------------------------------------------------

_COMPARISONS = (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE)


def _as_date(literal: exp.Expr, kind: str) -> None:
    """A string literal compared with a date, as the text that date is stored as: the date
    alone for a DATE (CAST(x AS DATE), EOMONTH), the date and time otherwise."""
    if isinstance(literal, exp.Literal) and literal.is_string:
        try:
            value = tsql_dates.to_datetime(literal.this)
        except ValueError:
            raise ValidationError(
                f"Conversion failed when converting date and/or time from character string "
                f"'{literal.this[:40]}'"
            ) from None
        assert value is not None
        text = value.date().isoformat() if kind == "date" else tsql_dates.stored(value)
        literal.replace(exp.Literal.string(text))


def _is_date(node: exp.Expr) -> bool:
    return common.kind(node) in ("date", "datetime", "datetime2")


def _date_literals(tree: exp.Expr) -> None:
    """'01/15/2020', '20200115', '2020-01-15' compared with a date mean that instant."""
    for node in list(tree.find_all(*_COMPARISONS)):
        if _is_date(node.this):
            _as_date(node.expression, common.kind(node.this))
        elif _is_date(node.expression):
            _as_date(node.this, common.kind(node.expression))
    for between in list(tree.find_all(exp.Between)):
        if _is_date(between.this):
            _as_date(between.args["low"], common.kind(between.this))
            _as_date(between.args["high"], common.kind(between.this))
    for listed in list(tree.find_all(exp.In)):
        if _is_date(listed.this):
            for item in listed.expressions:
                _as_date(item, common.kind(listed.this))


# --- TOP n PERCENT / WITH TIES ----------------------------------------------------------------


def _order_keys(select: exp.Select) -> list[exp.Ordered]:
    """ORDER BY keys usable inside OVER (...): output aliases replaced by their expressions."""
    aliases = {p.alias: p.this for p in select.selects if isinstance(p, exp.Alias)}
    order = select.args.get("order")
    keys: list[exp.Ordered] = []
    for ordered in order.expressions if order else []:
        key = ordered.copy()
        inner = key.this
        if isinstance(inner, exp.Column) and not inner.table and inner.name in aliases:
            key.set("this", aliases[inner.name].copy())
        elif isinstance(inner, exp.Literal) and inner.is_int:
            position = int(inner.this)
            if not 1 <= position <= len(select.selects):
                raise ValidationError(f"ORDER BY position {position} is not in the select list")
            key.set("this", select.selects[position - 1].unalias().copy())
        keys.append(key)
    return keys


def _top(select: exp.Select) -> exp.Select | None:
    """SELECT TOP n PERCENT / WITH TIES → the same SELECT filtered on ROW_NUMBER / RANK."""
    limit = select.args.get("limit")
    if not isinstance(limit, exp.Limit):
        return None
    options = limit.args.get("limit_options")
    if options is None or not (options.args.get("percent") or options.args.get("with_ties")):
        return None
    percent, ties = bool(options.args.get("percent")), bool(options.args.get("with_ties"))
    keys = _order_keys(select)
    if ties and not keys:
        raise ValidationError(
            "The TOP N WITH TIES clause is not allowed without a corresponding ORDER BY clause"
        )
    if select.args.get("distinct") is not None:
        raise ValidationError(
            "TOP ... PERCENT or WITH TIES together with DISTINCT is not supported"
        )
    count = limit.expression.copy()
    inner = select.copy()
    for key in ("limit", "order"):
        inner.set(key, None)
    names = [p.alias_or_name for p in select.selects]
    projections = [exp.alias_(p.unalias().copy(), f"ct_c{i}") for i, p in enumerate(inner.selects)]
    over = exp.Order(expressions=keys) if keys else None
    projections += [
        exp.alias_(exp.Window(this=exp.RowNumber(), order=over), "ct_rn"),
        exp.alias_(exp.Window(this=exp.Rank(), order=over), "ct_rank"),
        exp.alias_(exp.Window(this=exp.Count(this=exp.Star())), "ct_total"),
    ]
    inner.set("expressions", projections)
    position = exp.column("ct_rank" if ties else "ct_rn", "ct_top")
    if percent:  # SQL Server rounds the row count up: (position - 1) * 100 < n * total
        rank = exp.Paren(this=exp.Sub(this=position, expression=exp.Literal.number(1)))
        before = exp.Mul(this=rank, expression=exp.Literal.number(100))
        condition: exp.Expr = exp.LT(
            this=before, expression=exp.Mul(this=count, expression=exp.column("ct_total", "ct_top"))
        )
    else:
        condition = exp.LTE(this=position, expression=count)
    columns = [exp.alias_(exp.column(f"ct_c{i}", "ct_top"), name, quoted=True)
               for i, name in enumerate(names)]  # fmt: skip
    source = exp.Subquery(this=inner, alias=exp.TableAlias(this=exp.to_identifier("ct_top")))
    outer = exp.select(*columns).from_(source)
    return outer.where(condition).order_by(exp.column("ct_rn", "ct_top"))


# --- MAXRECURSION -----------------------------------------------------------------------------


def _self_reference(select: exp.Select, name: str) -> str | None:
    for table in select.find_all(exp.Table):
        if not table.text("db") and table.name == name:
            return table.alias_or_name
    return None


def _leaves(node: exp.Expr) -> list[exp.Select]:
    if isinstance(node, exp.Union):
        return [*_leaves(node.this), *_leaves(node.expression)]
    if isinstance(node, exp.Subquery):
        return _leaves(node.this)
    return [node] if isinstance(node, exp.Select) else []


def _next_level(reference: str, backend: str, limit: int) -> exp.Expr:
    level = exp.column(LEVEL, reference)
    following = exp.Add(this=level, expression=exp.Literal.number(1))
    if backend_for(backend).python_functions:
        return exp.Anonymous(
            this="ct_maxrecursion", expressions=[following, exp.Literal.number(limit)]
        )
    # PostgreSQL has no RAISE in a query: a cast that must fail carries our marker instead
    failure = exp.cast(
        exp.DPipe(this=exp.Literal.string(f"ct_maxrecursion:{limit}:"),
                  expression=exp.cast(level.copy(), "TEXT")),
        "INT",
    )  # fmt: skip
    return exp.Case(
        ifs=[exp.If(this=exp.LT(this=level.copy(), expression=exp.Literal.number(limit)),
                    true=following)],
        default=failure,
    )  # fmt: skip


def _guard_recursion(tree: exp.Expr, backend: str, limit: int) -> None:
    """Each recursive CTE carries its level; a row past `limit` levels fails the query."""
    for with_ in tree.find_all(exp.With):
        if not with_.args.get("recursive"):
            continue
        for cte in with_.expressions:
            body = cte.this
            if not isinstance(body, exp.Union) or not isinstance(body.expression, exp.Select):
                continue
            recursive = body.expression
            reference = _self_reference(recursive, cte.alias)
            if reference is None:
                continue
            for anchor in _leaves(body.this):
                anchor.select(exp.alias_(exp.Literal.number(0), LEVEL), copy=False)
            recursive.select(exp.alias_(_next_level(reference, backend, limit), LEVEL), copy=False)
            columns = cte.args["alias"].columns if cte.args.get("alias") else []
            if columns:
                cte.args["alias"].append("columns", exp.to_identifier(LEVEL))
