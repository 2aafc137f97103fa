"""Issue 16: every performance ratio of one backend in one run. Starts a real server (and the
baselines: plain driver, Datasette on SQLite) on the same rows and prints ours / theirs.

    .venv/bin/python -m bench.perf --backend sqlite
    .venv/bin/python -m bench.perf --backend postgresql [--pg postgresql://postgres@127.0.0.1/postgres]

Rows: 10,000 x 6 columns (UniqueIdentifier key, Varchar, Money, Integer, Date). Reads are timed
to the last byte received, without parsing the JSON. Request rates are sequential, one client,
keep-alive, for `--seconds` each. Datasette needs `pip install --pre datasette` in this venv
(a bench-only tool, not a project dependency); without it that ratio is skipped.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from bench import perf_baselines as base
from bench import perf_load
from bench.common import live_server, rss_mb, scratch_database, server_env
from bench.perf_rows import TABLE, TABLE_DEFINITION, make_rows, upsert_body

MILLION_TABLE = "Million"


def last_byte(client: httpx.Client, path: str, **params: str) -> tuple[float, int]:
    """Seconds until the last byte of a GET arrived, and the bytes received."""
    started = time.perf_counter()
    size = 0
    with client.stream("GET", path, params=params) as response:
        assert response.status_code == 200, response.read()
        for chunk in response.iter_raw():
            size += len(chunk)
    return time.perf_counter() - started, size


def ok(response: httpx.Response, status: int = 200) -> httpx.Response:
    assert response.status_code == status, (response.status_code, response.text[:500])
    return response


class Report:
    """Collects `name: ours vs theirs` lines and prints them together at the end."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def ratio(self, name: str, ours: float, theirs: float, unit: str, target: str) -> None:
        line = f"{name:<44} {ours:>10,.0f} vs {theirs:>10,.0f} {unit:<7} ratio {ours / theirs:5.2f}"
        self.lines.append(f"{line}  " + (f"(target {target})" if target else "(context)"))
        print(self.lines[-1], flush=True)

    def value(self, name: str, figure: str) -> None:
        self.lines.append(f"{name:<44} {figure}")
        print(self.lines[-1], flush=True)


def api_client(server_url: str, token: str) -> httpx.Client:
    return httpx.Client(
        base_url=f"{server_url}/api/v3", headers={"X-AccessToken": token}, timeout=300
    )


def upserts(
    args: argparse.Namespace,
    client: httpx.Client,
    plain: base.Plain,
    report: Report,
    datasette: base.Datasette | None,
) -> None:
    """UpsertMany of all rows (first round inserts, the rest update), against the baselines."""
    ours, theirs, dette = [], [], []
    for round_ in range(args.rounds + 1):
        rows = make_rows(args.rows, round_)
        body = upsert_body(rows)
        started = time.perf_counter()
        ok(
            client.put(
                f"/custom-tables/{TABLE}/rows",
                content=body,
                headers={"Content-Type": "application/json"},
            )
        )
        ours.append(time.perf_counter() - started)
        theirs.append(plain.upsert(rows))
        if datasette is not None:
            dette.append(datasette.upsert(rows))
    n = args.rows
    ours_rate = n / statistics.median(ours[1:])
    report.ratio(
        "UpsertMany (update all rows)",
        ours_rate,
        n / statistics.median(theirs[1:]),
        "rows/s",
        ">= 0.5" if args.backend == "sqlite" else ">= 0.6",
    )
    if datasette is not None:
        report.ratio(
            "UpsertMany vs Datasette upsert API",
            ours_rate,
            n / statistics.median(dette[1:]),
            "rows/s",
            ">= 2",
        )


def reads(
    args: argparse.Namespace, client: httpx.Client, plain: base.Plain, report: Report
) -> None:
    ours, flat, theirs = [], [], []
    for _ in range(args.rounds):
        ours.append(last_byte(client, f"/custom-tables/{TABLE}/rows/values")[0])
        flat.append(last_byte(client, f"/custom-tables/{TABLE}/rows/values", Format="flat")[0])
        theirs.append(plain.read())
    n = args.rows
    plain_rate = n / statistics.median(theirs)
    report.ratio(
        "read all rows (rows/values, Date column)",
        n / statistics.median(ours),
        plain_rate,
        "rows/s",
        ">= 0.5",
    )
    report.ratio(
        "  the same, Format=flat", n / statistics.median(flat), plain_rate, "rows/s", ">= 0.5"
    )


def paired(server_url: str, seconds: float, script: Path) -> tuple[float, float]:
    """Rates of the scripted request and of GET /health, measured in alternating slices, so a
    machine whose load changes during the run (other work on its 2 cores) skews both alike."""
    perf_load.wrk_rate(server_url, 1, 1, script)  # warm
    slices = 3
    ours = theirs = 0.0
    for _ in range(slices):
        theirs += perf_load.wrk_rate(f"{server_url}/health", seconds / slices)
        ours += perf_load.wrk_rate(server_url, seconds / slices, 1, script)
    return ours / slices, theirs / slices


def requests(
    args: argparse.Namespace,
    client: httpx.Client,
    server_url: str,
    plain: base.Plain,
    report: Report,
) -> None:
    """Single-row Update and a saved query by key, each against our own /health rate: one
    keep-alive client (wrk) sending the next request when the answer arrived. The plain
    driver's own rate of the same one-row UPDATE and COMMIT shows what the database allows."""
    with perf_load.script_file(perf_load.update_script(args.token, args.rows)) as script:
        update, health = paired(server_url, args.seconds, script)
    target = ">= 0.6" if args.backend == "sqlite" else ">= 0.5"
    report.ratio("single-row Update vs GET /health", update, health, "req/s", target)
    keys = [str(row["Oid"]) for row in make_rows(min(args.rows, perf_load.SAMPLE), 0)]
    alone = plain.single_updates(keys, args.seconds / 2)
    report.ratio("  the same vs plain driver UPDATE+COMMIT", update, alone, "req/s", "")
    ok(
        client.post(
            "/queries",
            json={
                "Name": "ByKey",
                "Namespace": "CustomTable",
                "Sql": f"SELECT Oid, Name, Price, Made FROM [customtables].[{TABLE}] "
                "WHERE Oid = @k",
                "Parameters": [{"Name": "k", "DataTypeId": 9}],
            },
        ),
        201,
    )
    key = str(make_rows(1, 0)[0]["Oid"])
    answer = ok(client.get("/queries/ByKey/execute", params={"k": key}))
    assert b'"Rows":[{' in answer.content, answer.content[:200]  # the query finds its row
    with perf_load.script_file(perf_load.query_script(args.token, args.rows, "ByKey")) as script:
        saved, health = paired(server_url, args.seconds, script)
    report.ratio("saved query WHERE Oid = @k vs /health", saved, health, "req/s", ">= 0.5")


def memory(
    args: argparse.Namespace,
    env: dict[str, str],
    plain_fill: Callable[[str, int], None],
    report: Report,
) -> None:
    """A fresh server reads and then exports a table of `--million` rows; its peak RSS."""
    with live_server(env, timeout=180) as server:
        client = api_client(server.base_url, args.token)
        ok(client.post(f"/custom-tables/{MILLION_TABLE}", json=TABLE_DEFINITION), 201)
        plain_fill(MILLION_TABLE, args.million)
        before = rss_mb(server.process.pid)
        seconds, size = last_byte(client, f"/custom-tables/{MILLION_TABLE}/rows/values")
        after_read = rss_mb(server.process.pid)
        export_seconds, export_size = last_byte(client, f"/custom-tables/{MILLION_TABLE}/export")
        peak = rss_mb(server.process.pid)
    assert size > args.million * 50, size  # every row was sent
    assert export_size > args.million * 50, export_size
    report.value(
        f"read {args.million:,} rows",
        f"{args.million / seconds:>10,.0f} rows/s, "
        f"{size / 1e6:,.0f} MB; server peak RSS {before:.0f} MB idle -> "
        f"{after_read:.0f} MB (target < 150)",
    )
    report.value(
        f"export {args.million:,} rows",
        f"{args.million / export_seconds:>10,.0f} "
        f"rows/s, {export_size / 1e6:,.0f} MB; server peak RSS {peak:.0f} MB "
        "(target < 150)",
    )


def run(args: argparse.Namespace) -> None:
    perf_load.require_wrk()
    pg = args.backend == "postgresql"
    with tempfile.TemporaryDirectory() as tmp, scratch_database(args.pg if pg else "") as url:
        data = Path(tmp) / "data"
        env = server_env(data, url, CUSTOMTABLES_MAX_BATCH_ROWS=str(max(args.rows, 10_000)))
        report = Report()
        print(
            f"backend {args.backend}, {args.rows:,} rows x 6 columns, median of "
            f"{args.rounds} rounds; rates over {args.seconds:g} s",
            flush=True,
        )
        with live_server(env, timeout=180) as server:
            assert server.first_token is not None
            args.token = server.first_token
            client = api_client(server.base_url, args.token)
            ok(client.post(f"/custom-tables/{TABLE}", json=TABLE_DEFINITION), 201)
            plain = base.PostgresPlain(url) if pg else base.SqlitePlain(data)
            datasette = None
            if not pg and base.datasette_available():
                datasette = base.Datasette(Path(tmp) / "dette.db", args.rows)
            try:
                upserts(args, client, plain, report, datasette)
            finally:
                if datasette is not None:
                    datasette.close()
            reads(args, client, plain, report)
            requests(args, client, server.base_url, plain, report)
            if pg and args.workers_seconds > 0:
                perf_load.compare_workers(env, args, report)
            fill = plain.fill_function()
            plain.close()
        if args.million > 0:
            memory(args, env, fill, report)
        print("\nsummary:")
        print("\n".join(report.lines))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument(
        "--workers-seconds",
        type=float,
        default=5.0,
        help="wrk run per worker count (PostgreSQL); 0 skips",
    )
    parser.add_argument(
        "--million", type=int, default=1_000_000, help="rows of the memory run; 0 skips it"
    )
    run(parser.parse_args())


if __name__ == "__main__":
    main()
