"""Opaque `After` cursors of the rows API: the order values of a page's last row, bound to the
table, `OrderBy` and `Where` they were made for, and signed (HMAC-SHA256) with a server key.

Why signed and not only validated: a cursor is server output the client hands back; a forged
or edited one is refused with 400 instead of silently starting a page somewhere else. The key
is `CUSTOMTABLES_CURSOR_SECRET` when set, else one generated on first use and stored in the
metadata database (`ct_secrets`), so every worker and every host accepts every other's cursors.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import msgspec
import sqlalchemy as sa

from app.metadata import secrets as secrets_table
from ddl.cache import LruCache
from ddl.catalog import now_text
from ddl.errors import ValidationError

MAX_CURSOR_CHARS = 8192
_KEY_ROW = "cursor"
_VERSION = 1
_encoder = msgspec.json.Encoder(decimal_format="number")
_decoder = msgspec.json.Decoder(tuple[int, str, list[Any]], float_hook=Decimal)
_keys: LruCache[str, bytes] = LruCache(64)  # metadata database url → its cursor key


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def stored_key(engine: sa.Engine) -> bytes:
    """The shared key from the metadata database, created once by whichever process is first."""
    with engine.connect() as conn:
        conn.execution_options(ct_write=True)
        query = sa.select(secrets_table.c.value).where(secrets_table.c.name == _KEY_ROW)
        with conn.begin():
            found = conn.execute(query).scalar_one_or_none()
            if found is not None:
                return bytes.fromhex(found)
        try:
            with conn.begin():
                made = secrets.token_hex(32)
                conn.execute(
                    secrets_table.insert().values(name=_KEY_ROW, value=made, created_at=now_text())
                )
            return bytes.fromhex(made)
        except sa.exc.IntegrityError:  # another process stored one first: use that one
            with conn.begin():
                return bytes.fromhex(conn.execute(query).scalar_one())


def signing_key(configured: str, engine: sa.Engine) -> bytes:
    """The setting when given, else the stored key (read once per process and database)."""
    if configured:
        return hashlib.sha256(configured.encode()).digest()
    return _keys.get_or_make(str(engine.url), lambda: stored_key(engine))


def fingerprint(table_id: str, order: Sequence[tuple[str, bool]], where: str | None) -> str:
    """What a cursor is valid for: this table, this total order and this filter."""
    text = _encoder.encode([table_id, [[name.casefold(), desc] for name, desc in order], where])
    return hashlib.sha256(text).hexdigest()[:16]


def _signature(key: bytes, payload: bytes) -> bytes:
    return hmac.new(key, payload, hashlib.sha256).digest()[:16]


def encode(key: bytes, scope: str, values: Sequence[Any]) -> str:
    payload = _encoder.encode([_VERSION, scope, list(values)])
    return f"{_b64(payload)}.{_b64(_signature(key, payload))}"


def decode(key: bytes, scope: str, cursor: str) -> tuple[Any, ...]:
    """The values a cursor carries; 400 for anything garbled, forged, or made for another
    table, OrderBy or Where."""
    invalid = ValidationError("After is not a valid cursor: use the Link of the previous page")
    if len(cursor) > MAX_CURSOR_CHARS or cursor.count(".") != 1:
        raise invalid
    body, signature = cursor.split(".")
    try:
        payload, given = _unb64(body), _unb64(signature)
    except (binascii.Error, ValueError):
        raise invalid from None
    if not hmac.compare_digest(given, _signature(key, payload)):
        raise invalid
    try:
        version, made_for, values = _decoder.decode(payload)
    except msgspec.DecodeError:
        raise invalid from None
    if version != _VERSION or made_for != scope:
        raise ValidationError(
            "After was made for another OrderBy or Where: keep them as in the Link you followed"
        )
    return tuple(values)
