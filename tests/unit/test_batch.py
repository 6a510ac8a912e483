"""Accounts in batches: how a network's accounts are cut into load tasks, which accounts the
`accounts` param selects, and a batch's outcome when some accounts fail (no network, no
database: the load is a stand-in)."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
from pydantic import ValidationError

from social_warehouse.batch import (
    MAX_TASKS,
    account_batches,
    batch_label,
    batch_size,
    load_batch,
    select_accounts,
)
from social_warehouse.config import load_network_settings
from social_warehouse.errors import ApiError, AuthError, ConfigError

DAY = dt.date(2026, 11, 20)


def accounts(n: int) -> list[dict[str, str]]:
    return [{"account_id": f"a{i:04d}", "name": f"A {i}"} for i in range(n)]


@pytest.mark.parametrize(
    ("count", "size"), [(0, 1), (1, 1), (3, 1), (24, 1), (25, 2), (48, 2), (49, 3), (1000, 42)]
)
def test_automatic_batches_fit_the_accounts_in_a_few_dozen_tasks(count, size):
    assert batch_size(count, None) == size
    batches = account_batches(accounts(count), None)
    assert len(batches) <= MAX_TASKS
    assert [a for b in batches for a in b] == accounts(count), "every account once, in order"
    assert all(len(b) == size for b in batches[:-1])


def test_a_configured_batch_size_is_kept():
    batches = account_batches(accounts(5), 2)
    assert [len(b) for b in batches] == [2, 2, 1]
    assert account_batches(accounts(5), 10) == [accounts(5)]
    assert account_batches([], 3) == []


def test_accounts_per_task_is_validated_and_defaults_to_automatic():
    settings = load_network_settings("x")
    assert settings.accounts_per_task is None
    assert settings.with_overrides(accounts_per_task=3).accounts_per_task == 3
    with pytest.raises(ValidationError, match="accounts_per_task"):
        settings.with_overrides(accounts_per_task=0)


def test_the_accounts_param_selects_accounts_and_names_an_unknown_one():
    configured = accounts(4)
    assert select_accounts("x", configured, []) == configured
    assert select_accounts("x", configured, None) == configured
    assert select_accounts("x", configured, ["a0003", "a0001"]) == [configured[1], configured[3]]
    with pytest.raises(ConfigError, match="a0009") as caught:
        select_accounts("x", configured, ["a0001", "a0009"])
    assert "a0001" not in str(caught.value).split("configured:")[0]


def test_a_batch_label_shows_its_first_account_and_how_many_more():
    assert batch_label(accounts(1)) == "a0000"
    assert batch_label(accounts(3)) == "a0000 +2 more"


class Summary:
    def __init__(self, account_id: str) -> None:
        self.account_id = account_id

    def summary(self) -> dict:
        return {"account_id": self.account_id, "records": 7, "rejected": 0}


def test_one_failing_account_leaves_the_others_loaded_and_is_named():
    def load(network, account_id, day, **kwargs):
        if account_id == "a0001":
            raise ApiError("x", "the API answered 500 five times", status=500)
        return Summary(account_id)

    outcome = load_batch("x", accounts(3), DAY, workers=2, load=load)
    assert [s["account_id"] for s in outcome.loaded] == ["a0000", "a0002"]
    assert list(outcome.failed) == ["a0001"]
    assert not outcome.all_permanent, "a 5xx may pass: the task is retried"
    message = outcome.failure_message()
    assert "a0001" in message and "500" in message and "a0000" not in message
    assert "1 of 3" in message
    lines = outcome.summary_lines()
    assert len(lines) == 3 and any(line.startswith("a0001: FAILED") for line in lines)


def test_a_batch_whose_failures_are_all_permanent_is_not_retried():
    def load(network, account_id, day, **kwargs):
        if account_id == "a0002":
            return Summary(account_id)
        if account_id == "a0000":
            raise AuthError("x", f"token of {account_id} revoked", status=401)
        raise ConfigError("no connection")

    outcome = load_batch("x", accounts(3), DAY, workers=3, load=load)
    assert set(outcome.failed) == {"a0000", "a0001"}
    assert outcome.all_permanent


def test_a_batch_never_loads_more_accounts_at_once_than_its_workers():
    lock = threading.Lock()
    running = peak = 0
    seen_grants = []

    def load(network, account_id, day, *, grant_name=None, **kwargs):
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
            seen_grants.append(grant_name)
        time.sleep(0.05)
        with lock:
            running -= 1
        return Summary(account_id)

    batch = [dict(a, grant=f"g{i}") for i, a in enumerate(accounts(7))]
    outcome = load_batch("x", batch, DAY, workers=3, load=load)
    assert len(outcome.loaded) == 7 and not outcome.failed
    assert peak == 3 and outcome.peak_concurrency == 3
    assert sorted(seen_grants) == [f"g{i}" for i in range(7)], "each account's own grant"
    assert load_batch("x", batch[:1], DAY, workers=3, load=load).peak_concurrency == 1
