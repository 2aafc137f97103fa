"""The administration commands of `customtables`: `token list`, `tenant list`, and the
printing of a new token's id (tables for people, `--json` for scripts; never a secret)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from app.settings import database_label
from app.tenancy import Tenancy
from app.tenant_admin import summaries
from app.tokens import IssuedToken, list_tokens

TOKEN_COLUMNS = (
    ("id", "ID"), ("tenant", "TENANT"), ("user", "USER"), ("roles", "ROLES"),
    ("scopes", "SCOPES"), ("created_at", "CREATED"), ("expires_at", "EXPIRES"),
    ("last_used_at", "LAST USED"),
)  # fmt: skip
TENANT_COLUMNS = (("name", "NAME"), ("tables", "TABLES"), ("rows", "ROWS"),
                  ("created_at", "CREATED"))  # fmt: skip


def state_database(tenancy: Tenancy) -> None:
    """Say on stderr which database a command works on, so a command run from another
    directory (or with another CUSTOMTABLES_* environment) never works on a surprise one."""
    print(f"database: {database_label(tenancy.settings)}", file=sys.stderr)


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, list):
        return ",".join(value) or "-"
    return str(value)


def print_table(rows: Sequence[dict[str, Any]], columns: Sequence[tuple[str, str]]) -> None:
    cells = [[_cell(row[key]) for key, _ in columns] for row in rows]
    titles = [title for _, title in columns]
    widths = [max([len(title), *(len(r[i]) for r in cells)]) for i, title in enumerate(titles)]
    print("  ".join(title.ljust(w) for title, w in zip(titles, widths, strict=True)).rstrip())
    for row in cells:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())


def token_list(args: argparse.Namespace, tenancy: Tenancy) -> None:
    tenancy.migrate()
    state_database(tenancy)
    tenant_id = tenancy.get_tenant(args.tenant).id if args.tenant else None
    found = [asdict(info) for info in list_tokens(tenancy, tenant_id)]
    for item in found:
        item.pop("prefix")
    if args.json:
        print(json.dumps(found, indent=2))
    else:
        print_table(found, TOKEN_COLUMNS)


def tenant_list(args: argparse.Namespace, tenancy: Tenancy) -> None:
    tenancy.migrate()
    state_database(tenancy)
    found = [asdict(item) for item in summaries(tenancy)]
    if args.json:
        print(json.dumps(found, indent=2))
    else:
        print_table(found, TENANT_COLUMNS)


def print_issued(issued: IssuedToken, as_json: bool) -> None:
    """A new token: its id on stderr and the secret as the last line of stdout (or one JSON
    object with both)."""
    if as_json:
        print(json.dumps(asdict(issued), indent=2))
        return
    owner = f"of tenant '{issued.tenant}'" if issued.tenant else "(server admin)"
    print(f"id: {issued.id}", file=sys.stderr)
    print(f"Token for user '{issued.user}' {owner} (shown once):")
    print(issued.token)
