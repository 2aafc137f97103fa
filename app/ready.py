"""`GET /ready`: 200 only while the metadata database answers, for load balancers and
orchestrators (unlike `/health`, which says only that the process serves HTTP)."""

from __future__ import annotations

import logging

from litestar import Response, get
from litestar.openapi.datastructures import ResponseSpec
from sqlalchemy.exc import SQLAlchemyError

from app.auth import TenancyDep

log = logging.getLogger("customtables")


@get(
    "/ready",
    tags=["Service"],
    sync_to_thread=True,
    summary="Is the database reachable?",
    responses={
        503: ResponseSpec(
            dict[str, str],
            description='The database does not answer: `{"status": "unavailable"}`',
            generate_examples=False,
        )
    },
)
def ready(tenancy: TenancyDep) -> Response[dict[str, str]]:
    """`{"status": "ready"}` (200) or `{"status": "unavailable"}` (503); never the error text."""
    try:
        with tenancy.meta.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
    except SQLAlchemyError as error:
        log.warning("readiness check failed: %s", type(error).__name__)
        return Response({"status": "unavailable"}, status_code=503)
    return Response({"status": "ready"})
