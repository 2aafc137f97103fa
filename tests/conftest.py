"""Fixtures: the whole suite runs once on SQLite and once on PostgreSQL (a fresh database per
run), each test in a tenant of its own, through HTTP (Litestar's test client) into the database.

PostgreSQL is not optional: when it cannot be reached the PostgreSQL half fails, it is never
skipped. Set CUSTOMTABLES_TEST_PG_URL to point at another server. With
CUSTOMTABLES_TEST_MSSQL_URL set, the whole suite runs a third time on SQL Server.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from app.cli import bootstrap
from app.main import create_app
from app.settings import Settings
from app.tenancy import Tenancy
from app.tokens import create_token
from tests import openapi_conformance
from tests.live import server_env
from tests.pg import fresh_database

PG_ADMIN_URL = os.environ.get(
    "CUSTOMTABLES_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
BACKENDS = ["sqlite", "postgresql"]
# SQL Server joins the suite only when one is named (it cannot run everywhere): a login that may
# CREATE DATABASE, e.g. mssql+pyodbc://sa:pw@host:1433/master?driver=ODBC+Driver+18+for+SQL+Server
MSSQL_ADMIN_URL = os.environ.get("CUSTOMTABLES_TEST_MSSQL_URL", "")
if MSSQL_ADMIN_URL:
    BACKENDS.append("mssql")


# --- parallel runs (pytest-xdist, `-n` in pyproject's addopts) --------------------------------
# `--dist loadgroup` spreads tests one by one over the workers, except those marked with an
# `xdist_group`, which one worker runs in order. Two kinds of module are grouped here, by file:
# - modules whose module-scoped fixture starts a live server or a browser (one start per module
#   instead of one per worker that happens to get one of its tests);
# - "timing": modules that measure wall time, time limits or thread-pool fairness against a real
#   server, run one after another so they never compete with each other for the 2 cores.
XDIST_GROUPS = {
    "tests/studio/test_studio.py": "studio",
    "tests/studio/test_studio_webhooks.py": "studio",
    "tests/test_schemathesis.py": "schemathesis",
    "tests/test_hostile_live.py": "hostile_live",
    "tests/test_client.py": "client",
    "tests/test_client_rows_api.py": "client_rows_api",
    "tests/test_tsql_reports.py": "tsql_reports",
    "tests/test_fairness.py": "timing",
    "tests/test_shutdown.py": "timing",
    "tests/test_workers.py": "timing",
    "tests/test_queries_limits.py": "timing",
    "tests/test_disconnect.py": "timing",
    "tests/test_import_crash.py": "timing",
    "tests/test_processes.py": "timing",
    "tests/test_memory_wide_rows.py": "timing",
    "tests/test_tenants_scale.py": "timing",
    "tests/test_webhooks_live.py": "timing",
    "tests/test_serve_socket.py": "timing",
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    root = Path(__file__).resolve().parent.parent
    for item in items:
        group = XDIST_GROUPS.get(item.path.relative_to(root).as_posix())
        if group:
            item.add_marker(pytest.mark.xdist_group(group))


@dataclass
class Backend:
    name: str
    settings: Settings

    @property
    def url(self) -> str:
        return self.settings.url


def _mssql_database() -> Iterator[str]:
    """A fresh database on the SQL Server of CUSTOMTABLES_TEST_MSSQL_URL, dropped afterwards."""
    import sqlalchemy as sa

    name = f"ct_test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(MSSQL_ADMIN_URL, isolation_level="AUTOCOMMIT")
    quoted = admin.dialect.identifier_preparer.quote_identifier(name)
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {quoted}")
    try:
        url = sa.make_url(MSSQL_ADMIN_URL).set(database=name)
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"ALTER DATABASE {quoted} SET SINGLE_USER WITH ROLLBACK IMMEDIATE")
            conn.exec_driver_sql(f"DROP DATABASE {quoted}")
        admin.dispose()


@pytest.fixture(autouse=True)
def answers_match_openapi() -> Iterator[None]:
    """Every answer a test's TestClient receives must be one the app's OpenAPI document
    describes (tests/openapi_conformance.py): a test whose answers do not conform fails at
    teardown, naming them, so the document stays true as routes change."""
    openapi_conformance.install(TestClient)
    with openapi_conformance.RECORDER.watching() as problems:
        yield
    if problems:
        shown = "\n".join(problems[:20])
        pytest.fail(f"{len(problems)} answers do not match /schema/openapi.json:\n{shown}")


@pytest.fixture(scope="session", params=BACKENDS)
def backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Backend]:
    data_dir = tmp_path_factory.mktemp(f"data_{request.param}")
    if request.param == "sqlite":
        yield Backend("sqlite", Settings.from_env(data_dir=data_dir, database_url=""))
        return
    if request.param == "mssql":
        for url in _mssql_database():
            yield Backend("mssql", Settings.from_env(data_dir=data_dir, database_url=url))
        return
    with fresh_database(PG_ADMIN_URL) as url:
        yield Backend("postgresql", Settings.from_env(data_dir=data_dir, database_url=url))


@pytest.fixture(scope="session")
def tenancy(backend: Backend) -> Iterator[Tenancy]:
    tenancy = Tenancy(backend.settings)
    bootstrap(tenancy)
    yield tenancy
    tenancy.dispose()


@pytest.fixture(scope="session")
def client(backend: Backend, tenancy: Tenancy) -> Iterator[TestClient[Any]]:
    app = create_app(backend.settings, tenancy)
    app.on_shutdown.clear()  # the session fixture `tenancy` disposes the engines
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


class Api:
    """A client bound to one token; paths are relative to /api/v3 unless they start with /."""

    def __init__(self, client: TestClient[Any], token: str, header: str = "X-AccessToken") -> None:
        self.client = client
        self.token = token
        self.header = header

    def _url(self, path: str) -> str:
        return path if path.startswith("/") else f"/api/v3/{path}"

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        headers = {self.header: self.token, **kwargs.pop("headers", {})}
        return self.client.request(method, self._url(path), headers=headers, **kwargs)

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Any:
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> Any:
        return self.request("PUT", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Any:
        return self.request("DELETE", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> Any:
        return self.request("PATCH", path, **kwargs)


@dataclass
class TenantCtx:
    name: str
    tenancy: Tenancy
    client: TestClient[Any]
    admin: Api

    def api(
        self,
        *roles: str,
        user: str = "user",
        scopes: tuple[str, ...] = (),
        header: str = "X-AccessToken",
    ) -> Api:
        token = create_token(self.tenancy, self.name, user, list(roles), list(scopes))
        return Api(self.client, token, header)


def new_tenant(tenancy: Tenancy, client: TestClient[Any]) -> TenantCtx:
    name = f"t{uuid.uuid4().hex[:12]}"
    tenancy.create_tenant(name)
    token = create_token(tenancy, name, "admin", ["Admin"], ["workflows:read", "workflows:write"])
    return TenantCtx(name, tenancy, client, Api(client, token))


@pytest.fixture
def tenant(tenancy: Tenancy, client: TestClient[Any]) -> TenantCtx:
    """A fresh tenant with an Admin token: tests never see each other's tables."""
    return new_tenant(tenancy, client)


@pytest.fixture
def other_tenant(tenancy: Tenancy, client: TestClient[Any]) -> TenantCtx:
    return new_tenant(tenancy, client)


@pytest.fixture
def api(tenant: TenantCtx) -> Api:
    return tenant.admin


PRODUCT_CATALOG = {
    "KeyColumnName": "Oid",
    "KeyDataTypeId": 9,
    "Columns": [
        {"ColumnName": "Name", "ColumnDataTypeId": 6},
        {"ColumnName": "Price", "ColumnDataTypeId": 4},
        {"ColumnName": "IsActive", "ColumnDataTypeId": 0},
    ],
}


@pytest.fixture
def products(api: Api) -> str:
    """The source document's ProductCatalog table, created empty."""
    response = api.post("custom-tables/ProductCatalog", json=PRODUCT_CATALOG)
    assert response.status_code == 201, response.text
    return "ProductCatalog"


def data_path(tmp: Path) -> Path:
    return tmp



@pytest.fixture(params=["sqlite", "postgresql"])
def data_env(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, str]]:
    """Server settings on an empty SQLite directory or a fresh PostgreSQL database: the data an
    earlier release writes and this build then starts on (the upgrade tests' one fixture)."""
    if request.param == "sqlite":
        yield server_env(tmp_path)
        return
    with fresh_database(PG_ADMIN_URL) as url:
        yield server_env(tmp_path, url)

