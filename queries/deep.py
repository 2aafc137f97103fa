"""Pathological SQL must cost a worker neither its stack nor minutes of CPU (SPEC §5).

sqlglot's parser, optimizer and generator recurse: about 20 Python frames per level of
parentheses or CASE, so 50 nested parentheses already pass Python's default limit of 1000, and
its optimizer is quadratic in the number of nodes (an expression of 50,000 terms takes minutes).
So, before anything recursive runs, the token stream (sqlglot's tokenizer is a loop) is checked
for size, token count and nesting depth; then the recursive work runs in a thread of its own
with a large stack and a raised recursion limit, and a RecursionError that still happens there
is a 400 like the others, never a crash or a 500.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from typing import TypeVar

from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import TokenError
from sqlglot.tokens import TokenType

from ddl.errors import ValidationError

MAX_SQL_BYTES = 100 * 1024
MAX_TOKENS = 5_000  # a long report query has 2,000; sqlglot's cost grows faster than this
MAX_NESTING = 256  # parentheses and CASE … END, counted together
STACK_BYTES = 256 * 1024 * 1024  # virtual: only the pages a deep parse touches become resident
RECURSION_LIMIT = 30_000  # MAX_NESTING levels x ~20 frames, with room to spare

T = TypeVar("T")
UNCLOSED = "a string, quoted name or comment is not closed"
_OPEN = {TokenType.L_PAREN, TokenType.L_BRACKET, TokenType.CASE}
_CLOSE = {TokenType.R_PAREN, TokenType.R_BRACKET}


def scan(sql: str, dialect: str) -> None:
    """400 when the SQL is too large, has too many tokens or is nested too deep."""
    if len(sql.encode("utf-8", "surrogatepass")) > MAX_SQL_BYTES:
        raise ValidationError(f"Sql is larger than {MAX_SQL_BYTES // 1024} KB")
    try:
        tokens = Dialect.get_or_raise(dialect).tokenize(sql)
    except TokenError:
        raise ValidationError(f"The SQL does not parse: {UNCLOSED}") from None
    if len(tokens) > MAX_TOKENS:
        raise ValidationError(
            f"The SQL has {len(tokens)} words and symbols; a saved query may have {MAX_TOKENS}"
        )
    depth = deepest = 0
    cases = 0
    for token in tokens:
        kind = token.token_type
        if kind in _OPEN:
            depth += 1
            cases += kind is TokenType.CASE
        elif kind in _CLOSE or (kind is TokenType.END and cases > 0):
            depth = max(0, depth - 1)
            cases -= kind is TokenType.END
        deepest = max(deepest, depth)
    if deepest > MAX_NESTING:
        raise ValidationError(
            f"The SQL is nested {deepest} levels deep (parentheses and CASE); "
            f"the limit is {MAX_NESTING}"
        )


_lock = threading.Lock()


class _RecursionLimit:
    """The process-wide recursion limit, raised while any deep call runs; only those threads
    have the stack for it, and nothing else in the server recurses anywhere near as deep."""

    def __init__(self) -> None:
        self.running = 0
        self.saved = sys.getrecursionlimit()

    def enter(self) -> None:
        with _lock:
            if self.running == 0:
                self.saved = sys.getrecursionlimit()
                sys.setrecursionlimit(max(self.saved, RECURSION_LIMIT))
            self.running += 1

    def leave(self) -> None:
        with _lock:
            self.running -= 1
            if self.running == 0:
                sys.setrecursionlimit(self.saved)


_limit = _RecursionLimit()


def call(function: Callable[..., T], *args: object) -> T:
    """`function(*args)` in a thread with a large stack; its result or its exception here."""
    outcome: dict[str, object] = {}

    def target() -> None:
        try:
            outcome["value"] = function(*args)
        except RecursionError:
            outcome["error"] = ValidationError(
                "The SQL is too deeply nested or too complex to check"
            )
        except BaseException as error:  # noqa: BLE001 (handed to the caller's thread, raised there)
            outcome["error"] = error

    _limit.enter()
    try:
        with _lock:
            previous = threading.stack_size(STACK_BYTES)
            try:
                thread = threading.Thread(target=target, name="sql-compile", daemon=True)
                thread.start()
            finally:
                threading.stack_size(previous)
        thread.join()
    finally:
        _limit.leave()
    if "error" in outcome:
        raise outcome["error"]  # type: ignore[misc]
    return outcome["value"]  # type: ignore[return-value]
