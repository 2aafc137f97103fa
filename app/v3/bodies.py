"""Request bodies decoded by the handlers themselves (exact decimals; errors in our shape)."""

from __future__ import annotations

from typing import Any

import msgspec

from app.errors import decode_error
from ddl.errors import ValidationError


def parse(body: bytes, decoder: msgspec.json.Decoder[Any]) -> Any:
    if not body.strip():
        raise ValidationError("A JSON body is required")
    try:
        return decoder.decode(body)
    except msgspec.MsgspecError as exc:
        raise decode_error(exc) from None
