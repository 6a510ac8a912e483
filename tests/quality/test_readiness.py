"""The daily fallback run does not race the extracts: it waits while the day's loads run, goes
on when they have finished (or, on time, when the ones missing will not come: the gate names
them), and a catch-up run created at unpause before any extract loaded its day skips dbt and the
gate. Decided on ops.load_manifest of a real warehouse (the five clean days); changes made here
are rolled back."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import psycopg
import pytest
from airflow.utils.types import DagRunType

from social_warehouse.quality.readiness import (
    expected_loads,
    extract_round,
    fallback_decision,
    is_catch_up,
    is_fallback_run,
)
from tests.conftest import CLEAN_DAY

NEXT_DAY = CLEAN_DAY + dt.timedelta(days=1)  # nothing loaded yet


@pytest.fixture
def conn(clean_warehouse) -> Iterator[psycopg.Connection]:
    with psycopg.connect(clean_warehouse) as connection:
        yield connection
        connection.rollback()


def add_load(conn: psycopg.Connection, load: tuple[str, str, str], day: dt.date, status: str):
    network, account, stream = load
    conn.execute(
        """insert into ops.load_manifest (run_id, network, account_id, stream, load_date,
                                          window_start, window_end, status)
           values ('readiness-test', %s, %s, %s, %s, %s, %s, %s)""",
        (network, account, stream, day, day, day, status),
    )


def test_a_day_whose_loads_all_finished_goes(conn):
    loads = expected_loads()
    state = extract_round(conn, CLEAN_DAY, loads)
    assert (state.expected, state.finished, state.running, state.missing) == (
        len(loads),
        len(loads),
        [],
        [],
    )
    assert len({n for n, _, _ in loads}) == 6 and len(loads) > 18
    for catch_up in (False, True):
        assert fallback_decision(state, catch_up).action == "go"


def test_a_running_load_is_waited_for_until_it_is_stale(conn):
    load = expected_loads()[0]
    add_load(conn, load, CLEAN_DAY, "running")  # a rerun of that load, later than its success
    decision = fallback_decision(extract_round(conn, CLEAN_DAY, expected_loads()), False)
    assert decision.action == "wait"
    assert "/".join(load) in decision.reason and str(CLEAN_DAY) in decision.reason
    # a load 'running' for hours was killed: nothing to wait for any more
    conn.execute(
        "update ops.load_manifest set started_at = now() - interval '3 hours' "
        "where run_id = 'readiness-test'"
    )
    assert fallback_decision(extract_round(conn, CLEAN_DAY, expected_loads()), False).action == (
        "go"
    )


def test_before_the_first_extract_round_a_catch_up_run_skips_and_an_on_time_run_reports(conn):
    state = extract_round(conn, NEXT_DAY, expected_loads())
    assert not state.started and len(state.missing) == state.expected
    skip = fallback_decision(state, catch_up=True)
    assert skip.action == "skip" and f"no extract has loaded {NEXT_DAY}" in skip.reason
    on_time = fallback_decision(state, catch_up=False)
    assert on_time.action == "go" and "the quality gate reports" in on_time.reason


def test_a_round_under_way_is_waited_for_by_a_catch_up_run_only(conn):
    loads = expected_loads()
    for load in loads[:4]:
        add_load(conn, load, NEXT_DAY, "success")
    add_load(conn, loads[4], NEXT_DAY, "failed")  # a failed load is finished: not waited for
    state = extract_round(conn, NEXT_DAY, loads)
    assert (state.finished, len(state.missing), state.running) == (5, len(loads) - 5, [])
    assert fallback_decision(state, catch_up=True).action == "wait"
    assert fallback_decision(state, catch_up=False).action == "go"


def dag_run(run_type: DagRunType, run_after: dt.datetime, started: dt.datetime):
    from airflow.sdk.api.datamodels._generated import DagRun

    return DagRun(
        dag_id="transform_social",
        run_id=f"{run_type.value}__{run_after.isoformat()}",
        logical_date=run_after,
        data_interval_start=run_after,
        data_interval_end=run_after,
        run_after=run_after,
        start_date=started,
        end_date=None,
        run_type=run_type,
        state="running",
        consumed_asset_events=[],
        partition_key=None,
    )


CRON_POINT = dt.datetime(2026, 11, 21, 18, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("run_type", "params", "fallback"),
    [
        (DagRunType.SCHEDULED, {"day": None}, True),
        (DagRunType.SCHEDULED, {"day": "2026-11-20"}, False),
        (DagRunType.ASSET_TRIGGERED, {"day": None}, False),
        (DagRunType.MANUAL, {"day": "2026-11-20"}, False),
    ],
)
def test_only_the_scheduled_fallback_run_without_a_day_waits(run_type, params, fallback):
    run = dag_run(run_type, CRON_POINT, CRON_POINT + dt.timedelta(seconds=20))
    assert is_fallback_run({"params": params, "dag_run": run}) is fallback


def test_a_run_started_long_after_its_cron_point_is_a_catch_up():
    on_time = dag_run(DagRunType.SCHEDULED, CRON_POINT, CRON_POINT + dt.timedelta(minutes=3))
    late = dag_run(DagRunType.SCHEDULED, CRON_POINT, CRON_POINT + dt.timedelta(hours=17))
    assert not is_catch_up({"dag_run": on_time})
    assert is_catch_up({"dag_run": late})


def test_the_transform_sensor_decides_on_the_warehouse(dagbag, clean_warehouse, monkeypatch):
    """The DAG's own sensor: a fallback run for a day whose loads finished is done at once; a
    catch-up one for a day nothing loaded is done with 'skip' (day_is_ready then skips the
    rest); a run given a day never reads the warehouse."""
    monkeypatch.setenv("WAREHOUSE_URL", clean_warehouse)
    sensor = dagbag.dags["transform_social"].get_task("wait_for_extracts")
    assert sensor.mode == "reschedule" and sensor.timeout >= 3600

    def poke(run, params):
        result = sensor.poke({"params": params, "dag_run": run, "logical_date": run.logical_date})
        return result.is_done, result.xcom_value["action"]

    next_cron = CRON_POINT + dt.timedelta(days=1)  # checks NEXT_DAY
    on_time = dag_run(DagRunType.SCHEDULED, CRON_POINT, CRON_POINT + dt.timedelta(minutes=1))
    late = dag_run(DagRunType.SCHEDULED, next_cron, next_cron + dt.timedelta(hours=16))
    manual = dag_run(DagRunType.MANUAL, next_cron, next_cron)
    assert poke(on_time, {"day": None}) == (True, "go")
    assert poke(late, {"day": None}) == (True, "skip")
    assert poke(manual, {"day": str(NEXT_DAY)}) == (True, "go")
    day_is_ready = dagbag.dags["transform_social"].get_task("day_is_ready")
    assert day_is_ready.ignore_downstream_trigger_rules is True
    assert (
        "day_is_ready"
        in dagbag.dags["transform_social"].get_task("sync_accounts").upstream_task_ids
    )
