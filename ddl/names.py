"""Identifier rules: the SPEC pattern for table and column names, and case folding for look-ups."""

from __future__ import annotations

import re

from ddl.errors import ValidationError

NAME_PATTERN = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,62}")
TENANT_PATTERN = re.compile(r"[a-z][a-z0-9_]{0,39}")


def fold(name: str) -> str:
    """The look-up key of a name: names are unique and found case-insensitively (as SQL Server)."""
    return name.casefold()


def check_name(name: object, what: str = "name") -> str:
    """Return `name` when it matches the SPEC pattern, else raise a 400 that says why."""
    if not isinstance(name, str) or NAME_PATTERN.fullmatch(name) is None:
        raise ValidationError(
            f"Invalid {what} {name!r}: it must start with a letter and contain only letters, "
            "digits and underscores, 63 characters at most"
        )
    return name


# Names the SPEC pattern allows but a backend keeps for itself: SQLite refuses tables named
# sqlite_*, PostgreSQL refuses columns named as its system columns. Refused on every backend
# alike, so a table can move between backends (export/import).
RESERVED_TABLE_PREFIX = "sqlite_"
RESERVED_COLUMNS = frozenset({"tableoid", "xmin", "xmax", "cmin", "cmax", "ctid"})


def check_table_name(name: object) -> str:
    table = check_name(name, "table name")
    if fold(table).startswith(RESERVED_TABLE_PREFIX):
        raise ValidationError(
            f"Invalid table name {table!r}: names starting with 'sqlite_' are reserved"
        )
    return table


def check_column_name(name: object, what: str = "column name") -> str:
    column = check_name(name, what)
    if fold(column) in RESERVED_COLUMNS:
        raise ValidationError(
            f"Invalid {what} {column!r}: it is reserved "
            f"({', '.join(sorted(RESERVED_COLUMNS))} are system column names)"
        )
    return column


def check_tenant_name(name: str) -> str:
    if TENANT_PATTERN.fullmatch(name) is None:
        raise ValidationError(
            f"Invalid tenant name {name!r}: lower-case letters, digits and underscores, "
            "starting with a letter, 40 characters at most"
        )
    return name
