"""What the saved-query check (queries/check.py) allows because our dialects translate it."""

from __future__ import annotations

from sqlglot import exp

from queries.dialects.reader import TsqlDateName, TsqlFormat

FUNCTIONS: frozenset[type[exp.Expr]] = frozenset(
    {
        TsqlFormat,
        TsqlDateName,
        exp.Uuid,
        exp.LastDay,
        exp.Pivot,
        exp.National,
        exp.DateFromParts,
    }
)
# Functions sqlglot knows only by name (exp.Anonymous), translated by our dialects.
ANONYMOUS: frozenset[str] = frozenset(
    {"CHOOSE", "PATINDEX", "GETUTCDATE", "SYSUTCDATETIME", "STDEVP", "VAR", "VARP", "STR"}
)
