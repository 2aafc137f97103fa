"""CORS (SPEC §10): off by default; with CUSTOMTABLES_CORS_ORIGINS, preflights from those
origins are answered with the API's methods and headers, and Link / X-Total-Count are exposed
to the page's script. Other origins get no CORS header."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from litestar.testing import TestClient

from app.main import create_app
from app.settings import Settings
from app.tenancy import Tenancy
from tests.conftest import Backend, TenantCtx
from tests.support import column, create_table, upsert_rows

ALLOWED = "https://app.example.com"


@pytest.fixture
def cors_client(backend: Backend, tenancy: Tenancy) -> Iterator[TestClient[Any]]:
    settings = Settings.from_env(
        data_dir=backend.settings.data_dir,
        database_url=backend.settings.database_url,
        cors_origins=f"{ALLOWED}, https://other.example.org/",
    )
    app = create_app(settings, tenancy)
    app.on_shutdown.clear()  # the session fixture `tenancy` disposes the engines
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def preflight(client: TestClient[Any], origin: str, method: str, headers: str) -> Any:
    return client.options(
        "/api/v3/custom-tables/People/rows/values",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": headers,
        },
    )


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "POST"])
def test_preflight_from_an_allowed_origin(cors_client: TestClient[Any], method: str) -> None:
    response = preflight(cors_client, ALLOWED, method, "X-AccessToken, Content-Type")
    assert response.status_code in (200, 204), response.text
    assert response.headers["access-control-allow-origin"] == ALLOWED
    allowed_methods = response.headers["access-control-allow-methods"].upper()
    assert method in allowed_methods
    allowed_headers = response.headers["access-control-allow-headers"].lower()
    for header in ("x-accesstoken", "x-api-key", "content-type"):
        assert header in allowed_headers
    second = preflight(cors_client, "https://other.example.org", method, "x-api-key")
    assert second.headers["access-control-allow-origin"] == "https://other.example.org"


def test_preflight_from_another_origin_is_refused(cors_client: TestClient[Any]) -> None:
    response = preflight(cors_client, "https://evil.example.net", "GET", "X-AccessToken")
    assert response.status_code >= 400
    assert "access-control-allow-origin" not in response.headers


def test_a_read_exposes_link_and_total(cors_client: TestClient[Any], tenant: TenantCtx) -> None:
    create_table(tenant.admin, "People", key="Id", key_type=3, columns=[column("Name", 6)])
    upsert_rows(tenant.admin, "People", [{"Id": i, "Name": f"p{i}"} for i in range(5)], key="Id")
    response = cors_client.get(
        "/api/v3/custom-tables/People/rows/values",
        params={"Top": 2, "Count": "true"},
        headers={"Origin": ALLOWED, "X-AccessToken": tenant.admin.token},
    )
    assert response.status_code == 200, response.text
    assert response.headers["access-control-allow-origin"] == ALLOWED
    exposed = response.headers["access-control-expose-headers"].lower()
    assert "link" in exposed
    assert "x-total-count" in exposed
    assert response.headers["x-total-count"] == "5"
    assert 'rel="next"' in response.headers["link"]
    other = cors_client.get(
        "/api/v3/custom-tables/People/rows/values",
        headers={"Origin": "https://evil.example.net", "X-AccessToken": tenant.admin.token},
    )
    assert "access-control-allow-origin" not in other.headers


def test_no_cors_by_default(client: TestClient[Any], tenant: TenantCtx) -> None:
    response = client.options(
        "/api/v3/custom-tables",
        headers={"Origin": ALLOWED, "Access-Control-Request-Method": "GET"},
    )
    assert "access-control-allow-origin" not in response.headers
    read = client.get(
        "/api/v3/custom-tables", headers={"Origin": ALLOWED, "X-AccessToken": tenant.admin.token}
    )
    assert read.status_code == 200
    assert "access-control-allow-origin" not in read.headers
