"""The one object every streamed answer reads rows through: the row source (which may hold a
database cursor and its connection), its close, and the limits it is read under.

Table reads (`rows`, `rows/values`), exports (JSON file, CSV) and saved-query runs each hand a
`RowStream` to the writer of their format (ddl/formats, queries/answer.py). The writer reads it
inside `with stream:`, so the source is closed however the reader stops (a client gone, an
error, a limit reached), or the connection would stay checked out until the garbage collector
found it. A saved query's stream also carries its `Budget` (rows, bytes, time, SPEC §5) and the
`FetchHint` the encoder adjusts to the row size; a table read's time limit is set on its
connection (ddl/time_limit.py) and its rows are bounded by the request's paging.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sized
from dataclasses import dataclass
from types import TracebackType
from typing import Generic, TypeVar

from ddl.closing import close_source, closing_source

CHUNK_BYTES = 256 * 1024  # what is buffered before it is handed to the client
FIRST_BATCH = 8  # rows of unknown size: the first fetch stays small (1 MB values, concurrent runs)
MAX_BATCH = 1000

Part = TypeVar("Part", bound=Sized)


@dataclass(frozen=True, slots=True)
class Budget:
    """A saved query's limits: rows, bytes of the answer, and time."""

    max_rows: int
    max_bytes: int
    deadline: float  # time.monotonic() when the run must end
    timeout: float  # the limit in seconds, for the message


@dataclass(slots=True)
class FetchHint:
    """How many rows the next fetch should ask for; the encoder adjusts it to the row size."""

    size: int = FIRST_BATCH

    def adapt(self, written: int, rows: int) -> None:
        average = max(1, written // max(1, rows))
        self.size = max(1, min(MAX_BATCH, CHUNK_BYTES // average))


def _nothing(_part: Sized) -> None:
    return None


class RowStream(Generic[Part]):
    """Partitions (or batches) of rows from `source`, closed with the stream."""

    __slots__ = ("_source", "budget", "hint")

    def __init__(
        self, source: Iterator[Part], budget: Budget | None = None, hint: FetchHint | None = None
    ) -> None:
        self._source = source
        self.budget = budget
        self.hint = hint or FetchHint()

    def __iter__(self) -> Iterator[Part]:
        return self

    def __next__(self) -> Part:
        return next(self._source)

    def close(self) -> None:
        """Close the source (a generator, a cursor); safe to call more than once."""
        close_source(self._source)

    def __enter__(self) -> RowStream[Part]:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    def limits(self) -> Budget:
        """The budget a saved query's answer is encoded under (a programming error without)."""
        if self.budget is None:
            raise TypeError("this row stream carries no budget")
        return self.budget

    def after(self, first: Part | None) -> RowStream[Part]:
        """This stream with `first` (already read, to learn errors early) put back in front."""
        return RowStream(_after(first, self), self.budget, self.hint)

    def passing(
        self,
        before: Callable[[Part], None] = _nothing,
        after: Callable[[Part], None] = _nothing,
    ) -> RowStream[Part]:
        """This stream, calling `before` on each partition before it is handed on and `after`
        once the reader asks for the next one (metrics, an export's progress)."""
        return RowStream(_passing(self, before, after), self.budget, self.hint)


def _after(first: Part | None, rest: RowStream[Part]) -> Iterator[Part]:
    with closing_source(rest):
        if first is not None:
            yield first
        yield from rest


def _passing(
    stream: RowStream[Part], before: Callable[[Part], None], after: Callable[[Part], None]
) -> Iterator[Part]:
    with stream:
        for part in stream:
            before(part)
            yield part
            after(part)
