"""The `customtables` command: serve, tenant create, token create / revoke, export, import."""

from __future__ import annotations

import argparse
import gc
import getpass
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import IO, TextIO

from app.progress import ProgressBar
from app.settings import Settings
from app.tenancy import DEFAULT_TENANT, Tenancy
from app.token_rules import check_grants
from app.tokens import create_token, revoke_token
from ddl import catalog, exchange, schema
from ddl.access import Caller
from ddl.errors import CustomTablesError, ValidationError
from ddl.exchange_file import count_rows, read_header


def bootstrap(tenancy: Tenancy) -> str | None:
    """Migrate; on an empty database create tenant `default` and return its first Admin token."""
    tenancy.migrate()
    with tenancy.exclusive():  # several processes may start on one new database at once
        if tenancy.has_tenants():
            return None
        tenancy.create_tenant(DEFAULT_TENANT)
        return create_token(
            tenancy, DEFAULT_TENANT, "admin", ["Admin"], ["workflows:read", "workflows:write"]
        )


def tune_gc() -> None:
    """A 10,000-row batch allocates ~10^5 objects; with the default thresholds that triggers
    full collections that walk every long-lived object of the server each time. Freezing what
    exists after start-up and collecting the young generation less often halves a batch's time."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)


def _bootstrap_and_announce(tenancy: Tenancy, stream: TextIO | None = None) -> None:
    """Whichever command meets an empty database first shows the default Admin token: a token
    created but never shown would be a live credential nobody has. `tenant` and `token`
    commands show it on stderr, so their stdout stays their own answer (a new token last)."""
    token = bootstrap(tenancy)
    if token:
        out = stream or sys.stdout
        print("Created tenant 'default'. Its Admin token (shown once, keep it):", file=out)
        print(token, file=out, flush=True)


def _serve(args: argparse.Namespace, tenancy: Tenancy) -> None:
    import uvicorn

    from app.main import create_app

    _bootstrap_and_announce(tenancy)
    app = create_app(tenancy.settings, tenancy)
    tune_gc()
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", access_log=False)


def _tenant_create(args: argparse.Namespace, tenancy: Tenancy) -> None:
    _bootstrap_and_announce(tenancy, sys.stderr)
    tenancy.create_tenant(args.name)
    print(f"Created tenant '{args.name}'")


def _token_create(args: argparse.Namespace, tenancy: Tenancy) -> None:
    check_grants(args.role or [], args.scope or [])
    _bootstrap_and_announce(tenancy, sys.stderr)
    token = create_token(
        tenancy,
        args.tenant,
        args.user,
        args.role or [],
        args.scope or [],
        args.expires_in,
        actor=_actor(),
        require_grant=True,
    )
    print(f"Token for user '{args.user}' of tenant '{args.tenant}' (shown once):")
    print(token)


def _token_revoke(args: argparse.Namespace, tenancy: Tenancy) -> None:
    tenancy.migrate()
    revoke_token(tenancy, args.token, actor=_actor())
    print("Revoked")


def _actor() -> str:
    """Who the audit log names for work done from the command line."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def _cli_caller() -> Caller:
    """The command line works directly on the database, with the rights of an Admin."""
    return Caller.of(_actor(), ["Admin"])


def _export(args: argparse.Namespace, tenancy: Tenancy) -> None:
    tenancy.migrate()
    space = tenancy.space(tenancy.get_tenant(args.tenant))
    with space.read() as conn:
        total = schema.row_count(conn, space, catalog.get_table(conn, args.table))
    bar = ProgressBar(f"export {args.table}", total)
    definition, chunks = exchange.export_table(space, _cli_caller(), args.table, bar.update)
    target = Path(args.output) if args.output else None
    # Written beside the target and renamed at the end: a failed export leaves no partial file.
    out: IO[bytes] = (
        tempfile.NamedTemporaryFile(  # noqa: SIM115 (closed below)
            dir=target.parent, prefix=f".{target.name}.", delete=False
        )
        if target
        else sys.stdout.buffer
    )
    try:
        for chunk in chunks:
            out.write(chunk)
        out.flush()
        if target:
            out.close()
            os.replace(out.name, target)
    except BaseException:
        if target:
            out.close()
            Path(out.name).unlink(missing_ok=True)
        raise
    bar.finish(f"Exported {bar.done:,} rows of '{definition.name}' to {target or 'stdout'}")


def _import(args: argparse.Namespace, tenancy: Tenancy) -> None:
    tenancy.migrate()
    space = tenancy.space(tenancy.get_tenant(args.tenant))
    mode = exchange.ImportMode.parse(args.mode)
    with _open_source(args.file) as source:
        name = args.table
        if name is None:
            header = read_header(source)
            name = header.table.TableName if header.table else None
            if not name:
                raise ValidationError("The file names no table: give one with --table")
        bar = ProgressBar(f"import {name}", count_rows(source) if sys.stderr.isatty() else None)
        started = time.monotonic()
        result = exchange.import_table(
            space, _cli_caller(), name, source, mode, progress=bar.update
        )
        seconds = time.monotonic() - started
        bar.finish(
            f"Imported {bar.done:,} rows into '{result.table.name}' in {seconds:.1f} s "
            f"(inserted {result.inserted:,}, updated {result.updated:,})"
        )
    print(
        f"Imported into '{result.table.name}': created={result.created} "
        f"columns_added={result.columns_added} inserted={result.inserted} "
        f"updated={result.updated} deleted={result.deleted}"
    )


def _open_source(path: str) -> IO[bytes]:
    """The file to import, seekable; `-` reads standard input (spooled to a temporary file)."""
    if path != "-":
        return open(path, "rb")
    spool = tempfile.TemporaryFile()  # noqa: SIM115 (the caller closes it)
    shutil.copyfileobj(sys.stdin.buffer, spool)
    spool.seek(0)
    return spool


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="customtables", description=__doc__)
    commands = top.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the HTTP server")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.set_defaults(run=_serve)

    tenant = commands.add_parser("tenant", help="manage tenants").add_subparsers(
        dest="action", required=True
    )
    create = tenant.add_parser("create", help="create a tenant")
    create.add_argument("name")
    create.set_defaults(run=_tenant_create)

    token = commands.add_parser("token", help="manage access tokens").add_subparsers(
        dest="action", required=True
    )
    new = token.add_parser("create", help="create a token (printed as the last line)")
    new.add_argument("--tenant", required=True)
    new.add_argument("--user", required=True)
    new.add_argument("--role", action="append", help="a role (repeatable), e.g. Admin")
    new.add_argument("--scope", action="append", help="a v1 scope (repeatable)")
    new.add_argument("--expires-in", type=float, metavar="DAYS")
    new.set_defaults(run=_token_create)
    revoke = token.add_parser("revoke", help="revoke a token (the token or its id)")
    revoke.add_argument("token")
    revoke.set_defaults(run=_token_revoke)

    export = commands.add_parser("export", help="export a table to a JSON file (SPEC §4)")
    export.add_argument("table")
    export.add_argument("-o", "--output", metavar="FILE", help="the file (default: stdout)")
    export.add_argument("--tenant", required=True)
    export.set_defaults(run=_export)

    load = commands.add_parser("import", help="import a JSON export file, all or nothing")
    load.add_argument("file", help="the export file, or - for standard input")
    load.add_argument("--tenant", required=True)
    load.add_argument("--table", metavar="NAME", help="the table (default: the file's)")
    load.add_argument("--mode", choices=["upsert", "replace"], default="upsert")
    load.set_defaults(run=_import)
    return top


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    tenancy = Tenancy(Settings.from_env())
    try:
        args.run(args, tenancy)
    except CustomTablesError as error:
        print(f"error: {error.message}", file=sys.stderr)
        return 2
    finally:
        if args.command != "serve":
            tenancy.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
