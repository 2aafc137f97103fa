"""A Litestar `Store` on the metadata database, so that every worker and every host of one
deployment shares the v1 rate-limit counters when no Redis is configured (SPEC §11).

Values are small (a counter history per API key and bucket); each call is one short
transaction run in a worker thread, so the event loop never waits on the database.
"""

from __future__ import annotations

import time
from datetime import timedelta

import anyio.to_thread
import sqlalchemy as sa
from litestar.stores.base import NamespacedStore
from sqlalchemy.exc import IntegrityError

from app.metadata import rate_limits


def _seconds(value: int | timedelta | None) -> float | None:
    if value is None:
        return None
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class DatabaseStore(NamespacedStore):
    """Keys live in `ct_rate_limits`, prefixed by the namespace; expiry is an absolute epoch
    time, so every process agrees on it whatever its clock offset to the others' start."""

    def __init__(self, engine: sa.Engine, namespace: str = "customtables") -> None:
        super().__init__()
        self.engine = engine
        self.namespace = namespace

    def with_namespace(self, namespace: str) -> DatabaseStore:
        return DatabaseStore(self.engine, f"{self.namespace}:{namespace}")

    def _key(self, key: str) -> str:
        return f"{self.namespace}:{key}"

    # --- the Store interface ----------------------------------------------------------------

    async def set(
        self, key: str, value: str | bytes, expires_in: int | timedelta | None = None
    ) -> None:
        data = value.encode() if isinstance(value, str) else value
        seconds = _seconds(expires_in)
        expires = time.time() + seconds if seconds is not None else None
        await anyio.to_thread.run_sync(self._set, self._key(key), data, expires)

    async def get(self, key: str, renew_for: int | timedelta | None = None) -> bytes | None:
        return await anyio.to_thread.run_sync(self._get, self._key(key), _seconds(renew_for))

    async def delete(self, key: str) -> None:
        await anyio.to_thread.run_sync(self._delete, rate_limits.c.key == self._key(key))

    async def delete_all(self) -> None:
        prefix = self._key("")
        await anyio.to_thread.run_sync(
            self._delete, rate_limits.c.key.startswith(prefix, autoescape=True)
        )

    async def delete_expired(self) -> None:
        """Forget counters nobody asked for since they expired (called every minute)."""
        await anyio.to_thread.run_sync(self._delete, rate_limits.c.expires_at <= time.time())

    async def exists(self, key: str) -> bool:
        return await self.get(key) is not None

    async def expires_in(self, key: str) -> int | None:
        row = await anyio.to_thread.run_sync(self._row, self._key(key))
        if row is None or row.expires_at is None:
            return None
        return max(0, int(row.expires_at - time.time()))

    # --- the database side (sync, in a worker thread) ---------------------------------------

    def _set(self, key: str, data: bytes, expires: float | None) -> None:
        """Update, else insert; a concurrent insert of the same key by another worker makes
        the insert fail, and then the update wins (last writer, as in any store)."""
        update = rate_limits.update().where(rate_limits.c.key == key)
        values = {"value": data, "expires_at": expires}
        with self.engine.connect() as conn:
            conn.execution_options(ct_write=True)
            with conn.begin():
                if conn.execute(update.values(**values)).rowcount:
                    return
            try:
                with conn.begin():
                    conn.execute(rate_limits.insert().values(key=key, **values))
            except IntegrityError:
                with conn.begin():
                    conn.execute(update.values(**values))

    def _row(self, key: str) -> sa.Row | None:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(rate_limits).where(rate_limits.c.key == key)).first()
        if row is not None and row.expires_at is not None and row.expires_at <= time.time():
            return None
        return row

    def _get(self, key: str, renew_for: float | None) -> bytes | None:
        row = self._row(key)
        if row is None:
            return None
        if renew_for and row.expires_at is not None:
            self._set(key, row.value, time.time() + renew_for)
        return bytes(row.value)

    def _delete(self, condition: sa.ColumnElement[bool]) -> None:
        with self.engine.connect() as conn:
            conn.execution_options(ct_write=True)
            with conn.begin():
                conn.execute(rate_limits.delete().where(condition))
