"""PIVOT and UNPIVOT (placeholder until written)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlglot import exp

from ddl.errors import ValidationError


def before_qualify(tree: exp.Expression, tables: Mapping[str, Any]) -> exp.Expression:
    if tree.find(exp.Pivot) is not None:
        raise ValidationError("PIVOT and UNPIVOT are not supported yet")
    return tree
