"""OpenAPI for handlers that decode their own body (raw bytes → msgspec struct behind the one
JSON policy of app/json_policy.py, for exact decimals and the depth/duplicate-key limits).

Litestar documents only the bodies it decodes itself, so these handlers pass
`operation_class=body_of(Kind, examples=…)`: a public Litestar hook that gives the operation its
`requestBody`. The schema is msgspec's, written inline (its `$defs` resolved in place): Litestar
rebuilds `components/schemas` from the types it decodes or answers, so a `$ref` to a component
of ours would need its private OpenAPI plugin patched."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import msgspec
from litestar.openapi.spec import Example, OpenAPIMediaType, Operation, RequestBody, Schema
from litestar.openapi.spec.enums import OpenAPIFormat, OpenAPIType

DEFS = "#/$defs/"
MULTIPART = "multipart/form-data"
MULTIPART_FILE = OpenAPIMediaType(
    schema=Schema(
        type=OpenAPIType.OBJECT,
        properties={"file": Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.BINARY)},
        required=["file"],
    )
)


def _resolved(node: Any, defs: dict[str, Any], seen: tuple[str, ...] = ()) -> Any:
    """`node` with every `{"$ref": "#/$defs/X"}` replaced by X (bodies are not recursive; a
    recursive one keeps its inner reference rather than loop)."""
    if isinstance(node, list):
        return [_resolved(item, defs, seen) for item in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith(DEFS) and ref[len(DEFS) :] not in seen:
        name = ref[len(DEFS) :]
        return _resolved(defs[name], defs, (*seen, name))
    return {key: _resolved(value, defs, seen) for key, value in node.items()}


def inline_schema(kind: Any) -> dict[str, Any]:
    """The JSON Schema msgspec derives for `kind`, self-contained (no `$defs`)."""
    schema = msgspec.json.schema(kind)
    defs = schema.pop("$defs", {})
    return _resolved(schema, defs)  # type: ignore[no-any-return]


def body_of(
    kind: type,
    media_type: str = "application/json",
    examples: dict[str, Example] | None = None,
    required: bool = True,
    also: dict[str, OpenAPIMediaType] | None = None,
) -> type[Operation]:
    """An operation class whose request body is `kind` (pass as `operation_class=`); `also`
    documents other media types the route reads (an import's multipart upload)."""
    schema = inline_schema(kind)

    @dataclass
    class BodyOperation(Operation):
        def __post_init__(self) -> None:
            content = OpenAPIMediaType(schema=schema, examples=examples)  # type: ignore[arg-type]
            self.request_body = RequestBody(
                required=required, content={media_type: content, **(also or {})}
            )

    return BodyOperation
