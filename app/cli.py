"""The `customtables` command: serve, tenant create / list, token create / list / revoke,
export, import (JSON or CSV)."""

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

from app import cli_admin, json_policy
from app.progress import ProgressBar
from app.settings import Settings, SettingsError
from app.tenancy import DEFAULT_TENANT, Tenancy
from app.token_rules import check_grants
from app.tokens import create_token, issue_token, revoke_token
from ddl import catalog, exchange, exchange_csv, schema
from ddl.access import Caller
from ddl.errors import CustomTablesError, NotFound, ValidationError
from ddl.exchange_file import count_rows, read_header

FORMATS = ["json", "csv"]


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
    from app import serve

    _bootstrap_and_announce(tenancy)
    serve.run(serve.ServeOptions(args.host, args.port, args.workers), tenancy)


def _tenant_create(args: argparse.Namespace, tenancy: Tenancy) -> None:
    _bootstrap_and_announce(tenancy, sys.stderr)
    cli_admin.state_database(tenancy)
    tenancy.create_tenant(args.name)
    print(f"Created tenant '{args.name}'")


def _tenant_delete(args: argparse.Namespace, tenancy: Tenancy) -> None:
    from app.tenant_admin import delete_tenant

    tenancy.migrate()
    cli_admin.state_database(tenancy)
    delete_tenant(tenancy, args.name)
    print(f"Deleted tenant '{args.name}' (its tables, saved queries, audit log and tokens)")


def _token_create(args: argparse.Namespace, tenancy: Tenancy) -> None:
    check_grants(args.role or [], args.scope or [])
    _bootstrap_and_announce(tenancy, sys.stderr)
    cli_admin.state_database(tenancy)
    if args.server_admin and args.tenant:
        raise ValidationError("A server-admin token belongs to no tenant: leave out --tenant")
    if not args.server_admin and not args.tenant:
        raise ValidationError("--tenant is required (or --server-admin)")
    issued = issue_token(
        tenancy,
        args.tenant,
        args.user,
        args.role or [],
        args.scope or [],
        args.expires_in,
        actor=_actor(),
        server_admin=args.server_admin,
        require_grant=not args.server_admin,  # a server-admin token has neither, by design
    )
    cli_admin.print_issued(issued, args.json)


def _token_revoke(args: argparse.Namespace, tenancy: Tenancy) -> None:
    tenancy.migrate()
    cli_admin.state_database(tenancy)
    try:
        revoke_token(tenancy, args.token, actor=_actor())
    except NotFound:
        print("error: no token has that id or value (nothing revoked)", file=sys.stderr)
        raise SystemExit(1) from None
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
    export = exchange_csv.export_csv if _is_csv(args, args.output) else exchange.export_table
    definition, chunks = export(space, _cli_caller(), args.table, bar.update)
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
    csv = _is_csv(args, args.file)
    with _open_source(args.file) as source:
        if not csv:  # the checks of an HTTP import file, before the parser sees it
            json_policy.configure_from(tenancy.settings)
            json_policy.check_file(source)
        name = args.table or _file_table_name(source, args.file, csv)
        total = None if csv or not sys.stderr.isatty() else count_rows(source)
        bar = ProgressBar(f"import {name}", total)
        started = time.monotonic()
        if csv:
            result = exchange_csv.import_csv(
                space, _cli_caller(), name, source, mode,
                key_column=args.key_column, types=args.types, progress=bar.update,
            )  # fmt: skip
        else:
            result = exchange.import_table(
                space, _cli_caller(), name, source, mode, progress=bar.update
            )
        seconds = time.monotonic() - started
        bar.finish()  # the bar only: the summary is said once, below, wherever stdout goes
    print(
        f"Imported {bar.done:,} rows into '{result.table.name}' in {seconds:.1f} s: "
        f"created={result.created} columns_added={result.columns_added} "
        f"inserted={result.inserted} updated={result.updated} deleted={result.deleted}"
    )


def _is_csv(args: argparse.Namespace, path: str | None) -> bool:
    """`--format` when given, else the file's extension (`.csv`); JSON otherwise."""
    if args.format:
        return bool(args.format == "csv")
    return bool(path and path.lower().endswith(".csv"))


def _file_table_name(source: IO[bytes], path: str, csv: bool) -> str:
    """The table an import goes to without --table: the JSON file's own, or a CSV file's name."""
    if csv:
        stem = Path(path).stem if path != "-" else ""
        if not stem:
            raise ValidationError("A CSV file names no table: give one with --table")
        return stem
    header = read_header(source)
    name = header.table.TableName if header.table else None
    if not name:
        raise ValidationError("The file names no table: give one with --table")
    return name


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
    top.add_argument(
        "--data-dir",
        metavar="DIR",
        help="where SQLite data lives (default: $CUSTOMTABLES_DATA_DIR, else ./data)",
    )
    commands = top.add_subparsers(dest="command", required=True)
    _serve_command(commands)
    _tenant_commands(commands)
    _token_commands(commands)
    _exchange_commands(commands)
    return top


def _serve_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    serve = commands.add_parser("serve", help="run the HTTP server")
    serve.add_argument("--host", default="127.0.0.1", help="default: 127.0.0.1 (this host only)")
    serve.add_argument("--port", type=int, default=8000, help="default: 8000; 0 picks a free one")
    serve.add_argument(
        "--workers", type=_positive, default=1, metavar="N", help="worker processes (one port)"
    )
    serve.add_argument("--quiet", action="store_true", help="no access log")
    serve.add_argument("--log-format", choices=["text", "json"], help="default: text")
    serve.set_defaults(run=_serve)


def _tenant_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    tenant = commands.add_parser("tenant", help="manage tenants").add_subparsers(
        dest="action", required=True
    )
    create = tenant.add_parser("create", help="create a tenant")
    create.add_argument("name")
    create.set_defaults(run=_tenant_create)
    drop = tenant.add_parser("delete", help="delete a tenant: all its data and tokens")
    drop.add_argument("name")
    drop.set_defaults(run=_tenant_delete)
    tenants = tenant.add_parser("list", help="list tenants with their table and row counts")
    tenants.add_argument("--json", action="store_true")
    tenants.set_defaults(run=cli_admin.tenant_list)


def _token_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    token = commands.add_parser("token", help="manage access tokens").add_subparsers(
        dest="action", required=True
    )
    new = token.add_parser("create", help="create a token (printed as the last line)")
    new.add_argument("--tenant")
    new.add_argument("--user", required=True)
    new.add_argument(
        "--server-admin", action="store_true", help="a token of no tenant: manages tenants"
    )
    new.add_argument("--json", action="store_true", help="print id and token as JSON")
    new.add_argument("--role", action="append", help="a role (repeatable), e.g. Admin")
    new.add_argument("--scope", action="append", help="a v1 scope (repeatable)")
    new.add_argument("--expires-in", type=float, metavar="DAYS")
    new.set_defaults(run=_token_create)
    revoke = token.add_parser("revoke", help="revoke a token (the token or its id)")
    revoke.add_argument("token")
    revoke.set_defaults(run=_token_revoke)
    listing = token.add_parser("list", help="list live tokens (never their secrets)")
    listing.add_argument("--tenant", help="only this tenant's")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(run=cli_admin.token_list)


def _exchange_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    export = commands.add_parser("export", help="export a table to a JSON or CSV file")
    export.add_argument("table")
    export.add_argument("-o", "--output", metavar="FILE", help="the file (default: stdout)")
    export.add_argument("--tenant", required=True)
    export.add_argument("--format", choices=FORMATS, help="default: by extension, else json")
    export.set_defaults(run=_export)

    load = commands.add_parser("import", help="import a JSON or CSV file, all or nothing")
    load.add_argument("file", help="the export file, or - for standard input")
    load.add_argument("--tenant", required=True)
    load.add_argument("--table", metavar="NAME", help="the table (default: the file's)")
    load.add_argument("--mode", choices=["upsert", "replace"], default="upsert")
    load.add_argument("--format", choices=FORMATS, help="default: by extension, else json")
    load.add_argument("--key-column", metavar="NAME", help="CSV: the key of a new table")
    load.add_argument(
        "--types", metavar="TYPES", help="CSV: column types by id or name, e.g. Name:6,Price:Money"
    )
    load.set_defaults(run=_import)


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value


def _settings_from_flags(args: argparse.Namespace) -> None:
    """Flags become CUSTOMTABLES_* variables, so worker processes (which read only the
    environment) see the same settings as this one."""
    if args.data_dir:
        os.environ["CUSTOMTABLES_DATA_DIR"] = str(Path(args.data_dir).resolve())
    if getattr(args, "quiet", False):
        os.environ["CUSTOMTABLES_ACCESS_LOG"] = "false"
    if getattr(args, "log_format", None):
        os.environ["CUSTOMTABLES_LOG_FORMAT"] = args.log_format


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    _settings_from_flags(args)
    try:
        settings = Settings.from_env()
    except SettingsError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    tenancy = Tenancy(settings)
    try:
        args.run(args, tenancy)
    except CustomTablesError as error:
        print(f"error: {error.message}", file=sys.stderr)
        return 2
    except (FileNotFoundError, PermissionError, IsADirectoryError, NotADirectoryError) as error:
        # A file named on the command line (import's source, export's -o): said, not a trace.
        print(f"error: {error.filename}: {error.strerror}", file=sys.stderr)
        return 2
    finally:
        if args.command != "serve":
            tenancy.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
