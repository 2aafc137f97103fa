"""A small shop, generated deterministically (fixed seed, no clock): customers, products,
orders and order lines, for the T-SQL report tests (tests/test_tsql_reports.py).

The same generator gives the tests the rows as plain Python values, so each report's expected
answer is computed here in Python, independently of the SQL translation. Names are chosen so
that every text ordering the reports use is the same in code-point and dictionary order
(collation is tested elsewhere).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

SEED = 20240613
CITIES = (("Austin", "USA"), ("Boston", "USA"), ("Calgary", "Canada"), ("Dublin", "Ireland"),
          ("Denver", "USA"), ("Toronto", "Canada"), ("Cork", "Ireland"))  # fmt: skip
CATEGORIES = ("Books", "Games", "Garden", "Kitchen", "Tools")
STATUSES = ("Shipped", "Shipped", "Shipped", "Pending", "Cancelled")


@dataclass(frozen=True)
class Customer:
    id: int
    name: str
    city: str
    country: str
    signed_up: datetime


@dataclass(frozen=True)
class Product:
    id: int
    name: str
    category: str
    price: Decimal


@dataclass(frozen=True)
class Order:
    id: int
    customer_id: int
    ordered: datetime
    status: str


@dataclass(frozen=True)
class Line:
    id: int
    order_id: int
    product_id: int
    qty: int
    unit_price: Decimal


@dataclass(frozen=True)
class Shop:
    customers: list[Customer]
    products: list[Product]
    orders: list[Order]
    lines: list[Line]


def build() -> Shop:
    rng = random.Random(SEED)
    start = datetime(2023, 1, 1)
    customers = []
    for i in range(1, 41):
        city, country = CITIES[rng.randrange(len(CITIES))]
        signed = start + timedelta(days=rng.randrange(0, 365), hours=rng.randrange(0, 24))
        customers.append(Customer(i, f"Customer {i:03d}", city, country, signed))
    products = [
        Product(i, f"Product {i:02d}", CATEGORIES[(i - 1) % len(CATEGORIES)],
                Decimal(rng.randrange(199, 9999)) / 100)
        for i in range(1, 26)
    ]  # fmt: skip
    orders, lines = [], []
    for i in range(1, 301):
        customer = customers[rng.randrange(30)]  # customers 31..40 never order
        when = datetime(2024, 1, 1) + timedelta(
            days=rng.randrange(0, 366), hours=rng.randrange(8, 20), minutes=rng.randrange(60)
        )
        orders.append(Order(i, customer.id, when, STATUSES[rng.randrange(len(STATUSES))]))
        for product in rng.sample(products, rng.randrange(1, 5)):
            qty = rng.randrange(1, 6)
            lines.append(Line(len(lines) + 1, i, product.id, qty, product.price))
    return Shop(customers, products, orders, lines)


TABLES = {
    "Customers": [
        {"ColumnName": "Name", "ColumnDataTypeId": 6},
        {"ColumnName": "City", "ColumnDataTypeId": 6},
        {"ColumnName": "Country", "ColumnDataTypeId": 6},
        {"ColumnName": "SignedUp", "ColumnDataTypeId": 1},
    ],
    "Products": [
        {"ColumnName": "Name", "ColumnDataTypeId": 6},
        {"ColumnName": "Category", "ColumnDataTypeId": 6},
        {"ColumnName": "Price", "ColumnDataTypeId": 4},
    ],
    "Orders": [
        {"ColumnName": "CustomerId", "ColumnDataTypeId": 3},
        {"ColumnName": "OrderDate", "ColumnDataTypeId": 1},
        {"ColumnName": "Status", "ColumnDataTypeId": 6},
    ],
    "OrderLines": [
        {"ColumnName": "OrderId", "ColumnDataTypeId": 3},
        {"ColumnName": "ProductId", "ColumnDataTypeId": 3},
        {"ColumnName": "Qty", "ColumnDataTypeId": 3},
        {"ColumnName": "UnitPrice", "ColumnDataTypeId": 4},
    ],
}


def _iso(value: datetime) -> str:
    return value.isoformat() + "Z"


def rows(shop: Shop) -> dict[str, list[dict[str, object]]]:
    """The rows of each table as the v3 API takes them (flat, key column `Id`)."""
    return {
        "Customers": [{"Id": c.id, "Name": c.name, "City": c.city, "Country": c.country,
                       "SignedUp": _iso(c.signed_up)} for c in shop.customers],
        "Products": [{"Id": p.id, "Name": p.name, "Category": p.category,
                      "Price": float(p.price)} for p in shop.products],
        "Orders": [{"Id": o.id, "CustomerId": o.customer_id, "OrderDate": _iso(o.ordered),
                    "Status": o.status} for o in shop.orders],
        "OrderLines": [{"Id": x.id, "OrderId": x.order_id, "ProductId": x.product_id,
                        "Qty": x.qty, "UnitPrice": float(x.unit_price)} for x in shop.lines],
    }  # fmt: skip
