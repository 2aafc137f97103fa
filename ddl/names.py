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


def check_tenant_name(name: str) -> str:
    if TENANT_PATTERN.fullmatch(name) is None:
        raise ValidationError(
            f"Invalid tenant name {name!r}: lower-case letters, digits and underscores, "
            "starting with a letter, 40 characters at most"
        )
    return name
