"""The metric registry (edited in `dbt_project/seeds/metric_registry.csv`, read by the connectors
from the artefact `make generate` writes next to this module): which source metric feeds which
unified metric, its unit, definition and validity. Connectors ask it what to request, dbt joins
it to map metrics, so retiring a metric is a registry change, not a code change."""

from __future__ import annotations

import datetime as dt
import json
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


def seed_path() -> Path:
    """The registry as people edit it (and dbt seeds it)."""
    return paths.dbt_project_dir() / "seeds" / "metric_registry.csv"


def artefact_path() -> Path:
    """The registry as the connectors read it, generated from the seed by `make generate`."""
    return Path(__file__).parent / "generated" / "metric_registry.json"


def _day(value: str) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


@cache
def load(path: Path | None = None) -> tuple[MetricDefinition, ...]:
    path = path or artefact_path()
    try:
        rows = json.loads(path.read_text())
    except FileNotFoundError:
        raise ConfigError(f"{path} is missing: run `make generate`") from None
    definitions = []
    for index, row in enumerate(rows):
        try:
            definitions.append(
                MetricDefinition(
                    **{k: row[k] for k in COLUMNS if k not in ("valid_from", "retired_on")},
                    valid_from=_day(row["valid_from"]),
                    retired_on=_day(row["retired_on"]),
                )
            )
        except (KeyError, ValueError) as exc:
            raise ConfigError(
                f"{path}: row {index} ({row.get('source_metric')!r}): {exc}; fix "
                f"{seed_path().name} and run `make generate`"
            ) from exc
    return tuple(definitions)


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
