"""T-SQL JSON functions over v1 tables' `data`, made to run on each backend with T-SQL's
(lax) meaning: `JSON_VALUE(x, '$.a')` is the scalar at the path as text, NULL when the path is
missing or holds an object or array; `JSON_QUERY(x, '$.a')` is the object or array there as
JSON text, NULL for a scalar. Paths name keys and array positions only (queries/check.py).
A JSON_VALUE compared with a number literal is compared as a number, as T-SQL converts it.

sqlglot alone turns JSON_VALUE into `data ->> '$.a.b'` for SQLite and into
`JSON_EXTRACT_PATH_TEXT(data, 'a', 'b')` for PostgreSQL, which exists only for `json`, not for
the `jsonb` that v1 tables store, and neither keeps the NULL for objects and arrays.

SQLite: `json_type` / `json_extract`; a number stays a number there, so `JSON_VALUE(...) > 100`
compares as T-SQL's implicit conversion would, and where the outermost SELECT returns a
JSON_VALUE itself it is cast to text, as T-SQL returns it. PostgreSQL: `JSONB_EXTRACT_PATH*` on
the jsonb column (other text is cast to jsonb first), and a v1 `data` column read as such is
cast to text, so a saved query returns JSON text on every backend.
"""

from __future__ import annotations

from collections.abc import Collection

from sqlglot import exp

_JSON_FUNCTIONS = (exp.JSONExtractScalar, exp.JSONExtract)
_CONTAINERS = ("object", "array")


def _segments(path: exp.JSONPath) -> list[exp.Expr] | None:
    parts: list[exp.Expr] = []
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


def _call(name: str, *args: exp.Expr) -> exp.Expr:
    return exp.Anonymous(this=name, expressions=list(args))


def _strings(*values: str) -> list[exp.Expr]:
    return [exp.Literal.string(value) for value in values]


def _is_value(node: exp.Expr) -> bool:
    return isinstance(node, exp.JSONExtractScalar)


def annotate(tree: exp.Expr) -> None:
    """JSON_VALUE and JSON_QUERY are NVARCHAR(MAX) (sqlglot leaves them UNKNOWN), also as the
    alias of a selected column, so a result column gets DataTypeId 7."""
    text = exp.DataType.build("NVARCHAR(MAX)", dialect="tsql")
    for node in tree.find_all(*_JSON_FUNCTIONS):
        node.type = text
        if isinstance(node.parent, exp.Alias):
            node.parent.type = text


def _outer_selects(root: exp.Expr) -> list[exp.Select]:
    while isinstance(root, exp.Subquery) and not root.alias:
        root = root.this
    if isinstance(root, exp.SetOperation):
        return [*_outer_selects(root.this), *_outer_selects(root.expression)]
    return [root] if isinstance(root, exp.Select) else []


def _is_number(node: exp.Expr) -> bool:
    if isinstance(node, exp.Neg):
        node = node.this
    return isinstance(node, exp.Literal) and not node.is_string


def _compared_with_numbers(tree: exp.Expr) -> set[int]:
    """JSON_VALUEs compared with a number literal: T-SQL converts the text to a number there."""
    found: set[int] = set()
    for node in tree.find_all(exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE):
        for side, other in ((node.this, node.expression), (node.expression, node.this)):
            if _is_value(side) and _is_number(other):
                found.add(id(side))
    for ranged in tree.find_all(exp.In, exp.Between):
        others = ranged.expressions or [ranged.args.get("low"), ranged.args.get("high")]
        if _is_value(ranged.this) and all(o is not None and _is_number(o) for o in others):
            found.add(id(ranged.this))
    return found


def for_sqlite(tree: exp.Expr) -> None:
    """JSON_VALUE / JSON_QUERY with SQLite's json_type and json_extract (in place)."""
    returned = {
        id(projection.unalias())
        for select in _outer_selects(tree)
        for projection in select.selects
        if _is_value(projection.unalias())
    }
    for node in list(tree.find_all(*_JSON_FUNCTIONS)):
        path = node.expression
        if not isinstance(path, exp.JSONPath):
            continue
        kind = _call("JSON_TYPE", node.this.copy(), path.copy())
        found = _call("JSON_EXTRACT", node.this.copy(), path.copy())
        if _is_value(node):
            replacement: exp.Expr = exp.Case(
                this=kind,
                ifs=[
                    *(exp.If(this=t, true=exp.Null()) for t in _strings(*_CONTAINERS)),
                    *(exp.If(this=t, true=t.copy()) for t in _strings("true", "false")),
                ],
                default=found,
            )
            if id(node) in returned:
                replacement = exp.cast(replacement, exp.DataType.build("TEXT"))
        else:
            test = exp.In(this=kind, expressions=_strings(*_CONTAINERS))
            replacement = exp.Case(ifs=[exp.If(this=test, true=found)])
        node.replace(replacement)


def for_postgresql(
    tree: exp.Expr, json_columns: Collection[int] | None = None
) -> exp.Expr:
    """JSON_VALUE / JSON_QUERY for jsonb. `json_columns` are the ids of the column nodes that
    are jsonb; None treats every first argument as jsonb already (the shape of a v1 `data`)."""

    def is_jsonb(node: exp.Expr) -> bool:
        return json_columns is None or id(node) in json_columns

    numeric = _compared_with_numbers(tree)
    if json_columns:
        for column in list(tree.find_all(exp.Column)):
            parent = column.parent
            inside = isinstance(parent, _JSON_FUNCTIONS) and column.arg_key == "this"
            if id(column) in json_columns and not inside:
                column.replace(exp.cast(column.copy(), exp.DataType.build("TEXT")))

    for node in list(tree.find_all(*_JSON_FUNCTIONS)):
        path = node.expression
        parts = _segments(path) if isinstance(path, exp.JSONPath) else None
        if parts is None:
            continue
        document = node.this.copy()
        if not is_jsonb(node.this):
            document = exp.cast(document, exp.DataType.build("JSONB", dialect="postgres"))
        found = _call("JSONB_EXTRACT_PATH", document.copy(), *parts) if parts else document
        kind = _call("JSONB_TYPEOF", found.copy())
        if _is_value(node):
            if parts:
                text: exp.Expr = _call("JSONB_EXTRACT_PATH_TEXT", document, *parts)
            else:
                text = exp.JSONBExtractScalar(this=document, expression=exp.Literal.string("{}"))
            replacement: exp.Expr = exp.Case(
                this=kind,
                ifs=[exp.If(this=t, true=exp.Null()) for t in _strings(*_CONTAINERS)],
                default=text,
            )
            if id(node) in numeric:
                replacement = exp.cast(replacement, exp.DataType.build("NUMERIC"))
        else:
            test = exp.In(this=kind, expressions=_strings(*_CONTAINERS))
            as_text = exp.cast(found, exp.DataType.build("TEXT"))
            replacement = exp.Case(ifs=[exp.If(this=test, true=as_text)])
        if node is tree:
            return replacement
        node.replace(replacement)
    return tree
