"""A v1 table read by SQL as a saved query would read it: T-SQL with JSON_VALUE, translated by
sqlglot for the backend, run on the tenant's space. (The saved-query API itself lives in
`queries/`; this proves the table layout and the JSON translation it relies on.)"""

from __future__ import annotations

import sqlglot
from sqlglot import exp

from ddl.v1 import sqljson
from tests.conftest import TenantCtx
from tests.v1_support import BOTH, create_row, create_table, v1_api

TSQL = """
SELECT JSON_VALUE(data, '$.stripeInvoiceId') AS invoice,
       CAST(JSON_VALUE(data, '$.amountCents') AS INT) AS cents,
       JSON_VALUE(data, '$.customer.id') AS customer,
       JSON_VALUE(data, '$.lines[1].sku') AS second_sku
FROM [customtables].[Processed_Invoices]
WHERE CAST(JSON_VALUE(data, '$.amountCents') AS INT) >= @min
ORDER BY cents
"""


def _render(space_schema: str, dialect: str) -> str:
    tree = sqlglot.parse_one(TSQL, read="tsql")
    for table in tree.find_all(exp.Table):  # the planner's namespace rewrite, in miniature
        table.set("db", exp.to_identifier(space_schema))
    for parameter in list(tree.find_all(exp.Parameter)):  # @min → the driver's named style
        parameter.replace(exp.Placeholder(this=parameter.name))
    if dialect == "postgresql":
        tree = sqljson.for_postgresql(tree)
    return tree.sql(dialect="postgres" if dialect == "postgresql" else dialect)


def test_tsql_json_value_reads_a_v1_table(tenant: TenantCtx) -> None:
    api = v1_api(tenant, *BOTH)
    table = create_table(api, name="Processed Invoices")
    for cents, customer in ((9900, "cus_1"), (150, "cus_2"), (20000, "cus_3")):
        create_row(
            api,
            table["id"],
            {
                "stripeInvoiceId": f"in_{cents}",
                "amountCents": cents,
                "customer": {"id": customer},
                "lines": [{"sku": "a"}, {"sku": f"sku_{cents}"}],
            },
        )
    space = tenant.tenancy.space(tenant.tenancy.get_tenant(tenant.name))
    sql = _render(space.schema, space.backend.name)
    with space.read() as conn:
        rows = conn.exec_driver_sql(sql, {"min": 1000}).all()  # :min / %(min)s per driver
    assert [tuple(row) for row in rows] == [
        ("in_9900", 9900, "cus_1", "sku_9900"),
        ("in_20000", 20000, "cus_3", "sku_20000"),
    ]


def test_postgresql_rewrite_only_touches_plain_paths() -> None:
    tree = sqlglot.parse_one("SELECT JSON_VALUE(data, '$.a.b[2]') FROM t", read="tsql")
    assert sqljson.for_postgresql(tree).sql("postgres") == (
        "SELECT CASE JSONB_TYPEOF(JSONB_EXTRACT_PATH(data, 'a', 'b', '2')) "
        "WHEN 'object' THEN NULL WHEN 'array' THEN NULL "
        "ELSE JSONB_EXTRACT_PATH_TEXT(data, 'a', 'b', '2') END FROM t"
    )
