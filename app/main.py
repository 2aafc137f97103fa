"""The Litestar application: routes, dependencies, error mapping and OpenAPI in one place."""

from __future__ import annotations

from litestar import Litestar, get
from litestar.config.app import AppConfig
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, Reference, SecurityScheme

from app import json_policy, logs
from app.admin import TenantsAdminController
from app.auth import principal_v3, provide_tenancy
from app.cors import cors_config
from app.dispatcher import dispatching
from app.docs_page import OfflineSwagger, openapi_router
from app.errors import EXCEPTION_HANDLERS, RetryLostReads
from app.head import HeadAsGet
from app.media_types import media_type_middleware
from app.metrics import metrics_route, watch_engine
from app.observe import RequestObserver
from app.openapi import document_bodies
from app.openapi_errors import declare_errors
from app.path_names import path_names_middleware
from app.query_case import query_case_middleware
from app.ready import ready
from app.settings import Settings
from app.studio import router as studio_router
from app.tenancy import Tenancy
from app.v1 import ratelimit as v1_ratelimit
from app.v1 import tables as v1
from app.v3.access_tokens import AccessTokensController
from app.v3.audit import AuditController
from app.v3.exchange import ExchangeController
from app.v3.me import who_am_i
from app.v3.queries import QueriesController
from app.v3.tables import CustomTablesController
from app.v3.webhooks import ChangesController, WebhooksController
from app.webhook_docs import webhooks as webhook_events

ROUTERS: list[object] = [
    CustomTablesController,
    ExchangeController,
    AuditController,
    QueriesController,
    AccessTokensController,
    TenantsAdminController,
    WebhooksController,
    ChangesController,
]
# Controllers and routers name the scheme they use (`security = [{"AccessToken": []}]`), so
# OpenAPI shows it on their routes: v3 (and the server-admin routes) X-AccessToken, v1 x-api-key.
SECURITY_SCHEMES: dict[str, SecurityScheme | Reference] = {
    "AccessToken": SecurityScheme(
        type="apiKey",
        name="X-AccessToken",
        security_scheme_in="header",
        description="v3 token (roles); on /api/admin a server-admin token",
    ),
    "ApiKey": SecurityScheme(
        type="apiKey",
        name="x-api-key",
        security_scheme_in="header",
        description="v1 API key (scopes workflows:read, workflows:write)",
    ),
}


@get("/health", include_in_schema=True, tags=["Service"])
async def health() -> dict[str, str]:
    return {"status": "ok"}


def create_app(settings: Settings | None = None, tenancy: Tenancy | None = None) -> Litestar:
    """Build the app; `tenancy` lets tests and the CLI share engines already set up."""
    settings = settings or Settings.from_env()
    tenancy = tenancy or Tenancy(settings)
    logs.configure(settings)
    json_policy.configure_from(settings)
    watch_engine(tenancy.meta)
    tenancy.on_new_engine = watch_engine

    def on_shutdown() -> None:
        tenancy.dispose()

    config = AppConfig(
        route_handlers=[
            health,
            ready,
            *([metrics_route] if settings.metrics else []),
            who_am_i,
            *ROUTERS,
            v1.router(settings),
            studio_router(),
        ],
        stores=v1.stores(settings, tenancy.meta),
        dependencies={
            "tenancy": Provide(provide_tenancy, sync_to_thread=False),
            "principal": Provide(principal_v3, sync_to_thread=True),
        },
        exception_handlers=EXCEPTION_HANDLERS,
        middleware=[path_names_middleware, query_case_middleware, media_type_middleware],
        cors_config=cors_config(settings.cors_origins),
        request_max_body_size=settings.max_body_bytes,
        openapi_config=OpenAPIConfig(
            title="customtables",
            version="0.1.0",
            path="/schema",
            render_plugins=[OfflineSwagger()],
            openapi_router=openapi_router("/schema"),
            components=Components(security_schemes=SECURITY_SCHEMES),
            webhooks=webhook_events(),
        ),
        on_shutdown=[on_shutdown],
        lifespan=[v1_ratelimit.purging, dispatching],
        debug=False,
    )
    app = Litestar.from_config(config)
    declare_errors(app)  # before the document is built:
    document_bodies(app)  # it is built here, once
    app.asgi_handler = RequestObserver(HeadAsGet(RetryLostReads(app.asgi_handler)))
    app.state.tenancy = tenancy
    app.state.settings = settings
    return app
