"""The `customtables` command: serve, tenant create, token create / revoke."""

from __future__ import annotations

import argparse
import gc
import sys
from collections.abc import Sequence

from app.settings import Settings
from app.tenancy import DEFAULT_TENANT, Tenancy
from app.tokens import create_token, revoke_token
from ddl.errors import CustomTablesError


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


def _serve(args: argparse.Namespace, tenancy: Tenancy) -> None:
    import uvicorn

    from app.main import create_app

    token = bootstrap(tenancy)
    if token:
        print("Created tenant 'default'. Its Admin token (shown once, keep it):", flush=True)
        print(token, flush=True)
    app = create_app(tenancy.settings, tenancy)
    tune_gc()
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", access_log=False)


def _tenant_create(args: argparse.Namespace, tenancy: Tenancy) -> None:
    bootstrap(tenancy)
    tenancy.create_tenant(args.name)
    print(f"Created tenant '{args.name}'")


def _token_create(args: argparse.Namespace, tenancy: Tenancy) -> None:
    bootstrap(tenancy)
    token = create_token(
        tenancy, args.tenant, args.user, args.role or [], args.scope or [], args.expires_in
    )
    print(f"Token for user '{args.user}' of tenant '{args.tenant}' (shown once):")
    print(token)


def _token_revoke(args: argparse.Namespace, tenancy: Tenancy) -> None:
    tenancy.migrate()
    revoke_token(tenancy, args.token)
    print("Revoked")


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
