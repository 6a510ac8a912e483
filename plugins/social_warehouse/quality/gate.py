"""Run the daily quality gate: one GX checkpoint over every target for one day, results written
to `ops.quality_results`, Data Docs rebuilt, and a verdict that fails on critical expectations
only (warnings are recorded and shown, never blocking).

Each target is a query asset read as one whole-table batch; its SQL selects the checked day from
the session setting `sw.check_day`, which the gate puts on the datasource's connections (the
libpq `options` of GX_WAREHOUSE_URL, one engine per checked day). A target without rows for the
day is a failed row-count expectation, reported like any other with the severity
config/quality.yml gives its kind, never a GX error."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import os
import time
import warnings
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from social_warehouse import paths
from social_warehouse.config import load_brands
from social_warehouse.errors import SocialWarehouseError
from social_warehouse.quality import settings as quality_settings
from social_warehouse.quality.targets import DAY_SETTING, Target, all_targets
from social_warehouse.warehouse import database

log = logging.getLogger(__name__)

CHECKPOINT = "daily_gate"
KEEP_RESULTS_DAYS = 14  # Data Docs pages kept; ops.quality_results keeps the whole history
DATASOURCE = "warehouse"
URL_VARIABLE = "GX_WAREHOUSE_URL"
BATCH = "checked_day"  # whole-table batch of a query that selects the checked day itself
ROW_COUNT = "expect_table_row_count_to_be_between"
ROWS_FOR_DAY = "rows_for_day"  # meta key of the row-count expectation the gate keeps in each suite
SEVERITIES = quality_settings.SEVERITIES


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
    day: dt.date | None = None
    when_empty: str = ""  # the target's explanation of a day without rows
    error: str = ""  # GX could not evaluate it (e.g. the target's SQL failed)

    @property
    def no_rows(self) -> bool:
        """The gate's row-count expectation found nothing for the day."""
        return self.expectation == ROW_COUNT and not self.success and self.observed == 0

    @property
    def where(self) -> str:
        return f"{self.asset} ({self.day})" if self.day else self.asset

    def describe(self) -> str:
        if self.no_rows:
            return (
                f"{self.asset} has no rows for {self.day}: {self.when_empty} "
                f"[{self.expectation}, {self.severity}]"
            )
        column = (
            self.kwargs.get("column")
            or self.kwargs.get("column_list")
            or (
                f"{self.kwargs.get('column_A')} vs {self.kwargs.get('column_B')}"
                if "column_A" in self.kwargs
                else ""
            )
        )
        text = f"{self.where}: {self.expectation}" + (f"({column})" if column else "")
        if self.error:
            return f"{text} could not be evaluated: {self.error}"
        details = []
        if self.failing_count is not None:
            details.append(f"{self.failing_count} failing")
        if self.observed is not None:
            details.append(f"observed {self.observed}")
        if self.sample:
            details.append(f"sample {self.sample[:5]}")
        return text + "".join(f", {d}" for d in details) + (f" - {self.why}" if self.why else "")


def _first_what_failed(outcomes: list[ExpectationOutcome]) -> list[ExpectationOutcome]:
    """Missing tables first (they explain most of what follows), then by day and table."""
    return sorted(outcomes, key=lambda o: (not o.no_rows, o.day or dt.date.min, o.asset))


def failure_lines(outcomes: list[ExpectationOutcome]) -> list[str]:
    """One line per failure, what explains the most first; a target GX could not read at all
    (every expectation failing with the same error) is one line, not one per expectation."""
    errors = Counter((o.asset, o.day, o.error) for o in outcomes if o.error)
    lines, seen = [], set()
    for o in _first_what_failed(outcomes):
        key = (o.asset, o.day, o.error)
        if o.error and errors[key] > 1:
            if key not in seen:
                seen.add(key)
                lines.append(
                    f"{o.where}: {errors[key]} expectations could not be evaluated: {o.error}"
                )
            continue
        lines.append(o.describe())
    return lines


def _error(exception_info: Any) -> str:
    """The first line of what GX caught while evaluating an expectation ('' when nothing was):
    its info is either one record or one per metric."""
    if not isinstance(exception_info, dict) or not exception_info:
        return ""
    records = (
        [exception_info]
        if "raised_exception" in exception_info or "exception_message" in exception_info
        else list(exception_info.values())
    )
    for record in records:
        if isinstance(record, dict) and record.get("raised_exception", True):
            message = str(record.get("exception_message") or "").strip()
            if message:
                first = message.splitlines()[0]
                # "(psycopg2.errors.UndefinedTable) relation ..." -> "relation ..."
                return first.split(") ", 1)[1] if first.startswith("(") and ") " in first else first
    return ""


@dataclass
class GateResult:
    day: dt.date
    outcomes: list[ExpectationOutcome] = field(default_factory=list)
    docs_index: Path | None = None
    days: list[dt.date] = field(default_factory=list)

    @property
    def critical_failures(self) -> list[ExpectationOutcome]:
        return _first_what_failed(
            [o for o in self.outcomes if not o.success and o.severity == "critical"]
        )

    @property
    def warnings(self) -> list[ExpectationOutcome]:
        return _first_what_failed(
            [o for o in self.outcomes if not o.success and o.severity != "critical"]
        )

    def summary(self) -> dict[str, Any]:
        return {
            "day": self.day.isoformat(),
            "days": [d.isoformat() for d in self.days],
            "expectations": len(self.outcomes),
            "critical_failures": len(self.critical_failures),
            "warnings": len(self.warnings),
            "data_docs": str(self.docs_index) if self.docs_index else None,
        }


def sqlalchemy_url(url: str, day: dt.date | None = None) -> str:
    """The warehouse URL for GX (psycopg2 driver); with a day, every connection of it starts
    with `sw.check_day` set to that day (libpq `options`, added to any the URL already has)."""
    from sqlalchemy.engine import make_url

    parsed = make_url("postgresql+psycopg2://" + url.split("://", 1)[1])
    if day is not None:
        options = " ".join(filter(None, [parsed.query.get("options"), f"-c {DAY_SETTING}={day}"]))
        parsed = parsed.update_query_dict({"options": options})
    return parsed.render_as_string(hide_password=False)


def quality_config() -> dict[str, Any]:
    """config/quality.yml, validated (quality/settings.py), as a mapping."""
    return quality_settings.load().model_dump()


def no_rows_severities(config: dict[str, Any] | None = None) -> dict[str, str]:
    """`no_rows_for_day` of config/quality.yml: the severity of a target without rows for the
    checked day, per target kind."""
    if config is None:
        return dict(quality_settings.load().no_rows_for_day)
    return quality_settings.validate_severities(config)


def expectation_parameters(
    networks: list[str] | None = None, config: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The suites' $PARAMETERs: the configured accounts and brands, and the tolerances of
    config/quality.yml."""
    tolerances = quality_settings.load() if config is None else quality_settings.validate(config)
    accounts, brands = [], []
    for brand in load_brands():
        mine = [a for a in brand.accounts if networks is None or a.network in networks]
        accounts += [f"{a.network}:{a.account_id}" for a in mine]
        if mine:
            brands.append(brand.brand_id)
    return {
        "expected_accounts": sorted(accounts),
        "expected_brands": sorted(brands),
        "min_lifetime_change": -tolerances.lifetime_drop_tolerance,
        "min_revision_pct": -tolerances.revision_drop_tolerance,
        "min_volume_ratio": tolerances.min_volume_ratio,
        "max_volume_ratio": tolerances.max_volume_ratio,
        "min_metric_ratio": tolerances.min_metric_ratio,
        "min_account_post_ratio": 1 - tolerances.account_post_tolerance,
        "max_account_post_ratio": 1 + tolerances.account_post_tolerance,
    }


def quiet_gx() -> None:
    """Keep GX's own chatter out of the task log. Its import logs ~200 INFO lines ("Skipping
    registering function ...") and its metric registry more, so the levels are set before the
    first import; its modules' deprecation warnings are not ours to act on. Progress bars are
    off in great_expectations.yml."""
    for name in ("great_expectations", "great_expectations.datasource"):
        logging.getLogger(name).setLevel(logging.WARNING)
    warnings.filterwarnings("ignore", module=r"great_expectations(\.|$)")


def _context():
    quiet_gx()
    import great_expectations as gx

    return gx.get_context(mode="file", project_root_dir=str(paths.expectations_dir()))


def _sync_row_counts(context: Any, targets: list[Target], severities: dict[str, str]) -> None:
    """Every suite holds one row-count expectation (min 1 row for the day) with the severity of
    its targets' kind in config/quality.yml: add it where missing, follow the config's changes."""
    import great_expectations.expectations as gxe

    for suite_name, kind in sorted({(t.suite, t.kind) for t in targets}):
        suite = context.suites.get(suite_name)
        severity = severities[kind]
        mine = [e for e in suite.expectations if (e.meta or {}).get(ROWS_FOR_DAY)]
        if not mine:
            suite.add_expectation(
                gxe.ExpectTableRowCountToBeBetween(
                    min_value=1,
                    severity=severity,
                    meta={
                        ROWS_FOR_DAY: True,
                        "why": f"a {kind} table without rows for the checked day "
                        f"(severity: no_rows_for_day.{kind} in config/quality.yml)",
                    },
                )
            )
        elif getattr(mine[0].severity, "value", mine[0].severity) != severity:
            mine[0].severity = severity
            mine[0].save()


def _sync(context: Any, targets: list[Target], severities: dict[str, str]) -> Any:
    """Add what is missing (datasource, assets, whole-table batch definitions, validation
    definitions, checkpoint, the suites' row-count expectations) to the file context and follow
    changes of the targets' SQL; leave what exists untouched so the committed config stays
    stable."""
    import great_expectations as gx

    _sync_row_counts(context, targets, severities)
    try:
        datasource = context.data_sources.get(DATASOURCE)
    except (KeyError, ValueError):
        datasource = context.data_sources.add_postgres(
            DATASOURCE, connection_string=f"${{{URL_VARIABLE}}}"
        )
    definitions, rebuilt = [], False
    for target in targets:
        try:
            asset = datasource.get_asset(target.asset)
            if asset.query != target.query:
                # the target's SQL changed: rebuild its asset and the definition that points at it
                # (the definition first: GX loads it, and so its asset, to delete it)
                log.debug("quality gate: %s changed, rebuilding its GX asset", target.asset)
                with contextlib.suppress(Exception):
                    context.validation_definitions.delete(target.asset)
                datasource.delete_asset(target.asset)
                asset = datasource.add_query_asset(name=target.asset, query=target.query)
        except LookupError:
            asset = datasource.add_query_asset(name=target.asset, query=target.query)
        try:
            batch = asset.get_batch_definition(BATCH)
        except KeyError:
            batch = asset.add_batch_definition_whole_table(name=BATCH)
        try:
            definition = context.validation_definitions.get(target.asset)
            if definition.batch_definition.name != BATCH or definition.suite.name != target.suite:
                context.validation_definitions.delete(target.asset)
                raise LookupError(target.asset)
        except Exception:
            suite = context.suites.get(target.suite)
            definition = context.validation_definitions.add(
                gx.ValidationDefinition(name=target.asset, data=batch, suite=suite)
            )
            rebuilt = True
        definitions.append(definition)
    names = sorted(d.name for d in definitions)
    try:
        checkpoint = context.checkpoints.get(CHECKPOINT)
        # GX finds a checkpoint's definitions by name: save it after a rebuild anyway, so the
        # file names the new definitions' ids
        current = sorted(d.name for d in checkpoint.validation_definitions)
        if rebuilt or current != names or checkpoint.actions:
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


def _outcomes(result: Any, day: dt.date, targets: dict[str, Target]) -> list[ExpectationOutcome]:
    outcomes = []
    for run in result.run_results.values():
        asset = (
            run.meta.get("active_batch_definition", {}).get("data_asset_name") if run.meta else None
        )
        suite = run.suite_name
        target = targets.get(asset or "")
        for item in run.results:
            config = item.expectation_config
            res = item.result or {}
            failing = res.get("unexpected_count")
            if failing is None and "partial_missing_list" in res:
                failing = res.get("missing_count") or len(res.get("partial_missing_list") or [])
            sample = res.get("partial_unexpected_list") or res.get("partial_missing_list") or []
            severity = getattr(config.severity, "value", str(config.severity))
            error = _error(item.exception_info)
            outcomes.append(
                ExpectationOutcome(
                    asset=asset or suite,
                    suite=suite,
                    expectation=config.type,
                    kwargs={k: v for k, v in config.kwargs.items() if k != "batch_id"},
                    severity=severity,
                    success=bool(item.success),
                    failing_count=failing,
                    observed=res.get("observed_value", {"error": error} if error else None),
                    sample=list(sample)[:5],
                    why=(config.meta or {}).get("why", ""),
                    day=day,
                    when_empty=target.when_empty if target else "",
                    error=error,
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


def _release_connections(context: Any) -> None:
    """The datasource builds one engine per checked day (its URL carries the day): close this
    day's connections instead of leaving them to the garbage collector."""
    with contextlib.suppress(Exception):
        datasource = context.data_sources.get(DATASOURCE)
        datasource.get_execution_engine().engine.dispose()
        datasource.get_engine().dispose()  # the one GX tests new assets with


def _verdict(day: dt.date, outcomes: list[ExpectationOutcome], targets: int, seconds: float) -> str:
    failed = [o for o in outcomes if not o.success]
    critical = _first_what_failed([o for o in failed if o.severity == "critical"])
    warned = [o for o in failed if o.severity != "critical"]
    counts = f"{targets} tables, {len(outcomes)} expectations, {seconds:.1f} s"
    if not critical:
        return f"quality gate passed for {day}: {len(warned)} warning(s) ({counts})"
    lines = "\n".join(f"  - {line}" for line in failure_lines(critical))
    return (
        f"quality gate FAILED for {day}: {len(critical)} critical expectation(s) failed, "
        f"{len(warned)} warning(s) ({counts}):\n{lines}"
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
    ops.quality_results, rebuild the Data Docs once, and raise on critical failures. Each day's
    verdict is logged as soon as it is known, before warnings and Data Docs, so the first lines
    of the log say what failed."""
    days = sorted(days) if isinstance(days, list) else [days]
    url = url or database.warehouse_url()
    config = quality_config()
    severities = no_rows_severities(config)
    parameters = expectation_parameters(networks, config)
    targets = all_targets(networks)
    # the URL GX reads through ${GX_WAREHOUSE_URL}; it changes per day (and so does the engine)
    os.environ[URL_VARIABLE] = sqlalchemy_url(url, days[0])
    context = _context()
    checkpoint = _sync(context, targets, severities)
    by_asset = {t.asset: t for t in targets}
    from great_expectations.core.run_identifier import RunIdentifier

    gate = GateResult(days[-1])
    identifiers = []
    for day in days:
        started = time.monotonic()
        os.environ[URL_VARIABLE] = sqlalchemy_url(url, day)
        try:
            result = checkpoint.run(
                expectation_parameters=parameters,
                run_id=RunIdentifier(run_name=f"{run_id} {day}"),
            )
        finally:
            _release_connections(context)
        outcomes = _outcomes(result, day, by_asset)
        _record(outcomes, day, run_id, url)
        verdict = _verdict(day, outcomes, len(targets), time.monotonic() - started)
        if any(not o.success and o.severity == "critical" for o in outcomes):
            log.error(verdict)
        else:
            log.info(verdict)
        gate.outcomes.extend(outcomes)
        gate.days.append(day)
        identifiers.extend(result.run_results.keys())
    for line in failure_lines(gate.warnings):
        log.warning("quality warning: %s", line)
    if build_docs:
        gate.docs_index = _build_docs(context, identifiers)
    log.info(
        "quality gate %s: %s. Data Docs: %s",
        ", ".join(map(str, days)),
        gate.summary(),
        f"file://{gate.docs_index}" if gate.docs_index else "not built",
    )
    if gate.critical_failures and raise_on_critical:
        lines = "\n".join(f"  - {line}" for line in failure_lines(gate.critical_failures))
        raise QualityGateFailed(
            f"quality gate failed for {', '.join(map(str, days))}: "
            f"{len(gate.critical_failures)} critical expectation(s) failed, the marts asset is "
            f"not published:\n{lines}\nSee ops.quality_results (run_id {run_id!r}) and the Data "
            f"Docs at {gate.docs_index or 'expectations/gx/uncommitted/data_docs (not built)'}"
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
