"""OpenAPI for handlers that decode their own body (raw bytes → msgspec struct behind the one
JSON policy of app/json_policy.py, for exact decimals and the depth/duplicate-key limits).

Litestar documents only the bodies it decodes itself, so these handlers pass
`operation_class=body_of(Kind, examples=…)`, a public Litestar hook that gives the operation
its `requestBody`: a `$ref` to a component whose schema msgspec derives. Litestar builds
`components/schemas` from the types it handles itself, so `document_bodies(app)` builds the
document once, when the app is made (through the public `app.openapi_schema`), and adds the
body components to it; the served document is that one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import msgspec
from litestar import Litestar
from litestar.openapi.spec import (
    Example,
    OpenAPIMediaType,
    Operation,
    Reference,
    RequestBody,
    Schema,
)
from litestar.openapi.spec.enums import OpenAPIFormat, OpenAPIType

REF = "#/components/schemas/{name}"
MULTIPART = "multipart/form-data"
MULTIPART_FILE = OpenAPIMediaType(
    schema=Schema(
        type=OpenAPIType.OBJECT,
        properties={
            "file": Schema(
                type=OpenAPIType.STRING,
                format=OpenAPIFormat.BINARY,
                description="An export file, or a CSV file (a .csv name or a text/csv part)",
            )
        },
        required=["file"],
    )
)
_bodies: dict[Any, None] = {}  # every body type a handler documents, in order


def _components() -> tuple[dict[Any, Any], dict[str, Any]]:
    """Each body's schema (a `$ref`, or inline for a plain type) and the components they
    need. msgspec names a component after its class."""
    kinds = list(_bodies)
    refs, schemas = msgspec.json.schema_components(kinds, ref_template=REF)
    return dict(zip(kinds, refs, strict=True)), {k: _complete(v) for k, v in schemas.items()}


def _complete(node: Any) -> Any:
    """msgspec writes `list[Any]` as `{"type": "array"}`; client generators want `items`."""
    if isinstance(node, list):
        return [_complete(item) for item in node]
    if not isinstance(node, dict):
        return node
    done = {key: _complete(value) for key, value in node.items()}
    if done.get("type") == "array" and "items" not in done and "prefixItems" not in done:
        done["items"] = {}
    return done


def body_of(
    kind: Any,
    media_type: str = "application/json",
    examples: dict[str, Example] | None = None,
    required: bool = True,
    also: dict[str, OpenAPIMediaType] | None = None,
) -> type[Operation]:
    """An operation class whose request body is `kind` (pass as `operation_class=`); `also`
    documents other media types the route reads (an import's multipart upload)."""
    _bodies[kind] = None

    @dataclass
    class BodyOperation(Operation):
        def __post_init__(self) -> None:
            schema = _complete(_components()[0][kind])
            content = OpenAPIMediaType(schema=schema, examples=examples)  # type: ignore[arg-type]
            self.request_body = RequestBody(
                required=required, content={media_type: content, **(also or {})}
            )

    return BodyOperation


def document_bodies(app: Litestar) -> None:
    """Build the app's document now and add the components its raw bodies refer to (those
    Litestar made itself, for answers, stay as they are)."""
    openapi = app.openapi_schema
    schemas: dict[str, Schema | Reference] = dict(openapi.components.schemas or {})
    for name, schema in _components()[1].items():
        existing = schemas.setdefault(name, schema)
        if existing is not schema and _fields(existing) != set(schema.get("properties", {})):
            raise RuntimeError(f"A body and an answer type are both named {name}: rename one")
    openapi.components.schemas = schemas


def _fields(schema: Any) -> set[str]:
    properties = getattr(schema, "properties", None)
    return set(properties or {})
