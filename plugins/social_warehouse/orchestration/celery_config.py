"""The Celery settings of the Airflow workers (`[celery] celery_config_options =
social_warehouse.orchestration.celery_config.CELERY_CONFIG`): Airflow's own defaults, plus a
worker start-up hook that imports what this project's tasks use, once per worker.

Why: a Celery worker runs each task instance in a process forked from it, and that process loads
the Airflow plugins (the whole plugins folder), parses the task's DAG file and imports what the
task uses (Cosmos, the connectors, requests, psycopg): about 3 s of CPU per task instance on this
machine, more than most tasks' own work (a Cosmos watcher, one account's load). Imported before
the worker forks, they are shared and paid once per worker. The DAG file itself is still executed
per task, so a changed DAG is picked up as before; a changed package needs a worker restart, as
any code deploy does.

`CELERY_CONFIG` is built on first access (PEP 562), not at import: Airflow's plugin manager
imports every file of the plugins folder in every Airflow process, and only the processes that
build a Celery app (scheduler, workers, Flower) need the Celery provider loaded."""

from __future__ import annotations

import functools
import importlib
import pkgutil
from typing import Any

PRELOAD = (
    "airflow.dag_processing.dagbag",
    "airflow.timetables.assets",
    "airflow.sdk.lineage",
    "cosmos.airflow.task_group",
    "cosmos.operators.watcher",
    "cosmos.profiles.postgres.user_pass",
    "social_warehouse.orchestration.dbt_env",
    "social_warehouse.orchestration.dbt_profile",
    "social_warehouse.orchestration.extract_dags",
    "social_warehouse.orchestration.transform_dag",
    "social_warehouse.extract",
    "social_warehouse.loader",
)


def preload_modules() -> list[str]:
    """PRELOAD and every connector module (what the registry discovers at run time)."""
    from social_warehouse import networks

    connectors = [f"{networks.__name__}.{m.name}" for m in pkgutil.iter_modules(networks.__path__)]
    return [*PRELOAD, *connectors]


def preload(**_: Any) -> None:
    """Celery's `worker_init`: sent in the worker's main process before it forks its pool."""
    for module in preload_modules():
        importlib.import_module(module)
    from airflow.sdk.listener import get_listener_manager

    # loads the plugins folder here once, instead of in every task process
    get_listener_manager()


@functools.cache
def celery_config() -> dict[str, Any]:
    from airflow.providers.celery.executors.default_celery import DEFAULT_CELERY_CONFIG
    from celery import signals

    signals.worker_init.connect(preload, weak=False)
    return dict(DEFAULT_CELERY_CONFIG)


def __getattr__(name: str) -> Any:
    if name == "CELERY_CONFIG":
        return celery_config()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
