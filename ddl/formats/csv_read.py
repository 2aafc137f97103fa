"""CSV bytes → records, read incrementally from a seekable binary file, each with the physical
line it starts on (the header is line 1; a quoted field with line breaks spans several lines).

Python's C `csv` reader does the parsing (strict RFC 4180 quoting) but cannot tell an empty
unquoted field (NULL) from `""` (the empty string) before Python 3.12. Each record's raw text is
kept while it is read, and only records with an empty field are scanned again to tell which
empty fields were quoted: the common record costs nothing extra.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from typing import BinaryIO

from ddl.errors import ValidationError

# One field of a record the C reader accepted: quoted ("" escapes, any characters) or not.
_FIELD = re.compile(r'"(?:[^"]|"")*"|[^,\r\n]*')
_BOM = "\ufeff"
Record = list[str | None]

# Bounds that keep one record's memory small whatever the upload holds (SPEC §9: 512 MB).
MAX_FIELD_CHARS = 16 * 1024 * 1024
MAX_LINE_BYTES = 32 * 1024 * 1024
csv.field_size_limit(max(csv.field_size_limit(), MAX_FIELD_CHARS))


class LineError(ValidationError):
    """A problem at one line of the file (400): names the line, and the column when known."""

    def __init__(self, line: int, message: str, column: str | None = None) -> None:
        where = f"Line {line}" + (f", column '{column}'" if column else "")
        super().__init__(f"{where}: {message}")
        self.line = line
        self.column = column


def _quoted_empty(raw: str) -> list[bool]:
    """For each field of one raw record, whether it is exactly `""`."""
    flags = []
    position = 0
    while True:
        match = _FIELD.match(raw, position)
        assert match is not None  # the pattern matches the empty string
        flags.append(match.group() == '""')
        position = match.end()
        if position >= len(raw) or raw[position] != ",":
            return flags
        position += 1


class CsvRecords:
    """Iterate `(line, fields)`; fields are text, or None for an empty unquoted field. Blank
    lines are skipped. Errors name the line."""

    def __init__(self, source: BinaryIO) -> None:
        source.seek(0)
        self._source = source
        self._raw: list[str] = []
        self._lines_read = 0

    def _text_lines(self) -> Iterator[str]:
        while data := self._source.readline(MAX_LINE_BYTES + 1):
            self._lines_read += 1
            if len(data) > MAX_LINE_BYTES:
                raise LineError(self._lines_read, f"a line is longer than {MAX_LINE_BYTES:,} bytes")
            try:
                line = data.decode("utf-8")
            except UnicodeDecodeError:
                raise LineError(self._lines_read, "the file is not UTF-8 text") from None
            if self._lines_read == 1 and line.startswith(_BOM):
                line = line[1:]
            self._raw.append(line)
            yield line

    def __iter__(self) -> Iterator[tuple[int, Record]]:
        reader = csv.reader(self._text_lines(), strict=True)
        while True:
            start = self._lines_read + 1
            try:
                fields = next(reader)
            except StopIteration:
                return
            except csv.Error as error:
                if "field limit" in str(error):
                    message = f"a field is longer than {MAX_FIELD_CHARS:,} characters"
                    raise LineError(start, message) from None
                raise LineError(start, f"not valid CSV ({error})") from None
            raw = "".join(self._raw)
            self._raw.clear()
            if not fields:
                continue
            yield start, self._with_nulls(fields, raw)

    @staticmethod
    def _with_nulls(fields: list[str], raw: str) -> Record:
        if "" not in fields:
            return list(fields)
        quoted = _quoted_empty(raw.rstrip("\r\n"))
        return [
            None if value == "" and not quoted[index] else value
            for index, value in enumerate(fields)
        ]
