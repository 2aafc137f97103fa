"""Upgrade to SQL Server's collation (SPEC §5.1, §8): tenant spaces made by the first release
have no collation of ours. Text written and saved queries stored by that release must, after
this build starts on the same data, answer in the collation's order and case-insensitively,
and on PostgreSQL every tenant schema (the default one and another tenant's) gets its ICU
collation the first time this build opens it."""

from __future__ import annotations

import httpx
import sqlalchemy as sa

from tests.live import live_server
from tests.upgrade_support import ok as _ok
from tests.upgrade_support import old_cli, old_server

NAMES = {1: "Zed", 2: "apple", 3: "Émile", 4: "banana", 5: "co-op", 6: "cooking", 7: None,
         8: "APPLE", 9: "emile"}  # fmt: skip
# SQL Server's order (tests/test_collation.py says how it is derived); apple/APPLE tie on case.
ORDERED = [None, "apple", "APPLE", "banana", "cooking", "co-op", "emile", "Émile", "Zed"]
QUERIES = [
    ("Ordered", "SELECT Name FROM [customtables].[Names] ORDER BY Name, Id"),
    ("Apples", "SELECT Id FROM Names WHERE Name = 'Apple' ORDER BY Id"),
    ("Counted", "SELECT COUNT(DISTINCT Name) AS N FROM Names"),
]


def _names_table(client: httpx.Client) -> None:
    _ok(client.post("/custom-tables/Names", json={
        "KeyColumnName": "Id", "KeyDataTypeId": 3,
        "Columns": [{"ColumnName": "Name", "ColumnDataTypeId": 6}],
    }), 201)  # fmt: skip
    rows = [{"KeyValue": k, "Columns": [{"ColumnName": "Name", "Value": v}]}
            for k, v in NAMES.items()]  # fmt: skip
    _ok(client.put("/custom-tables/Names/rows", json={
        "OperationType": "UpsertMany", "UpsertManyModel": rows}))  # fmt: skip


def _write_with_old_release(env: dict[str, str]) -> tuple[str, str]:
    with old_server(env) as server:
        admin = server.first_token
        assert admin
        v3 = httpx.Client(
            base_url=f"{server.base_url}/api/v3", headers={"X-AccessToken": admin}, timeout=30
        )
        with v3:
            _names_table(v3)
            for name, sql in QUERIES:
                _ok(v3.post("/queries", json={
                    "Name": name, "Namespace": "CustomTable", "Sql": sql}), 201)  # fmt: skip
            old = _ok(v3.get("/queries/Ordered/execute"))
            assert [r["Name"] for r in old["Rows"]] != ORDERED  # code-point order before
        old_cli(env, "tenant", "create", "acme")
        acme = old_cli(env, "token", "create", "--tenant", "acme", "--user", "u", "--role", "Admin")
        acme = acme.strip().splitlines()[-1]
        other = httpx.Client(
            base_url=f"{server.base_url}/api/v3", headers={"X-AccessToken": acme}, timeout=30
        )
        with other:
            _names_table(other)
    return admin, acme


def _collation_schemas(url: str) -> set[str]:
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as conn:
            rows = conn.exec_driver_sql(
                "SELECT n.nspname FROM pg_collation c JOIN pg_namespace n "
                "ON n.oid = c.collnamespace WHERE c.collname = 'ct_ci_as'"
            )
            return {row[0] for row in rows}
    finally:
        engine.dispose()


def test_old_spaces_answer_in_the_collation_after_upgrade(data_env: dict[str, str]) -> None:
    admin, acme = _write_with_old_release(data_env)
    url = data_env.get("CUSTOMTABLES_DATABASE_URL", "")
    if url:
        assert _collation_schemas(url) == set()  # the first release made none
    with live_server(data_env, timeout=120) as server:
        for token in (admin, acme):
            v3 = httpx.Client(
                base_url=f"{server.base_url}/api/v3", headers={"X-AccessToken": token}, timeout=30
            )
            with v3:
                rows = _ok(v3.get("/custom-tables/Names/rows/values", params={
                    "Format": "flat", "OrderBy": "Name"}))  # fmt: skip
                assert [r["Name"] for r in rows] == ORDERED
                if token != admin:
                    continue
                ordered = _ok(v3.get("/queries/Ordered/execute"))["Rows"]
                assert [r["Name"] for r in ordered] == ORDERED
                apples = _ok(v3.get("/queries/Apples/execute"))["Rows"]
                assert [r["Id"] for r in apples] == [2, 8]
                counted = _ok(v3.get("/queries/Counted/execute"))["Rows"]
                assert counted == [{"N": 7}]  # apple/APPLE one; emile and Émile two
        if url:
            assert _collation_schemas(url) == {"customtables", "customtables_acme"}
