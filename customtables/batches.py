"""Splitting writes into batches the server accepts: rows are taken from any iterable a chunk
at a time (memory stays bounded), and a 413 from a server whose limit is below the batch size
halves the batch and sends it again (413 means nothing was written), remembering the size."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from typing import Any, TypeVar

from customtables.calls import WriteResult
from customtables.errors import PayloadTooLarge, ValidationError

T = TypeVar("T")
DEFAULT_BATCH_SIZE = 1000


def chunks(items: Iterable[T], size: int) -> Iterator[tuple[int, list[T]]]:
    """(offset of the chunk's first item, the chunk) of at most `size` items."""
    if size < 1:
        raise ValueError("batch_size must be at least 1")
    iterator = iter(items)
    offset = 0
    while chunk := list(islice(iterator, size)):
        yield offset, chunk
        offset += len(chunk)


@dataclass
class Limit:
    """The largest batch the server has not refused yet."""

    size: int

    def shrink(self, refused: int, error: PayloadTooLarge) -> None:
        if refused <= 1:
            raise error
        self.size = max(1, min(self.size, refused // 2))


def at_row(error: ValidationError, offset: int) -> ValidationError:
    """The server names the row inside its batch; the caller wants the row it passed."""
    if error.row is not None:
        error.row += offset
    return error


@dataclass
class Totals:
    inserted: int = 0
    updated: int = 0
    keys: list[Any] = field(default_factory=list)

    def add(self, result: WriteResult) -> None:
        self.inserted += result.inserted
        self.updated += result.updated
        self.keys.extend(result.keys)

    def result(self) -> WriteResult:
        return WriteResult(self.inserted, self.updated, self.keys)
