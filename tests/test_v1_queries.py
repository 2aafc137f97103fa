"""Saved queries over v1 tables (issue 6), through HTTP on SQLite and PostgreSQL: a v1 table is
named by its sqlName (any case), its `data` read with T-SQL's JSON_VALUE and JSON_QUERY, joined
with v3 tables, out of reach from other tenants, and followed through rename, drop and
re-create."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import Api, TenantCtx
from tests.v1_support import BOTH, CREATE_TABLE_BODY, create_row, ok, raw_json, v1_api

INVOICES = (
    "SELECT JSON_VALUE(data, '$.stripeInvoiceId') AS InvoiceId, "
    "CAST(JSON_VALUE(data, '$.amountCents') AS INT) AS Cents "
    "FROM [customtables].[Processed_Invoices] "
    "WHERE CAST(JSON_VALUE(data, '$.amountCents') AS INT) > @min ORDER BY Cents"
)
MIN_PARAM = [{"Name": "min", "DataTypeId": 3, "Default": 0}]
MISSING = "Custom table '{}' does not exist in the CustomTable namespace"


def save(api: Api, name: str, sql: str, **extra: Any) -> Any:
    return api.post("queries", json={"Name": name, "Namespace": "CustomTable", "Sql": sql, **extra})


def rows(response: Any) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.text
    return list(response.json()["Rows"])


def new_invoices(tenant: TenantCtx, amounts: tuple[int, ...] = (9900, 150, 20000, 1200)) -> str:
    """The source document's table, through the v1 API, with one invoice per amount."""
    v1 = v1_api(tenant, *BOTH)
    table = ok(v1.post("/api/v1/tables", **raw_json(CREATE_TABLE_BODY)), 201)
    assert table["sqlName"] == "Processed_Invoices"
    for cents in amounts:
        create_row(v1, table["id"], {"stripeInvoiceId": f"in_{cents}", "amountCents": cents})
    return str(table["id"])


@pytest.fixture
def invoices(tenant: TenantCtx) -> str:
    return new_invoices(tenant)


def test_the_documents_table_read_by_a_saved_query_with_a_parameter(
    tenant: TenantCtx, invoices: str
) -> None:
    api = tenant.admin
    saved = save(api, "BigInvoices", INVOICES, Parameters=MIN_PARAM)
    assert saved.status_code == 201, saved.text
    response = api.post("queries/BigInvoices/execute", json={"min": 1000})
    assert response.status_code == 200, response.text
    assert response.json() == {
        "Columns": [{"Name": "InvoiceId", "DataTypeId": 7}, {"Name": "Cents", "DataTypeId": 3}],
        "Rows": [
            {"InvoiceId": "in_1200", "Cents": 1200},
            {"InvoiceId": "in_9900", "Cents": 9900},
            {"InvoiceId": "in_20000", "Cents": 20000},
        ],
        "Truncated": False,
    }
    assert rows(api.get("queries/BigInvoices/execute?min=10000")) == [
        {"InvoiceId": "in_20000", "Cents": 20000}
    ]
    # v1 tables carry no v3 ReadRoles: any user of the tenant may run the Admin's query.
    plain = tenant.api(user="clerk")
    assert [r["Cents"] for r in rows(plain.get("queries/BigInvoices/execute"))] == [
        150, 1200, 9900, 20000,
    ]  # fmt: skip


def test_names_are_case_insensitive_and_the_fixed_columns_are_typed(
    tenant: TenantCtx, invoices: str
) -> None:
    api = tenant.admin
    listed = ok(v1_api(tenant, *BOTH).get(f"/api/v1/tables/{invoices}/rows"))
    sql = (
        "select ID, Data, POSITION, createdat, UpdatedAt, "
        "json_value(DATA, '$.stripeInvoiceId') invoice "
        "from [CustomTable].[processed_INVOICES] where Json_Value(data, '$.amountCents') = 150"
    )
    assert save(api, "Raw", sql).status_code == 201
    response = api.get("queries/raw/execute")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["Columns"] == [
        {"Name": "ID", "DataTypeId": 7},
        {"Name": "Data", "DataTypeId": 7},
        {"Name": "POSITION", "DataTypeId": 2},
        {"Name": "createdat", "DataTypeId": 1},
        {"Name": "UpdatedAt", "DataTypeId": 1},
        {"Name": "invoice", "DataTypeId": 7},
    ]
    [row] = body["Rows"]
    [source] = [r for r in listed if r["data"]["amountCents"] == 150]
    assert row["ID"] == source["id"]
    assert json.loads(row["Data"]) == {"stripeInvoiceId": "in_150", "amountCents": 150}
    assert row["POSITION"] == source["position"]
    # Dates as every saved query returns them (microseconds); the v1 API shows milliseconds.
    assert row["createdat"].startswith(source["createdAt"][:23])
    assert row["UpdatedAt"].startswith(source["updatedAt"][:23])
    assert row["createdat"].endswith("Z")
    assert row["invoice"] == "in_150"


def test_json_value_and_json_query_keep_t_sql_meaning(tenant: TenantCtx) -> None:
    v1 = v1_api(tenant, *BOTH)
    table = ok(v1.post("/api/v1/tables", **raw_json(CREATE_TABLE_BODY)), 201)
    data = {
        "stripeInvoiceId": "in_1",
        "amountCents": 9900,
        "paid": True,
        "customer": {"id": "cus_1", "name": "Ada"},
        "lines": [{"sku": "a"}, {"sku": "b"}],
    }
    create_row(v1, table["id"], data)
    sql = (
        "SELECT JSON_VALUE(data, '$.customer.id') AS CustomerId, "
        "JSON_VALUE(data, '$.lines[1].sku') AS SecondSku, "
        "JSON_VALUE(data, '$.amountCents') AS CentsText, "
        "JSON_VALUE(data, '$.paid') AS Paid, "
        "JSON_VALUE(data, '$.customer') AS ObjectValue, "
        "JSON_VALUE(data, '$.nope') AS Missing, "
        "JSON_QUERY(data, '$.customer') AS Customer, "
        "JSON_QUERY(data, '$.lines') AS Lines, "
        "JSON_QUERY(data, '$.stripeInvoiceId') AS ScalarQuery "
        "FROM Processed_Invoices WHERE JSON_VALUE(data, '$.customer.name') = 'Ada'"
    )
    api = tenant.admin
    assert save(api, "Json", sql).status_code == 201
    [row] = rows(api.get("queries/Json/execute"))
    assert json.loads(row.pop("Customer")) == data["customer"]
    assert json.loads(row.pop("Lines")) == data["lines"]
    assert row == {
        "CustomerId": "cus_1",
        "SecondSku": "b",
        "CentsText": "9900",
        "Paid": "true",
        "ObjectValue": None,
        "Missing": None,
        "ScalarQuery": None,
    }


def test_a_join_between_a_v1_table_and_a_v3_table(tenant: TenantCtx, invoices: str) -> None:
    api = tenant.admin
    customers = {
        "KeyColumnName": "InvoiceId",
        "KeyDataTypeId": 6,
        "Columns": [{"ColumnName": "Customer", "ColumnDataTypeId": 6}],
    }
    assert api.post("custom-tables/Customers", json=customers).status_code == 201
    body = {
        "OperationType": "UpsertMany",
        "UpsertManyModel": [
            {"KeyValue": key, "Columns": [{"ColumnName": "Customer", "Value": who}]}
            for key, who in (("in_9900", "Ada"), ("in_150", "Bob"), ("in_1200", "Ada"))
        ],
    }
    assert api.put("custom-tables/Customers/rows", json=body).status_code == 200
    sql = (
        "SELECT c.Customer, SUM(CAST(JSON_VALUE(p.data, '$.amountCents') AS INT)) AS Total "
        "FROM [customtables].[Processed_Invoices] p "
        "JOIN [customtables].[Customers] c "
        "ON c.InvoiceId = JSON_VALUE(p.data, '$.stripeInvoiceId') "
        "GROUP BY c.Customer ORDER BY c.Customer"
    )
    saved = save(api, "PerCustomer", sql)
    assert saved.status_code == 201, saved.text
    assert rows(api.get("queries/PerCustomer/execute")) == [
        {"Customer": "Ada", "Total": 11100},
        {"Customer": "Bob", "Total": 150},
    ]


def test_another_tenants_v1_table_is_out_of_reach(
    tenant: TenantCtx, other_tenant: TenantCtx
) -> None:
    new_invoices(other_tenant)
    theirs = other_tenant.admin
    assert save(theirs, "Mine", INVOICES, Parameters=MIN_PARAM).status_code == 201
    assert len(rows(theirs.get("queries/Mine/execute"))) == 4
    api = tenant.admin
    for sql in (INVOICES, "SELECT data FROM processed_invoices", "SELECT data FROM Nothing_Here"):
        response = save(api, "Steal", sql, Parameters=MIN_PARAM if "@min" in sql else [])
        assert response.status_code == 400, response.text
        name = "Nothing_Here" if "Nothing" in sql else sql.split("FROM ")[1].split()[0]
        name = name.replace("[customtables].", "").strip("[]")
        assert response.json()["Message"] == MISSING.format(name)
    # Nor is the v1 catalog itself, which names every v1 table of the tenant.
    response = save(api, "Steal", "SELECT sql_name FROM [customtables].[_ct_v1_tables]")
    assert response.status_code == 400
    assert response.json()["Message"] == MISSING.format("_ct_v1_tables")
    schema = tenant.tenancy.get_tenant(other_tenant.name).schema_name
    response = save(api, "Steal", f"SELECT data FROM [{schema}].[Processed_Invoices]")
    assert response.status_code == 400
    assert "outside the CustomTable namespace" in response.json()["Message"]


def test_rename_keeps_the_query_working_drop_names_the_table_and_recreate_is_seen(
    tenant: TenantCtx, invoices: str
) -> None:
    api, v1 = tenant.admin, v1_api(tenant, *BOTH)
    assert save(api, "BigInvoices", INVOICES, Parameters=MIN_PARAM).status_code == 201
    cents = [r["Cents"] for r in rows(api.get("queries/BigInvoices/execute?min=1000"))]
    assert cents == [1200, 9900, 20000]

    renamed = ok(v1.patch(f"/api/v1/tables/{invoices}", json={"name": "Stripe Invoices"}))
    assert (renamed["name"], renamed["sqlName"]) == ("Stripe Invoices", "Processed_Invoices")
    create_row(v1, invoices, {"stripeInvoiceId": "in_5000", "amountCents": 5000})
    cents = [r["Cents"] for r in rows(api.get("queries/BigInvoices/execute?min=1000"))]
    assert cents == [1200, 5000, 9900, 20000]

    ok(v1.delete(f"/api/v1/tables/{invoices}"))
    response = api.get("queries/BigInvoices/execute?min=1000")
    assert response.status_code == 400, response.text
    assert response.json()["Message"] == MISSING.format("Processed_Invoices")

    # A new table takes the freed sqlName: the query reads it, not a stale plan or grant.
    new_invoices(tenant, amounts=(3000, 70))
    assert rows(api.get("queries/BigInvoices/execute?min=1000")) == [
        {"InvoiceId": "in_3000", "Cents": 3000}
    ]


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT JSON_VALUE(data, @path) FROM Processed_Invoices",
        "SELECT JSON_VALUE(data, '$.lines[*].sku') FROM Processed_Invoices",
        "SELECT JSON_VALUE(data, 'strict $.amountCents') FROM Processed_Invoices",
    ],
)
def test_json_paths_must_be_plain_literals(tenant: TenantCtx, invoices: str, sql: str) -> None:
    params = [{"Name": "path", "DataTypeId": 7}] if "@path" in sql else []
    response = save(tenant.admin, "Paths", sql, Parameters=params)
    assert response.status_code == 400, response.text
    assert "JSON path in a saved query is a literal" in response.json()["Message"]


def test_json_value_reads_json_text_of_a_v3_column(tenant: TenantCtx) -> None:
    api = tenant.admin
    events = {
        "KeyColumnName": "Id",
        "KeyDataTypeId": 3,
        "Columns": [{"ColumnName": "Payload", "ColumnDataTypeId": 7}],
    }
    assert api.post("custom-tables/Events", json=events).status_code == 201
    body = {
        "OperationType": "UpsertMany",
        "UpsertManyModel": [
            {"KeyValue": key, "Columns": [{"ColumnName": "Payload", "Value": payload}]}
            for key, payload in ((1, '{"kind": "paid", "n": 3}'), (2, '{"kind": "void"}'))
        ],
    }
    assert api.put("custom-tables/Events/rows", json=body).status_code == 200
    sql = (
        "SELECT Id, JSON_VALUE(Payload, '$.kind') AS Kind FROM Events "
        "WHERE JSON_VALUE(Payload, '$.n') >= 3"
    )
    assert save(api, "Paid", sql).status_code == 201
    assert rows(api.get("queries/Paid/execute")) == [{"Id": 1, "Kind": "paid"}]
