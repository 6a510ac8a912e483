"""The environment a local Airflow runs in: project-local AIRFLOW_HOME (git-ignored), this
repo's dags/ and plugins/, quiet telemetry, the warehouse connection, and one metadata database
in PostgreSQL next to the warehouse (`<warehouse db>_airflow`) shared by `make run`,
`make airflow` and the CLI, so a grant `social-warehouse connect` stores is the one the UI shows
and the tasks read. Whatever the environment already sets wins (tests, compose)."""

from __future__ import annotations

import os

from social_warehouse import paths
from social_warehouse.warehouse import database


def metadata_url(url: str | None = None) -> str:
    url = url or database.warehouse_url()
    return database.with_database(url, database.parts(url).dbname + "_airflow")


def airflow_env(url: str | None = None) -> dict[str, str]:
    root = paths.project_root()
    home = root / ".airflow"
    return {
        "AIRFLOW_HOME": str(home),
        # Scheduler, api-server, dag-processor and workers write at once: SQLite locks up
        # under that, so the local Airflow keeps its metadata in PostgreSQL
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": "postgresql+psycopg2://"
        + metadata_url(url).split("://", 1)[1],
        "AIRFLOW__CORE__DAGS_FOLDER": str(root / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(root / "plugins"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__PARALLELISM": "4",
        "AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT": "120",
        "AIRFLOW__COSMOS__CACHE_DIR": str(home / "cosmos"),
        "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False",
        "AIRFLOW__OPENLINEAGE__DISABLED": "True",
        "AIRFLOW__OPENLINEAGE__NAMESPACE": "social_warehouse",
        "DO_NOT_TRACK": "1",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "GX_ANALYTICS_ENABLED": "false",
        "AIRFLOW_CONN_SOCIAL_WAREHOUSE": url or database.warehouse_url(),
        "WAREHOUSE_URL": url or database.warehouse_url(),
    }


def apply_airflow_env(url: str | None = None, override: bool = False) -> dict[str, str]:
    env = airflow_env(url)
    for key, value in env.items():
        if (
            override
            or key not in os.environ
            or key in ("AIRFLOW_CONN_SOCIAL_WAREHOUSE", "WAREHOUSE_URL")
        ):
            os.environ[key] = value
    (paths.project_root() / ".airflow").mkdir(exist_ok=True)
    return env


def metadata_db_ready() -> bool:
    """Whether the metadata database Airflow is configured with has been migrated."""
    conn = os.environ.get("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", "")
    if conn.startswith("sqlite:"):
        return os.path.exists(conn.split("///", 1)[-1])
    url = database.normalise(conn) if conn else metadata_url()
    if not database.is_reachable(url):
        return False
    database.ensure_database(url)
    import psycopg

    with psycopg.connect(url) as db:
        found = db.execute("select to_regclass('public.alembic_version')").fetchone()
    return bool(found and found[0])
