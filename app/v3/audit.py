"""v3 audit log: the tenant's schema-level changes, newest first, for Admins."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Response, get
from litestar.params import QueryParameter

from app.auth import PrincipalDep, TenancyDep
from app.v3 import shapes
from ddl import audit
from ddl.access import require_admin
from ddl.errors import ValidationError
from ddl.types import INT64_MAX, BadValue, parse_datetime

MAX_TOP = 1000
TABLE_TYPES = [audit.CUSTOM_TABLE, "table"]  # v3 tables, and v1 tables (issue 6)


class AuditEventOut(msgspec.Struct):
    Id: str
    CreatedAt: str
    User: str
    Action: str
    ResourceType: str
    ResourceId: str | None
    ResourceName: str | None
    Details: dict[str, Any]


def _moment(value: str | None, what: str) -> str | None:
    """An ISO-8601 bound as the stored text form (UTC, microseconds, `Z`), so text compares."""
    if value is None or not value.strip():
        return None
    try:
        moment = parse_datetime(value)
    except BadValue:
        raise ValidationError(f"{what} must be an ISO-8601 date or date-time") from None
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class AuditController(Controller):
    path = "/api/v3"
    tags = ["Audit"]
    security = [{"AccessToken": []}]

    @get(
        "/audit-logs",
        sync_to_thread=True,
        description=(
            "Schema-level changes of the caller's tenant, newest first (Admin). `Action` takes "
            "one action or several separated by commas; `Since` is inclusive, `Until` exclusive."
        ),
    )
    def list_events(
        self,
        principal: PrincipalDep,
        tenancy: TenancyDep,
        table_name: Annotated[str | None, QueryParameter(name="TableName")] = None,
        action: Annotated[str | None, QueryParameter(name="Action")] = None,
        since: Annotated[str | None, QueryParameter(name="Since")] = None,
        until: Annotated[str | None, QueryParameter(name="Until")] = None,
        top: Annotated[int, QueryParameter(name="Top", ge=0, le=MAX_TOP)] = 100,
        skip: Annotated[int, QueryParameter(name="Skip", ge=0, le=INT64_MAX)] = 0,
    ) -> Response[list[AuditEventOut]]:
        require_admin(principal.caller, "read the audit log")
        actions = [a.strip() for a in (action or "").split(",") if a.strip()]
        name = table_name.strip() if table_name and table_name.strip() else None
        if name is not None and len(name) > 255:
            raise ValidationError("TableName is at most 255 characters")
        with tenancy.space(principal.tenant).read() as conn:
            events = audit.list_events(
                conn,
                actions=actions or None,
                resource_types=TABLE_TYPES if name else None,
                resource_name=name,
                since=_moment(since, "Since"),
                until=_moment(until, "Until"),
                limit=top,
                offset=skip,
            )
        return shapes.json_response(
            [
                AuditEventOut(
                    e.id,
                    e.created_at,
                    e.user,
                    e.action,
                    e.resource_type,
                    e.resource_id,
                    e.resource_name,
                    e.details,
                )
                for e in events
            ]
        )
