"""The change event in OpenAPI's `webhooks` section (SPEC §14): what a receiver gets, with
the headers that sign it, so a client generator or a reader of /schema sees the event shape."""

from __future__ import annotations

from litestar.openapi.spec import (
    OpenAPIMediaType,
    OpenAPIResponse,
    OpenAPIType,
    Operation,
    Parameter,
    PathItem,
    Reference,
    RequestBody,
    Schema,
)

from ddl.outbox import EVENT_KINDS

_ROW = Schema(
    type=OpenAPIType.OBJECT,
    properties={
        "KeyValue": Schema(description="The row's key (a v1 row: its id)"),
        "Values": Schema(
            type=OpenAPIType.OBJECT,
            description="The columns the write set, as rows/values shows them (not on deletes)",
        ),
    },
    required=["KeyValue"],
)
EVENT = Schema(
    type=OpenAPIType.OBJECT,
    properties={
        "Id": Schema(type=OpenAPIType.STRING, description="Same on every retry: deduplicate by it"),
        "Event": Schema(type=OpenAPIType.STRING, enum=list(EVENT_KINDS)),
        "Table": Schema(type=OpenAPIType.STRING),
        "OccurredAt": Schema(type=OpenAPIType.STRING, format="date-time"),
        "Rows": Schema(type=OpenAPIType.ARRAY, items=_ROW),
        "Inserted": Schema(type=OpenAPIType.INTEGER),
        "Updated": Schema(type=OpenAPIType.INTEGER),
        "Deleted": Schema(type=OpenAPIType.INTEGER),
        "All": Schema(type=OpenAPIType.BOOLEAN, description="DeleteAll: no rows are listed"),
        "Changes": Schema(type=OpenAPIType.OBJECT, description="table.* events: what changed"),
    },
    required=["Id", "Event", "Table", "OccurredAt"],
    examples=[
        {
            "Id": "0b5f7f0e-6a53-4c7e-9f52-0d7e2b1c9a11",
            "Event": "rows.updated",
            "Table": "ProductCatalog",
            "OccurredAt": "2026-01-15T10:00:00.000000Z",
            "Rows": [{"KeyValue": "6f9619ff-8b86-d011-b42d-00c04fc964ff",
                      "Values": {"Price": 39.99}}],
            "Inserted": 0,
            "Updated": 1,
        }
    ],
)


def _header(name: str, description: str) -> Parameter:
    return Parameter(
        name=name,
        param_in="header",
        required=True,
        description=description,
        schema=Schema(type=OpenAPIType.STRING),
    )


def webhooks() -> dict[str, PathItem | Reference]:
    operation = Operation(
        summary="A row or table change of the tenant",
        description=(
            "POSTed to each subscribed webhook URL, at least once and in order per table; a "
            "non-2xx answer or no answer within 10 s is retried with exponential back-off "
            "(1 s, 2 s, 4 s … at most 10 minutes) for 24 hours. Verify "
            "`X-CustomTables-Signature` before trusting the body."
        ),
        parameters=[
            _header("X-CustomTables-Event-Id", "The event's Id"),
            _header("X-CustomTables-Timestamp", "Unix seconds when this attempt was signed"),
            _header(
                "X-CustomTables-Signature",
                'sha256=<hex HMAC-SHA256 of "<timestamp>.<body>" with the webhook\'s Secret>',
            ),
        ],
        request_body=RequestBody(
            required=True, content={"application/json": OpenAPIMediaType(schema=EVENT)}
        ),
        responses={"2XX": OpenAPIResponse(description="Delivered; any other answer is retried")},
    )
    return {"rowChange": PathItem(post=operation)}
