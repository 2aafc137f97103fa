"""The API docs page at `/schema` (SPEC §8): Swagger UI served from files inside the package, so
the page works with no internet (Litestar's own Swagger plugin loads its scripts from a CDN).

`static/` holds swagger-ui-dist (Apache-2.0, its LICENSE and NOTICE beside it) and `init.js`;
the page's Content-Security-Policy allows nothing from another origin, so a missing asset shows
as a broken page in tests instead of a silent fetch from the internet.
"""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any

from litestar import Request, Response, Router
from litestar.openapi.plugins import OpenAPIRenderPlugin
from litestar.static_files import create_static_files_router

STATIC = Path(__file__).parent / "static"
SWAGGER_UI_VERSION = "5.32.0"  # of the vendored swagger-ui-dist files in static/
ASSETS = "/assets"  # below the OpenAPI router's path (/schema)
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; font-src 'self'; form-action 'none'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff"}


def _secure(response: Response[Any]) -> Response[Any]:
    response.headers.update(SECURITY_HEADERS)
    return response


class OfflineSwagger(OpenAPIRenderPlugin):
    """Swagger UI on `/schema` (and `/schema/swagger`), its assets under `/schema/assets`."""

    def __init__(self, path: str = "/swagger") -> None:
        super().__init__(path=path, favicon="", style="")

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        """A small HTML page; the document itself is fetched from openapi.json by init.js."""
        base = request.app.openapi_config.path if request.app.openapi_config else "/schema"
        assets = f"{base}{ASSETS}"
        title = escape(str(openapi_schema.get("info", {}).get("title", "API")))
        page = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="icon" type="image/png" href="{assets}/favicon-32x32.png">
<link rel="stylesheet" href="{assets}/swagger-ui.css">
<script src="{assets}/swagger-ui-bundle.js" defer></script>
<script src="{assets}/init.js" defer></script>
</head>
<body data-openapi="{escape(f"{base}/openapi.json")}">
<div id="swagger-ui"></div>
</body>
</html>
"""
        return page.encode()

    def receive_router(self, router: Router) -> None:
        """Serve the page's assets beside it."""
        super().receive_router(router)
        router.register(
            create_static_files_router(
                path=ASSETS,
                directories=[STATIC],
                after_request=_secure,
                include_in_schema=False,
                name="docs-assets",
            )
        )


def openapi_router(path: str = "/schema") -> Router:
    """The router Litestar mounts the docs page, openapi.json and the assets on: every answer
    carries the security headers."""
    return Router(path, route_handlers=[], include_in_schema=False, after_request=_secure)
