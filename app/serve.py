"""`customtables serve`: one process, or N worker processes on one port (uvicorn's own
supervisor), with one start line, graceful shutdown and the metrics directory workers share.

Workers are fresh interpreters that build the app from the environment (`worker_app`), so
everything a command-line flag decides is put into CUSTOMTABLES_* variables before they start.
The parent binds the socket first: the start line is printed only once the port is open, and
with `--port 0` it names the port the system chose.
"""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
from dataclasses import dataclass

import uvicorn
from litestar import Litestar
from uvicorn.supervisors import Multiprocess

from app.settings import Settings, database_label
from app.tenancy import Tenancy

WORKER_HEALTHCHECK_SECONDS = 120


@dataclass(frozen=True)
class ServeOptions:
    host: str
    port: int
    workers: int


def start_line(host: str, port: int, settings: Settings, workers: int) -> str:
    shown = f"[{host}]" if ":" in host else host
    plural = "worker" if workers == 1 else "workers"
    return (
        f"listening on http://{shown}:{port} "
        f"(database: {database_label(settings)}, {workers} {plural})"
    )


def worker_app() -> Litestar:
    """The app of one worker process (uvicorn calls this factory in each worker)."""
    from app.cli import tune_gc
    from app.main import create_app
    from app.metrics import worker_exited

    settings = Settings.from_env()
    tenancy = Tenancy(settings)
    app = create_app(settings, tenancy)
    app.on_shutdown.append(lambda: worker_exited(os.getpid()))
    tune_gc()
    return app


def _config(app: Litestar | str, options: ServeOptions, settings: Settings) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        host=options.host,
        port=options.port,
        workers=options.workers,
        factory=isinstance(app, str),
        log_level="warning",
        access_log=False,  # ours (app.observe) carries the tenant and the request id
        timeout_graceful_shutdown=settings.shutdown_timeout_seconds,
        # a worker busy with a long synchronous step (an import of a big file, or start-up on
        # a loaded machine) misses the supervisor's pings; 5 s (uvicorn's default) got healthy
        # workers killed and restarted, losing their in-flight requests
        timeout_worker_healthcheck=WORKER_HEALTHCHECK_SECONDS,
    )


def _bind(config: uvicorn.Config) -> socket.socket:
    """The listening socket, with Nagle's algorithm off for every connection accepted on it.
    asyncio turns it off itself only for sockets made with proto IPPROTO_TCP; uvicorn before
    0.55 made proto 0, and a kept-alive connection then waited ~40 ms (the peer's delayed ACK)
    for each answer's body, sent after its headers. Accepted sockets inherit the option."""
    sock = config.bind_socket()
    if sock.family in (socket.AF_INET, socket.AF_INET6):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def run(options: ServeOptions, tenancy: Tenancy) -> None:
    """Serve until SIGINT/SIGTERM; then in-flight requests (streams too) finish, up to
    CUSTOMTABLES_SHUTDOWN_TIMEOUT_SECONDS, before the process exits."""
    settings = tenancy.settings
    if options.workers <= 1:
        from app.cli import tune_gc
        from app.main import create_app

        app = create_app(settings, tenancy)
        config = _config(app, options, settings)
        server = uvicorn.Server(config)
        sock = _bind(config)
        _announce(options.host, sock.getsockname()[1], settings, 1)
        tune_gc()
        server.run(sockets=[sock])
        return
    tenancy.dispose()  # the workers open their own connections
    metrics_dir = tempfile.mkdtemp(prefix="customtables-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
    try:
        config = _config("app.serve:worker_app", options, settings)
        sock = _bind(config)
        _announce(options.host, sock.getsockname()[1], settings, options.workers)
        Multiprocess(config, sockets=[sock]).run()
    finally:
        shutil.rmtree(metrics_dir, ignore_errors=True)


def _announce(host: str, port: int, settings: Settings, workers: int) -> None:
    print(start_line(host, port, settings, workers), flush=True)
