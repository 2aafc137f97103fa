"""The Studio (SPEC §12): the web console at /data, served from files inside the package.

No build step and no CDN: plain ES modules, one stylesheet, inline SVG-free icons drawn with
CSS, so `pip install` gives a working console on a machine with no internet. Every answer of
these routes carries a strict Content-Security-Policy (no inline script or style, nothing
from another origin), so API data the Studio shows can never run as code.
"""

from __future__ import annotations

from pathlib import Path

from litestar import Response, Router, get
from litestar.response import File
from litestar.static_files import create_static_files_router

STATIC = Path(__file__).parent / "static"
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; form-action 'none'; base-uri 'none'; "
    "frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


def _secure(response: Response) -> Response:
    response.headers.update(SECURITY_HEADERS)
    return response


@get(["/data", "/data/"], include_in_schema=False, sync_to_thread=False)
def studio_page() -> File:
    """The one HTML page; screens are chosen by the URL fragment (`#/tables/Name`), so the token
    and the data never travel in a URL the server sees."""
    return File(
        STATIC / "index.html",
        content_disposition_type="inline",
        media_type="text/html",  # Litestar adds the charset
        headers={**SECURITY_HEADERS, "Cache-Control": "no-cache"},
    )


def router() -> Router:
    assets = create_static_files_router(
        path="/data/assets",
        directories=[STATIC],
        after_request=_secure,
        include_in_schema=False,
        name="studio-assets",
    )
    return Router(path="/", route_handlers=[studio_page, assets], include_in_schema=False)
