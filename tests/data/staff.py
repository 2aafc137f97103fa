"""A small Northwind-like staff table for the T-SQL corpus (tests/test_tsql_corpus.py).

Unlike the shop (tests/data/shop.py), its text is chosen so that SQL Server's default
collation (SQL_Latin1_General_CP1_CI_AS) and code-point order disagree: lower-case and
accented first letters, a hyphen and an apostrophe (ignored at the first level), and one city
written in three cases. It also has NULLs (a top manager, regions, bonuses) and a manager
hierarchy for recursive CTEs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal


@dataclass(frozen=True)
class Employee:
    id: int
    first: str
    last: str
    title: str
    city: str
    region: str | None
    reports_to: int | None
    hired: datetime
    salary: Decimal
    bonus: Decimal | None


REP, MGR, VP = "Sales Representative", "Sales Manager", "Vice President, Sales"
ISC = "Inside Sales Coordinator"
_ROWS = [
    (1, "Andrew", "Fuller", VP, "Tacoma", "WA", None, "1992-08-14", "9000.00", None),
    (2, "Nancy", "Davolio", REP, "Seattle", "WA", 1, "1992-05-01", "5200.50", "500.00"),
    (3, "Janet", "Leverling", REP, "Kirkland", "WA", 1, "1992-04-01", "4800.00", None),
    (4, "Margaret", "Peacock", REP, "Redmond", "WA", 1, "1993-05-03", "4700.25", "250.00"),
    (5, "Steven", "Buchanan", MGR, "London", None, 1, "1993-10-17", "6500.00", "1000.00"),
    (6, "Michael", "Suyama", REP, "london", None, 5, "1993-10-17", "3800.00", None),
    (7, "Robert", "King", REP, "LONDON", None, 5, "1994-01-02", "3900.75", "150.00"),
    (8, "Laura", "Callahan", ISC, "Seattle", "WA", 2, "1994-03-05", "4100.00", None),
    (9, "Anne", "Dodsworth", REP, "London", None, 5, "1994-11-15", "4000.00", "0.00"),
    (10, "Émile", "Zola", REP, "Paris", None, 9, "1995-02-28", "3500.00", None),
    (11, "Zoë", "de la Cruz", REP, "Seattle", "WA", 8, "1996-12-31", "3300.00", "100.00"),
    (12, "Seán", "O'Brien", REP, "Dublin", None, 7, "1997-01-01", "3200.00", None),
    (13, "Ana", "Álvarez", REP, "Madrid", None, 2, "1996-02-29", "3600.00", "200.00"),
    (14, "Eve", "Ellis-Young", REP, "Redmond", "WA", 4, "1998-07-04", "3400.00", None),
    (15, "bob", "abbott", REP, "tacoma", "WA", 14, "1999-12-31", "2900.00", "50.00"),
    (16, "Olaf", "Oberon", REP, "Kirkland", "wa", 3, "2000-01-01", "3000.00", None),
    (17, "Ed", "Ellison", REP, "Seattle", "WA", 16, "2000-02-29", "3100.00", "75.00"),
]  # fmt: skip
STAFF = [
    Employee(i, f, la, t, c, r, m, datetime.fromisoformat(h), Decimal(s),
             None if b is None else Decimal(b))
    for i, f, la, t, c, r, m, h, s, b in _ROWS
]  # fmt: skip

COLUMNS = [
    {"ColumnName": "FirstName", "ColumnDataTypeId": 6},
    {"ColumnName": "LastName", "ColumnDataTypeId": 6},
    {"ColumnName": "Title", "ColumnDataTypeId": 6},
    {"ColumnName": "City", "ColumnDataTypeId": 6},
    {"ColumnName": "Region", "ColumnDataTypeId": 6},
    {"ColumnName": "ReportsTo", "ColumnDataTypeId": 3},
    {"ColumnName": "HireDate", "ColumnDataTypeId": 1},
    {"ColumnName": "Salary", "ColumnDataTypeId": 4},
    {"ColumnName": "Bonus", "ColumnDataTypeId": 4},
]


def rows() -> list[dict[str, object]]:
    """The rows as the v3 API takes them (flat, key column `Id`)."""
    return [
        {"Id": e.id, "FirstName": e.first, "LastName": e.last, "Title": e.title, "City": e.city,
         "Region": e.region, "ReportsTo": e.reports_to, "HireDate": e.hired.isoformat() + "Z",
         "Salary": str(e.salary), "Bonus": None if e.bonus is None else str(e.bonus)}
        for e in STAFF
    ]  # fmt: skip
