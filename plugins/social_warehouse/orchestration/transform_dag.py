"""The transform DAG: when the networks' raw assets land (or at the daily fallback time, once the
day's extract loads have finished), sync the configured accounts, run dbt through Cosmos (watcher
mode: one `dbt build`, one task per model), run the quality gate, and only then publish the marts
asset."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import pendulum
from airflow.sdk import DAG, BaseSensorOperator, Param, PokeReturnValue, task
from airflow.timetables.trigger import CronTriggerTimetable

from social_warehouse import paths
from social_warehouse.orchestration.assets import MARTS_ASSET, raw_asset

log = logging.getLogger(__name__)

# the fallback run re-reads ops.load_manifest this often while the day's extracts run, and fails
# (naming what it waited for in its log) when they are still running after FALLBACK_TIMEOUT
FALLBACK_POKE = dt.timedelta(minutes=5)
FALLBACK_TIMEOUT = dt.timedelta(hours=4)

DOC = """
### Transform social

Builds the dbt project (`staging` -> `intermediate` -> `marts`) and gates it with Great
Expectations before anyone reads it.

1. **wait_for_extracts** (daily fallback runs only; asset-triggered runs and runs given a `day`
   go straight on): waits, in reschedule mode, until the day's extract loads in
   `ops.load_manifest` have finished, so a first unpause does not gate a day whose extracts are
   still running. A catch-up fallback run (created at unpause for a past 18:00) for a day no
   extract has loaded yet is skipped by **day_is_ready**: the asset-triggered run follows the
   extracts.
2. **sync_accounts** writes `config/accounts.yml` to `ops.configured_accounts`.
3. **dbt** (Cosmos, watcher mode): one `dbt build` for the whole project, watched by one task per
   model, so every model and its tests show in the grid without paying dbt's start-up per model.
4. **quality_gate** runs the GX checkpoint `daily_gate` for the day: critical failures fail the
   run (the first lines of the log and of the error name the table, the expectation, the
   failing count and the day; a table without rows for the day is one of them); warnings are
   recorded in `ops.quality_results` and the Data Docs.
5. **publish_marts** emits the `marts` asset only when the gate passed.

**Schedule:** when every network's `raw_<network>` asset has been updated, or daily at the
fallback time. **Days checked:** the `day` param and the `days` before it, else every day of
the triggering asset events (a backlog of extract runs is checked whole), else the day before
the run's logical date.
"""


def days_to_check(context: dict[str, Any]) -> list[dt.date]:
    """The `day` param and the `days` before it; else every day between the earliest and the
    latest day of the triggering asset events (a backlog of extract runs is checked whole);
    else the day before the run's logical date."""
    from social_warehouse.orchestration.days import day_to_load, days_from_asset_events

    params = context.get("params") or {}
    if params.get("day"):
        last = day_to_load(context)
        count = max(int(params.get("days") or 1), 1)
        return [last - dt.timedelta(days=i) for i in range(count - 1, -1, -1)]
    return days_from_asset_events(context) or [day_to_load(context)]


class ExtractsFinishedSensor(BaseSensorOperator):
    """Done at once for asset-triggered runs and runs given a `day`; for the daily fallback run,
    when `social_warehouse.quality.readiness.fallback_decision` says go (or skip: then
    day_is_ready skips the rest). Its XCom is the decision."""

    def poke(self, context: Any) -> PokeReturnValue:
        from social_warehouse.quality import readiness
        from social_warehouse.warehouse import database
        from social_warehouse.warehouse.migrate import migrate

        if not readiness.is_fallback_run(context):
            return PokeReturnValue(True, {"action": "go", "reason": "not a fallback run"})
        day = days_to_check(context)[-1]
        database.ensure_database()
        migrate()
        with database.connect() as conn:
            state = readiness.extract_round(conn, day, readiness.expected_loads())
        decision = readiness.fallback_decision(state, readiness.is_catch_up(context))
        log.info("fallback run for %s: %s - %s", day, decision.action, decision.reason)
        return PokeReturnValue(
            decision.action != "wait", {"action": decision.action, "reason": decision.reason}
        )


def cosmos_task_group(group_id: str = "dbt") -> Any:
    from cosmos import (
        DbtTaskGroup,
        ExecutionConfig,
        ProfileConfig,
        ProjectConfig,
        RenderConfig,
    )
    from cosmos.constants import ExecutionMode, InvocationMode, LoadMode, TestBehavior

    from social_warehouse.orchestration.dbt_env import dbt_executable
    from social_warehouse.orchestration.dbt_profile import WarehouseProfileMapping

    project_dir = paths.dbt_project_dir()
    manifest = project_dir / "target" / "manifest.json"
    if not manifest.exists():
        raise FileNotFoundError(
            f"{manifest} is missing: run `make dbt-manifest` (dbt parse) before Airflow "
            "parses this DAG"
        )
    group = DbtTaskGroup(
        group_id=group_id,
        project_config=ProjectConfig(
            dbt_project_path=project_dir, manifest_path=manifest, install_dbt_deps=False
        ),
        profile_config=ProfileConfig(
            profile_name="social_warehouse",
            target_name="warehouse",
            profile_mapping=WarehouseProfileMapping(),
        ),
        execution_config=ExecutionConfig(
            execution_mode=ExecutionMode.WATCHER,
            invocation_mode=InvocationMode.SUBPROCESS,
            dbt_executable_path=dbt_executable(),
        ),
        operator_args={"full_refresh": "{{ params.full_refresh }}"},
        render_config=RenderConfig(
            load_method=LoadMode.DBT_MANIFEST,
            test_behavior=TestBehavior.AFTER_EACH,
            emit_datasets=False,
        ),
    )
    wait_for_producer(group)
    return group


def wait_for_producer(group: Any) -> None:
    """In a DbtTaskGroup, Cosmos leaves the watcher tasks of root models unconnected to the
    producer (they poll its XComs). Under dag.test(), which runs one task at a time, a watcher
    scheduled before the producer would wait forever. Run every root watcher after the producer,
    whatever its outcome (`all_done`), so each model's task still reports its own result."""
    from cosmos.constants import PRODUCER_WATCHER_TASK_ID

    producer = group.children[f"{group.group_id}.{PRODUCER_WATCHER_TASK_ID}"]
    for watcher in group.roots:
        if watcher is producer or watcher.task_id.endswith("_done"):
            continue
        producer >> watcher
        watcher.trigger_rule = "all_done"


def build_transform_dag(networks: list[str]) -> DAG:
    from airflow.sdk import AssetAll
    from airflow.timetables.assets import AssetOrTimeSchedule

    schedule = AssetOrTimeSchedule(
        timetable=CronTriggerTimetable("0 18 * * *", timezone="UTC"),
        assets=AssetAll(*[raw_asset(n) for n in networks]),
    )
    with DAG(
        dag_id="transform_social",
        description="dbt staging -> intermediate -> marts, then the Great Expectations gate",
        schedule=schedule,
        start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
        catchup=False,
        max_active_runs=1,
        tags=["social-warehouse", "transform", "dbt", "quality"],
        default_args={
            "owner": "data-engineering",
            "retries": 1,
            "retry_delay": dt.timedelta(minutes=2),
        },
        doc_md=DOC,
        params={
            "day": Param(
                None,
                type=["null", "string"],
                format="date",
                description="Last day to check (YYYY-MM-DD); empty = from the triggering assets",
            ),
            "days": Param(
                1,
                type="integer",
                minimum=1,
                maximum=90,
                description="How many days up to `day` the quality gate checks",
            ),
            "full_refresh": Param(
                False,
                type="boolean",
                description="Rebuild the incremental dbt models from scratch (after a change)",
            ),
        },
    ) as dag:
        wait = ExtractsFinishedSensor(
            task_id="wait_for_extracts",
            mode="reschedule",
            poke_interval=FALLBACK_POKE,
            timeout=FALLBACK_TIMEOUT,
            retries=0,
            doc_md="Fallback runs only: wait until the day's extract loads have finished.",
        )

        @task.short_circuit(retries=0)
        def day_is_ready(decision: dict[str, str]) -> bool:
            """False for a catch-up fallback run before the day's extracts: everything
            downstream is skipped, whatever its trigger rule (Cosmos' watchers run on
            all_done)."""
            if decision["action"] == "skip":
                log.info("skipping dbt and the quality gate: %s", decision["reason"])
                return False
            return True

        @task
        def sync_accounts() -> int:
            """Write config/accounts.yml and the network settings to ops.* for dbt and the gate."""
            from social_warehouse.config import load_brands
            from social_warehouse.loader import sync_configured_accounts, sync_network_settings
            from social_warehouse.warehouse import database
            from social_warehouse.warehouse.migrate import migrate

            database.ensure_database()
            migrate()
            accounts = [a for b in load_brands() for a in b.accounts]
            with database.connect() as conn:
                sync_network_settings(conn)
                return sync_configured_accounts(conn, accounts)

        @task(retries=0)
        def quality_gate(**context: Any) -> dict[str, Any]:
            """Run the GX checkpoint for each day; critical failures fail the run."""
            from airflow.sdk.exceptions import AirflowFailException

            from social_warehouse.quality.gate import QualityGateFailed, run_gate

            try:
                return run_gate(days_to_check(context), context["run_id"]).summary()
            except QualityGateFailed as exc:
                # the message is the report; the gate's own traceback would only bury it
                raise AirflowFailException(str(exc)) from None

        @task(outlets=[MARTS_ASSET])
        def publish_marts(gate: dict[str, Any], **context: Any) -> dict[str, Any]:
            """The marts passed the gate: tell readers they are ready."""
            context["outlet_events"][MARTS_ASSET].extra = gate
            return gate

        dbt = cosmos_task_group()
        gate = quality_gate()
        day_is_ready(wait.output) >> sync_accounts() >> dbt >> gate
        publish_marts(gate)
    return dag
