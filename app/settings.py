"""Settings from CUSTOMTABLES_* environment variables (each documented in the README)."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field, fields
from pathlib import Path

RATE_LIMIT_WINDOWS = ("second", "minute", "hour", "day")  # Litestar's DurationUnit


class SettingsError(ValueError):
    """A setting the server cannot run with, named as the operator sets it."""


def _int(name: str, default: int) -> int:
    raw = os.environ.get(f"CUSTOMTABLES_{name}")
    if raw in (None, ""):
        return default
    try:
        return int(raw)
    except ValueError:
        raise SettingsError(f"CUSTOMTABLES_{name} must be a whole number, not {raw!r}") from None


def _float(name: str, default: float) -> float:
    raw = os.environ.get(f"CUSTOMTABLES_{name}")
    if raw in (None, ""):
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"CUSTOMTABLES_{name} must be a number, not {raw!r}") from None
    if not math.isfinite(value):
        raise SettingsError(f"CUSTOMTABLES_{name} must be a finite number, not {raw!r}")
    return value


def _bool(name: str, default: bool) -> bool:
    raw = (os.environ.get(f"CUSTOMTABLES_{name}") or "").strip().lower()
    return default if raw == "" else raw in ("1", "true", "yes", "on")


@dataclass(frozen=True)
class Settings:
    data_dir: Path = Path("data")
    database_url: str = ""
    max_batch_rows: int = 10_000
    max_body_bytes: int = 64 * 1024 * 1024
    max_upload_bytes: int = 256 * 1024 * 1024
    max_json_depth: int = 32
    max_value_bytes: int = 1024 * 1024
    query_timeout_seconds: float = 5.0
    query_max_rows: int = 10_000
    query_max_bytes: int = 32 * 1024 * 1024
    tenant_heavy_limit: int = 4
    heavy_threads: int = 8
    rate_limit_reads: int = 1000
    rate_limit_writes: int = 100
    rate_limit_window: str = "minute"
    redis_url: str = ""
    log_level: str = "INFO"
    cursor_secret: str = ""  # signs rows-API paging cursors; empty: a stored generated key
    cors_origins: str = ""  # comma-separated origins allowed by CORS; empty: none
    log_format: str = "text"  # or "json": one JSON object per log line
    access_log: bool = True  # one line per request; `serve --quiet` turns it off
    metrics: bool = False  # GET /metrics (Prometheus text)
    shutdown_timeout_seconds: int = 30  # in-flight requests get this long to finish on stop
    max_open_tenants: int = 64  # tenant spaces (SQLite files) kept open per process, LRU
    webhook_allow_private: bool = False  # deliver to private/loopback/link-local addresses
    webhook_dispatch: bool = True  # run the webhook dispatcher in this process
    webhook_timeout_seconds: float = 10.0  # one delivery attempt's time limit
    webhook_retry_base_seconds: float = 1.0  # first back-off; doubles each retry
    webhook_retry_cap_seconds: float = 600.0  # the longest back-off
    webhook_retry_hours: float = 24.0  # retries end this long after the event
    webhook_poll_seconds: float = 1.0  # how often the dispatcher looks for due deliveries
    webhook_concurrency: int = 8  # delivery attempts in flight per process
    max_webhooks: int = 20  # per tenant
    max_change_streams: int = 10  # change streams (SSE) a tenant may hold open per process
    extra: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        """Refuse values the server cannot work with, at start, naming the variable: a limit of
        0 or below would refuse every request or every delivery, not fail once clearly."""
        for name in _POSITIVE:
            value = getattr(self, name)
            if not value > 0:
                raise SettingsError(f"CUSTOMTABLES_{name.upper()} must be above 0, not {value}")
        for name in _NOT_NEGATIVE:
            value = getattr(self, name)
            if value < 0:
                raise SettingsError(f"CUSTOMTABLES_{name.upper()} must be 0 or more, not {value}")
        if self.rate_limit_window not in RATE_LIMIT_WINDOWS:
            raise SettingsError(
                f"CUSTOMTABLES_RATE_LIMIT_WINDOW must be one of {', '.join(RATE_LIMIT_WINDOWS)}, "
                f"not {self.rate_limit_window!r}"
            )
        if self.log_format not in ("text", "json"):
            raise SettingsError(
                f"CUSTOMTABLES_LOG_FORMAT must be text or json, not {self.log_format!r}"
            )

    @property
    def url(self) -> str:
        """The metadata database: SQLite under the data directory unless a URL is given."""
        return self.database_url or f"sqlite:///{(self.data_dir / 'customtables.db').resolve()}"

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        env = os.environ.get
        values: dict[str, object] = {
            "data_dir": Path(env("CUSTOMTABLES_DATA_DIR") or "data"),
            "database_url": env("CUSTOMTABLES_DATABASE_URL", ""),
            "max_batch_rows": _int("MAX_BATCH_ROWS", 10_000),
            "max_body_bytes": _int("MAX_BODY_BYTES", 64 * 1024 * 1024),
            "max_upload_bytes": _int("MAX_UPLOAD_BYTES", 256 * 1024 * 1024),
            "max_json_depth": _int("MAX_JSON_DEPTH", 32),
            "max_value_bytes": _int("MAX_VALUE_BYTES", 1024 * 1024),
            "query_timeout_seconds": _float("QUERY_TIMEOUT_SECONDS", 5.0),
            "query_max_rows": _int("QUERY_MAX_ROWS", 10_000),
            "query_max_bytes": _int("QUERY_MAX_BYTES", 32 * 1024 * 1024),
            "tenant_heavy_limit": _int("TENANT_HEAVY_LIMIT", 4),
            "heavy_threads": _int("HEAVY_THREADS", 8),
            "rate_limit_reads": _int("RATE_LIMIT_READS", 1000),
            "rate_limit_writes": _int("RATE_LIMIT_WRITES", 100),
            "rate_limit_window": env("CUSTOMTABLES_RATE_LIMIT_WINDOW") or "minute",
            "redis_url": env("CUSTOMTABLES_REDIS_URL", ""),
            "log_level": env("CUSTOMTABLES_LOG_LEVEL", "INFO"),
            "cursor_secret": env("CUSTOMTABLES_CURSOR_SECRET", ""),
            "cors_origins": env("CUSTOMTABLES_CORS_ORIGINS", ""),
            "log_format": (env("CUSTOMTABLES_LOG_FORMAT") or "text").lower(),
            "access_log": _bool("ACCESS_LOG", True),
            "metrics": _bool("METRICS", False),
            "shutdown_timeout_seconds": _int("SHUTDOWN_TIMEOUT_SECONDS", 30),
            "max_open_tenants": _int("MAX_OPEN_TENANTS", 64),
            "webhook_allow_private": _bool("WEBHOOK_ALLOW_PRIVATE", False),
            "webhook_dispatch": _bool("WEBHOOK_DISPATCH", True),
            "webhook_timeout_seconds": _float("WEBHOOK_TIMEOUT_SECONDS", 10.0),
            "webhook_retry_base_seconds": _float("WEBHOOK_RETRY_BASE_SECONDS", 1.0),
            "webhook_retry_cap_seconds": _float("WEBHOOK_RETRY_CAP_SECONDS", 600.0),
            "webhook_retry_hours": _float("WEBHOOK_RETRY_HOURS", 24.0),
            "webhook_poll_seconds": _float("WEBHOOK_POLL_SECONDS", 1.0),
            "webhook_concurrency": _int("WEBHOOK_CONCURRENCY", 8),
            "max_webhooks": _int("MAX_WEBHOOKS", 20),
            "max_change_streams": _int("MAX_CHANGE_STREAMS", 10),
        }
        known = {f.name for f in fields(cls)}
        values.update({k: v for k, v in overrides.items() if k in known})
        return cls(**values)  # type: ignore[arg-type]


_POSITIVE = (
    "max_batch_rows", "max_body_bytes", "max_upload_bytes", "max_json_depth", "max_value_bytes",
    "query_timeout_seconds", "query_max_rows", "query_max_bytes", "tenant_heavy_limit",
    "heavy_threads", "rate_limit_reads", "rate_limit_writes", "max_open_tenants",
    "webhook_timeout_seconds", "webhook_retry_base_seconds", "webhook_retry_cap_seconds",
    "webhook_retry_hours", "webhook_poll_seconds", "webhook_concurrency", "max_change_streams",
)  # fmt: skip
_NOT_NEGATIVE = ("shutdown_timeout_seconds", "max_webhooks")


def database_label(settings: Settings) -> str:
    """The database as the start line and the CLI name it: the URL without its password.
    Here, not in app.serve, so an admin command does not import the web server (~0.35 s)."""
    import sqlalchemy as sa

    return sa.make_url(settings.url).render_as_string(hide_password=True)
