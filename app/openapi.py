"""OpenAPI for handlers that decode their own body (raw bytes → msgspec struct, for exact
decimals and speed): the body's JSON Schema comes from msgspec and is registered once."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import msgspec
from litestar import Litestar
from litestar._openapi.plugin import OpenAPIPlugin
from litestar.openapi.spec import OpenAPI, OpenAPIMediaType, Operation, RequestBody

from app.openapi_errors import document_errors

_bodies: dict[type, str] = {}  # body class → media type
REF = "#/components/schemas/{name}"


def _components() -> tuple[dict[type, Any], dict[str, Any]]:
    """Each body's $ref and the schemas they need. msgspec names components by class name and
    qualifies them by module when two bodies share one (v1's and v3's CreateTableRequest)."""
    kinds = list(_bodies)
    refs, schemas = msgspec.json.schema_components(kinds, ref_template=REF)
    return dict(zip(kinds, refs, strict=True)), schemas


def body_of(kind: type, media_type: str = "application/json") -> type[Operation]:
    """An operation class whose request body is `kind` (pass as `operation_class=`)."""
    _bodies[kind] = media_type

    @dataclass
    class BodyOperation(Operation):
        def __post_init__(self) -> None:
            schema: Any = _components()[0][kind]
            self.request_body = RequestBody(
                required=True, content={media_type: OpenAPIMediaType(schema=schema)}
            )

    return BodyOperation


def body_schemas() -> dict[str, Any]:
    return _components()[1]


class _WithBodySchemas(OpenAPIPlugin):
    """Litestar regenerates components/schemas from the handlers it knows; this adds ours."""

    __slots__ = ()

    def _build_openapi(self) -> OpenAPI:
        openapi = super()._build_openapi()
        schemas = dict(openapi.components.schemas or {})
        for name, schema in body_schemas().items():
            schemas.setdefault(name, schema)
        openapi.components.schemas = schemas
        document_errors(openapi)
        return openapi


def document_bodies(app: Litestar) -> None:
    """Make the app's OpenAPI plugin include the raw-body handlers' schemas."""
    plugin = app.plugins.get(OpenAPIPlugin)
    plugin.__class__ = _WithBodySchemas
