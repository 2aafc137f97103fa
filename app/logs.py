"""Log lines for operators: plain text or one JSON object per line, always on standard output
and flushed line by line (logging's StreamHandler flushes after each record), so a pipe or a
file sees every line as it happens, not when a buffer fills."""

from __future__ import annotations

import logging
import sys
import time
from typing import Any

import msgspec

from app.settings import Settings

ACCESS = "customtables.access"
# the fields an access-log record carries (set as `extra=`); never a token or a query string
ACCESS_FIELDS = ("method", "path", "status", "ms", "tenant", "request_id")
_json = msgspec.json.Encoder()
_state = {"access": True}


def _timestamp(record: logging.LogRecord) -> str:
    seconds = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
    return f"{seconds}.{int(record.msecs):03d}Z"


class TextFormatter(logging.Formatter):
    """`2026-12-02T10:00:00.123Z INFO customtables: message`; access lines read
    `... GET /api/v3/custom-tables 200 3.1ms tenant=acme request_id=...`."""

    def format(self, record: logging.LogRecord) -> str:
        line = f"{_timestamp(record)} {record.levelname} {record.name}: {record.getMessage()}"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, and an access line's fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": _timestamp(record),
            "level": record.levelname,
            "logger": record.name,
            "pid": record.process,
            "message": record.getMessage(),
        }
        for name in ACCESS_FIELDS:
            if hasattr(record, name):
                entry[name] = getattr(record, name)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return _json.encode(entry).decode()


def configure(settings: Settings) -> None:
    """One handler on the root logger (replacing earlier ones: a worker process configures
    itself once, and tests build many apps in one process)."""
    handler = logging.StreamHandler(sys.stdout)
    formatter = JsonFormatter() if settings.log_format == "json" else TextFormatter()
    handler.setFormatter(formatter)
    root = logging.getLogger()
    for old in list(root.handlers):
        if getattr(old, "customtables", False):
            root.removeHandler(old)
    handler.customtables = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(settings.log_level)
    # a flag of ours, not `Logger.disabled`: uvicorn's logging set-up (dictConfig) re-enables
    # every existing logger
    _state["access"] = settings.access_log


def access(method: str, path: str, status: int, ms: float, tenant: str, request_id: str) -> None:
    """Write one access-log line (INFO on `customtables.access`)."""
    log = logging.getLogger(ACCESS)
    if not _state["access"] or not log.isEnabledFor(logging.INFO):
        return
    fields = {
        "method": method,
        "path": path,
        "status": status,
        "ms": round(ms, 1),
        "tenant": tenant,
        "request_id": request_id,
    }
    log.info(
        "%s %s %d %.1fms tenant=%s request_id=%s",
        method, path, status, ms, tenant or "-", request_id, extra=fields,
    )  # fmt: skip
