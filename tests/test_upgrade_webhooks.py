"""Upgrade to migration 0004_webhooks (issue 19): tenants and tables written by the first
release (bb1b843) get the outbox, webhooks and deliveries when this build opens their space;
a webhook made on an old tenant receives a signed event for a write to an old table, and the
table's change stream works."""

from __future__ import annotations

import json

import httpx

from tests.live import live_server
from tests.upgrade_support import ok, old_cli, old_server
from tests.webhook_support import receiver, verify

TABLE = {"KeyColumnName": "Id", "KeyDataTypeId": 3,
         "Columns": [{"ColumnName": "State", "ColumnDataTypeId": 6}]}  # fmt: skip


def _upsert(key: int, state: str) -> dict[str, object]:
    return {"OperationType": "UpsertMany", "UpsertManyModel": [
        {"KeyValue": key, "Columns": [{"ColumnName": "State", "Value": state}]}]}  # fmt: skip


def test_webhooks_on_tenants_of_the_first_release(data_env: dict[str, str]) -> None:
    env = {**data_env, "CUSTOMTABLES_WEBHOOK_ALLOW_PRIVATE": "true",
           "CUSTOMTABLES_WEBHOOK_POLL_SECONDS": "0.1"}  # fmt: skip
    old_cli(env, "tenant", "create", "acme")  # first start: migrates, makes tenant default
    acme = old_cli(env, "token", "create", "--tenant", "acme", "--user", "ann", "--role",
                   "Admin").strip().splitlines()[-1]  # fmt: skip
    with old_server(env) as old:
        headers = {"X-AccessToken": acme}
        ok(httpx.post(f"{old.base_url}/api/v3/custom-tables/Queue", json=TABLE,
                      headers=headers), 201)  # fmt: skip
        ok(httpx.put(f"{old.base_url}/api/v3/custom-tables/Queue/rows", json=_upsert(1, "open"),
                     headers=headers))  # fmt: skip

    with receiver() as sink, live_server(env, timeout=120) as new:
        headers = {"X-AccessToken": acme}
        hook = ok(httpx.post(f"{new.base_url}/api/v3/webhooks", json={"Url": sink.url},
                             headers=headers, timeout=10), 201)  # fmt: skip
        ok(httpx.put(f"{new.base_url}/api/v3/custom-tables/Queue/rows",
                     json=_upsert(1, "resolved"), headers=headers))  # fmt: skip
        sink.wait_for(1, timeout=30)
        [got] = sink.requests
        assert verify(hook["Secret"], got.headers, got.body)
        assert got.json["Event"] == "rows.updated"
        assert got.json["Rows"] == [{"KeyValue": 1, "Values": {"State": "resolved"}}]
        stream = httpx.get(f"{new.base_url}/api/v3/custom-tables/Queue/changes",
                           params={"StreamSeconds": "0", "LastEventId": "0"},
                           headers=headers).text  # fmt: skip
        data = [json.loads(line[6:]) for line in stream.splitlines() if line.startswith("data:")]
        assert [e["Id"] for e in data] == [got.event_id]  # the old release wrote no events
        rows = ok(httpx.get(f"{new.base_url}/api/v3/custom-tables/Queue/rows/values",
                            params={"Format": "flat"}, headers=headers))  # fmt: skip
        assert rows == [{"Id": 1, "State": "resolved"}]
