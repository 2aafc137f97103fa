"""The domain's one error hierarchy; app/errors.py maps each class to an HTTP status once."""

from __future__ import annotations


class CustomTablesError(Exception):
    """Base of every error a client may see; `code` is stable, `message` is safe to show."""

    code = "VALIDATION_ERROR"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ValidationError(CustomTablesError):
    """The request is malformed or a value does not fit (400)."""

    code = "VALIDATION_ERROR"


ROW_NUMBERING = "rows are numbered from 0"


def row_message(row: int, text: str) -> str:
    """`Row 3<text>; rows are numbered from 0`. Rows are numbered as indexes into the list the
    client sent (what the Python client reports as `.row`), and every such message says so,
    since a reader counting from 1 would look at the wrong row (docs/decisions.md)."""
    return f"Row {row}{text}; {ROW_NUMBERING}"


class RowError(ValidationError):
    """One row of a batch or of an import file is wrong; the message starts `Row N` (400)."""

    def __init__(self, row: int, text: str) -> None:
        super().__init__(row_message(row, text))
        self.row = row


class InvalidValue(ValidationError):
    """One value of a row batch is wrong; names the row index and the column (400)."""

    def __init__(self, row: int | None, column: str, expected: str, detail: str = "") -> None:
        problem = f"'{column}': expected {expected}" + (f" ({detail})" if detail else "")
        super().__init__(
            row_message(row, f", column {problem}") if row is not None else f"Column {problem}"
        )
        self.row = row
        self.column = column
        self.expected = expected


class NotAuthenticated(CustomTablesError):
    """No valid token (401)."""

    code = "UNAUTHORIZED"


class Forbidden(CustomTablesError):
    """The token is valid but lacks a role or scope (403)."""

    code = "FORBIDDEN"


class NotFound(CustomTablesError):
    """The thing does not exist for this tenant (404); other tenants' things look the same."""

    code = "NOT_FOUND"


class TableNotFound(NotFound):
    def __init__(self, name: str) -> None:
        super().__init__(f"Custom table '{name}' does not exist")
        self.name = name


class RowNotFound(NotFound):
    def __init__(self, table: str, key_column: str, key: object) -> None:
        super().__init__(
            f"Row with {key_column} = '{key}' does not exist in custom table '{table}'"
        )


class Conflict(CustomTablesError):
    """The request contradicts what exists (409)."""

    code = "CONFLICT"


class PayloadTooLarge(CustomTablesError):
    """Too many rows or bytes (413)."""

    code = "PAYLOAD_TOO_LARGE"


class QueryTimeout(CustomTablesError):
    """A saved query ran past its time limit and was cancelled (408)."""

    code = "TIMEOUT"


class RateLimited(CustomTablesError):
    """Too many requests (429)."""

    code = "RATE_LIMITED"


class DatabaseUnavailable(CustomTablesError):
    """The connection to the database broke under the request (a restart, a failover), or the
    database cannot be reached (503 with `Retry-After`). Its transaction was rolled back by the
    server unless the break came during the commit itself, which no client can be told apart
    from a loss just after it: the message says to retry, not that nothing was written."""

    code = "SERVICE_UNAVAILABLE"
    RETRY_AFTER_SECONDS = 1

    def __init__(self) -> None:
        super().__init__(
            "The connection to the database was lost before the request finished; retry after "
            f"{self.RETRY_AFTER_SECONDS} second"
        )
        self.headers = {"Retry-After": str(self.RETRY_AFTER_SECONDS)}


class UnsupportedMediaType(CustomTablesError):
    """The body's Content-Type is not one the route reads (415)."""

    code = "UNSUPPORTED_MEDIA_TYPE"


class MissingFunction(ValidationError):
    """A saved query calls a function the backend does not have; `function` is its name there,
    which queries/probe.py turns back into the user's spelling (400)."""

    def __init__(self, function: str) -> None:
        super().__init__(f"Function {function.upper()} is not available on this database")
        self.function = function
