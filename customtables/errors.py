"""Typed exceptions of the client, built from the server's error answers (v3 `{Code, Message}`,
v1 `{"success": false, "error": {code, message}}`), so callers catch a class, not a status."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
import msgspec

_ROW_COLUMN = re.compile(r"^(Row|Line) (\d+)(?:, column '([^']*)')?")
_COLUMN = re.compile(r"\b(?:[Cc]olumn|Field) '([^']*)'")


class CustomTablesError(Exception):
    """Any error the server answered (or the client met talking to it): `code` is the server's
    stable code, `message` its text; `status` the HTTP status (0 when no answer came)."""

    def __init__(self, message: str, code: str = "ERROR", status: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status

    def __str__(self) -> str:
        return f"{self.code}: {self.message}" if self.status else self.message


class ValidationError(CustomTablesError):
    """400: the request or a value was wrong. `row` is the index of the bad row in the rows the
    caller passed (save_many adds the offset of its batch), `line` the line of a CSV file
    (header = 1), `column` the column or field named; each is None when the server named none.
    They are read from the message, which the server words as `Row 3, column 'Price': …`."""

    def __init__(self, message: str, code: str = "VALIDATION_ERROR", status: int = 400) -> None:
        super().__init__(message, code, status)
        self.row: int | None = None
        self.line: int | None = None
        self.column: str | None = None
        match = _ROW_COLUMN.match(message)
        if match:
            number = int(match.group(2))
            if match.group(1) == "Row":
                self.row = number
            else:
                self.line = number
            self.column = match.group(3)
        elif column := _COLUMN.search(message):
            self.column = column.group(1)


class Unauthorized(CustomTablesError):
    """401: the token is missing, unknown, revoked or expired."""


class Forbidden(CustomTablesError):
    """403: the token lacks the role (v3) or scope (v1) this call needs."""


class NotFound(CustomTablesError):
    """404: no such table, row or query in this tenant."""


class Timeout(CustomTablesError):
    """408: a saved query ran past the server's time limit."""


class Conflict(CustomTablesError):
    """409: the request contradicts what exists (another key or column type)."""


class PayloadTooLarge(CustomTablesError):
    """413: too many rows or bytes in one request."""


class RateLimited(CustomTablesError):
    """429 after the client waited as `Retry-After` said, as often as it was allowed to;
    `retry_after` is the server's last advice in seconds."""

    def __init__(self, message: str, code: str = "RATE_LIMITED", status: int = 429) -> None:
        super().__init__(message, code, status)
        self.retry_after: float | None = None


class ServerError(CustomTablesError):
    """5xx: the server failed; `request_id` is the id its log has."""

    def __init__(self, message: str, code: str = "INTERNAL_ERROR", status: int = 500) -> None:
        super().__init__(message, code, status)
        self.request_id: str | None = None


class TransportError(CustomTablesError):
    """No answer: the connection failed or timed out (after the retries idempotent calls get)."""


_BY_STATUS: dict[int, type[CustomTablesError]] = {
    400: ValidationError,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    408: Timeout,
    409: Conflict,
    413: PayloadTooLarge,
    429: RateLimited,
}


def _body(response: httpx.Response) -> dict[str, Any]:
    try:
        body = msgspec.json.decode(response.content)
    except msgspec.DecodeError:
        return {}
    if not isinstance(body, dict):
        return {}
    nested = body.get("error")
    if isinstance(nested, dict):  # v1 envelope
        return {k[:1].upper() + k[1:]: v for k, v in nested.items()}
    return body


def error_from(response: httpx.Response) -> CustomTablesError:
    """The exception for an error answer of either API."""
    body = _body(response)
    status = response.status_code
    message = str(body.get("Message") or response.reason_phrase or f"HTTP {status}")
    code = str(body.get("Code") or "ERROR")
    kind = _BY_STATUS.get(status) or (ServerError if status >= 500 else CustomTablesError)
    error = kind(message, code, status)
    if isinstance(error, ServerError):
        error.request_id = body.get("RequestId")
    if isinstance(error, RateLimited):
        error.retry_after = retry_after(response)
    return error


def retry_after(response: httpx.Response) -> float | None:
    """`Retry-After` in seconds (a number of seconds; an HTTP date is read as well)."""
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())
