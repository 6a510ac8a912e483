"""Surviving metric retirement: one invalid metric fails a whole insights call, so isolate the
offenders by bisection, drop them with a warning and load the rest."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from social_warehouse.connector.context import LoadContext
from social_warehouse.errors import InvalidMetricError

T = TypeVar("T")


def call_dropping_invalid(
    metrics: list[str],
    call: Callable[[list[str]], T],
    ctx: LoadContext,
    dropped: set[str],
    what: str = "metric",
) -> list[T]:
    """Call with every metric not already known to be invalid. On InvalidMetricError split the
    list in halves and retry each, so k bad metrics among n cost about 2k*log2(n) extra calls."""
    wanted = [m for m in metrics if m not in dropped]
    if not wanted:
        return []
    try:
        return [call(wanted)]
    except InvalidMetricError as exc:
        if len(wanted) == 1:
            dropped.add(wanted[0])
            ctx.warn(
                f"{what} {wanted[0]!r} was rejected by the API ({exc.api_message}); loading the "
                f"other metrics without it. If it was retired, set retired_on for it in "
                f"dbt_project/seeds/metric_registry.csv"
            )
            return []
        middle = len(wanted) // 2
        return call_dropping_invalid(
            wanted[:middle], call, ctx, dropped, what
        ) + call_dropping_invalid(wanted[middle:], call, ctx, dropped, what)
