"""The day a run loads, from the run itself: a `day` param, else the day before the run's
logical date (or its run_after, for runs without one). Never the wall clock."""

from __future__ import annotations

import datetime as dt
from typing import Any

from social_warehouse.timeutil import parse_day


def day_to_load(context: dict[str, Any]) -> dt.date:
    params = context.get("params") or {}
    if params.get("day"):
        return parse_day(str(params["day"]))
    dag_run = context.get("dag_run")
    anchor = (
        context.get("logical_date")
        or getattr(dag_run, "logical_date", None)
        or getattr(dag_run, "run_after", None)
    )
    if anchor is None:
        raise ValueError(
            "the run has neither a 'day' param nor a logical date / run_after to derive one from"
        )
    return (anchor.astimezone(dt.UTC) - dt.timedelta(days=1)).date()


def days_from_asset_events(context: dict[str, Any]) -> list[dt.date]:
    """Every day from the earliest to the latest `day` of the asset events that triggered this
    run (extract DAGs put it in the event's extra); empty when there are none."""
    events = context.get("triggering_asset_events") or {}
    days = []
    for asset_events in events.values():
        for event in asset_events:
            day = (getattr(event, "extra", None) or {}).get("day")
            if day:
                days.append(parse_day(day))
    if not days:
        return []
    first, last = min(days), max(days)
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
