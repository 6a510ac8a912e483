"""Shared fixtures: a real PostgreSQL database per test session (`SW_TEST_DB`, default
social_warehouse_test, recreated empty), an in-process sandbox, and fast client settings."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import subprocess
from collections.abc import Iterator

import psycopg
import pytest
from cryptography.fernet import Fernet

os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
# The tests' own Airflow, set before anything imports Airflow (a connection lookup or a DAG
# parse would otherwise initialise it with ~/airflow): its home and a SQLite metadata database
# in .run/airflow-test, migrated by the `airflow_home` fixture.
os.environ["AIRFLOW_HOME"] = os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))), ".run", "airflow-test"
)
os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = (
    f"sqlite:///{os.environ['AIRFLOW_HOME']}/airflow.db"
)
# airflow.settings fixes DAGS_FOLDER (the path of the dags-folder bundle dag.test() syncs) when
# it is first imported: it must be the project's dags/ whichever test imports Airflow first.
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "dags"
)
os.environ["AIRFLOW__CORE__PLUGINS_FOLDER"] = os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "plugins"
)
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"

# OAuth tokens in ops.grant_tokens are encrypted with this key: a new one every test session, so
# no test depends on a key from the developer's environment (the test database is new too).
os.environ["SOCIAL_WAREHOUSE_FERNET_KEY"] = Fernet.generate_key().decode()

from social_warehouse import paths
from social_warehouse.config import NetworkSettings, load_brands, load_network_settings
from social_warehouse.connections import ConnectionInfo
from social_warehouse.extract import run_account_load
from social_warehouse.loader import sync_configured_accounts, sync_network_settings
from social_warehouse.orchestration.dbt_env import dbt_env, dbt_executable
from social_warehouse.runner import run_clock
from social_warehouse.sandbox.server import Sandbox
from social_warehouse.warehouse import database
from social_warehouse.warehouse.migrate import migrate


def database_name_for_tests() -> str:
    """`SW_TEST_DB` (default social_warehouse_test): every database the tests create starts with
    it, so two test runs on one server can be kept apart."""
    return os.environ.get("SW_TEST_DB", "social_warehouse_test")


@pytest.fixture(scope="session")
def warehouse_url() -> str:
    """An empty, migrated test database on the same server as the warehouse."""
    from social_warehouse.warehouse import embedded

    server = embedded.ensure_server(echo=lambda message: None)
    name = database_name_for_tests()
    url = database.recreate_database(database.with_database(server, name))
    os.environ["WAREHOUSE_URL"] = url
    os.environ["AIRFLOW_CONN_SOCIAL_WAREHOUSE"] = url
    migrate(url)
    return url


@pytest.fixture(scope="session")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox() as server:
        yield server


@pytest.fixture
def sb(sandbox: Sandbox) -> Iterator[Sandbox]:
    """The session sandbox, reset before and after the test (faults, clock, log, rate limits)."""
    _reset(sandbox)
    yield sandbox
    _reset(sandbox)


def _reset(sandbox: Sandbox) -> None:
    state = sandbox.state
    state.faults.clear()
    state.requests.clear()
    state.clock = None
    for network in state.networks.values():
        network.rate.limit = 600
        network.rate.window_seconds = 60.0
        network.rate._calls.clear()


def fast_settings(network: str, **overrides: object) -> NetworkSettings:
    """The network's real settings with retries measured in milliseconds."""
    settings = load_network_settings(network)
    values = {"backoff_seconds": 0.01, "max_wait_seconds": 10.0, "max_retries": 3, **overrides}
    return settings.with_overrides(**values)


def sandbox_connection(
    sandbox: Sandbox, network: str, token: str = "sandbox-token"
) -> ConnectionInfo:
    return ConnectionInfo(f"social_{network}", sandbox.base_url(network), token=token)


def add_fault(sandbox: Sandbox, kind: str, network: str | None = None, **fields: object) -> None:
    from social_warehouse.sandbox.base import Fault

    sandbox.state.faults.append(Fault(kind=kind, network=network, **fields))


def replace(settings: NetworkSettings, **changes: object) -> NetworkSettings:
    return settings.with_overrides(**changes)


def sandbox_grant(
    sandbox: Sandbox,
    network: str,
    accounts: list[str],
    *,
    client: dict[str, str] | None = None,
    **client_options: object,
) -> dict:
    """A consent the sandbox completed for `accounts` (its control endpoints): the tokens, the
    OAuth client and `connection`, the grant as an Airflow connection in JSON form."""
    import requests

    if client is None:
        client = requests.post(
            f"{sandbox.url}/_sandbox/oauth/clients",
            json={"network": network, **client_options},
            timeout=10,
        ).json()
    response = requests.post(
        f"{sandbox.url}/_sandbox/oauth/grants",
        json={"network": network, "client_id": client["client_id"], "accounts": accounts},
        timeout=10,
    )
    assert response.status_code == 201, response.text
    return response.json() | {"client": client}


@pytest.fixture
def grant_env(sb: Sandbox, monkeypatch: pytest.MonkeyPatch):
    """Make a sandbox grant and store it as `AIRFLOW_CONN_<NAME>` for this test:
    `grant_env(name, network, accounts, **client_options)` returns what sandbox_grant does."""
    import json

    from social_warehouse.connections import env_var_name

    def make(name: str, network: str, accounts: list[str], **options: object) -> dict:
        grant = sandbox_grant(sb, network, accounts, **options)
        monkeypatch.setenv(env_var_name(name), json.dumps(grant["connection"]))
        return grant

    return make


def _migrated(path) -> bool:
    """Whether the SQLite metadata database has Airflow's schema: anything that imports Airflow
    (a connection lookup) creates the file empty."""
    import sqlite3

    if not path.exists():
        return False
    with contextlib.closing(sqlite3.connect(path)) as db:
        found = db.execute(
            "select 1 from sqlite_master where type = 'table' and name = 'alembic_version'"
        ).fetchone()
    return found is not None


@pytest.fixture(scope="session")
def airflow_home(warehouse_url: str) -> str:
    """A project-local Airflow for the tests (SQLite metadata in .run/airflow-test)."""
    import subprocess
    import sys
    from pathlib import Path

    from social_warehouse import paths
    from social_warehouse.orchestration.airflow_env import apply_airflow_env
    from social_warehouse.orchestration.dbt_env import apply_dbt_env

    home = paths.run_dir() / "airflow-test"
    home.mkdir(exist_ok=True)
    os.environ["AIRFLOW_HOME"] = str(home)
    # the tests' own Airflow, in SQLite next to its home (the project's local Airflow uses a
    # PostgreSQL metadata database)
    os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = f"sqlite:///{home}/airflow.db"
    apply_airflow_env(warehouse_url)
    apply_dbt_env(warehouse_url)
    os.environ["DBT_USE_COLORS"] = "false"
    if not _migrated(home / "airflow.db"):
        airflow = Path(sys.executable).parent / "airflow"
        subprocess.run([str(airflow), "db", "migrate"], check=True, capture_output=True)
    return str(home)


@pytest.fixture(scope="session")
def dagbag(airflow_home: str):
    from airflow.models import DagBag

    from social_warehouse import paths
    from social_warehouse.runner import ensure_dbt_manifest

    ensure_dbt_manifest(lambda message: None)
    return DagBag(dag_folder=str(paths.project_root() / "dags"))


# --- a clean warehouse: five days of every account, dbt built (quality and docs tests) ---
CLEAN_DAY = dt.date(2026, 11, 20)
LOADED_DAYS = [CLEAN_DAY - dt.timedelta(days=i) for i in range(4, -1, -1)]


@pytest.fixture(scope="session")
def clean_warehouse(warehouse_url, sandbox) -> str:
    """Five days of every configured account loaded day by day, the dbt project built and the
    network settings synced, in its own database."""
    name = f"{database_name_for_tests()}_quality"
    url = database.recreate_database(database.with_database(warehouse_url, name))
    migrate(url)
    accounts = [a for b in load_brands() for a in b.accounts]
    with psycopg.connect(url) as conn:
        sync_configured_accounts(conn, accounts)
        sync_network_settings(conn)
    for day in LOADED_DAYS:
        sandbox.state.clock = run_clock(day)
        for account in accounts:
            run_account_load(
                account.network,
                account.account_id,
                day,
                url=url,
                run_id=f"quality_{day}",
                connection=sandbox_connection(sandbox, account.network),
                settings=fast_settings(account.network),
            )
    sandbox.state.clock = None
    result = subprocess.run(
        [
            dbt_executable(),
            "build",
            "--quiet",
            "--target-path",
            str(paths.run_dir() / "dbt-target-quality"),
        ],
        cwd=paths.dbt_project_dir(),
        env={**os.environ, **dbt_env(url), "DBT_USE_COLORS": "false"},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout[-3000:]
    return url


# --- the fault matrix (tests/faults): outcomes recorded for the README's fault table -------------
_FAULT_RESULTS: list[dict[str, str]] = []


@pytest.fixture
def fault_matrix(request):
    """Record one fault case's outcome: fault_matrix(fault, network, behaviour, outcome)."""

    def record(fault: str, network: str, behaviour: str, outcome: str) -> None:
        _FAULT_RESULTS.append(
            {
                "fault": fault,
                "network": network,
                "behaviour": behaviour,
                "outcome": outcome,
                "test": request.node.nodeid,
            }
        )

    return record


@pytest.fixture
def fault_matrix_results() -> list[dict[str, str]]:
    return list(_FAULT_RESULTS)


def pytest_collection_modifyitems(config, items):
    """Tests marked `last` run after every other test of the session (the fault table check
    reads what the fault cases recorded)."""
    items.sort(key=lambda item: item.get_closest_marker("last") is not None)
