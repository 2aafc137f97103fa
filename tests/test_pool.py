"""Pooled PostgreSQL connections are tested before use only after sitting idle
(ddl/backends/common.py): one the server dropped meanwhile is replaced, so the next request
still succeeds."""

from __future__ import annotations

import time

import psycopg
import pytest
import sqlalchemy as sa

from ddl.backends import server_engine
from ddl.backends.common import PING_AFTER_IDLE_SECONDS
from tests.conftest import PG_ADMIN_URL
from tests.pg import fresh_database


@pytest.fixture
def engine() -> sa.Engine:
    with fresh_database(PG_ADMIN_URL) as url:
        engine = server_engine(url, pool_size=2)
        yield engine
        engine.dispose()


def _backends(engine: sa.Engine) -> set[int]:
    with engine.connect() as conn:
        return {conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()}


def _terminate(engine: sa.Engine, pids: set[int]) -> None:
    url = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(url, autocommit=True) as admin:
        for pid in pids:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))


def test_a_connection_dropped_while_idle_is_replaced(engine: sa.Engine) -> None:
    first = _backends(engine)
    _terminate(engine, first)
    time.sleep(PING_AFTER_IDLE_SECONDS + 0.2)
    second = _backends(engine)  # no error: the dead connection was found and replaced
    assert second.isdisjoint(first)


def test_only_a_connection_idle_a_while_is_pinged(
    engine: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the idle rule saves: a round trip per checkout of a connection in steady use."""
    pings: list[object] = []
    ping = engine.dialect.do_ping

    def counted(dbapi_connection: object) -> bool:
        pings.append(dbapi_connection)
        return ping(dbapi_connection)

    monkeypatch.setattr(engine.dialect, "do_ping", counted)
    _backends(engine)  # a new connection, then back in the pool
    pings.clear()
    _backends(engine)
    assert pings == []
    time.sleep(PING_AFTER_IDLE_SECONDS + 0.2)
    _backends(engine)
    assert len(pings) == 1
