"""Run the daily quality gate: one GX checkpoint over every target for one day, results written
to `ops.quality_results`, Data Docs rebuilt, and a verdict that fails on critical expectations
only (warnings are recorded and shown, never blocking)."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from social_warehouse import paths
from social_warehouse.config import load_brands
from social_warehouse.errors import ConfigError, SocialWarehouseError
from social_warehouse.quality.targets import Target, all_targets
from social_warehouse.warehouse import database

log = logging.getLogger(__name__)

CHECKPOINT = "daily_gate"
KEEP_RESULTS_DAYS = 14  # Data Docs pages kept; ops.quality_results keeps the whole history
DATASOURCE = "warehouse"
URL_VARIABLE = "GX_WAREHOUSE_URL"


class QualityGateFailed(SocialWarehouseError):
    """At least one critical expectation failed; the message lists them."""


@dataclass
class ExpectationOutcome:
    asset: str
    suite: str
    expectation: str
    kwargs: dict[str, Any]
    severity: str
    success: bool
    failing_count: int | None
    observed: Any
    sample: list[Any]
    why: str = ""

    def describe(self) -> str:
        column = (
            self.kwargs.get("column")
            or self.kwargs.get("column_list")
            or (
                f"{self.kwargs.get('column_A')} vs {self.kwargs.get('column_B')}"
                if "column_A" in self.kwargs
                else ""
            )
        )
        parts = [f"{self.asset}: {self.expectation}" + (f"({column})" if column else "")]
        if self.failing_count is not None:
            parts.append(f"{self.failing_count} failing")
        if self.observed is not None:
            parts.append(f"observed {self.observed}")
        if self.sample:
            parts.append(f"sample {self.sample[:5]}")
        if self.why:
            parts.append(f"- {self.why}")
        return ", ".join(parts)


@dataclass
class GateResult:
    day: dt.date
    outcomes: list[ExpectationOutcome] = field(default_factory=list)
    docs_index: Path | None = None
    days: list[dt.date] = field(default_factory=list)

    @property
    def critical_failures(self) -> list[ExpectationOutcome]:
        return [o for o in self.outcomes if not o.success and o.severity == "critical"]

    @property
    def warnings(self) -> list[ExpectationOutcome]:
        return [o for o in self.outcomes if not o.success and o.severity != "critical"]

    def summary(self) -> dict[str, Any]:
        return {
            "day": self.day.isoformat(),
            "days": [d.isoformat() for d in self.days],
            "expectations": len(self.outcomes),
            "critical_failures": len(self.critical_failures),
            "warnings": len(self.warnings),
            "data_docs": str(self.docs_index) if self.docs_index else None,
        }


def sqlalchemy_url(url: str) -> str:
    return "postgresql+psycopg2://" + url.split("://", 1)[1]


def expectation_parameters(networks: list[str] | None = None) -> dict[str, Any]:
    """The suites' $PARAMETERs: the configured accounts and brands, and the tolerances of
    config/quality.yml."""
    import yaml

    path = paths.config_dir() / "quality.yml"
    try:
        tolerances = yaml.safe_load(path.read_text()) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: {exc}") from exc
    accounts, brands = [], []
    for brand in load_brands():
        mine = [a for a in brand.accounts if networks is None or a.network in networks]
        accounts += [f"{a.network}:{a.account_id}" for a in mine]
        if mine:
            brands.append(brand.brand_id)
    try:
        tolerance = float(tolerances["account_post_tolerance"])
        return {
            "expected_accounts": sorted(accounts),
            "expected_brands": sorted(brands),
            "min_lifetime_change": -float(tolerances["lifetime_drop_tolerance"]),
            "min_revision_pct": -float(tolerances["revision_drop_tolerance"]),
            "min_volume_ratio": float(tolerances["min_volume_ratio"]),
            "max_volume_ratio": float(tolerances["max_volume_ratio"]),
            "min_metric_ratio": float(tolerances["min_metric_ratio"]),
            "min_account_post_ratio": 1 - tolerance,
            "max_account_post_ratio": 1 + tolerance,
        }
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigError(f"{path}: missing or invalid tolerance: {exc}") from exc


def _context():
    import great_expectations as gx

    for name in ("great_expectations", "great_expectations.datasource"):
        logging.getLogger(name).setLevel(logging.WARNING)
    return gx.get_context(mode="file", project_root_dir=str(paths.expectations_dir()))


def _sync(context: Any, targets: list[Target]) -> Any:
    """Add what is missing (datasource, assets, daily batch definitions, validation definitions,
    checkpoint) to the file context; leave what exists untouched so the committed config stays
    stable."""
    import great_expectations as gx

    try:
        datasource = context.data_sources.get(DATASOURCE)
    except (KeyError, ValueError):
        datasource = context.data_sources.add_postgres(
            DATASOURCE, connection_string=f"${{{URL_VARIABLE}}}"
        )
    definitions = []
    for target in targets:
        try:
            asset = datasource.get_asset(target.asset)
            if asset.query != target.query:
                # the target's SQL changed: rebuild its asset and the definition that points at it
                datasource.delete_asset(target.asset)
                with contextlib.suppress(Exception):
                    context.validation_definitions.delete(target.asset)
                asset = datasource.add_query_asset(name=target.asset, query=target.query)
        except LookupError:
            asset = datasource.add_query_asset(name=target.asset, query=target.query)
        try:
            batch = asset.get_batch_definition("daily")
        except KeyError:
            batch = asset.add_batch_definition_daily(name="daily", column="check_date")
        try:
            definition = context.validation_definitions.get(target.asset)
        except Exception:
            suite = context.suites.get(target.suite)
            definition = context.validation_definitions.add(
                gx.ValidationDefinition(name=target.asset, data=batch, suite=suite)
            )
        definitions.append(definition)
    names = sorted(d.name for d in definitions)
    try:
        checkpoint = context.checkpoints.get(CHECKPOINT)
        if sorted(d.name for d in checkpoint.validation_definitions) != names or checkpoint.actions:
            checkpoint.validation_definitions = definitions
            checkpoint.actions = []
            checkpoint.save()
    except Exception:
        # No UpdateDataDocsAction: it rebuilds the whole site once per validation definition;
        # run_gate builds the run's pages once, at the end.
        checkpoint = context.checkpoints.add(
            gx.Checkpoint(
                name=CHECKPOINT,
                validation_definitions=definitions,
                actions=[],
                result_format={"result_format": "SUMMARY", "partial_unexpected_count": 5},
            )
        )
    return checkpoint


def _outcomes(result: Any) -> list[ExpectationOutcome]:
    outcomes = []
    for run in result.run_results.values():
        asset = (
            run.meta.get("active_batch_definition", {}).get("data_asset_name") if run.meta else None
        )
        suite = run.suite_name
        for item in run.results:
            config = item.expectation_config
            res = item.result or {}
            failing = res.get("unexpected_count")
            if failing is None and "partial_missing_list" in res:
                failing = res.get("missing_count") or len(res.get("partial_missing_list") or [])
            sample = res.get("partial_unexpected_list") or res.get("partial_missing_list") or []
            severity = getattr(config.severity, "value", str(config.severity))
            outcomes.append(
                ExpectationOutcome(
                    asset=asset or suite,
                    suite=suite,
                    expectation=config.type,
                    kwargs={k: v for k, v in config.kwargs.items() if k != "batch_id"},
                    severity=severity,
                    success=bool(item.success),
                    failing_count=failing,
                    observed=res.get("observed_value"),
                    sample=list(sample)[:5],
                    why=(config.meta or {}).get("why", ""),
                )
            )
    return outcomes


def _record(outcomes: list[ExpectationOutcome], day: dt.date, run_id: str, url: str | None) -> None:
    with database.connect(url) as conn, conn.transaction():
        conn.execute(
            "delete from ops.quality_results where run_id = %s and checked_day = %s", (run_id, day)
        )
        with conn.cursor().copy(
            """copy ops.quality_results (run_id, checked_day, suite, asset, expectation_type,
                   expectation_kwargs, severity, success, failing_count, observed, sample)
               from stdin"""
        ) as copy:
            for o in outcomes:
                copy.write_row(
                    (
                        run_id,
                        day,
                        o.suite,
                        o.asset,
                        o.expectation,
                        json.dumps(o.kwargs, default=str),
                        o.severity,
                        o.success,
                        o.failing_count,
                        json.dumps(o.observed, default=str),
                        json.dumps(o.sample, default=str),
                    )
                )


def run_gate(
    days: dt.date | list[dt.date],
    run_id: str,
    *,
    url: str | None = None,
    networks: list[str] | None = None,
    raise_on_critical: bool = True,
    build_docs: bool = True,
) -> GateResult:
    """Validate every target for each day (one checkpoint run per day), record every result in
    ops.quality_results, rebuild the Data Docs once, and raise on critical failures."""
    days = sorted(days) if isinstance(days, list) else [days]
    url = url or database.warehouse_url()
    os.environ[URL_VARIABLE] = sqlalchemy_url(url)
    context = _context()
    checkpoint = _sync(context, all_targets(networks))
    parameters = expectation_parameters(networks)
    gate = GateResult(days[-1])
    identifiers = []
    for day in days:
        log.info(
            "quality gate for %s: %d validation definitions",
            day,
            len(checkpoint.validation_definitions),
        )
        result = checkpoint.run(
            batch_parameters={"year": day.year, "month": day.month, "day": day.day},
            expectation_parameters=parameters,
        )
        outcomes = _outcomes(result)
        _record(outcomes, day, run_id, url)
        gate.outcomes.extend(outcomes)
        gate.days.append(day)
        identifiers.extend(result.run_results.keys())
    if build_docs:
        gate.docs_index = _build_docs(context, identifiers)
    for warning in gate.warnings:
        log.warning("quality warning: %s", warning.describe())
    log.info(
        "quality gate %s: %s. Data Docs: %s",
        ", ".join(map(str, days)),
        gate.summary(),
        f"file://{gate.docs_index}" if gate.docs_index else "not built",
    )
    if gate.critical_failures and raise_on_critical:
        lines = "\n".join(f"  - {o.describe()}" for o in gate.critical_failures)
        raise QualityGateFailed(
            f"quality gate failed for {', '.join(map(str, days))}: "
            f"{len(gate.critical_failures)} critical expectation(s) failed, the marts asset is "
            f"not published:\n{lines}\nSee ops.quality_results (run_id {run_id!r}) and the Data "
            f"Docs at {gate.docs_index}"
        )
    return gate


def _build_docs(context: Any, identifiers: list[Any]) -> Path | None:
    """Render this run's validation pages and the index, keeping KEEP_RESULTS_DAYS of pages so
    the build costs the same on day 1000 as on day 1; then make the site work offline."""
    from social_warehouse.quality.offline_docs import make_offline

    uncommitted = paths.expectations_dir() / "gx" / "uncommitted"
    cutoff = dt.datetime.now().timestamp() - KEEP_RESULTS_DAYS * 86400
    for folder in (
        uncommitted / "validations",
        uncommitted / "data_docs" / "local_site" / "validations",
    ):
        for path in folder.rglob("*") if folder.exists() else []:
            if path.is_file() and path.stat().st_mtime < cutoff:
                path.unlink()
    context.build_data_docs(resource_identifiers=identifiers)
    site = uncommitted / "data_docs" / "local_site"
    if not (site / "index.html").exists():
        return None
    make_offline(site)
    return site / "index.html"
