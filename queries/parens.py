"""Parentheses that change nothing, removed before the SQL goes to the database.

SQLite 3.40's parser has a fixed stack of 100 (`parser stack overflow`), so `SELECT ((…(1)…))`
nested 200 deep, valid T-SQL and accepted by the checker, could not run. Only parentheses whose
removal cannot change the meaning go: around a single value, around parentheses, where the
parent is not an operator (a select item, WHERE, a function argument), and around the left
operand of a left-associative operator of the same precedence (`(a + b) + c`).
"""

from __future__ import annotations

from sqlglot import exp

# Nodes that render as one closed unit on every backend (some functions render as operators,
# such as JSON extraction on PostgreSQL, so functions in general are not on this list).
_ATOMS = (exp.Literal, exp.Column, exp.Null, exp.Boolean, exp.Paren, exp.Placeholder,
          exp.Parameter, exp.Anonymous, exp.Cast, exp.Case, exp.Coalesce)  # fmt: skip
# Parents whose parts are separated by keywords or commas, never bound by precedence.
_CLOSED_PARENTS = (exp.Select, exp.Where, exp.Having, exp.Alias, exp.Anonymous, exp.Cast,
                   exp.Case, exp.If, exp.Coalesce, exp.Ordered, exp.Group)  # fmt: skip
_GROUPS: tuple[tuple[type[exp.Expr], ...], ...] = (
    (exp.Add, exp.Sub, exp.DPipe),
    (exp.Mul, exp.Div, exp.Mod, exp.IntDiv),
    (exp.And,),
    (exp.Or,),
)


def _same_group(parent: exp.Expr, child: exp.Expr) -> bool:
    return any(isinstance(parent, group) and isinstance(child, group) for group in _GROUPS)


def _redundant(paren: exp.Paren) -> bool:
    inner, parent = paren.this, paren.parent
    if isinstance(inner, _ATOMS) or parent is None or isinstance(parent, _CLOSED_PARENTS):
        return True
    return isinstance(parent, exp.Binary) and paren.arg_key == "this" and _same_group(parent, inner)


def strip(tree: exp.Expr) -> exp.Expr:
    """`tree` without redundant parentheses (changed in place; innermost first)."""
    for paren in reversed(list(tree.find_all(exp.Paren))):
        if _redundant(paren):
            paren.replace(paren.this)
    return tree
