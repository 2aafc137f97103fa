"""CROSS / OUTER APPLY on SQLite, which has no LATERAL: the common form, a derived table
correlated only by equalities in its WHERE (`WHERE x.k = s.k`, optionally `TOP n ... ORDER BY`),
becomes an ordinary join on those keys, with ROW_NUMBER() per key standing for TOP n:

    FROM s CROSS APPLY (SELECT TOP 1 x.a FROM x WHERE x.k = s.k ORDER BY x.a DESC) t
 →  FROM s JOIN (SELECT x.a, x.k AS ct_k0, ROW_NUMBER() OVER (PARTITION BY x.k ORDER BY x.a
    DESC) AS ct_rn FROM x) t ON t.ct_k0 = s.k AND t.ct_rn <= 1

OUTER APPLY is the same as a LEFT JOIN. Anything else (an aggregate, DISTINCT, a correlation
that is not an equality) is refused when the query is saved, naming the form.
"""

from __future__ import annotations

from sqlglot import exp

from ddl.errors import ValidationError

UNSUPPORTED = (
    "CROSS APPLY and OUTER APPLY on SQLite need a derived table correlated only by equalities "
    "in its WHERE (no aggregate, DISTINCT, TOP PERCENT or WITH TIES)"
)


def _inner_names(select: exp.Select) -> set[str]:
    names: set[str] = set()
    sources = [select.args.get("from_"), *(select.args.get("joins") or [])]
    for source in sources:
        if source is not None and source.this is not None:
            names.add(source.this.alias_or_name)
    return names


def _outer_columns(node: exp.Expr, inner: set[str]) -> list[exp.Column]:
    return [c for c in node.find_all(exp.Column) if c.table and c.table not in inner]


def _conjuncts(node: exp.Expr | None) -> list[exp.Expr]:
    if node is None:
        return []
    if isinstance(node, exp.And):
        return [*_conjuncts(node.this), *_conjuncts(node.expression)]
    if isinstance(node, exp.Paren):
        return _conjuncts(node.this)
    return [node]


def _split(
    select: exp.Select, inner: set[str]
) -> tuple[list[tuple[exp.Expr, exp.Column]], list[exp.Expr]]:
    """(inner expression, outer column) pairs of the correlation, and the other conditions."""
    where = select.args.get("where")
    pairs: list[tuple[exp.Expr, exp.Column]] = []
    kept: list[exp.Expr] = []
    for condition in _conjuncts(where.this if where else None):
        if not _outer_columns(condition, inner):
            kept.append(condition)
            continue
        if not isinstance(condition, exp.EQ):
            raise ValidationError(UNSUPPORTED)
        for outer, other in ((condition.expression, condition.this),
                             (condition.this, condition.expression)):  # fmt: skip
            if isinstance(outer, exp.Column) and _outer_columns(outer, inner):
                if _outer_columns(other, inner):
                    raise ValidationError(UNSUPPORTED)
                pairs.append((other, outer))
                break
        else:
            raise ValidationError(UNSUPPORTED)
    return pairs, kept


def _check(select: exp.Select, inner: set[str]) -> None:
    limit = select.args.get("limit")
    options = limit.args.get("limit_options") if isinstance(limit, exp.Limit) else None
    if (
        select.args.get("group") or select.args.get("distinct") or select.args.get("having")
        or select.args.get("offset") or options is not None
        or any(p.find(exp.AggFunc) for p in select.selects)
    ):  # fmt: skip
        raise ValidationError(UNSUPPORTED)
    for key, value in select.args.items():
        if key != "where" and isinstance(value, exp.Expr | list):
            nodes = value if isinstance(value, list) else [value]
            if any(_outer_columns(node, inner) for node in nodes):
                raise ValidationError(UNSUPPORTED)


def _decorrelated(lateral: exp.Lateral, order_keys: list[exp.Ordered]) -> exp.Join:
    select = lateral.this.this if isinstance(lateral.this, exp.Subquery) else None
    if not isinstance(select, exp.Select):
        raise ValidationError(UNSUPPORTED)
    inner = _inner_names(select)
    _check(select, inner)
    pairs, kept = _split(select, inner)
    alias = lateral.alias
    body = select.copy()
    body.set("where", exp.Where(this=exp.and_(*kept)) if kept else None)
    limit = select.args.get("limit")
    for key in ("limit", "order"):
        body.set(key, None)
    conditions: list[exp.Expr] = []
    for index, (expression, outer) in enumerate(pairs):
        body.select(exp.alias_(expression.copy(), f"ct_k{index}"), copy=False)
        conditions.append(exp.EQ(this=exp.column(f"ct_k{index}", alias), expression=outer.copy()))
    if limit is not None:
        count = limit.expression
        if not (isinstance(count, exp.Literal) and count.is_int):
            raise ValidationError(UNSUPPORTED)
        window = exp.Window(
            this=exp.RowNumber(),
            partition_by=[expression.copy() for expression, _ in pairs],
            order=exp.Order(expressions=order_keys) if order_keys else None,
        )
        body.select(exp.alias_(window, "ct_rn"), copy=False)
        conditions.append(exp.LTE(this=exp.column("ct_rn", alias), expression=count.copy()))
    source = exp.Subquery(this=body, alias=exp.TableAlias(this=exp.to_identifier(alias)))
    on = (
        exp.and_(*conditions)
        if conditions
        else exp.EQ(this=exp.Literal.number(1), expression=exp.Literal.number(1))
    )
    side = None if lateral.args.get("cross_apply") else "LEFT"
    return exp.Join(this=source, on=on, side=side)


def for_sqlite(tree: exp.Expr, order_keys: object) -> None:
    """Every APPLY of `tree` as a join; `order_keys(select)` gives usable ORDER BY keys."""
    for lateral in list(tree.find_all(exp.Lateral)):
        join = lateral.parent
        if not isinstance(join, exp.Join) or not isinstance(lateral.this, exp.Subquery):
            raise ValidationError(UNSUPPORTED)
        keys = order_keys(lateral.this.this)  # type: ignore[operator]
        join.replace(_decorrelated(lateral, keys))
