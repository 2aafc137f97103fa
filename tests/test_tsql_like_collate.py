"""SPEC §5.1 LIKE and a query's own COLLATE clause, as SQL Server documents them, on SQLite and
PostgreSQL through HTTP.

LIKE: docs language-elements/like-transact-sql ("Pattern matching with the ESCAPE clause",
"Using wildcard characters as literals", the [ ] and [^] examples), under the default
collation SQL_Latin1_General_CP1_CI_AS, so case-insensitively. COLLATE: docs
statements/collations and the collation names of sql-server-collation-name-transact-sql and
windows-collation-name-transact-sql: _BIN orders by code point, _CS_AS is case-sensitive with
lower case before upper case.
"""

from __future__ import annotations

import pytest

from tests.conftest import Api
from tests.support import assert_error, create_table, upsert_rows
from tests.tsql_support import answer, save

WORDS = [
    "Carsen", "Karsen", "Larsen", "Zarsen", "carsen", "Dean", "Delaney", "den", "5%", "50",
    "_n", "an", "[", "]", "-", "d", "30% off", "300 off", "a\\b", "ab", "Ab",
]  # fmt: skip


@pytest.fixture
def words(api: Api) -> Api:
    create_table(api, "Words", columns=[{"ColumnName": "Word", "ColumnDataTypeId": 6}])
    upsert_rows(api, "Words", [{"Id": i, "Word": w} for i, w in enumerate(WORDS, 1)], key="Id")
    return api


def matched(api: Api, where: str) -> list[str]:
    rows = answer(api, f"SELECT Id FROM Words WHERE {where} ORDER BY Id")
    return [WORDS[row["Id"] - 1] for row in rows]


LIKES = [
    # docs: "LIKE '[C-P]arsen'": a letter from C to P, then 'arsen'; case-insensitive
    ("Word LIKE '[C-P]arsen'", ["Carsen", "Karsen", "Larsen", "carsen"]),
    # docs: "LIKE 'de[^l]%'": 'de' then any letter but l
    ("Word LIKE 'de[^l]%'", ["Dean", "den"]),
    ("Word NOT LIKE '[^c]%'", ["Carsen", "carsen"]),
    # docs "Using wildcard characters as literals": '5[%]' is 5%, '[_]n' is _n, '[ [ ]' is [
    ("Word LIKE '5[%]'", ["5%"]),
    ("Word LIKE '[_]n'", ["_n"]),
    ("Word LIKE '_n'", ["_n", "an"]),
    ("Word LIKE '[[]'", ["["]),
    ("Word LIKE ']'", ["]"]),
    # docs: '[a-cdf]' is a, b, c, d or f; '[-acdf]' is -, a, c, d or f
    ("Word LIKE '[a-cdf]'", ["d"]),
    ("Word LIKE '[-acdf]'", ["-", "d"]),
    # docs "Pattern matching with the ESCAPE clause": '%30!%%' ESCAPE '!' holds '30%'
    ("Word LIKE '%30!%%' ESCAPE '!'", ["30% off"]),
    ("Word LIKE '%30%'", ["30% off", "300 off"]),
    # a backslash is an ordinary character in T-SQL (PostgreSQL's LIKE escapes with it)
    ("Word LIKE 'a\\b'", ["a\\b"]),
    ("Word LIKE 'A%'", ["an", "a\\b", "ab", "Ab"]),
    # a reversed range holds nothing (not an error on either backend)
    ("Word LIKE '[z-a]%'", []),
    ("Word LIKE '[^z-a]'", ["[", "]", "-", "d"]),
]


@pytest.mark.parametrize(("where", "expected"), LIKES, ids=[w for w, _ in LIKES])
def test_like(words: Api, where: str, expected: list[str]) -> None:
    assert matched(words, where) == expected


def test_like_with_a_computed_pattern(words: Api) -> None:
    """The pattern known only when the query runs (a parameter, a concatenation, a column)
    is read the same way."""
    body = {"Name": "ByPattern", "Namespace": "CustomTable",
            "Sql": "SELECT Id FROM Words WHERE Word LIKE @p ORDER BY Id",
            "Parameters": [{"Name": "p", "DataTypeId": 6}]}  # fmt: skip
    saved = words.post("queries", json=body)
    assert saved.status_code == 201, saved.text
    name = "ByPattern"
    for pattern, expected in (("[C-P]arsen", ["Carsen", "Karsen", "Larsen", "carsen"]),
                              ("5[%]", ["5%"]), ("a\\b", ["a\\b"]), ("", [])):  # fmt: skip
        response = words.post(f"queries/{name}/execute", json={"p": pattern})
        assert response.status_code == 200, response.text
        assert [WORDS[r["Id"] - 1] for r in response.json()["Rows"]] == expected, pattern
    concatenated = "Word LIKE CONCAT('%', '[%]', '%') OR Word LIKE '[' + ']' + ']'"
    assert matched(words, concatenated) == ["5%", "]", "30% off"]


def test_like_under_a_binary_collation_is_case_sensitive(words: Api) -> None:
    assert matched(words, "Word COLLATE Latin1_General_BIN LIKE 'c%'") == ["carsen"]
    assert matched(words, "Word COLLATE Latin1_General_CS_AS LIKE '[A-C]%'") == ["Carsen", "Ab"]
    assert matched(words, "Word LIKE 'c%'") == ["Carsen", "carsen"]


def test_comparison_under_the_query_collation(words: Api) -> None:
    assert matched(words, "Word = 'AB'") == ["ab", "Ab"]
    assert matched(words, "Word COLLATE Latin1_General_CS_AS = 'Ab'") == ["Ab"]
    assert matched(words, "Word COLLATE Latin1_General_BIN = 'ab'") == ["ab"]
    assert matched(words, "Word COLLATE SQL_Latin1_General_CP1_CI_AS = 'AB'") == ["ab", "Ab"]
    assert matched(words, "Word COLLATE DATABASE_DEFAULT IN ('CARSEN')") == ["Carsen", "carsen"]


@pytest.mark.parametrize(
    ("collation", "expected"),
    [
        ("Latin1_General_BIN", ["A", "B", "a", "b"]),  # code point order
        ("Latin1_General_BIN2", ["A", "B", "a", "b"]),
        ("Latin1_General_CS_AS", ["a", "A", "b", "B"]),  # dictionary, lower case first
        ("SQL_Latin1_General_CP1_CS_AS", ["a", "A", "b", "B"]),
    ],
)
def test_order_by_a_query_collation(api: Api, collation: str, expected: list[str]) -> None:
    sql = (
        "SELECT w FROM (VALUES ('b'), ('B'), ('a'), ('A')) AS v(w) "
        f"ORDER BY w COLLATE {collation}"
    )
    assert [row["w"] for row in answer(api, sql)] == expected


def test_order_by_the_default_collation_written_out(api: Api) -> None:
    """Case-insensitive: 'a' and 'A' tie, so a second key orders them."""
    sql = (
        "SELECT w, n FROM (VALUES ('b', 1), ('B', 2), ('a', 3), ('A', 4)) AS v(w, n) "
        "ORDER BY w COLLATE SQL_Latin1_General_CP1_CI_AS, n"
    )
    assert [row["w"] for row in answer(api, sql)] == ["a", "A", "b", "B"]


@pytest.mark.parametrize("collation", ["Japanese_CI_AS", "Latin1_General_CI_AI", "Nope"])
def test_unknown_collation_is_refused_when_saved(words: Api, collation: str) -> None:
    _, saved = save(words, f"SELECT Id FROM Words ORDER BY Word COLLATE {collation}")
    assert_error(saved, 400, f"Collation {collation} is not supported")

