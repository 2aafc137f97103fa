"""What `customtables token create` accepts (SPEC §9): role names follow the name pattern of
§3, scopes are the known v1 scopes, and a token grants at least one of them. The CLI checks
this before anything is written; tests may still make grant-less tokens through the library
to prove that such a caller is refused."""

from __future__ import annotations

from collections.abc import Sequence

from app.tokens import SCOPES
from ddl.errors import ValidationError
from ddl.names import check_role_name


def check_grants(roles: Sequence[str], scopes: Sequence[str]) -> None:
    """400-style error (exit status 2 from the CLI) naming the first thing that is wrong. The
    "needs a role or scope" rule is create_token's `require_grant`, so that a missing tenant
    or user is reported first."""
    for role in roles:
        check_role_name(role)
    unknown = sorted(set(scopes) - SCOPES)
    if unknown:
        raise ValidationError(f"Unknown scope(s) {unknown}; known: {sorted(SCOPES)}")
