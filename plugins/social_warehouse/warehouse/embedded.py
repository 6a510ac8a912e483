"""Getting a PostgreSQL server when none answers: start the machine's own cluster when it is only
stopped, else run an embedded one (pgserver) in the git-ignored `.pgdata/` folder."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import time
from pathlib import Path

from social_warehouse import paths
from social_warehouse.warehouse import database

log = logging.getLogger(__name__)

_server = None  # the pgserver handle this process started, if any


def _start_system_cluster() -> bool:
    """`pg_ctlcluster ... start` for the machine's stopped Debian cluster(s)."""
    if not shutil.which("pg_ctlcluster") or not Path("/etc/postgresql").is_dir():
        return False
    started = False
    for version in sorted(os.listdir("/etc/postgresql")):
        if not (Path("/etc/postgresql") / version / "main").is_dir():
            continue
        result = subprocess.run(
            ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "start"],
            capture_output=True,
            text=True,
            check=False,
        )
        started = started or result.returncode == 0
        if result.returncode:
            log.warning("pg_ctlcluster %s main start: %s", version, result.stderr.strip())
    return started


def _start_embedded() -> str:
    runtime = paths.run_dir() / "xdg"
    runtime.mkdir(mode=0o700, exist_ok=True)
    runtime.chmod(0o700)
    os.environ.setdefault("XDG_RUNTIME_DIR", str(runtime))
    import pgserver

    data = paths.project_root() / ".pgdata"
    # "stop": the server stops when the last process using it exits, so make run and make test
    # leave nothing running behind them
    global _server
    server = _server = pgserver.get_server(str(data), cleanup_mode="stop")
    uri = server.get_uri()  # postgresql://postgres:@/postgres?host=<socket dir>
    base = uri.split("?", 1)
    return f"postgresql://postgres@/social_warehouse?{base[1]}" if len(base) == 2 else uri


def stop_embedded() -> None:
    """Stop the embedded server this process started now rather than at interpreter exit (where
    pgserver would log into streams that may already be closed, as under pytest)."""
    global _server
    if _server is None:
        return
    import atexit

    server, _server = _server, None
    server.cleanup()
    atexit.unregister(server._cleanup)


def ensure_server(echo=print) -> str:
    """Return a URL of a reachable warehouse, starting a server when needed, and export it as
    WAREHOUSE_URL for this process and its children."""
    url = database.warehouse_url()
    if database.is_reachable(url):
        database.ensure_database(url)
        return url
    explicit = "WAREHOUSE_URL" in os.environ and os.environ["WAREHOUSE_URL"] != database.DEFAULT_URL
    p = database.parts(url)
    local = p.is_socket or p.host in ("127.0.0.1", "localhost", "::1")
    if local and _start_system_cluster():
        for _ in range(30):
            if database.is_reachable(url):
                echo(
                    f"Started the machine's PostgreSQL cluster; warehouse at {database.redact(url)}"
                )
                database.ensure_database(url)
                return url
            time.sleep(1)
    if explicit:
        raise database.ConfigError(
            f"no PostgreSQL answers at {database.redact(url)} (WAREHOUSE_URL). Start that server, "
            "or unset WAREHOUSE_URL to use a local or embedded one"
        )
    echo(
        f"No PostgreSQL server answers at {database.redact(url)}; starting an embedded "
        f"PostgreSQL in {paths.project_root() / '.pgdata'} (pgserver)"
    )
    url = _start_embedded()
    database.ensure_database(url)
    os.environ["WAREHOUSE_URL"] = url
    echo(f"Embedded warehouse ready at {url}")
    return url
