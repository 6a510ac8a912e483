"""Incremental marts equal a full refresh, row for row, after several daily loads — and they do
not when the incremental lookback is shorter than the extraction lookback (networks revise a
day's numbers for ~48 h, so the marts must rebuild at least that far back)."""

from __future__ import annotations

import datetime as dt
import os
import subprocess

import psycopg
import pytest

from social_warehouse import paths
from social_warehouse.config import load_brands
from social_warehouse.extract import run_account_load
from social_warehouse.loader import sync_configured_accounts
from social_warehouse.orchestration.dbt_env import dbt_env, dbt_executable
from social_warehouse.runner import run_clock
from social_warehouse.warehouse import database
from social_warehouse.warehouse.migrate import migrate
from tests.conftest import database_name_for_tests
from tests.helpers import fast_settings, sandbox_connection

DAYS = [dt.date(2026, 11, 16) + dt.timedelta(days=i) for i in range(5)]
MARTS = (
    "account_daily",
    "reach_daily",
    "engagement_daily",
    "brand_daily",
    "post_daily",
    "posts",
    "accounts",
    "brands",
    "metric_revisions",
)


def dbt(url: str, *args: str, lookback: int) -> None:
    env = {**os.environ, **dbt_env(url), "DBT_USE_COLORS": "false"}
    result = subprocess.run(
        [
            dbt_executable(),
            *args,
            "--quiet",
            "--vars",
            f"{{incremental_lookback_days: {lookback}}}",
            "--target-path",
            str(paths.run_dir() / "dbt-target-incremental"),
        ],
        cwd=paths.dbt_project_dir(),
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]


def fresh_database(server_url: str, name: str) -> str:
    url = database.recreate_database(database.with_database(server_url, name))
    migrate(url)
    return url


def daily_loads_with_incremental_builds(sandbox, url: str, lookback: int) -> None:
    """One account per network, loaded day by day as the scheduler would, each day followed by
    an incremental dbt run."""
    accounts = next(b.accounts for b in load_brands())
    with psycopg.connect(url) as conn:
        sync_configured_accounts(conn, accounts)
    dbt(url, "seed", lookback=lookback)
    for day in DAYS:
        sandbox.state.clock = run_clock(day)
        for account in accounts:
            run_account_load(
                account.network,
                account.account_id,
                day,
                url=url,
                run_id=f"incr_{day}",
                connection=sandbox_connection(sandbox, account.network),
                settings=fast_settings(account.network),
            )
        dbt(url, "run", lookback=lookback)
    sandbox.state.clock = None


def differences_after_full_refresh(url: str, lookback: int) -> dict[str, int]:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("create schema incremental_copy")
        for mart in MARTS:
            conn.execute(f"create table incremental_copy.{mart} as select * from marts.{mart}")
    dbt(url, "run", "--full-refresh", lookback=lookback)
    differences = {}
    with psycopg.connect(url) as conn:
        for mart in MARTS:
            count = conn.execute(
                f"""select
                       (select count(*) from (select * from incremental_copy.{mart}
                                              except all select * from marts.{mart}) a)
                       + (select count(*) from (select * from marts.{mart}
                                                except all
                                                select * from incremental_copy.{mart}) b),
                       (select count(*) from marts.{mart})"""
            ).fetchone()
            assert count[1] > 0, f"marts.{mart} is empty: the comparison would prove nothing"
            differences[mart] = count[0]
    return differences


@pytest.fixture(scope="module")
def server_url(warehouse_url):
    return warehouse_url


def test_incremental_builds_equal_a_full_refresh(sandbox, server_url):
    url = fresh_database(server_url, f"{database_name_for_tests()}_incremental")
    daily_loads_with_incremental_builds(sandbox, url, lookback=7)
    assert differences_after_full_refresh(url, lookback=7) == dict.fromkeys(MARTS, 0)


def test_a_lookback_shorter_than_the_revision_window_drifts_from_a_full_refresh(
    sandbox, server_url
):
    url = fresh_database(server_url, f"{database_name_for_tests()}_short_lookback")
    daily_loads_with_incremental_builds(sandbox, url, lookback=0)
    differences = differences_after_full_refresh(url, lookback=0)
    assert differences["account_daily"] > 0, differences
    assert differences["metric_revisions"] > 0, differences
