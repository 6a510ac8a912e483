"""Where the project's folders are, resolved from the installed package or overridden by env."""

from __future__ import annotations

import os
from pathlib import Path


def project_root() -> Path:
    """The checkout root: `SOCIAL_WAREHOUSE_HOME`, else two levels above this package."""
    env = os.environ.get("SOCIAL_WAREHOUSE_HOME")
    if env:
        return Path(env).resolve()
    return Path(__file__).resolve().parents[2]


def config_dir() -> Path:
    return Path(os.environ.get("SOCIAL_WAREHOUSE_CONFIG_DIR", project_root() / "config"))


def dbt_project_dir() -> Path:
    return project_root() / "dbt_project"


def expectations_dir() -> Path:
    return project_root() / "expectations"


def run_dir() -> Path:
    """Git-ignored scratch space for logs, pid files and run reports."""
    path = project_root() / ".run"
    path.mkdir(exist_ok=True)
    return path
