"""Hostile-tenant findings against today's additions (webhooks, change stream), each one a test
that failed before its fix, on SQLite and PostgreSQL (the `backend` fixture of every `api`)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.conftest import PRODUCT_CATALOG, Api, TenantCtx


@pytest.mark.parametrize("value", ["\u00b2", "\u2460", "\u00b9\u00b2"])
def test_a_last_event_id_of_unicode_digit_signs_is_a_400(
    api: Api, products: str, value: str
) -> None:
    """`str.isdigit` holds for superscripts and circled digits, which `int` refuses: the
    change stream answered 500."""
    tries: list[dict[str, Any]] = [{"params": {"LastEventId": value}}]
    if value.isascii() or max(value) <= "\xff":  # a header carries Latin-1 bytes
        tries.append({"headers": {"Last-Event-ID": value.encode("latin-1")}})
    for kwargs in tries:
        answer = api.get(f"custom-tables/{products}/changes?StreamSeconds=0", **kwargs)
        assert answer.status_code == 400, answer.text
        assert "Last-Event-ID" in answer.text
