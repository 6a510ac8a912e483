"""Is the day's extract round over? Asked by the transform's daily fallback run (18:00 UTC, for
the day before) before dbt runs, so that it neither races the extracts nor waits for extracts
that will never come:

- every configured account x stream has a finished load for the day -> go;
- some of those loads are running -> wait (a first unpause starts the extracts and the fallback
  at the same moment);
- nothing is running but loads are missing:
  - an on-time fallback run goes on: the extracts (12:00 UTC) had their whole window, and the
    quality gate reports every table that has no rows for the day, by name;
  - a catch-up fallback run (created at unpause for a cron point long past) skips dbt and the
    gate when no extract has loaded the day at all: before the first extract round there is
    nothing to gate, and the asset-triggered run follows the extracts; it waits while the round
    is under way (some loads finished, the next accounts not started yet).

Asset-triggered runs and runs given a `day` (the UI, `make run`, the tests' dag.test()) never
wait: see `is_fallback_run`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Literal

import psycopg

# a load still 'running' after this was killed (a later load of the account marks it abandoned);
# the longest honest load is its rate-limit budget (max_wait_seconds, ~16 min) plus its pages
STALE_RUNNING = dt.timedelta(hours=2)
# a scheduled run started later than this after its cron point was created at unpause
CATCH_UP_AFTER = dt.timedelta(hours=1)
SHOWN = 5  # loads named in a message; the rest are counted


@dataclass(frozen=True)
class ExtractRound:
    """Where the loads of one day stand: `network/account/stream` of each not finished one."""

    day: dt.date
    expected: int
    finished: int
    running: list[str]
    missing: list[str]

    @property
    def complete(self) -> bool:
        return not self.running and not self.missing

    @property
    def started(self) -> bool:
        return self.finished > 0 or bool(self.running)


@dataclass(frozen=True)
class Decision:
    action: Literal["go", "wait", "skip"]
    reason: str


def expected_loads(networks: list[str] | None = None) -> list[tuple[str, str, str]]:
    """(network, account_id, stream) of every load an extract round makes: each configured
    account loads every stream of its network."""
    from social_warehouse.config import load_brands
    from social_warehouse.networks import catalog

    loads = []
    for brand in load_brands():
        for account in brand.accounts:
            if networks is None or account.network in networks:
                for stream in catalog.get(account.network).stream_names:
                    loads.append((account.network, account.account_id, stream))
    return sorted(set(loads))


def extract_round(
    conn: psycopg.Connection, day: dt.date, expected: list[tuple[str, str, str]]
) -> ExtractRound:
    """The latest load of each expected account x stream for `day` in ops.load_manifest (one
    index lookup each): finished (any status but running), running, or missing."""
    rows = conn.execute(
        """
        select e.network, e.account_id, e.stream, latest.status,
               latest.status = 'running' and latest.started_at > now() - %(stale)s as live
        from unnest(%(networks)s::text[], %(accounts)s::text[], %(streams)s::text[])
            as e(network, account_id, stream)
        left join lateral (
            select m.status, m.started_at from ops.load_manifest as m
            where m.network = e.network and m.account_id = e.account_id
              and m.stream = e.stream and m.load_date = %(day)s
            order by m.load_id desc
            limit 1
        ) as latest on true
        order by 1, 2, 3
        """,
        {
            "networks": [e[0] for e in expected],
            "accounts": [e[1] for e in expected],
            "streams": [e[2] for e in expected],
            "day": day,
            "stale": STALE_RUNNING,
        },
    ).fetchall()
    running = [f"{n}/{a}/{s}" for n, a, s, status, live in rows if live]
    missing = [f"{n}/{a}/{s}" for n, a, s, status, _ in rows if status is None]
    return ExtractRound(day, len(rows), len(rows) - len(running) - len(missing), running, missing)


def _some(loads: list[str]) -> str:
    more = f" and {len(loads) - SHOWN} more" if len(loads) > SHOWN else ""
    return ", ".join(loads[:SHOWN]) + more


def fallback_decision(state: ExtractRound, catch_up: bool) -> Decision:
    """What the fallback run does now (see the module's docstring)."""
    day = state.day
    if state.complete:
        return Decision("go", f"all {state.expected} extract loads for {day} have finished")
    if state.running:
        return Decision(
            "wait",
            f"{len(state.running)} extract load(s) for {day} still running: {_some(state.running)}",
        )
    if not catch_up:
        return Decision(
            "go",
            f"{len(state.missing)} of {state.expected} extract loads for {day} never started "
            f"({_some(state.missing)}): the quality gate reports the tables they leave empty",
        )
    if not state.started:
        return Decision(
            "skip",
            f"no extract has loaded {day} yet: a catch-up fallback run before the day's extract "
            "round has nothing to gate; the asset-triggered run follows the extracts",
        )
    return Decision(
        "wait",
        f"the extract round for {day} is under way: {state.finished} of {state.expected} loads "
        f"finished, not started yet: {_some(state.missing)}",
    )


def is_fallback_run(context: dict[str, Any]) -> bool:
    """A run of the daily cron fallback: scheduled, no `day` param, no triggering assets."""
    from social_warehouse.orchestration.days import days_from_asset_events

    if (context.get("params") or {}).get("day"):
        return False
    run_type = getattr(context.get("dag_run"), "run_type", None)
    if getattr(run_type, "value", run_type) != "scheduled":
        return False
    return not days_from_asset_events(context)


def is_catch_up(context: dict[str, Any]) -> bool:
    """Created at unpause for a cron point long past, rather than at its time."""
    dag_run = context["dag_run"]
    started = dag_run.start_date or dt.datetime.now(dt.UTC)
    return started - dag_run.run_after > CATCH_UP_AFTER
