"""OpenAPI for handlers that decode their own body (raw bytes → msgspec struct, for exact
decimals and speed): the body's JSON Schema comes from msgspec and is registered once."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import msgspec
from litestar import Litestar
from litestar._openapi.plugin import OpenAPIPlugin
from litestar.openapi.spec import OpenAPI, OpenAPIMediaType, Operation, RequestBody

_bodies: dict[str, tuple[type, str]] = {}
REF = "#/components/schemas/{name}"


def body_of(kind: type, media_type: str = "application/json") -> type[Operation]:
    """An operation class whose request body is `kind` (pass as `operation_class=`)."""
    _bodies[kind.__name__] = (kind, media_type)

    @dataclass
    class BodyOperation(Operation):
        def __post_init__(self) -> None:
            schema: Any = {"$ref": REF.format(name=kind.__name__)}
            self.request_body = RequestBody(
                required=True, content={media_type: OpenAPIMediaType(schema=schema)}
            )

    return BodyOperation


def body_schemas() -> dict[str, Any]:
    _, schemas = msgspec.json.schema_components(
        [kind for kind, _ in _bodies.values()], ref_template=REF
    )
    return schemas


class _WithBodySchemas(OpenAPIPlugin):
    """Litestar regenerates components/schemas from the handlers it knows; this adds ours."""

    __slots__ = ()

    def _build_openapi(self) -> OpenAPI:
        openapi = super()._build_openapi()
        schemas = dict(openapi.components.schemas or {})
        for name, schema in body_schemas().items():
            schemas.setdefault(name, schema)
        openapi.components.schemas = schemas
        return openapi


def document_bodies(app: Litestar) -> None:
    """Make the app's OpenAPI plugin include the raw-body handlers' schemas."""
    plugin = app.plugins.get(OpenAPIPlugin)
    plugin.__class__ = _WithBodySchemas
