"""`/api/v3/webhooks` (Admin) and a table's change stream `…/custom-tables/{name}/changes`
(read role) of SPEC §14. Thin: checks and storage are in app/webhook_admin.py, events in
ddl/outbox.py and ddl/changes.py."""

from __future__ import annotations

import weakref
from collections.abc import AsyncIterator, Callable
from typing import Annotated

import anyio
import anyio.to_thread
import msgspec
from litestar import Controller, Request, Response, delete, get, post
from litestar.params import PathParameter, QueryParameter, RawBody
from litestar.response import Stream

from app import webhook_admin
from app.auth import PrincipalDep, TenancyDep
from app.heavy import Slot, TenantShare
from app.openapi import body_of
from app.tenancy import Tenancy
from app.tokens import authenticate
from app.v3.bodies import parse
from app.v3.params import TableName
from ddl import catalog, changes, outbox, webhooks
from ddl.access import require_read
from ddl.errors import CustomTablesError, NotFound, RateLimited, ValidationError
from ddl.space import TenantSpace

STREAM_BATCH = 200
HEARTBEAT_SECONDS = 15.0
POLL_SECONDS = 0.5
MAX_EVENT_ID = 2**31 - 1  # an event's number in its stream is a 32-bit INTEGER column
RETRY_STREAM_SECONDS = 5


class TooManyStreams(RateLimited):
    """429: the tenant holds its share of open change streams. Each open stream reads the
    database twice a second, so without a share one tenant's thousand streams would take the
    threads every other tenant's requests run in."""

    def __init__(self, limit: int) -> None:
        super().__init__(
            f"This tenant already has {limit} change streams open in this server process "
            f"(CUSTOMTABLES_MAX_CHANGE_STREAMS); close one or retry after "
            f"{RETRY_STREAM_SECONDS} seconds"
        )
        self.headers = {"Retry-After": str(RETRY_STREAM_SECONDS)}


def stream_share(request: Request[object, object, object]) -> TenantShare:
    """The app's count of open change streams per tenant, made on first use."""
    state = request.app.state
    found = getattr(state, "change_streams", None)
    if found is None:
        limit = state.settings.max_change_streams
        found = state.change_streams = TenantShare(limit, TooManyStreams)
    return found


async def _holding(slot: Slot, frames: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    """`frames`, with the tenant's stream slot given back when they end or the client left."""
    try:
        async for frame in frames:
            yield frame
    finally:
        slot.release()


class CreateWebhookRequest(msgspec.Struct, forbid_unknown_fields=True):
    Url: str
    Tables: list[str] = []
    Events: list[str] = []
    Secret: str | None = None


class WebhookCreated(msgspec.Struct):
    Id: str
    Url: str
    Tables: list[str]
    Events: list[str]
    Secret: str
    CreatedAt: str


class WebhookOut(msgspec.Struct):
    Id: str
    Url: str
    Tables: list[str]
    Events: list[str]
    CreatedAt: str


class DeliveryOut(msgspec.Struct):
    EventId: str
    Attempt: int
    Status: int | None
    Outcome: str
    Time: str
    Error: str | None
    DurationMs: int


class WebhookDeleted(msgspec.Struct):
    Deleted: bool


_create = msgspec.json.Decoder(CreateWebhookRequest)
WebhookId = Annotated[str, PathParameter(description="The webhook's Id (from the list or POST)")]


def _out(hook: webhooks.Webhook) -> WebhookOut:
    return WebhookOut(hook.id, hook.url, hook.tables, hook.events, hook.created_at)


class WebhooksController(Controller):
    path = "/api/v3/webhooks"
    tags = ["Webhooks"]
    security = [{"AccessToken": []}]

    @post(
        "/",
        sync_to_thread=True,
        status_code=201,
        operation_class=body_of(CreateWebhookRequest),
        description=(
            "Subscribe a URL to row and table change events of the tenant (Admin). `Tables` "
            "empty: every table; `Events` empty: every event. `Secret` (generated when not "
            "given) signs each delivery and is shown in this answer only."
        ),
    )
    def create_webhook(
        self,
        request: Request[object, object, object],
        body: RawBody,
        principal: PrincipalDep,
        tenancy: TenancyDep,
    ) -> Response[WebhookCreated]:
        given: CreateWebhookRequest = parse(body, _create)
        settings = request.app.state.settings
        hook = webhook_admin.create(
            tenancy, settings, principal, given.Url, given.Tables, given.Events, given.Secret
        )
        created = WebhookCreated(hook.id, hook.url, hook.tables, hook.events, hook.secret,
                                 hook.created_at)  # fmt: skip
        return Response(created, status_code=201, headers={"Cache-Control": "no-store"})

    @get("/", sync_to_thread=True, description="The tenant's webhooks, without secrets (Admin).")
    def list_webhooks(self, principal: PrincipalDep, tenancy: TenancyDep) -> list[WebhookOut]:
        return [_out(hook) for hook in webhook_admin.list_all(tenancy, principal)]

    @delete(
        "/{webhook_id:str}",
        sync_to_thread=True,
        status_code=200,
        description="Remove a webhook with its pending deliveries (Admin).",
    )
    def delete_webhook(
        self, webhook_id: WebhookId, principal: PrincipalDep, tenancy: TenancyDep
    ) -> WebhookDeleted:
        webhook_admin.delete(tenancy, principal, webhook_id)
        return WebhookDeleted(Deleted=True)

    @get(
        "/{webhook_id:str}/deliveries",
        sync_to_thread=True,
        description="Recent delivery attempts, newest first (Admin).",
    )
    def list_deliveries(
        self,
        webhook_id: WebhookId,
        principal: PrincipalDep,
        tenancy: TenancyDep,
        top: Annotated[int, QueryParameter(name="Top", ge=1, le=1000)] = 50,
    ) -> list[DeliveryOut]:
        return [
            DeliveryOut(a.event_id, a.attempt, a.status, a.outcome, a.at, a.error, a.duration_ms)
            for a in webhook_admin.attempts(tenancy, principal, webhook_id, top)
        ]


def _start(request: Request[object, object, object], last: str | None) -> int | None:
    """The position after which to send: Last-Event-ID (header, or the query parameter for
    clients that cannot set headers); None: from now on."""
    value = (request.headers.get("last-event-id") or last or "").strip()
    if not value:
        return None
    # ASCII first: `isdigit` also holds for '²' or '①', which `int` refuses
    if not (value.isascii() and value.isdigit()) or len(value) > 18 or int(value) > MAX_EVENT_ID:
        raise ValidationError("Last-Event-ID must be the id of an event of this stream")
    return int(value)


def _frame(event: changes.StoredEvent) -> bytes:
    return (
        f"id: {event.stream_seq}\nevent: {event.event}\ndata: ".encode()
        + changes.render(event)
        + b"\n\n"
    )


def _still_reads(
    tenancy: Tenancy, token: str | None, tenant_id: str, space: TenantSpace, table_name: str
) -> Callable[[], bool]:
    """Whether the stream's token still reads the table, asked before each batch of events is
    sent: a stream may last an hour, and a token revoked or a read role taken away meanwhile
    must stop it, as it would refuse the next request. A table deleted meanwhile passes: its
    last events end the stream."""

    def allowed() -> bool:
        try:
            principal = authenticate(tenancy, token)
            if principal.tenant.id != tenant_id:
                return False
            with space.read() as conn:
                require_read(principal.caller, catalog.get_table(conn, table_name))
        except NotFound:
            return True
        except CustomTablesError:
            return False
        return True

    return allowed


async def _events(space: TenantSpace, stream: str, after: int | None, first: int,
                  seconds: float, allowed: Callable[[], bool]) -> AsyncIterator[bytes]:  # fmt: skip
    """Frames from after `after` (never before `first`, the current table's first event) until
    `seconds` pass, the table is deleted (a table made again may have other read roles) or the
    reader may no longer read it (`allowed`, asked before any events are sent)."""
    def read(position: int) -> list[changes.StoredEvent] | None:
        with space.read() as conn:
            found = changes.after(conn, stream, position, STREAM_BATCH)
        return None if found and not allowed() else found

    def newest() -> int:
        with space.read() as conn:
            return changes.last_seq(conn, stream)

    position = after if after is not None else await anyio.to_thread.run_sync(newest)
    position = max(position, first - 1)
    yield b"retry: 2000\n\n"
    deadline = anyio.current_time() + seconds
    quiet_since = anyio.current_time()
    while True:
        found = await anyio.to_thread.run_sync(read, position)
        if found is None:
            return
        for event in found:
            position = event.stream_seq
            yield _frame(event)
            if event.event == outbox.TABLE_DELETED:
                return
        if len(found) == STREAM_BATCH:
            continue
        now = anyio.current_time()
        if now >= deadline:
            return
        if found:
            quiet_since = now
        elif now - quiet_since >= HEARTBEAT_SECONDS:
            quiet_since = now
            yield b": keep-alive\n\n"
        await anyio.sleep(min(POLL_SECONDS, deadline - now))


class ChangesController(Controller):
    path = "/api/v3/custom-tables"
    tags = ["Webhooks"]
    security = [{"AccessToken": []}]

    @get(
        "/{table_name:str}/changes",
        opt={"errors": (429,)},
        description=(
            "The table's change events as Server-Sent Events (`text/event-stream`; read role). "
            "Each frame's `id` is the event's number in the table's stream; send it back as "
            "`Last-Event-ID` (header or query) to resume after it. Without it the stream "
            "starts with the next change. The answer ends after `StreamSeconds` (default "
            "300; 0: send what is there and end); clients reconnect with Last-Event-ID. "
            "A tenant may hold `CUSTOMTABLES_MAX_CHANGE_STREAMS` streams open per server "
            "process (default 10); one more is refused with 429 and `Retry-After`."
        ),
        media_type="text/event-stream",
    )
    async def table_changes(
        self,
        request: Request[object, object, object],
        table_name: TableName,
        principal: PrincipalDep,
        tenancy: TenancyDep,
        last_event_id: Annotated[str | None, QueryParameter(name="LastEventId")] = None,
        stream_seconds: Annotated[float, QueryParameter(name="StreamSeconds", ge=0, le=3600)] = 300,
    ) -> Stream:
        after = _start(request, last_event_id)

        stream = outbox.v3_stream(table_name)

        def table() -> tuple[TenantSpace, int]:
            space = tenancy.space(principal.tenant)
            with space.read() as conn:
                definition = catalog.get_table(conn, table_name)
                require_read(principal.caller, definition)
                return space, changes.born_at(conn, stream)

        space, first = await anyio.to_thread.run_sync(table)
        slot = stream_share(request).admit(principal.tenant.id)
        allowed = _still_reads(tenancy, request.headers.get("x-accesstoken"),
                               principal.tenant.id, space, table_name)  # fmt: skip
        events = _events(space, stream, after, first, stream_seconds, allowed)
        frames = _holding(slot, events)
        weakref.finalize(frames, slot.release)  # also when the answer never started
        return Stream(
            frames,
            media_type="text/event-stream",
            headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
        )
