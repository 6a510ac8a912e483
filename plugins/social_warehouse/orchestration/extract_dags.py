"""One extract DAG per network, all from this one definition: prepare the warehouse, list the
network's accounts from config/accounts.yml, load each account as a mapped task in the network's
pool, then publish the network's raw asset with the day loaded."""

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
`config/accounts.yml`, one mapped task per account, at most `pool_slots` at once (pool
`{pool}`, sized in `config/networks.yml`).

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
        ),
        params={
            "day": Param(
                None,
                type=["null", "string"],
                format="date",
                description="Day to load (YYYY-MM-DD); empty = the day before the run. A day "
                "that has not ended in the network's time zone is refused",
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
        def list_accounts() -> list[dict[str, str]]:
            """The accounts of this network in config/accounts.yml (read at run time, so a new
            account needs no DAG change)."""
            from social_warehouse.config import accounts_for

            accounts = [a.as_dict() for a in accounts_for(network)]
            log.info(
                "%d %s account(s) configured: %s",
                len(accounts),
                network,
                ", ".join(a["account_id"] for a in accounts) or "none",
            )
            return accounts

        @task(
            pool=pool_name(network),
            map_index_template="{{ task.op_kwargs['account']['account_id'] }}",
        )
        def load_account(account: dict[str, str], **context: Any) -> dict[str, Any]:
            """Load every stream of one account for the run's day."""
            from airflow.sdk.exceptions import AirflowFailException

            from social_warehouse.errors import ApiVersionError, AuthError, ConfigError
            from social_warehouse.extract import run_account_load
            from social_warehouse.orchestration.days import day_to_load

            day = day_to_load(context)
            run_id = context["run_id"]
            log.info(
                "loading %s account %s (%s) for %s",
                network,
                account["account_id"],
                account["name"],
                day,
            )
            allow_shrink = bool((context.get("params") or {}).get("allow_shrink"))
            try:
                outcome = run_account_load(
                    network,
                    account["account_id"],
                    day,
                    run_id=run_id,
                    allow_shrink=allow_shrink,
                    grant_name=account.get("grant"),
                )
            except (AuthError, ApiVersionError, ConfigError) as exc:
                # retrying cannot fix a dead token, a sunset API version or a wrong config
                raise AirflowFailException(str(exc)) from exc
            summary = outcome.summary()
            log.info("done: %s", summary)
            return summary

        @task(outlets=[asset])
        def publish(summaries: list[dict[str, Any]], **context: Any) -> dict[str, Any]:
            """Tell the transform DAG this network's day has landed."""
            from social_warehouse.orchestration.days import day_to_load

            day = day_to_load(context)
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
        publish(load_account.expand(account=accounts))
    return dag
