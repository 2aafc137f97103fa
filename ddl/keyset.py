"""Keyset conditions: "rows after (or at or before) this row" in a total order of several
columns, each ascending or descending, with NULL the lowest value (SPEC §5.1).

Why not a row-value comparison `(a, b) > (x, y)`: it needs one direction for every column and
no NULLs. The expansion here, `a after x OR (a = x AND b after y) OR …`, handles both; when the
order is the key alone it is just `key > :k`, an index range scan at any depth.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa


@dataclass(frozen=True, slots=True)
class Term:
    """One order column: what is ordered by, its direction, and the boundary row's value for it
    (`bound`: that value as a bind, in the same sort form; None when the value is NULL)."""

    value: Any
    descending: bool
    bound: Any | None
    nullable: bool = True  # False for the key: no IS NULL alternatives, plain index ranges


def _equal(term: Term) -> Any:
    return term.value.is_(None) if term.bound is None else term.value == term.bound


def _later(term: Term) -> Any:
    """Rows whose value for this column comes strictly after the boundary's."""
    if not term.nullable and term.bound is not None:
        return term.value < term.bound if term.descending else term.value > term.bound
    if term.bound is None:  # NULL is first ascending, last descending
        return sa.false() if term.descending else term.value.is_not(None)
    if term.descending:
        return sa.or_(term.value < term.bound, term.value.is_(None))
    return term.value > term.bound


def _earlier(term: Term) -> Any:
    """Rows whose value for this column comes strictly before the boundary's."""
    if not term.nullable and term.bound is not None:
        return term.value > term.bound if term.descending else term.value < term.bound
    if term.bound is None:
        return term.value.is_not(None) if term.descending else sa.false()
    if term.descending:
        return term.value > term.bound
    return sa.or_(term.value < term.bound, term.value.is_(None))


def _lexicographic(terms: Sequence[Term], strictly: Any) -> list[Any]:
    """One alternative per column: every earlier column equal, this one strictly beyond."""
    alternatives = []
    for index, term in enumerate(terms):
        prefix = [_equal(before) for before in terms[:index]]
        alternatives.append(sa.and_(*prefix, strictly(term)))
    return alternatives


def after(terms: Sequence[Term]) -> Any:
    """Rows strictly after the boundary row (the next page starts here)."""
    return sa.or_(*_lexicographic(terms, _later))


def _earlier_or_equal(term: Term) -> Any:
    if not term.nullable and term.bound is not None:
        return term.value >= term.bound if term.descending else term.value <= term.bound
    return sa.or_(_earlier(term), _equal(term))


def at_or_before(terms: Sequence[Term]) -> Any:
    """Rows up to and including the boundary row (the current page ends there). The last term
    is unique (the key), so "all equal" is the boundary row itself; for the key alone this is
    `key <= :k`, which with the cursor's `key > :k0` is one index range."""
    *leading, last = terms
    alternatives = _lexicographic(leading, _earlier)
    prefix = [_equal(term) for term in leading]
    return sa.or_(*alternatives, sa.and_(*prefix, _earlier_or_equal(last)))
