"""A saved query's run reads the definitions of the tables its last run read in the same round
trip as the query itself (queries/service._first_reads). Only which tables to read comes from
memory, never what they are: a table dropped, made again with other columns, a query edited to
read another table, or a v1 table named by its sqlName all answer on the very next run as a
first run would."""

from __future__ import annotations

from typing import Any

from tests.conftest import Api, TenantCtx
from tests.support import assert_error, column, create_table, row, upsert_ok
from tests.test_v1_queries import INVOICES, MIN_PARAM, new_invoices

KEY = "a1b2c3d4-0000-0000-0000-000000000001"


def _save(api: Api, name: str, sql: str, method: str = "post") -> None:
    body = {"Name": name, "Namespace": "CustomTable", "Sql": sql}
    path = "queries" if method == "post" else f"queries/{name}"
    response = getattr(api, method)(path, json=body)
    assert response.status_code in (200, 201), response.text


def _rows(response: Any) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.text
    return list(response.json()["Rows"])


def _table(api: Api, name: str, value_column: str, type_id: int, value: Any) -> None:
    create_table(api, name, "Oid", 9, columns=[column(value_column, type_id)])
    upsert_ok(api, name, [row(KEY, **{value_column: value})])


def test_a_table_made_again_with_other_columns_is_read_afresh(tenant: TenantCtx) -> None:
    api = tenant.admin
    _table(api, "Shelf", "Label", 5, "old")
    _save(api, "All", "SELECT * FROM [customtables].[Shelf]")
    assert _rows(api.get("queries/All/execute")) == [{"Oid": KEY, "Label": "old"}]
    assert _rows(api.get("queries/All/execute")) == [{"Oid": KEY, "Label": "old"}]
    assert api.delete("custom-tables/Shelf").status_code == 200
    assert_error(api.get("queries/All/execute"), 400, "does not exist")
    _table(api, "Shelf", "Count", 3, 7)
    assert _rows(api.get("queries/All/execute")) == [{"Oid": KEY, "Count": 7}]


def test_a_query_edited_to_read_another_table(tenant: TenantCtx) -> None:
    api = tenant.admin
    _table(api, "First", "Label", 5, "from first")
    _table(api, "Second", "Label", 5, "from second")
    _save(api, "Which", "SELECT Label FROM [customtables].[First]")
    assert _rows(api.get("queries/Which/execute")) == [{"Label": "from first"}]
    _save(api, "Which", "SELECT Label FROM [customtables].[Second]", method="put")
    assert _rows(api.get("queries/Which/execute")) == [{"Label": "from second"}]
    assert api.delete("custom-tables/First").status_code == 200  # the first run's table
    assert _rows(api.get("queries/Which/execute")) == [{"Label": "from second"}]


def test_a_v1_table_is_found_on_every_run(tenant: TenantCtx) -> None:
    new_invoices(tenant, (150, 9900))
    api = tenant.admin
    response = api.post(
        "queries",
        json={
            "Name": "Big",
            "Namespace": "CustomTable",
            "Sql": INVOICES,
            "Parameters": MIN_PARAM,
        },
    )
    assert response.status_code == 201, response.text
    for _ in range(3):
        found = _rows(api.post("queries/Big/execute", json={"min": 1000}))
        assert found == [{"InvoiceId": "in_9900", "Cents": 9900}]


def test_the_same_query_name_in_two_tenants(tenant: TenantCtx, other_tenant: TenantCtx) -> None:
    sql = "SELECT Label FROM [customtables].[Shelf]"
    _table(tenant.admin, "Shelf", "Label", 5, "mine")
    _table(other_tenant.admin, "Shelf", "Label", 5, "theirs")
    _save(tenant.admin, "Same", sql)
    _save(other_tenant.admin, "Same", sql)
    for _ in range(2):
        assert _rows(tenant.admin.get("queries/Same/execute")) == [{"Label": "mine"}]
        assert _rows(other_tenant.admin.get("queries/Same/execute")) == [{"Label": "theirs"}]


def test_a_query_reading_two_tables_gets_each_ones_definition(tenant: TenantCtx) -> None:
    """Two remembered tables' definitions were read in one statement binding one parameter
    name twice: on PostgreSQL both took the last table's name, so the second run compiled
    'First' as 'Second' (wrong rows, or a 400 naming a column that is there)."""
    api = tenant.admin
    _table(api, "First", "Label", 5, "from first")
    _table(api, "Second", "Label", 5, "from second")
    _table(api, "Third", "Count", 3, 7)
    _save(
        api,
        "Both",
        "SELECT f.Label AS F, s.Label AS S FROM [customtables].[First] f"
        " JOIN [customtables].[Second] s ON f.Oid = s.Oid",
    )
    _save(
        api,
        "Mixed",
        "SELECT f.Label, t.Count FROM [customtables].[First] f"
        " JOIN [customtables].[Third] t ON f.Oid = t.Oid",
    )
    for _ in range(3):
        both = _rows(api.get("queries/Both/execute"))
        assert both == [{"F": "from first", "S": "from second"}]
        assert _rows(api.get("queries/Mixed/execute")) == [{"Label": "from first", "Count": 7}]
