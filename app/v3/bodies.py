"""Request bodies decoded by the handlers themselves (exact decimals; errors in our shape),
always behind the one JSON policy (depth limit, no duplicate keys) of app/json_policy.py."""

from __future__ import annotations

from typing import Any

import msgspec

from app import json_policy
from app.errors import decode_error
from ddl.errors import ValidationError


def parse(
    body: bytes,
    decoder: msgspec.json.Decoder[Any],
    describe: json_policy.Describe | None = None,
    checked: bool = False,
) -> Any:
    """The body decoded; `checked` when the caller already applied the JSON policy to it."""
    if not body.strip():
        raise ValidationError("A JSON body is required")
    if not checked:
        json_policy.check(body, describe)
    try:
        return decoder.decode(body)
    except msgspec.MsgspecError as exc:
        raise decode_error(exc, body) from None
