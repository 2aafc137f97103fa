"""T-SQL JSON functions over v1 tables' `data`, made to run on each backend.

sqlglot turns `JSON_VALUE(data, '$.a.b')` into `data ->> '$.a.b'` for SQLite (fine there) and
into `JSON_EXTRACT_PATH_TEXT(data, 'a', 'b')` for PostgreSQL, which exists only for `json`,
not for the `jsonb` that v1 tables store. `for_postgresql` rewrites those calls to
`JSONB_EXTRACT_PATH_TEXT(data, 'a', 'b')`; the saved-query planner applies it to a parsed tree
before rendering for PostgreSQL.
"""

from __future__ import annotations

from sqlglot import exp


def _segments(path: exp.JSONPath) -> list[exp.Expression] | None:
    parts: list[exp.Expression] = []
    for segment in path.expressions:
        if isinstance(segment, exp.JSONPathRoot):
            continue
        if isinstance(segment, exp.JSONPathKey) and isinstance(segment.this, str):
            parts.append(exp.Literal.string(segment.this))
        elif isinstance(segment, exp.JSONPathSubscript) and isinstance(segment.this, int):
            parts.append(exp.Literal.string(str(segment.this)))
        else:  # wildcards, slices, filters: leave the call as sqlglot wrote it
            return None
    return parts


def for_postgresql(tree: exp.Expression) -> exp.Expression:
    """Rewrite JSON_VALUE-style extractions for jsonb (`JSONB_EXTRACT_PATH_TEXT(data, 'a')`)."""

    def rewrite(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.JSONExtractScalar) and isinstance(node.expression, exp.JSONPath):
            parts = _segments(node.expression)
            if parts is not None:
                return exp.Anonymous(
                    this="JSONB_EXTRACT_PATH_TEXT", expressions=[node.this.copy(), *parts]
                )
        return node

    return tree.transform(rewrite)
