"""A checked query made runnable on one backend, without touching the database.

The namespace and unqualified names become the caller's tenant schema; table and column names
are resolved case-insensitively against the catalog and quoted as defined; `@name` parameters
become bind parameters; T-SQL habits the backend lacks are fixed (a Boolean compared with 1 on
PostgreSQL, Money kept as exact text on SQLite compared as a number, recursive CTEs); a row
limit is pushed into the query; and the result columns get their display names and type ids.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlglot import exp
from sqlglot.errors import OptimizeError, SqlglotError
from sqlglot.optimizer.annotate_types import annotate_types
from sqlglot.optimizer.qualify import qualify
from sqlglot.optimizer.scope import traverse_scope
from sqlglot.schema import MappingSchema

from ddl.backends import POSTGRESQL, SQLITE, backend_for
from ddl.catalog import TableDef
from ddl.errors import ValidationError
from ddl.names import fold
from ddl.types import COLUMN_TYPES, FIXED_LENGTHS, TypeId
from ddl.v1 import sqljson
from queries import collate, dialects, mssql, parens
from queries.check import NAMESPACES, Checked
from queries.dialects import decimals, forms
from queries.v1tables import is_json_column

NAMESPACE = "customtables"

# The planner's types read back as type ids (each record lists its own); VARCHAR and NVARCHAR
# go by their length instead (_type_id below).
_TYPE_IDS = {
    exp.DataType.Type[kind]: record.id
    for record in COLUMN_TYPES.values()
    for kind in record.planner_kinds
}
_STRING_LENGTHS = {size: type_id for type_id, size in FIXED_LENGTHS.items()}
_UNRESOLVED = re.compile(r"Column '([^']*)' could not be resolved")


@dataclass(frozen=True, slots=True)
class OutputColumn:
    name: str
    type_id: TypeId | None  # None: known only from the values
    scale: int | None = None  # a DECIMAL expression's scale (shown at it); None: the type's own


@dataclass(frozen=True, slots=True)
class Plan:
    """The SQL text for one backend and schema, and what is needed to bind and shape it."""

    sql: str
    binds: Mapping[str, str]  # folded parameter name → bind name in `sql`
    columns: tuple[OutputColumn, ...]
    tables: tuple[TableDef, ...]  # every custom table the query reads
    limited: bool  # the row limit is inside the SQL
    positions: tuple[str, ...] = ()  # bind names in the order of `?` markers (SQL Server)
    tree: exp.Expr | None = None  # the translated tree `sql` was rendered from (read-only)


def _sqlglot_type(type_id: TypeId, length: int | None) -> str:
    return COLUMN_TYPES[type_id].planner_sql(length)


def _schema(tables: Mapping[str, TableDef], dialect: str) -> MappingSchema:
    if not tables:  # SELECT 1 AS x: sqlglot refuses a schema with an empty namespace
        return MappingSchema(dialect=dialect)
    mapping: dict[str, dict[str, dict[str, str]]] = {NAMESPACE: {}}  # NAMESPACE.table.column
    for table in tables.values():
        columns = {fold(table.key_column): _sqlglot_type(table.key_type, table.key_length)}
        for column in table.columns:
            columns[fold(column.ColumnName)] = _sqlglot_type(column.type_id, column.ColumnLength)
        mapping[NAMESPACE][fold(table.name)] = columns
    # A query that reads no table (SELECT 1 AS x) has an empty schema, which sqlglot refuses
    # in the nested form ("Table must have at least one column").
    return MappingSchema(dict(mapping) if tables else None, dialect=dialect)


def _physical_type(table: TableDef, column: str) -> tuple[str, TypeId] | None:
    """(name as defined, type) of a column of `table`, the key included, or None."""
    if fold(column) == fold(table.key_column):
        return table.key_column, table.key_type
    found = table.column(column)
    return (found.ColumnName, found.type_id) if found else None


def _type_id(node: exp.Expr) -> TypeId | None:
    data_type = node.type
    if data_type is None:
        return None
    kind = data_type.this
    if kind in (exp.DataType.Type.VARCHAR, exp.DataType.Type.NVARCHAR):
        params = data_type.expressions
        if not params:
            return TypeId.VARCHARMAX
        size = params[0].this
        if isinstance(size, exp.Literal) and size.is_int:
            return _STRING_LENGTHS.get(int(size.this), TypeId.VARCHAROTHER)
        return TypeId.VARCHARMAX
    return _TYPE_IDS.get(kind)


def _unwrap(tree: exp.Expr) -> exp.Expr:
    while isinstance(tree, exp.Subquery) and not tree.alias:
        tree = tree.this
    return tree


def _is_number(node: exp.Expr, *values: str) -> bool:
    return isinstance(node, exp.Literal) and not node.is_string and node.this in values


def _qualify(
    tree: exp.Expr, schema: MappingSchema, dialect: str, spelled: dict[str, str]
) -> exp.Expr:
    try:
        return qualify(
            tree,
            dialect=dialect,
            db=NAMESPACE,
            schema=schema,
            validate_qualify_columns=True,
            quote_identifiers=True,
            identify=True,
        )
    except OptimizeError as error:
        text = str(error)
        missing = _UNRESOLVED.search(text)
        if missing:
            name = spelled.get(fold(missing.group(1)), missing.group(1))
            raise ValidationError(
                f"Column '{name}' does not exist in the tables this query reads"
            ) from None
        raise ValidationError(f"The query cannot be resolved: {text}") from None
    except SqlglotError as error:
        raise ValidationError(f"The query cannot be resolved: {error}") from None


@dataclass(slots=True)
class _Resolved:
    tables: dict[str, TableDef]
    column_types: dict[int, TypeId]  # id(column node) → type of the physical column
    json_columns: set[int]  # id(column node) of a v1 table's `data` (JSONB on PostgreSQL)


def _resolve(
    tree: exp.Expr,
    tables: Mapping[str, TableDef],
    schema_name: str,
    spelled: Mapping[str, str],
) -> _Resolved:
    """Physical tables → the tenant schema, columns → their defined spelling, both quoted."""
    resolved = _Resolved({}, {}, set())
    scopes = list(traverse_scope(tree))
    renames: list[tuple[exp.Expr, str, exp.Identifier]] = []
    for scope in scopes:
        physical: dict[str, TableDef] = {}
        for alias, source in scope.sources.items():
            if not isinstance(source, exp.Table):
                continue
            if source.args.get("catalog") is not None or fold(source.text("db")) != NAMESPACE:
                name = spelled.get(source.name, source.name)
                raise ValidationError(f"Table '{name}' is outside the CustomTable namespace")
            definition = tables.get(fold(source.name))
            if definition is None:
                name = spelled.get(source.name, source.name)
                raise ValidationError(
                    f"Custom table '{name}' does not exist in the CustomTable namespace"
                )
            physical[alias] = definition
            resolved.tables[fold(definition.name)] = definition
            renames.append((source, "this", exp.to_identifier(definition.name, quoted=True)))
            renames.append((source, "db", exp.to_identifier(schema_name, quoted=True)))
        for column in scope.columns:
            definition = physical.get(column.table)
            if definition is None:
                continue
            found = _physical_type(definition, column.name)
            if found is None:
                name = spelled.get(column.name, column.name)
                raise ValidationError(
                    f"Column '{name}' does not exist in custom table '{definition.name}'"
                )
            name, type_id = found
            renames.append((column, "this", exp.to_identifier(name, quoted=True)))
            resolved.column_types[id(column)] = type_id
            if is_json_column(definition, name):
                resolved.json_columns.add(id(column))
    for node, arg, identifier in renames:
        node.set(arg, identifier)
    return resolved


def _fix_booleans(tree: exp.Expr) -> None:
    """`IsActive = 1` as SQL Server's bit allows: compare a Boolean with TRUE/FALSE instead."""
    boolean = exp.DataType.Type.BOOLEAN
    for node in list(tree.find_all(exp.EQ, exp.NEQ)):
        for side, other in ((node.this, node.expression), (node.expression, node.this)):
            if side.type is not None and side.type.this == boolean and _is_number(other, "0", "1"):
                other.replace(exp.Boolean(this=other.this == "1"))
    for listed in list(tree.find_all(exp.In)):
        subject = listed.this
        if subject.type is not None and subject.type.this == boolean:
            for item in listed.expressions:
                if _is_number(item, "0", "1"):
                    item.replace(exp.Boolean(this=item.this == "1"))


_TEXT_TYPES = frozenset(
    {
        exp.DataType.Type.VARCHAR,
        exp.DataType.Type.NVARCHAR,
        exp.DataType.Type.CHAR,
        exp.DataType.Type.NCHAR,
        exp.DataType.Type.TEXT,
    }
)


def _is_text(node: exp.Expr) -> bool:
    return node.type is not None and node.type.this in _TEXT_TYPES


def _is_numeric(node: exp.Expr) -> bool:
    return node.type is not None and node.type.this in exp.DataType.NUMERIC_TYPES


def _concatenations(tree: exp.Expr) -> None:
    """T-SQL joins strings with +; the other backends with ||. A string added to a number is
    addition, not joining: the number's type has the higher precedence, so SQL Server converts
    the string to it ('1' + 1 = 2, and 'a' + 1 fails as the conversion does)."""
    for node in list(tree.find_all(exp.Add)):
        left, right = node.this, node.expression
        for text, number in ((left, right), (right, left)):
            if _is_text(text) and _is_numeric(number):
                converted = exp.Cast(this=text.copy(), to=number.type.copy())
                converted.type = number.type.copy()
                text.replace(converted)
                break
        else:
            if _is_text(left) or _is_text(right):
                node.replace(exp.DPipe(this=left, expression=right))


_PADDED = (exp.EQ, exp.NEQ, exp.LT, exp.LTE, exp.GT, exp.GTE)


def _strip_trailing_blanks(node: exp.Expr) -> None:
    if isinstance(node, exp.Literal) and node.is_string and node.this.endswith(" "):
        stripped = exp.Literal.string(node.this.rstrip(" "))
        stripped.type = node.type
        node.replace(stripped)


def _padded_literals(tree: exp.Expr) -> None:
    """SQL Server compares text as if the shorter side were padded with blanks ('abc' =
    'abc   '), and LIKE ignores the trailing blanks of the text it matches (not the pattern's):
    a string literal there loses its trailing blanks. (A stored value's are not cut: docs
    decisions, "Trailing blanks".)"""
    for node in list(tree.find_all(*_PADDED)):
        left, right = node.this, node.expression
        if _is_text(left) or _is_text(right):
            _strip_trailing_blanks(left)
            _strip_trailing_blanks(right)
    for listed in list(tree.find_all(exp.In)):
        if _is_text(listed.this):
            for item in [listed.this, *listed.expressions]:
                _strip_trailing_blanks(item)
    for like in list(tree.find_all(exp.Like)):
        _strip_trailing_blanks(like.this)


def _date_results(tree: exp.Expr) -> None:
    """DATEADD over a number (`DATEADD(month, DATEDIFF(month, 0, d), 0)`, 0 being 1900-01-01)
    answers a datetime in SQL Server; the planner leaves its type unknown, and the answer would
    show SQLite's text instead of a date."""
    for node in tree.find_all(exp.DateAdd):
        if node.type is None or node.type.this == exp.DataType.Type.UNKNOWN:
            node.type = exp.DataType.build("DATETIME")
            if isinstance(node.parent, exp.Alias):
                node.parent.type = node.type


def _uuid_literals(tree: exp.Expr, resolved: _Resolved) -> None:
    """SQLite keeps UniqueIdentifier as lower-case text: a literal compared with one is read as
    SQL Server and PostgreSQL read it (any case, braces optional)."""

    def fix(literal: exp.Expr) -> None:
        if isinstance(literal, exp.Literal) and literal.is_string:
            text = literal.this.strip()
            if text.startswith("{") and text.endswith("}"):
                text = text[1:-1]
            literal.replace(exp.Literal.string(text.lower()))

    def is_uuid(node: exp.Expr) -> bool:
        return resolved.column_types.get(id(node)) is TypeId.UNIQUEIDENTIFIER

    for node in list(tree.find_all(exp.EQ, exp.NEQ, exp.In)):
        if isinstance(node, exp.In):
            if is_uuid(node.this):
                for item in node.expressions:
                    fix(item)
        elif is_uuid(node.this):
            fix(node.expression)
        elif is_uuid(node.expression):
            fix(node.this)


def _outer_selects(root: exp.Expr) -> list[exp.Select]:
    if isinstance(root, exp.SetOperation):
        return [*_outer_selects(_unwrap(root.this)), *_outer_selects(_unwrap(root.expression))]
    return [root] if isinstance(root, exp.Select) else []


def _money_as_numbers(root: exp.Expr, resolved: _Resolved) -> None:
    """SQLite keeps Money as exact text: compute and compare it as a number everywhere, except
    where the outermost SELECT returns the column itself (the exact text is returned then)."""
    outer = {id(select) for select in _outer_selects(root)}
    bare: dict[str, exp.Expr] = {}
    for column in list(root.find_all(exp.Column)):
        if resolved.column_types.get(id(column)) is not TypeId.MONEY:
            continue
        parent = column.parent
        if isinstance(parent, exp.Alias) and id(parent.parent) in outer:
            bare[fold(parent.alias)] = column
            continue
        if isinstance(parent, exp.Concat | exp.ConcatWs):
            continue  # the stored text is DECIMAL(19,4)'s own ('120.5000'), as CONCAT writes it
        if isinstance(parent, exp.Cast | exp.Convert):
            target = parent.to if isinstance(parent, exp.Cast) else parent.this
            if isinstance(target, exp.DataType) and target.this in _TEXT_TYPES:
                continue  # the stored text is already the exact DECIMAL(19,4) text: '120.5000'
        column.replace(exp.cast(column.copy(), exp.DataType.build("REAL")))
    order = root.args.get("order")
    if order is None or not bare:
        return
    for column in list(order.find_all(exp.Column)):
        target = bare.get(fold(column.name))
        if not column.table and target is not None:
            column.replace(exp.cast(target.copy(), exp.DataType.build("REAL")))


def _mark_recursive(tree: exp.Expr) -> None:
    for with_ in tree.find_all(exp.With):
        for cte in with_.expressions:
            name = fold(cte.alias)
            references = cte.this.find_all(exp.Table)
            if any(not t.text("db") and fold(t.name) == name for t in references):
                with_.set("recursive", True)


def _limit(root: exp.Expr, max_rows: int) -> bool:
    """Push `max_rows + 1` into the query so the database stops early; False if it cannot."""
    wanted = max_rows + 1
    current = root.args.get("limit")
    if current is None:
        root.set("limit", exp.Limit(expression=exp.Literal.number(wanted)))
        return True
    count = current.args.get("count") if isinstance(current, exp.Fetch) else current.expression
    options = current.args.get("limit_options")
    if options is not None and (options.args.get("percent") or options.args.get("with_ties")):
        return False
    if isinstance(count, exp.Literal) and count.is_int:
        if int(count.this) > wanted:
            count.replace(exp.Literal.number(wanted))
        return True
    return False


def _output_columns(
    root: exp.Expr, resolved: _Resolved, spelled: Mapping[str, str]
) -> tuple[OutputColumn, ...]:
    first = _outer_selects(root)[0]
    columns: list[OutputColumn] = []
    seen: set[str] = set()
    for index, projection in enumerate(first.selects):
        raw = projection.alias_or_name
        name = spelled.get(fold(raw)) or (f"Column{index + 1}" if raw.startswith("_col_") else raw)
        unique, suffix = name, 2
        while fold(unique) in seen:
            unique, suffix = f"{name}_{suffix}", suffix + 1
        seen.add(fold(unique))
        inner = projection.unalias()
        type_id = resolved.column_types.get(id(inner)) if isinstance(inner, exp.Column) else None
        if type_id is not None:
            columns.append(OutputColumn(unique, type_id))
            continue
        decimal = decimals.precision_of(inner) or decimals.precision_of(projection)
        columns.append(
            OutputColumn(unique, _type_id(projection), None if decimal is None else decimal[1])
        )
    return tuple(columns)


def _parameters(tree: exp.Expr, nonce: str) -> dict[str, str]:
    binds: dict[str, str] = {}
    for node in list(tree.find_all(exp.Parameter)):
        name = fold(node.this.name)
        bind = binds.setdefault(name, f"{nonce}{len(binds)}")
        node.replace(exp.Placeholder(this=bind))
    return binds


def _render(tree: exp.Expr, backend: str, binds: Mapping[str, str]) -> str:
    sql = tree.sql(dialect=dialects.target(backend))
    if backend_for(backend).pyformat_binds and binds:
        # psycopg reads %-placeholders: every other % is doubled; bind names carry a random
        # nonce, so no text of the query can pose as one.
        sql = sql.replace("%", "%%")
        for bind in binds.values():
            sql = sql.replace(f"%%({bind})s", f"%({bind})s")
    return sql


def spellings(tree: exp.Expr, tables: Mapping[str, TableDef]) -> dict[str, str]:
    """Folded name → first spelling in the SQL (the user's), else the catalog's."""
    spelled: dict[str, str] = {}
    for identifier in tree.find_all(exp.Identifier):
        spelled.setdefault(fold(identifier.name), identifier.name)
    for table in tables.values():
        spelled.setdefault(fold(table.name), table.name)
        spelled.setdefault(fold(table.key_column), table.key_column)
        for column in table.columns:
            spelled.setdefault(fold(column.ColumnName), column.ColumnName)
    return spelled


def _as_stored(tree: exp.Expr, _resolved: Any) -> exp.Expr:
    return tree


def _for_sqlite(tree: exp.Expr, resolved: Any) -> exp.Expr:
    """UUIDs, Money and JSON are text on SQLite: literals and comparisons follow."""
    _uuid_literals(tree, resolved)
    _money_as_numbers(tree, resolved)
    sqljson.for_sqlite(tree)
    return tree


def _for_postgresql(tree: exp.Expr, resolved: Any) -> exp.Expr:
    return sqljson.for_postgresql(tree, resolved.json_columns)


# How values stored in each backend's own way are read by a translated query, by backend name.
_STORAGE_STEPS: dict[str, Callable[[exp.Expr, Any], exp.Expr]] = {
    SQLITE.name: _for_sqlite,
    POSTGRESQL.name: _for_postgresql,
}


def plan(
    checked: Checked,
    tables: Mapping[str, TableDef],
    *,
    dialect: str,
    backend: str,
    schema_name: str,
    max_rows: int,
) -> Plan:
    """Everything up to the SQL text; `tables` maps folded names to the tenant's definitions of
    (at least) every table `checked` names."""
    tree = _unwrap(checked.tree.copy())
    spelled = spellings(tree, tables)
    translated = backend_for(backend).translates_tsql
    recursion = forms.max_recursion(tree) if translated else None
    tree = forms.before_qualify(tree, tables, backend)  # PIVOT / UNPIVOT → GROUP BY / UNION ALL
    for node in list(tree.find_all(exp.WithTableHint, exp.QueryOption)):
        if not translated and forms.is_max_recursion(node):
            continue  # SQL Server itself applies OPTION (MAXRECURSION n)
        node.pop()  # NOLOCK, MAXRECURSION ...: no meaning on the other backends
    for table in tree.find_all(exp.Table):
        if table.args.get("db") is not None and fold(table.text("db")) in NAMESPACES:
            table.set("db", exp.to_identifier(NAMESPACE))
    for identifier in tree.find_all(exp.Identifier):
        identifier.set("this", fold(identifier.name))
        identifier.set("quoted", False)
    _mark_recursive(tree)
    schema = _schema(tables, dialect)
    tree = _qualify(tree, schema, dialect, spelled)
    annotate_types(tree, schema=schema, dialect=dialect)
    sqljson.annotate(tree)
    resolved = _resolve(tree, tables, schema_name, spelled)
    if not translated:
        mssql.prepare_tree(tree)  # T-SQL runs as written: no translation
    else:
        _fix_booleans(tree)
        _date_results(tree)
        _padded_literals(tree)
        _concatenations(tree)
        decimals.annotate(tree)  # DECIMAL(p, s) as SQL Server types arithmetic (§5.1)
    columns = _output_columns(tree, resolved, spelled)
    tree = collate.apply(tree, backend, schema_name)  # SQL Server's text collation (§5.1)
    tree = _STORAGE_STEPS.get(backend, _as_stored)(tree, resolved)
    if translated:
        tree = forms.after_qualify(tree, backend, recursion)  # TOP PERCENT/WITH TIES, ...
        tree = parens.strip(tree)  # SQLite's parser stops near 100 nested parentheses
    limited = _limit(tree, max_rows)
    binds = _parameters(tree, f"ct{uuid.uuid4().hex[:12]}_")
    sql, positions = _render(tree, backend, binds), tuple[str, ...]()
    if not translated:
        sql, positions = mssql.positional(sql, binds)  # pyodbc binds `?` by position
    return Plan(
        sql=sql,
        binds=binds,
        columns=columns,
        tables=tuple(resolved.tables.values()),
        limited=limited,
        positions=positions,
        tree=tree,
    )
