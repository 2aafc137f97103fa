"""SQL names of v1 tables: derived once from the display name, unique (case-insensitively)
among every table of the tenant's space, v1 and v3 alike, so a saved query names either kind
as `[customtables].[Name]` without ambiguity.

Two creates racing for one name (a v1 table and a v3 table, say) are serialised on PostgreSQL
by a transaction-level advisory lock per tenant schema; SQLite writers are serialised already.
"""

from __future__ import annotations

import re
import unicodedata

import sqlalchemy as sa

from ddl import catalog
from ddl.backends import backend_for
from ddl.errors import Conflict
from ddl.names import NAME_PATTERN, RESERVED_TABLE_PREFIX, fold
from ddl.space import TenantSpace
from ddl.v1 import catalog as v1_catalog

MAX_LENGTH = 63


def lock_names(conn: sa.Connection, space: TenantSpace) -> None:
    """Hold the tenant's table-name lock until the transaction ends (SQLite writers are
    serialised already)."""
    backend_for(conn).transaction_lock(conn, f"customtables.names:{space.schema}")


def base_name(name: str) -> str:
    """A name matching the SPEC pattern, as close to the display name as it can be:
    "Processed Invoices" → "Processed_Invoices", "Café 2024" → "Cafe_2024", "2024" → "t_2024"."""
    ascii_text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    base = re.sub(r"[^A-Za-z0-9]+", "_", ascii_text).strip("_")
    if not base:
        base = "Table"
    elif not base[0].isalpha() or fold(base).startswith(RESERVED_TABLE_PREFIX):
        base = f"t_{base}"
    return base[:MAX_LENGTH].rstrip("_")


def taken(conn: sa.Connection, sql_name: str) -> bool:
    return (
        v1_catalog.sql_name_taken(conn, sql_name) or catalog.find_table(conn, sql_name) is not None
    )


def claim(conn: sa.Connection, space: TenantSpace, name: str) -> str:
    """A free SQL name for a new v1 table called `name`: its base name, else with `_2`, `_3`…"""
    lock_names(conn, space)
    base = base_name(name)
    candidate, suffix = base, 1
    while taken(conn, candidate):
        suffix += 1
        tail = f"_{suffix}"
        candidate = base[: MAX_LENGTH - len(tail)].rstrip("_") + tail
    assert NAME_PATTERN.fullmatch(candidate)
    return candidate


def refuse_if_v1(conn: sa.Connection, space: TenantSpace, name: str) -> None:
    """For the v3 create path: a new v3 table may not take a v1 table's SQL name (409)."""
    lock_names(conn, space)
    if v1_catalog.sql_name_taken(conn, name):
        raise Conflict(f"The name '{name}' is taken by a v1 table (its sqlName)")
