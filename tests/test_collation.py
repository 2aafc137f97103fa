"""SQL Server's default collation, SQL_Latin1_General_CP1_CI_AS, through HTTP on every backend
(SPEC §5.1): saved queries and the rows API's OrderBy order, compare and group text as SQL
Server does.

How the expected answers are derived (SQL Server's documentation, "Collation and Unicode
support": CI = case-insensitive, AS = accent-sensitive; a SQL collation compares Unicode data,
our nvarchar columns, with the Windows rules of Latin1_General, the "word sort" that gives
hyphen and apostrophe no weight at the first level so that "coop" and "co-op" stay together):

1. Compare the base letters first, ignoring case and accents and skipping `-` and `'`; a space
   or other punctuation counts and sorts before digits and letters. A shorter prefix comes first.
   So `De Vries` ('de', space) < `Dean` ('de', 'a'); `can't` is read 'cant' < `canto`;
   `co-op` is read 'coop', after `cooking` ('cook' < 'coop') and before `co-operate`;
   `O'Brien` is read 'obrien', between `Oberon` and `Ogden`; `Ångström` is 'angstrom', first.
2. Only when the letters tie do accents count, unaccented first, letter by letter from the
   left: `Apfel` < `Äpfel`, `eclair` < `Éclair`, `resume` < `résumé`, `Zoe` < `Zoë`.
3. Case never counts (`apple` = `APPLE`), so the list has no two words that differ only by case:
   SQL Server leaves the order of such ties open.
4. NULL is the lowest value: first ascending, last descending.

A code-point order (the backends' default) gets nearly all of this wrong: upper case before
lower case (`Zed` < `apple`), accented letters after `z`, `'` and `-` before letters.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Api
from tests.support import column, create_table, flat, row, upsert_ok

WORDS = {
    1: "cherry",
    2: "Banana",
    3: "apple",
    4: "Äpfel",
    5: "Apfel",
    6: "co-op",
    7: "cooking",
    8: "Zed",
    9: "zebra",
    10: "Éclair",
    11: "eclair",
    12: "résumé",
    13: "resume",
    14: "can't",
    15: "canto",
    16: "De Vries",
    17: "Dean",
    18: "co-operate",
    19: None,
    20: "Ångström",
    21: "O'Brien",
    22: "Oberon",
    23: "Ogden",
    24: "Zoë",
    25: "Zoe",
    26: "zoo",
}
SQL_SERVER_ORDER = [
    None, "Ångström", "Apfel", "Äpfel", "apple", "Banana", "can't", "canto", "cherry",
    "cooking", "co-op", "co-operate", "De Vries", "Dean", "eclair", "Éclair", "Oberon",
    "O'Brien", "Ogden", "resume", "résumé", "zebra", "Zed", "Zoe", "Zoë", "zoo",
]  # fmt: skip
KEYS = {word: key for key, word in WORDS.items()}

# Case variants of one colour are one value to SQL Server; accents make another (rosé).
COLOURS = {1: "Red", 2: "red", 3: "RED", 4: "Blue", 5: "blue", 6: "Rose", 7: "ROSE",
           8: "rosé", 9: "amber", 10: "Yellow", 11: None}  # fmt: skip


@pytest.fixture
def words(api: Api) -> str:
    create_table(api, "Words", columns=[column("Word", 6)])
    upsert_ok(api, "Words", [row(k, Word=w) for k, w in WORDS.items()])
    return "Words"


@pytest.fixture
def colours(api: Api) -> str:
    create_table(api, "Colours", columns=[column("Name", 11, 30)])
    upsert_ok(api, "Colours", [row(k, Name=n) for k, n in COLOURS.items()])
    return "Colours"


def answer(api: Api, sql: str, name: str = "Q", **params: Any) -> list[dict[str, Any]]:
    """Save `sql` as a query (replacing an earlier one) and run it; the rows it answers."""
    api.delete(f"queries/{name}")
    body = {"Name": name, "Namespace": "CustomTable", "Sql": sql}
    if params:
        body["Parameters"] = [{"Name": p, "DataTypeId": 6} for p in params]
    saved = api.post("queries", json=body)
    assert saved.status_code == 201, saved.text
    response = api.post(f"queries/{name}/execute", json=params)
    assert response.status_code == 200, response.text
    return list(response.json()["Rows"])


def column_of(rows: list[dict[str, Any]], name: str) -> list[Any]:
    return [row[name] for row in rows]


def test_order_by_is_sql_servers_dictionary_order(api: Api, words: str) -> None:
    rows = answer(api, "SELECT Word FROM [customtables].[Words] ORDER BY Word")
    assert column_of(rows, "Word") == SQL_SERVER_ORDER
    rows = answer(api, "SELECT Word FROM Words ORDER BY Word DESC")
    assert column_of(rows, "Word") == SQL_SERVER_ORDER[::-1]  # NULL last descending


def test_order_by_alias_position_window_and_top(api: Api, words: str) -> None:
    rows = answer(api, "SELECT Word AS w FROM Words ORDER BY w")
    assert column_of(rows, "w") == SQL_SERVER_ORDER
    rows = answer(api, "SELECT TOP 5 Id, Word FROM Words WHERE Word IS NOT NULL ORDER BY 2")
    assert column_of(rows, "Word") == SQL_SERVER_ORDER[1:6]
    rows = answer(
        api,
        "SELECT Word, ROW_NUMBER() OVER (ORDER BY Word) AS n FROM Words ORDER BY n",
    )
    assert column_of(rows, "Word") == SQL_SERVER_ORDER


def test_order_by_in_distinct_and_union(api: Api, words: str) -> None:
    rows = answer(api, "SELECT DISTINCT Word FROM Words ORDER BY Word")
    assert column_of(rows, "Word") == SQL_SERVER_ORDER
    sql = (
        "SELECT Word FROM Words WHERE Id <= 13 UNION "
        "SELECT Word FROM Words WHERE Id > 13 ORDER BY Word"
    )
    assert column_of(answer(api, sql), "Word") == SQL_SERVER_ORDER


def test_rows_api_order_by_uses_the_collation(api: Api, words: str) -> None:
    ascending = flat(api, words, OrderBy="Word")
    assert [r["Word"] for r in ascending] == SQL_SERVER_ORDER
    descending = flat(api, words, OrderBy="word DESC")
    assert [r["Word"] for r in descending] == SQL_SERVER_ORDER[::-1]
    page = flat(api, words, OrderBy="Word", Skip=4, Top=3)
    assert [r["Id"] for r in page] == [KEYS["apple"], KEYS["Banana"], KEYS["can't"]]


def test_rows_api_ties_of_case_are_broken_by_the_key(api: Api, colours: str) -> None:
    rows = flat(api, colours, OrderBy="Name")
    assert [r["Id"] for r in rows] == [11, 9, 4, 5, 1, 2, 3, 6, 7, 8, 10]


def test_equality_and_in_ignore_case_not_accents(api: Api, words: str) -> None:
    rows = answer(api, "SELECT Id FROM Words WHERE Word = 'APPLE'")
    assert column_of(rows, "Id") == [KEYS["apple"]]
    rows = answer(api, "SELECT Id FROM Words WHERE Word = 'eclair'")
    assert column_of(rows, "Id") == [KEYS["eclair"]]  # not Éclair
    rows = answer(api, "SELECT Id FROM Words WHERE Word IN ('ZED', 'zoe') ORDER BY Id")
    assert column_of(rows, "Id") == sorted([KEYS["Zed"], KEYS["Zoe"]])  # not Zoë
    rows = answer(api, "SELECT Id FROM Words WHERE Word <> 'CHERRY' AND Word = @w", w="BANANA")
    assert column_of(rows, "Id") == [KEYS["Banana"]]
    rows = answer(api, "SELECT Id FROM Words WHERE Word = 'coop'")
    assert rows == []  # the hyphen is ignored for order, not for equality


def test_range_comparisons_follow_the_order(api: Api, words: str) -> None:
    rows = answer(api, "SELECT Word FROM Words WHERE Word < 'b' ORDER BY Word")
    assert column_of(rows, "Word") == ["Ångström", "Apfel", "Äpfel", "apple"]
    rows = answer(api, "SELECT Word FROM Words WHERE Word BETWEEN 'Y' AND 'ZOE' ORDER BY Word")
    assert column_of(rows, "Word") == ["zebra", "Zed", "Zoe"]


def test_like_ignores_case_not_accents(api: Api, words: str) -> None:
    rows = answer(api, "SELECT Word FROM Words WHERE Word LIKE 'z%' ORDER BY Word")
    assert column_of(rows, "Word") == ["zebra", "Zed", "Zoe", "Zoë", "zoo"]
    rows = answer(api, "SELECT Word FROM Words WHERE Word LIKE 'É%'")
    assert column_of(rows, "Word") == ["Éclair"]
    rows = answer(api, "SELECT Word FROM Words WHERE Word LIKE '%ÄPF%'")
    assert column_of(rows, "Word") == ["Äpfel"]
    rows = answer(api, "SELECT Word FROM Words WHERE Word LIKE @p ORDER BY Word", p="CO-%")
    assert column_of(rows, "Word") == ["co-op", "co-operate"]
    rows = answer(api, "SELECT Word FROM Words WHERE Word NOT LIKE '%e%' ORDER BY Word")
    # é, ë and ö are other letters than e: accents count in LIKE too
    assert column_of(rows, "Word") == ["Ångström", "Banana", "can't", "canto", "cooking",
                                       "co-op", "Éclair", "résumé", "Zoë",
                                       "zoo"]  # fmt: skip


def test_group_by_distinct_union_are_case_insensitive(api: Api, colours: str) -> None:
    rows = answer(
        api,
        "SELECT MIN(Id) AS FirstId, COUNT(*) AS N FROM Colours GROUP BY Name ORDER BY FirstId",
    )
    assert [(r["FirstId"], r["N"]) for r in rows] == [
        (1, 3), (4, 2), (6, 2), (8, 1), (9, 1), (10, 1), (11, 1),
    ]  # fmt: skip
    rows = answer(api, "SELECT COUNT(*) AS N FROM (SELECT DISTINCT Name FROM Colours) AS d")
    assert rows == [{"N": 7}]
    rows = answer(api, "SELECT COUNT(DISTINCT Name) AS N FROM Colours")
    assert rows == [{"N": 6}]  # NULL is not counted
    sql = (
        "SELECT COUNT(*) AS N FROM (SELECT Name FROM Colours WHERE Id <= 5 UNION "
        "SELECT Name FROM Colours WHERE Id > 5 UNION SELECT 'BLUE') AS u"
    )
    assert answer(api, sql) == [{"N": 7}]


def test_grouped_text_can_be_returned_and_used(api: Api, colours: str) -> None:
    rows = answer(
        api,
        "SELECT Name, COUNT(*) AS N FROM Colours WHERE Name IS NOT NULL "
        "GROUP BY Name HAVING COUNT(*) > 1 ORDER BY Name",
    )
    assert [(r["Name"].lower(), r["N"]) for r in rows] == [("blue", 2), ("red", 3), ("rose", 2)]
    rows = answer(
        api,
        "WITH g AS (SELECT Name, COUNT(*) AS N FROM Colours GROUP BY Name) "
        "SELECT REPLACE(LOWER(Name), 'e', '3') AS Shown FROM g WHERE N = 2 ORDER BY Shown",
    )
    assert column_of(rows, "Shown") == ["blu3", "ros3"]
    rows = answer(api, "SELECT REPLACE(MAX(Name), 'o', '0') AS Shown FROM Colours ORDER BY Shown")
    assert rows == [{"Shown": "Yell0w"}]
    rows = answer(
        api,
        "SELECT COUNT(*) AS N FROM (SELECT DISTINCT Name FROM Colours) AS d "
        "WHERE REPLACE(d.Name, '-', '') IS NOT NULL AND CHARINDEX('w', d.Name) = 0",
    )
    assert rows == [{"N": 5}]  # red, blue, rose, rosé, amber: one of each, whatever its case


def test_min_and_max_use_the_collation(api: Api, colours: str) -> None:
    rows = answer(api, "SELECT MIN(Name) AS Lo, MAX(Name) AS Hi FROM Colours")
    assert rows == [{"Lo": "amber", "Hi": "Yellow"}]
    rows = answer(
        api,
        "SELECT MAX(Name) AS Hi FROM Colours WHERE Name LIKE 'r%' GROUP BY LEFT(Name, 1)",
    )
    assert rows == [{"Hi": "rosé"}]


def test_joins_on_text_ignore_case(api: Api, words: str, colours: str) -> None:
    upsert_ok(api, "Colours", [row(12, Name="APPLE"), row(13, Name="Eclair")])
    rows = answer(
        api,
        "SELECT c.Id, w.Word FROM Colours c JOIN Words w ON w.Word = c.Name ORDER BY c.Id",
    )
    assert rows == [{"Id": 12, "Word": "apple"}, {"Id": 13, "Word": "eclair"}]  # not Éclair


def test_other_punctuation_still_tells_texts_apart(api: Api) -> None:
    """Only hyphen and apostrophe lose their weight: an en dash and an em dash stay different
    values (case still does not count)."""
    create_table(api, "Dashes", columns=[column("Text", 6)])
    en, em = "\u2013", "\u2014"
    upsert_ok(
        api, "Dashes", [row(1, Text=f"a{en}b"), row(2, Text=f"a{em}b"), row(3, Text=f"A{en}B")]
    )
    assert answer(api, "SELECT COUNT(DISTINCT Text) AS N FROM Dashes") == [{"N": 2}]
    rows = answer(api, f"SELECT Id FROM Dashes WHERE Text = 'a{en}B' ORDER BY Id")
    assert column_of(rows, "Id") == [1, 3]
