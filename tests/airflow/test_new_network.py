"""Adding a network is exactly the pieces the README lists: a connector module, a sandbox module,
a staging folder and config rows, then `make generate`. This test adds a small fake network to a
temporary copy of the project (its pieces written from TikTok's, renamed) and finds it
everywhere: the catalog, its extract DAG and pool, its raw tables, the staging union of the dbt
project, and the quality gate's targets."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from social_warehouse import paths
from social_warehouse.warehouse import database
from tests.conftest import database_name_for_tests

pytestmark = pytest.mark.airflow

NAME = "fakenet"
SOURCE = "tiktok"


def project_copy(target: Path) -> Path:
    root = paths.project_root()
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=root,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = root / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


def renamed(text: str) -> str:
    return text.replace(SOURCE, NAME).replace("TikTok", "FakeNet")


def add_the_network(copy: Path) -> None:
    """The four pieces, and nothing else."""
    package = copy / "plugins" / "social_warehouse"
    for folder in ("networks", "sandbox"):
        text = (package / folder / f"{SOURCE}.py").read_text()
        (package / folder / f"{NAME}.py").write_text(renamed(text))
    staging = copy / "dbt_project" / "models" / "staging"
    (staging / NAME).mkdir()
    for source in (staging / SOURCE).iterdir():
        (staging / NAME / renamed(source.name)).write_text(renamed(source.read_text()))
    registry = copy / "dbt_project" / "seeds" / "metric_registry.csv"
    rows = registry.read_text().splitlines()
    rows += [renamed(r) for r in rows if r.startswith(f"{SOURCE},")]
    registry.write_text("\n".join(rows) + "\n")
    accounts = copy / "config" / "accounts.yml"
    accounts.write_text(
        accounts.read_text()
        + f"""  - id: fake_brand
    name: Fake Brand
    accounts:
      {NAME}:
        - {{id: "_000Fk7kQ2rT5vXyZ1aB3cD4eF6gH8jKmPq", name: "@fake"}}
"""
    )


def run(copy: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    result = subprocess.run(args, cwd=copy, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result


PROBE = """
import json, sys
from airflow.models import DagBag
from social_warehouse.networks import catalog
from social_warehouse.orchestration.setup import pool_specs
from social_warehouse.quality.targets import all_targets
from social_warehouse.warehouse.migrate import migrate

bag = DagBag(dag_folder=sys.argv[1])
dag = bag.dags.get("extract_fakenet")
migrate(sys.argv[2])
print(json.dumps({
    "networks": catalog.names(),
    "import_errors": {k: str(v)[:300] for k, v in bag.import_errors.items()},
    "dag_pools": sorted({t.pool for t in dag.tasks}) if dag else None,
    "pools": pool_specs(),
    "targets": [t.asset for t in all_targets()],
}))
"""


def test_a_new_network_is_the_four_pieces_and_is_found_everywhere(tmp_path, warehouse_url):
    copy = project_copy(tmp_path / "project")
    add_the_network(copy)
    url = database.with_database(warehouse_url, f"{database_name_for_tests()}_newnet")
    name = sql.Identifier(f"{database_name_for_tests()}_newnet")
    with psycopg.connect(database.server_url(warehouse_url), autocommit=True) as conn:
        conn.execute(sql.SQL("drop database if exists {} with (force)").format(name))
        conn.execute(sql.SQL("create database {}").format(name))
    env = {
        **os.environ,
        # the copy's package wins over the editable install of this checkout
        "PYTHONPATH": str(copy / "plugins"),
        "SOCIAL_WAREHOUSE_HOME": str(copy),
        "WAREHOUSE_URL": url,
        "AIRFLOW_HOME": str(tmp_path / "airflow"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    python = sys.executable
    run(copy, python, "-m", "social_warehouse.cli", "generate", env=env)
    run(copy, python, "-m", "social_warehouse.cli", "generate", "--check", env=env)
    project = (copy / "dbt_project" / "dbt_project.yml").read_text()
    assert f"    - {NAME}\n" in project, "make generate put it in the dbt networks var"
    from social_warehouse.orchestration.dbt_env import dbt_env, dbt_executable

    dbt = {**env, **dbt_env(url)}
    dbt["DBT_PROFILES_DIR"] = str(copy / "dbt_project")
    run(copy / "dbt_project", dbt_executable(), "parse", "--quiet", env=dbt)
    manifest = json.loads((copy / "dbt_project" / "target" / "manifest.json").read_text())
    union = manifest["nodes"]["model.social_warehouse.int_account_metrics_unioned"]
    assert f"model.social_warehouse.stg_{NAME}__account_metrics" in union["depends_on"]["nodes"]
    probe = run(copy, python, "-c", PROBE, str(copy / "dags"), url, env=env)
    found = json.loads(probe.stdout.strip().splitlines()[-1])
    assert NAME in found["networks"]
    assert found["import_errors"] == {}
    assert found["dag_pools"] is not None and f"social_{NAME}" in found["dag_pools"]
    assert found["pools"][f"social_{NAME}"] >= 1
    assert f"raw.{NAME}__videos" in found["targets"]
    assert f"raw.{NAME}__business_profile" in found["targets"]
    with psycopg.connect(url) as conn:
        tables = {
            r[0]
            for r in conn.execute(
                "select table_name from information_schema.tables where table_schema = 'raw'"
            )
        }
    assert {f"{NAME}__business_profile", f"{NAME}__videos"} <= tables
