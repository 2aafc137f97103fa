"""The webhook dispatcher: one per server process (every `--workers` worker runs its own).

A thread looks for due deliveries in the spaces of the tenants that have webhooks, takes their
lease (ddl/webhooks.claim_due) and hands each attempt to a small pool of delivery threads, so
a slow or dead receiver holds only a delivery thread for at most its time limit, never a
request. It wakes every `webhook_poll_seconds`, at once when a write in this process commits
an event with deliveries, and after every finished attempt (the next event of that stream
becomes due). Delivery is at least once: an attempt whose process died is retried when its
lease expires, with the same event id.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager

import anyio.to_thread
import httpx
import sqlalchemy as sa
from litestar import Litestar
from sqlalchemy.engine import Engine

from app import webhook_guard
from app.metadata import tenants, webhook_tenants
from app.settings import Settings
from app.tenancy import Tenancy, Tenant
from ddl import changes, outbox, webhooks
from ddl.catalog import now_text
from ddl.errors import ValidationError
from ddl.space import TenantSpace

log = logging.getLogger("customtables.webhooks")
LEASE_MARGIN_SECONDS = 10.0  # a lease lasts twice the attempt's time limit and this much
PRUNE_SECONDS = 600.0
RUN_LIMIT = 100  # deliveries of one stream leased, sent in order and recorded together
_wakers: list[threading.Event] = []


def _on_commit(conn: sa.Connection) -> None:
    if conn.info.pop(outbox.WAKE_FLAG, False):
        for waker in _wakers:
            waker.set()


def _on_rollback(conn: sa.Connection) -> None:
    conn.info.pop(outbox.WAKE_FLAG, None)


sa.event.listen(Engine, "commit", _on_commit)
sa.event.listen(Engine, "rollback", _on_rollback)


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """`sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">`, the X-CustomTables-Signature."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return f"sha256={digest.hexdigest()}"


def mark_tenant(tenancy: Tenancy, tenant_id: str) -> None:
    """Make the dispatchers visit this tenant (before its first webhook commits)."""
    with tenancy.meta.connect() as conn:
        conn.execution_options(ct_write=True)
        with conn.begin():
            seen = conn.execute(
                sa.select(webhook_tenants.c.tenant_id).where(
                    webhook_tenants.c.tenant_id == tenant_id
                )
            ).first()
            if seen is None:
                conn.execute(webhook_tenants.insert().values(tenant_id=tenant_id, since=now_text()))


def _flagged(tenancy: Tenancy) -> list[Tenant]:
    """The tenants with webhooks (a deleted tenant's flag is dropped here)."""
    with tenancy.meta.connect() as conn:
        joined = webhook_tenants.outerjoin(tenants, tenants.c.id == webhook_tenants.c.tenant_id)
        rows = conn.execute(
            sa.select(webhook_tenants.c.tenant_id, tenants.c.name, tenants.c.schema_name)
            .select_from(joined)
        ).all()
        orphans = [row.tenant_id for row in rows if row.name is None]
        if orphans:
            conn.execute(webhook_tenants.delete().where(webhook_tenants.c.tenant_id.in_(orphans)))
            conn.commit()
    return [Tenant(r.tenant_id, r.name, r.schema_name) for r in rows if r.name is not None]


class Dispatcher:
    def __init__(self, tenancy: Tenancy, settings: Settings) -> None:
        self.tenancy = tenancy
        self.settings = settings
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.wake = threading.Event()
        self._stop = threading.Event()
        self._busy = 0
        self._busy_lock = threading.Lock()
        self._pool = ThreadPoolExecutor(settings.webhook_concurrency, "webhook-delivery")
        self._client = httpx.Client(
            timeout=settings.webhook_timeout_seconds, follow_redirects=False, trust_env=False,
            limits=httpx.Limits(max_keepalive_connections=0),  # a new socket per attempt
        )  # fmt: skip
        self._thread = threading.Thread(target=self._run, name="webhook-dispatcher", daemon=True)
        self._pruned = 0.0

    def start(self) -> None:
        _wakers.append(self.wake)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self.wake.set()
        self._thread.join(timeout=5)
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._client.close()
        if self.wake in _wakers:
            _wakers.remove(self.wake)

    # --- the loop -------------------------------------------------------------------------

    def _run(self) -> None:
        while not self._stop.is_set():
            self.wake.clear()
            try:
                self._pass()
            except Exception:  # a database hiccup must not end the dispatcher
                log.exception("webhook dispatcher pass failed")
            self.wake.wait(self.settings.webhook_poll_seconds)

    def _pass(self) -> None:
        now = time.time()
        prune = now - self._pruned > PRUNE_SECONDS
        for tenant in _flagged(self.tenancy):
            if self._stop.is_set():
                return
            space = self.tenancy.space(tenant)
            if prune:
                self._prune(space, now)
            free = self.settings.webhook_concurrency - self._busy
            if free <= 0:
                return
            for claim in self._claim(space, free):
                with self._busy_lock:
                    self._busy += 1
                self._pool.submit(self._attempt, space, claim)
        if prune:
            self._pruned = now

    def _claim(self, space: TenantSpace, limit: int) -> list[webhooks.Claim]:
        with space.write() as conn:
            return webhooks.claim_due(conn, self.owner, time.time(), self._lease_seconds(), limit)

    def _prune(self, space: TenantSpace, now: float) -> None:
        before = now - outbox.RETENTION.total_seconds()
        cutoff = time.strftime("%Y-%m-%dT%H:%M:%S.000000Z", time.gmtime(before))
        with space.write() as conn:
            webhooks.prune(conn, before, cutoff)

    # --- one attempt ----------------------------------------------------------------------

    def _attempt(self, space: TenantSpace, claim: webhooks.Claim) -> None:
        """Deliver `claim`, then the due events that follow it in its stream, in order. They go
        as runs under one lease owner: a run's leases are taken in one transaction and its
        attempts recorded in one, so a busy table's events cost the database once per run
        rather than once per event, and the next run is taken with no wait for the next poll.
        Whatever happens (a stop, an error), what was attempted is recorded and the leases not
        used are given back."""
        lease = self._lease_seconds()
        run: list[webhooks.Claim] = [claim]
        done: list[webhooks.Finished] = []
        try:
            with space.write() as conn:
                more = webhooks.claim_run(conn, claim, time.time(), lease, RUN_LIMIT)
            run = [] if more is None else [claim, *more]  # None: the head's lease ran out
            deadline = time.time() + lease - LEASE_MARGIN_SECONDS
            while run and not self._stop.is_set():
                self._send_run(space, run, deadline, done)
                last, went_on = done[-1], len(done) == len(run)
                with space.write() as conn:
                    webhooks.finish(conn, done)
                    webhooks.release(conn, run[len(done) :])
                    following = (
                        self._next_run(conn, last.claim, lease)
                        if went_on and last.next_at is None else []
                    )  # fmt: skip
                run, done = following, []  # recorded (and the next run leased) on commit
                deadline = time.time() + lease - LEASE_MARGIN_SECONDS
        except Exception:
            log.exception("webhook delivery %s failed to record", claim.delivery_id)
        finally:
            self._settle(space, done, run)
            with self._busy_lock:
                self._busy -= 1
            self.wake.set()

    def _settle(
        self, space: TenantSpace, done: list[webhooks.Finished], run: list[webhooks.Claim]
    ) -> None:
        """Record the attempts made and give back the leases of a run that did not end normally
        (stop, error); on failure the leases simply run out."""
        if not done and not run:
            return
        try:
            with space.write() as conn:
                webhooks.finish(conn, done)
                webhooks.release(conn, run[len(done) :])
        except Exception:
            log.exception("webhook leases could not be given back; they run out instead")

    def _lease_seconds(self) -> float:
        return 2 * self.settings.webhook_timeout_seconds + LEASE_MARGIN_SECONDS

    def _next_run(self, conn: sa.Connection, last: webhooks.Claim, lease: float
                  ) -> list[webhooks.Claim]:  # fmt: skip
        now = time.time()
        head = webhooks.claim_next(conn, last, now, lease)
        if head is None:
            return []
        return [head, *(webhooks.claim_run(conn, head, now, lease, RUN_LIMIT - 1) or [])]

    def _send_run(
        self, space: TenantSpace, run: list[webhooks.Claim], deadline: float,
        done: list[webhooks.Finished],
    ) -> None:  # fmt: skip
        """Attempt the run's deliveries in order, appending each to `done`, until one is to be
        retried (the stream then waits for it), the process stops, or the leases would end
        before the next attempt could (each attempt is cut at its time limit)."""
        with space.read() as conn:
            hook = webhooks.find_webhook(conn, run[0].webhook_id)
            stored = changes.find_events(conn, [claim.event_id for claim in run])
        for claim in run:
            late = time.time() + self.settings.webhook_timeout_seconds > deadline
            if done and (late or self._stop.is_set()):
                return
            event = stored.get(claim.event_id)
            if hook is None or event is None:
                gone = "the webhook or its event no longer exists"
                attempt = self._outcome(claim, None, gone, 0, True)
            else:
                attempt = self._send_safely(hook, event, claim, space.tenant_id)
            next_at = self._next_at(claim, attempt)
            done.append(webhooks.Finished(claim, attempt, next_at))
            if next_at is not None:
                return

    def _send_safely(
        self, hook: webhooks.Webhook, event: changes.StoredEvent, claim: webhooks.Claim,
        owner: str,
    ) -> webhooks.Attempt:  # fmt: skip
        """`_send`, where a failure of ours (not the receiver's) fails this delivery for good
        rather than holding its stream forever."""
        try:
            return self._send(hook, event, claim, owner)
        except Exception:
            log.exception("webhook delivery %s could not be sent", claim.delivery_id)
            return self._outcome(claim, None, "the event could not be sent", 0, True)

    def _next_at(self, claim: webhooks.Claim, attempt: webhooks.Attempt) -> float | None:
        if attempt.outcome != "retrying":
            return None
        return time.time() + self._delay(claim.attempt)

    def _delay(self, attempt: int) -> float:
        settings = self.settings
        return min(settings.webhook_retry_base_seconds * 2 ** (attempt - 1),
                   settings.webhook_retry_cap_seconds)  # fmt: skip

    def _send(
        self, hook: webhooks.Webhook, event: changes.StoredEvent, claim: webhooks.Claim,
        owner: str,
    ) -> webhooks.Attempt:  # fmt: skip
        body = changes.render(event)
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "customtables-webhooks",
            "X-CustomTables-Event-Id": event.id,
            "X-CustomTables-Timestamp": timestamp,
            "X-CustomTables-Signature": signature(hook.secret, timestamp, body),
        }
        started = time.perf_counter()
        status, error = self._post(hook.url, body, headers, owner)
        elapsed = int((time.perf_counter() - started) * 1000)
        return self._outcome(claim, status, error, elapsed, False)

    def _post(
        self, url: str, body: bytes, headers: dict[str, str], owner: str
    ) -> tuple[int | None, str | None]:
        allow = self.settings.webhook_allow_private
        limit = self.settings.webhook_timeout_seconds
        deadline = time.monotonic() + limit  # the lookup counts in the attempt's time limit
        try:
            target = webhook_guard.resolve(webhook_guard.check_url(url), allow, owner, limit)
            left = max(0.001, deadline - time.monotonic())
            response = webhook_guard.post(self._client, target, body, headers, left)
        except ValidationError as refused:
            return None, refused.message
        except (httpx.TimeoutException, webhook_guard.AttemptTimedOut):
            return None, f"no answer within {self.settings.webhook_timeout_seconds:g} s"
        except httpx.ConnectError:
            return None, "could not connect to the receiver"
        except httpx.HTTPError:
            return None, "the connection to the receiver failed"
        if 200 <= response.status_code < 300:
            return response.status_code, None
        return response.status_code, f"the receiver answered {response.status_code}"

    def _outcome(
        self, claim: webhooks.Claim, status: int | None, error: str | None, ms: int, final: bool
    ) -> webhooks.Attempt:
        if error is None:
            outcome = webhooks.DELIVERED
        elif final or time.time() + self._delay(claim.attempt) > claim.created + (
            self.settings.webhook_retry_hours * 3600
        ):
            outcome = webhooks.FAILED
        else:
            outcome = "retrying"
        return webhooks.Attempt(claim.event_id, claim.attempt, status, outcome,
                                (error or None) and error[:500], now_text(), ms)  # fmt: skip


@asynccontextmanager
async def dispatching(app: Litestar) -> AsyncIterator[None]:
    """App lifespan: the process's dispatcher runs while it serves."""
    settings: Settings = app.state.settings
    if not settings.webhook_dispatch:
        yield
        return
    dispatcher = Dispatcher(app.state.tenancy, settings)
    dispatcher.start()
    app.state.dispatcher = dispatcher
    try:
        yield
    finally:
        await anyio.to_thread.run_sync(dispatcher.stop)
