"""DAG integrity: the DAG files import cleanly and fast, and every DAG follows the project's
policy (owner, tags, retries, docs, explicit schedule and start date, pools that exist)."""

from __future__ import annotations

import time

import pytest

from social_warehouse.config import load_network_settings
from social_warehouse.networks import catalog


def test_dag_files_import_without_errors(dagbag):
    assert dagbag.import_errors == {}
    expected = {f"extract_{n}" for n in catalog.names()} | {"transform_social", "grants_health"}
    assert set(dagbag.dag_ids) == expected


def test_parsing_does_no_work_at_import_time(airflow_home):
    """The dag-processor re-parses every file every few seconds: parsing must stay well under a
    second (Cosmos reads the dbt manifest, nothing calls an API or the warehouse)."""
    from airflow.models import DagBag

    from social_warehouse import paths

    DagBag(dag_folder=str(paths.project_root() / "dags"))  # warm imports
    started = time.perf_counter()
    bag = DagBag(dag_folder=str(paths.project_root() / "dags"))
    assert not bag.import_errors
    assert time.perf_counter() - started < 5


@pytest.mark.parametrize(
    "policy", ["owner", "tags", "retries", "doc", "schedule", "start_date", "catchup"]
)
def test_every_dag_follows_the_policy(dagbag, policy):
    for dag_id, dag in dagbag.dags.items():
        if policy == "owner":
            assert all(t.owner and t.owner != "airflow" for t in dag.tasks), dag_id
        elif policy == "tags":
            assert "social-warehouse" in dag.tags, dag_id
        elif policy == "retries":
            assert all(t.retries is not None for t in dag.tasks), dag_id
            assert dag.default_args.get("retries", 0) >= 1, dag_id
        elif policy == "doc":
            assert dag.doc_md and len(dag.doc_md) > 200, dag_id
        elif policy == "schedule":
            assert dag.timetable is not None and dag.timetable.summary not in ("None", None), dag_id
        elif policy == "start_date":
            assert dag.start_date is not None, dag_id
        elif policy == "catchup":
            assert dag.catchup is False, dag_id


def test_extract_dags_load_accounts_in_their_network_pool(dagbag):
    for network in catalog.names():
        dag = dagbag.dags[f"extract_{network}"]
        load = dag.get_task("load_accounts")
        settings = load_network_settings(network)
        assert load.pool == f"social_{network}"
        assert settings.pool_slots >= 1
        # a load task holds as many slots as accounts it loads at once, never more than the pool
        assert 1 <= load.pool_slots <= settings.pool_slots
        assert set(dag.params) >= {"day", "allow_shrink", "accounts"}
        assert dag.params["accounts"] == []
        publish = dag.get_task("publish")
        assert [o.name for o in publish.outlets] == [f"raw_{network}"]


def test_transform_publishes_marts_only_after_the_quality_gate(dagbag):
    dag = dagbag.dags["transform_social"]
    publish = dag.get_task("publish_marts")
    assert [o.name for o in publish.outlets] == ["marts"]
    assert "quality_gate" in publish.upstream_task_ids
    gate = dag.get_task("quality_gate")
    dbt_tasks = [t for t in dag.tasks if t.task_id.startswith("dbt.")]
    assert any(t.task_id.endswith("dbt_producer_watcher") for t in dbt_tasks)
    models = [t for t in dbt_tasks if t.task_id.endswith("_run") or ".run" in t.task_id]
    assert len(models) >= 10, "every dbt model is visible as its own task"
    assert gate.upstream_task_ids & {t.task_id for t in dbt_tasks}


def test_every_template_and_conf_key_the_transform_uses_is_a_declared_param(dagbag):
    """Asset-triggered and scheduled runs carry no conf: every params.* a task renders must have
    a default, or the run fails while rendering (seen once with full_refresh)."""
    dag = dagbag.dags["transform_social"]
    assert set(dag.params) >= {"day", "days", "full_refresh"}
    assert dag.params["full_refresh"] is False and dag.params["days"] == 1
    producer = next(t for t in dag.tasks if t.task_id.endswith("dbt_producer_watcher"))
    assert producer.full_refresh == "{{ params.full_refresh }}"
