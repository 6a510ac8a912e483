"""End to end through Airflow: every network's extract DAG runs with dag.test() for three
consecutive days against the real warehouse and the sandbox, then one transform run (as the
asset trigger does after a backlog) builds the marts and gates them. The marts must equal the
sandbox's ground truth exactly; the gate must stop a broken day and let a day with only
warnings through; the BI role must see the marts and nothing else."""

from __future__ import annotations

import datetime as dt
import json

import psycopg
import pytest
import requests

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


# --- issue 10: one OAuth grant per brand per network, refreshing itself -------------------------
REFRESHING = {"x", "youtube", "tiktok", "linkedin"}  # Meta grants hold Page tokens that last


def airflow_connection(conn_id: str):
    from airflow.models import Connection
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        conn = session.scalar(select(Connection).where(Connection.conn_id == conn_id))
        session.expunge(conn)
        return conn


def grant_rows(url: str) -> dict[str, tuple]:
    from social_warehouse.grants import _decrypt

    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "select grant_id, network, refresh_count, refresh_token from ops.grant_tokens"
        ).fetchall()
    return {g: (n, count, _decrypt(token)) for g, n, count, token in rows}


def test_every_load_read_with_its_own_grant_and_the_tokens_refreshed_themselves(
    pipeline, warehouse_url, sandbox
):
    """18 grants (one per brand per network) over three sandbox days with each network's real
    token lifetimes: every load succeeded, every refreshing grant refreshed by itself, and the
    refresh tokens X and TikTok rotated were stored (the spent ones are refused)."""
    from social_warehouse.connector.auth import GrantRevokedError, token_request
    from social_warehouse.networks import catalog

    assert len(pipeline.grants) == 18
    with psycopg.connect(warehouse_url) as conn:
        # the DAG runs' loads (other tests of the session load other accounts on these days)
        statuses = conn.execute(
            "select distinct status from ops.load_manifest "
            "where load_date = any(%s) and run_id like 'manual\\_\\_%%'",
            (DAYS,),
        ).fetchall()
    assert statuses == [("success",)]
    # this pipeline's grants (other tests of the session store grants of their own)
    rows = {g: row for g, row in grant_rows(warehouse_url).items() if g in pipeline.grants}
    refreshing = [g for g in pipeline.grants if g.split("_")[0] in REFRESHING]
    assert set(rows) == set(refreshing), "Meta Page tokens never needed a refresh"
    for grant in refreshing:
        network, count, stored_refresh = rows[grant]
        minimum = 1 if network == "linkedin" else len(DAYS) - 1  # 60 days vs 1-24 hours
        assert count >= minimum, (grant, count)
        connection = airflow_connection(grant)
        seed = connection.extra_dejson["refresh_token"]
        lifecycle = catalog.get(network).token_lifecycle
        if network in ("x", "tiktok"):
            assert stored_refresh != seed, f"{grant}: the rotated refresh token was persisted"
            with pytest.raises(GrantRevokedError):
                token_request(
                    lifecycle,
                    network=network,
                    grant=grant,
                    url=connection.extra_dejson.get("refresh_url")
                    or connection.extra_dejson["token_url"],
                    client_id=connection.login,
                    client_secret=connection.password,
                    params={"grant_type": "refresh_token", "refresh_token": seed},
                )
    refreshes = sum(g.refreshes for g in sandbox.state.oauth.grants.values())
    assert refreshes >= sum(rows[g][1] for g in refreshing)


def test_no_token_or_client_secret_appears_in_any_log_table_or_file(
    pipeline, warehouse_url, sandbox, tmp_path
):
    import subprocess
    from pathlib import Path

    from social_warehouse import paths

    secrets = {t for t in sandbox.state.oauth.tokens if len(t) >= 12}
    secrets |= {c.client_secret for c in sandbox.state.oauth.clients.values()}
    assert len(secrets) > 50
    dump = tmp_path / "warehouse.sql"
    subprocess.run(["pg_dump", "--data-only", "-f", str(dump), warehouse_url], check=True)
    texts = {"warehouse dump": dump.read_text(errors="ignore")}
    for path in Path(paths.run_dir()).rglob("*"):
        if path.is_file() and path.stat().st_size < 20_000_000 and path.suffix != ".db":
            texts[str(path)] = path.read_text(errors="ignore")
    leaks = sorted({where for where, text in texts.items() for s in secrets if s in text})
    assert leaks == [], leaks


def test_an_edit_of_a_grant_in_the_connections_takes_effect_on_the_next_task(
    pipeline, warehouse_url
):
    """What Admin > Connections does: change the connection's row in the metadata database.
    The next task reads the grant as edited, without a restart."""
    from airflow.models import Connection
    from airflow.utils.session import create_session
    from sqlalchemy import select

    grant = "youtube_harbor"
    day = LAST_DAY + dt.timedelta(days=4)

    def edit(refresh_token: str) -> None:
        with create_session() as session:
            conn = session.scalar(select(Connection).where(Connection.conn_id == grant))
            extra = conn.extra_dejson
            conn.set_extra(json.dumps({**extra, "refresh_token": refresh_token}))

    original = airflow_connection(grant).extra_dejson["refresh_token"]
    edit("not-a-refresh-token")
    try:
        run = pipeline.dags["extract_youtube"].test(
            logical_date=run_clock(day), run_conf={"day": day.isoformat()}
        )
    finally:
        edit(original)
    assert str(run.state) == "failed"
    with psycopg.connect(warehouse_url) as conn:
        failed = conn.execute(
            """select distinct account_id, error from ops.load_manifest
               where network = 'youtube' and load_date = %s and status = 'failed'""",
            (day,),
        ).fetchall()
    assert len(failed) == 1 and grant in failed[0][1]
    again = pipeline.dags["extract_youtube"].test(
        logical_date=run_clock(day), run_conf={"day": day.isoformat()}
    )
    assert str(again.state) == "success"


def test_a_revoked_grant_fails_only_its_accounts_and_grants_health_names_it(
    pipeline, warehouse_url, sandbox
):
    from social_warehouse.config import load_brands
    from social_warehouse.grants_health import check_grants, failures
    from social_warehouse.sandbox.demo_grants import demo_connections, store

    accounts = {a.grant: a for b in load_brands() for a in b.accounts}
    lumen = accounts["x_lumen"]
    sandbox_grant = next(
        g
        for g in sandbox.state.oauth.grants.values()
        if g.network == "x" and list(g.accounts) == [lumen.account_id] and g.revoked_at is None
    )
    answer = requests.post(
        f"{sandbox.url}/_sandbox/oauth/revoke",
        json={"network": "x", "grant": sandbox_grant.grant_id},
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    day = LAST_DAY + dt.timedelta(days=5)
    sandbox.state.clock = run_clock(day)
    try:
        run = pipeline.dags["extract_x"].test(
            logical_date=run_clock(day), run_conf={"day": day.isoformat()}
        )
        assert str(run.state) == "failed"
        with psycopg.connect(warehouse_url) as conn:
            by_account = dict(
                conn.execute(
                    """select account_id, string_agg(distinct status, ',') from ops.load_manifest
                       where network = 'x' and load_date = %s group by account_id""",
                    (day,),
                ).fetchall()
            )
            error = conn.execute(
                """select error from ops.load_manifest where network = 'x' and load_date = %s
                   and account_id = %s and status = 'failed' limit 1""",
                (day, lumen.account_id),
            ).fetchone()[0]
        assert by_account.pop(lumen.account_id) == "failed"
        assert set(by_account.values()) == {"success"} and len(by_account) == 2
        assert "x_lumen" in error and "social-warehouse connect x --grant x_lumen" in error
        rows = check_grants(day, url=warehouse_url)
        health = {r.grant_id: r.status for r in rows}
        assert health["x_lumen"] == "revoked"
        assert [line for line in failures(rows) if "x_lumen" in line]
        assert "connect x --grant x_lumen" in " ".join(failures(rows))
    finally:
        # the owner reconnects: a new consent stored over the revoked grant
        store(demo_connections(sandbox.url, [lumen]))
        sandbox.state.clock = None
