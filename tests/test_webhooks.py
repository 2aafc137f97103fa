"""Webhooks and the change stream (SPEC §14, issue 19) on SQLite and PostgreSQL: HTTP in,
database out, a real HTTP receiver on loopback.

The app here has its own database (SQLite directory or fresh PostgreSQL database) with
CUSTOMTABLES_WEBHOOK_ALLOW_PRIVATE on (the receiver is on loopback) and a fast back-off, so no
other test's dispatcher (which refuses loopback) shares its deliveries. The refusal of private
addresses is tested on the suite's ordinary app, whose settings are the defaults.
"""

from __future__ import annotations

import dataclasses
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from litestar.testing import TestClient

from app.cli import bootstrap
from app.main import create_app
from app.settings import Settings
from app.tenancy import Tenancy
from ddl import webhooks
from tests.conftest import PG_ADMIN_URL, PRODUCT_CATALOG, Api, TenantCtx, new_tenant
from tests.pg import fresh_database
from tests.webhook_support import Receiver, receiver, verify

FAST = {
    "webhook_allow_private": True,
    "webhook_retry_base_seconds": 0.2,
    "webhook_poll_seconds": 0.05,
    "webhook_timeout_seconds": 3.0,
}


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def hooked(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[tuple[Tenancy, TestClient[Any]]]:  # fmt: skip
    data_dir: Path = tmp_path_factory.mktemp(f"hooks_{request.param}")

    def start(url: str) -> Iterator[tuple[Tenancy, TestClient[Any]]]:
        settings = Settings.from_env(data_dir=data_dir, database_url=url, **FAST)
        tenancy = Tenancy(settings)
        bootstrap(tenancy)
        with TestClient(create_app(settings, tenancy), raise_server_exceptions=False) as client:
            yield tenancy, client

    if request.param == "sqlite":
        yield from start("")
        return
    with fresh_database(PG_ADMIN_URL) as url:
        yield from start(url)


@pytest.fixture
def hook_tenant(hooked: tuple[Tenancy, TestClient[Any]]) -> TenantCtx:
    return new_tenant(*hooked)


@pytest.fixture
def sink() -> Iterator[Receiver]:
    with receiver() as state:
        yield state


def _subscribe(api: Api, url: str, **body: Any) -> dict[str, Any]:
    response = api.post("webhooks", json={"Url": url, **body})
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def _log(api: Api, hook_id: str, count: int) -> list[dict[str, Any]]:
    """The deliveries log once it has `count` attempts (recorded just after the answer)."""
    deadline = time.monotonic() + 10
    while True:
        log: list[dict[str, Any]] = api.get(f"webhooks/{hook_id}/deliveries").json()
        if len(log) >= count or time.monotonic() > deadline:
            return log
        time.sleep(0.05)


def _table(api: Api, name: str = "ProductCatalog") -> str:
    response = api.post(f"custom-tables/{name}", json=PRODUCT_CATALOG)
    assert response.status_code == 201, response.text
    return name


def _rows(count: int, start: int = 0) -> list[dict[str, Any]]:
    return [
        {
            "KeyValue": str(uuid.UUID(int=start + i + 1)),
            "Columns": [
                {"ColumnName": "Name", "Value": f"item {start + i}"},
                {"ColumnName": "Price", "Value": 39.99},
                {"ColumnName": "IsActive", "Value": True},
            ],
        }
        for i in range(count)
    ]


def _upsert(api: Api, table: str, rows: list[dict[str, Any]]) -> Any:
    return api.put(f"custom-tables/{table}/rows",
                   json={"OperationType": "UpsertMany", "UpsertManyModel": rows})  # fmt: skip


def test_upsert_of_100_rows_is_one_signed_event(hook_tenant: TenantCtx, sink: Receiver) -> None:
    api = hook_tenant.admin
    table = _table(api)
    hook = _subscribe(api, sink.url, Tables=["productcatalog"], Events=["rows.created"])
    assert hook["Secret"].startswith("whsec_")
    assert len(hook["Secret"]) > 30
    answer = _upsert(api, table, _rows(100))
    assert answer.status_code == 200, answer.text

    sink.wait_for(1)
    [got] = sink.requests
    assert verify(hook["Secret"], got.headers, got.body)
    assert not verify("another secret", got.headers, got.body)
    assert got.headers["content-type"] == "application/json"
    event = got.json
    assert event["Id"] == got.event_id
    assert event["Event"] == "rows.created"
    assert event["Table"] == "ProductCatalog"
    assert len(event["Rows"]) == 100
    assert event["Rows"][0] == {
        "KeyValue": str(uuid.UUID(int=1)),
        "Values": {"Name": "item 0", "Price": 39.99, "IsActive": True},
    }
    assert [r["KeyValue"] for r in event["Rows"]] == answer.json()["KeyValues"]
    deliveries = _log(api, hook["Id"], 1)
    assert [(d["EventId"], d["Attempt"], d["Status"], d["Outcome"]) for d in deliveries] == [
        (event["Id"], 1, 200, "delivered")
    ]


def test_a_rejected_batch_emits_nothing(hook_tenant: TenantCtx, sink: Receiver) -> None:
    api = hook_tenant.admin
    table = _table(api)
    _subscribe(api, sink.url)
    bad = _rows(3)
    bad[2]["Columns"][1]["Value"] = "not money"
    assert _upsert(api, table, bad).status_code == 400
    missing = api.put(f"custom-tables/{table}/rows", json={
        "OperationType": "Update", "UpdateModel": _rows(1, 50)[0]})  # fmt: skip
    assert missing.status_code == 404  # an Update of a row that is not there
    assert _upsert(api, table, _rows(2, 10)).status_code == 200

    sink.wait_for(1)
    stream = api.get(f"custom-tables/{table}/changes?StreamSeconds=0",
                     headers={"Last-Event-ID": "0"}).text  # fmt: skip
    assert stream.count("event: rows.created") == 1  # only the good batch
    assert [r["KeyValue"] for r in sink.requests[-1].json["Rows"]] == [
        str(uuid.UUID(int=11)), str(uuid.UUID(int=12))]  # fmt: skip


def test_retried_with_back_off_until_the_receiver_accepts(
    hook_tenant: TenantCtx, sink: Receiver
) -> None:
    api = hook_tenant.admin
    table = _table(api)
    sink.statuses = [500, 500, 200]
    hook = _subscribe(api, sink.url, Tables=[table])
    assert _upsert(api, table, _rows(1)).status_code == 200

    sink.wait_for(3)
    assert [r.status for r in sink.requests] == [500, 500, 200]
    assert len({r.event_id for r in sink.requests}) == 1
    assert all(verify(hook["Secret"], r.headers, r.body) for r in sink.requests)
    gaps = [b.at - a.at for a, b in zip(sink.requests, sink.requests[1:], strict=False)]
    assert gaps[0] >= 0.15
    assert gaps[1] >= 0.35
    log = _log(api, hook["Id"], 3)
    assert [(d["Attempt"], d["Status"], d["Outcome"]) for d in log] == [
        (3, 200, "delivered"), (2, 500, "retrying"), (1, 500, "retrying")]  # fmt: skip
    assert log[1]["Error"] == "the receiver answered 500"
    assert {d["EventId"] for d in log} == {sink.requests[0].event_id}


def test_events_in_order_per_table_and_filtered(hook_tenant: TenantCtx, sink: Receiver) -> None:
    api = hook_tenant.admin
    table = _table(api)
    _table(api, "Other")
    sink.delay = 0.02
    _subscribe(api, sink.url, Tables=[table], Events=["rows.updated", "rows.deleted"])
    for i in range(5):
        _upsert(api, table, _rows(1, i))  # created: not subscribed
        _upsert(api, "Other", _rows(1, i))  # another table: not subscribed
    for i in range(5):
        body = _rows(1, i)
        body[0]["Columns"] = [{"ColumnName": "Name", "Value": f"v{i}"}]
        assert _upsert(api, table, body).status_code == 200
    deleted = api.delete(f"custom-tables/{table}/rows", json={
        "OperationType": "DeleteMany",
        "DeleteManyModel": {"KeyValues": [str(uuid.UUID(int=1)), str(uuid.UUID(int=999))]}})
    assert deleted.json() == {"Deleted": 1}  # fmt: skip
    assert api.delete(f"custom-tables/{table}/rows",
                      json={"OperationType": "DeleteAll"}).status_code == 200  # fmt: skip

    sink.wait_for(7)
    events = [r.json for r in sink.requests]
    assert [e["Event"] for e in events] == ["rows.updated"] * 5 + ["rows.deleted"] * 2
    assert [e["Rows"][0]["Values"]["Name"] for e in events[:5]] == [f"v{i}" for i in range(5)]
    assert events[5]["Rows"] == [{"KeyValue": str(uuid.UUID(int=1))}]
    assert events[6]["All"] is True
    assert events[6]["Deleted"] == 4
    assert "Rows" not in events[6]


def test_a_backlog_goes_in_order_and_a_failure_holds_the_rest(
    hook_tenant: TenantCtx, sink: Receiver
) -> None:
    """Events that pile up behind a slow delivery are leased and sent as one run: in stream
    order, and when one of them is to be retried, the rest of the run waits for it."""
    api = hook_tenant.admin
    table = _table(api)
    hook = _subscribe(api, sink.url, Tables=[table])
    first_answer = threading.Event()
    sink.before_answer = lambda _record: first_answer.wait(5)  # the 1st holds the stream
    sink.statuses = [200, 200, 500, 200]  # the 3rd request fails once
    for i in range(10):
        assert _upsert(api, table, _rows(1, i)).status_code == 200
    first_answer.set()

    sink.wait_for(11)
    names = [r.json["Rows"][0]["Values"]["Name"] for r in sink.requests]
    assert names == ["item 0", "item 1", "item 2", *(f"item {i}" for i in range(2, 10))]
    assert [r.status for r in sink.requests[:4]] == [200, 200, 500, 200]
    assert all(verify(hook["Secret"], r.headers, r.body) for r in sink.requests)
    log = _log(api, hook["Id"], 11)
    assert len(log) == 11
    assert sorted(d["Outcome"] for d in log) == ["delivered"] * 10 + ["retrying"]
    assert len({d["EventId"] for d in log}) == 10


@contextmanager
def _dripping_receiver(seconds_per_byte: float) -> Iterator[str]:
    """A receiver that answers 200, one byte every `seconds_per_byte`: each read arrives well
    within httpx's read timeout, so only a limit on the whole attempt ends it."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                return
            with conn:
                conn.recv(65536)
                for byte in b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok":
                    if stop.is_set():
                        break
                    try:
                        conn.sendall(bytes([byte]))
                    except OSError:
                        break
                    time.sleep(seconds_per_byte)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}/hook"
    finally:
        stop.set()
        server.close()


def test_an_attempt_is_cut_at_its_time_limit_however_the_receiver_drips(
    hook_tenant: TenantCtx,
) -> None:
    """A receiver answering a byte every 0.3 s never trips a read timeout; the attempt (and
    so its lease and its delivery thread) is still cut at the 3 s limit and retried."""
    api = hook_tenant.admin
    table = _table(api)
    with _dripping_receiver(0.3) as url:
        hook = _subscribe(api, url, Tables=[table])
        assert _upsert(api, table, _rows(1)).status_code == 200
        log = _log(api, hook["Id"], 1)
        assert api.delete(f"webhooks/{hook['Id']}").status_code == 200
    assert log, "no attempt was logged"
    first = log[-1]
    assert (first["Attempt"], first["Outcome"], first["Status"]) == (1, "retrying", None)
    assert first["Error"] == "no answer within 3 s"
    assert 2900 <= first["DurationMs"] < 4500  # the whole answer would take 13 s


def test_a_name_whose_lookup_hangs_is_cut_within_the_attempts_time_limit(
    hooked: tuple[Tenancy, TestClient[Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A tenant can name hosts whose DNS servers never answer; the system resolver then
    waits many seconds. The lookup counts in the attempt's 3 s limit (the attempt ends at it
    and is retried); a webhook made with such a name is refused (400), not held; and a tenant
    has at most two names being looked up, so its hanging names cannot hold up another
    tenant's lookups (with one shared pool they did)."""

    real = socket.getaddrinfo
    hanging = threading.Event()

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        numeric_only = kwargs.get("flags", 0) & socket.AI_NUMERICHOST
        if str(host).endswith("hangs.example") and not numeric_only:
            if hanging.is_set():
                time.sleep(20)
            return real("127.0.0.1", *args, **kwargs)
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    mine, other = new_tenant(*hooked), new_tenant(*hooked)
    api = mine.admin
    table = _table(api)
    hook = _subscribe(api, "http://hangs.example:9/hook", Tables=[table])
    hanging.set()
    assert _upsert(api, table, _rows(1)).status_code == 200
    log = _log(api, hook["Id"], 1)
    assert log, "no attempt was logged"
    first = log[-1]
    assert (first["Attempt"], first["Outcome"], first["Status"]) == (1, "retrying", None)
    assert first["Error"] == "The host of Url 'hangs.example' could not be resolved within 3 s"
    assert 2900 <= first["DurationMs"] < 4500
    started = time.monotonic()
    refused = api.post("webhooks", json={"Url": "http://a.hangs.example/other"})
    assert refused.status_code == 400, refused.text
    assert "could not be resolved within 5 s" in refused.json()["Message"]
    assert time.monotonic() - started < 7
    for name in ("b", "c", "d"):  # two of this tenant's names are being looked up still
        started = time.monotonic()
        busy = api.post("webhooks", json={"Url": f"http://{name}.hangs.example/other"})
        assert busy.status_code == 400, busy.text
        assert "Too many host names are being looked up" in busy.json()["Message"]
        assert time.monotonic() - started < 2
    started = time.monotonic()
    theirs = other.admin.post("webhooks", json={"Url": "http://localhost:9/hook"})
    assert theirs.status_code == 201, theirs.text
    assert time.monotonic() - started < 3
    assert api.delete(f"webhooks/{hook['Id']}").status_code == 200
    assert other.admin.delete(f"webhooks/{theirs.json()['Id']}").status_code == 200


def test_change_stream_resumes_after_last_event_id(hook_tenant: TenantCtx) -> None:
    api = hook_tenant.admin
    table = _table(api)
    assert api.get(f"custom-tables/{table}/changes?StreamSeconds=0").text == "retry: 2000\n\n"
    _upsert(api, table, _rows(2))
    api.delete(f"custom-tables/{table}/rows", json={
        "OperationType": "DeleteWhere", "DeleteWhereModel": {"Where": "Name = 'item 0'"}})
    _upsert(api, table, _rows(1, 5))  # fmt: skip

    def frames(last: str) -> list[tuple[str, str, dict[str, Any]]]:
        import json

        text = api.get(f"custom-tables/{table}/changes?StreamSeconds=0",
                       headers={"Last-Event-ID": last}).text  # fmt: skip
        found = []
        for block in text.strip().split("\n\n")[1:]:
            lines = dict(line.split(": ", 1) for line in block.splitlines())
            found.append((lines["id"], lines["event"], json.loads(lines["data"])))
        return found

    everything = frames("0")
    assert [(i, e) for i, e, _ in everything] == [
        ("1", "table.created"), ("2", "rows.created"), ("3", "rows.deleted"),
        ("4", "rows.created")]  # fmt: skip
    assert everything[2][2]["Rows"] == [{"KeyValue": str(uuid.UUID(int=1))}]
    assert [i for i, _, _ in frames("2")] == ["3", "4"]
    assert frames("4") == []
    assert api.get(f"custom-tables/{table}/changes?StreamSeconds=0&LastEventId=3").text.count(
        "id: 4") == 1  # fmt: skip
    bad = api.get(f"custom-tables/{table}/changes", headers={"Last-Event-ID": "x';--"})
    assert bad.status_code == 400
    assert "Last-Event-ID" in bad.json()["Message"]
    assert api.get("custom-tables/Nope/changes?StreamSeconds=0").status_code == 404
    reader = hook_tenant.api("Clerk")
    api.put(f"custom-table-definitions/{_definition_id(api, table)}",
            json={"ReadRoles": ["Auditor"], "SaveRoles": []})  # fmt: skip
    assert reader.get(f"custom-tables/{table}/changes?StreamSeconds=0").status_code == 403


def _definition_id(api: Api, table: str) -> str:
    return api.get(f"custom-tables/{table}").json()["Id"]  # type: ignore[no-any-return]


def test_v1_rows_and_table_changes_are_events(hook_tenant: TenantCtx, sink: Receiver) -> None:
    api = hook_tenant.admin
    hook = _subscribe(api, sink.url)
    made = api.post("/api/v1/tables", json={"name": "Queue", "columns": []},
                    headers={"x-api-key": api.token})  # fmt: skip
    assert made.status_code in (200, 201), made.text
    table_id = made.json()["data"]["id"]
    v1 = {"x-api-key": api.token}
    row = api.post(f"/api/v1/tables/{table_id}/rows", json={"data": {"state": "open"}}, headers=v1)
    assert row.status_code in (200, 201), row.text
    _table(api, "Orders")
    assert api.delete("custom-tables/Orders").status_code == 200

    sink.wait_for(4)
    events = [r.json for r in sink.requests]
    by_table: dict[str, list[dict[str, Any]]] = {}
    for event in events:  # in order per table; tables among themselves in any order
        by_table.setdefault(event["Table"], []).append(event)
    assert [e["Event"] for e in by_table["Queue"]] == ["table.created", "rows.created"]
    assert [e["Event"] for e in by_table["Orders"]] == ["table.created", "table.deleted"]
    assert by_table["Queue"][1]["Rows"][0]["KeyValue"] == row.json()["data"]["id"]
    assert by_table["Queue"][1]["Rows"][0]["Values"]["data"] == {"state": "open"}
    assert all(verify(hook["Secret"], r.headers, r.body) for r in sink.requests)


def test_webhooks_api(hook_tenant: TenantCtx, sink: Receiver) -> None:
    api = hook_tenant.admin
    hook = _subscribe(api, sink.url, Secret="s" * 20, Events=["table.created"])
    assert hook["Secret"] == "s" * 20
    assert hook["Tables"] == []
    listed = api.get("webhooks").json()
    assert listed == [{k: v for k, v in hook.items() if k != "Secret"}]
    clerk = hook_tenant.api("Clerk")
    assert clerk.get("webhooks").status_code == 403
    assert clerk.post("webhooks", json={"Url": sink.url}).status_code == 403
    for body, word in [
        ({"Url": sink.url, "Events": ["rows.exploded"]}, "rows.exploded"),
        ({"Url": sink.url, "Secret": "short"}, "Secret"),
        ({"Url": "ftp://example.com/x"}, "http"),
        ({"Url": "not a url"}, "Url"),
        ({"Url": sink.url, "Extra": 1}, "Extra"),
        ({"Url": sink.url, "Tables": ["a\nb"]}, "Tables"),
    ]:
        refused = api.post("webhooks", json=body)
        assert refused.status_code == 400, (body, refused.text)
        assert word in refused.json()["Message"], refused.text
    assert api.get("webhooks/nope/deliveries").status_code == 404
    assert api.delete("webhooks/nope").status_code == 404
    assert api.delete(f"webhooks/{hook['Id']}").json() == {"Deleted": True}
    assert api.get("webhooks").json() == []
    actions = [e["Action"] for e in api.get("audit-logs").json()]
    assert actions[0] == "webhook.deleted"
    assert "webhook.created" in actions


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/hook",
        "http://localhost/hook",
        "http://10.1.2.3/hook",
        "http://192.168.0.1/",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "https://0.0.0.0/",
    ],
)
def test_private_addresses_are_refused_by_default(api: Api, url: str) -> None:
    refused = api.post("webhooks", json={"Url": url})
    assert refused.status_code == 400, refused.text
    assert "private, loopback or link-local" in refused.json()["Message"]
    assert api.get("webhooks").json() == []


def test_the_guard_checks_the_address_connected_to() -> None:
    """Delivery resolves again and connects to the checked address, never the name."""
    from app import webhook_guard

    url = webhook_guard.check_url("http://localhost:8123/x?y=1")
    with pytest.raises(webhook_guard.RefusedTarget):
        webhook_guard.resolve(url, allow_private=False, owner="t")
    target = webhook_guard.resolve(url, allow_private=True, owner="t")
    assert str(target.connect_url()).startswith(f"http://{target.address}:8123/x?y=1".replace(
        "::1", "[::1]"))  # fmt: skip
    assert target.host_header == "localhost:8123"


def test_settings_for_fast_tests_only() -> None:
    defaults = Settings()
    assert defaults.webhook_allow_private is False
    assert (defaults.webhook_retry_base_seconds, defaults.webhook_retry_cap_seconds,
            defaults.webhook_retry_hours, defaults.webhook_timeout_seconds) == (
        1.0, 600.0, 24.0, 10.0)  # fmt: skip
    assert dataclasses.replace(defaults, **FAST).webhook_allow_private is True


def test_a_dead_receiver_is_logged_and_never_slows_writes(hook_tenant: TenantCtx) -> None:

    api = hook_tenant.admin
    table = _table(api)
    with socket.socket() as closed:  # a port nothing listens on
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    hook = _subscribe(api, f"http://127.0.0.1:{port}/gone", Tables=[table])
    started = time.monotonic()
    for i in range(5):
        assert _upsert(api, table, _rows(1, i)).status_code == 200
    assert time.monotonic() - started < 5  # writes never wait for deliveries
    log = _log(api, hook["Id"], 2)
    assert log[0]["Status"] is None
    assert log[0]["Outcome"] == "retrying"
    assert log[0]["Error"] == "could not connect to the receiver"
    assert {d["EventId"] for d in log} == {log[-1]["EventId"]}  # the first event blocks its stream


def test_event_values_read_as_rows_values_does_for_every_type(api: Api) -> None:
    import json

    columns = [("Flag", 0), ("When", 1), ("Ratio", 2), ("Qty", 3), ("Price", 4), ("Code", 5),
               ("Name", 6), ("Notes", 7), ("Body", 8), ("Ref", 9), ("Title", 10), ("Blob", 12)]
    made = api.post("custom-tables/Typed", json={
        "KeyColumnName": "Id", "KeyDataTypeId": 9,
        "Columns": [{"ColumnName": n, "ColumnDataTypeId": t} for n, t in columns]
        + [{"ColumnName": "Sku", "ColumnDataTypeId": 11, "ColumnLength": 20}]})
    assert made.status_code == 201, made.text
    values = {"Flag": True, "When": "2024-03-01T08:30:00+02:00", "Ratio": 0.125, "Qty": 2**40,
              "Price": "1234.56789", "Code": "C", "Name": "Émile", "Notes": "ü", "Body": "a\nb",
              "Ref": "{A1B2C3D4-0000-0000-0000-000000000001}", "Title": "T", "Blob": "AAEC",
              "Sku": "SKU-1"}  # fmt: skip
    row = {"KeyValue": "A1B2C3D4-0000-0000-0000-0000000000FF",
           "Columns": [{"ColumnName": k, "Value": v} for k, v in values.items()]}
    assert _upsert(api, "Typed", [row]).status_code == 200
    stream = api.get("custom-tables/Typed/changes?StreamSeconds=0&LastEventId=0").text
    [event] = [json.loads(line[6:]) for line in stream.splitlines()
               if line.startswith("data: ") and "rows.created" in line]  # fmt: skip
    [flat] = api.get("custom-tables/Typed/rows/values?Format=flat").json()
    assert event["Rows"][0]["KeyValue"] == flat.pop("Id")
    assert event["Rows"][0]["Values"] == flat


def test_a_late_run_never_touches_leases_taken_after_its_own_ran_out(tenant: TenantCtx) -> None:
    """Each run leases under an owner of its own: a delivery thread that comes back after its
    leases ran out (a receiver that held it) can neither record its attempt nor give back
    the leases another run of the same process has taken since."""
    space = tenant.tenancy.space(tenant.tenancy.get_tenant(tenant.name))
    d = webhooks.deliveries.c
    with space.write() as conn:
        conn.execute(webhooks.deliveries.insert(), [
            {"webhook_id": "w", "event_id": f"e{seq}", "stream": "v3:t", "stream_seq": seq,
             "state": webhooks.PENDING, "attempts": 0, "created": 0.0, "next_at": 0.0}
            for seq in (1, 2, 3)])  # fmt: skip
    now = time.time()
    with space.write() as conn:
        (head_a,) = webhooks.claim_due(conn, "host:1:abc", now, 30, 10)
        run_a = webhooks.claim_run(conn, head_a, now, 30, 10)
    assert run_a is not None
    assert [c.stream_seq for c in [head_a, *run_a]] == [1, 2, 3]
    later = now + 60  # run A's leases ran out; the same process starts run B
    with space.write() as conn:
        (head_b,) = webhooks.claim_due(conn, "host:1:abc", later, 30, 10)
        run_b = webhooks.claim_run(conn, head_b, later, 30, 10)
    assert run_b is not None
    assert head_b.owner != head_a.owner
    assert [c.stream_seq for c in [head_b, *run_b]] == [1, 2, 3]

    delivered = webhooks.Attempt("e1", 1, 200, webhooks.DELIVERED, None, "t", 5)
    with space.write() as conn:  # run A comes back
        webhooks.finish(conn, [webhooks.Finished(head_a, delivered, None)])
        webhooks.release(conn, run_a)
        assert webhooks.claim_run(conn, head_a, later, 30, 10) is None  # its head is lost
    with space.read() as conn:
        rows = conn.execute(
            sa.select(d.state, d.lease_owner, d.attempts).order_by(d.stream_seq)
        ).all()
        logged = conn.execute(
            sa.select(sa.func.count()).select_from(webhooks.delivery_attempts)
        ).scalar_one()
    assert [tuple(row) for row in rows] == [(webhooks.PENDING, head_b.owner, 2)] * 3
    assert logged == 0
