"""Realistic T-SQL reports over a generated shop (tests/data/shop.py), run as saved queries on
SQLite and PostgreSQL through HTTP. Each expected answer is computed in plain Python from the
generator's own rows (the `expect_*` function next to each query), never from our translation:
sums of Decimal amounts, calendar arithmetic with datetime, SQL Server's documented rules
(DATEDIFF counts boundaries, weeks start on Sunday, TOP PERCENT rounds up, NTILE gives the
first groups one row more, NULLs sort first) written out by hand.
"""

from __future__ import annotations

import calendar
import math
from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
from litestar.testing import TestClient

from app.tenancy import Tenancy
from tests.conftest import Api, new_tenant
from tests.data import shop as data
from tests.support import create_table, upsert_rows
from tests.tsql_support import answer

SHOP = data.build()
PRODUCTS = {p.id: p for p in SHOP.products}
ORDERS = {o.id: o for o in SHOP.orders}
CUSTOMERS = {c.id: c for c in SHOP.customers}
Rows = list[dict[str, Any]]


@pytest.fixture(scope="module")
def shop(tenancy: Tenancy, client: TestClient[Any]) -> Api:
    """One tenant per backend holding the whole shop (loaded once for every report)."""
    api = new_tenant(tenancy, client).admin
    for name, rows in data.rows(SHOP).items():
        create_table(api, name, columns=data.TABLES[name])
        for start in range(0, len(rows), 250):
            upsert_rows(api, name, rows[start : start + 250], key="Id")
    return api


def money(value: Decimal) -> float:
    """A DECIMAL(19,4) answer as JSON carries it."""
    return float(value.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP))


def iso(value: datetime) -> str:
    return value.isoformat() + "Z"


def amount(line: data.Line) -> Decimal:
    return line.qty * line.unit_price


def order_totals() -> dict[int, Decimal]:
    totals: dict[int, Decimal] = defaultdict(Decimal)
    for line in SHOP.lines:
        totals[line.order_id] += amount(line)
    return totals


def customer_revenue(status: str | None = None) -> dict[int, Decimal]:
    revenue: dict[int, Decimal] = defaultdict(Decimal)
    for line in SHOP.lines:
        order = ORDERS[line.order_id]
        if status is None or order.status == status:
            revenue[order.customer_id] += amount(line)
    return revenue


def sunday_weekday(value: datetime) -> int:
    """DATEPART(weekday, d) with DATEFIRST 7: Sunday is 1."""
    return value.isoweekday() % 7 + 1


def expect_category_revenue() -> Rows:
    revenue: dict[str, Decimal] = defaultdict(Decimal)
    for line in SHOP.lines:
        revenue[PRODUCTS[line.product_id].category] += amount(line)
    ranked = sorted(revenue.items(), key=lambda item: (-item[1], item[0]))
    return [{"Category": c, "Revenue": money(r)} for c, r in ranked]


def expect_top_customers_with_ties() -> Rows:
    revenue = customer_revenue("Shipped")
    ranked = sorted(revenue.items(), key=lambda item: (-item[1], item[0]))
    fifth = ranked[4][1]  # every customer tied with the fifth stays (WITH TIES)
    return [{"CustomerId": c, "Revenue": money(r)} for c, r in ranked if r >= fifth]


def expect_orders_per_month() -> Rows:
    counts = Counter(o.ordered.month for o in SHOP.orders if o.ordered.year == 2024)
    return [{"M": m, "Orders": counts[m]} for m in sorted(counts)]


def expect_weekdays() -> Rows:
    counts = Counter(sunday_weekday(o.ordered) for o in SHOP.orders)
    names = {sunday_weekday(o.ordered): o.ordered.strftime("%A") for o in SHOP.orders}
    return [{"Day": names[d], "N": counts[d]} for d in sorted(counts)]


def expect_pivot_quarters() -> Rows:
    cells: dict[str, dict[int, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for line in SHOP.lines:
        quarter = (ORDERS[line.order_id].ordered.month - 1) // 3 + 1
        cells[PRODUCTS[line.product_id].category][quarter] += amount(line)
    return [
        {"Category": c, **{f"Q{q}": money(cells[c][q]) if q in cells[c] else None
                           for q in (1, 2, 3, 4)}}
        for c in sorted(cells)
    ]  # fmt: skip


def expect_running_total() -> Rows:
    counts = Counter(o.ordered.month for o in SHOP.orders)
    running, out = 0, []
    for month in sorted(counts):
        running += counts[month]
        out.append({"Mo": month, "N": counts[month], "Running": running})
    return out


def expect_best_sellers() -> Rows:
    units: dict[tuple[str, int], int] = defaultdict(int)
    for line in SHOP.lines:
        units[(PRODUCTS[line.product_id].category, line.product_id)] += line.qty
    best = {}
    for (category, _), count in units.items():
        best[category] = max(best.get(category, 0), count)
    return [
        {"Category": c, "Id": p, "Units": n} for (c, p), n in sorted(units.items()) if n == best[c]
    ]


def expect_first_last() -> Rows:
    seen: dict[int, list[datetime]] = defaultdict(list)
    for order in SHOP.orders:
        seen[order.customer_id].append(order.ordered)
    out = []
    for customer in sorted(seen)[:10]:
        first, last = min(seen[customer]), max(seen[customer])
        out.append({"CustomerId": customer, "FirstOrder": iso(first), "LastOrder": iso(last),
                    "SpanDays": (last.date() - first.date()).days})  # fmt: skip
    return out


def expect_country_revenue_n2() -> Rows:
    revenue: dict[str, Decimal] = defaultdict(Decimal)
    for line in SHOP.lines:
        revenue[CUSTOMERS[ORDERS[line.order_id].customer_id].country] += amount(line)
    return [{"Country": c, "Revenue": f"{revenue[c]:,.2f}"} for c in sorted(revenue)]


def expect_month_buckets() -> Rows:
    counts: Counter[str] = Counter()
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for order in SHOP.orders:
        counts[order.ordered.strftime("%Y-%m")] += 1
    for line in SHOP.lines:
        totals[ORDERS[line.order_id].ordered.strftime("%Y-%m")] += amount(line)
    return [{"Month": m, "N": counts[m], "Total": money(totals[m])} for m in sorted(counts)]


def expect_cancelled_by_month_end() -> Rows:
    ends: Counter[str] = Counter()
    for order in SHOP.orders:
        if order.status == "Cancelled":
            day = calendar.monthrange(order.ordered.year, order.ordered.month)[1]
            ends[iso(datetime(order.ordered.year, order.ordered.month, day))] += 1
    return [{"MonthEnd": e, "N": ends[e]} for e in sorted(ends)]


def expect_top_percent() -> Rows:
    ranked = sorted(order_totals().items(), key=lambda item: (-item[1], item[0]))
    keep = math.ceil(len(ranked) * 10 / 100)  # TOP 10 PERCENT rounds the count up
    return [{"OrderId": o, "Total": money(t)} for o, t in ranked[:keep]]


def expect_average_by_status() -> Rows:
    per_status: dict[str, list[Decimal]] = defaultdict(list)
    for order_id, total in order_totals().items():
        per_status[ORDERS[order_id].status].append(total)
    return [
        {"Status": s, "Orders": len(v),
         "AvgTotal": float((sum(v) / len(v)).quantize(Decimal("0.01"), ROUND_HALF_UP))}
        for s, v in sorted(per_status.items())
    ]  # fmt: skip


def expect_string_agg() -> Rows:
    per_order: dict[int, list[int]] = defaultdict(list)
    for line in SHOP.lines:
        if line.order_id <= 5:
            per_order[line.order_id].append(line.product_id)
    return [{"OrderId": o, "Products": ",".join(map(str, sorted(p)))}
            for o, p in sorted(per_order.items())]  # fmt: skip


def expect_no_orders() -> Rows:
    buyers = {o.customer_id for o in SHOP.orders}
    return [{"Id": c.id} for c in SHOP.customers if c.id not in buyers]


def expect_month_change() -> Rows:
    revenue: dict[int, Decimal] = defaultdict(Decimal)
    for line in SHOP.lines:
        revenue[ORDERS[line.order_id].ordered.month] += amount(line)
    out, previous = [], None
    for month in sorted(revenue):
        change = None if previous is None else money(revenue[month] - previous)
        out.append({"Mo": month, "Rev": money(revenue[month]), "Change": change})
        previous = revenue[month]
    return out


def size_of(units: int) -> str:
    return "Large" if units >= 10 else "Medium" if units >= 5 else "Small"


def expect_size_buckets() -> Rows:
    units: Counter[int] = Counter()
    for line in SHOP.lines:
        units[line.order_id] += line.qty
    sizes = Counter(size_of(u) for u in units.values())
    order = sorted(sizes, key=lambda s: min(u for u in units.values() if size_of(u) == s))
    return [{"Size": s, "N": sizes[s]} for s in order]


def expect_signup_lag() -> Rows:
    first: dict[int, datetime] = {}
    for order in SHOP.orders:
        if order.customer_id not in first or order.ordered < first[order.customer_id]:
            first[order.customer_id] = order.ordered
    months: Counter[int] = Counter()
    for customer, when in first.items():
        signed = CUSTOMERS[customer].signed_up
        months[(when.year * 12 + when.month) - (signed.year * 12 + signed.month)] += 1
    return [{"Months": m, "Customers": months[m]} for m in sorted(months)]


def expect_page() -> Rows:
    ranked = sorted(SHOP.orders, key=lambda o: (-o.ordered.timestamp(), o.id))
    return [{"Id": o.id, "CustomerId": o.customer_id} for o in ranked[20:30]]


def expect_latest_order() -> Rows:
    latest: dict[int, data.Order] = {}
    for order in SHOP.orders:
        known = latest.get(order.customer_id)
        if known is None or (order.ordered, order.id) > (known.ordered, known.id):
            latest[order.customer_id] = order
    return [{"CustomerId": c, "LatestOrder": latest[c].id} for c in sorted(latest) if c <= 10]


def expect_frequent_buyers() -> Rows:
    counts = Counter(o.customer_id for o in SHOP.orders)
    return [{"CustomerId": c, "Orders": n}
            for c, n in sorted(counts.items(), key=lambda i: (-i[1], i[0])) if n >= 12]  # fmt: skip


def expect_codes() -> Rows:
    return [{"Id": c.id, "Code": f"{c.city[:3].upper()}-{c.id:03d}", "NameLen": len(c.name)}
            for c in SHOP.customers[:5]]  # fmt: skip


def expect_buyers_per_quarter() -> Rows:
    buyers: dict[int, set[int]] = defaultdict(set)
    for order in SHOP.orders:
        buyers[(order.ordered.month - 1) // 3 + 1].add(order.customer_id)
    return [{"Qtr": f"Q{q}", "Buyers": len(buyers[q])} for q in sorted(buyers)]


def expect_ntile_revenue() -> Rows:
    revenue = customer_revenue()
    ranked = sorted(revenue.items(), key=lambda item: (-item[1], item[0]))
    size, extra = divmod(len(ranked), 4)  # NTILE: the first `extra` tiles get one row more
    out, start = [], 0
    for tile in range(1, 5):
        count = size + (1 if tile <= extra else 0)
        chunk = ranked[start : start + count]
        out.append({"Tile": tile, "N": count, "Rev": money(sum(r for _, r in chunk))})
        start += count
    return out


def expect_march_orders() -> Rows:
    count = sum(1 for o in SHOP.orders if o.ordered.year == 2024 and o.ordered.month == 3)
    return [{"N": count}]


def expect_month_names() -> Rows:
    counts = Counter(o.ordered.month for o in SHOP.orders)
    return [{"MonthName": calendar.month_name[m], "N": counts[m]} for m in sorted(counts)]


REVENUE = "SUM(l.Qty * l.UnitPrice)"
REPORTS: list[tuple[str, str, Callable[[], Rows]]] = [
    ("category-revenue",
     f"SELECT p.Category, {REVENUE} AS Revenue FROM OrderLines l "
     "JOIN Products p ON p.Id = l.ProductId GROUP BY p.Category ORDER BY Revenue DESC, p.Category",
     expect_category_revenue),
    ("top-customers-with-ties",
     f"SELECT TOP 5 WITH TIES o.CustomerId, {REVENUE} AS Revenue FROM Orders o "
     "JOIN OrderLines l ON l.OrderId = o.Id WHERE o.Status = 'Shipped' GROUP BY o.CustomerId "
     "ORDER BY Revenue DESC",
     expect_top_customers_with_ties),
    ("orders-per-month",
     "SELECT DATEPART(month, OrderDate) AS M, COUNT(*) AS Orders FROM Orders "
     "WHERE OrderDate >= '20240101' AND OrderDate < '20250101' "
     "GROUP BY DATEPART(month, OrderDate) ORDER BY M",
     expect_orders_per_month),
    ("weekday-names",
     "SELECT DATENAME(weekday, OrderDate) AS [Day], COUNT(*) AS N FROM Orders "
     "GROUP BY DATENAME(weekday, OrderDate), DATEPART(weekday, OrderDate) "
     "ORDER BY DATEPART(weekday, OrderDate)",
     expect_weekdays),
    ("pivot-quarters",
     "SELECT Category, [1] AS Q1, [2] AS Q2, [3] AS Q3, [4] AS Q4 FROM (SELECT p.Category, "
     "DATEPART(quarter, o.OrderDate) AS Qtr, l.Qty * l.UnitPrice AS Amount FROM OrderLines l "
     "JOIN Orders o ON o.Id = l.OrderId JOIN Products p ON p.Id = l.ProductId) AS src "
     "PIVOT (SUM(Amount) FOR Qtr IN ([1], [2], [3], [4])) AS pvt ORDER BY Category",
     expect_pivot_quarters),
    ("running-total",
     "WITH m AS (SELECT MONTH(OrderDate) AS Mo, COUNT(*) AS N FROM Orders "
     "GROUP BY MONTH(OrderDate)) SELECT Mo, N, SUM(N) OVER (ORDER BY Mo ROWS UNBOUNDED "
     "PRECEDING) AS Running FROM m ORDER BY Mo",
     expect_running_total),
    ("best-seller-per-category",
     "WITH q AS (SELECT p.Category, p.Id, SUM(l.Qty) AS Units, RANK() OVER (PARTITION BY "
     "p.Category ORDER BY SUM(l.Qty) DESC) AS Rk FROM OrderLines l JOIN Products p "
     "ON p.Id = l.ProductId GROUP BY p.Category, p.Id) "
     "SELECT Category, Id, Units FROM q WHERE Rk = 1 ORDER BY Category, Id",
     expect_best_sellers),
    ("first-last-order",
     "SELECT TOP 10 CustomerId, MIN(OrderDate) AS FirstOrder, MAX(OrderDate) AS LastOrder, "
     "DATEDIFF(day, MIN(OrderDate), MAX(OrderDate)) AS SpanDays FROM Orders "
     "GROUP BY CustomerId ORDER BY CustomerId",
     expect_first_last),
    ("country-revenue-n2",
     f"SELECT c.Country, FORMAT({REVENUE}, 'N2') AS Revenue FROM OrderLines l "
     "JOIN Orders o ON o.Id = l.OrderId JOIN Customers c ON c.Id = o.CustomerId "
     "GROUP BY c.Country ORDER BY c.Country",
     expect_country_revenue_n2),
    ("convert-month-buckets",
     "SELECT CONVERT(VARCHAR(7), o.OrderDate, 120) AS [Month], COUNT(DISTINCT o.Id) AS N, "
     f"{REVENUE} AS Total FROM Orders o JOIN OrderLines l ON l.OrderId = o.Id "
     "GROUP BY CONVERT(VARCHAR(7), o.OrderDate, 120) ORDER BY [Month]",
     expect_month_buckets),
    ("cancelled-by-eomonth",
     "SELECT EOMONTH(OrderDate) AS MonthEnd, COUNT(*) AS N FROM Orders "
     "WHERE Status = 'Cancelled' GROUP BY EOMONTH(OrderDate) ORDER BY MonthEnd",
     expect_cancelled_by_month_end),
    ("top-10-percent",
     "WITH t AS (SELECT OrderId, SUM(Qty * UnitPrice) AS Total FROM OrderLines "
     "GROUP BY OrderId) SELECT TOP 10 PERCENT OrderId, Total FROM t ORDER BY Total DESC, OrderId",
     expect_top_percent),
    ("average-by-status",
     f"WITH t AS (SELECT o.Status, o.Id, {REVENUE} AS Total FROM Orders o "
     "JOIN OrderLines l ON l.OrderId = o.Id GROUP BY o.Status, o.Id) "
     "SELECT Status, COUNT(*) AS Orders, ROUND(AVG(Total), 2) AS AvgTotal FROM t "
     "GROUP BY Status ORDER BY Status",
     expect_average_by_status),
    ("string-agg-products",
     "SELECT OrderId, STRING_AGG(ProductId, ',') WITHIN GROUP (ORDER BY ProductId) AS Products "
     "FROM OrderLines WHERE OrderId <= 5 GROUP BY OrderId ORDER BY OrderId",
     expect_string_agg),
    ("customers-without-orders",
     "SELECT c.Id FROM Customers c WHERE NOT EXISTS (SELECT 1 FROM Orders o "
     "WHERE o.CustomerId = c.Id) ORDER BY c.Id",
     expect_no_orders),
    ("month-over-month-lag",
     f"WITH m AS (SELECT MONTH(o.OrderDate) AS Mo, {REVENUE} AS Rev FROM Orders o "
     "JOIN OrderLines l ON l.OrderId = o.Id GROUP BY MONTH(o.OrderDate)) "
     "SELECT Mo, Rev, Rev - LAG(Rev) OVER (ORDER BY Mo) AS Change FROM m ORDER BY Mo",
     expect_month_change),
    ("size-buckets-iif",
     "WITH t AS (SELECT OrderId, SUM(Qty) AS Units FROM OrderLines GROUP BY OrderId) "
     "SELECT IIF(Units >= 10, 'Large', IIF(Units >= 5, 'Medium', 'Small')) AS Size, "
     "COUNT(*) AS N FROM t GROUP BY IIF(Units >= 10, 'Large', IIF(Units >= 5, 'Medium', "
     "'Small')) ORDER BY MIN(Units)",
     expect_size_buckets),
    ("signup-to-first-order",
     "WITH f AS (SELECT CustomerId, MIN(OrderDate) AS FirstOrder FROM Orders "
     "GROUP BY CustomerId) SELECT DATEDIFF(month, c.SignedUp, f.FirstOrder) AS Months, "
     "COUNT(*) AS Customers FROM f JOIN Customers c ON c.Id = f.CustomerId "
     "GROUP BY DATEDIFF(month, c.SignedUp, f.FirstOrder) ORDER BY Months",
     expect_signup_lag),
    ("offset-fetch-page",
     "SELECT Id, CustomerId FROM Orders ORDER BY OrderDate DESC, Id "
     "OFFSET 20 ROWS FETCH NEXT 10 ROWS ONLY",
     expect_page),
    ("latest-order-row-number",
     "WITH r AS (SELECT CustomerId, Id, ROW_NUMBER() OVER (PARTITION BY CustomerId "
     "ORDER BY OrderDate DESC, Id DESC) AS Rn FROM Orders) "
     "SELECT CustomerId, Id AS LatestOrder FROM r WHERE Rn = 1 AND CustomerId <= 10 "
     "ORDER BY CustomerId",
     expect_latest_order),
    ("frequent-buyers-having",
     "SELECT CustomerId, COUNT(*) AS Orders FROM Orders GROUP BY CustomerId "
     "HAVING COUNT(*) >= 12 ORDER BY Orders DESC, CustomerId",
     expect_frequent_buyers),
    ("customer-codes",
     "SELECT TOP 5 Id, Code = UPPER(LEFT(City, 3)) + '-' + RIGHT('000' + CAST(Id AS "
     "VARCHAR(10)), 3), LEN(Name) AS NameLen FROM Customers ORDER BY Id",
     expect_codes),
    ("buyers-per-quarter-choose",
     "SELECT CHOOSE(DATEPART(quarter, OrderDate), 'Q1', 'Q2', 'Q3', 'Q4') AS Qtr, "
     "COUNT(DISTINCT CustomerId) AS Buyers FROM Orders GROUP BY DATEPART(quarter, OrderDate) "
     "ORDER BY DATEPART(quarter, OrderDate)",
     expect_buyers_per_quarter),
    ("ntile-revenue",
     f"WITH c AS (SELECT o.CustomerId, {REVENUE} AS Rev FROM Orders o "
     "JOIN OrderLines l ON l.OrderId = o.Id GROUP BY o.CustomerId), "
     "t AS (SELECT CustomerId, Rev, NTILE(4) OVER (ORDER BY Rev DESC, CustomerId) AS Tile "
     "FROM c) SELECT Tile, COUNT(*) AS N, SUM(Rev) AS Rev FROM t GROUP BY Tile ORDER BY Tile",
     expect_ntile_revenue),
    ("mdy-literal-range",
     "SELECT COUNT(*) AS N FROM Orders "
     "WHERE OrderDate BETWEEN '03/01/2024' AND '03/31/2024 23:59:59'",
     expect_march_orders),
    ("format-month-names",
     "SELECT FORMAT(OrderDate, 'MMMM') AS MonthName, COUNT(*) AS N FROM Orders "
     "GROUP BY FORMAT(OrderDate, 'MMMM'), MONTH(OrderDate) ORDER BY MONTH(OrderDate)",
     expect_month_names),
]  # fmt: skip


@pytest.mark.parametrize(
    ("sql", "expected"), [pytest.param(sql, fn, id=name) for name, sql, fn in REPORTS]
)
def test_report(shop: Api, sql: str, expected: Callable[[], Rows]) -> None:
    wanted = expected()
    assert wanted, "a report whose expected answer is empty proves nothing"
    assert answer(shop, sql) == wanted
