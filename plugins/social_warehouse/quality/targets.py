"""What the gate validates. Every target is a GX query asset read as one whole-table batch whose
SQL selects the checked day only: the day comes from the session setting `sw.check_day`, which
the gate sets on its connections (see gate.py), so PostgreSQL filters on the indexed day column
(raw `load_date`, marts `metric_date`) instead of scanning the history. Each target is guarded by
the suite of the same name (`expectations/gx/expectations/<layer>/<name>.json`):

- raw.<network>__<stream>: every raw stream, for the load day: keys, load window, the stream's
  contract (required fields and JSON types, derived from the connector's declaration);
- observations.account_metrics / observations.post_metrics: every value any network sent,
  unified shape: counters never negative;
- marts.*: every mart, for the metric day;
- checks.*: cross-table checks: volume and metric totals against the trailing 7-day median,
  freshness per network against its own SLA, account totals against the sum of their posts.

Every suite also holds the gate's row-count expectation (a target without rows for the day),
with the severity config/quality.yml gives the target's kind. To run a target's SQL by hand:
`set sw.check_day = '2026-11-20';` then the query.

A new network adds its raw targets automatically (from its NETWORK declaration)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from social_warehouse.connector.streams import Stream
from social_warehouse.networks import catalog
from social_warehouse.warehouse.migrate import raw_table_name

# The checked day inside every target's SQL. current_setting() is stable within a statement, so
# the planner uses it as an index key; without the setting the query fails, naming it.
DAY_SETTING = "sw.check_day"
CHECK_DAY = f"current_setting('{DAY_SETTING}')::date"
KINDS = ("raw", "observations", "marts", "checks")

JSON_TYPES = {
    str: "string",
    int: "number",
    float: "number",
    dict: "object",
    list: "array",
    bool: "boolean",
}


@dataclass(frozen=True)
class Target:
    asset: str  # GX asset, validation definition and suite name, e.g. "raw.facebook_pages__posts"
    query: str
    suite: str
    network: str | None = None  # raw targets: the network whose extract writes the table

    @property
    def kind(self) -> str:
        return self.asset.split(".", 1)[0]

    @property
    def when_empty(self) -> str:
        """Why a target can have no rows for a day, and so where to look next."""
        if self.kind == "raw":
            return f"the extract_{self.network} run for that day failed or has not run"
        if self.kind == "checks":
            return "its inputs (the marts and ops.load_manifest) have nothing for that day"
        return (
            "dbt built nothing for that day: the day's extract runs failed or have not run, "
            "or the transform's dbt build did not run after them"
        )


def contract_sql(contract: dict[str, Any], root: str = "") -> str:
    """The stream's contract (dotted path -> Python types) as a boolean SQL expression on
    `raw.payload`, so the gate re-checks what the loader checked, on what actually landed."""
    checks = []
    for path, types in contract.items():
        wanted = types if isinstance(types, tuple) else (types,)
        names = sorted({JSON_TYPES[t] for t in wanted})
        full = f"{root}.{path}" if root else path
        pointer = "{" + ",".join(full.split(".")) + "}"
        checks.append(
            f"coalesce(jsonb_typeof(raw.payload #> '{pointer}') in "
            f"({', '.join(repr(n) for n in names)}), false)"
        )
    return " and ".join(checks) if checks else "true"


def raw_query(table: str, stream: type[Stream]) -> str:
    return f"""
select
    raw.account_id,
    raw.load_date as check_date,
    raw.record_key,
    raw.record_date,
    raw.record_date between manifest.window_start and manifest.window_end as in_window,
    {contract_sql(stream.contract, stream.contract_root)} as contract_ok
from raw.{table} as raw
inner join ops.load_manifest as manifest on manifest.load_id = raw.load_id
where raw.load_date = {CHECK_DAY}
""".strip()


def raw_targets(networks: list[str] | None = None) -> list[Target]:
    targets = []
    for spec in catalog.all_specs():
        if networks is not None and spec.name not in networks:
            continue
        for stream in spec.streams:
            table = raw_table_name(spec.name, stream.name)
            targets.append(
                Target(f"raw.{table}", raw_query(table, stream), "raw.stream", spec.name)
            )
    return targets


QUERIES = Path(__file__).parent / "queries"


def fixed_targets() -> list[Target]:
    """One target per file in queries/ (observations.*, marts.*, checks.*)."""
    return [Target(f.stem, as_select(f.read_text()), f.stem) for f in sorted(QUERIES.glob("*.sql"))]


def as_select(sql: str) -> str:
    """GX query assets must start with SELECT: wrap queries that start with a CTE."""
    sql = sql.strip()
    return sql if sql.lower().startswith("select") else f"select * from (\n{sql}\n) as target"


def all_targets(networks: list[str] | None = None) -> list[Target]:
    return raw_targets(networks) + fixed_targets()
