"""Name rules, in one place: the SPEC pattern for SQL names (tables, columns, roles), the text
rule for display names (v1 tables and columns, token users), and case folding for look-ups."""

from __future__ import annotations

import re

from ddl.errors import ValidationError

NAME_PATTERN = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,62}")
TENANT_PATTERN = re.compile(r"[a-z][a-z0-9_]{0,39}")
# Unicode category Cc: C0 (NUL, tab, newline, escape…), DEL and C1. No name holds one: NUL
# cannot be bound on PostgreSQL yet is stored by SQLite, and the others hide or reorder text
# in logs, audit events, the Studio and exported files.
CONTROL_CHARACTER = re.compile(r"[\x00-\x1f\x7f-\x9f]")


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


def check_no_control(text: str, what: str) -> str:
    """Return `text` unless it holds a control character; the 400 names the field and the
    character by code point (the character itself would be invisible or break the message)."""
    found = CONTROL_CHARACTER.search(text)
    if found is not None:
        raise ValidationError(
            f"{what} may not contain control characters (found U+{ord(found.group()):04X})"
        )
    return text


def check_display_name(value: object, what: str, max_length: int) -> str:
    """A display name (a v1 table's or column's name, a column id): free text, since people
    write "Processed Invoices", but 1 to `max_length` characters, not only spaces, and no
    control character."""
    if not isinstance(value, str) or not value.strip() or len(value) > max_length:
        raise ValidationError(
            f"{what} must be a string of 1 to {max_length} characters, not only spaces"
        )
    return check_no_control(value, what)


def check_role_name(name: object, what: str = "role") -> str:
    """Role names follow the SPEC pattern (§9), wherever they come from: a token's roles and a
    table's ReadRoles / SaveRoles, so a role that can be granted can also be required."""
    return check_name(name, what)


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
