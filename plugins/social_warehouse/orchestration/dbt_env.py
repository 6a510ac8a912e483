"""dbt's connection settings, derived from the one warehouse URL."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from social_warehouse import paths
from social_warehouse.warehouse import database


def dbt_env(url: str | None = None) -> dict[str, str]:
    """The SW_DBT_* variables dbt_project/profiles.yml reads."""
    p = database.parts(url or database.warehouse_url())
    return {
        "SW_DBT_HOST": p.host,
        "SW_DBT_PORT": str(p.port),
        "SW_DBT_USER": p.user,
        "SW_DBT_PASSWORD": p.password,
        "SW_DBT_DBNAME": p.dbname,
        "DBT_PROFILES_DIR": str(paths.dbt_project_dir()),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "DO_NOT_TRACK": "1",
    }


def apply_dbt_env(url: str | None = None) -> None:
    os.environ.update(dbt_env(url))


def dbt_executable() -> str:
    """dbt from this interpreter's environment: an un-activated venv has no dbt on PATH."""
    beside = Path(sys.executable).parent / "dbt"
    return str(beside) if beside.exists() else (shutil.which("dbt") or "dbt")
