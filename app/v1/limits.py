"""How large one v1 row's `data` may be (SPEC §9): it is stored whole as one JSON value, read
back whole on every page of rows, so one row must not be able to hold the whole body limit."""

from __future__ import annotations

from typing import Any

import msgspec

from app import json_policy
from ddl.errors import ValidationError

_encoder = msgspec.json.Encoder()


def check_data(data: dict[str, Any]) -> None:
    """400 naming the largest field when `data` encodes to more than the limit."""
    limit = json_policy.limits().max_value_bytes
    try:
        size = len(_encoder.encode(data))
    except (msgspec.EncodeError, OverflowError, TypeError, ValueError):
        return  # the storable check of ddl/v1/columns.py names what cannot be stored
    if size <= limit:
        return
    sizes = {key: len(_encoder.encode(value)) for key, value in data.items()}
    largest = max(sizes, key=sizes.__getitem__, default=None)
    where = f" (field '{largest}' is {sizes[largest]} bytes)" if largest is not None else ""
    raise ValidationError(
        f"The row's data is {size} bytes{where}; at most {limit} bytes "
        "(setting CUSTOMTABLES_MAX_VALUE_BYTES)"
    )
