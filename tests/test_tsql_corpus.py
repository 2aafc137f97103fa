"""A corpus of T-SQL queries in the style people post for SQL Server (Northwind-like staff and a
generated shop), run as saved queries through HTTP on SQLite and PostgreSQL.

Each expected answer is derived here, independently of our translation, from the data in plain
Python and SQL Server's documented rules (default collation SQL_Latin1_General_CP1_CI_AS:
case-insensitive, accent-sensitive, dictionary order with hyphen and apostrophe ignored at the
first level; DATEFORMAT mdy; DATEFIRST 7; decimal precision/scale rules with division truncated
to its scale; NULLs first ascending). The comment or function beside each query says how.
A query SQL Server answers and we cannot reproduce must be refused by name, never answered
differently: the test accepts a 400 naming the construct only for the ids in REFUSED.
"""

from __future__ import annotations

import calendar
import math
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import date, datetime
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import Any

import pytest
from litestar.testing import TestClient

from app.tenancy import Tenancy
from tests.conftest import Api, new_tenant
from tests.data import shop as shop_data
from tests.data import staff as staff_data
from tests.support import create_table, upsert_rows
from tests.tsql_support import save

SHOP = shop_data.build()
STAFF = {e.id: e for e in staff_data.STAFF}
PRODUCTS = {p.id: p for p in SHOP.products}
ORDERS = {o.id: o for o in SHOP.orders}
CUSTOMERS = {c.id: c for c in SHOP.customers}
Rows = list[dict[str, Any]]
Expected = Rows | Callable[[], Rows]


@pytest.fixture(scope="module")
def corpus(tenancy: Tenancy, client: TestClient[Any]) -> Api:
    """One tenant per backend holding the shop and the staff table."""
    api = new_tenant(tenancy, client).admin
    for name, rows in shop_data.rows(SHOP).items():
        create_table(api, name, columns=shop_data.TABLES[name])
        for start in range(0, len(rows), 250):
            upsert_rows(api, name, rows[start : start + 250], key="Id")
    create_table(api, "Staff", columns=staff_data.COLUMNS)
    upsert_rows(api, "Staff", staff_data.rows(), key="Id")
    return api


# --- helpers: SQL Server's rules written out ----------------------------------------------------
def num(value: Decimal | int) -> float:
    """A DECIMAL answer as JSON carries it."""
    return float(value)


def iso(value: datetime | date) -> str:
    if not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    return value.isoformat() + "Z"


def half_up(value: Decimal, places: int) -> Decimal:
    """ROUND / CAST to DECIMAL(p, s): half away from zero."""
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def cut(value: Decimal, places: int) -> Decimal:
    """Decimal division keeps `places` digits and truncates the rest (2.0/3 = 0.666666)."""
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_DOWN)


def word_key(text: str) -> tuple[str, str]:
    """SQL_Latin1_General_CP1_CI_AS on NVARCHAR: letters compared without case or accent first
    (hyphen and apostrophe ignored), then accents (unaccented first). Case never breaks a tie."""
    base = "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))
    return base.replace("-", "").replace("'", "").casefold(), unicodedata.normalize("NFD", text)


def amount(line: shop_data.Line) -> Decimal:
    return line.qty * line.unit_price


def sunday_weekday(value: datetime) -> int:
    return value.isoweekday() % 7 + 1


def week_of_year(value: datetime) -> int:
    """DATEPART(week): week 1 holds 1 January, weeks start on Sunday (DATEFIRST 7)."""
    jan1 = datetime(value.year, 1, 1)
    return (value.timetuple().tm_yday - 1 + sunday_weekday(jan1) - 1) // 7 + 1


def months_between(a: datetime, b: datetime) -> int:
    """DATEDIFF(month): month boundaries crossed."""
    return (b.year * 12 + b.month) - (a.year * 12 + a.month)


def status_counts() -> Counter[str]:
    return Counter(o.status for o in SHOP.orders)


def mon_dd_yyyy(value: datetime) -> str:
    """CONVERT style 100: 'mon dd yyyy hh:miAM', day and hour right-aligned with a space."""
    hour = value.hour % 12 or 12
    ampm = "AM" if value.hour < 12 else "PM"
    return f"{value:%b} {value.day:>2} {value.year} {hour:>2}:{value.minute:02d}{ampm}"


# --- shop expectations ---------------------------------------------------------------------------
def e_country_having() -> Rows:
    counts = Counter(c.country for c in SHOP.customers)
    kept = sorted(((n, c) for c, n in counts.items() if n > 5), key=lambda i: (-i[0], i[1]))
    return [{"Country": c, "N": n} for n, c in kept]


def e_above_average() -> Rows:
    average = sum(p.price for p in SHOP.products) / len(SHOP.products)
    kept = sorted((p for p in SHOP.products if p.price > average), key=lambda p: (-p.price, p.id))
    return [{"Id": p.id, "Price": num(p.price)} for p in kept]


def e_category_avg() -> Rows:
    prices: dict[str, list[Decimal]] = defaultdict(list)
    for p in SHOP.products:
        prices[p.category].append(p.price)
    return [{"Category": c, "N": len(v), "AvgPrice": num(half_up(sum(v) / len(v), 2))}
            for c, v in sorted(prices.items())]  # fmt: skip


def e_int_division() -> Rows:
    lines: dict[int, list[int]] = defaultdict(list)
    for x in SHOP.lines:
        if x.order_id <= 10:
            lines[x.order_id].append(x.qty)
    return [{"OrderId": o, "AvgQty": sum(q) // len(q), "Rem": sum(q) % len(q)}
            for o, q in sorted(lines.items())]  # fmt: skip


def e_status_share_cast() -> Rows:
    # 100.0 * COUNT(*) / COUNT(*): DECIMAL(26,12) truncated, then CAST to DECIMAL(5,2) rounds
    counts = status_counts()
    return [{"Status": s, "N": n, "Pct": num(half_up(cut(Decimal(100 * n) / 300, 12), 2))}
            for s, n in sorted(counts.items())]  # fmt: skip


def e_status_share_raw() -> Rows:
    # COUNT(*) * 100.0 / 300: DECIMAL(15,1) / DECIMAL(3,0) has scale max(6, 1+3+1) = 6, truncated
    counts = status_counts()
    ranked = sorted(counts.items(), key=lambda i: (-i[1], i[0]))
    return [{"Status": s, "Pct": num(cut(Decimal(100 * n) / 300, 6))} for s, n in ranked]


def e_top3_ties() -> Rows:
    counts = Counter(o.customer_id for o in SHOP.orders)
    ranked = sorted(counts.items(), key=lambda i: -i[1])
    third = ranked[2][1]
    ranked = sorted(counts.items(), key=lambda i: (-i[1], i[0]))
    return [{"CustomerId": c, "Orders": n} for c, n in ranked if n >= third]


def orders_of(customer: int) -> list[shop_data.Order]:
    return sorted((o for o in SHOP.orders if o.customer_id == customer),
                  key=lambda o: (o.ordered, o.id))  # fmt: skip


def e_first_order() -> Rows:
    return [{"CustomerId": c, "Id": orders_of(c)[0].id} for c in range(1, 6) if orders_of(c)]


def e_price_ranks() -> Rows:
    ranked = sorted(SHOP.products, key=lambda p: (-p.price, p.id))
    prices = [p.price for p in ranked]
    distinct = sorted(set(prices), reverse=True)
    return [{"Id": p.id, "Price": num(p.price), "Dr": distinct.index(p.price) + 1,
             "Rk": prices.index(p.price) + 1} for p in ranked[:8]]  # fmt: skip


def e_days_to_next() -> Rows:
    mine = orders_of(1)
    out = []
    for i, o in enumerate(mine[:10]):
        nxt = mine[i + 1].ordered.date() if i + 1 < len(mine) else None
        days = None if nxt is None else (nxt - o.ordered.date()).days
        out.append({"Id": o.id, "DaysToNext": days})
    return out


def e_customer_units() -> Rows:
    units: Counter[int] = Counter()
    for x in SHOP.lines:
        if ORDERS[x.order_id].customer_id == 2:
            units[x.order_id] += x.qty
    total = sum(units.values())
    return [{"Id": o, "Units": units[o], "CustomerUnits": total} for o in sorted(units)]


def e_calendar_cancelled() -> Rows:
    counts = Counter(o.ordered.month for o in SHOP.orders
                     if o.status == "Cancelled" and o.customer_id == 1)  # fmt: skip
    return [{"Mo": m, "N": counts[m]} for m in range(1, 13)]


def e_pivot_status() -> Rows:
    cells: dict[int, Counter[str]] = defaultdict(Counter)
    for o in SHOP.orders:
        cells[(o.ordered.month - 1) // 3 + 1][o.status] += 1
    return [{"Qtr": q, "Shipped": cells[q]["Shipped"], "Pending": cells[q]["Pending"],
             "Cancelled": cells[q]["Cancelled"]} for q in sorted(cells)]  # fmt: skip


def e_status_codes() -> Rows:
    code = {"Shipped": "S", "Pending": "P"}
    counts = Counter(code.get(o.status, "X") for o in SHOP.orders)
    return [{"Code": c, "N": counts[c]} for c in sorted(counts)]


def e_seasons() -> Rows:
    names = ("Winter", "Spring", "Summer", "Autumn")
    counts = Counter((o.ordered.month - 1) // 3 + 1 for o in SHOP.orders)
    return [{"Season": names[q - 1], "N": counts[q]} for q in sorted(counts)]


def e_exists_big() -> Rows:
    hit = {ORDERS[x.order_id].customer_id for x in SHOP.lines
           if x.qty == 5 and x.unit_price > 90}  # fmt: skip
    return [{"Id": c} for c in sorted(hit)]


def e_not_in() -> Rows:
    bought = {x.product_id for x in SHOP.lines if ORDERS[x.order_id].customer_id == 3}
    return [{"Id": p} for p in sorted(PRODUCTS) if p not in bought]


def e_correlated() -> Rows:
    counts = Counter(o.customer_id for o in SHOP.orders)
    return [{"Id": c, "N": counts[c]} for c in range(28, 34)]


def e_union_places() -> Rows:
    places = {c.city for c in SHOP.customers if c.country == "Ireland"} | {"Ireland"}
    return [{"Place": p} for p in sorted(places)]


def e_intersect() -> Rows:
    cancelled = {o.customer_id for o in SHOP.orders if o.status == "Cancelled"}
    pending = {o.customer_id for o in SHOP.orders if o.status == "Pending"}
    return [{"CustomerId": c} for c in sorted(cancelled & pending)]


def e_except() -> Rows:
    shipped = {o.customer_id for o in SHOP.orders if o.status == "Shipped"}
    return [{"Id": c.id} for c in SHOP.customers if c.id not in shipped]


def e_city_c() -> Rows:
    return [{"N": sum(1 for c in SHOP.customers if c.city.lower().startswith("c"))}]


def e_no_o() -> Rows:
    return [{"N": sum(1 for c in SHOP.customers if "o" not in c.city.lower())}]


def e_offset_products() -> Rows:
    ranked = sorted(SHOP.products, key=lambda p: (-p.price, p.id))
    return [{"Id": p.id, "Name": p.name} for p in ranked[5:10]]


def e_customer_10() -> Rows:
    return [{"N": sum(1 for o in SHOP.orders if o.customer_id == 10)}]


def e_march() -> Rows:
    return [{"N": sum(1 for o in SHOP.orders if o.ordered.month == 3)}]


def e_before_jan15_noon() -> Rows:
    return [{"N": sum(1 for o in SHOP.orders if o.ordered < datetime(2024, 1, 15, 12))}]


def e_june_between() -> Rows:
    # BETWEEN '20240601' AND '20240630' ends at 2024-06-30 00:00:00: that day's orders are out
    low, high = datetime(2024, 6, 1), datetime(2024, 6, 30)
    return [{"N": sum(1 for o in SHOP.orders if low <= o.ordered <= high)}]


def e_busiest_days() -> Rows:
    counts = Counter(o.ordered.date() for o in SHOP.orders)
    ranked = sorted(counts.items(), key=lambda i: (-i[1], i[0]))[:5]
    return [{"D": iso(d), "N": n} for d, n in ranked]


def first_orders(k: int) -> list[shop_data.Order]:
    return [ORDERS[i] for i in range(1, k + 1)]


def e_convert_styles() -> Rows:
    return [{"Id": o.id, "Us": f"{o.ordered:%m/%d/%Y}", "Uk": f"{o.ordered:%d/%m/%Y}",
             "De": f"{o.ordered:%d.%m.%Y}", "Iso": f"{o.ordered:%Y%m%d}",
             "Odbc": f"{o.ordered:%Y-%m-%d %H:%M:%S}"} for o in first_orders(3)]  # fmt: skip


def e_convert_styles_2() -> Rows:
    return [{"Id": o.id, "It": f"{o.ordered:%d-%m-%Y}", "UsDash": f"{o.ordered:%m-%d-%Y}",
             "Jp": f"{o.ordered:%Y/%m/%d}", "Mon": mon_dd_yyyy(o.ordered),
             "Short": f"{o.ordered:%m/%d/%y}", "Br": f"{o.ordered:%d/%m/%y}"}
            for o in first_orders(3)]  # fmt: skip


def e_convert_121_126() -> Rows:
    return [{"Id": o.id, "Odbc": f"{o.ordered:%Y-%m-%d %H:%M:%S}.000",
             "Iso8601": f"{o.ordered:%Y-%m-%dT%H:%M:%S}"} for o in first_orders(3)]  # fmt: skip


def e_period_names() -> Rows:
    counts = Counter((o.ordered.year, o.ordered.month) for o in SHOP.orders)
    return [{"Period": f"{calendar.month_name[m]} {y}", "N": counts[(y, m)]}
            for y, m in sorted(counts)][:6]  # fmt: skip


def e_dateparts() -> Rows:
    return [{"Id": o.id, "Doy": o.ordered.timetuple().tm_yday, "Wk": week_of_year(o.ordered),
             "Hr": o.ordered.hour, "Dw": sunday_weekday(o.ordered)}
            for o in first_orders(5)]  # fmt: skip


def e_customer_diffs() -> Rows:
    end, sunday = datetime(2024, 1, 1), datetime(2024, 1, 7)
    return [{"Id": c.id, "Y": end.year - c.signed_up.year, "M": months_between(c.signed_up, end),
             "W": sunday.toordinal() // 7 - c.signed_up.toordinal() // 7}
            for c in SHOP.customers[:5]]  # fmt: skip


def e_month_edges() -> Rows:
    out = []
    for o in first_orders(3):
        y, m = o.ordered.year, o.ordered.month
        py, pm = (y, m - 1) if m > 1 else (y - 1, 12)
        out.append({"Id": o.id, "PrevEnd": iso(date(py, pm, calendar.monthrange(py, pm)[1])),
                    "FirstDay": iso(date(y, m, 1))})
    return out


def e_minutes() -> Rows:
    start = datetime(2024, 1, 1)
    return [{"Id": o.id, "Mins": int((o.ordered - start).total_seconds() // 60),
             "Hrs": (o.ordered.date() - start.date()).days * 24 + o.ordered.hour}
            for o in first_orders(3)]  # fmt: skip


def e_format_month() -> Rows:
    counts = Counter(f"{o.ordered:%Y-%m}" for o in SHOP.orders)
    return [{"Ym": m, "N": counts[m]} for m in sorted(counts)[:4]]


def e_format_numbers() -> Rows:
    return [{"Id": p.id, "N2": f"{p.price:,.2f}", "Pattern": f"{p.price:,.2f}",
             "Cur": f"${p.price * 100:,.2f}", "Day": f"{ORDERS[p.id].ordered:%d/%m/%Y}"}
            for p in SHOP.products[:4]]  # fmt: skip


def e_round_family() -> Rows:
    out = []
    for p in SHOP.products[:5]:
        out.append({"Id": p.id, "R0": num(half_up(p.price, 0)), "T1": num(cut(p.price, 1)),
                    "C": math.ceil(p.price), "F": math.floor(p.price), "A": num(p.price),
                    "R10": num(half_up(p.price / 10, 0) * 10)})
    return out


def e_whole_dollars() -> Rows:
    return [{"Id": p.id, "Whole": int(p.price), "Cents": num(p.price - int(p.price))}
            for p in SHOP.products[:5]]  # fmt: skip


def e_labels() -> Rows:
    return [{"Label": f"{p.name} ({p.category})"} for p in SHOP.products[:3]]


def e_name_parts() -> Rows:
    return [{"Num": c.name.split(" ", 1)[1], "Word": c.name.split(" ", 1)[0]}
            for c in SHOP.customers[:3]]  # fmt: skip


def e_padding() -> Rows:
    return [
        {"Id": i, "Padded": f"{i:05d}", "Short": "P" + PRODUCTS[i].name[7:]} for i in (1, 10, 25)
    ]


def e_upper_lower() -> Rows:
    c = CUSTOMERS[1]
    short = c.name.replace("Customer", "Cust")
    return [{"U": c.city.upper(), "Lc": c.country.lower(), "Nm": short}]


def e_per_customer() -> Rows:
    out = []
    for status in sorted({o.status for o in SHOP.orders}):
        mine = [o for o in SHOP.orders if o.status == status]
        buyers = len({o.customer_id for o in mine})
        out.append({"Status": status, "Customers": buyers, "PerCustomer": len(mine) // buyers})
    return out


def e_distinct_counts() -> Rows:
    return [{"Buyers": len({o.customer_id for o in SHOP.orders}),
             "Statuses": len({o.status for o in SHOP.orders})}]  # fmt: skip


def e_ordinal() -> Rows:
    prices: dict[str, list[Decimal]] = defaultdict(list)
    for p in SHOP.products:
        prices[p.category].append(p.price)
    ranked = sorted(prices.items(), key=lambda i: -max(i[1]))
    return [{"Category": c, "MaxP": num(max(v)), "MinP": num(min(v))} for c, v in ranked]


def e_units_having() -> Rows:
    units: Counter[int] = Counter()
    for x in SHOP.lines:
        units[x.product_id] += x.qty
    ranked = sorted(units.items(), key=lambda i: (-i[1], i[0]))
    return [{"ProductId": p, "Units": n} for p, n in ranked if n >= 40]


def e_country_buyers() -> Rows:
    buyers: dict[str, set[int]] = defaultdict(set)
    revenue: dict[str, Decimal] = defaultdict(Decimal)
    for x in SHOP.lines:
        customer = CUSTOMERS[ORDERS[x.order_id].customer_id]
        if PRODUCTS[x.product_id].category == "Books":
            buyers[customer.country].add(customer.id)
            revenue[customer.country] += amount(x)
    return [{"Country": c, "Buyers": len(buyers[c]), "Revenue": num(revenue[c])}
            for c in sorted(buyers)]  # fmt: skip


def e_priciest() -> Rows:
    best: dict[str, shop_data.Product] = {}
    for p in sorted(SHOP.products, key=lambda p: (-p.price, p.id)):
        best.setdefault(p.category, p)
    return [{"Category": c, "Priciest": best[c].name} for c in sorted(best)]


def e_moving_average() -> Rows:
    counts = Counter(o.ordered.month for o in SHOP.orders)
    months = sorted(counts)
    out = []
    for i, m in enumerate(months):
        window = [counts[x] for x in months[max(0, i - 2) : i + 1]]
        out.append({"Mo": m, "N": counts[m], "Avg3": sum(window) // len(window)})  # AVG(int)
    return out


def e_avg_qty() -> Rows:
    qty = [x.qty for x in SHOP.lines]
    return [{"A": sum(qty) // len(qty), "Lines": len(qty)}]


def e_units_left_join() -> Rows:
    units: Counter[int] = Counter()
    for x in SHOP.lines:
        units[ORDERS[x.order_id].customer_id] += x.qty
    return [{"Id": c, "Units": units.get(c, 0)} for c in range(29, 33)]


def e_weekend() -> Rows:
    return [{"N": sum(1 for o in SHOP.orders if o.ordered.isoweekday() >= 6)}]


def e_month_start() -> Rows:
    counts = Counter(datetime(o.ordered.year, o.ordered.month, 1) for o in SHOP.orders)
    return [{"MonthStart": iso(m), "N": counts[m]} for m in sorted(counts)[:3]]


def e_one_day() -> Rows:
    return [{"N": sum(1 for o in SHOP.orders if o.ordered.date() == date(2024, 3, 15))}]


def e_category_share() -> Rows:
    revenue: dict[str, Decimal] = defaultdict(Decimal)
    for x in SHOP.lines:
        revenue[PRODUCTS[x.product_id].category] += amount(x)
    total = sum(revenue.values())
    return [{"Category": c, "Pct": num(half_up(cut(100 * r / total, 6), 2))}
            for c, r in sorted(revenue.items())]  # fmt: skip


def e_ymd() -> Rows:
    return [{"Y": o.ordered.year, "M": o.ordered.month, "D": o.ordered.day}
            for o in first_orders(2)]  # fmt: skip


# --- staff expectations --------------------------------------------------------------------------
def by_last(ids: list[int] | None = None) -> list[str]:
    chosen = [STAFF[i] for i in ids] if ids else list(STAFF.values())
    return [e.last for e in sorted(chosen, key=lambda e: word_key(e.last))]


def e_hierarchy() -> Rows:
    level = {1: 0}
    while len(level) < len(STAFF):
        for e in STAFF.values():
            if e.reports_to in level and e.id not in level:
                level[e.id] = level[e.reports_to] + 1
    return [{"Id": i, "Lvl": lv} for i, lv in sorted(level.items(), key=lambda i: (i[1], i[0]))]


def e_hire_ranks() -> Rows:
    ranked = sorted(STAFF.values(), key=lambda e: (e.hired, e.id))
    dates = [e.hired for e in ranked]
    distinct = sorted(set(dates))
    return [{"Id": e.id, "Rk": dates.index(e.hired) + 1, "Dr": distinct.index(e.hired) + 1}
            for e in ranked[:8]]  # fmt: skip


def e_title_share() -> Rows:
    salary: dict[str, list[Decimal]] = defaultdict(list)
    for e in STAFF.values():
        salary[e.title].append(e.salary)
    total = sum(e.salary for e in STAFF.values())
    return [{"Title": t, "N": len(v), "Pct": num(half_up(cut(sum(v) * 100 / total, 6), 2))}
            for t, v in sorted(salary.items(), key=lambda i: word_key(i[0]))]  # fmt: skip


def e_hires_per_year() -> Rows:
    counts = Counter(e.hired.year for e in STAFF.values())
    return [{"Y": y, "N": counts[y]} for y in sorted(counts)]


def e_tenure() -> Rows:
    at = datetime(2000, 6, 30)
    out = []
    for i in (13, 14, 15):
        h = STAFF[i].hired
        out.append({"Id": i, "Years": at.year - h.year - ((at.month, at.day) < (h.month, h.day))})
    return out


Q = tuple[str, str, Expected]
CORPUS: list[Q] = [
    # ---------------- shop: grouping, joins, subqueries --------------------------------------
    ("country-having", "SELECT Country, COUNT(*) AS N FROM Customers GROUP BY Country "
     "HAVING COUNT(*) > 5 ORDER BY 2 DESC, 1", e_country_having),
    ("above-average-price", "SELECT Id, Price FROM Products WHERE Price > (SELECT AVG(Price) "
     "FROM Products) ORDER BY Price DESC, Id", e_above_average),
    ("category-avg-cast", "SELECT Category, COUNT(*) AS N, CAST(AVG(Price) AS DECIMAL(10,2)) "
     "AS AvgPrice FROM Products GROUP BY Category ORDER BY Category", e_category_avg),
    ("integer-division-modulo", "SELECT OrderId, SUM(Qty) / COUNT(*) AS AvgQty, "
     "SUM(Qty) % COUNT(*) AS Rem FROM OrderLines WHERE OrderId <= 10 GROUP BY OrderId "
     "ORDER BY OrderId", e_int_division),
    ("status-share-cast", "SELECT Status, COUNT(*) AS N, CAST(100.0 * COUNT(*) / (SELECT "
     "COUNT(*) FROM Orders) AS DECIMAL(5,2)) AS Pct FROM Orders GROUP BY Status ORDER BY Status",
     e_status_share_cast),
    ("status-share-raw", "SELECT Status, COUNT(*) * 100.0 / 300 AS Pct FROM Orders "
     "GROUP BY Status ORDER BY Pct DESC, Status", e_status_share_raw),
    ("top-3-with-ties", "SELECT * FROM (SELECT TOP (3) WITH TIES CustomerId, COUNT(*) AS Orders "
     "FROM Orders GROUP BY CustomerId ORDER BY COUNT(*) DESC) t ORDER BY Orders DESC, CustomerId",
     e_top3_ties),
    ("first-order-row-number", "WITH r AS (SELECT Id, CustomerId, ROW_NUMBER() OVER (PARTITION "
     "BY CustomerId ORDER BY OrderDate, Id) AS Rn FROM Orders) SELECT CustomerId, Id FROM r "
     "WHERE Rn = 1 AND CustomerId <= 5 ORDER BY CustomerId", e_first_order),
    ("dense-rank-prices", "SELECT TOP 8 Id, Price, DENSE_RANK() OVER (ORDER BY Price DESC) AS Dr, "
     "RANK() OVER (ORDER BY Price DESC) AS Rk FROM Products ORDER BY Price DESC, Id",
     e_price_ranks),
    ("lead-days-to-next", "SELECT TOP 10 Id, DATEDIFF(day, OrderDate, LEAD(OrderDate) OVER "
     "(ORDER BY OrderDate, Id)) AS DaysToNext FROM Orders WHERE CustomerId = 1 "
     "ORDER BY OrderDate, Id", e_days_to_next),
    ("lag-default", "SELECT Id, LAG(Id, 1, 0) OVER (ORDER BY Id) AS Prev FROM Orders "
     "WHERE Id <= 5 ORDER BY Id",
     [{"Id": i, "Prev": i - 1} for i in range(1, 6)]),  # the first row takes the default 0
    ("sum-of-sum-over", "SELECT o.Id, SUM(l.Qty) AS Units, SUM(SUM(l.Qty)) OVER (PARTITION BY "
     "o.CustomerId) AS CustomerUnits FROM Orders o JOIN OrderLines l ON l.OrderId = o.Id "
     "WHERE o.CustomerId = 2 GROUP BY o.Id, o.CustomerId ORDER BY o.Id", e_customer_units),
    ("recursive-month-calendar", "WITH months AS (SELECT 1 AS m UNION ALL SELECT m + 1 FROM "
     "months WHERE m < 12) SELECT months.m AS Mo, COUNT(o.Id) AS N FROM months LEFT JOIN Orders o "
     "ON MONTH(o.OrderDate) = months.m AND o.Status = 'Cancelled' AND o.CustomerId = 1 "
     "GROUP BY months.m ORDER BY months.m", e_calendar_cancelled),
    ("pivot-status-quarter", "SELECT Qtr, [Shipped], [Pending], [Cancelled] FROM (SELECT "
     "DATEPART(quarter, OrderDate) AS Qtr, Status, Id FROM Orders) s PIVOT (COUNT(Id) FOR Status "
     "IN ([Shipped], [Pending], [Cancelled])) p ORDER BY Qtr", e_pivot_status),
    ("simple-case-codes", "SELECT CASE Status WHEN 'Shipped' THEN 'S' WHEN 'Pending' THEN 'P' "
     "ELSE 'X' END AS Code, COUNT(*) AS N FROM Orders GROUP BY CASE Status WHEN 'Shipped' "
     "THEN 'S' WHEN 'Pending' THEN 'P' ELSE 'X' END ORDER BY Code", e_status_codes),
    ("where-lowercase-literal", "SELECT COUNT(*) AS N FROM Orders WHERE Status = 'shipped'",
     lambda: [{"N": status_counts()["Shipped"]}]),  # = is case-insensitive
    ("in-upper-lower", "SELECT COUNT(*) AS N FROM Orders WHERE Status IN ('PENDING', "
     "'cancelled')", lambda: [{"N": status_counts()["Pending"] + status_counts()["Cancelled"]}]),
    ("choose-season", "SELECT CHOOSE(DATEPART(quarter, OrderDate), 'Winter', 'Spring', 'Summer', "
     "'Autumn') AS Season, COUNT(*) AS N FROM Orders GROUP BY DATEPART(quarter, OrderDate) "
     "ORDER BY DATEPART(quarter, OrderDate)", e_seasons),
    ("exists-join", "SELECT c.Id FROM Customers c WHERE EXISTS (SELECT 1 FROM Orders o JOIN "
     "OrderLines l ON l.OrderId = o.Id WHERE o.CustomerId = c.Id AND l.Qty = 5 AND "
     "l.UnitPrice > 90) ORDER BY c.Id", e_exists_big),
    ("not-in-subquery", "SELECT Id FROM Products WHERE Id NOT IN (SELECT l.ProductId FROM "
     "OrderLines l JOIN Orders o ON o.Id = l.OrderId WHERE o.CustomerId = 3) ORDER BY Id",
     e_not_in),
    ("correlated-count", "SELECT c.Id, (SELECT COUNT(*) FROM Orders o WHERE o.CustomerId = c.Id) "
     "AS N FROM Customers c WHERE c.Id BETWEEN 28 AND 33 ORDER BY c.Id", e_correlated),
    ("union-places", "SELECT City AS Place FROM Customers WHERE Country = 'Ireland' UNION "
     "SELECT Country FROM Customers WHERE Country = 'Ireland' ORDER BY Place", e_union_places),
    ("union-all-count", "SELECT COUNT(*) AS N FROM (SELECT Country FROM Customers UNION ALL "
     "SELECT Country FROM Customers) t", [{"N": 2 * len(SHOP.customers)}]),
    ("intersect", "SELECT CustomerId FROM Orders WHERE Status = 'Cancelled' INTERSECT SELECT "
     "CustomerId FROM Orders WHERE Status = 'Pending' ORDER BY CustomerId", e_intersect),
    ("except", "SELECT Id FROM Customers EXCEPT SELECT CustomerId FROM Orders WHERE "
     "Status = 'Shipped' ORDER BY Id", e_except),
    ("like-lowercase-prefix", "SELECT COUNT(*) AS N FROM Customers WHERE City LIKE 'c%'",
     e_city_c),  # LIKE is case-insensitive: Calgary and Cork
    ("like-class-suffix", "SELECT Id FROM Products WHERE Name LIKE '%[13]' ORDER BY Id",
     [{"Id": i} for i in (1, 3, 11, 13, 21, 23)]),  # 'Product 01' .. names end in a digit
    ("like-underscore", "SELECT Id FROM Products WHERE Name LIKE 'Product _5' ORDER BY Id",
     [{"Id": i} for i in (5, 15, 25)]),
    ("not-like", "SELECT COUNT(*) AS N FROM Customers WHERE City NOT LIKE '%O%'", e_no_o),
    ("offset-fetch", "SELECT Id, Name FROM Products ORDER BY Price DESC, Id OFFSET 5 ROWS "
     "FETCH NEXT 5 ROWS ONLY", e_offset_products),
    ("string-equals-int", "SELECT COUNT(*) AS N FROM Orders WHERE CustomerId = '10'",
     e_customer_10),  # the varchar converts to int (int has the higher precedence)
    ("mdy-literal", "SELECT COUNT(*) AS N FROM Orders WHERE OrderDate >= '03/01/2024' AND "
     "OrderDate < '04/01/2024'", e_march),  # DATEFORMAT mdy
    ("iso-t-literal", "SELECT COUNT(*) AS N FROM Orders WHERE OrderDate < '2024-01-15T12:00:00'",
     e_before_jan15_noon),
    ("between-ymd-literal", "SELECT COUNT(*) AS N FROM Orders WHERE OrderDate BETWEEN "
     "'20240601' AND '20240630'", e_june_between),
    ("cast-as-date-group", "SELECT TOP 5 CAST(OrderDate AS DATE) AS D, COUNT(*) AS N FROM Orders "
     "GROUP BY CAST(OrderDate AS DATE) ORDER BY N DESC, D", e_busiest_days),
    ("convert-styles", "SELECT TOP 3 Id, CONVERT(VARCHAR(10), OrderDate, 101) AS Us, "
     "CONVERT(VARCHAR(10), OrderDate, 103) AS Uk, CONVERT(VARCHAR(10), OrderDate, 104) AS De, "
     "CONVERT(VARCHAR(8), OrderDate, 112) AS Iso, CONVERT(VARCHAR(19), OrderDate, 120) AS Odbc "
     "FROM Orders ORDER BY Id", e_convert_styles),
    ("convert-styles-2", "SELECT TOP 3 Id, CONVERT(VARCHAR(10), OrderDate, 105) AS It, "
     "CONVERT(VARCHAR(10), OrderDate, 110) AS UsDash, CONVERT(VARCHAR(10), OrderDate, 111) AS Jp, "
     "CONVERT(VARCHAR(30), OrderDate, 100) AS Mon, CONVERT(VARCHAR(8), OrderDate, 1) AS Short, "
     "CONVERT(VARCHAR(8), OrderDate, 3) AS Br FROM Orders ORDER BY Id", e_convert_styles_2),
    ("convert-121-126", "SELECT TOP 3 Id, CONVERT(VARCHAR(23), OrderDate, 121) AS Odbc, "
     "CONVERT(VARCHAR(19), OrderDate, 126) AS Iso8601 FROM Orders ORDER BY Id", e_convert_121_126),
    ("datename-period", "SELECT TOP 6 DATENAME(month, OrderDate) + ' ' + CAST(YEAR(OrderDate) "
     "AS VARCHAR(4)) AS Period, COUNT(*) AS N FROM Orders GROUP BY YEAR(OrderDate), "
     "MONTH(OrderDate), DATENAME(month, OrderDate) ORDER BY YEAR(OrderDate), MONTH(OrderDate)",
     e_period_names),
    ("dateparts", "SELECT Id, DATEPART(dayofyear, OrderDate) AS Doy, DATEPART(week, OrderDate) "
     "AS Wk, DATEPART(hour, OrderDate) AS Hr, DATEPART(weekday, OrderDate) AS Dw FROM Orders "
     "WHERE Id <= 5 ORDER BY Id", e_dateparts),
    ("datediff-boundaries", "SELECT Id, DATEDIFF(year, SignedUp, '2024-01-01') AS Y, "
     "DATEDIFF(month, SignedUp, '2024-01-01') AS M, DATEDIFF(week, SignedUp, '2024-01-07') AS W "
     "FROM Customers WHERE Id <= 5 ORDER BY Id", e_customer_diffs),
    ("eomonth-datefromparts", "SELECT TOP 3 Id, EOMONTH(OrderDate, -1) AS PrevEnd, "
     "DATEFROMPARTS(YEAR(OrderDate), MONTH(OrderDate), 1) AS FirstDay FROM Orders ORDER BY Id",
     e_month_edges),
    ("datediff-minutes-hours", "SELECT TOP 3 Id, DATEDIFF(minute, '2024-01-01', OrderDate) AS "
     "Mins, DATEDIFF(hour, '2024-01-01', OrderDate) AS Hrs FROM Orders ORDER BY Id", e_minutes),
    ("format-year-month", "SELECT TOP 4 FORMAT(OrderDate, 'yyyy-MM') AS Ym, COUNT(*) AS N FROM "
     "Orders GROUP BY FORMAT(OrderDate, 'yyyy-MM') ORDER BY Ym", e_format_month),
    ("format-numbers", "SELECT TOP 4 p.Id, FORMAT(p.Price, 'N2') AS N2, FORMAT(p.Price, "
     "'#,##0.00') AS Pattern, FORMAT(p.Price * 100, 'C') AS Cur, FORMAT(o.OrderDate, "
     "'dd/MM/yyyy') AS [Day] FROM Products p JOIN Orders o ON o.Id = p.Id ORDER BY p.Id",
     e_format_numbers),  # en-US: 'C' is '$' with 2 decimals
    ("round-family", "SELECT TOP 5 Id, ROUND(Price, 0) AS R0, ROUND(Price, 1, 1) AS T1, "
     "CEILING(Price) AS C, FLOOR(Price) AS F, ABS(-Price) AS A, ROUND(Price, -1) AS R10 "
     "FROM Products ORDER BY Id", e_round_family),
    ("cast-price-int", "SELECT TOP 5 Id, CAST(Price AS INT) AS Whole, Price - CAST(Price AS INT) "
     "AS Cents FROM Products ORDER BY Id", e_whole_dollars),  # CAST truncates
    ("plus-concat-labels", "SELECT TOP 3 Name + ' (' + Category + ')' AS Label FROM Products "
     "ORDER BY Id", e_labels),
    ("charindex-substring", "SELECT TOP 3 SUBSTRING(Name, CHARINDEX(' ', Name) + 1, 10) AS Num, "
     "LEFT(Name, CHARINDEX(' ', Name) - 1) AS Word FROM Customers ORDER BY Id", e_name_parts),
    ("patindex-digit", "SELECT PATINDEX('%[0-9]%', Name) AS P FROM Products WHERE Id = 1",
     [{"P": 9}]),  # 'Product 01': the first digit is the 9th character
    ("replicate-right-stuff", "SELECT Id, RIGHT(REPLICATE('0', 5) + CAST(Id AS VARCHAR(5)), 5) AS "
     "Padded, STUFF(Name, 1, 7, 'P') AS Short FROM Products WHERE Id IN (1, 10, 25) ORDER BY Id",
     e_padding),
    ("upper-lower-replace", "SELECT UPPER(City) AS U, LOWER(Country) AS Lc, REPLACE(Name, "
     "'Customer', 'Cust') AS Nm FROM Customers WHERE Id = 1", e_upper_lower),
    ("nullif-division", "SELECT Status, COUNT(DISTINCT CustomerId) AS Customers, COUNT(*) / "
     "NULLIF(COUNT(DISTINCT CustomerId), 0) AS PerCustomer FROM Orders GROUP BY Status "
     "ORDER BY Status", e_per_customer),
    ("distinct-counts", "SELECT COUNT(DISTINCT CustomerId) AS Buyers, COUNT(DISTINCT Status) AS "
     "Statuses FROM Orders", e_distinct_counts),
    ("order-by-ordinal", "SELECT Category, MAX(Price) AS MaxP, MIN(Price) AS MinP FROM Products "
     "GROUP BY Category ORDER BY 2 DESC", e_ordinal),
    ("having-sum", "SELECT ProductId, SUM(Qty) AS Units FROM OrderLines GROUP BY ProductId "
     "HAVING SUM(Qty) >= 40 ORDER BY Units DESC, ProductId", e_units_having),
    ("three-table-join", "SELECT c.Country, COUNT(DISTINCT c.Id) AS Buyers, SUM(l.Qty * "
     "l.UnitPrice) AS Revenue FROM Customers c JOIN Orders o ON o.CustomerId = c.Id JOIN "
     "OrderLines l ON l.OrderId = o.Id JOIN Products p ON p.Id = l.ProductId WHERE p.Category = "
     "'Books' GROUP BY c.Country ORDER BY c.Country", e_country_buyers),
    ("first-value-distinct", "SELECT DISTINCT Category, FIRST_VALUE(Name) OVER (PARTITION BY "
     "Category ORDER BY Price DESC, Id) AS Priciest FROM Products ORDER BY Category", e_priciest),
    ("moving-avg-int", "WITH m AS (SELECT MONTH(OrderDate) AS Mo, COUNT(*) AS N FROM Orders "
     "GROUP BY MONTH(OrderDate)) SELECT Mo, N, AVG(N) OVER (ORDER BY Mo ROWS BETWEEN 2 PRECEDING "
     "AND CURRENT ROW) AS Avg3 FROM m ORDER BY Mo", e_moving_average),
    ("avg-int-column", "SELECT AVG(Qty) AS A, COUNT(*) AS Lines FROM OrderLines", e_avg_qty),
    ("isnull-left-join", "SELECT c.Id, ISNULL(SUM(l.Qty), 0) AS Units FROM Customers c LEFT JOIN "
     "Orders o ON o.CustomerId = c.Id LEFT JOIN OrderLines l ON l.OrderId = o.Id WHERE c.Id "
     "BETWEEN 29 AND 32 GROUP BY c.Id ORDER BY c.Id", e_units_left_join),
    ("weekend-datename", "SELECT COUNT(*) AS N FROM Orders WHERE DATENAME(weekday, OrderDate) IN "
     "('Saturday', 'Sunday')", e_weekend),
    ("dateadd-datediff-zero", "SELECT TOP 3 DATEADD(month, DATEDIFF(month, 0, OrderDate), 0) AS "
     "MonthStart, COUNT(*) AS N FROM Orders GROUP BY DATEADD(month, DATEDIFF(month, 0, "
     "OrderDate), 0) ORDER BY MonthStart", e_month_start),  # 0 is 1900-01-01
    ("convert-date-equals", "SELECT COUNT(*) AS N FROM Orders WHERE CONVERT(DATE, OrderDate) = "
     "'2024-03-15'", e_one_day),
    ("category-share-round", "SELECT p.Category, ROUND(100.0 * SUM(l.Qty * l.UnitPrice) / "
     "(SELECT SUM(Qty * UnitPrice) FROM OrderLines), 2) AS Pct FROM OrderLines l JOIN Products p "
     "ON p.Id = l.ProductId GROUP BY p.Category ORDER BY p.Category", e_category_share),
    ("year-month-day", "SELECT TOP 2 YEAR(OrderDate) AS Y, MONTH(OrderDate) AS M, DAY(OrderDate) "
     "AS D FROM Orders ORDER BY Id", e_ymd),
    # ---------------- staff: collation, NULLs, hierarchy --------------------------------------
    ("order-by-last-name", "SELECT LastName FROM Staff ORDER BY LastName",
     lambda: [{"LastName": n} for n in by_last()]),  # dictionary order, see word_key
    ("top-first-names-desc", "SELECT TOP 5 FirstName FROM Staff ORDER BY FirstName DESC",
     [{"FirstName": n} for n in ("Zoë", "Steven", "Seán", "Robert", "Olaf")]),
    ("group-by-city-ci", "SELECT UPPER(City) AS City, COUNT(*) AS N FROM Staff GROUP BY City "
     "ORDER BY 2 DESC, 1",  # London/london/LONDON and Tacoma/tacoma are one group each
     [{"City": c, "N": n} for c, n in (("LONDON", 4), ("SEATTLE", 4), ("KIRKLAND", 2),
      ("REDMOND", 2), ("TACOMA", 2), ("DUBLIN", 1), ("MADRID", 1), ("PARIS", 1))]),
    ("count-distinct-city-ci", "SELECT COUNT(DISTINCT City) AS Cities FROM Staff",
     [{"Cities": 8}]),
    ("where-city-ci", "SELECT COUNT(*) AS N FROM Staff WHERE City = 'london'", [{"N": 4}]),
    ("count-null-region", "SELECT COUNT(DISTINCT Region) AS R, COUNT(Region) AS NonNull, "
     "COUNT(*) AS AllRows FROM Staff", [{"R": 1, "NonNull": 10, "AllRows": 17}]),  # 'wa' = 'WA'
    ("nulls-first", "SELECT Id, Bonus FROM Staff ORDER BY Bonus, Id",
     lambda: [{"Id": e.id, "Bonus": None if e.bonus is None else num(e.bonus)} for e in
              sorted(STAFF.values(), key=lambda e: (e.bonus is not None, e.bonus or 0, e.id))]),
    ("aggregates-skip-null", "SELECT COUNT(Bonus) AS N, SUM(Bonus) AS S, AVG(Bonus) AS A FROM "
     "Staff",  # AVG of DECIMAL(19,4) is DECIMAL(38,6): 2325/9 = 258.333333
     [{"N": 9, "S": 2325.0, "A": 258.333333}]),
    ("isnull-total", "SELECT Id, Salary + ISNULL(Bonus, 0) AS Total, Salary + Bonus AS Raw FROM "
     "Staff WHERE Id <= 4 ORDER BY Id",
     [{"Id": 1, "Total": 9000.0, "Raw": None}, {"Id": 2, "Total": 5700.5, "Raw": 5700.5},
      {"Id": 3, "Total": 4800.0, "Raw": None}, {"Id": 4, "Total": 4950.25, "Raw": 4950.25}]),
    ("plus-null-label", "SELECT Id, FirstName + ' ' + LastName + ', ' + Region AS Label FROM "
     "Staff WHERE Id IN (1, 5) ORDER BY Id",  # CONCAT_NULL_YIELDS_NULL: NULL region, NULL label
     [{"Id": 1, "Label": "Andrew Fuller, WA"}, {"Id": 5, "Label": None}]),
    ("concat-ws", "SELECT CONCAT_WS(', ', City, Region) AS Place, CONCAT(FirstName, ' ', Region) "
     "AS C FROM Staff WHERE Id IN (1, 5) ORDER BY Id",  # both skip / treat NULL as ''
     [{"Place": "Tacoma, WA", "C": "Andrew WA"}, {"Place": "London", "C": "Steven "}]),
    ("recursive-levels", "WITH h AS (SELECT Id, 0 AS Lvl FROM Staff WHERE ReportsTo IS NULL "
     "UNION ALL SELECT s.Id, h.Lvl + 1 FROM Staff s JOIN h ON s.ReportsTo = h.Id) SELECT Id, Lvl "
     "FROM h ORDER BY Lvl, Id", e_hierarchy),
    ("recursive-path", "WITH h AS (SELECT Id, CAST(LastName AS NVARCHAR(400)) AS Path FROM Staff "
     "WHERE ReportsTo IS NULL UNION ALL SELECT s.Id, CAST(h.Path + ' > ' + s.LastName AS "
     "NVARCHAR(400)) FROM Staff s JOIN h ON s.ReportsTo = h.Id) SELECT Path FROM h WHERE Id IN "
     "(10, 17) ORDER BY Id", [{"Path": "Fuller > Buchanan > Dodsworth > Zola"},
                               {"Path": "Fuller > Leverling > Oberon > Ellison"}]),
    ("self-join-manager", "SELECT e.LastName, m.LastName AS Manager FROM Staff e LEFT JOIN Staff "
     "m ON m.Id = e.ReportsTo WHERE e.Id IN (1, 6, 13) ORDER BY e.Id",
     [{"LastName": "Fuller", "Manager": None}, {"LastName": "Suyama", "Manager": "Buchanan"},
      {"LastName": "Álvarez", "Manager": "Davolio"}]),
    ("reports-having", "SELECT m.LastName, COUNT(*) AS Reports FROM Staff e JOIN Staff m ON "
     "m.Id = e.ReportsTo GROUP BY m.LastName HAVING COUNT(*) >= 2 ORDER BY Reports DESC, "
     "m.LastName", [{"LastName": "Fuller", "Reports": 4}, {"LastName": "Buchanan", "Reports": 3},
                    {"LastName": "Davolio", "Reports": 2}]),
    ("like-e-accent-sensitive", "SELECT FirstName FROM Staff WHERE FirstName LIKE 'e%' "
     "ORDER BY FirstName", [{"FirstName": "Ed"}, {"FirstName": "Eve"}]),  # 'Émile': É is not e
    ("like-range-collation", "SELECT LastName FROM Staff WHERE LastName LIKE '[a-c]%' ORDER BY "
     "LastName",  # the range follows the collation: A-C any case, Á between a and b
     lambda: [{"LastName": n} for n in by_last([15, 13, 5, 8])]),
    ("like-apostrophe", "SELECT LastName FROM Staff WHERE LastName LIKE '%''%'",
     [{"LastName": "O'Brien"}]),
    ("min-max-text", "SELECT MIN(LastName) AS First, MAX(LastName) AS Last FROM Staff",
     [{"First": "abbott", "Last": "Zola"}]),
    ("upper-lower-unicode", "SELECT UPPER(FirstName) AS U, LOWER(LastName) AS L, LEN(FirstName) "
     "AS N FROM Staff WHERE Id IN (10, 11, 13) ORDER BY Id",
     [{"U": "ÉMILE", "L": "zola", "N": 5}, {"U": "ZOË", "L": "de la cruz", "N": 3},
      {"U": "ANA", "L": "álvarez", "N": 3}]),
    ("datediff-year-boundaries", "SELECT Id, DATEDIFF(year, HireDate, '2000-01-01') AS Years "
     "FROM Staff WHERE Id IN (11, 12, 15) ORDER BY Id",  # 1996-12-31 → 4: years crossed
     [{"Id": 11, "Years": 4}, {"Id": 12, "Years": 3}, {"Id": 15, "Years": 1}]),
    ("age-style-tenure", "SELECT Id, DATEDIFF(year, HireDate, '2000-06-30') - CASE WHEN "
     "DATEADD(year, DATEDIFF(year, HireDate, '2000-06-30'), HireDate) > '2000-06-30' THEN 1 "
     "ELSE 0 END AS Years FROM Staff WHERE Id IN (13, 14, 15) ORDER BY Id", e_tenure),
    ("hires-per-year", "SELECT YEAR(HireDate) AS Y, COUNT(*) AS N FROM Staff GROUP BY "
     "YEAR(HireDate) ORDER BY Y", e_hires_per_year),
    ("datename-leap-day", "SELECT DATENAME(month, HireDate) AS M, DATENAME(weekday, HireDate) "
     "AS D, EOMONTH(HireDate) AS E FROM Staff WHERE Id IN (13, 17) ORDER BY Id",
     [{"M": "February", "D": date(1996, 2, 29).strftime("%A"), "E": iso(date(1996, 2, 29))},
      {"M": "February", "D": date(2000, 2, 29).strftime("%A"), "E": iso(date(2000, 2, 29))}]),
    ("rank-hire-ties", "SELECT TOP 8 Id, RANK() OVER (ORDER BY HireDate) AS Rk, DENSE_RANK() "
     "OVER (ORDER BY HireDate) AS Dr FROM Staff ORDER BY HireDate, Id", e_hire_ranks),
    ("top-with-ties-dates", "SELECT Id FROM (SELECT TOP 5 WITH TIES Id, HireDate FROM Staff "
     "ORDER BY HireDate) t ORDER BY Id", [{"Id": i} for i in range(1, 7)]),  # 5 and 6 tie
    ("title-share", "SELECT Title, COUNT(*) AS N, CAST(SUM(Salary) * 100.0 / (SELECT SUM(Salary) "
     "FROM Staff) AS DECIMAL(5,2)) AS Pct FROM Staff GROUP BY Title ORDER BY Title",
     e_title_share),
    ("pivot-years-star", "SELECT * FROM (SELECT Title, YEAR(HireDate) AS Y FROM Staff WHERE "
     "Title = 'Sales Representative') s PIVOT (COUNT(Y) FOR Y IN ([1992], [1993], [1994])) p",
     [{"Title": "Sales Representative", "1992": 2, "1993": 2, "1994": 2}]),
    ("unpivot-amounts", "SELECT Id, Kind, Amount FROM (SELECT Id, Salary, Bonus FROM Staff WHERE "
     "Id IN (1, 2)) s UNPIVOT (Amount FOR Kind IN (Salary, Bonus)) u ORDER BY Id, Kind",
     [{"Id": 1, "Kind": "Salary", "Amount": 9000.0},  # UNPIVOT drops the NULL bonus
      {"Id": 2, "Kind": "Bonus", "Amount": 500.0}, {"Id": 2, "Kind": "Salary", "Amount": 5200.5}]),
    ("iif-null", "SELECT Id, IIF(Bonus > 0, 'yes', 'no') AS HasBonus, NULLIF(Bonus, 0) AS B "
     "FROM Staff WHERE Id IN (1, 2, 9) ORDER BY Id",  # NULL > 0 is unknown: the ELSE branch
     [{"Id": 1, "HasBonus": "no", "B": None}, {"Id": 2, "HasBonus": "yes", "B": 500.0},
      {"Id": 9, "HasBonus": "no", "B": None}]),
    ("not-in-null-trap", "SELECT COUNT(*) AS N FROM Staff WHERE Id NOT IN (SELECT ReportsTo "
     "FROM Staff)", [{"N": 0}]),  # the list holds a NULL: NOT IN is never true
    ("not-in-leaves", "SELECT COUNT(*) AS N FROM Staff WHERE Id NOT IN (SELECT ReportsTo FROM "
     "Staff WHERE ReportsTo IS NOT NULL)", [{"N": 7}]),
    ("string-agg-ci-where", "SELECT STRING_AGG(FirstName, ', ') WITHIN GROUP (ORDER BY FirstName) "
     "AS Names FROM Staff WHERE City = 'SEATTLE'", [{"Names": "Ed, Laura, Nancy, Zoë"}]),
    ("initials", "SELECT LEFT(FirstName, 1) + '. ' + LastName AS Short FROM Staff WHERE Id IN "
     "(10, 12) ORDER BY Id", [{"Short": "É. Zola"}, {"Short": "S. O'Brien"}]),
    ("charindex-replace-ci", "SELECT Id, CHARINDEX('E', LastName) AS P, REPLACE(City, 'SEA', 'x') "
     "AS R FROM Staff WHERE Id IN (2, 4) ORDER BY Id",  # both compare case-insensitively
     [{"Id": 2, "P": 0, "R": "xttle"}, {"Id": 4, "P": 2, "R": "Redmond"}]),
    ("order-by-case-nulls-last", "SELECT TOP 6 LastName FROM Staff ORDER BY CASE WHEN Region "
     "IS NULL THEN 1 ELSE 0 END, LastName",
     lambda: [{"LastName": n} for n in by_last([1, 2, 3, 4, 8, 11, 14, 15, 16, 17])[:6]]),
    ("group-null-region", "SELECT UPPER(Region) AS R, COUNT(*) AS N FROM Staff GROUP BY Region "
     "ORDER BY 1", [{"R": None, "N": 7}, {"R": "WA", "N": 10}]),
    ("distinct-city-subquery", "SELECT COUNT(*) AS N FROM (SELECT DISTINCT City FROM Staff) d",
     [{"N": 8}]),
    ("union-ci-dedupe", "SELECT COUNT(*) AS N FROM (SELECT City FROM Staff WHERE Id = 5 UNION "
     "SELECT City FROM Staff WHERE Id = 7) u", [{"N": 1}]),  # 'London' = 'LONDON'
    ("join-on-text-ci", "SELECT COUNT(*) AS N FROM Staff a JOIN Staff b ON a.City = b.City AND "
     "a.Id < b.Id WHERE a.City = 'london'", [{"N": 6}]),  # 4 Londoners, 6 pairs
    ("text-less-than", "SELECT COUNT(*) AS N FROM Staff WHERE LastName < 'b'",
     [{"N": 2}]),  # abbott and Álvarez sort before 'b'
    ("row-number-partition-ci", "SELECT Id, ROW_NUMBER() OVER (PARTITION BY City ORDER BY "
     "HireDate, Id) AS Rn FROM Staff WHERE Id IN (5, 6, 7, 9) ORDER BY Id",
     [{"Id": 5, "Rn": 1}, {"Id": 6, "Rn": 2}, {"Id": 7, "Rn": 3}, {"Id": 9, "Rn": 4}]),
    ("cast-decimal-varchar", "SELECT CAST(Salary AS VARCHAR(20)) AS S FROM Staff WHERE Id = 2",
     [{"S": "5200.5000"}]),  # DECIMAL(19,4) keeps its scale as text
    ("convert-money-style-1", "SELECT CONVERT(VARCHAR(20), CAST(Salary AS MONEY), 1) AS S FROM "
     "Staff WHERE Id = 2", [{"S": "5,200.50"}]),  # money style 1: commas, two decimals
    ("money-text-styles", "SELECT CAST(CAST(Salary AS MONEY) AS VARCHAR(20)) AS S0, "
     "CONVERT(VARCHAR(20), CAST(Salary * 1000 AS MONEY), 1) AS S1, CONVERT(VARCHAR(20), "
     "CAST(Salary AS MONEY), 2) AS S2, CAST(Salary AS MONEY) / 2 AS Half FROM Staff WHERE Id = 4",
     # MONEY as text: two places (style 0), separators (1), four places (2); as a number: exact
     [{"S0": "4700.25", "S1": "4,700,250.00", "S2": "4700.2500", "Half": 2350.125}]),
    ("format-staff", "SELECT FORMAT(Salary, 'C') AS Pay, FORMAT(HireDate, 'dd MMM yyyy') AS H, "
     "FORMAT(HireDate, 'yyyy-MM-dd') AS I FROM Staff WHERE Id = 13",
     [{"Pay": "$3,600.00", "H": "29 Feb 1996", "I": "1996-02-29"}]),
    ("trailing-spaces-compare", "SELECT IIF('abc' = 'abc   ', 1, 0) AS A, IIF('abc' LIKE "
     "'abc   ', 1, 0) AS B, IIF('abc  ' LIKE 'abc', 1, 0) AS C",
     # docs (LIKE): = pads the shorter string; a pattern's trailing blanks count, the matched
     # expression's do not
     [{"A": 1, "B": 0, "C": 1}]),
    ("collate-cs-order", "SELECT TOP 3 LastName FROM Staff ORDER BY LastName COLLATE "
     "Latin1_General_CS_AS",  # dictionary order still; case only breaks ties
     [{"LastName": n} for n in ("abbott", "Álvarez", "Buchanan")]),
    ("order-desc-top", "SELECT TOP 3 LastName FROM Staff ORDER BY LastName DESC",
     [{"LastName": n} for n in ("Zola", "Suyama", "Peacock")]),
    ("year-month-where", "SELECT Id FROM Staff WHERE YEAR(HireDate) = 1994 AND MONTH(HireDate) "
     "IN (1, 3) ORDER BY Id", [{"Id": 7}, {"Id": 8}]),
    ("count-case-when", "SELECT SUM(CASE WHEN Bonus IS NULL THEN 1 ELSE 0 END) AS NoBonus, "
     "COUNT(*) - COUNT(Bonus) AS Alt, ISNULL(MAX(Region), 'N/A') AS R FROM Staff",
     [{"NoBonus": 8, "Alt": 8, "R": "WA"}]),  # MAX over 'WA' and 'wa': equal; both read WA
    ("text-greater-ci", "SELECT COUNT(*) AS N FROM Staff WHERE FirstName > 'm'",
     [{"N": 8}]),  # Margaret Michael Nancy Olaf Robert Seán Steven Zoë (case ignored)
    ("datediff-edges", "SELECT DATEDIFF(day, '2024-01-01 23:59', '2024-01-02 00:01') AS D, "
     "DATEDIFF(hour, '2024-01-01 10:59', '2024-01-01 11:00') AS H, DATEDIFF(month, "
     "'2024-01-31', '2024-02-01') AS M, DATEDIFF(year, '2024-12-31', '2025-01-01') AS Y",
     [{"D": 1, "H": 1, "M": 1, "Y": 1}]),  # boundaries crossed, not time elapsed
    # ---------------- literals: the rules themselves ------------------------------------------
    ("int-vs-decimal-division", "SELECT 7 / 2 AS A, 7 / 2.0 AS B, 7 % 3 AS C, CAST(7 AS FLOAT) "
     "/ 2 AS D, 10 / 4 * 4 AS E", [{"A": 3, "B": 3.5, "C": 1, "D": 3.5, "E": 8}]),
    ("percent-scales", "SELECT 1 / 3 * 100 AS Wrong, 100 * 1 / 3 AS IntPct, 100.0 * 1 / 3 AS "
     "DecPct, 100.0 * 2 / 3 AS Two, CAST(2 AS DECIMAL(5,2)) / 3 AS Dec52",
     # an integer constant is DECIMAL(1,0) in decimal arithmetic (2.0 / 3 = 0.666666): 100.0 * 1
     # is DECIMAL(6,1); / 3 has scale max(6, 1+1+1) = 6, truncated; DECIMAL(5,2) / 3 likewise
     [{"Wrong": 0, "IntPct": 33, "DecPct": 33.333333, "Two": 66.666666, "Dec52": 0.666666}]),
    ("round-literals", "SELECT ROUND(2.5, 0) AS A, ROUND(-2.5, 0) AS B, ROUND(123.456, -2) AS C, "
     "ROUND(1.2345, 2, 1) AS D, CEILING(-1.5) AS E, FLOOR(-1.5) AS F, ABS(-3) AS G",
     [{"A": 3.0, "B": -3.0, "C": 100.0, "D": 1.23, "E": -1, "F": -2, "G": 3}]),
    ("cast-int-truncates", "SELECT CAST(-2.7 AS INT) AS A, CAST(2.7 AS INT) AS B, -7 / 2 AS C, "
     "-7 % 3 AS D, 7 / -2 AS E", [{"A": -2, "B": 2, "C": -3, "D": -1, "E": -3}]),
    ("implicit-compare", "SELECT CASE WHEN '10' > '9' THEN 1 ELSE 0 END AS S, CASE WHEN '10' > 9 "
     "THEN 1 ELSE 0 END AS N, '1' + 1 AS A, '1' + '1' AS B",  # int wins: '10' > 9 compares ints
     [{"S": 0, "N": 1, "A": 2, "B": "11"}]),
    ("try-convert", "SELECT TRY_CONVERT(INT, 'abc') AS A, TRY_CAST('12' AS INT) AS B",
     [{"A": None, "B": 12}]),
    ("date-literal-formats", "SELECT DATEDIFF(day, '03/01/2024', '2024-03-31') AS A, "
     "DATEDIFF(day, '20240101', '2024-12-31T23:59:59') AS B, DATEPART(weekday, '2024-03-17') AS "
     "C, DATEADD(year, 1, '2024-02-29') AS D",  # 17 March 2024 is a Sunday: 1 with DATEFIRST 7
     [{"A": 30, "B": 365, "C": 1, "D": "2025-02-28T00:00:00Z"}]),
    ("convert-date-literal", "SELECT CONVERT(VARCHAR, CAST('2024-03-05' AS DATE), 101) AS A, "
     "FORMAT(CAST('2024-03-05' AS DATE), 'yyyy-MM') AS B", [{"A": "03/05/2024", "B": "2024-03"}]),
    ("null-concat-literals", "SELECT 'a' + NULL AS X, CONCAT('a', NULL, 'b') AS Y, "
     "ISNULL(NULL + 'x', 'none') AS Z, COALESCE(NULL, NULL, 'c') AS W",
     [{"X": None, "Y": "ab", "Z": "none", "W": "c"}]),
    ("len-trailing", "SELECT LEN('abc   ') AS L, LEN('  abc') AS L2, LEN('') AS L3",
     [{"L": 3, "L2": 5, "L3": 0}]),  # LEN ignores trailing spaces only
    ("datalength", "SELECT DATALENGTH('abc  ') AS D", [{"D": 5}]),  # varchar: bytes, spaces kept
    ("substring-edges", "SELECT SUBSTRING('abc', 2, 10) AS A, SUBSTRING('abc', 0, 2) AS B, "
     "LEFT('abc', 10) AS C, CHARINDEX('a', 'banana', 3) AS D",  # start 0: positions 0..1 → 'a'
     [{"A": "bc", "B": "a", "C": "abc", "D": 4}]),
    ("stuff-patindex-docs", "SELECT STUFF('abcdef', 2, 3, 'ijklmn') AS S, PATINDEX('%ter%', "
     "'interesting data') AS P, RIGHT('00' + CAST(5 AS VARCHAR), 2) AS R",
     [{"S": "aijklmnef", "P": 3, "R": "05"}]),  # the documentation's own examples
    ("trims", "SELECT '[' + LTRIM('  a  ') + ']' AS L, '[' + RTRIM('  a  ') + ']' AS R, "
     "'[' + TRIM('  a  ') + ']' AS T, REPLICATE('ab', 3) AS P",
     [{"L": "[a  ]", "R": "[  a]", "T": "[a]", "P": "ababab"}]),
    ("format-literals", "SELECT FORMAT(1234.5, 'N2') AS A, FORMAT(1234.5, '#,##0.00') AS B, "
     "FORMAT(-0.5, 'N0') AS C", [{"A": "1,234.50", "B": "1,234.50", "C": "-1"}]),
]

# Refused at save time on a backend, with the construct named (never answered differently).
REFUSED: dict[str, str] = {
    "datalength": "DATALENGTH",  # bytes of SQL Server's storage, which neither backend has
}


@pytest.mark.parametrize(
    ("query_id", "sql", "expected"), [pytest.param(i, s, e, id=i) for i, s, e in CORPUS]
)
def test_corpus(corpus: Api, query_id: str, sql: str, expected: Expected) -> None:
    name, saved = save(corpus, sql)
    if query_id in REFUSED:
        assert saved.status_code == 400, saved.text
        assert REFUSED[query_id] in saved.json()["Message"]
        return
    assert saved.status_code == 201, saved.text
    response = corpus.post(f"queries/{name}/execute", json={})
    assert response.status_code == 200, response.text
    want = expected() if callable(expected) else expected
    assert response.json()["Rows"] == want


CUSTOMER_ORDERS = "SELECT COUNT(*) AS N FROM Orders WHERE CustomerId = @cid"
MONTH_ORDERS = ("SELECT COUNT(*) AS N FROM Orders WHERE OrderDate >= @from "
                "AND OrderDate < DATEADD(month, 1, @from)")  # fmt: skip


def test_parameters(corpus: Api) -> None:
    """@variables as people write them, bound from the request."""
    for sql, params, value, expect in (
        (CUSTOMER_ORDERS, [{"Name": "cid", "DataTypeId": 3}], {"@cid": 7},
         sum(1 for o in SHOP.orders if o.customer_id == 7)),
        (MONTH_ORDERS, [{"Name": "from", "DataTypeId": 1}], {"@from": "2024-03-01"},
         sum(1 for o in SHOP.orders if o.ordered.month == 3)),
    ):  # fmt: skip
        name, saved = save(corpus, sql, Parameters=params)
        assert saved.status_code == 201, saved.text
        response = corpus.post(f"queries/{name}/execute", json=value)
        assert response.status_code == 200, response.text
        assert response.json()["Rows"] == [{"N": expect}]

