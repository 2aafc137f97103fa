"""Export and import files (SPEC §4, §10): the calls, and reading and writing the file a chunk
at a time so neither side holds the whole file in memory."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Iterator, Mapping
from pathlib import Path
from typing import Any

import httpx
import msgspec

from customtables.calls import table_path
from customtables.transport import Call

CHUNK = 256 * 1024
FORMATS = ("json", "csv")
MODES = ("upsert", "replace")
MEDIA = {"json": "application/json", "csv": "text/csv"}


def _check_format(format: str) -> str:
    if format not in FORMATS:
        raise ValueError(f"format must be one of {FORMATS}, not {format!r}")
    return format


def export_call(name: str, format: str, where: str | None = None) -> Call[httpx.Response]:
    params: dict[str, str | int] = {}
    if _check_format(format) == "csv":
        params["Format"] = "csv"
    if where is not None:
        params["Where"] = where
    return Call("GET", table_path(name, "/export"), lambda r: r, params)


def import_format(path: Path, format: str | None) -> str:
    """The file's format: as given, else by its suffix (`.csv` is CSV, anything else JSON)."""
    if format is not None:
        return _check_format(format)
    return "csv" if path.suffix.lower() == ".csv" else "json"


def import_call(
    name: str,
    format: str,
    mode: str,
    key: str | None = None,
    types: Mapping[str, int] | None = None,
) -> Call[dict[str, Any]]:
    """Upsert and replace leave the same table however often they run, so a resend is safe."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, not {mode!r}")
    params: dict[str, str | int] = {"Mode": mode}
    if key is not None:
        params["KeyColumnName"] = key
    if types:
        params["Types"] = ",".join(f"{column}:{type_id}" for column, type_id in types.items())
    return Call(
        "PUT", table_path(name, "/import"), lambda r: msgspec.json.decode(r.content), params,
        content_type=MEDIA[format], idempotent=True,
    )  # fmt: skip


def read_chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as file:
        while chunk := file.read(CHUNK):
            yield chunk


async def aread_chunks(path: Path) -> AsyncIterator[bytes]:
    with path.open("rb") as file:
        while chunk := await asyncio.to_thread(file.read, CHUNK):
            yield chunk


def write_response(response: httpx.Response, path: Path) -> Path:
    """The answer's body into `path`, replaced only once the whole file has arrived."""
    partial = path.with_name(f".{path.name}.part")
    try:
        with partial.open("wb") as file:
            for chunk in response.iter_bytes(CHUNK):
                file.write(chunk)
        os.replace(partial, path)
    finally:
        response.close()
        partial.unlink(missing_ok=True)
    return path


async def awrite_response(response: httpx.Response, path: Path) -> Path:
    partial = path.with_name(f".{path.name}.part")
    try:
        with partial.open("wb") as file:
            async for chunk in response.aiter_bytes(CHUNK):
                file.write(chunk)
        os.replace(partial, path)
    finally:
        await response.aclose()
        partial.unlink(missing_ok=True)
    return path
