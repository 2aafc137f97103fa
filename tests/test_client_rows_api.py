"""customtables.client on the rows API of SPEC §10 (`Where`, several `OrderBy` columns, keyset
paging by the server's own `Link` headers, CSV export and import, `DeleteWhere`), against a live
server on SQLite and PostgreSQL, sync and async. These need the §10 server features."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from customtables.client import AsyncClient, Client, ValidationError
from tests.client_support import Live, serve, stored_keys
from tests.conftest import Backend

NAMES = ["apple", "Banana", "cherry", "Apple", "banana", "date"]


@pytest.fixture(scope="module")
def live(backend: Backend) -> Iterator[Live]:
    with serve(backend) as server:
        yield server


@pytest.fixture
def tenant(live: Live) -> tuple[str, str]:
    return live.tenant()


def catalog_rows(count: int) -> list[dict[str, Any]]:
    return [
        {
            "Id": i,
            "Name": f"{NAMES[i % len(NAMES)]}{i % 7}",
            "Price": Decimal(i % 50) + Decimal("0.5"),
        }
        for i in range(count)
    ]


def recording(url: str, seen: list[httpx.URL]) -> httpx.Client:
    def note(response: httpx.Response) -> None:
        seen.append(response.request.url)

    return httpx.Client(base_url=url, event_hooks={"response": [note]})


def pages_read(seen: list[httpx.URL]) -> list[httpx.URL]:
    return [url for url in seen if url.path.endswith("/rows/values")]


def test_get_all_follows_the_servers_link_through_many_pages(live: Live, tenant: Any) -> None:
    seen: list[httpx.URL] = []
    with Client(live.url, tenant[1], http=recording(live.url, seen)) as client:
        table = client.create_table(
            "Catalog", key="Id", key_type=3, columns={"Name": 6, "Price": 4}
        )
        rows = catalog_rows(2_345)
        table.save_many(rows)
        seen.clear()
        assert list(table.get_all(page_size=500)) == rows
    pages = pages_read(seen)
    assert len(pages) == 5  # 4 full pages with a Link, then the last with none
    assert all("After" in url.params and "Skip" not in url.params for url in pages[1:])
    assert all(url.params["Top"] == "500" and url.params["Format"] == "flat" for url in pages)


def test_get_all_where_keeps_the_filter_on_every_page(live: Live, tenant: Any) -> None:
    seen: list[httpx.URL] = []
    with Client(live.url, tenant[1], http=recording(live.url, seen)) as client:
        table = client.create_table(
            "Catalog", key="Id", key_type=3, columns={"Name": 6, "Price": 4}
        )
        rows = catalog_rows(1_000)
        table.save_many(rows)
        seen.clear()
        got = list(table.get_all(where="Price > 10 AND Name LIKE 'a%'", page_size=40))
    expected = [r for r in rows if r["Price"] > 10 and r["Name"].lower().startswith("a")]
    assert got == expected
    assert len(pages_read(seen)) > 3
    assert all(url.params["Where"] == "Price > 10 AND Name LIKE 'a%'" for url in pages_read(seen))


def test_get_all_orders_by_two_columns_with_the_key_breaking_ties(client_table: Any) -> None:
    table, rows = client_table
    got = list(table.get_all(order_by=["Name", "Price desc"], page_size=33))
    assert got == sorted(rows, key=lambda r: (r["Name"].casefold(), -r["Price"], r["Id"]))
    same = list(table.get_all(order_by="Name, Price desc", page_size=1000))
    assert same == got


@pytest.fixture
def client_table(live: Live, tenant: Any) -> Iterator[tuple[Any, list[dict[str, Any]]]]:
    """A table whose names differ only in case or not at all, so the order needs every column
    (`Name` compares case-insensitively as on SQL Server)."""
    with Client(live.url, tenant[1]) as client:
        table = client.create_table(
            "Catalog", key="Id", key_type=3, columns={"Name": 6, "Price": 4}
        )
        rows = [
            {"Id": i, "Name": ["pear", "Pear", "apple"][i % 3], "Price": Decimal(i % 4)}
            for i in range(200)
        ]
        table.save_many(rows)
        yield table, rows


def test_delete_where_and_export_where(live: Live, tenant: Any, tmp_path: Path) -> None:
    with Client(live.url, tenant[1]) as client:
        table = client.create_table(
            "Catalog", key="Id", key_type=3, columns={"Name": 6, "Price": 4}
        )
        rows = catalog_rows(300)
        table.save_many(rows)
        assert table.delete_where("Price < 10.5") == sum(
            1 for r in rows if r["Price"] < Decimal("10.5")
        )
        kept = [r for r in rows if r["Price"] >= Decimal("10.5")]
        assert sorted(map(int, stored_keys(live, tenant[0], "Catalog"))) == [r["Id"] for r in kept]
        path = table.export(tmp_path / "cheap.csv", format="csv", where="Price < 20")
        lines = path.read_text().splitlines()
        assert lines[0].split(",")[:3] == ["Id", "Name", "Price"]
        assert len(lines) == 1 + sum(1 for r in kept if r["Price"] < 20)
        with pytest.raises(ValidationError):
            table.delete_where("Price >")


def test_csv_export_and_import_round_trip(live: Live, tenant: Any, tmp_path: Path) -> None:
    with Client(live.url, tenant[1]) as client:
        table = client.create_table(
            "Catalog", key="Id", key_type=3, columns={"Name": 6, "Price": 4, "Note": 7}
        )
        rows = [{**row, "Note": None if row["Id"] % 3 else ""} for row in catalog_rows(250)]
        table.save_many(rows)
        path = table.export(tmp_path / "catalog.csv", format="csv")
        assert path.read_text().splitlines()[0] == "Id,Name,Price,Note"
        copy = client.table("CatalogCopy")
        answer = copy.import_(path, key="Id", types={"Id": 3, "Name": 6, "Price": 4, "Note": 7})
        assert (answer["Created"], answer["Inserted"]) == (True, 250)
        assert list(copy.get_all()) == rows  # NULL and "" both survive the round trip
        assert copy.definition()["KeyColumnName"] == "Id"
        bad = tmp_path / "bad.csv"
        bad.write_text("Id,Name,Price\n1,ok,1.5\n2,bad,lots\n")
        with pytest.raises(ValidationError) as caught:
            copy.import_(bad)
        assert (caught.value.line, caught.value.column) == (3, "Price")
        assert list(copy.get_all()) == rows  # the failed import wrote nothing


def test_async_where_order_by_and_csv(live: Live, tenant: Any, tmp_path: Path) -> None:
    async def run() -> None:
        async with AsyncClient(live.url, tenant[1]) as client:
            table = await client.create_table(
                "Catalog", key="Id", key_type=3, columns={"Name": 6, "Price": 4}
            )
            rows = catalog_rows(700)
            await table.save_many(rows)
            got = [
                row
                async for row in table.get_all(
                    where="Price >= 40", order_by=["Price desc", "Name"], page_size=25
                )
            ]
            expected = sorted(
                (r for r in rows if r["Price"] >= 40),
                key=lambda r: (-r["Price"], r["Name"].casefold(), r["Id"]),
            )
            assert got == expected
            path = await table.export(tmp_path / "c.csv", format="csv")
            answer = await client.table("Copy").import_(path, key="Id", types={"Id": 3, "Price": 4})
            assert answer["Inserted"] == 700
            assert [row async for row in client.table("Copy").get_all(page_size=300)] == rows

    asyncio.run(run())
