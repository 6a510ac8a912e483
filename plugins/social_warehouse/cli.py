"""`social-warehouse`: the command line for everything that does not need the Airflow UI."""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import logging
import sys

from social_warehouse.errors import SocialWarehouseError


def _day(value: str) -> dt.date:
    from social_warehouse.timeutil import parse_day

    try:
        return parse_day(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def cmd_sandbox(args: argparse.Namespace) -> int:
    from social_warehouse.sandbox.server import Sandbox
    from social_warehouse.timeutil import parse_instant

    clock = parse_instant(args.clock) if args.clock else None
    sandbox = Sandbox(args.host, args.port, seed=args.seed, clock=clock)
    print(
        f"Sandbox serving {', '.join(sorted(sandbox.state.networks))} at {sandbox.url}", flush=True
    )
    for name in sorted(sandbox.state.networks):
        print(f"  {name:<16} {sandbox.base_url(name)}")
    print(f"  control          {sandbox.url}/_sandbox/health  (Ctrl-C stops)", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        sandbox.serve_forever()
    return 0


def cmd_db_up(args: argparse.Namespace) -> int:
    from social_warehouse.warehouse import database, embedded
    from social_warehouse.warehouse.migrate import migrate

    url = embedded.ensure_server(echo=lambda m: print(m, file=sys.stderr))
    migrate(url, echo=lambda m: print(m, file=sys.stderr))
    print(url if args.print_url else f"Warehouse ready at {database.redact(url)}")
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    from social_warehouse.warehouse import database
    from social_warehouse.warehouse.migrate import migrate

    database.ensure_database()
    applied = migrate(echo=print)
    print(f"{len(applied)} migration(s) applied" if applied else "warehouse schema is up to date")
    return 0


def cmd_extract(args: argparse.Namespace) -> int:
    from social_warehouse.config import check_account_id, find_account, load_network_settings
    from social_warehouse.extract import check_day_has_ended, run_account_load
    from social_warehouse.warehouse import database
    from social_warehouse.warehouse.migrate import migrate

    # refuse bad input before touching the warehouse or the network
    check_account_id(args.network, args.account, "--account")
    check_day_has_ended(args.date, load_network_settings(args.network))
    configured = find_account(args.network, args.account)
    grant = args.grant or (configured.grant if configured else None)
    database.ensure_database()
    migrate()
    sandbox = None
    connection = None
    if args.sandbox:
        from social_warehouse.connections import ConnectionInfo
        from social_warehouse.sandbox.server import Sandbox

        sandbox = Sandbox().start()
        connection = ConnectionInfo(
            f"sandbox_{args.network}", sandbox.base_url(args.network), token="sandbox"
        )
    try:
        outcome = run_account_load(
            args.network,
            args.account,
            args.date,
            connection=connection,
            run_id=f"cli__{args.date.isoformat()}",
            raise_on_error=False,
            allow_shrink=args.allow_shrink,
            grant_name=grant,
        )
    finally:
        if sandbox:
            sandbox.stop()
    print(json.dumps(outcome.summary(), indent=2))
    return 1 if outcome.errors else 0


def cmd_run(args: argparse.Namespace) -> int:
    from social_warehouse.runner import main_job

    return main_job(
        days=args.days, end=args.end, networks=args.network, full_refresh=args.full_refresh
    )


def cmd_check_config(args: argparse.Namespace) -> int:
    from social_warehouse.config import load_brands, load_network_settings
    from social_warehouse.networks import catalog
    from social_warehouse.quality import settings as quality_settings

    brands = load_brands()
    for name in catalog.names():
        load_network_settings(name)
    quality_settings.load()
    accounts = sum(len(b.accounts) for b in brands)
    print(
        f"config OK: {len(brands)} brands, {accounts} accounts, "
        f"networks {', '.join(catalog.names())}"
    )
    return 0


def cmd_generate(args: argparse.Namespace) -> int:
    from social_warehouse.generate import main

    return main(check=args.check)


def cmd_airflow_setup(args: argparse.Namespace) -> int:
    from social_warehouse.orchestration.setup import ensure_pools

    for line in ensure_pools():
        print(line)
    return 0


def cmd_connect(args: argparse.Namespace) -> int:
    from pathlib import Path

    from social_warehouse import onboarding, paths

    if args.write_accounts and not args.brand:
        raise SystemExit("connect: --write-accounts needs --brand <brand id>")
    onboarding.connect(
        args.network,
        client_id=args.client_id,
        client_secret=onboarding.client_secret_from_env_or_prompt(args.network),
        grant=args.grant,
        no_browser=args.no_browser,
        print_connection=args.print_connection,
        api_base_url=args.api_base_url,
        auth_base_url=args.auth_base_url,
        redirect_uri=args.redirect_uri,
        redirect_port=args.redirect_port,
        timeout=args.timeout,
        accounts_file=(
            Path(args.accounts_file or paths.config_dir() / "accounts.yml")
            if args.write_accounts
            else None
        ),
        brand=args.brand,
    )
    return 0


def cmd_grants_health(args: argparse.Namespace) -> int:
    from social_warehouse.grants_health import check_grants, failures

    rows = check_grants(day=args.day)
    for row in rows:
        print(row.line())
    problems = failures(rows)
    for line in problems:
        print(f"FAIL {line}", file=sys.stderr)
    return 1 if problems else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="social-warehouse", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("sandbox", help="serve the six networks' fake APIs")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8765)
    p.add_argument("--seed", type=int, default=20260101)
    p.add_argument("--clock", help="freeze the sandbox clock at this ISO instant")
    p.set_defaults(func=cmd_sandbox)

    p = sub.add_parser("db", help="warehouse server: `db up` starts or finds one and migrates")
    p.add_argument("action", choices=["up"])
    p.add_argument("--print-url", action="store_true", help="print only the warehouse URL")
    p.set_defaults(func=cmd_db_up)

    p = sub.add_parser("migrate", help="apply warehouse migrations")
    p.set_defaults(func=cmd_migrate)

    p = sub.add_parser("extract", help="load one account for one day, outside Airflow")
    p.add_argument("--network", required=True)
    p.add_argument("--account", required=True)
    p.add_argument("--date", required=True, type=_day, help="the day to load, YYYY-MM-DD")
    p.add_argument("--sandbox", action="store_true", help="talk to an in-process sandbox")
    p.add_argument(
        "--grant",
        help="the Airflow connection (OAuth grant) to read with; default: the account's grant in "
        "config/accounts.yml, else the network's default connection",
    )
    p.add_argument(
        "--allow-shrink",
        action="store_true",
        help="write a load even when it holds far fewer records than the previous one (posts "
        "really deleted); without it such a load is refused and the stored rows kept",
    )
    p.set_defaults(func=cmd_extract)

    p = sub.add_parser("run", help="the main job: sandbox -> extract -> dbt -> GX for N days")
    p.add_argument("--days", type=int, default=7)
    p.add_argument("--end", type=_day, help="last day to load (default: yesterday, UTC)")
    p.add_argument("--network", action="append", help="only these networks (repeatable)")
    p.add_argument(
        "--full-refresh",
        action="store_true",
        help="rebuild the incremental dbt models from scratch (after a model change)",
    )
    p.set_defaults(func=cmd_run)

    p = sub.add_parser(
        "check-config", help="validate config/accounts.yml, networks.yml and quality.yml"
    )
    p.set_defaults(func=cmd_check_config)

    p = sub.add_parser(
        "generate", help="regenerate the files derived from the network catalog and registry"
    )
    p.add_argument("--check", action="store_true", help="only report stale files (exit 1)")
    p.set_defaults(func=cmd_generate)

    p = sub.add_parser(
        "connect",
        help="authorize one owner's accounts (OAuth) and store the grant as an Airflow connection",
        description="Runs the network's OAuth authorization-code flow, lists the accounts the "
        "grant can see and stores it as an Airflow connection. The client secret comes from "
        "SOCIAL_WAREHOUSE_CLIENT_SECRET or a prompt.",
    )
    p.add_argument("network", help="facebook_pages, instagram, x, linkedin, youtube or tiktok")
    p.add_argument("--grant", help="the Airflow connection id to store (default: social_<network>)")
    p.add_argument("--client-id", required=True, help="the app's OAuth client id (app id)")
    p.add_argument(
        "--no-browser",
        action="store_true",
        help="print the URL and read the address the browser was redirected to from stdin",
    )
    p.add_argument(
        "--print",
        dest="print_connection",
        action="store_true",
        help="print the connection as AIRFLOW_CONN_<GRANT>='<json>' instead of storing it",
    )
    p.add_argument(
        "--write-accounts",
        action="store_true",
        help="add the accounts the grant sees to config/accounts.yml under --brand",
    )
    p.add_argument("--brand", help="the brand id the accounts belong to (with --write-accounts)")
    p.add_argument("--accounts-file", help="another accounts.yml to write (default: config's)")
    p.add_argument("--api-base-url", help="the API host, when not the network's (the sandbox)")
    p.add_argument(
        "--auth-base-url",
        help="the host of the OAuth endpoints, when not the network's (the sandbox: "
        "http://127.0.0.1:8765/<network>)",
    )
    p.add_argument(
        "--redirect-port",
        type=int,
        default=8976,
        help="local port of the redirect listener (register http://127.0.0.1:<port>/callback "
        "in the app; 0 = any free port, for Google only)",
    )
    p.add_argument("--redirect-uri", help="a registered redirect URI other than the listener's")
    p.add_argument("--timeout", type=float, default=300.0, help="seconds to wait for the redirect")
    p.set_defaults(func=cmd_connect)

    p = sub.add_parser(
        "grants-health",
        help="check every grant in config/accounts.yml, write ops.grant_health, fail on dead ones",
    )
    p.add_argument("--day", type=_day, help="the check day to record (default: today, UTC)")
    p.set_defaults(func=cmd_grants_health)

    p = sub.add_parser("airflow-setup", help="create one Airflow pool per network from config")
    p.set_defaults(func=cmd_airflow_setup)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from social_warehouse.orchestration.airflow_env import apply_airflow_env

    # Connections are looked up the way Airflow does, with this project's Airflow home (never
    # ~/airflow); Airflow sets up its own logging when imported, so with -v it is imported
    # first and ours goes on top.
    apply_airflow_env()
    if args.verbose:
        import airflow.settings  # noqa: F401
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        force=True,
    )
    try:
        return int(args.func(args) or 0)
    except SocialWarehouseError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
