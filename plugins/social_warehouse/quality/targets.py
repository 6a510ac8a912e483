"""What the gate validates: every raw stream table and every mart, each as a GX query asset
partitioned by day, with the suite that guards it."""

from __future__ import annotations

from dataclasses import dataclass

from social_warehouse.networks import registry
from social_warehouse.warehouse.migrate import raw_table_name

RAW_QUERY = """
select
    raw.account_id,
    raw.load_date,
    raw.record_key,
    raw.record_date,
    raw.record_date between manifest.window_start and manifest.window_end as in_window
from raw.{table} as raw
inner join ops.load_manifest as manifest on manifest.load_id = raw.load_id
""".strip()

MART_QUERY = "select *, network || ':' || account_id as account_key from marts.{table}"


@dataclass(frozen=True)
class Target:
    asset: str  # GX asset and validation definition name, e.g. "raw.facebook_pages__posts"
    query: str
    day_column: str
    suite: str


def raw_targets(networks: list[str] | None = None) -> list[Target]:
    targets = []
    for spec in registry.all_specs():
        if networks is not None and spec.name not in networks:
            continue
        for stream in spec.streams:
            table = raw_table_name(spec.name, stream.name)
            targets.append(
                Target(f"raw.{table}", RAW_QUERY.format(table=table), "load_date", "raw.stream")
            )
    return targets


MART_TABLES = ("reach_daily", "engagement_daily", "post_daily")


def mart_targets() -> list[Target]:
    return [
        Target(f"marts.{t}", MART_QUERY.format(table=t), "metric_date", f"marts.{t}")
        for t in MART_TABLES
    ]


def all_targets(networks: list[str] | None = None) -> list[Target]:
    return raw_targets(networks) + mart_targets()
