"""Money's fast path on SQLite (ddl.types.money_text) must store exactly what the general
rounding (money_value) would: the same text, 4 places, for every input."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest

from ddl.types import BadValue, money_text, money_value

EDGES = [
    "39.99",
    "-39.99",
    "1E+2",
    "0.00001",
    "-0.00001",
    "-0",
    "0",
    "120.5",
    "2.00005",
    "-2.00005",
    "999999999999999.9999",
    "999999999999999.99995",
    "1E-3",
    "5E+14",
    "1E+15",
]


def _either(function: object, value: Decimal) -> str:
    try:
        return str(function(value))  # type: ignore[operator]
    except BadValue as error:
        return f"refused: {error.expected}"


@pytest.mark.parametrize("text", EDGES)
def test_edges(text: str) -> None:
    assert _either(money_text, Decimal(text)) == _either(money_value, Decimal(text))


def test_random_values() -> None:
    rng = random.Random(20261125)
    for _ in range(20_000):
        value = Decimal(rng.randint(-(10**19), 10**19)).scaleb(-rng.randint(0, 8))
        assert _either(money_text, value) == _either(money_value, value), value
