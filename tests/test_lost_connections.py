"""A database that drops the server's connections (a PostgreSQL restart, a failover, an idle
timeout on a proxy) costs no 500: on the first request that meets each dead pooled connection,
a read is retried on a fresh connection and answers as usual, anything else answers 503 with
`Retry-After` and a message of ours (docs/decisions.md, "Lost database connections"); the
requests after it succeed.

The connections are killed with pg_terminate_backend from a separate connection, as a restart
would, right after they were used: the pool tests only connections idle a while
(ddl/backends/common.py), and that rule is lifted here so that no ping hides the loss.
SQLite has no server whose loss could end a connection, so only PostgreSQL runs it."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import psycopg
import pytest
from litestar.testing import TestClient

from app.cli import bootstrap
from app.main import create_app
from app.settings import Settings
from app.tenancy import Tenancy
from app.tokens import create_token
from ddl.backends import common
from tests.conftest import PG_ADMIN_URL
from tests.pg import fresh_database
from tests.support import LEAKS

POOLED = 6  # connections in the pool when the server drops them


def _row(key: int, name: str) -> dict[str, Any]:
    return {"KeyValue": key, "Columns": [{"ColumnName": "Name", "Value": name}]}


def _upsert(*rows: dict[str, Any]) -> dict[str, Any]:
    return {"OperationType": "UpsertMany", "UpsertManyModel": list(rows)}


class Server:
    """An app on a database of its own (killing its connections touches no other test)."""

    def __init__(self, tenancy: Tenancy, client: TestClient[Any]) -> None:
        self.tenancy = tenancy
        self.client = client
        tenant = f"t{uuid.uuid4().hex[:12]}"
        tenancy.create_tenant(tenant)
        scopes = ["workflows:read", "workflows:write"]
        self.v3 = {"X-AccessToken": create_token(tenancy, tenant, "admin", ["Admin"], scopes)}
        self.v1 = {"x-api-key": create_token(tenancy, tenant, "robot", [], scopes)}

    def fill_pool(self) -> set[int]:
        """Hold several connections at once, then return them: a busy server's pool. Returns
        their server process ids."""
        pids = set()
        with ExitStack() as stack:
            for _ in range(POOLED):
                conn = stack.enter_context(self.tenancy.meta.connect())
                pids.add(conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one())
        return pids

    def kill_connections(self) -> int:
        """What a restart does to the server's sessions, from a connection of our own."""
        url = self.tenancy.meta.url.set(drivername="postgresql")
        with psycopg.connect(url.render_as_string(hide_password=False), autocommit=True) as db:
            killed = db.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            ).fetchone()
        assert killed is not None
        return int(killed[0])

    def requests(self) -> list[tuple[str, Any]]:
        """A v3 read, a v3 write, a v1 read and a v1 write, each authenticated by its token."""
        get, put, post = self.client.get, self.client.put, self.client.post
        rows = "/api/v3/custom-tables/Things/rows"
        return [
            ("v3 read", get(f"{rows}/values", headers=self.v3)),
            ("v3 write", put(rows, json=_upsert(_row(2, "two")), headers=self.v3)),
            ("v1 read", get("/api/v1/tables", headers=self.v1)),
            ("v1 write", post("/api/v1/tables", json={"name": "Later"}, headers=self.v1)),
        ]


@pytest.fixture
def server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Server]:
    monkeypatch.setattr(common, "PING_AFTER_IDLE_SECONDS", 3600.0)
    with fresh_database(PG_ADMIN_URL) as url:
        settings = Settings.from_env(data_dir=tmp_path, database_url=url)
        tenancy = Tenancy(settings)
        bootstrap(tenancy)
        app = create_app(settings, tenancy)
        try:
            with TestClient(app, raise_server_exceptions=False) as client:
                yield Server(tenancy, client)
        finally:
            tenancy.dispose()


def _assert_no_500(name: str, response: Any) -> None:
    """Each answer is the usual success, or a 503 of ours telling the client when to retry."""
    assert response.status_code != 500, (name, response.text)
    assert not LEAKS.search(response.text), (name, response.text)
    if response.status_code == 503:
        assert int(response.headers["Retry-After"]) >= 1, (name, response.headers)
        assert "connection to the database was lost" in response.text, (name, response.text)
        assert "psycopg" not in response.text.lower(), (name, response.text)
        assert "terminat" not in response.text.lower(), (name, response.text)
    else:
        assert response.status_code in (200, 201), (name, response.text)


def test_lost_connections_cost_no_500(server: Server) -> None:
    client, v3 = server.client, server.v3
    table = {"KeyColumnName": "Id", "KeyDataTypeId": 3,
             "Columns": [{"ColumnName": "Name", "ColumnDataTypeId": 6}]}  # fmt: skip
    assert client.post("/api/v3/custom-tables/Things", json=table, headers=v3).status_code == 201
    written = client.put("/api/v3/custom-tables/Things/rows", json=_upsert(_row(1, "one")),
                         headers=v3)  # fmt: skip
    assert written.status_code == 200, written.text

    for _round in range(2):  # a second loss after the pool recovered from the first
        server.fill_pool()
        assert server.kill_connections() >= POOLED
        for name, response in server.requests():
            _assert_no_500(name, response)
        for name, response in server.requests():  # the pool is whole again
            assert response.status_code in (200, 201), (name, response.text)

    rows = client.get("/api/v3/custom-tables/Things/rows/values?Format=flat", headers=v3).json()
    assert rows == [{"Id": 1, "Name": "one"}, {"Id": 2, "Name": "two"}]


def test_a_read_meeting_a_dead_connection_is_retried(server: Server) -> None:
    """The first read after the loss is answered 200, not 503: it ran again on a new
    connection, as no write could have happened in it."""
    server.fill_pool()
    server.kill_connections()
    response = server.client.get("/api/v3/custom-tables", headers=server.v3)
    assert response.status_code == 200, response.text
    assert response.json() == []


def test_a_write_meeting_a_dead_connection_writes_nothing_it_did_not_report(
    server: Server,
) -> None:
    """A write that meets a dead connection is 503 or done, never half done: after a 503 the
    table does not exist; after a 201 it does."""
    server.fill_pool()
    server.kill_connections()
    created = server.client.post("/api/v1/tables", json={"name": "Once"}, headers=server.v1)
    _assert_no_500("v1 create", created)
    listed = server.client.get("/api/v1/tables", headers=server.v1).json()["data"]
    assert [t["name"] for t in listed] == ([] if created.status_code == 503 else ["Once"])


def test_the_pool_is_whole_again_after_one_loss(server: Server) -> None:
    """One request meeting a dead connection retires every connection opened before the loss,
    so the other dead ones do not each cost a request: held all at once afterwards, every
    pooled connection is a new one that works."""
    before = server.fill_pool()
    server.kill_connections()
    server.client.get("/api/v3/custom-tables", headers=server.v3)
    assert server.fill_pool().isdisjoint(before)


def test_a_saved_query_cut_off_by_the_loss_is_503(server: Server) -> None:
    """A saved query whose connection is killed while it runs answers 503 (it was a 500), and
    its query-error mapping does not blame the loss on the SQL with a 400 "could not run"."""
    sql = ("WITH n AS (SELECT 1 AS i UNION ALL SELECT i + 1 FROM n WHERE i < 20000000) "
           "SELECT COUNT(*) AS c FROM n OPTION (MAXRECURSION 0)")  # fmt: skip
    body = {"Name": "Slow", "Namespace": "CustomTable", "Sql": sql, "Parameters": []}
    saved = server.client.post("/api/v3/queries", json=body, headers=server.v3)
    assert saved.status_code == 201, saved.text
    killer = threading.Timer(1.0, server.kill_connections)
    killer.start()
    try:
        run = server.client.post("/api/v3/queries/Slow/execute", json={}, headers=server.v3)
    finally:
        killer.join()
    assert run.status_code == 503, run.text
    _assert_no_500("saved query", run)
