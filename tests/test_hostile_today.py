"""Hostile-tenant findings against today's additions (webhooks, change stream), each one a test
that failed before its fix, on SQLite and PostgreSQL (the `backend` fixture of every `api`)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.conftest import PRODUCT_CATALOG, Api, TenantCtx


@pytest.mark.parametrize("value", ["\u00b2", "\u2460", "\u00b9\u00b2"])
def test_a_last_event_id_of_unicode_digit_signs_is_a_400(
    api: Api, products: str, value: str
) -> None:
    """`str.isdigit` holds for superscripts and circled digits, which `int` refuses: the
    change stream answered 500."""
    tries: list[dict[str, Any]] = [{"params": {"LastEventId": value}}]
    if value.isascii() or max(value) <= "\xff":  # a header carries Latin-1 bytes
        tries.append({"headers": {"Last-Event-ID": value.encode("latin-1")}})
    for kwargs in tries:
        answer = api.get(f"custom-tables/{products}/changes?StreamSeconds=0", **kwargs)
        assert answer.status_code == 400, answer.text
        assert "Last-Event-ID" in answer.text


@pytest.mark.parametrize(
    "host",
    [
        "[::127.0.0.1]",  # IPv4-compatible (deprecated) form of loopback
        "[2002:7f00:1::1]",  # 6to4 around 127.0.0.1
        "[2002:a00:1::1]",  # 6to4 around 10.0.0.1
        "[64:ff9b::7f00:1]",  # NAT64 well-known prefix around 127.0.0.1
        "[64:ff9b::a9fe:a9fe]",  # NAT64 around the cloud metadata address
        "[::ffff:0:7f00:1]",  # IPv4-translated (SIIT) loopback
        "[fec0::1]",  # site-local (deprecated private range)
    ],
)
def test_webhooks_refuse_ipv6_forms_that_carry_a_private_ipv4(api: Api, host: str) -> None:
    """The guard judged only `::ffff:a.b.c.d` as IPv4; other IPv6 forms that embed an IPv4
    address (or name a private range Python 3.11 calls global) passed as public."""
    answer = api.post("webhooks", json={"Url": f"http://{host}:8080/hook"})
    assert answer.status_code == 400, answer.text
    assert api.get("webhooks").json() == []


@pytest.mark.parametrize("url", ["http://xn--/", "http://xn--a.example/", "https://a.xn--zz/"])
def test_a_url_with_a_malformed_idna_label_is_a_400(api: Api, url: str) -> None:
    """httpx decodes the host's A-labels when `.host` is read, outside the guard's try: a
    label such as `xn--` raised IDNAError and the webhook POST answered 500."""
    answer = api.post("webhooks", json={"Url": url})
    assert answer.status_code == 400, answer.text
    assert "Url" in answer.json()["Message"]
    assert api.get("webhooks").json() == []


def test_a_table_made_again_does_not_show_the_earlier_tables_events(tenant: TenantCtx) -> None:
    """The v3 stream follows the name, so a table dropped and made again continued it, and
    the read check was against the new table only: a reader the earlier table shut out (its
    ReadRoles) read the earlier table's rows from `LastEventId=0`."""
    api = tenant.admin
    secret = {**PRODUCT_CATALOG, "ReadRoles": ["Payroll"], "SaveRoles": ["Payroll"]}
    assert api.post("custom-tables/Pay", json=secret).status_code == 201
    clerk = tenant.api("Clerk")
    row = {"KeyValue": str(uuid.UUID(int=7)),
           "Columns": [{"ColumnName": "Name", "Value": "salary of the boss"}]}  # fmt: skip
    wrote = api.put("custom-tables/Pay/rows",
                    json={"OperationType": "UpsertMany", "UpsertManyModel": [row]})  # fmt: skip
    assert wrote.status_code == 200, wrote.text
    assert clerk.get("custom-tables/Pay/changes?StreamSeconds=0").status_code == 403
    assert api.delete("custom-tables/Pay").status_code == 200
    assert api.post("custom-tables/Pay", json=PRODUCT_CATALOG).status_code == 201

    for caller in (clerk, api):
        text = caller.get("custom-tables/Pay/changes?StreamSeconds=0&LastEventId=0").text
        assert "salary of the boss" not in text
        assert "rows.created" not in text
        assert "table.deleted" not in text
        assert text.count("event: table.created") == 1, text


KEY_ONLY = {"KeyColumnName": "Id", "KeyDataTypeId": 3, "Columns": []}


@pytest.mark.parametrize("listed", [[{"ColumnName": "x", "Value": 1}], [5], [[[[]]]]])
def test_a_key_only_table_answers_a_listed_column_with_a_400(api: Api, listed: Any) -> None:
    """A table with its key alone let the fast write path take any JSON in Columns, then fail
    on it: 500. Now the general path names what is wrong, and nothing is written."""
    assert api.post("custom-tables/KeyOnly", json=KEY_ONLY).status_code == 201
    row = {"KeyValue": 1, "Columns": listed}
    answer = api.put("custom-tables/KeyOnly/rows",
                     json={"OperationType": "UpsertMany", "UpsertManyModel": [row]})  # fmt: skip
    assert answer.status_code == 400, answer.text
    assert api.get("custom-tables/KeyOnly").json()["RowCount"] == 0
    fine = {"OperationType": "UpsertMany", "UpsertManyModel": [{"KeyValue": 1, "Columns": []}]}
    assert api.put("custom-tables/KeyOnly/rows", json=fine).status_code == 200
    assert api.get("custom-tables/KeyOnly").json()["RowCount"] == 1


@pytest.mark.parametrize(
    "key",
    ["00000000-0000-0000-0000-00000000000\uff11", "00000000-0000-0000-0000-0000000000\u0661\u0661"],
)
def test_a_uuid_key_with_other_digits_than_ascii_is_a_400(
    api: Api, products: str, key: str
) -> None:
    """uuid.UUID reads any Unicode digit (a fullwidth 1 is 1), so two spellings named one row."""
    row = {"KeyValue": key, "Columns": [{"ColumnName": "Name", "Value": "x"}]}
    answer = api.put(f"custom-tables/{products}/rows",
                     json={"OperationType": "UpsertMany", "UpsertManyModel": [row]})  # fmt: skip
    assert answer.status_code == 400, answer.text
    assert api.get(f"custom-tables/{products}").json()["RowCount"] == 0


def test_a_last_event_id_past_a_streams_numbers_is_a_400(api: Api, products: str) -> None:
    """An event's number is a 32-bit column: a larger Last-Event-ID broke the stream on
    PostgreSQL after its 200 (the connection dropped, a traceback logged)."""
    changes = f"custom-tables/{products}/changes"
    now = {"StreamSeconds": "0"}
    assert api.get(changes, params={**now, "LastEventId": "2147483647"}).status_code == 200
    for value in ("2147483648", "999999999999999999"):
        for kwargs in ({"params": {**now, "LastEventId": value}},
                       {"params": now, "headers": {"Last-Event-ID": value}}):  # fmt: skip
            answer = api.get(changes, **kwargs)
            assert answer.status_code == 400, answer.text
            assert "Last-Event-ID" in answer.text


@pytest.mark.parametrize("path", ["$.*", "$..a", "$.a[*]"])
def test_a_json_path_wildcard_is_a_400_in_where_and_saved_queries(
    api: Api, products: str, path: str
) -> None:
    """Rendering the refused construct back for the message raised inside the parser: 500 in
    Where; a saved query named the parser's class (JSONPATHWILDCARD)."""
    where = api.get(f"custom-tables/{products}/rows/values",
                    params={"Where": f"JSON_VALUE(Name, '{path}') = 'b'"})  # fmt: skip
    assert where.status_code == 400, where.text
    assert "a JSON path is a literal of keys and array positions" in where.json()["Message"]
    sql = f"SELECT JSON_VALUE(Name, '{path}') AS x FROM [customtables].[{products}]"
    saved = api.post("queries", json={"Name": "Wild", "Namespace": "CustomTable", "Sql": sql,
                                      "Parameters": []})  # fmt: skip
    assert saved.status_code == 400, saved.text
    assert "JSON path in a saved query is a literal" in saved.json()["Message"]
    assert "JSONPATH" not in saved.text.upper().replace("JSON PATH", "")


def test_nul_in_a_saved_querys_sql_or_a_token_user_is_a_400(api: Api, products: str) -> None:
    """PostgreSQL text cannot hold NUL: storing either answered 500 there (SQLite took it)."""
    sql = f"SELECT Name FROM [customtables].[{products}] -- \u0000"
    saved = api.post("queries", json={"Name": "Nul", "Namespace": "CustomTable", "Sql": sql,
                                      "Parameters": []})  # fmt: skip
    assert saved.status_code == 400, saved.text
    assert "NUL" in saved.json()["Message"]
    assert api.get("queries/Nul").status_code == 404
    for user in ("a\u0000b", "line\nbreak"):
        made = api.post("access-tokens", json={"User": user, "Roles": ["Sales"]})
        assert made.status_code == 400, made.text
        assert "control characters" in made.json()["Message"]
    users = {token["User"] for token in api.get("access-tokens").json()}
    assert not users & {"a\u0000b", "line\nbreak"}
