"""The extract DAGs' batches for real: list_accounts honours the `accounts` param, and a
load_accounts task whose batch holds a failing account (no grant, an API that keeps failing)
loads the others and fails naming it; the accounts of a batch load at most `workers` at once.
The tasks' callables run in-process against the sandbox and the test warehouse."""

from __future__ import annotations

import datetime as dt
import threading
import uuid

import psycopg
import pytest

from social_warehouse.batch import BatchFailedError, load_batch
from social_warehouse.config import accounts_for
from social_warehouse.extract import run_account_load
from tests.helpers import add_fault, fast_settings, sandbox_connection

DAY = dt.date(2026, 11, 20)
CLOCK = dt.datetime(2026, 11, 21, 12, tzinfo=dt.UTC)


def x_account() -> str:
    return "9" + str(uuid.uuid4().int % 10**14).zfill(14)


def callable_of(dagbag, network: str, task_id: str):
    return dagbag.dags[f"extract_{network}"].get_task(task_id).python_callable


def manifest(url: str, run_id: str) -> dict[str, set[str]]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "select account_id, status from ops.load_manifest where run_id = %s", (run_id,)
        ).fetchall()
    out: dict[str, set[str]] = {}
    for account_id, status in rows:
        out.setdefault(account_id, set()).add(status)
    return out


def test_the_accounts_param_limits_the_load_to_the_given_accounts(dagbag):
    list_accounts = callable_of(dagbag, "x", "list_accounts")
    configured = [a.account_id for a in accounts_for("x")]
    assert len(configured) >= 2
    everything = list_accounts(params={"accounts": []})
    assert [a["account_id"] for b in everything for a in b] == configured
    assert len(everything) == len(configured), "a few accounts: one per task (ceil(n / 24))"
    only = list_accounts(params={"accounts": [configured[1]]})
    assert only == [[a.as_dict() for a in accounts_for("x") if a.account_id == configured[1]]]
    from airflow.sdk.exceptions import AirflowFailException

    with pytest.raises(AirflowFailException, match="12345"):  # a typo is not retried
        list_accounts(params={"accounts": [configured[0], "12345"]})


@pytest.fixture
def x_task(dagbag, sb, monkeypatch, warehouse_url):
    """The x load_accounts callable, with retries in milliseconds; returns (run, run_id)."""
    import social_warehouse.extract as extract

    monkeypatch.setattr(extract, "load_network_settings", lambda network: fast_settings(network))
    sb.state.clock = CLOCK
    task = callable_of(dagbag, "x", "load_accounts")
    run_id = f"batch-test-{uuid.uuid4().hex[:8]}"

    def run(batch):
        return task(batch, run_id=run_id, params={"day": DAY.isoformat(), "allow_shrink": False})

    return run, run_id


def test_an_account_without_its_grant_fails_alone_and_is_named(x_task, grant_env, warehouse_url):
    from airflow.sdk.exceptions import AirflowFailException

    run, run_id = x_task
    good, bad = x_account(), x_account()
    grant_env("x_batch_ok", "x", [good])
    batch = [
        {"account_id": good, "name": "good", "grant": "x_batch_ok"},
        {"account_id": bad, "name": "bad", "grant": "x_batch_missing"},
    ]
    with pytest.raises(AirflowFailException) as caught:
        run(batch)
    message = str(caught.value)
    assert bad in message and "x_batch_missing" in message and "1 of 2" in message
    assert good not in message.split("accounts=")[0].replace(f"{bad}", "")
    assert manifest(warehouse_url, run_id) == {good: {"success"}}


def test_an_account_whose_api_keeps_failing_fails_alone_and_is_retried(
    x_task, grant_env, sb, warehouse_url
):
    run, run_id = x_task
    good, bad = x_account(), x_account()
    grant_env("x_batch_good", "x", [good])
    grant_env("x_batch_bad", "x", [bad])
    batch = [
        {"account_id": bad, "name": "bad", "grant": "x_batch_bad"},
        {"account_id": good, "name": "good", "grant": "x_batch_good"},
    ]
    add_fault(sb, "server_error", "x", count=None, path=bad, params={"status": 500})
    with pytest.raises(BatchFailedError) as caught:  # not AirflowFailException: retried
        run(batch)
    assert bad in str(caught.value) and "500" in str(caught.value)
    seen = manifest(warehouse_url, run_id)
    assert seen[good] == {"success"}
    assert "failed" in seen[bad]


def test_a_batch_loads_at_most_its_workers_at_once(sb, warehouse_url):
    """Slow API answers keep every load open long enough to overlap: the peak is the cap."""
    sb.state.clock = CLOCK
    add_fault(sb, "slow", "x", count=None, params={"seconds": 0.1})
    lock = threading.Lock()
    running = peak = 0

    def counted(*args, **kwargs):
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        try:
            return run_account_load(*args, **kwargs)
        finally:
            with lock:
                running -= 1

    batch = [{"account_id": x_account(), "name": "n"} for _ in range(4)]
    outcome = load_batch(
        "x",
        batch,
        DAY,
        workers=2,
        load=counted,
        url=warehouse_url,
        run_id=f"batch-test-{uuid.uuid4().hex[:8]}",
        connection=sandbox_connection(sb, "x"),
        settings=fast_settings("x"),
    )
    assert not outcome.failed, outcome.failed
    assert len(outcome.loaded) == 4
    assert peak == 2
