"""tests/deploy: the compose file (fast, needs Debian's docker-compose v1, no engine) and the
Celery check (slow: a whole Airflow cluster with two Celery workers, ~5 minutes on 2 cores).

Celery tests are marked `celery` and run only when selected (`pytest -m celery`, or
`make celery-check` for the same check with progress lines), so `make test` stays as long as
it was."""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "celery: starts Airflow with two Celery workers (slow; select with -m celery)"
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if "celery" in (config.getoption("markexpr") or ""):
        return
    skip = pytest.mark.skip(
        reason="Celery cluster test: select it with -m celery (or run make celery-check)"
    )
    for item in items:
        if item.get_closest_marker("celery"):
            item.add_marker(skip)
