"""Upload bodies spooled to a temporary file as they arrive (raw JSON or multipart field `file`),
so a file of hundreds of megabytes never sits in memory, with the upload-size limit enforced on
the bytes actually received."""

from __future__ import annotations

import tempfile
from typing import IO, Any

from litestar import Request
from litestar.exceptions import ClientException, InternalServerException
from multipart import MultipartError, MultipartSegment, PushMultipartParser  # type: ignore[import-untyped]

from app import json_policy
from ddl.errors import PayloadTooLarge, ValidationError

SPOOL_IN_MEMORY = 8 * 1024 * 1024  # smaller uploads never touch the disk
FILE_FIELD = "file"
# What the import route reads (its 415 list); a CSV reader adds its type here.
UPLOAD_MEDIA_TYPES = ("application/json", "multipart/form-data", "text/csv")


def _too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(
        f"The upload is larger than {limit} bytes (setting CUSTOMTABLES_MAX_UPLOAD_BYTES)"
    )


def _boundary(content_type: str) -> bytes | None:
    kind, _, params = content_type.partition(";")
    if kind.strip().lower() != "multipart/form-data":
        return None
    for param in params.split(";"):
        key, _, value = param.strip().partition("=")
        if key.lower() == "boundary" and value:
            return value.strip('"').encode("latin-1")
    raise ValidationError("A multipart/form-data body needs a boundary")


class _Sink:
    """Receives the file's bytes: all of a raw body, or only the `file` part of a multipart one."""

    def __init__(self, out: IO[bytes], boundary: bytes | None, raw_type: str) -> None:
        self.out = out
        self.scanner = _scanner_for(raw_type) if boundary is None else None
        self.parser = PushMultipartParser(boundary) if boundary else None
        self.in_file = False
        self.found = False
        self.file_type = ""  # the multipart file's Content-Type, or text/csv for a .csv name

    def feed(self, chunk: bytes) -> None:
        if self.parser is None:
            self._write(chunk)
            return
        try:
            for part in self.parser.parse(chunk):
                if isinstance(part, MultipartSegment):
                    self.in_file = part.name == FILE_FIELD and not self.found
                    self.found |= self.in_file
                    if self.in_file:
                        self.file_type = _file_type(part)
                        self.scanner = _scanner_for(self.file_type)
                elif part is None:  # the end of a part
                    self.in_file = False
                elif self.in_file:
                    self._write(part)
        except MultipartError:
            raise ValidationError("The multipart/form-data body is not valid") from None

    def _write(self, data: bytes) -> None:
        """Keep the file's bytes, once the JSON policy's scan has seen them: a file nested too
        deep is refused while it arrives, before any parser reads it."""
        if self.scanner is not None:
            self.scanner.feed(data)
        self.out.write(data)

    def close(self) -> None:
        if self.scanner is not None:
            self.scanner.close()
        if self.parser is None:
            return
        if not self.parser.closed:
            try:
                self.parser.close()
            except MultipartError:
                raise ValidationError("The multipart/form-data body is incomplete") from None
        if not self.found:
            raise ValidationError(f"A multipart upload needs the file in field '{FILE_FIELD}'")


def _scanner_for(media_type: str) -> json_policy.FileScan | None:
    """JSON files get the JSON policy's scan; a CSV file is text, not nested."""
    if media_type.partition(";")[0].strip().lower() == "text/csv":
        return None
    return json_policy.FileScan()


def _file_type(part: MultipartSegment) -> str:
    """A multipart file's media type: `.csv` by its name wins over a generic Content-Type."""
    if (part.filename or "").lower().endswith(".csv"):
        return "text/csv"
    return str(part.content_type or "")


async def spool_upload(request: Request[Any, Any, Any], limit: int) -> IO[bytes]:
    """The uploaded file, rewound; 413 past `limit` bytes of body, 400 when empty."""
    return (await spool_typed_upload(request, limit))[0]


async def spool_typed_upload(request: Request[Any, Any, Any], limit: int) -> tuple[IO[bytes], str]:
    """The uploaded file, rewound, and its media type as sent (the body's Content-Type, or the
    multipart file's); 413 past `limit` bytes of body, 400 when empty or when a JSON file nests
    deeper than the JSON depth limit."""
    if request.content_length is not None and request.content_length > limit:
        raise _too_large(limit)
    out = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)  # noqa: SIM115 (returned)
    content_type = request.headers.get("content-type", "")
    try:
        sink = _Sink(out, _boundary(content_type), content_type)
        received = 0
        try:
            async for chunk in request.stream():
                received += len(chunk)
                if received > limit:
                    raise _too_large(limit)
                if chunk:
                    sink.feed(chunk)
        except (ClientException, InternalServerException):
            raise ValidationError("The upload ended before the whole file arrived") from None
        sink.close()
        if out.tell() == 0:
            raise ValidationError("The upload is empty: send the export file as the body")
        out.seek(0)
    except BaseException:
        out.close()
        raise
    return out, sink.file_type if sink.parser is not None else content_type
