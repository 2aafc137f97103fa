"""Settings from CUSTOMTABLES_* environment variables (each documented in the README)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from pathlib import Path


def _int(name: str, default: int) -> int:
    raw = os.environ.get(f"CUSTOMTABLES_{name}")
    return default if raw in (None, "") else int(raw)


def _float(name: str, default: float) -> float:
    raw = os.environ.get(f"CUSTOMTABLES_{name}")
    return default if raw in (None, "") else float(raw)


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


def database_label(settings: Settings) -> str:
    """The database as the start line and the CLI name it: the URL without its password.
    Here, not in app.serve, so an admin command does not import the web server (~0.35 s)."""
    import sqlalchemy as sa

    return sa.make_url(settings.url).render_as_string(hide_password=True)
