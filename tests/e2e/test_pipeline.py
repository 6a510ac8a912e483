"""End to end through Airflow: every network's extract DAG runs with dag.test() for three
consecutive days against the real warehouse and the sandbox, then one transform run (as the
asset trigger does after a backlog) builds the marts and gates them. The marts must equal the
sandbox's ground truth exactly; the gate must stop a broken day and let a day with only
warnings through; the BI role must see the marts and nothing else."""

from __future__ import annotations

import datetime as dt

import psycopg
import pytest

from social_warehouse.config import load_network_settings
from social_warehouse.networks import catalog
from social_warehouse.runner import Pipeline, run_clock
from tests.e2e.reconcile import (
    account_mismatches,
    brand_mismatches,
    post_mismatches,
    revision_mismatches,
)
from tests.helpers import add_fault

pytestmark = pytest.mark.e2e

LAST_DAY = dt.date(2026, 11, 20)
DAYS = [LAST_DAY - dt.timedelta(days=2), LAST_DAY - dt.timedelta(days=1), LAST_DAY]
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


@pytest.fixture(scope="module")
def pipeline(airflow_home, warehouse_url, sandbox, dagbag):
    pipe = Pipeline(catalog.names(), console=lambda message: None, sandbox=sandbox)
    pipe.start(warehouse_url)
    for day in DAYS:
        outcome = pipe.run_day(day, transform=False)
        assert set(outcome.extract.values()) == {"success"}, outcome
    assert pipe.transform(LAST_DAY, len(DAYS)) == "success"
    sandbox.state.clock = None
    return pipe


def post_days() -> dict[str, int]:
    return {n: load_network_settings(n).post_lookback_days for n in catalog.names()}


def task_states(run) -> dict[str, str]:
    return {ti.task_id: ti.state for ti in run.get_task_instances()}


def gate_results(url: str, run_id: str, severity: str) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(
            """select asset, expectation_type, expectation_kwargs ->> 'column', failing_count,
                      sample
               from ops.quality_results
               where run_id = %s and not success and severity = %s order by 1, 2""",
            (run_id, severity),
        ).fetchall()


def test_account_marts_equal_the_sandbox_truth_for_every_network(pipeline, warehouse_url, sandbox):
    with psycopg.connect(warehouse_url) as conn:
        mismatches, compared = account_mismatches(conn, sandbox, DAYS, run_clock, post_days())
        networks = {r[0] for r in conn.execute("select distinct network from marts.account_daily")}
    assert mismatches == []
    assert networks == set(catalog.names())
    assert compared >= 18 * len(DAYS) * 14, "the reconciliation must actually compare values"


def test_post_marts_equal_the_sandbox_truth_for_every_snapshot(pipeline, warehouse_url, sandbox):
    total = 0
    with psycopg.connect(warehouse_url) as conn:
        for day in DAYS:
            mismatches, compared = post_mismatches(conn, sandbox, day, run_clock(day), post_days())
            assert mismatches == [], day
            total += compared
    assert total > 1000


def test_brand_and_revision_marts_reconcile(pipeline, warehouse_url, sandbox):
    with psycopg.connect(warehouse_url) as conn:
        assert brand_mismatches(conn, DAYS) == []
        mismatches, compared = revision_mismatches(conn, sandbox, run_clock)
    assert mismatches == []
    assert compared > 100


def test_the_reconciliation_catches_a_broken_transformation(pipeline, warehouse_url, sandbox):
    """A mart off by one for a single account-day must fail the reconciliation."""
    with psycopg.connect(warehouse_url) as conn:
        conn.execute(
            """update marts.account_daily set reach = reach + 1
               where (network, account_id, metric_date) in (
                   select network, account_id, metric_date from marts.account_daily
                   where metric_date = %s and network = 'facebook_pages' limit 1)""",
            (LAST_DAY,),
        )
        conn.execute(
            """update marts.post_daily set lifetime_likes = lifetime_likes * 2
               where metric_date = %s""",
            (LAST_DAY,),
        )
        fb = [
            a
            for a in conn.execute("select network, account_id from ops.configured_accounts")
            if a[0] == "facebook_pages"
        ]
        accounts, _ = account_mismatches(conn, sandbox, DAYS, run_clock, post_days(), fb)
        posts, _ = post_mismatches(conn, sandbox, LAST_DAY, run_clock(LAST_DAY), post_days())
        conn.rollback()
    assert len(accounts) == 2, accounts  # the reach itself, and reach_daily no longer agreeing
    assert all("reach" in a or "disagree" in a for a in accounts)
    assert posts and all("likes" in p or "engagements" in p for p in posts)


def test_the_bi_role_reads_every_mart_and_nothing_else(pipeline, warehouse_url, monkeypatch):
    from social_warehouse.warehouse.migrate import migrate

    monkeypatch.setenv("BI_READER_PASSWORD", "bi-test-password")
    migrate(warehouse_url)  # applies the password: the role can log in from now on
    bi_url = warehouse_url.replace(
        "postgresql://postgres@", "postgresql://bi_reader:bi-test-password@"
    )
    with psycopg.connect(bi_url) as conn:
        for mart in MARTS:
            assert conn.execute(f"select count(*) from marts.{mart}").fetchone()[0] > 0, mart
        for relation in (
            "raw.facebook_pages__posts",
            "staging.stg_facebook_pages__posts",
            "intermediate.int_account_days_pivoted",
            "ops.load_manifest",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(f"select 1 from {relation} limit 1")
            conn.rollback()


def test_rerunning_a_day_leaves_the_same_marts(pipeline, warehouse_url):
    checksum = "select md5(string_agg(t::text, '|' order by t::text)) from marts.{} t"
    with psycopg.connect(warehouse_url) as conn:
        before = {m: conn.execute(checksum.format(m)).fetchone() for m in MARTS}
        raw_before = conn.execute(
            "select count(*), md5(string_agg(payload::text, '' order by "
            "account_id, load_date, record_key)) from raw.x__tweets"
        ).fetchone()
    assert set(pipeline.run_day(LAST_DAY, transform=False).extract.values()) == {"success"}
    assert pipeline.transform(LAST_DAY, 1) == "success"
    with psycopg.connect(warehouse_url) as conn:
        after = {m: conn.execute(checksum.format(m)).fetchone() for m in before}
        raw_after = conn.execute(
            "select count(*), md5(string_agg(payload::text, '' order by "
            "account_id, load_date, record_key)) from raw.x__tweets"
        ).fetchone()
    assert after == before
    assert raw_after == raw_before


def test_a_day_with_only_warnings_is_published_and_the_warnings_recorded(
    pipeline, warehouse_url, sandbox
):
    """Facebook impressions 200x too high for a day: frequency leaves its documented bounds
    (warning) while every critical check still holds."""
    day = LAST_DAY + dt.timedelta(days=1)
    sandbox.state.networks["facebook_pages"].defects[(day, "impressions")] = 200
    try:
        assert set(pipeline.run_day(day, transform=False).extract.values()) == {"success"}
        state = pipeline.transform(day, 1)
    finally:
        sandbox.state.networks["facebook_pages"].defects.clear()
    run = pipeline.last_transform
    assert state == "success"
    assert task_states(run)["publish_marts"] == "success"
    warnings = gate_results(warehouse_url, run.run_id, "warning")
    assert ("marts.reach_daily", "expect_column_values_to_be_between", "frequency") in [
        w[:3] for w in warnings
    ]
    assert gate_results(warehouse_url, run.run_id, "critical") == []


def test_a_network_whose_impressions_all_read_zero_fails_the_gate(pipeline, warehouse_url, sandbox):
    """The injected critical defect: Facebook impressions all zero for a day. The transform run
    fails at quality_gate and the marts asset is not published; the results name the table,
    the check, the failing count and a sample."""
    day = LAST_DAY + dt.timedelta(days=2)
    sandbox.state.networks["facebook_pages"].defects[(day, "impressions")] = 0
    try:
        assert set(pipeline.run_day(day, transform=False).extract.values()) == {"success"}
        state = pipeline.transform(day, 1)
    finally:
        sandbox.state.networks["facebook_pages"].defects.clear()
    run = pipeline.last_transform
    assert state == "failed"
    states = task_states(run)
    assert states["quality_gate"] == "failed"
    assert states["publish_marts"] == "upstream_failed"
    critical = gate_results(warehouse_url, run.run_id, "critical")
    volume = [
        c
        for c in critical
        if c[0] == "checks.network_day_volume" and c[2] == "impressions_vs_median"
    ]
    assert volume and volume[0][3] == 1 and float(volume[0][4][0]) == 0.0, critical
    assert any(
        c[0] == "marts.account_daily" and c[1] == "expect_column_pair_values_a_to_be_greater_than_b"
        for c in critical
    ), critical


def test_an_account_whose_extraction_failed_is_missing_and_blocks_the_marts(
    pipeline, warehouse_url, sandbox
):
    """One Facebook page's load fails for a day (the API keeps answering 500): its extract DAG
    run fails, and the transform run for that day fails because the account is missing."""
    day = LAST_DAY + dt.timedelta(days=3)
    account = "104729385610002"
    add_fault(
        sandbox, "server_error", "facebook_pages", count=None, path=account, params={"status": 500}
    )
    try:
        outcome = pipeline.run_day(day, transform=False)
    finally:
        sandbox.state.faults.clear()
    assert outcome.extract["facebook_pages"] == "failed"
    state = pipeline.transform(day, 1)
    run = pipeline.last_transform
    assert state == "failed"
    assert task_states(run)["publish_marts"] == "upstream_failed"
    critical = gate_results(warehouse_url, run.run_id, "critical")
    assert (
        "marts.account_daily",
        "expect_column_distinct_values_to_contain_set",
        "account_key",
        1,
        [f"facebook_pages:{account}"],
    ) in critical, critical
