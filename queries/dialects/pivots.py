"""PIVOT and UNPIVOT, which neither SQLite nor PostgreSQL has, rewritten before names are
resolved into what both have, with SQL Server's meaning:

- `src PIVOT (AGG(v) FOR c IN ([a], [b])) AS p` → `(SELECT <other columns>, AGG(CASE WHEN
  c = 'a' THEN v END) AS [a], ... FROM src GROUP BY <other columns>) AS p`: SQL Server groups
  by every source column that is neither pivoted nor aggregated;
- `src UNPIVOT (v FOR c IN (a, b)) AS u` → `(SELECT <others>, 'a' AS c, a AS v FROM src WHERE a
  IS NOT NULL UNION ALL ...) AS u`: SQL Server drops NULL values.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from sqlglot import exp

from ddl.backends import backend_for
from ddl.catalog import TableDef
from ddl.errors import ValidationError
from ddl.names import fold

_NUMBER = re.compile(r"-?\d+(\.\d+)?")


def before_qualify(
    tree: exp.Expr, tables: Mapping[str, TableDef], backend: str
) -> exp.Expr:
    if not backend_for(backend).translates_tsql and tree.find(exp.Pivot) is not None:
        # T-SQL runs as written there, but sqlglot cannot resolve names through a PIVOT
        raise ValidationError(
            "PIVOT and UNPIVOT are not supported in saved queries on SQL Server yet"
        )
    for pivot in list(tree.find_all(exp.Pivot)):
        source = pivot.parent
        if not isinstance(source, exp.Table | exp.Subquery):
            raise ValidationError("PIVOT and UNPIVOT apply to a table or a derived table")
        pivot.pop()
        rewritten = (
            _unpivot(pivot, source, tables)
            if pivot.args.get("unpivot")
            else _pivot(pivot, source, tables, backend)
        )
        source.replace(rewritten)
    return tree


def _source_columns(source: exp.Expr, tables: Mapping[str, TableDef]) -> list[str]:
    if isinstance(source, exp.Subquery):
        select = source.this
        if not isinstance(select, exp.Select) or any(
            isinstance(p, exp.Star) or (isinstance(p, exp.Column) and p.is_star)
            for p in select.selects
        ):
            raise ValidationError("The source of PIVOT or UNPIVOT must name its columns")
        return [p.alias_or_name for p in select.selects]
    definition = tables.get(fold(source.name))
    if definition is None:
        raise ValidationError(
            f"Custom table '{source.name}' does not exist in the CustomTable namespace"
        )
    return [definition.key_column, *(c.ColumnName for c in definition.columns)]


def _bare_source(source: exp.Expr, alias: str) -> exp.Expr:
    copy = source.copy()
    copy.set("alias", exp.TableAlias(this=exp.to_identifier(alias)))
    return copy


def _alias(pivot: exp.Pivot, source: exp.Expr, default: str) -> str:
    alias = pivot.args.get("alias")
    return alias.name if alias is not None else (source.alias or default)


def _value(name: str, backend: str) -> exp.Expr:
    """The IN list's [name] as a value: PostgreSQL casts a quoted literal to the column's type;
    SQLite compares numbers with numbers."""
    if backend_for(backend).dynamic_typing and _NUMBER.fullmatch(name):
        return exp.Literal.number(name)
    return exp.Literal.string(name)


def _pivot(
    pivot: exp.Pivot, source: exp.Expr, tables: Mapping[str, TableDef], backend: str
) -> exp.Expr:
    aggregate = pivot.expressions[0]
    field = pivot.args["fields"][0]
    if not isinstance(aggregate, exp.AggFunc) or not isinstance(field, exp.In):
        raise ValidationError("PIVOT needs one aggregate and FOR column IN (...)")
    value = aggregate.this
    spread = field.this
    used = {fold(spread.name)} | {fold(c.name) for c in value.find_all(exp.Column)}
    groups = [c for c in _source_columns(source, tables) if fold(c) not in used]
    projections: list[exp.Expr] = [exp.column(c, "ct_src") for c in groups]
    for item in field.expressions:
        name = item.name if isinstance(item, exp.Column | exp.Identifier) else item.this
        name = str(name)
        case = exp.Case(ifs=[exp.If(this=exp.EQ(this=exp.column(spread.name, "ct_src"),
                                                expression=_value(name, backend)),
                                    true=_qualified(value))])  # fmt: skip
        total = aggregate.copy()
        total.set("this", case)
        projections.append(exp.alias_(total, name, quoted=True))
    select = exp.select(*projections).from_(_bare_source(source, "ct_src"))
    if groups:
        select = select.group_by(*[exp.column(c, "ct_src") for c in groups])
    return exp.Subquery(this=select, alias=exp.TableAlias(
        this=exp.to_identifier(_alias(pivot, source, "pvt"))))  # fmt: skip


def _qualified(value: exp.Expr) -> exp.Expr:
    copy = value.copy()
    for column in copy.find_all(exp.Column):
        column.set("table", exp.to_identifier("ct_src"))
    if isinstance(copy, exp.Column):
        copy.set("table", exp.to_identifier("ct_src"))
    return copy


def _unpivot(
    pivot: exp.Pivot, source: exp.Expr, tables: Mapping[str, TableDef]
) -> exp.Expr:
    value_name = pivot.expressions[0].name
    field = pivot.args["fields"][0]
    label = field.this.name
    names = [item.name for item in field.expressions]
    folded = {fold(name) for name in names}
    others = [c for c in _source_columns(source, tables) if fold(c) not in folded]
    branches: list[exp.Select] = []
    for name in names:
        column = exp.column(name, "ct_src")
        select = exp.select(
            *[exp.column(c, "ct_src") for c in others],
            exp.alias_(exp.Literal.string(name), label),
            exp.alias_(column.copy(), value_name),
        ).from_(_bare_source(source, "ct_src"))
        branches.append(select.where(exp.Not(this=exp.Is(this=column, expression=exp.Null()))))
    union: exp.Expr = branches[0]
    for branch in branches[1:]:
        union = exp.Union(this=union, expression=branch, distinct=False)
    return exp.Subquery(this=union, alias=exp.TableAlias(
        this=exp.to_identifier(_alias(pivot, source, "unpvt"))))  # fmt: skip
