"""The environment a local Airflow runs in: project-local AIRFLOW_HOME (git-ignored), this
repo's dags/ and plugins/, quiet telemetry, and the warehouse connection."""

from __future__ import annotations

import os

from social_warehouse import paths
from social_warehouse.warehouse import database


def airflow_env(url: str | None = None) -> dict[str, str]:
    root = paths.project_root()
    home = root / ".airflow"
    return {
        "AIRFLOW_HOME": str(home),
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
    home = os.environ.get("AIRFLOW_HOME") or str(paths.project_root() / ".airflow")
    return os.path.exists(os.path.join(home, "airflow.db"))
