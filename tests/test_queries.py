"""Saved queries (SPEC §5) through HTTP on SQLite and PostgreSQL: definitions, the source's own
example, everyday T-SQL, parameters, case-insensitive names, and the namespace."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Api
from tests.support import upsert_rows as put_rows

EXAMPLE = (
    "SELECT Oid, Name, Price, IsActive\n"
    "FROM [customtables].[ProductCatalog]\n"
    "WHERE IsActive = 1\n"
    "ORDER BY Name"
)
A = "a1b2c3d4-0000-0000-0000-000000000001"
B = "a1b2c3d4-0000-0000-0000-000000000002"
C = "a1b2c3d4-0000-0000-0000-000000000003"


@pytest.fixture
def catalog_rows(api: Api, products: str) -> str:
    put_rows(
        api,
        products,
        [
            {"Oid": A, "Name": "Widget", "Price": 39.99, "IsActive": True},
            {"Oid": B, "Name": "Anvil", "Price": 120.5, "IsActive": True},
            {"Oid": C, "Name": "Gadget", "Price": 5, "IsActive": False},
        ],
    )
    return products


def save(api: Api, name: str, sql: str, **extra: Any) -> Any:
    return api.post("queries", json={"Name": name, "Namespace": "CustomTable", "Sql": sql, **extra})


def run(api: Api, query: str, **params: Any) -> Any:
    return api.post(f"queries/{query}/execute", json=params)


def test_source_example(api: Api, catalog_rows: str) -> None:
    saved = save(api, "ActiveProducts", EXAMPLE)
    assert saved.status_code == 201, saved.text
    body = saved.json()
    assert body["Name"] == "ActiveProducts"
    assert body["Namespace"] == "CustomTable"
    assert body["Dialect"] == "tsql"
    assert body["Sql"] == EXAMPLE
    response = api.get("queries/ActiveProducts/execute")
    assert response.status_code == 200, response.text
    assert response.json() == {
        "Columns": [
            {"Name": "Oid", "DataTypeId": 9},
            {"Name": "Name", "DataTypeId": 6},
            {"Name": "Price", "DataTypeId": 4},
            {"Name": "IsActive", "DataTypeId": 0},
        ],
        "Rows": [
            {"Oid": B, "Name": "Anvil", "Price": 120.5, "IsActive": True},
            {"Oid": A, "Name": "Widget", "Price": 39.99, "IsActive": True},
        ],
        "Truncated": False,
    }
    assert b'"Price":39.99' in response.content


ORDERS = {
    "KeyColumnName": "Id",
    "KeyDataTypeId": 3,
    "Columns": [
        {"ColumnName": "ProductOid", "ColumnDataTypeId": 9},
        {"ColumnName": "Qty", "ColumnDataTypeId": 3},
        {"ColumnName": "CreatedOn", "ColumnDataTypeId": 1},
        {"ColumnName": "Note", "ColumnDataTypeId": 7},
    ],
}


@pytest.fixture
def shop(api: Api, catalog_rows: str) -> Api:
    assert api.post("custom-tables/Orders", json=ORDERS).status_code == 201
    put_rows(
        api,
        "Orders",
        [
            {"Id": 1, "ProductOid": A, "Qty": 2, "CreatedOn": "2026-01-10T08:00:00Z", "Note": None},
            {"Id": 2, "ProductOid": A, "Qty": 1, "CreatedOn": "2026-02-01T09:30:00Z", "Note": "x"},
            {"Id": 3, "ProductOid": B, "Qty": 5, "CreatedOn": "2025-12-24T23:00:00Z", "Note": "y"},
        ],
        key="Id",
    )
    return api


TSQL_FORMS = [
    pytest.param(
        "SELECT TOP 2 Name FROM [customtables].[ProductCatalog] ORDER BY Price DESC",
        [{"Name": "Anvil"}, {"Name": "Widget"}],
        id="top",
    ),
    pytest.param(
        "SELECT ISNULL(o.Note, 'none') AS Note, LEN(p.Name) AS L FROM Orders o "
        "JOIN ProductCatalog p ON p.Oid = o.ProductOid ORDER BY o.Id",
        [{"Note": "none", "L": 6}, {"Note": "x", "L": 6}, {"Note": "y", "L": 5}],
        id="isnull-len-join",
    ),
    pytest.param(
        "SELECT [name] FROM [CUSTOMTABLES].[productcatalog] WHERE [isactive] = 0",
        [{"name": "Gadget"}],
        id="brackets-any-case",
    ),
    pytest.param(
        "SELECT name FROM customtable.PRODUCTCATALOG WHERE isActive <> 1 OR price > 100 "
        "ORDER BY NAME",
        [{"name": "Anvil"}, {"name": "Gadget"}],
        id="namespace-any-case",
    ),
    pytest.param(
        "WITH Totals AS (SELECT ProductOid, SUM(Qty) AS Units FROM Orders GROUP BY ProductOid) "
        "SELECT p.Name, t.Units, t.Units * p.Price AS Revenue FROM totals t "
        "INNER JOIN ProductCatalog p ON p.Oid = t.productoid ORDER BY t.UNITS DESC",
        [
            {"Name": "Anvil", "Units": 5, "Revenue": 602.5},
            {"Name": "Widget", "Units": 3, "Revenue": 119.97},
        ],
        id="cte-join-groupby",
    ),
    pytest.param(
        "SELECT Name, ROW_NUMBER() OVER (ORDER BY Price DESC) AS Rank FROM ProductCatalog "
        "ORDER BY Rank",
        [
            {"Name": "Anvil", "Rank": 1},
            {"Name": "Widget", "Rank": 2},
            {"Name": "Gadget", "Rank": 3},
        ],
        id="window",
    ),
    pytest.param(
        "SELECT SUM(Price) AS Total, COUNT(*) AS N, MAX(Price) AS Top FROM ProductCatalog",
        [{"Total": 165.49, "N": 3, "Top": 120.5}],
        id="money-aggregates",
    ),
    pytest.param(
        "SELECT Name FROM ProductCatalog WHERE Price > 10 AND Price < 100",
        [{"Name": "Widget"}],
        id="money-compared-as-number",
    ),
    pytest.param(
        "SELECT Id, CreatedOn FROM Orders WHERE CreatedOn >= '2026-01-01' ORDER BY CreatedOn",
        [
            {"Id": 1, "CreatedOn": "2026-01-10T08:00:00Z"},
            {"Id": 2, "CreatedOn": "2026-02-01T09:30:00Z"},
        ],
        id="dates",
    ),
    pytest.param(
        "SELECT Name FROM ProductCatalog WHERE IsActive = 1 "
        "UNION SELECT CAST(Qty AS NVARCHAR(10)) FROM Orders WHERE Qty > 4 ORDER BY 1",
        [{"Name": "5"}, {"Name": "Anvil"}, {"Name": "Widget"}],
        id="union",
    ),
    pytest.param(
        "SELECT Name, CASE WHEN IsActive = 1 THEN 'on' ELSE 'off' END AS State, "
        "IIF(Price > 100, 1, 0) AS Dear FROM ProductCatalog WHERE Name IN ('Anvil', 'Gadget') "
        "ORDER BY Name",
        [
            {"Name": "Anvil", "State": "on", "Dear": 1},
            {"Name": "Gadget", "State": "off", "Dear": 0},
        ],
        id="case-iif",
    ),
    pytest.param(
        "SELECT p.Name FROM ProductCatalog p WHERE EXISTS "
        "(SELECT 1 FROM Orders o WHERE o.ProductOid = p.Oid AND o.Qty > 1) ORDER BY p.Name",
        [{"Name": "Anvil"}, {"Name": "Widget"}],
        id="exists",
    ),
    pytest.param(
        "SELECT x.n FROM (SELECT Name AS N, Price FROM ProductCatalog) AS X WHERE x.price < 10",
        [{"n": "Gadget"}],
        id="derived-table-case",
    ),
    pytest.param(
        "SELECT Name + '!' AS Shout, CONVERT(NVARCHAR(10), Price) AS Text, LEFT(Name, 2) AS L, "
        "RIGHT(Name, 3) AS R, UPPER(Name) AS U FROM ProductCatalog WHERE Name = 'Anvil'",
        [{"Shout": "Anvil!", "Text": "120.5000", "L": "An", "R": "vil", "U": "ANVIL"}],
        id="strings",
    ),
    pytest.param(
        "SELECT YEAR(CreatedOn) AS Y, MONTH(CreatedOn) AS M, DAY(CreatedOn) AS D, "
        "DATEPART(hour, CreatedOn) AS H, DATEDIFF(day, '2026-01-01', CreatedOn) AS Days "
        "FROM Orders WHERE Id = 1",
        [{"Y": 2026, "M": 1, "D": 10, "H": 8, "Days": 9}],
        id="date-parts",
    ),
    pytest.param(
        "SELECT Name FROM ProductCatalog WITH (NOLOCK) "
        "WHERE Oid IN ('{A1B2C3D4-0000-0000-0000-000000000001}') "
        "OR Oid = 'A1B2C3D4-0000-0000-0000-000000000003' ORDER BY Name",
        [{"Name": "Gadget"}, {"Name": "Widget"}],
        id="uuid-literals-any-case-nolock",
    ),
    pytest.param(
        "SELECT Name FROM ProductCatalog ORDER BY Name OFFSET 1 ROWS FETCH NEXT 1 ROWS ONLY",
        [{"Name": "Gadget"}],
        id="offset-fetch",
    ),
    pytest.param(
        "WITH n AS (SELECT 1 AS i UNION ALL SELECT i + 1 FROM n WHERE i < 3) "
        "SELECT COUNT(*) AS c FROM n CROSS JOIN ProductCatalog",
        [{"c": 9}],
        id="recursive-cte",
    ),
]


@pytest.mark.parametrize(("sql", "expected"), TSQL_FORMS)
def test_tsql_forms(shop: Api, sql: str, expected: list[dict[str, Any]]) -> None:
    saved = save(shop, "Q", sql)
    assert saved.status_code == 201, saved.text
    response = run(shop, "Q")
    assert response.status_code == 200, response.text
    assert response.json()["Rows"] == expected


def test_getdate_and_types(shop: Api) -> None:
    sql = "SELECT GETDATE() AS Now, 1.5 * 2 AS F, NULL AS Nothing, Oid FROM ProductCatalog"
    assert save(shop, "Now", sql).status_code == 201
    body = run(shop, "Now").json()
    types = {c["Name"]: c["DataTypeId"] for c in body["Columns"]}
    assert types["Now"] == 1
    assert types["Oid"] == 9
    assert types["Nothing"] is None
    now = body["Rows"][0]["Now"]
    assert now.startswith("20")
    assert now.endswith("Z")
    assert "+" not in now


PRICED = (
    "SELECT Name FROM ProductCatalog WHERE Price > @MinPrice AND IsActive = @Active ORDER BY Name"
)
PRICED_PARAMS = [
    {"Name": "MinPrice", "DataTypeId": 4, "Default": 0},
    {"Name": "Active", "DataTypeId": 0, "Default": True},
]


def names(response: Any) -> list[str]:
    assert response.status_code == 200, response.text
    return [row["Name"] for row in response.json()["Rows"]]


def test_parameters_defaults_query_string_and_body(shop: Api) -> None:
    saved = save(shop, "Priced", PRICED, Parameters=PRICED_PARAMS)
    assert saved.status_code == 201, saved.text
    assert saved.json()["Parameters"] == [
        {"Name": "MinPrice", "DataTypeId": 4, "Default": 0},
        {"Name": "Active", "DataTypeId": 0, "Default": True},
    ]
    assert names(shop.get("queries/Priced/execute")) == ["Anvil", "Widget"]
    assert names(shop.get("queries/priced/execute?minprice=50")) == ["Anvil"]
    assert names(shop.get("queries/Priced/execute?MinPrice=39.99")) == ["Anvil"]
    assert names(shop.get("queries/Priced/execute?MinPrice=39.98")) == ["Anvil", "Widget"]
    assert names(shop.get("queries/Priced/execute?Active=false")) == ["Gadget"]
    assert names(run(shop, "Priced", MinPrice=100.25, Active=1)) == ["Anvil"]
    assert names(run(shop, "Priced", **{"@active": False})) == ["Gadget"]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"MinPrice": "cheap"}, "@MinPrice"),
        ({"Active": "maybe"}, "@Active"),
        ({"Nope": 1}, "Unknown parameter 'Nope'"),
    ],
)
def test_parameter_values_are_checked(shop: Api, params: dict[str, Any], message: str) -> None:
    assert save(shop, "Priced", PRICED, Parameters=PRICED_PARAMS).status_code == 201
    response = run(shop, "Priced", **params)
    assert response.status_code == 400, response.text
    assert message in response.json()["Message"]


def test_required_parameter_and_typed_parameters(shop: Api) -> None:
    sql = (
        "SELECT TOP (@n) o.Id FROM Orders o WHERE o.ProductOid = @product "
        "AND o.CreatedOn >= @since ORDER BY o.Id"
    )
    declared = [
        {"Name": "n", "DataTypeId": 3, "Default": 10},
        {"Name": "product", "DataTypeId": 9, "Required": True},
        {"Name": "since", "DataTypeId": 1, "Default": "2000-01-01"},
    ]
    assert save(shop, "ByProduct", sql, Parameters=declared).status_code == 201
    missing = run(shop, "ByProduct")
    assert missing.status_code == 400
    assert missing.json()["Message"] == "Parameter @product is required"
    rows = run(shop, "ByProduct", product=A.upper()).json()["Rows"]
    assert rows == [{"Id": 1}, {"Id": 2}]
    assert run(shop, "ByProduct", product=A, n=1).json()["Rows"] == [{"Id": 1}]
    since = run(shop, "ByProduct", product="{" + A + "}", since="2026-01-15T00:00:00+01:00")
    assert since.json()["Rows"] == [{"Id": 2}]
    bad = run(shop, "ByProduct", product="not-a-uuid")
    assert bad.status_code == 400
    assert "@product" in bad.json()["Message"]


@pytest.mark.parametrize(
    "value",
    [
        "x' OR '1'='1",
        "Widget' OR 1=1 --",
        "Widget'; DELETE FROM [customtables].[ProductCatalog]; --",
        "') UNION SELECT token_hash FROM ct_tokens --",
    ],
)
def test_injection_through_a_parameter_matches_nothing(shop: Api, value: str) -> None:
    sql = "SELECT Name FROM ProductCatalog WHERE Name = @name"
    declared = [{"Name": "name", "DataTypeId": 7}]
    assert save(shop, "ByName", sql, Parameters=declared).status_code == 201
    assert names(run(shop, "ByName", name="Widget")) == ["Widget"]
    assert names(run(shop, "ByName", name=value)) == []
    assert names(shop.get("queries/ByName/execute", params={"name": value})) == []
    assert len(shop.get("custom-tables/ProductCatalog/rows/values").json()) == 3


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ([], "Parameter @x is used in the SQL but not declared"),
        ([{"Name": "x", "DataTypeId": 99}], "DataTypeId of parameter @x"),
        ([{"Name": "x", "DataTypeId": 3, "Default": "ten"}], "Parameter @x (Integer)"),
        ([{"Name": "x", "DataTypeId": 3}, {"Name": "X", "DataTypeId": 3}], "declared twice"),
        ([{"Name": "x-y", "DataTypeId": 3}], "Invalid parameter name"),
    ],
)
def test_parameter_declarations_are_checked(
    shop: Api, params: list[dict[str, Any]], message: str
) -> None:
    response = save(
        shop, "P", "SELECT Name FROM ProductCatalog WHERE Price > @x", Parameters=params
    )
    assert response.status_code == 400, response.text
    assert message in response.json()["Message"]
    assert shop.get("queries/P").status_code == 404
