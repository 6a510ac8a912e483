"""End to end through Airflow: the extract DAGs and the transform DAG run with dag.test() against
the real warehouse and the sandbox for three consecutive days; the marts must equal the sandbox's
ground truth exactly, and the quality gate must stop a broken day from being published."""

from __future__ import annotations

import datetime as dt

import psycopg
import pytest

from social_warehouse.config import load_network_settings
from social_warehouse.networks import registry
from social_warehouse.runner import Pipeline, run_clock
from tests.e2e.reconcile import account_mismatches, post_mismatches

pytestmark = pytest.mark.e2e

LAST_DAY = dt.date(2026, 11, 20)
DAYS = [LAST_DAY - dt.timedelta(days=2), LAST_DAY - dt.timedelta(days=1), LAST_DAY]


@pytest.fixture(scope="module")
def pipeline(airflow_home, warehouse_url, sandbox, dagbag):
    pipe = Pipeline(registry.names(), console=lambda message: None, sandbox=sandbox)
    pipe.start(warehouse_url)
    outcomes = [pipe.run_day(day) for day in DAYS]
    for outcome in outcomes:
        assert set(outcome.extract.values()) == {"success"}, outcome
        assert outcome.transform == "success", outcome
    sandbox.state.clock = None
    return pipe


def test_account_marts_equal_the_sandbox_truth(pipeline, warehouse_url, sandbox):
    with psycopg.connect(warehouse_url) as conn:
        mismatches, compared = account_mismatches(conn, sandbox, DAYS, run_clock(LAST_DAY))
    assert mismatches == []
    assert compared >= 3 * len(DAYS) * 4, "the reconciliation must actually compare values"


def test_post_marts_equal_the_sandbox_truth_for_every_snapshot(pipeline, warehouse_url, sandbox):
    post_days = {n: load_network_settings(n).post_lookback_days for n in registry.names()}
    total = 0
    with psycopg.connect(warehouse_url) as conn:
        for day in DAYS:
            mismatches, compared = post_mismatches(conn, sandbox, day, run_clock(day), post_days)
            assert mismatches == [], day
            total += compared
    assert total > 100


def test_the_reconciliation_catches_a_broken_transformation(pipeline, warehouse_url, sandbox):
    """A mart that is off by one for a single account-day must fail the reconciliation."""
    with psycopg.connect(warehouse_url) as conn:
        conn.execute(
            """update marts.reach_daily set reach = reach + 1
               where (network, account_id, metric_date) in (
                   select network, account_id, metric_date from marts.reach_daily
                   where metric_date = %s limit 1)""",
            (LAST_DAY,),
        )
        conn.execute(
            """update marts.post_daily set lifetime_likes = lifetime_likes * 2
               where metric_date = %s""",
            (LAST_DAY,),
        )
        accounts, _ = account_mismatches(conn, sandbox, DAYS, run_clock(LAST_DAY))
        post_days = {n: load_network_settings(n).post_lookback_days for n in registry.names()}
        posts, _ = post_mismatches(conn, sandbox, LAST_DAY, run_clock(LAST_DAY), post_days)
        conn.rollback()
    assert len(accounts) == 1 and "reach" in accounts[0]
    assert posts and all("likes" in p for p in posts)


def test_rerunning_a_day_leaves_the_same_marts(pipeline, warehouse_url):
    query = """select count(*), sum(reach), sum(impressions) from marts.reach_daily"""
    with psycopg.connect(warehouse_url) as conn:
        before = conn.execute(query).fetchone()
        raw_before = conn.execute("select count(*) from raw.facebook_pages__posts").fetchone()
    pipeline.run_day(LAST_DAY)
    with psycopg.connect(warehouse_url) as conn:
        assert conn.execute(query).fetchone() == before
        assert (
            conn.execute("select count(*) from raw.facebook_pages__posts").fetchone() == raw_before
        )


def test_a_critical_defect_fails_the_gate_and_the_marts_are_not_published(
    pipeline, warehouse_url, sandbox
):
    """An account missing from a day is critical: the transform run fails at quality_gate and
    publish_marts never runs; the result rows say which table, which check, how many, which."""
    network, account = "facebook_pages", "104729385610002"
    with psycopg.connect(warehouse_url) as conn:
        for stream in registry.get(network).stream_names:
            conn.execute(f"delete from raw.{network}__{stream} where account_id = %s", (account,))
    dag = pipeline.dags["transform_social"]
    run = dag.test(
        logical_date=run_clock(LAST_DAY) + dt.timedelta(hours=1),
        run_conf={"day": LAST_DAY.isoformat()},
    )
    states = {ti.task_id: ti.state for ti in run.get_task_instances()}
    assert run.state == "failed"
    assert states["quality_gate"] == "failed"
    assert states["publish_marts"] == "upstream_failed"
    with psycopg.connect(warehouse_url) as conn:
        failures = conn.execute(
            """select asset, expectation_type, failing_count, sample from ops.quality_results
               where run_id = %s and not success and severity = 'critical'""",
            (run.run_id,),
        ).fetchall()
    assert (
        "marts.reach_daily",
        "expect_column_distinct_values_to_contain_set",
        1,
        [f"{network}:{account}"],
    ) in failures
    # put the account back so later tests see a complete warehouse
    sandbox.state.clock = run_clock(LAST_DAY)
    pipeline.run_day(LAST_DAY)
    sandbox.state.clock = None
