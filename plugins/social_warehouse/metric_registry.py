"""The metric registry (`dbt_project/seeds/metric_registry.csv`): which source metric feeds which
unified metric, its unit, definition and validity. Connectors ask it what to request, dbt joins
it to map metrics, so retiring a metric is a registry change, not a code change."""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from social_warehouse import paths
from social_warehouse.errors import ConfigError

COLUMNS = (
    "network",
    "source",
    "source_metric",
    "entity",
    "unified_metric",
    "unit",
    "aggregation",
    "valid_from",
    "retired_on",
    "definition",
)


@dataclass(frozen=True)
class MetricDefinition:
    network: str
    source: str
    source_metric: str
    entity: str
    unified_metric: str
    unit: str
    aggregation: str
    valid_from: dt.date | None
    retired_on: dt.date | None
    definition: str

    def valid_on(self, day: dt.date) -> bool:
        if self.valid_from and day < self.valid_from:
            return False
        return not (self.retired_on and day >= self.retired_on)


def registry_path() -> Path:
    return paths.dbt_project_dir() / "seeds" / "metric_registry.csv"


@cache
def load(path: Path | None = None) -> tuple[MetricDefinition, ...]:
    path = path or registry_path()
    rows = []
    with path.open(newline="") as handle:
        reader = csv.DictReader(handle)
        if tuple(reader.fieldnames or ()) != COLUMNS:
            raise ConfigError(f"{path}: header must be {','.join(COLUMNS)}")
        for line, row in enumerate(reader, start=2):
            try:
                rows.append(
                    MetricDefinition(
                        **{k: row[k] for k in COLUMNS if k not in ("valid_from", "retired_on")},
                        valid_from=dt.date.fromisoformat(row["valid_from"])
                        if row["valid_from"]
                        else None,
                        retired_on=dt.date.fromisoformat(row["retired_on"])
                        if row["retired_on"]
                        else None,
                    )
                )
            except ValueError as exc:
                raise ConfigError(f"{path}:{line}: {exc}") from exc
    return tuple(rows)


def metrics(network: str, source: str, day: dt.date) -> list[str]:
    """Source metrics to request from `source` for data of `day`, in registry order. Rows with
    aggregation `post_delta` are computed in dbt from the posts' growth, never requested."""
    return [
        m.source_metric
        for m in load()
        if m.network == network
        and m.source == source
        and m.valid_on(day)
        and m.aggregation != "post_delta"
    ]
