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


@pytest.mark.parametrize(
    "host",
    [
        "[::127.0.0.1]",  # IPv4-compatible (deprecated) form of loopback
        "[2002:7f00:1::1]",  # 6to4 around 127.0.0.1
        "[2002:a00:1::1]",  # 6to4 around 10.0.0.1
        "[64:ff9b::7f00:1]",  # NAT64 well-known prefix around 127.0.0.1
        "[64:ff9b::a9fe:a9fe]",  # NAT64 around the cloud metadata address
        "[::ffff:0:7f00:1]",  # IPv4-translated (SIIT) loopback
        "[fec0::1]",  # site-local (deprecated private range)
    ],
)
def test_webhooks_refuse_ipv6_forms_that_carry_a_private_ipv4(api: Api, host: str) -> None:
    """The guard judged only `::ffff:a.b.c.d` as IPv4; other IPv6 forms that embed an IPv4
    address (or name a private range Python 3.11 calls global) passed as public."""
    answer = api.post("webhooks", json={"Url": f"http://{host}:8080/hook"})
    assert answer.status_code == 400, answer.text
    assert api.get("webhooks").json() == []
