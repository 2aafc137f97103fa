"""SQL Server's default text collation, SQL_Latin1_General_CP1_CI_AS, on SQLite and PostgreSQL.

SQL Server compares Unicode text (our columns are nvarchar there) with Windows "word sort":
case-insensitive, accent-sensitive, dictionary order (punctuation < digits < letters, `'Ä'`
beside `'A'`), with hyphen and apostrophe ignored at the first level, so `co-op` sorts with
`coop` and `can't` with `cant`. NULL is the lowest value: first ascending, last descending.

- PostgreSQL: an ICU collation `ct_ci_as` (`und-u-ks-level2`, nondeterministic) made in every
  tenant schema (`install`). ICU on PostgreSQL 15 cannot tailor single characters, so ordering
  removes hyphen and apostrophe first (`translate`), and equality keeps them (as SQL Server).
- SQLite: every connection gets the collation `CT_CI_AS` (a comparison of `sort_key`s), the
  function `ct_sortkey` (the key itself, so ORDER BY calls Python once per row instead of once
  per comparison, which keeps sorting within 3x of binary order) and `ct_lower` (Unicode lower
  case, for LIKE).

`sort_key` levels, each separated by U+0001 so a shorter level sorts first:
1. base letters case-folded, accents removed, hyphen and apostrophe dropped, ASCII punctuation
   and digits re-weighted to sort before letters (as ICU's root order and Windows do);
2. accents, base letter by base letter (none < acute < grave < ... as ICU's root order);
3. level 1 again with hyphen and apostrophe kept, so `co-op` and `coop` differ (as on SQL
   Server, where they are not equal) though they sort side by side.
Case never counts: `'apple' = 'APPLE'`.
"""

from __future__ import annotations

import sqlite3
import unicodedata
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.visitors import InternalTraversal

from ddl.types import STRING_TYPES, TypeId

if TYPE_CHECKING:
    from ddl.backends import Backend

COLLATION = "ct_ci_as"  # PostgreSQL: the ICU collation in each tenant schema
SQLITE_COLLATION = "CT_CI_AS"
SORT_KEY = "ct_sortkey"
LOWER = "ct_lower"
IGNORED = "-'"  # ignored at the first level (Windows word sort)
ICU_LOCALE = "und-u-ks-level2"  # secondary strength: accents count, case does not
ICU_DETERMINISTIC = "und-x-icu"  # PostgreSQL's own ICU root collation, for LOWER in LIKE

TEXT_TYPES = STRING_TYPES  # the records that say `text` (ddl/types.py)

# ICU root order of ASCII: whitespace, punctuation, symbols, currency, digits, letters.
_ASCII_ORDER = "\t\n\v\f\r _-,;:!?.'\"()[]{}@*/\\&#%`^+<=>|~$0123456789abcdefghijklmnopqrstuvwxyz"
_FIRST_WEIGHT = 0x10
_ASCII_WEIGHTS = {ord(ch): chr(_FIRST_WEIGHT + i) for i, ch in enumerate(_ASCII_ORDER)}
_ASCII_WEIGHTS.update({ord(ch.upper()): _ASCII_WEIGHTS[ord(ch)] for ch in _ASCII_ORDER[-26:]})
_CONTROLS: dict[int, str | None] = {c: None for c in range(0x80) if c not in _ASCII_WEIGHTS}
_KEEP_TABLE = {**_ASCII_WEIGHTS, **_CONTROLS}  # level 3: hyphen and apostrophe kept
_LEVEL1_TABLE = {**_KEEP_TABLE, **{ord(ch): None for ch in IGNORED}}
_NON_ASCII_PUNCTUATION = chr(0x0F)  # below ASCII punctuation; level 3 keeps them apart
_UNACCENTED = "\x02"  # level 2: a base letter without marks (sorts before any mark)
_SEPARATOR = "\x01"

# ICU root secondary order of the common Latin diacritics; others follow by code point.
_MARK_ORDER = [
    0x0301, 0x0300, 0x0306, 0x0302, 0x030C, 0x030A, 0x0308, 0x030B, 0x0303, 0x0307,
    0x0327, 0x0328, 0x0304, 0x0309, 0x030F, 0x0311, 0x031B, 0x0323, 0x0325, 0x0338,
]  # fmt: skip
_MARK_WEIGHTS = {mark: chr(0x10 + i) for i, mark in enumerate(_MARK_ORDER)}
# Letters with no decomposition that ICU sorts as a base letter plus a secondary difference.
_LETTERS = {"æ": "ae", "œ": "oe", "ø": "o\u0338", "đ": "d\u0338", "ł": "l\u0338"}
_CACHED_LENGTH = 64  # longer texts are not cached: at most ~25 MB of keys per process


def _mark_weight(mark: str) -> str:
    return _MARK_WEIGHTS.get(ord(mark)) or chr(0x100 + ord(mark))


def _base_weight(ch: str, table: dict[int, str | None]) -> str:
    code = ord(ch)
    if code < 0x80:
        return table.get(code) or ""
    if unicodedata.category(ch)[0] in "PSZ":  # one weight at level 1, told apart at level 3
        return _NON_ASCII_PUNCTUATION + ("" if table is _LEVEL1_TABLE else ch)
    return ch


def _unicode_key(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", "".join(_LETTERS.get(c, c) for c in text.casefold()))
    level1, level2, level3 = [], [], []
    for ch in decomposed:
        if unicodedata.combining(ch):  # follows its letter's entry at level 2
            level2.append(_mark_weight(ch))
            continue
        level3.append(_base_weight(ch, _KEEP_TABLE))
        weight = _base_weight(ch, _LEVEL1_TABLE)
        if weight:
            level1.append(weight)
            level2.append(_UNACCENTED)
    return _SEPARATOR.join(("".join(level1), "".join(level2), "".join(level3)))


_FAST_LIMIT = "\u0370"  # below: Latin, IPA, modifier letters and combining marks


def _fast_tables() -> tuple[dict[int, str | None], ...]:
    """Per-character parts of each level for the Latin range, so that most keys are three
    `translate` calls (C) instead of a Python loop over the characters."""
    tables: tuple[dict[int, str | None], ...] = ({}, {}, {})
    for code in range(ord(_FAST_LIMIT)):
        ch = chr(code)
        if unicodedata.combining(ch):  # a mark adds to the letter before it, at level 2
            parts = ["", _mark_weight(ch), ""]
        else:
            parts = _unicode_key(ch).split(_SEPARATOR)
        for table, part in zip(tables, parts, strict=True):
            table[code] = part or None  # None deletes the character
    return tables


def _ascii_table(table: dict[int, str | None]) -> tuple[bytes, bytes]:
    """The same table for `bytes.translate`: ASCII text maps to ASCII weights one to one."""
    mapping = bytes(ord(table[code] or "\0") for code in range(128)) + bytes(128)
    deleted = bytes(code for code in range(128) if table[code] is None)
    return mapping, deleted


_LEVEL1, _LEVEL2, _LEVEL3 = _fast_tables()
_ASCII1, _ASCII2, _ASCII3 = _ascii_table(_LEVEL1), _ascii_table(_LEVEL2), _ascii_table(_LEVEL3)
_BYTES_SEPARATOR = _SEPARATOR.encode()


def _key(text: str) -> bytes:
    """The key as UTF-8 bytes (a BLOB in SQLite, compared with memcmp; UTF-8 keeps the order
    of code points). Three paths give the same key: ASCII, Latin, any text."""
    if text.isascii():
        raw = text.encode()
        return _BYTES_SEPARATOR.join(
            (raw.translate(*_ASCII1), raw.translate(*_ASCII2), raw.translate(*_ASCII3))
        )
    if max(text) < _FAST_LIMIT:
        levels = (text.translate(_LEVEL1), text.translate(_LEVEL2), text.translate(_LEVEL3))
        return _SEPARATOR.join(levels).encode()
    return _unicode_key(text).encode()


_cached_key = lru_cache(maxsize=65536)(_key)


def _key_of(text: str) -> bytes:
    return _cached_key(text) if len(text) <= _CACHED_LENGTH else _key(text)


def sort_key(value: object) -> bytes | None:
    """The key whose binary order is the collation's order; NULL stays NULL (sorts first).
    Not cached: ORDER BY asks once per row, and a cache look-up costs about what the key does."""
    if value is None:
        return None
    return _key(value if isinstance(value, str) else str(value))


def compare(left: str, right: str) -> int:
    """The SQLite collation: 0 when SQL Server calls the texts equal, else their order."""
    if left == right:
        return 0
    a, b = _key_of(left), _key_of(right)
    return (a > b) - (a < b)


def _lower(text: Any) -> Any:
    return text.lower() if isinstance(text, str) else text


def register_sqlite(conn: sqlite3.Connection) -> None:
    """Give one SQLite connection the collation and its two helper functions."""
    conn.create_collation(SQLITE_COLLATION, compare)
    conn.create_function(SORT_KEY, 1, sort_key, deterministic=True)
    conn.create_function(LOWER, 1, _lower, deterministic=True)


def pg_name(schema: str) -> str:
    """The collation as SQL names it: schema-qualified, both parts quoted (tenant schema names
    are checked letters, digits and underscores)."""
    return f'"{schema}"."{COLLATION}"'


def pg_create(schema: str) -> str:
    """The statement that makes the collation in a tenant schema (PostgreSQL)."""
    return (
        f"CREATE COLLATION IF NOT EXISTS {pg_name(schema)} "
        f"(provider = icu, locale = '{ICU_LOCALE}', deterministic = false)"
    )


def install(conn: sa.Connection, schema: str) -> None:
    """Create the tenant schema's collation when missing (PostgreSQL only). Runs when a tenant
    is created and, as the upgrade of spaces made by earlier releases, when a process first
    opens a space. A concurrent creator may win the race: its collation is the same one."""
    from ddl.backends import backend_for  # ddl.backends.sqlite imports this module

    if not backend_for(conn).icu_collation:
        return
    try:
        with conn.begin_nested():
            conn.exec_driver_sql(pg_create(schema))
    except sa.exc.IntegrityError:
        pass  # created by another process meanwhile


_IGNORED_SQL: sa.ColumnClause[str] = sa.literal_column("'-'''")  # the SQL literal of IGNORED
_EMPTY_SQL: sa.ColumnClause[str] = sa.literal_column("''")


class Collated(sa.ColumnElement[Any]):
    """`expr COLLATE "schema"."ct_ci_as"`: SQLAlchemy's own collate() would quote the
    schema-qualified name as one identifier."""

    __visit_name__ = "ct_collated"
    inherit_cache = True
    _traverse_internals = [
        ("inner", InternalTraversal.dp_clauseelement),
        ("schema", InternalTraversal.dp_string),
    ]

    def __init__(self, inner: sa.ColumnElement[Any], schema: str) -> None:
        self.inner = inner
        self.schema = schema
        self.type = inner.type


@compiles(Collated)
def _compile_collated(element: Collated, compiler: Any, **kw: Any) -> str:
    return f"{compiler.process(element.inner, **kw)} COLLATE {pg_name(element.schema)}"


def is_text(type_id: TypeId) -> bool:
    return type_id in TEXT_TYPES


def sort_value(
    value: sa.ColumnElement[Any], type_id: TypeId, backend: Backend, schema: str
) -> sa.ColumnElement[Any]:
    """What rows are ordered by for a column (or a bound value of it): text in the collation's
    order, Money as a number on SQLite. The rows API's ORDER BY and its keyset comparisons both
    use it, so a page boundary falls exactly where the order puts it."""
    if type_id is TypeId.MONEY and backend.money_as_text:
        return sa.cast(value, sa.Numeric)  # stored as exact text there
    if is_text(type_id) and backend.sortkey_collation:
        return sa.func.ct_sortkey(value)
    if is_text(type_id) and backend.icu_collation:
        return Collated(sa.func.translate(value, _IGNORED_SQL, _EMPTY_SQL), schema)
    return value


def ordered(
    column: sa.ColumnElement[Any],
    type_id: TypeId,
    backend: Backend,
    schema: str,
    descending: bool,
) -> sa.ColumnElement[Any]:
    """The ORDER BY term for one column of the rows API: text in the collation's order, NULL
    lowest (first ascending, last descending) on every backend."""
    term = sort_value(column, type_id, backend, schema)
    result = term.desc() if descending else term.asc()
    if backend.nulls_sort_high:
        result = result.nulls_last() if descending else result.nulls_first()
    return result
