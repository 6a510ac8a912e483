"""The CeleryExecutor for real (issue 12): the scheduler, dag-processor and API server and two
Celery workers with distinct hostnames, against the machine's Redis and PostgreSQL, run every
network's extract DAG and transform_social (dbt and the quality gate); both workers execute task
instances, each network's pool caps its loads across both workers, and nothing is left running.
`make celery-check` runs the same check with progress lines."""

from __future__ import annotations

import time

import psycopg
import pytest

from social_warehouse import paths
from social_warehouse.networks import catalog
from social_warehouse.orchestration.celery_check import WORKERS, run_check
from social_warehouse.warehouse import database
from tests.conftest import database_name_for_tests

pytestmark = pytest.mark.celery


@pytest.fixture
def progress(request):
    """Progress lines on the terminal while pytest captures the test's output."""
    reporter = request.config.pluginmanager.getplugin("terminalreporter")
    capture = request.config.pluginmanager.getplugin("capturemanager")
    start = time.monotonic()

    def echo(message: str) -> None:
        with capture.global_and_fixture_disabled():
            reporter.write_line(f"[celery-check {time.monotonic() - start:6.1f}s] {message}")

    return echo


def test_two_celery_workers_run_the_dags_and_pools_cap_each_network_across_them(progress):
    base = database_name_for_tests()
    result = run_check(base, echo=progress, root=paths.run_dir() / "celery-check-test")
    for line in result.report():
        progress(line)
    assert result.error is None, result.error
    assert result.runs, "no DAG run was triggered"
    assert set(result.runs.values()) == {"success"}, result.runs
    assert "transform_social" in result.runs and len(result.runs) == 7

    # task_instance.hostname: both workers executed task instances, no other host did
    by_host = result.all_hostnames()
    assert set(by_host) == set(WORKERS), by_host
    assert min(by_host.values()) >= 5, by_host

    # the pools are the scheduler's: the check cuts every pool to one slot while the two workers
    # offer four, so two loads of one network at once would mean a pool enforced per worker
    assert set(result.pools) == {f"social_{n}" for n in catalog.names()}
    for pool, use in result.pools.items():
        assert use.slots == 1, (pool, use)
        assert use.accounts >= 1, (pool, use)
        assert use.peak <= use.slots, (pool, use)
    assert max(use.accounts for use in result.pools.values()) >= 2, (
        "no network had two loads: the pool cap was never put to the test"
    )
    # ... and the loads of one network still went to both workers
    assert any(len(use.hosts) == 2 for use in result.pools.values()), result.pools

    assert result.mart_rows > 0, "transform_social succeeded but built no mart rows for the day"
    server = database.server_url(database.warehouse_url())
    with psycopg.connect(database.with_database(server, f"{base}_celery_airflow")) as conn:
        hosts = {
            h
            for (h,) in conn.execute(
                "select distinct hostname from task_instance where hostname <> ''"
            )
        }
    assert hosts == set(WORKERS)

    assert result.forced_kills == [], f"needed SIGKILL to stop: {result.forced_kills}"
    assert result.leftovers == [], f"processes left running: {result.leftovers}"
