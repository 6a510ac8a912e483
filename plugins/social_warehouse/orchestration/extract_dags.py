"""One extract DAG per network, all from this one definition: prepare the warehouse, list the
network's accounts from config/accounts.yml cut into batches, load each batch as a mapped task in
the network's pool (its accounts a few at once on threads), then publish the network's raw asset
with the day loaded."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import pendulum
from airflow.sdk import DAG, Param, task
from airflow.timetables.trigger import CronTriggerTimetable

from social_warehouse.orchestration.assets import raw_asset
from social_warehouse.orchestration.setup import pool_name

log = logging.getLogger(__name__)

START_DATE = pendulum.datetime(2026, 1, 1, tz="UTC")
DEFAULT_ARGS = {
    "owner": "data-engineering",
    "retries": 2,
    "retry_delay": dt.timedelta(minutes=5),
    "retry_exponential_backoff": True,
}

DOC = """
### Extract {title}

Loads one day of **{title}** for every account configured under `{network}` in
`config/accounts.yml`, in batches: one mapped `load_accounts` task per batch of
`accounts_per_task` accounts ({per_task}; the map index shows the batch's first account and how
many more). Inside a task the accounts load {task_slots} at once on threads, each with its own
client and transactions; the task holds {task_slots} slot(s) of pool `{pool}` (`pool_slots` in
`config/networks.yml`), so the network's accounts loading at once never exceed the pool.

* **Accounts:** the `accounts` param (a list of account ids) loads only those, e.g. to rerun the
  accounts a failed task names; empty = every configured account. An unknown id fails the run.
* **One account failing** fails only that account's loads: the batch's other accounts load, the
  task log ends with a line per account, and the task fails with a message naming each failed
  account and its error (no retry when every failure is a dead grant, a sunset API version or
  a wrong config).

* **Day loaded:** the `day` param when given, else the day before the run's logical date.
* **Window:** account daily metrics for the last `lookback_days` days, posts published in the
  last `post_lookback_days` days and their lifetime metrics (re-read every run so late changes
  settle).
* **Writes:** `raw.{network}__<stream>` (untouched JSON), one transaction per account, stream and
  load day, replacing that load day's rows; a row in `ops.load_manifest` per load; bad records
  in `ops.rejected_records`.
* **Never shrinks silently:** a stream that comes back empty or with under half the records the
  previous load still had in the window (without an API error) is refused and its stored rows
  kept; trigger with `allow_shrink: true` to accept it on purpose (posts really deleted).
* **Publishes:** asset `raw_{network}` with `{{"day": ...}}`, which schedules `transform_social`.
* **Credentials:** Airflow connection `{connection}` (host = API base URL, password = token).
* **When it fails:** the task log names the stream, the API error and what to do (renew the
  token, change the API version, wait for quota). Rerunning a day is always safe.
"""


def build_extract_dag(network: str) -> DAG:
    from social_warehouse.config import load_network_settings
    from social_warehouse.networks import catalog

    spec = catalog.get(network)
    settings = load_network_settings(network)
    asset = raw_asset(network)
    # pool slots one load task holds, and so the accounts it loads at once: every running task
    # holds its slots, so the network's accounts loading at once never exceed the pool
    task_slots = min(settings.pool_slots, settings.accounts_per_task or settings.pool_slots)

    with DAG(
        dag_id=f"extract_{network}",
        description=f"Load one day of {spec.title} into raw.{network}__*",
        schedule=CronTriggerTimetable(settings.schedule, timezone="UTC"),
        start_date=START_DATE,
        catchup=False,
        max_active_runs=1,
        tags=["social-warehouse", "extract", network],
        default_args=DEFAULT_ARGS,
        doc_md=DOC.format(
            title=spec.title,
            network=network,
            pool=pool_name(network),
            connection=settings.connection_id,
            per_task=f"{settings.accounts_per_task} here"
            if settings.accounts_per_task
            else "automatic here: the accounts spread over at most 24 tasks",
            task_slots=task_slots,
        ),
        params={
            "day": Param(
                None,
                type=["null", "string"],
                format="date",
                description="Day to load (YYYY-MM-DD); empty = the day before the run. A day "
                "that has not ended in the network's time zone is refused",
            ),
            "accounts": Param(
                [],
                type="array",
                items={"type": "string"},
                description="Account ids to load (rerun some accounts alone); empty = every "
                "account configured for the network. An id not configured is an error",
            ),
            "allow_shrink": Param(
                False,
                type="boolean",
                description="Write loads that hold far fewer records than the previous load "
                "(posts really deleted). Off: such a load is refused and the stored rows kept",
            ),
        },
    ) as dag:

        @task
        def prepare_warehouse() -> str:
            """Create the database and apply pending migrations (idempotent, locked)."""
            from social_warehouse.warehouse import database
            from social_warehouse.warehouse.migrate import migrate

            database.ensure_database()
            applied = migrate()
            return f"{len(applied)} migration(s) applied"

        @task
        def list_accounts(**context: Any) -> list[list[dict[str, str]]]:
            """The accounts of this network in config/accounts.yml (read at run time, so a new
            account needs no DAG change), limited to the `accounts` param when given, cut into
            batches of `accounts_per_task`: one mapped load task per batch."""
            from airflow.sdk.exceptions import AirflowFailException

            from social_warehouse.batch import account_batches, batch_size, select_accounts
            from social_warehouse.config import accounts_for
            from social_warehouse.errors import ConfigError

            configured = [a.as_dict() for a in accounts_for(network)]
            wanted = (context.get("params") or {}).get("accounts") or []
            try:
                accounts = select_accounts(network, configured, wanted)
            except ConfigError as exc:
                raise AirflowFailException(str(exc)) from exc  # a retry reads the same param
            size = batch_size(len(accounts), settings.accounts_per_task)
            batches = account_batches(accounts, settings.accounts_per_task)
            log.info(
                "%d %s account(s) to load%s in %d task(s) of up to %d: %s",
                len(accounts),
                network,
                f" (of {len(configured)} configured, param accounts)" if wanted else "",
                len(batches),
                size,
                ", ".join(a["account_id"] for a in accounts) or "none",
            )
            return batches

        @task(
            pool=pool_name(network),
            pool_slots=task_slots,
            map_index_template=(
                "{{ task.op_kwargs['batch'][0]['account_id'] }}"
                "{% if task.op_kwargs['batch'] | length > 1 %}"
                " +{{ task.op_kwargs['batch'] | length - 1 }} more{% endif %}"
            ),
        )
        def load_accounts(batch: list[dict[str, str]], **context: Any) -> list[dict[str, Any]]:
            """Load every stream of each account of the batch for the run's day, at most
            `task_slots` accounts at once (the slots this task holds in the network's pool)."""
            from airflow.sdk.exceptions import AirflowFailException

            from social_warehouse.batch import BatchFailedError, load_batch
            from social_warehouse.orchestration.days import day_to_load

            day = day_to_load(context)
            allow_shrink = bool((context.get("params") or {}).get("allow_shrink"))
            log.info(
                "loading %d %s account(s) for %s, up to %d at once: %s",
                len(batch),
                network,
                day,
                min(task_slots, len(batch)),
                ", ".join(a["account_id"] for a in batch),
            )
            outcome = load_batch(
                network,
                batch,
                day,
                workers=task_slots,
                run_id=context["run_id"],
                allow_shrink=allow_shrink,
            )
            log.info(
                "batch summary (%d loaded, %d failed):\n  %s",
                len(outcome.loaded),
                len(outcome.failed),
                "\n  ".join(outcome.summary_lines()),
            )
            if outcome.failed:
                message = outcome.failure_message()
                if outcome.all_permanent:
                    # retrying cannot fix a dead token, a sunset API version or a wrong config
                    raise AirflowFailException(message)
                raise BatchFailedError(message)
            return outcome.loaded

        @task(outlets=[asset])
        def publish(batches: list[list[dict[str, Any]]], **context: Any) -> dict[str, Any]:
            """Tell the transform DAG this network's day has landed."""
            from social_warehouse.orchestration.days import day_to_load

            day = day_to_load(context)
            summaries = [s for batch in batches for s in batch]
            records = sum(s["records"] for s in summaries)
            extra = {
                "network": network,
                "day": day.isoformat(),
                "accounts": len(summaries),
                "records": records,
            }
            context["outlet_events"][asset].extra = extra
            log.info("published %s: %s", asset.name, extra)
            return extra

        ready = prepare_warehouse()
        accounts = list_accounts()
        ready >> accounts
        publish(load_accounts.expand(batch=accounts))
    return dag
