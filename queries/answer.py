"""A saved query's answer as JSON bytes, produced in chunks under three budgets: rows, bytes
and time (SPEC §5). Rows are fetched in small batches sized to the rows already seen and
encoded one by one, so server memory holds one batch and one chunk, whatever the query makes.

The first chunk is produced before the HTTP status is sent: an error or a time-out up to then
is a clean 4xx. Past that point a time-out or a full byte budget ends the rows and the answer
says `"Truncated": true`, still a complete JSON document.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from typing import Any

import msgspec

from ddl.backends.common import timeout_error
from ddl.errors import QueryTimeout
from ddl.row_stream import CHUNK_BYTES, Budget, RowStream
from queries import results
from queries.plan import OutputColumn

Batch = Sequence[Sequence[Any]]
_encoder = msgspec.json.Encoder(decimal_format="number")
_TAIL = {True: b'],"Truncated":true}', False: b'],"Truncated":false}'}


def _head(columns: list[tuple[str, int | None]]) -> bytes:
    described = [{"Name": name, "DataTypeId": type_id} for name, type_id in columns]
    return b'{"Columns":' + _encoder.encode(described) + b',"Rows":['


class _Writer:
    """The rows part of the answer: counts rows and bytes, says when a budget is spent."""

    def __init__(self, head: bytes, budget: Budget) -> None:
        self.buffer = bytearray(head)
        self.size = len(head)
        self.rows = 0
        self.budget = budget
        self.streamed = False

    def add(self, data: bytes) -> bool:
        """False (and nothing written) when the row does not fit the budgets."""
        if self.rows >= self.budget.max_rows:
            return False
        separator = 1 if self.rows else 0
        if self.size + separator + len(data) + len(_TAIL[False]) > self.budget.max_bytes:
            return False
        if separator:
            self.buffer += b","
        self.buffer += data
        self.size += separator + len(data)
        self.rows += 1
        return True

    def take(self) -> bytes:
        chunk = bytes(self.buffer)
        self.buffer.clear()
        self.streamed = True
        return chunk


def encode(columns: Sequence[OutputColumn], batches: RowStream[Batch]) -> Iterator[bytes]:
    """The answer's bytes under the stream's budget; `batches` runs the query on its first
    `next` and fetches after, as many rows as its hint says. Closes `batches` however it ends."""
    with batches:
        yield from _encoded(columns, batches, batches.limits())


def _encoded(
    columns: Sequence[OutputColumn], batches: RowStream[Batch], budget: Budget
) -> Iterator[bytes]:
    hint = batches.hint
    batch = next(batches, [])
    described, shape_row = results.shaper(columns, batch)
    writer = _Writer(_head(described), budget)
    truncated = False
    while batch and not truncated:
        for row in batch:
            if not writer.add(_encoder.encode(shape_row(row))):
                truncated = True
                break
        if time.monotonic() > budget.deadline and not truncated:
            if not writer.streamed:
                raise timeout_error(budget.timeout)
            truncated = True
        if len(writer.buffer) >= CHUNK_BYTES:
            yield writer.take()
        if not truncated:
            hint.adapt(writer.size, writer.rows)
            try:
                batch = next(batches, [])
            except QueryTimeout:
                if not writer.streamed:
                    raise
                truncated = True
    writer.buffer += _TAIL[truncated]
    yield writer.take()
