"""Several server processes on one database see each other's schema changes on the very next
request (DESIGN invariant 6): definitions are versioned in the catalog, not kept in memory."""

from __future__ import annotations

import httpx

from tests.conftest import Backend, TenantCtx
from tests.live import live_server, server_env


def test_two_processes_see_each_others_schema_changes(backend: Backend, tenant: TenantCtx) -> None:
    env = server_env(backend.settings.data_dir, backend.settings.database_url)
    headers = {"X-AccessToken": tenant.admin.token}
    with live_server(env) as one, live_server(env) as two:
        a = httpx.Client(base_url=f"{one.base_url}/api/v3", headers=headers)
        b = httpx.Client(base_url=f"{two.base_url}/api/v3", headers=headers)
        created = a.post(
            "/custom-tables/Shared",
            json={
                "KeyColumnName": "Id",
                "KeyDataTypeId": 3,
                "Columns": [{"ColumnName": "Name", "ColumnDataTypeId": 6}],
            },
        )
        assert created.status_code == 201, created.text
        row = {
            "OperationType": "UpsertMany",
            "UpsertManyModel": [
                {"KeyValue": 1, "Columns": [{"ColumnName": "Name", "Value": "one"}]}
            ],
        }
        assert b.put("/custom-tables/Shared/rows", json=row).status_code == 200
        # b has now prepared (cached) the one-column definition; a adds a column ...
        added = a.post(
            "/custom-tables/Shared",
            json={
                "KeyColumnName": "Id",
                "KeyDataTypeId": 3,
                "Columns": [{"ColumnName": "Price", "ColumnDataTypeId": 4}],
            },
        )
        assert added.status_code == 200, added.text
        # ... and b's very next request writes it.
        row = {
            "OperationType": "Update",
            "UpdateModel": {"KeyValue": 1, "Columns": [{"ColumnName": "Price", "Value": 9.5}]},
        }
        written = b.put("/custom-tables/Shared/rows", json=row)
        assert written.status_code == 200, written.text
        assert written.json()["Updated"] == 1
        flat = a.get("/custom-tables/Shared/rows/values", params={"Format": "flat"}).json()
        assert flat == [{"Id": 1, "Name": "one", "Price": 9.5}]
        # and a drop through b is seen by a at once.
        assert b.delete("/custom-tables/Shared").status_code == 200
        assert a.get("/custom-tables/Shared").status_code == 404
