"""grants_health against the sandbox's OAuth and the real warehouse: a revoked grant is reported
revoked and fails the check naming itself and the connect command, a refresh token 10 days from
its end is `expiring`, a healthy grant is `ok` with its expiries, a missing connection is
`missing`, and the command and the DAG check every grant config/accounts.yml names."""

from __future__ import annotations

import datetime as dt

import psycopg
import pytest
import requests

from social_warehouse import cli
from social_warehouse.config import load_brands
from social_warehouse.connections import env_var_name
from social_warehouse.grants_health import EXPIRING_DAYS, check_grants, failures
from social_warehouse.networks import catalog
from social_warehouse.runner import run_clock
from social_warehouse.sandbox.server import Sandbox

CLOCK = run_clock(dt.date(2026, 11, 20))
ACCOUNTS = {
    network: [a.account_id for b in load_brands() for a in b.accounts if a.network == network]
    for network in catalog.names()
}


@pytest.fixture
def hsb(sb: Sandbox, warehouse_url: str) -> Sandbox:
    sb.state.clock = CLOCK
    return sb


def health_rows(url: str, grant: str) -> list[dict]:
    with psycopg.connect(url) as conn:
        cur = conn.execute(
            "select * from ops.grant_health where grant_id = %s order by checked_day", (grant,)
        )
        return [dict(zip([c.name for c in cur.description], r, strict=True)) for r in cur]


def revoke(sandbox: Sandbox, network: str, grant_id: str) -> None:
    requests.post(
        f"{sandbox.url}/_sandbox/oauth/revoke",
        json={"network": network, "grant": grant_id},
        timeout=10,
    ).raise_for_status()


def test_a_revoked_grant_is_reported_and_fails_the_check_naming_it(hsb, warehouse_url, grant_env):
    accounts = ACCOUNTS["x"][:1]
    grant = grant_env("health_x", "x", accounts)
    healthy = grant_env("health_tiktok", "tiktok", ACCOUNTS["tiktok"][:1])
    revoke(hsb, "x", grant["grant"])
    rows = check_grants(
        url=warehouse_url,
        grants={"health_x": ("x", accounts), "health_tiktok": ("tiktok", ACCOUNTS["tiktok"][:1])},
    )
    by_id = {r.grant_id: r for r in rows}
    assert by_id["health_x"].status == "revoked"
    assert "invalid_request" in by_id["health_x"].message
    assert by_id["health_tiktok"].status == "ok", by_id["health_tiktok"].message
    [line] = failures(rows)
    assert line.startswith(f"grant health_x (x; accounts {accounts[0]}): revoked")
    assert line.endswith("Reconnect it: social-warehouse connect x --grant health_x")
    assert grant["refresh_token"] not in line and healthy["refresh_token"] not in line
    [stored] = health_rows(warehouse_url, "health_x")
    assert (stored["status"], stored["kind"], stored["network"]) == ("revoked", "oauth", "x")
    assert stored["accounts"] == accounts
    assert stored["source"] == f"environment variable {env_var_name('health_x')}"


def test_a_refresh_token_ten_days_from_its_end_is_expiring(hsb, warehouse_url, grant_env):
    accounts = ACCOUNTS["tiktok"][:1]
    grant_env("health_tiktok_old", "tiktok", accounts)
    # 355 days after the consent: the refresh token has 10 of its 365 days left
    hsb.state.clock = CLOCK + dt.timedelta(days=355)
    [row] = check_grants(url=warehouse_url, grants={"health_tiktok_old": ("tiktok", accounts)})
    assert row.status == "expiring", row.message
    left = row.refresh_expires_at - dt.datetime.now(dt.UTC)
    assert dt.timedelta(days=9) < left <= dt.timedelta(days=10)
    assert "in 9 day(s)" in row.message or "in 10 day(s)" in row.message
    [line] = failures([row])
    assert "expiring" in line
    assert line.endswith("social-warehouse connect tiktok --grant health_tiktok_old")
    [stored] = health_rows(warehouse_url, "health_tiktok_old")
    assert stored["status"] == "expiring" and stored["last_refresh"] is not None
    assert stored["refresh_expires_at"] == row.refresh_expires_at


def test_healthy_grants_are_ok_with_their_expiries(hsb, warehouse_url, grant_env):
    youtube = ACCOUNTS["youtube"][:1]
    pages = ACCOUNTS["facebook_pages"][:2]
    grant_env("health_youtube", "youtube", youtube)
    grant_env("health_pages", "facebook_pages", pages)
    rows = {
        r.grant_id: r
        for r in check_grants(
            url=warehouse_url,
            grants={
                "health_youtube": ("youtube", youtube),
                "health_pages": ("facebook_pages", pages),
                "health_nowhere": ("tiktok", ACCOUNTS["tiktok"][:1]),
            },
        )
    }
    assert rows["health_youtube"].status == "ok", rows["health_youtube"].message
    assert rows["health_youtube"].refresh_expires_at is None, "Google sets no end date"
    assert rows["health_youtube"].last_refresh is not None
    assert rows["health_pages"].status == "ok", rows["health_pages"].message
    assert rows["health_pages"].kind == "meta_page_tokens"
    assert "never expires" in rows["health_pages"].message
    assert rows["health_nowhere"].status == "missing"
    assert "social-warehouse connect" in rows["health_nowhere"].message
    assert [line.split(":")[0] for line in failures(list(rows.values()))] == [
        "grant health_nowhere (tiktok; accounts " + ACCOUNTS["tiktok"][0] + ")"
    ]


def test_a_revoked_meta_grant_is_found_by_debug_token(hsb, warehouse_url, grant_env):
    accounts = ACCOUNTS["instagram"][:1]
    grant = grant_env("health_ig", "instagram", accounts)
    revoke(hsb, "instagram", grant["grant"])
    [row] = check_grants(url=warehouse_url, grants={"health_ig": ("instagram", accounts)})
    assert row.status == "revoked" and "debug_token" in row.message


def _forget_stored_connection(conn_id: str) -> None:
    """Earlier tests of the session (the e2e runs) store the demo grants in the tests' Airflow
    metadata database, where the lookup would find this grant after its variable is gone."""
    import os
    from pathlib import Path

    from tests.conftest import _migrated

    conn = os.environ.get("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", "")
    if not conn.startswith("sqlite:///") or not _migrated(Path(conn[len("sqlite:///") :])):
        return
    from airflow.models import Connection
    from airflow.utils.session import create_session
    from sqlalchemy import delete

    with create_session() as session:
        session.execute(delete(Connection).where(Connection.conn_id == conn_id))


def test_the_command_checks_every_configured_grant_and_fails_on_a_missing_one(
    sb, warehouse_url, monkeypatch, capsys
):
    """Every `grant:` of config/accounts.yml (one per brand per network), each an Airflow
    connection (here their AIRFLOW_CONN_* JSON form, as the sandbox consents them): every grant
    is ok; without one of them the command fails naming it and the command that reconnects it."""
    import json

    from social_warehouse.config import load_brands
    from social_warehouse.sandbox.demo_grants import demo_connections

    accounts = [a for b in load_brands() for a in b.accounts]
    connections = demo_connections(sb.url, accounts)
    for grant, connection in connections.items():
        monkeypatch.setenv(env_var_name(grant), json.dumps(connection))
    assert cli.main(["grants-health", "--day", "2026-11-29"]) == 0
    # the command's own lines (Airflow's log lines may share the stream)
    printed = [line for line in capsys.readouterr().out.splitlines() if line.startswith("grant ")]
    assert len(printed) == len(connections) == 18
    assert all(": ok" in line for line in printed), printed
    missing = next(a for a in accounts if a.grant == "tiktok_lumen")
    monkeypatch.delenv(env_var_name("tiktok_lumen"))
    _forget_stored_connection("tiktok_lumen")
    assert cli.main(["grants-health", "--day", "2026-11-30"]) == 1
    errors = [e for e in capsys.readouterr().err.splitlines() if e.startswith("FAIL")]
    assert errors == [
        f"FAIL grant tiktok_lumen (tiktok; accounts {missing.account_id}): missing: "
        + errors[0].split(": missing: ", 1)[1]
    ]
    assert errors[0].endswith("Reconnect it: social-warehouse connect tiktok --grant tiktok_lumen")
    with psycopg.connect(warehouse_url) as conn:
        days = conn.execute(
            "select checked_day, count(*) from ops.grant_health "
            "where checked_day between '2026-11-29' and '2026-11-30' "
            "group by checked_day order by checked_day"
        ).fetchall()
    assert days == [(dt.date(2026, 11, 29), 18), (dt.date(2026, 11, 30), 18)]


def test_the_dag_runs_the_check_daily_after_preparing_the_warehouse():
    from social_warehouse.orchestration.grants_health_dag import build_grants_health_dag

    dag = build_grants_health_dag()
    assert dag.dag_id == "grants_health" and dag.catchup is False
    assert dag.get_task("check_grants").upstream_task_ids == {"prepare_warehouse"}
    assert "0 6 * * *" in dag.timetable.summary
    assert f"{EXPIRING_DAYS} days" in dag.doc_md
