"""CORS for browser applications on other origins (SPEC §10): origins from
CUSTOMTABLES_CORS_ORIGINS (comma-separated; none by default, so no browser on another origin
may call the API until an operator names it)."""

from __future__ import annotations

from litestar.config.cors import CORSConfig

METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
REQUEST_HEADERS = ["X-AccessToken", "x-api-key", "Content-Type"]
EXPOSED_HEADERS = ["Link", "X-Total-Count", "Retry-After", "Content-Disposition"]


def origins(setting: str) -> list[str]:
    return [origin.strip().rstrip("/") for origin in setting.split(",") if origin.strip()]


def cors_config(setting: str) -> CORSConfig | None:
    """None when no origin is allowed: then no CORS header is ever sent. Tokens travel in
    headers, not cookies, so credentials are not allowed."""
    allowed = origins(setting)
    if not allowed:
        return None
    return CORSConfig(
        allow_origins=allowed,
        allow_methods=METHODS,  # type: ignore[arg-type]
        allow_headers=REQUEST_HEADERS,
        expose_headers=EXPOSED_HEADERS,
        allow_credentials=False,
        max_age=600,
    )
