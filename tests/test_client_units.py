"""customtables.client decisions that a live server cannot provoke on demand, checked on an
in-process httpx transport (in addition to tests/test_client.py, which runs everything against
the real server): which calls are resent after a connection error, where a `Link` may lead,
how `Retry-After` is read, and how error answers become exceptions. Also: mypy --strict."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from email.utils import format_datetime
from pathlib import Path

import httpx
import pytest

from customtables.client import (
    Client,
    CustomTablesError,
    NotFound,
    RateLimited,
    ServerError,
    TransportError,
    ValidationError,
)

BASE = "http://ct.test"
DEFINITION = {
    "KeyColumnName": "Id",
    "KeyDataTypeId": 3,
    "Columns": [{"ColumnName": "N", "ColumnDataTypeId": 4}],
}
Handler = Callable[[httpx.Request], httpx.Response]


def client_on(handler: Handler, **options: float) -> Client:
    http = httpx.Client(base_url=BASE, transport=httpx.MockTransport(handler))
    return Client(BASE, "ct_token", http=http, retry_backoff=0.01, **options)  # type: ignore[arg-type]


def refusing(seen: list[httpx.Request]) -> Handler:
    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        raise httpx.ConnectError("refused", request=request)

    return handle


@pytest.mark.parametrize(
    ("call", "attempts"),
    [
        (lambda c: c.tables(), 4),  # GET
        (lambda c: c.table("T").delete_all(), 4),  # DELETE
        (lambda c: c.query("Q", n=1), 4),  # POST, but a read
        (lambda c: c.create_table("T", columns={"N": 3}), 4),  # POST, a no-op when repeated
        (lambda c: c.v1.create_row("t", {"a": 1}), 1),  # POST: would add a second row
        (lambda c: c.v1.update_row("t", "r", {"a": 1}), 1),  # PATCH
    ],
)
def test_connection_errors_are_retried_for_idempotent_calls_only(
    call: Callable[[Client], object], attempts: int
) -> None:
    seen: list[httpx.Request] = []
    with client_on(refusing(seen)) as client, pytest.raises(TransportError) as caught:
        call(client)
    assert len(seen) == attempts
    assert caught.value.status == 0
    assert "ConnectError" in caught.value.message


def pages(links: list[str | None]) -> tuple[Handler, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if not request.url.path.endswith("/rows/values"):
            return httpx.Response(200, json=DEFINITION)
        index = len([r for r in seen if r.url.path.endswith("/rows/values")]) - 1
        link = links[index]
        headers = {"Link": f'<{link}>; rel="next"'} if link else {}
        return httpx.Response(200, json=[{"Id": index, "N": 1.5}], headers=headers)

    return handle, seen


def test_get_all_follows_absolute_and_relative_links_and_stops_without_one() -> None:
    handler, seen = pages([f"{BASE}/api/v3/custom-tables/T/rows/values?After=a", "?After=b", None])
    with client_on(handler) as client:
        rows = list(client.table("T").get_all(page_size=1))
    assert rows == [{"Id": 0, "N": 1.5}, {"Id": 1, "N": 1.5}, {"Id": 2, "N": 1.5}]
    assert isinstance(rows[0]["N"], Decimal)
    assert [r.url.params.get("After") for r in seen[1:]] == [None, "a", "b"]
    assert all(r.headers["X-AccessToken"] == "ct_token" for r in seen)


def test_a_link_to_another_host_is_refused_before_the_token_goes_there() -> None:
    handler, seen = pages(["http://elsewhere.test/steal?After=x", None])
    with client_on(handler) as client, pytest.raises(CustomTablesError, match="leaves the server"):
        list(client.table("T").get_all(page_size=1))
    assert {r.url.host for r in seen} == {"ct.test"}


def test_a_link_to_the_same_page_is_refused() -> None:
    here = f"{BASE}/api/v3/custom-tables/T/rows/values?After=a"
    handler, _ = pages([here, here, here])
    with client_on(handler) as client, pytest.raises(CustomTablesError, match="repeats"):
        list(client.table("T").get_all(page_size=1))


def limited(retry_after: str, seen: list[float]) -> Handler:
    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(time.monotonic())
        if len(seen) == 1:
            body = {"Code": "RATE_LIMITED", "Message": "Rate limit exceeded"}
            return httpx.Response(429, json=body, headers={"Retry-After": retry_after})
        return httpx.Response(200, json=[])

    return handle


def test_retry_after_as_an_http_date_is_waited_out() -> None:
    seen: list[float] = []
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=2), usegmt=True)
    with client_on(limited(when, seen)) as client:
        assert client.tables() == []
    assert len(seen) == 2
    assert seen[1] - seen[0] >= 0.5  # the date has whole seconds: at least part of them waited


def test_a_retry_after_past_the_longest_wait_raises_at_once() -> None:
    seen: list[float] = []
    client = client_on(limited("3600", seen), max_retry_wait=5)
    with client, pytest.raises(RateLimited) as caught:
        client.tables()
    assert len(seen) == 1
    assert caught.value.retry_after == 3600


def answering(status: int, body: bytes, content_type: str = "application/json") -> Handler:
    return lambda request: httpx.Response(
        status, content=body, headers={"Content-Type": content_type}
    )


def test_error_answers_become_typed_exceptions() -> None:
    with (
        client_on(
            answering(
                400,
                b'{"Code": "VALIDATION_ERROR", "Message": "Line 3, column '
                b"'Price': expected a number\"}",
            )
        ) as client,
        pytest.raises(ValidationError) as csv_error,
    ):
        client.tables()
    assert (csv_error.value.line, csv_error.value.row, csv_error.value.column) == (3, None, "Price")
    client = client_on(answering(502, b"<html>bad gateway</html>", "text/html"))
    with client, pytest.raises(ServerError) as gateway:
        client.tables()
    assert (gateway.value.status, gateway.value.code) == (502, "ERROR")
    v1_body = b'{"success": false, "error": {"code": "NOT_FOUND", "message": "No table"}}'
    with client_on(answering(404, v1_body)) as client, pytest.raises(NotFound) as missing:
        client.v1.table("x")
    assert (missing.value.code, missing.value.message, str(missing.value)) == (
        "NOT_FOUND",
        "No table",
        "NOT_FOUND: No table",
    )


def test_the_client_package_is_mypy_strict_clean() -> None:
    root = Path(__file__).resolve().parent.parent
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "customtables/"],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert (root / "customtables" / "py.typed").exists()


def test_a_server_that_never_answers_times_out_as_told() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        url = f"http://127.0.0.1:{listener.getsockname()[1]}"
        started = time.monotonic()
        client = Client(url, "ct_token", timeout=0.3, retries=0)
        with client, pytest.raises(TransportError, match="ReadTimeout"):
            client.tables()
        assert time.monotonic() - started < 5
