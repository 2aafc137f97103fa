"""The Studio's Webhooks tab in a real browser (Chromium through Playwright), on SQLite and
PostgreSQL: an Admin subscribes a URL to a table, sees the signing secret once, sees the
deliveries (a failed attempt and its retry) after a write, and deletes the webhook.

The server is its own process on its own data (the receiver is on loopback, so this server
allows private addresses; the suite's other servers keep the default that refuses them)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.live import LiveServer, live_server
from tests.studio.support import sign_in
from tests.webhook_support import Receiver, receiver

FAST = {
    "CUSTOMTABLES_WEBHOOK_ALLOW_PRIVATE": "true",
    "CUSTOMTABLES_WEBHOOK_RETRY_BASE_SECONDS": "0.2",
    "CUSTOMTABLES_WEBHOOK_POLL_SECONDS": "0.1",
    "CUSTOMTABLES_LOG_LEVEL": "WARNING",
}


@pytest.fixture
def hooked_studio(data_env: dict[str, str]) -> Iterator[tuple[LiveServer, str]]:
    with live_server({**data_env, **FAST}, timeout=60) as server:
        assert server.first_token
        yield server, server.first_token


@pytest.fixture
def sink() -> Iterator[Receiver]:
    with receiver() as state:
        yield state


def test_a_tables_webhooks_and_their_deliveries(
    page: Any, hooked_studio: tuple[LiveServer, str], sink: Receiver
) -> None:
    server, token = hooked_studio
    headers = {"X-AccessToken": token}
    base = f"{server.base_url}/api/v3"
    made = httpx.post(f"{base}/custom-tables/Queue", headers=headers, json={
        "KeyColumnName": "Id", "KeyDataTypeId": 3,
        "Columns": [{"ColumnName": "State", "ColumnDataTypeId": 6}]})  # fmt: skip
    assert made.status_code == 201, made.text
    sink.statuses = [500, 200]

    sign_in(page, server, token, "#/tables/Queue/webhooks")
    expect(page.get_by_text("No webhook receives this table's events.")).to_be_visible()
    page.get_by_label("URL").fill(sink.url)
    page.get_by_role("checkbox", name="table.updated").check()
    page.get_by_role("button", name="Add webhook").click()
    expect(page.get_by_role("status").filter(has_text="Signing secret")).to_contain_text("whsec_")
    card = page.locator("article.webhook")
    expect(card).to_have_count(1)
    expect(card).to_contain_text(sink.url)
    expect(card).to_contain_text("rows.created, rows.updated, rows.deleted, table.updated")

    [hook] = httpx.get(f"{base}/webhooks", headers=headers).json()
    assert hook["Tables"] == ["Queue"]
    assert "Secret" not in hook
    row = {"KeyValue": 1, "Columns": [{"ColumnName": "State", "Value": "open"}]}
    written = httpx.put(f"{base}/custom-tables/Queue/rows", headers=headers,
                        json={"OperationType": "UpsertMany", "UpsertManyModel": [row]})
    assert written.status_code == 200, written.text
    sink.wait_for(2, timeout=30)

    page.get_by_role("button", name="Refresh deliveries").click()
    deliveries = page.get_by_role("table", name=f"Recent deliveries to {sink.url}")
    expect(deliveries.locator("tbody tr")).to_have_count(2)
    expect(deliveries.locator("tbody tr").nth(0)).to_contain_text("delivered")
    expect(deliveries.locator("tbody tr").nth(0)).to_contain_text("200")
    expect(deliveries.locator("tbody tr").nth(1)).to_contain_text("retrying")
    expect(deliveries.locator("tbody tr").nth(1)).to_contain_text("the receiver answered 500")

    card.get_by_role("button", name="Delete").click()
    page.locator("#confirm-ok").click()
    expect(page.get_by_text("No webhook receives this table's events.")).to_be_visible()
    assert httpx.get(f"{base}/webhooks", headers=headers).json() == []
