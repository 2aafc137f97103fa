"""T-SQL's LIKE on SQLite and PostgreSQL (SPEC §5.1): '%', '_', character classes ('[a-c]',
'[^a]', '[%]'), an ESCAPE character, case-insensitive as the default collation (or
case-sensitive under a query's own binary or _CS_ collation).

Neither backend's LIKE has character classes, PostgreSQL's treats '\\' as an escape, SQLite's
ignores ASCII case only, and PostgreSQL 15 refuses LIKE under a nondeterministic collation. So:

- a literal pattern without '[', ESCAPE or '\\' stays a LIKE of lower-cased operands (fast; the
  caller, queries/collate.py, lowers them);
- otherwise SQLite matches a literal pattern with its GLOB (in C, on lower-cased text) and a
  computed one with `ct_like` (queries/dialects/tsql_strings.like: linear, no regex
  backtracking, since a Python function runs outside SQLite's time limit), and PostgreSQL
  matches a regular expression: built now from a literal pattern, or built in SQL from a
  computed one (`LikePattern`, rendered by `pattern_regex_sql`), under the statement time limit.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from functools import cache
from typing import ClassVar

from sqlglot import exp

from ddl.backends import Backend
from ddl.errors import ValidationError
from queries.dialects.tsql_strings import like_glob, like_regex_escaped

Lower = Callable[[exp.Expr], exp.Expr]


class LikePattern(exp.Expression, exp.Func):
    """PostgreSQL only: a computed T-SQL LIKE pattern turned into a regular expression."""

    arg_types: ClassVar[dict[str, bool]] = {"this": True}
    _sql_names: ClassVar[list[str]] = ["CT_LIKE_PATTERN"]


def _escape_character(node: exp.Like) -> str | None:
    escape = node.parent if isinstance(node.parent, exp.Escape) else None
    if escape is None:
        return None
    value = escape.expression
    if not (isinstance(value, exp.Literal) and value.is_string and len(value.this) == 1):
        raise ValidationError("LIKE ... ESCAPE takes one literal character")
    return str(value.this)


def is_plain(pattern: exp.Expr, escape: str | None, backend: Backend) -> bool:
    """A pattern the backend's own LIKE reads as T-SQL does (once both sides are lowered);
    PostgreSQL's LIKE escapes with a backslash, SQLite's (the one with Python functions) not."""
    if escape is not None or not (isinstance(pattern, exp.Literal) and pattern.is_string):
        return False
    return "[" not in pattern.this and (backend.python_functions or "\\" not in pattern.this)


_CLASS = re.compile(r"\[\^?\]?[^]]*\]")
_LETTER_RANGE = re.compile(r"([a-z])-([a-z])")


@cache
def _accented_letters() -> tuple[tuple[str, str], ...]:
    """(letter, base) for the lower-case Latin letters with accents (U+00C0..U+024F) that
    decompose into an ASCII letter and combining marks: 'á' → 'a'."""
    found = []
    for code in range(0xC0, 0x250):
        char = chr(code)
        parts = unicodedata.normalize("NFD", char)
        accented = len(parts) > 1 and all(unicodedata.combining(c) for c in parts[1:])
        if char == char.lower() and accented and "a" <= parts[0] <= "z":
            found.append((char, parts[0]))
    return tuple(found)


def _collation_class(match: re.Match[str]) -> str:
    """A class whose letter ranges also hold the accented letters the collation sorts inside
    them: in SQL_Latin1_General_CP1_CI_AS 'á' sorts after 'a' and before 'b', so '[a-c]' holds
    'á' but not 'ç' (after 'c'), where code points would hold neither."""
    text = match.group(0)
    extra = "".join(
        char
        for low, high in _LETTER_RANGE.findall(text)
        for char, base in _accented_letters()
        if low <= base < high
    )
    return text[:-1] + extra + "]" if extra else text


def collation_ranges(pattern: str) -> str:
    """`pattern` (lower-cased, for a case-insensitive match) with its letter ranges widened to
    the collation's order (see _collation_class)."""
    return _CLASS.sub(_collation_class, pattern)


def translate(node: exp.Like, backend: Backend, lower: Lower | None) -> None:
    """Replace `node` (and its ESCAPE) by the backend's match (SQLite's GLOB or `ct_like` where
    Python functions are registered, else a regular expression); `lower` lowers an operand for
    a case-insensitive match (None: case-sensitive, under a binary or _CS_ collation)."""
    escape = _escape_character(node)
    subject, pattern = node.this, node.expression
    outer: exp.Expr = node.parent if isinstance(node.parent, exp.Escape) else node
    literal = isinstance(pattern, exp.Literal) and pattern.is_string
    if backend.python_functions and literal:
        written = pattern.this if lower is None else _case_insensitive(pattern.this, escape)
        text = lower(subject) if lower is not None else subject.copy()
        glob = exp.Literal.string(like_glob(written, escape))
        match: exp.Expr = exp.Glob(this=text, expression=glob)  # SQLite's own, in C
    elif backend.python_functions:
        flags = [
            exp.Literal.string(escape) if escape is not None else exp.Null(),
            exp.Literal.number(0 if lower is not None else 1),
        ]
        match = exp.Anonymous(this="ct_like", expressions=[subject.copy(), pattern.copy(), *flags])
    else:
        text = lower(subject) if lower is not None else subject.copy()
        if literal:
            written = pattern.this if lower is None else _case_insensitive(pattern.this, escape)
            regex: exp.Expr = exp.Literal.string(like_regex_escaped(written, escape))
        elif escape is not None:
            raise ValidationError("LIKE ... ESCAPE needs a literal pattern on PostgreSQL")
        else:
            regex = LikePattern(this=lower(pattern) if lower is not None else pattern.copy())
        match = exp.RegexpLike(this=text, expression=regex)
    if node.args.get("negate"):
        match = exp.Not(this=exp.Paren(this=match))
    outer.replace(match)


def _case_insensitive(pattern: str, escape: str | None) -> str:
    """A literal pattern for matching lower-cased text under the default collation."""
    lowered = pattern.lower()
    return lowered if escape is not None else collation_ranges(lowered)


def pattern_regex_sql(pattern: str) -> str:
    """SQL that turns the T-SQL LIKE pattern `pattern` into an anchored regular expression:
    split into '[...]' classes and single characters, each mapped, joined in order. Without
    a column in it, PostgreSQL computes it once per run."""
    mapped = (
        "CASE WHEN t = '%' THEN '.*' WHEN t = '_' THEN '.' "
        "WHEN LENGTH(t) > 2 AND LEFT(t, 1) = '[' THEN "
        "'[' || REPLACE(SUBSTRING(t FROM 2 FOR LENGTH(t) - 2), '\\', '\\\\') || ']' "
        "ELSE REGEXP_REPLACE(t, '([^[:alnum:]])', '\\\\\\1', 'g') END"
    )
    return (
        f"(SELECT '^' || COALESCE(STRING_AGG({mapped}, '' ORDER BY n), '') || '$' "
        f"FROM REGEXP_MATCHES({pattern}, '\\[\\^?\\]?[^]]*\\]|.', 'g') WITH ORDINALITY "
        "AS ct_m(a, n), LATERAL (SELECT ct_m.a[1] AS t) AS ct_t)"
    )
