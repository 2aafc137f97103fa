"""Tenants at scale (SPEC §11, issue 17), on a live server on SQLite and PostgreSQL: with at
most 4 tenant spaces open, touching 30 tenants keeps the server's open files bounded, and a
tenant whose space was closed works when touched again (its rows, a column added after it was
reopened, a saved query: prepared tables and reader grants are made again). A space made by an
earlier build without some internal table is completed when opened. Kept-alive connections
get their answers without the 40 ms Nagle/delayed-ACK stall."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import sqlalchemy as sa

from app.tokens import issue_token
from tests.conftest import Backend, TenantCtx
from tests.live import live_server, server_env

OPEN_TENANTS = 4
TENANTS = 30
TABLE = {"KeyColumnName": "Id", "KeyDataTypeId": 3,
         "Columns": [{"ColumnName": "Name", "ColumnDataTypeId": 6}]}  # fmt: skip
QUERY = {"Name": "Names", "Namespace": "CustomTable", "Sql": "SELECT Name FROM [customtables].[T]"}


def _open_files(pid: int) -> int:
    return len(list(Path(f"/proc/{pid}/fd").iterdir()))


def _rows(*pairs: tuple[int, dict[str, object]]) -> dict[str, object]:
    models = [
        {"KeyValue": key, "Columns": [{"ColumnName": k, "Value": v} for k, v in values.items()]}
        for key, values in pairs
    ]
    return {"OperationType": "UpsertMany", "UpsertManyModel": models}


def _ok(response: httpx.Response, status: int = 200) -> httpx.Response:
    assert response.status_code == status, response.text
    return response


def _touch(client: httpx.Client, token: str, name: str) -> None:
    """A table, a row, the row read back, a saved query run (the reader role on PostgreSQL)."""
    headers = {"X-AccessToken": token}
    _ok(client.post("/api/v3/custom-tables/T", json=TABLE, headers=headers), 201)
    row = _rows((1, {"Name": name}))
    _ok(client.put("/api/v3/custom-tables/T/rows", json=row, headers=headers))
    read = _ok(client.get("/api/v3/custom-tables/T/row", params={"KeyValue": 1}, headers=headers))
    assert name in read.text
    _ok(client.post("/api/v3/queries", json=QUERY, headers=headers), 201)
    ran = _ok(client.get("/api/v3/queries/Names/execute", headers=headers))
    assert name in ran.text


def _touch_again(client: httpx.Client, token: str, name: str) -> None:
    """An evicted tenant: its row is there, a column added now is written and read, and the
    saved query sees the new column (a new table version: prepared and granted afresh)."""
    headers = {"X-AccessToken": token}
    read = _ok(client.get("/api/v3/custom-tables/T/row", params={"KeyValue": 1}, headers=headers))
    assert name in read.text
    score = {"ColumnName": "Score", "ColumnDataTypeId": 3}
    add = {**TABLE, "Columns": [*TABLE["Columns"], score]}  # type: ignore[list-item]
    _ok(client.post("/api/v3/custom-tables/T", json=add, headers=headers))
    rows = _rows((1, {"Name": name, "Score": 7}), (2, {"Name": "other", "Score": 8}))
    _ok(client.put("/api/v3/custom-tables/T/rows", json=rows, headers=headers))
    query = {**QUERY, "Sql": "SELECT Name, Score FROM [customtables].[T] WHERE Score = 7"}
    _ok(client.put("/api/v3/queries/Names", json=query, headers=headers))
    ran = _ok(client.get("/api/v3/queries/Names/execute", headers=headers)).json()
    assert [row["Name"] for row in ran["Rows"]] == [name]


def test_open_files_stay_bounded_and_closed_tenants_work_again(
    backend: Backend, tenant: TenantCtx
) -> None:
    root = issue_token(tenant.tenancy, None, "root", [], server_admin=True).token
    prefix = f"s{tenant.name[-6:]}"
    env = server_env(
        backend.settings.data_dir,
        backend.settings.database_url,
        CUSTOMTABLES_MAX_OPEN_TENANTS=str(OPEN_TENANTS),
        CUSTOMTABLES_ACCESS_LOG="false",
    )
    with live_server(env, timeout=120) as server, httpx.Client(
        base_url=server.base_url, timeout=60
    ) as client:
        pid = server.process.pid
        tokens: dict[str, str] = {}
        baseline = 0
        for i in range(TENANTS):
            name = f"{prefix}{i:03d}"
            made = client.post(
                "/api/admin/tenants", json={"Name": name, "AdminToken": True},
                headers={"X-AccessToken": root},
            )  # fmt: skip
            tokens[name] = _ok(made, 201).json()["AdminToken"]
            _touch(client, tokens[name], name)
            if i + 1 == OPEN_TENANTS:
                baseline = _open_files(pid)
        touched_all = _open_files(pid)
        for name, token in tokens.items():
            _touch_again(client, token, name)
        again = _open_files(pid)
    # every tenant kept open would hold ~3 files on SQLite (file, WAL, shared memory)
    assert touched_all <= baseline + 6, (baseline, touched_all)
    assert again <= baseline + 6, (baseline, again)


def test_space_missing_an_internal_table_is_completed_on_open(
    backend: Backend, tenant: TenantCtx
) -> None:
    """A space made before the saved-query table existed (an earlier release): the one-query
    check on open notices it, and the table is made before the tenant's first request."""
    tenancy = tenant.tenancy
    found = tenancy.get_tenant(tenant.name)
    space = tenancy.space(found)
    with space.write() as conn:
        conn.exec_driver_sql(f"DROP TABLE {_quoted(conn, space.schema)}._ct_queries")
    tenancy.forget(found)  # as a process that starts after the drop
    env = server_env(backend.settings.data_dir, backend.settings.database_url)
    with live_server(env, timeout=120) as server:
        headers = {"X-AccessToken": tenant.admin.token}
        with httpx.Client(base_url=server.base_url, headers=headers, timeout=60) as client:
            _ok(client.post("/api/v3/custom-tables/T", json=TABLE), 201)
            _ok(client.post("/api/v3/queries", json=QUERY), 201)
            _ok(client.get("/api/v3/queries/Names/execute"))
    with tenancy.space(found).read() as conn:
        names = sa.inspect(conn).get_table_names(schema=tenancy.space(found).schema)
    assert "_ct_queries" in names


def _quoted(conn: sa.Connection, schema: str) -> str:
    return conn.dialect.identifier_preparer.quote(schema)


def test_kept_alive_connection_answers_without_delayed_ack_stall(tmp_path: Path) -> None:
    """Twenty requests on one connection: with Nagle's algorithm on, each answer's body waited
    for the client's delayed ACK (>= 40 ms on Linux), 800 ms at the least; without it, a few ms
    each."""
    with live_server(server_env(tmp_path), timeout=120) as server, httpx.Client(
        base_url=server.base_url
    ) as client:
        _ok(client.get("/health"))  # the connection is open
        started = time.perf_counter()
        for _ in range(20):
            _ok(client.get("/health"))
        elapsed = time.perf_counter() - started
    assert elapsed < 0.8, f"20 kept-alive requests took {elapsed:.2f} s"
