"""Grants that refresh themselves, end to end: a grant is an Airflow connection pointing at the
sandbox (its environment form, AIRFLOW_CONN_<GRANT>), an account is loaded with it into the real
warehouse, and the sandbox's OAuth decides: tokens expire on its clock and are refreshed, X's
rotated refresh token is persisted (encrypted) in ops.grant_tokens and the old one refused, two
tasks sharing a grant refresh it once, and a revoked grant fails naming itself and the command
that reconnects it. No token may reach a log, the manifest or the token store in clear."""

from __future__ import annotations

import datetime as dt
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import psycopg
import pytest
import requests

from social_warehouse.config import load_brands
from social_warehouse.errors import AuthError, SocialWarehouseError
from social_warehouse.extract import LoadFailedError, run_account_load
from social_warehouse.grants import _decrypt
from social_warehouse.runner import run_clock
from social_warehouse.sandbox.server import Sandbox
from tests.helpers import add_fault, fast_settings

DAY = dt.date(2026, 11, 20)
CLOCK = run_clock(DAY)
ACCOUNTS = {
    network: [a.account_id for b in load_brands() for a in b.accounts if a.network == network]
    for network in ("facebook_pages", "instagram", "x", "linkedin", "youtube", "tiktok")
}
LIFETIME = {
    "x": dt.timedelta(hours=2),
    "linkedin": dt.timedelta(days=60),
    "youtube": dt.timedelta(seconds=3599),
    "tiktok": dt.timedelta(hours=24),
}


@pytest.fixture
def gsb(sb: Sandbox, warehouse_url: str) -> Sandbox:
    sb.state.clock = CLOCK
    return sb


def load(network: str, account: str, grant: str, url: str, run: str = "a") -> Any:
    return run_account_load(
        network,
        account,
        DAY,
        url=url,
        run_id=f"grants_{grant}_{run}",
        settings=fast_settings(network),
        grant_name=grant,
        allow_shrink=True,
    )


def sandbox_stats(sandbox: Sandbox, grant_id: str) -> dict[str, Any]:
    rows = requests.get(f"{sandbox.url}/_sandbox/oauth/stats", timeout=10).json()["grants"]
    return next(r for r in rows if r["grant"] == grant_id)


def token_row(url: str, grant: str) -> dict[str, Any]:
    with psycopg.connect(url) as conn:
        cur = conn.execute(
            "select access_token, access_expires_at, refresh_token, refresh_expires_at, "
            "refresh_count, refreshed_at, last_error from ops.grant_tokens where grant_id = %s",
            (grant,),
        )
        row = cur.fetchone()
        assert row is not None, f"no ops.grant_tokens row for {grant}"
        return dict(zip([c.name for c in cur.description], row, strict=True))


def stored_text(url: str) -> str:
    """Everything a grant could have left in the warehouse, as one string."""
    with psycopg.connect(url) as conn:
        tokens = conn.execute("select t::text from ops.grant_tokens t").fetchall()
        manifest = conn.execute("select m::text from ops.load_manifest m").fetchall()
    return "\n".join(r[0] for r in tokens + manifest)


def sandbox_refresh(sandbox: Sandbox, client: dict[str, str], refresh_token: str) -> Any:
    return requests.post(
        f"{sandbox.base_url('x')}/2/oauth2/token",
        data={"grant_type": "refresh_token", "refresh_token": refresh_token},
        auth=(client["client_id"], client["client_secret"]),
        timeout=10,
    )


@pytest.mark.parametrize("network", sorted(LIFETIME))
def test_the_access_token_refreshes_when_the_sandbox_clock_passes_its_expiry(
    gsb, warehouse_url, grant_env, network
):
    name = f"expiry_{network}"
    account = ACCOUNTS[network][0]
    grant = grant_env(name, network, [account])
    assert load(network, account, name, warehouse_url).records > 0
    # the connection holds the refresh token only: the first call refreshed once
    assert sandbox_stats(gsb, grant["grant"])["refreshes"] == 1
    first = token_row(warehouse_url, name)
    assert first["refresh_count"] == 1 and first["access_expires_at"] is not None
    gsb.state.clock = CLOCK + LIFETIME[network] + dt.timedelta(minutes=1)
    assert load(network, account, name, warehouse_url, run="b").records > 0
    stats = sandbox_stats(gsb, grant["grant"])
    # the stored token was still fresh by the worker's clock: the API refused it once, the
    # client refreshed and retried, and every other call of the load used the new token
    assert (stats["refreshes"], stats["rejected_api_calls"]) == (2, 1)
    assert token_row(warehouse_url, name)["refresh_count"] == 2


def test_x_rotated_refresh_token_is_persisted_encrypted_and_the_old_one_refused(
    gsb, warehouse_url, grant_env, caplog
):
    caplog.set_level(logging.DEBUG)
    account = ACCOUNTS["x"][0]
    grant = grant_env("x_rotation", "x", [account])
    seed = grant["refresh_token"]
    load("x", account, "x_rotation", warehouse_url)
    row = token_row(warehouse_url, "x_rotation")
    rotated = _decrypt(row["refresh_token"])
    assert rotated and rotated != seed, "the rotated refresh token is what the store holds"
    refused = sandbox_refresh(gsb, grant["client"], seed)
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_request"
    gsb.state.clock = CLOCK + dt.timedelta(hours=3)
    load("x", account, "x_rotation", warehouse_url, run="b")
    again = _decrypt(token_row(warehouse_url, "x_rotation")["refresh_token"])
    assert again not in (seed, rotated), "the second refresh used and replaced the stored one"
    stats = sandbox_stats(gsb, grant["grant"])
    assert (stats["refreshes"], stats["rejected_reuses"]) == (2, 1), "only our own reuse failed"
    access = _decrypt(token_row(warehouse_url, "x_rotation")["access_token"])
    secrets_used = [seed, rotated, again, access, grant["client"]["client_secret"]]
    stored = stored_text(warehouse_url)
    assert not [s for s in secrets_used if s in stored], "tokens are stored encrypted only"
    assert not [s for s in secrets_used if s in caplog.text], "no token reaches a log line"


def test_two_tasks_sharing_a_grant_refresh_it_once(gsb, warehouse_url, grant_env):
    channels = ACCOUNTS["youtube"][:2]
    grant = grant_env("youtube_shared", "youtube", channels)
    # a slow token endpoint holds the first refresh open while the other task asks too
    add_fault(gsb, "slow", "youtube", count=None, path="^/token", params={"seconds": 0.5})
    barrier = threading.Barrier(2)

    def task(channel: str, run: str) -> int:
        barrier.wait()
        return load("youtube", channel, "youtube_shared", warehouse_url, run=run).records

    for round_, clock in enumerate((CLOCK, CLOCK + dt.timedelta(hours=2))):
        gsb.state.clock = clock
        with ThreadPoolExecutor(2) as pool:
            records = list(pool.map(task, channels, [f"r{round_}{c[-2:]}" for c in channels]))
        assert all(r > 0 for r in records)
        stats = sandbox_stats(gsb, grant["grant"])
        assert stats["refreshes"] == round_ + 1, f"round {round_}: one refresh for two tasks"
    assert token_row(warehouse_url, "youtube_shared")["refresh_count"] == 2


@pytest.mark.parametrize(("network", "name"), [("x", "x_gone"), ("facebook_pages", "fb_gone")])
def test_a_revoked_grant_fails_naming_the_grant_and_the_connect_command(
    gsb, warehouse_url, grant_env, network, name
):
    account = ACCOUNTS[network][0]
    grant = grant_env(name, network, [account])
    load(network, account, name, warehouse_url)
    requests.post(
        f"{gsb.url}/_sandbox/oauth/revoke",
        json={"network": network, "grant": grant["grant"]},
        timeout=10,
    ).raise_for_status()
    with pytest.raises(AuthError) as failure:
        load(network, account, name, warehouse_url, run="b")
    message = str(failure.value)
    assert f"social-warehouse connect {network} --grant {name}" in message
    assert f"AIRFLOW_CONN_{name.upper()}" in message, "it says where the grant was found"
    secret = grant.get("refresh_token") or grant["page_tokens"][account]
    assert secret not in message
    if network == "x":
        assert "refused by the token endpoint" in message
        assert "invalid_request" in (token_row(warehouse_url, name)["last_error"] or "")
    with psycopg.connect(warehouse_url) as conn:
        error = conn.execute(
            "select error from ops.load_manifest where run_id = %s and status = 'failed'",
            (f"grants_{name}_b",),
        ).fetchone()
    assert error and name in error[0]


def test_a_grant_reads_only_its_owners_accounts(gsb, warehouse_url, grant_env):
    mine, other = ACCOUNTS["linkedin"][:2]
    grant_env("linkedin_one", "linkedin", [mine])
    assert load("linkedin", mine, "linkedin_one", warehouse_url).records > 0
    with pytest.raises(LoadFailedError) as failure:
        load("linkedin", other, "linkedin_one", warehouse_url)
    assert "ACCESS_DENIED" in str(failure.value) and "ADMINISTRATOR" in str(failure.value)


def test_a_grant_without_a_connection_says_how_to_create_it(gsb, warehouse_url):
    with pytest.raises(SocialWarehouseError) as failure:
        load("x", ACCOUNTS["x"][0], "x_never_connected", warehouse_url)
    assert "social-warehouse connect <network> --grant x_never_connected" in str(failure.value)
