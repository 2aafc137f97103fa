"""The one JSON policy for every request body (v3, v1, saved queries, import files): a nesting
depth limit checked on the raw bytes before anything is decoded, and no duplicate keys.

Why a byte scan: msgspec and ijson have no depth limit, and a body of 30,000 nested arrays
costs them recursion or quadratic memory. The scan works on whole byte strings with C-speed
operations (split, translate, replace), so it costs little next to decoding, and it runs on a
stream too (`DepthScanner.feed`), so an import file is checked as it arrives.

Why duplicate keys are refused: decoders keep the last value of a repeated key, so
`{"OperationType": "Delete", "OperationType": "DeleteAll"}` would delete everything while a
reader of the body sees a single-row delete. We count the keys in the raw text and in the
decoded (de-duplicated) value; a difference means a key was repeated.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, Any

import msgspec

from ddl.errors import ValidationError

if TYPE_CHECKING:
    from app.settings import Settings

_WHITESPACE = b" \t\r\n"
_BRACKETS = bytes(range(256)).replace(b"{", b"[").replace(b"}", b"]")
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_DELTA = {ord("["): 1, ord("]"): -1}
_MARK = b"\x01"  # stands for one string once strings are cut out (never valid outside one)


@dataclass(frozen=True)
class Limits:
    """The policy's settings (CUSTOMTABLES_MAX_JSON_DEPTH, CUSTOMTABLES_MAX_VALUE_BYTES)."""

    max_depth: int = 32
    max_value_bytes: int = 1024 * 1024


_current: list[Limits] = [Limits()]  # one process-wide setting (a list, so no `global`)


def configure(limits: Limits) -> None:
    """Set by create_app from the settings, so body paths without the settings share them."""
    _current[0] = limits


def configure_from(settings: Settings) -> None:
    """The settings' CUSTOMTABLES_MAX_JSON_DEPTH and CUSTOMTABLES_MAX_VALUE_BYTES, process-wide
    (the server at start, the CLI before an import)."""
    configure(Limits(settings.max_json_depth, settings.max_value_bytes))


def limits() -> Limits:
    return _current[0]


def max_depth() -> int:
    return _current[0].max_depth


class TooDeep(ValidationError):
    """The body nests arrays and objects deeper than the limit (400)."""

    def __init__(self, limit: int, where: str = "") -> None:
        place = f" at {where}" if where else ""
        super().__init__(
            f"The JSON body is nested deeper than {limit} levels{place} "
            "(setting CUSTOMTABLES_MAX_JSON_DEPTH)"
        )


def _peak(skeleton: bytes, start: int, limit: int) -> tuple[int, int]:
    """(deepest level, level at the end) of a bracket skeleton entered at level `start`.
    Removing `][` keeps the peak (the level dips and comes back); once none is left the
    skeleton reads `[[[…]]]` and the peak is its count of `[`. Each pass closes every valley by
    one level, so more passes than the limit allows only happen for texts that are too deep
    or not JSON; those get the exact running sum."""
    for _ in range(min(limit, 62) + 2):
        shorter = skeleton.replace(b"][", b"")
        if len(shorter) == len(skeleton):
            opens = len(skeleton) - len(skeleton.lstrip(b"["))
            return start + opens, start + 2 * opens - len(skeleton)
        skeleton = shorter
    levels = list(itertools.accumulate(map(_DELTA.__getitem__, skeleton), initial=start))
    return max(levels), levels[-1]


CHUNK = 1 << 20  # bodies are scanned a megabyte at a time, so the scan's own memory stays small


MAX_NUMBER_DIGITS = 1000  # no column type takes more (a Float's widest is ~330 characters)
_LONG_NUMBER = re.compile(rb"[0-9]{%d}" % (MAX_NUMBER_DIGITS + 1))
_DIGITS = b"0123456789"


class NumberTooLong(ValidationError):
    """A number of more digits than any column takes (400). Checked before the import reader
    sees it: ijson's C parser crashed the whole process on an integer past Python's 4,300-digit
    limit for int()."""

    def __init__(self) -> None:
        super().__init__(f"The JSON holds a number of more than {MAX_NUMBER_DIGITS} digits")


@dataclass
class DepthScanner:
    """Tracks strings, nesting, keys and the length of digit runs across chunks of one JSON
    text."""

    limit: int
    measure: bool = True  # keep `longest` (off for bodies too short to hold a long string)
    level: int = 0
    keys: int = 0  # keys of objects seen so far (a string followed by `:`)
    in_string: bool = False
    _carry: bytes = b""  # a backslash that ended the previous chunk
    _after_string: bool = False  # the previous chunk's last token was a string
    longest: int = 0  # bytes of the longest string so far (escapes counted short)
    _open: int = 0  # bytes so far of a string the previous chunk left open
    _digits: int = 0  # digits the previous chunk's text ended with (a number going on)

    def feed(self, chunk: bytes) -> None:
        """Raise TooDeep as soon as the text so far nests deeper than the limit."""
        for start in range(0, len(chunk), CHUNK):
            self._feed(chunk[start : start + CHUNK])

    def _feed(self, chunk: bytes) -> None:
        # Escapes are the only backslashes (outside a string one is not JSON anyway); an escaped
        # quote is the only escape that matters, and `\\\\` pairs go first, left to right.
        cleaned = (self._carry + chunk).replace(b"\\\\", b"").replace(b'\\"', b"")
        self._carry = b""
        if cleaned.endswith(b"\\"):
            self._carry, cleaned = b"\\", cleaned[:-1]
        parts = cleaned.split(b'"')
        outside = parts[1::2] if self.in_string else parts[0::2]
        if self.measure:
            self._measure(parts)
        if len(parts) % 2 == 0:
            self.in_string = not self.in_string
        text = _MARK.join(outside).translate(None, _WHITESPACE)
        if self.in_string:
            text += _MARK  # the string left open counts as one token, once
        self._count_digits(text)
        if self._after_string and text.startswith(b":"):
            self.keys += 1
        self.keys += text.count(_MARK + b":")
        if text:
            self._after_string = text.endswith(_MARK)
        skeleton = text.translate(_BRACKETS, _NOT_BRACKETS)
        peak, self.level = _peak(skeleton, self.level, self.limit)
        if peak > self.limit:
            raise TooDeep(self.limit)

    def _count_digits(self, text: bytes) -> None:
        """Raise NumberTooLong at a run of digits outside strings longer than the limit,
        counting a run the previous chunk ended with."""
        start = len(text) - len(text.lstrip(_DIGITS))
        if self._digits + start > MAX_NUMBER_DIGITS or _LONG_NUMBER.search(text):
            raise NumberTooLong
        tail = len(text) - len(text.rstrip(_DIGITS))
        self._digits = self._digits + tail if tail == len(text) else tail

    def _measure(self, parts: list[bytes]) -> None:
        """Keep `longest` (called before `in_string` moves to the chunk's end state)."""
        lengths = list(map(len, parts[0::2] if self.in_string else parts[1::2]))
        if self.in_string and lengths:
            lengths[0] += self._open
        ends_inside = (len(parts) % 2 == 0) != self.in_string
        self._open = lengths[-1] if ends_inside and lengths else 0
        self.longest = max(self.longest, max(lengths, default=0))


class FileScan:
    """The policy for an import file: the depth, number and value-size checks of a JSON body,
    fed piece by piece as the file arrives (app/uploads.py) or is read from disk (check_file)."""

    def __init__(self) -> None:
        self.scanner = DepthScanner(max_depth())
        self.seen = 0  # bytes fed so far

    def feed(self, data: bytes) -> None:
        try:
            self.scanner.feed(data)
        except TooDeep:
            raise ValidationError(
                f"The file nests arrays or objects deeper than {max_depth()} levels "
                f"within its first {self.seen + len(data)} bytes "
                "(setting CUSTOMTABLES_MAX_JSON_DEPTH)"
            ) from None
        self.seen += len(data)

    def close(self) -> None:
        limit = limits().max_value_bytes
        if self.scanner.longest > limit:
            raise ValidationError(
                f"The file holds a value larger than {limit} bytes "
                "(setting CUSTOMTABLES_MAX_VALUE_BYTES)"
            )


def check_file(source: IO[bytes]) -> None:
    """FileScan over a whole seekable file, before any parser reads it (ijson's C parser
    crashes the process on a number past NumberTooLong's limit); leaves it at the start."""
    source.seek(0)
    scan = FileScan()
    while data := source.read(CHUNK):
        scan.feed(data)
    scan.close()
    source.seek(0)


class TooLarge(ValidationError):
    """One string value of the body is larger than the value limit (400)."""

    def __init__(self, limit: int, where: str = "") -> None:
        place = f" at {where}" if where else ""
        super().__init__(
            f"The value{place} is larger than {limit} bytes (setting CUSTOMTABLES_MAX_VALUE_BYTES)"
        )


@dataclass
class Location:
    """Where in a body a value sits: keys and indexes from the top, and for each object the
    string values seen beside the key (so a message can name the `ColumnName`)."""

    path: list[str | int] = field(default_factory=list)
    siblings: list[dict[str, str]] = field(default_factory=list)

    def text(self) -> str:
        """`UpsertManyModel[3].Columns[0].Value[0][0]…`: the steps to the last key, two more."""
        named = max((i for i, s in enumerate(self.path) if isinstance(s, str)), default=-1)
        out = ""
        for step in self.path[: named + 3]:
            out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else step)
        return (out + ("…" if len(self.path) > named + 3 else "")) or "the top level"


Describe = Callable[[Location], str]
_TOKEN = re.compile(rb'"[^"\\]*(?:\\[\s\S][^"\\]*)*"|[\[\]{},:]')


LOCATE_TOKENS = 2_000_000  # the error-path scan gives up past this many tokens (seconds)


def locate(body: bytes, limit: int, longest: int = 1 << 62) -> Location | None:
    """Where nesting first passes `limit`, the first key an object repeats, or the first string
    longer than `longest` (error path only: a Python-level scan of the tokens, bounded; None
    when the place is too far in)."""
    stack: list[list[Any]] = []  # [is_object, key or index, pending key, siblings, keys]
    for count, match in enumerate(_TOKEN.finditer(body)):
        if count > LOCATE_TOKENS:
            return None
        if _found(stack, match.group(), limit, longest):
            break
    return Location([frame[1] for frame in stack], [frame[3] for frame in stack])


def _found(stack: list[list[Any]], token: bytes, limit: int, longest: int) -> bool:
    """Apply one token to the frame stack of `locate`; True when the place is reached."""
    frame = stack[-1] if stack else None
    if token in (b"[", b"{"):
        if len(stack) >= limit:
            return True
        stack.append([token == b"{", None if token == b"{" else 0, None, {}, set()])
    elif token in (b"]", b"}"):
        if stack:
            stack.pop()
    elif token == b"," and frame is not None:
        frame[1], frame[2] = (None, None) if frame[0] else (frame[1] + 1, None)
    elif token == b":" and frame is not None and frame[0]:
        frame[1] = frame[2]
        if frame[1] in frame[4]:
            return True
        frame[4].add(frame[1])
    elif len(token) > longest:
        return True
    elif token.startswith(b'"') and frame is not None and frame[0]:
        if frame[1] is None:
            frame[2] = _string(token)
        else:
            frame[3][frame[1]] = _string(token)
    return False


def _string(token: bytes) -> str:
    if len(token) > 400:
        return token[1:100].decode("utf-8", "replace")
    try:
        return str(msgspec.json.decode(token))[:100]
    except msgspec.MsgspecError:
        return "?"


def count_keys(text: bytes) -> int:
    """How many object keys a JSON text holds (a repeated key counts each time)."""
    scanner = DepthScanner(limit=1 << 30, measure=False)
    scanner.feed(text)
    return scanner.keys


_OPENED_WITH_COLON = (b'[":', b'{":', b',":', b':":')  # a string that starts with `:`


def _unescaped_quote_colons(text: bytes) -> int:
    """How many `":` of the text have a quote after an even run of backslashes (a quote that
    ends or starts a string): the alternating sum removes the odd runs."""
    keys = text.count(b'":')
    if b"\\" not in text:  # one C-speed scan; most bodies escape nothing
        return keys
    run, sign = b"\\", -1
    while (found := text.count(run + b'":')) > 0:
        keys += sign * found
        run, sign = run + b"\\", -sign
    return keys


def count_encoded_keys(text: bytes) -> int:
    """count_keys for a text msgspec encoded (no whitespace, every quote inside a string
    escaped), in a few C-speed counts: a key ends at each unescaped `":`. A `":` can also be
    the start of a string that begins with a colon; when the text may hold one, the exact scan
    decides."""
    if text.startswith(b'":') or any(opened in text for opened in _OPENED_WITH_COLON):
        return count_keys(text)
    return _unescaped_quote_colons(text)


def count_keys_or_more(body: bytes) -> int:
    """For a body already known to be valid JSON: a count of its object keys that is never
    lower than the true one, in a few C-speed passes. With whitespace outside strings removed,
    every key ends in `":`; an unescaped `":` otherwise only opens a string that starts with a
    colon (or with whitespace and a colon), so the count is exact or higher. Removing
    whitespace inside strings never changes whether a quote is escaped: in valid JSON a
    backslash is never followed by whitespace, so the runs it joins are even.

    A decoder that saw N distinct keys where this says N therefore saw every key once (N keys
    decoded come from at least N in the text)."""
    return _unescaped_quote_colons(body.translate(None, _WHITESPACE))


class DuplicateKey(ValidationError):
    def __init__(self, where: str = "") -> None:
        place = f" ({where})" if where else ""
        super().__init__(
            f"The JSON body repeats a key in one object{place}; each key may appear only once"
        )


def check_duplicates(body: bytes, raw_keys: int, describe: Describe | None = None) -> None:
    """400 when an object repeats a key: the decoded value, encoded again, has fewer keys."""
    try:
        value = msgspec.json.decode(body)
    except msgspec.MsgspecError:
        return  # not JSON: the caller's decoder names the problem
    if count_encoded_keys(msgspec.json.encode(value)) != raw_keys:
        raise DuplicateKey(_where(locate(body, 1 << 30), describe))


def _where(location: Location | None, describe: Describe | None) -> str:
    return "" if location is None else (describe or Location.text)(location)


def check(body: bytes, describe: Describe | None = None, limit: int | None = None) -> None:
    """Apply the policy to a whole body: depth first (before any decoding), then duplicates."""
    limit = max_depth() if limit is None else limit
    longest = limits().max_value_bytes
    scanner = DepthScanner(limit, measure=len(body) > longest)
    try:
        scanner.feed(body)
    except TooDeep:
        raise TooDeep(limit, _where(locate(body, limit), describe)) from None
    if scanner.longest > longest:
        where = _where(locate(body, limit, longest), describe)
        raise TooLarge(longest, where)
    if scanner.keys:
        check_duplicates(body, scanner.keys, describe)
