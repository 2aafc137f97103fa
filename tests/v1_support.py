"""Helpers of the v1 tests: the source document's own curl bodies, and a client on /api/v1."""

from __future__ import annotations

import re
from typing import Any

from tests.conftest import Api, TenantCtx

# The request bodies of the curl examples of justpaid-tables-api-v1.txt, verbatim.
CREATE_TABLE_BODY = """{
    "name": "Processed Invoices",
    "description": "Deduplicate Stripe events",
    "columns": [
      { "name": "stripeInvoiceId", "type": "text", "required": true },
      { "name": "amountCents", "type": "number" }
    ],
    "maxRows": 25000
  }"""
CREATE_ROW_BODY = '{ "data": { "stripeInvoiceId": "in_1234567890", "amountCents": 9900 } }'

BOTH = ("workflows:read", "workflows:write")
STAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def v1_api(tenant: TenantCtx, *scopes: str, user: str = "user", roles: tuple[str, ...] = ()) -> Api:
    """A client sending a new key of `tenant` as x-api-key; paths are absolute."""
    return tenant.api(*roles, user=user, scopes=scopes, header="x-api-key")


def raw_json(body: str) -> dict[str, Any]:
    return {"content": body.encode(), "headers": {"Content-Type": "application/json"}}


def ok(response: Any, status: int = 200) -> Any:
    """The `data` of a success envelope, after checking the status and the envelope."""
    assert response.status_code == status, response.text
    body = response.json()
    assert body["success"] is True
    assert set(body) == {"success", "data"}
    return body["data"]


def error(response: Any, status: int, code: str) -> str:
    """The message of an error envelope, after checking status, code and shape."""
    assert response.status_code == status, response.text
    body = response.json()
    assert body["success"] is False
    assert set(body["error"]) == {"code", "message"}
    assert body["error"]["code"] == code
    return str(body["error"]["message"])


def create_table(api: Api, **body: Any) -> dict[str, Any]:
    return dict(ok(api.post("/api/v1/tables", json={"name": "T", **body}), 201))


def create_row(api: Api, table_id: str, data: dict[str, Any], **extra: Any) -> dict[str, Any]:
    response = api.post(f"/api/v1/tables/{table_id}/rows", json={"data": data, **extra})
    return dict(ok(response, 201))
