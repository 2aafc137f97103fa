"""Saved queries compare and order text as SQL Server's default collation does (SPEC §5.1).

The collation is added to expressions, not to columns (docs/decisions.md, "Collation"): a rewrite
of the planned tree, made while sqlglot's types are still known (before the backend's own
translations), that touches only the places where text is compared, grouped or ordered:

- comparisons (`=`, `<>`, `<`, `BETWEEN`, `IN`, simple `CASE`), `GROUP BY`, `PARTITION BY`,
  `MIN`/`MAX`, `COUNT(DISTINCT …)`, and the columns of `DISTINCT` and `UNION`/`INTERSECT`/`EXCEPT`
  selects get `COLLATE` (PostgreSQL: the tenant schema's ICU collation; SQLite: `CT_CI_AS`);
- `ORDER BY` (queries, windows, `WITHIN GROUP`) sorts by the collation's key: PostgreSQL
  `translate(x, '-''', '') COLLATE ct_ci_as` (hyphen and apostrophe ignored at the first level),
  SQLite `ct_sortkey(x)` (one Python call per row instead of one per comparison);
- `LIKE` compares lower-cased operands, as PostgreSQL 15 refuses LIKE under a nondeterministic
  collation: PostgreSQL `LOWER(x COLLATE "und-x-icu")`, SQLite `ct_lower(x)`. Accents still count.

NULL order needs nothing here: sqlglot writes `NULLS FIRST` / `NULLS LAST` for PostgreSQL when it
translates T-SQL, and SQLite already sorts NULL lowest. Only nodes whose type is known to be text
are touched, so numbers, dates and nodes made by other rewrites are left as they are.
"""

from __future__ import annotations

import logging
import re

from sqlglot import exp
from sqlglot.errors import SqlglotError

from ddl import collation
from ddl.backends import Backend, backend_for
from ddl.errors import ValidationError
from queries.dialects import common, like

_log = logging.getLogger("customtables")

_TEXT = frozenset(
    {
        exp.DataType.Type.VARCHAR,
        exp.DataType.Type.NVARCHAR,
        exp.DataType.Type.CHAR,
        exp.DataType.Type.NCHAR,
        exp.DataType.Type.TEXT,
    }
)
_COMPARISONS = (exp.EQ, exp.NEQ, exp.LT, exp.LTE, exp.GT, exp.GTE)


def _is_text(node: exp.Expr | None) -> bool:
    if isinstance(node, common.TEXT_FUNCTIONS):
        return True
    return node is not None and node.type is not None and node.type.this in _TEXT


def _comparable(node: exp.Expr) -> bool:
    """A value that may meet a text operand: text, a parameter or NULL."""
    return _is_text(node) or isinstance(node, exp.Parameter | exp.Placeholder | exp.Null)


class _Collator:
    """The backend's spelling of each rewrite."""

    def __init__(self, backend: Backend, schema: str) -> None:
        self.backend = backend
        if backend.icu_collation:
            name: exp.Expr = exp.Dot(
                this=exp.to_identifier(schema, quoted=True),
                expression=exp.to_identifier(collation.COLLATION, quoted=True),
            )
        else:
            name = exp.to_identifier(collation.SQLITE_COLLATION)
        self.name = name

    def collate(self, node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.Collate):
            return node
        inner = node
        if self.backend.icu_collation and isinstance(node, exp.Column):
            # PostgreSQL coerces a VARCHAR(n) column to TEXT under the COLLATE when a function
            # takes it (`UPPER(c COLLATE x)`), which then no longer matches `GROUP BY c COLLATE
            # x`: collating the TEXT cast in both places keeps them the same expression.
            inner = exp.Cast(this=node, to=exp.DataType.build("TEXT"))
            inner.type = node.type
        collated = exp.Collate(this=inner, expression=self.name.copy())
        collated.type = node.type  # still text to the later steps
        return collated

    def wrap(self, node: exp.Expr) -> None:
        """Replace `node` in its tree by `node COLLATE …`."""
        if isinstance(node, exp.Collate) or isinstance(node.parent, exp.Collate):
            return
        node.replace(self.collate(node.copy()))

    def group(self, node: exp.Expr) -> None:
        """Replace a grouping item by what groups it as the collation does: on PostgreSQL the
        collated item; on SQLite its key (one Python call per row, where grouping under the
        collation would call Python for every comparison)."""
        if self.backend.icu_collation:
            self.wrap(node)
        elif not isinstance(node, exp.Collate):
            node.replace(self.sort_key(node.copy()))

    def sort_key(self, node: exp.Expr) -> exp.Expr:
        if self.backend.icu_collation:
            stripped = exp.Anonymous(
                this="TRANSLATE",
                expressions=[node, exp.Literal.string(collation.IGNORED), exp.Literal.string("")],
            )
            return self.collate(stripped)
        # SQLite gives a function the collation of a COLLATE among its arguments: the key
        # itself must compare as bytes.
        key = exp.Anonymous(this=collation.SORT_KEY, expressions=[node])
        return exp.Collate(this=key, expression=exp.to_identifier("BINARY"))

    def lower(self, node: exp.Expr) -> exp.Expr:
        if self.backend.icu_collation:
            inner = node.this if isinstance(node, exp.Collate) else node
            icu = exp.to_identifier(collation.ICU_DETERMINISTIC, quoted=True)
            return exp.Lower(this=exp.Collate(this=inner.copy(), expression=icu))
        return exp.Anonymous(this=collation.LOWER, expressions=[node.copy()])


# A query's own COLLATE clause (docs/decisions.md, "Collation"): SQL Server's common Latin1
# collations; the default family needs nothing, the others are written in the backend's terms.
_LATIN1 = r"(sql_latin1_general_cp1|latin1_general(_100)?)"
_DEFAULT_FAMILY = re.compile(_LATIN1 + r"_ci_as(_ks)?(_ws)?(_sc)?(_utf8)?|database_default")
_CASE_FAMILY = re.compile(_LATIN1 + r"_cs_as(_ks)?(_ws)?(_sc)?(_utf8)?")
_BINARY_FAMILY = re.compile(r"(sql_latin1_general_cp(1|437|850)|latin1_general(_100)?)_bin2?")
_EXPLICIT = {  # (the backend collates in ICU, kind) → its collation
    (True, "binary"): '"C"',
    (True, "case"): f'"{collation.ICU_DETERMINISTIC}"',
    (False, "binary"): "BINARY",
    (False, "case"): "BINARY",  # ORDER BY sorts by ct_sortkey_cs (below)
}
_USER_COLLATION = "ct_user_collation"


def collation_kind(name: str) -> str | None:
    """'default', 'case' (case-sensitive) or 'binary' for a collation SQL Server names; None
    for one we do not translate."""
    folded = name.lower()
    for kind, family in (("default", _DEFAULT_FAMILY), ("case", _CASE_FAMILY),
                         ("binary", _BINARY_FAMILY)):  # fmt: skip
        if family.fullmatch(folded):
            return kind
    return None


def user_collation(node: exp.Expr | None) -> str | None:
    """'binary' / 'case' for a COLLATE the query itself wrote (translated), else None."""
    if isinstance(node, exp.Collate) and node.meta:
        return node.meta.get(_USER_COLLATION)
    return None


def _user_collations(tree: exp.Expr, backend: Backend) -> None:
    """Each COLLATE of the query: the default family is dropped (the default collation then
    applies), a binary or case-sensitive one is spelled for the backend and left alone by the
    passes below; any other collation is refused, named as written."""
    for node in list(tree.find_all(exp.Collate)):
        name = node.expression.name
        kind = collation_kind(name)
        if kind is None:
            raise ValidationError(
                f"Collation {name} is not supported (use a Latin1_General _CI_AS, _CS_AS or "
                "_BIN collation)"
            )
        if kind == "default":
            node.replace(node.this)
            continue
        written = exp.Collate(
            this=node.this.copy(), expression=exp.var(_EXPLICIT[(backend.icu_collation, kind)])
        )
        written.meta[_USER_COLLATION] = kind
        written.type = node.this.type
        node.replace(written)


def apply(tree: exp.Expr, backend: str, schema: str) -> exp.Expr:
    """Rewrite `tree` for `backend` (one that translates T-SQL and collates text by sort key or
    in ICU); the root may change. A shape this rewrite did not foresee is a 400 naming no
    internals, never a 500."""
    chosen = backend_for(backend)
    if not chosen.translates_tsql or not (chosen.icu_collation or chosen.sortkey_collation):
        return tree
    _user_collations(tree, chosen)
    try:
        return _apply(tree, chosen, schema)
    except (SqlglotError, LookupError, AttributeError, TypeError, ValueError):
        _log.exception("collation rewrite failed")
        raise ValidationError(
            "The query cannot be translated for this database (text comparison)"
        ) from None


def _apply(tree: exp.Expr, backend: Backend, schema: str) -> exp.Expr:
    collator = _Collator(backend, schema)
    if backend.icu_collation:
        tree = _sort_outside(tree)
    _comparisons(tree, collator)
    _groupings(tree, collator)
    _aggregates(tree, collator)
    _deduplicated_outputs(tree, collator)
    _orderings(tree, collator)
    _likes(tree, collator)
    if backend.icu_collation:
        _substring_searches(tree)
    return tree


def _comparisons(tree: exp.Expr, collator: _Collator) -> None:
    for node in list(tree.find_all(*_COMPARISONS)):
        left, right = node.this, node.expression
        if user_collation(left) or user_collation(right):
            continue  # the query's own collation decides, as in T-SQL
        if _is_text(left) and _comparable(right):
            collator.wrap(left)
        elif _is_text(right) and _comparable(left):
            collator.wrap(right)
    for ranged in list(tree.find_all(exp.In, exp.Between)):
        subject = ranged.this
        if _is_text(subject):
            collator.wrap(subject)
    for case in list(tree.find_all(exp.Case)):
        subject = case.this
        if _is_text(subject):
            collator.wrap(subject)


def _groupings(tree: exp.Expr, collator: _Collator) -> None:
    """GROUP BY and PARTITION BY text items. PostgreSQL only accepts a SELECT item that is the
    grouped expression itself, so the same expression is collated in the SELECT list, HAVING
    and ORDER BY too; in the SELECT list it is then set back to the default collation, so the
    nondeterministic one does not leak into an outer query (where PostgreSQL would refuse
    REPLACE or CHARINDEX on it)."""
    for window in list(tree.find_all(exp.Window)):
        for item in list(window.args.get("partition_by") or []):
            if _is_text(item):
                collator.group(item)
    for select in list(tree.find_all(exp.Select)):
        group = select.args.get("group")
        if group is None:
            continue
        grouped = [item.copy() for item in group.expressions if _is_text(item)]
        for item in list(group.expressions):
            if _is_text(item):
                collator.group(item)
        if grouped and collator.backend.icu_collation:
            _collate_grouped_uses(select, grouped, collator)


def _collate_grouped_uses(
    select: exp.Select, grouped: list[exp.Expr], collator: _Collator
) -> None:
    for part in ("expressions", "having", "order"):
        value = select.args.get(part)
        roots = value if isinstance(value, list) else [value] if value is not None else []
        for root in roots:
            matches = [n for n in root.walk() if any(n == g for g in grouped)]
            for node in matches:
                if node.parent is None or isinstance(node.parent, exp.Collate):
                    continue
                if node.find_ancestor(exp.AggFunc) is not None:
                    continue  # aggregated, not grouped: any collation is allowed there
                wrapped = collator.collate(node.copy())
                node.replace(wrapped)
                if part == "expressions" and collator.backend.icu_collation:
                    _default_collation(wrapped)


def _default_collation(node: exp.Expr) -> None:
    """PostgreSQL: back to the database's collation, so a nondeterministic one does not flow
    on into REPLACE, CHARINDEX (which refuse it) or an outer query."""
    if isinstance(node.parent, exp.Collate) or (
        isinstance(node, exp.Collate) and node.expression.name == "default"
    ):
        return
    restored = exp.Collate(this=node.copy(), expression=exp.to_identifier("default", quoted=True))
    restored.type = node.type
    node.replace(restored)


def _aggregates(tree: exp.Expr, collator: _Collator) -> None:
    for node in list(tree.find_all(exp.Min, exp.Max)):
        if _is_text(node.this):
            collator.wrap(node.this)
            if collator.backend.icu_collation:
                _default_collation(node)
    for node in list(tree.find_all(exp.Count)):
        distinct = node.this
        if isinstance(distinct, exp.Distinct):
            for item in list(distinct.expressions):
                if _is_text(item):
                    collator.group(item)


def _projections(select: exp.Select, collator: _Collator) -> None:
    for projection in select.expressions:
        inner = projection.this if isinstance(projection, exp.Alias) else projection
        if _is_text(inner):
            collator.wrap(inner)


def _distinct_as_group_by(select: exp.Select, collator: _Collator) -> bool:
    """SQLite: `SELECT DISTINCT a, b` as `GROUP BY key(a), b`, which calls Python once per row
    instead of once per comparison; not done when the SELECT groups or aggregates already."""
    projections = [p.unalias() for p in select.expressions]
    if select.args.get("group") is not None or any(
        p.find(exp.AggFunc, exp.Window, exp.Star) for p in projections
    ):
        return False
    keys = [
        collator.sort_key(p.copy()) if _is_text(p) else p.copy()
        for p in projections
        if not isinstance(p, exp.Literal)
    ]
    select.set("distinct", None)
    select.set("group", exp.Group(expressions=keys))
    return True


def _branches(node: exp.Expr) -> list[exp.Select]:
    while isinstance(node, exp.Subquery):
        node = node.this
    if isinstance(node, exp.SetOperation):
        return [*_branches(node.this), *_branches(node.expression)]
    return [node] if isinstance(node, exp.Select) else []


def _deduplicated_outputs(tree: exp.Expr, collator: _Collator) -> None:
    """DISTINCT and UNION compare whole rows: their text columns carry the collation, which
    then also orders a set operation's ORDER BY (it may only name output columns)."""
    for select in list(tree.find_all(exp.Select)):
        if select.args.get("distinct") is None:
            continue
        if not collator.backend.sortkey_collation or not _distinct_as_group_by(select, collator):
            _projections(select, collator)
    for operation in list(tree.find_all(exp.SetOperation)):
        deduplicates = operation.args.get("distinct") is not False
        if deduplicates or operation.args.get("order") is not None:
            for select in _branches(operation):
                _projections(select, collator)


def _projection_for(select: exp.Select, column: exp.Expr) -> exp.Expr | None:
    """The SELECT item an ORDER BY output name refers to (sqlglot qualifies `ORDER BY 1` and
    `ORDER BY alias` into output names)."""
    if not isinstance(column, exp.Column) or column.table:
        return None
    for projection in select.expressions:
        if isinstance(projection, exp.Alias) and projection.alias == column.name:
            aliased: exp.Expr = projection.this
            return aliased
    return None


def _orderings(tree: exp.Expr, collator: _Collator) -> None:
    for ordered in list(tree.find_all(exp.Ordered)):
        subject = ordered.this
        kind = user_collation(subject)
        owner = ordered.parent.parent if isinstance(ordered.parent, exp.Order) else None
        if kind is not None:
            if kind == "case" and collator.backend.sortkey_collation:
                ordered.set("this", exp.Anonymous(this="ct_sortkey_cs", expressions=[subject.this]))
            elif isinstance(owner, exp.Select) and owner.args.get("distinct") is None:
                # PostgreSQL takes an output name in ORDER BY only bare: `name COLLATE c`
                # must name the expression itself
                target = _projection_for(owner, subject.this)
                if target is not None:
                    subject.set("this", target.copy())
            continue
        if isinstance(owner, exp.SetOperation):
            continue  # output names only: their collation orders them (above)
        target = _projection_for(owner, subject) if isinstance(owner, exp.Select) else None
        if not _is_text(subject if target is None else target):
            continue
        if target is not None and owner is not None:
            if collator.backend.icu_collation and owner.args.get("distinct") is not None:
                continue  # PostgreSQL: a DISTINCT's ORDER BY may only name its outputs
            subject = target
        key = collator.sort_key(subject.copy())
        ordered.set("this", key)
        if isinstance(owner, exp.Select) and collator.backend.icu_collation:
            _group_by_key(owner, key)


def _group_by_key(select: exp.Select, key: exp.Expr) -> None:
    """PostgreSQL does not see `translate(x COLLATE c)` as a function of the grouped
    `x COLLATE c`; grouping by the key as well changes no group (it is a function of x that
    the collation cannot tell apart) and lets ORDER BY use it."""
    group = select.args.get("group")
    if group is not None and not key.find(exp.AggFunc, exp.Window):
        group.append("expressions", key.copy())


def _likes(tree: exp.Expr, collator: _Collator) -> None:
    """LIKE as T-SQL reads it (queries/dialects/like.py): case-insensitive unless the subject
    carries a query's own binary or _CS_ collation; accents still count."""
    for node in list(tree.find_all(exp.Like)):
        subject, pattern = node.this, node.expression
        escape = node.parent.expression if isinstance(node.parent, exp.Escape) else None
        case_sensitive = user_collation(subject) in ("binary", "case")
        if isinstance(subject, exp.Collate) and case_sensitive:
            subject = subject.this  # the comparison below is already case-sensitive
            node.set("this", subject.copy())
        plain = like.is_plain(pattern, escape.name if escape is not None else None,
                              collator.backend)  # fmt: skip
        if plain and case_sensitive and not collator.backend.python_functions:
            continue  # PostgreSQL's LIKE is case-sensitive
        if plain and not case_sensitive:
            if _is_text(subject) or isinstance(subject, exp.Collate):
                node.set("this", collator.lower(subject))
                node.set("expression", collator.lower(pattern))
            continue
        like.translate(node, collator.backend, None if case_sensitive else collator.lower)


_SORTED = "_ct_sorted"


def _sort_outside(root: exp.Expr) -> exp.Expr:
    """PostgreSQL lets the ORDER BY of a DISTINCT or UNION name only output columns, so the
    collation's key (hyphen and apostrophe ignored) cannot be written there: the query is moved
    into a subquery and sorted (and limited) outside it, where any expression may be used."""
    order = root.args.get("order")
    distinct = isinstance(root, exp.SetOperation) or root.args.get("distinct") is not None
    if order is None or not distinct:
        return root
    if not all(isinstance(o.this, exp.Column) and not o.this.table for o in order.expressions):
        return root  # not only output names: left to PostgreSQL to judge, as written
    branches = _branches(root)
    if not branches:
        return root
    outputs = {p.alias_or_name: p for p in branches[0].expressions}
    inner = root.copy()
    outer = exp.select("*").from_(
        exp.Subquery(this=inner, alias=exp.TableAlias(this=exp.to_identifier(_SORTED, quoted=True)))
    )
    for part in ("order", "limit", "offset"):
        value = inner.args.get(part)
        if value is not None:
            inner.set(part, None)
            outer.set(part, value)
    for ordered in outer.args["order"].expressions:
        subject = ordered.this
        if isinstance(subject, exp.Column) and not subject.table:
            projection = outputs.get(subject.name)
            subject.set("table", exp.to_identifier(_SORTED, quoted=True))
            if projection is not None and _is_text(projection.unalias()):
                subject.type = exp.DataType.build("VARCHAR")
    return outer


def _substring_searches(tree: exp.Expr) -> None:
    """PostgreSQL refuses REPLACE and CHARINDEX (STRPOS) on text whose collation is
    nondeterministic, which a column of a DISTINCT or UNION subquery has: they run in the
    database's collation, as the default collation makes them on SQL Server too (case-sensitive
    for REPLACE's search is SQL Server's CI behaviour's one difference we keep)."""
    for node in list(tree.find_all(exp.Replace, exp.StrPosition)):
        for argument in list(node.iter_expressions()):
            if _is_text(argument) and not isinstance(
                argument, exp.Literal | exp.Parameter | exp.Placeholder
            ):
                key = str(argument.arg_key)
                _default_collation(argument)
                restored = node.args[key]
                if isinstance(restored, exp.Collate):  # POSITION(a IN b) takes no bare COLLATE
                    restored.replace(exp.Paren(this=restored.copy()))
