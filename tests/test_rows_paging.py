"""Keyset paging of rows/values (SPEC §10): `Top` pages with `Link: rel="next"` and a signed
`After` cursor, stable while another client inserts, multi-column `OrderBy` with ties and
NULLs, `Count=true`, and forged cursors refused."""

from __future__ import annotations

import re
import threading
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.conftest import Api, TenantCtx
from tests.support import assert_error, column, create_table, upsert_rows

LINK = re.compile(r'^<([^>]+)>; rel="next"$')


def next_link(response: Any) -> str | None:
    header = response.headers.get("link")
    if header is None:
        return None
    match = LINK.match(header)
    assert match, header
    return match.group(1)


def pages(api: Api, table: str, **params: Any) -> list[list[dict[str, Any]]]:
    """Every page, following the Link headers from the first request."""
    response = api.get(f"custom-tables/{table}/rows/values", params=params)
    result = []
    while True:
        assert response.status_code == 200, response.text
        result.append(response.json())
        link = next_link(response)
        if link is None:
            return result
        response = api.get(link)


def test_paging_10000_rows_while_another_client_inserts(tenant: TenantCtx) -> None:
    api = tenant.admin
    create_table(api, "Big", key="Id", key_type=3, columns=[column("Name", 6)])
    start = [{"Id": 2 * i, "Name": f"n{i}"} for i in range(1, 10_001)]  # even keys
    upsert_rows(api, "Big", start, key="Id")
    writer = tenant.api("Admin", user="writer")
    done = threading.Event()
    inserted: list[int] = []

    def insert_between() -> None:  # odd keys land inside pages already read and still to come
        key = 1
        while not done.is_set() and key < 20_000:
            batch = [{"Id": k, "Name": "new"} for k in range(key, key + 200, 2)]
            upsert_rows(writer, "Big", batch, key="Id")
            inserted.extend(r["Id"] for r in batch)
            key += 397  # spread over the whole key range

    thread = threading.Thread(target=insert_between)
    thread.start()
    try:
        seen: list[int] = []
        response = api.get("custom-tables/Big/rows/values", params={"Top": 100, "Format": "flat"})
        count = 0
        while True:
            assert response.status_code == 200, response.text
            page = [row["Id"] for row in response.json()]
            assert len(page) >= 100 or next_link(response) is None
            seen.extend(page)
            count += 1
            link = next_link(response)
            if link is None:
                break
            assert parse_qs(urlsplit(link).query)["Format"] == ["flat"]
            response = api.get(link)
    finally:
        done.set()
        thread.join()
    assert inserted, "the writer inserted nothing while paging"
    assert len(seen) == len(set(seen)), "a row was seen twice"
    assert seen == sorted(seen), "pages are not in key order"
    assert {row["Id"] for row in start} <= set(seen), "a row present at the start was skipped"
    assert count >= 100


@pytest.fixture
def people(api: Api) -> list[dict[str, Any]]:
    create_table(
        api, "People", key="Id", key_type=3, columns=[column("Team", 5), column("Score", 4)]
    )
    teams = ["red", "blue", None, "green"]
    rows = [
        {"Id": i, "Team": teams[i % 4], "Score": None if i % 5 == 0 else (i * 7) % 6 + 0.5}
        for i in range(1, 61)
    ]
    upsert_rows(api, "People", rows, key="Id")
    return rows


def _ordered(rows: list[dict[str, Any]], *terms: tuple[str, bool]) -> list[int]:
    """The expected order: NULL lowest (first ascending, last descending), then the key."""
    result = sorted(rows, key=lambda r: r["Id"])
    for name, descending in reversed(terms):
        present = sorted(
            (r for r in result if r[name] is not None), key=lambda r: r[name], reverse=descending
        )
        missing = [r for r in result if r[name] is None]
        result = present + missing if descending else missing + present
    return [r["Id"] for r in result]


@pytest.mark.parametrize(
    ("order_by", "terms"),
    [
        ("Team, Score desc", [("Team", False), ("Score", True)]),
        ("Score desc, Team", [("Score", True), ("Team", False)]),
        ("team DESC,score", [("Team", True), ("Score", False)]),
        ("Score", [("Score", False)]),
        ("Id desc", [("Id", True)]),
    ],
)
@pytest.mark.parametrize("top", [1, 7, 100])
def test_multi_column_order_with_ties_pages_like_one_read(
    api: Api, people: list[dict[str, Any]], order_by: str, terms: list[tuple[str, bool]], top: int
) -> None:
    expected = _ordered(people, *terms)
    whole = api.get("custom-tables/People/rows/values", params={"OrderBy": order_by})
    assert [r["KeyValue"] for r in whole.json()] == expected
    assert next_link(whole) is None  # no Top: one answer, no next page
    got = pages(api, "People", OrderBy=order_by, Top=top, Format="flat")
    assert [row["Id"] for page in got for row in page] == expected
    assert all(len(page) == top for page in got[:-1])
    assert len(got) == -(-len(expected) // top)  # the last full page has no Link


def test_where_and_count_carry_over_pages(api: Api, people: list[dict[str, Any]]) -> None:
    matching = [r for r in people if r["Team"] in ("red", "blue")]
    expected = _ordered(matching, ("Score", True))
    response = api.get(
        "custom-tables/People/rows/values",
        params={
            "Where": "Team IN ('red', 'blue')",
            "OrderBy": "Score desc",
            "Top": 10,
            "Count": "true",
        },
    )
    seen = []
    while True:
        assert response.status_code == 200, response.text
        assert response.headers["x-total-count"] == str(len(matching))
        seen.extend(r["KeyValue"] for r in response.json())
        link = next_link(response)
        if link is None:
            break
        query = parse_qs(urlsplit(link).query)
        assert query["Where"] == ["Team IN ('red', 'blue')"]
        assert query["OrderBy"] == ["Score desc"]
        assert query["Top"] == ["10"]
        response = api.get(link)
    assert seen == expected


def test_count_without_paging_and_skip_still_works(api: Api, people: list[dict[str, Any]]) -> None:
    plain = api.get("custom-tables/People/rows/values", params={"Top": 5, "Skip": 10})
    assert [r["KeyValue"] for r in plain.json()] == list(range(11, 16))
    assert "x-total-count" not in plain.headers
    link = next_link(plain)
    assert link is not None
    assert "Skip" not in link
    assert [r["KeyValue"] for r in api.get(link).json()] == list(range(16, 21))
    counted = api.get(
        "custom-tables/People/rows/values", params={"Count": "true", "Where": "Id > 50"}
    )
    assert counted.headers["x-total-count"] == "10"
    assert len(counted.json()) == 10
    empty = api.get("custom-tables/People/rows/values", params={"Top": 0, "Count": "true"})
    assert empty.json() == []
    assert empty.headers["x-total-count"] == "60"
    assert next_link(empty) is None


def test_forged_or_misused_cursor_is_400(api: Api, people: list[dict[str, Any]]) -> None:
    first = api.get("custom-tables/People/rows/values", params={"Top": 5, "OrderBy": "Score"})
    link = next_link(first)
    assert link is not None
    cursor = parse_qs(urlsplit(link).query)["After"][0]
    body, signature = cursor.split(".")
    flipped = body[:-2] + ("A" if body[-2] != "A" else "B") + body[-1]
    for bad in (
        f"{flipped}.{signature}",
        f"{body}.{signature[::-1]}",
        "garbage",
        "a.b",
        "",
        "." * 9000,
        cursor + "x",
    ):
        response = api.get(
            "custom-tables/People/rows/values", params={"Top": 5, "OrderBy": "Score", "After": bad}
        )
        assert_error(response, 400, "After")
    other_order = api.get(
        "custom-tables/People/rows/values", params={"Top": 5, "OrderBy": "Team", "After": cursor}
    )
    assert_error(other_order, 400, "After was made for another OrderBy or Where")
    other_where = api.get(
        "custom-tables/People/rows/values",
        params={"Top": 5, "OrderBy": "Score", "Where": "Id > 1", "After": cursor},
    )
    assert_error(other_where, 400, "After")
    create_table(api, "Twin", key="Id", key_type=3, columns=[column("Team", 5), column("Score", 4)])
    other_table = api.get(
        "custom-tables/Twin/rows/values", params={"Top": 5, "OrderBy": "Score", "After": cursor}
    )
    assert_error(other_table, 400, "After")
    good = api.get(link)
    assert good.status_code == 200
    assert len(good.json()) == 5


def test_cursor_over_every_key_type(api: Api) -> None:
    """Dates, Money, UUIDs and strings in the cursor come back exactly (the page boundary is
    compared in the database's own form)."""
    create_table(
        api,
        "Mixed",
        key="Code",
        key_type=6,
        columns=[column("When", 1), column("Price", 4), column("Ref", 9), column("Raw", 12)],
    )
    rows = [
        {
            "Code": f"c{i:03d}",
            "When": None if i % 7 == 0 else f"2024-01-{1 + i % 3:02d}T10:00:00.{i:06d}Z",
            "Price": None if i % 6 == 0 else round(1000 / (1 + i % 4), 4),
            "Ref": f"00000000-0000-0000-0000-{i % 5:012d}",
            "Raw": "AAE=" if i % 2 else None,
        }
        for i in range(40)
    ]
    upsert_rows(api, "Mixed", rows, key="Code")
    for order_by in ("When desc, Price", "Price desc, Ref", "Ref, When", "Raw, When"):
        whole = api.get("custom-tables/Mixed/rows/values", params={"OrderBy": order_by})
        expected = [r["KeyValue"] for r in whole.json()]
        got = pages(api, "Mixed", OrderBy=order_by, Top=3)
        assert [r["KeyValue"] for page in got for r in page] == expected, order_by


def test_cursor_key_is_stored_once_for_every_process(
    api: Api, people: list[dict[str, Any]], backend: Any, tenancy: Any
) -> None:
    """Another process (here: the key cache emptied, and a second app with its own engines)
    accepts the cursor: the key lives in the metadata database, not in one process. A server
    configured with CUSTOMTABLES_CURSOR_SECRET signs with that instead."""
    import sqlalchemy as sa
    from litestar.testing import TestClient

    from app import cursors
    from app.main import create_app
    from app.metadata import secrets
    from app.settings import Settings
    from app.tenancy import Tenancy

    link = next_link(api.get("custom-tables/People/rows/values", params={"Top": 10}))
    assert link is not None
    with tenancy.meta.connect() as conn:
        stored = conn.execute(sa.select(secrets.c.name, secrets.c.value)).all()
    assert [row.name for row in stored] == ["cursor"]
    assert len(stored[0].value) == 64
    cursors._keys.clear()
    for settings, accepted in (
        (backend.settings, True),
        (
            Settings.from_env(
                data_dir=backend.settings.data_dir,
                database_url=backend.settings.database_url,
                cursor_secret="s3cret",
            ),
            False,
        ),
    ):
        other = Tenancy(settings)
        try:
            app = create_app(settings, other)
            with TestClient(app, raise_server_exceptions=False) as client:
                response = client.get(link, headers={"X-AccessToken": api.token})
        finally:
            other.dispose()
        if accepted:
            assert response.status_code == 200, response.text
            assert [r["KeyValue"] for r in response.json()] == list(range(11, 21))
        else:
            assert_error(response, 400, "After is not a valid cursor")
        cursors._keys.clear()


def test_a_text_key_pages(api: Api) -> None:
    """Every keyset term of a text key is a collated expression: the probe for a next page
    selected a literal from no table, and PostgreSQL answered every paged read with 500."""
    create_table(api, "Texts", key="K", key_type=6, columns=[column("V", 3)])
    upsert_rows(api, "Texts", [{"K": k, "V": i} for i, k in enumerate("baCd")], key="K")
    got = pages(api, "Texts", Top=1)
    assert [[row["KeyValue"] for row in page] for page in got] == [["a"], ["b"], ["C"], ["d"]]
    filtered = pages(api, "Texts", Top=2, Where="V < 3")
    assert [row["KeyValue"] for page in filtered for row in page] == ["a", "b", "C"]
