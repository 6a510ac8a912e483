"""Accounts loaded in batches: one Airflow task loads several accounts of a network, a few at
once on threads, each account's load independent of the others (its own client, its own
transactions, as `run_account_load` does for one account). One account failing fails only that
account's loads; the batch reports every account's outcome."""

from __future__ import annotations

import datetime as dt
import logging
import math
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from social_warehouse.errors import ApiVersionError, AuthError, ConfigError, SocialWarehouseError

log = logging.getLogger(__name__)

# With `accounts_per_task` left empty a network's accounts are spread over at most this many
# mapped tasks: Airflow's cost (a task start, a log, a row per try) stays per batch, not per
# account, while a batch stays small enough to rerun.
MAX_TASKS = 24

# An account failing with one of these fails the same way on a retry (a dead grant, a sunset
# API version, a wrong config): a batch whose failures are all of these is not worth retrying.
PERMANENT = (AuthError, ApiVersionError, ConfigError)


def batch_size(accounts: int, accounts_per_task: int | None) -> int:
    """Accounts per task: `accounts_per_task` when set, else enough that `accounts` fit in at
    most MAX_TASKS tasks (at least one)."""
    if accounts_per_task is not None:
        if accounts_per_task < 1:
            raise ConfigError(f"accounts_per_task must be at least 1, got {accounts_per_task}")
        return accounts_per_task
    return max(1, math.ceil(accounts / MAX_TASKS))


def account_batches(
    accounts: Sequence[dict[str, Any]], accounts_per_task: int | None
) -> list[list[dict[str, Any]]]:
    """The accounts cut into consecutive batches of `batch_size` (the last one may be short)."""
    size = batch_size(len(accounts), accounts_per_task)
    return [list(accounts[i : i + size]) for i in range(0, len(accounts), size)]


def select_accounts(
    network: str, accounts: Sequence[dict[str, Any]], wanted: Sequence[str] | None
) -> list[dict[str, Any]]:
    """The configured accounts whose id is in `wanted` (empty or None: all of them). An id that
    is not configured for the network is an error naming it: a typo must not load nothing."""
    if not wanted:
        return list(accounts)
    wanted_ids = [str(w).strip() for w in wanted]
    known = {a["account_id"] for a in accounts}
    unknown = [w for w in wanted_ids if w not in known]
    if unknown:
        raise ConfigError(
            f"account(s) {', '.join(unknown)} not configured for {network} in "
            f"config/accounts.yml (configured: {', '.join(sorted(known)) or 'none'})"
        )
    chosen = set(wanted_ids)
    return [a for a in accounts if a["account_id"] in chosen]


def batch_label(batch: Sequence[dict[str, Any]]) -> str:
    """How a batch shows in the Airflow UI: its first account and how many there are."""
    if not batch:
        return "no accounts"
    first = batch[0]["account_id"]
    return first if len(batch) == 1 else f"{first} +{len(batch) - 1} more"


@dataclass
class BatchOutcome:
    network: str
    day: dt.date
    loaded: list[dict[str, Any]] = field(default_factory=list)
    failed: dict[str, BaseException] = field(default_factory=dict)
    peak_concurrency: int = 0

    @property
    def all_permanent(self) -> bool:
        return bool(self.failed) and all(isinstance(e, PERMANENT) for e in self.failed.values())

    def summary_lines(self) -> list[str]:
        lines = [
            f"{s['account_id']}: ok, {s['records']} records, {s['rejected']} rejected"
            + (", quota stopped" if s.get("quota_stopped") else "")
            for s in self.loaded
        ]
        lines += [
            f"{account}: FAILED ({type(exc).__name__}) {exc}"
            for account, exc in self.failed.items()
        ]
        return lines

    def failure_message(self) -> str:
        return (
            f"{self.network} {self.day}: {len(self.failed)} of "
            f"{len(self.failed) + len(self.loaded)} account(s) failed, the others loaded: "
            + " || ".join(f"{a}: {e}" for a, e in self.failed.items())
            + ". Rerun only these with the DAG param accounts="
            + str(sorted(self.failed))
        )


def load_batch(
    network: str,
    batch: Sequence[dict[str, Any]],
    day: dt.date,
    *,
    workers: int,
    load: Callable[..., Any] | None = None,
    **load_kwargs: Any,
) -> BatchOutcome:
    """Load every account of `batch` with at most `workers` at once. `load` is
    `run_account_load` (its keyword arguments pass through); each account gets its own call, so
    its own client and transactions. Never raises for one account's failure: the outcome holds
    each account's summary or exception, in the batch's order."""
    if load is None:
        from social_warehouse.extract import run_account_load

        load = run_account_load
    outcome = BatchOutcome(network, day)
    lock = threading.Lock()
    running = 0

    def one(account: dict[str, Any]) -> Any:
        nonlocal running
        with lock:
            running += 1
            outcome.peak_concurrency = max(outcome.peak_concurrency, running)
        try:
            log.info(
                "loading %s account %s (%s) for %s",
                network,
                account["account_id"],
                account.get("name", ""),
                day,
            )
            return load(
                network, account["account_id"], day, grant_name=account.get("grant"), **load_kwargs
            )
        finally:
            with lock:
                running -= 1

    workers = max(1, min(workers, len(batch) or 1))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix=f"load-{network}") as pool:
        futures = [(a["account_id"], pool.submit(one, a)) for a in batch]
        for account_id, future in futures:
            try:
                result = future.result()
            except Exception as exc:  # one account's failure is that account's alone
                log.error("%s/%s failed: %s", network, account_id, exc)
                outcome.failed[account_id] = exc
                continue
            summary = result.summary() if hasattr(result, "summary") else dict(result)
            outcome.loaded.append(summary)
    return outcome


class BatchFailedError(SocialWarehouseError):
    """Some accounts of a batch failed (the others loaded); the message names each one."""
