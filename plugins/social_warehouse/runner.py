"""`make run`: the main job. Starts (or finds) the warehouse and the sandbox, runs every network's
extract DAG and the transform DAG through Airflow's own `dag.test()` for each of the last N days
(the sandbox clock set to each run's scheduled time), then prints what landed and where to look.
Airflow's and dbt's own output goes to .run/make-run.log; the console gets progress lines."""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from social_warehouse import paths
from social_warehouse.timeutil import Window


class Console:
    """Progress lines on the real terminal, even while fds 1/2 point at the log file."""

    def __init__(self) -> None:
        self.start = time.monotonic()
        self.stream = os.fdopen(os.dup(1), "w", buffering=1)

    def __call__(self, message: str) -> None:
        self.stream.write(f"[{time.monotonic() - self.start:6.1f}s] {message}\n")
        self.stream.flush()

    def raw(self, text: str) -> None:
        self.stream.write(text + "\n")
        self.stream.flush()


@contextlib.contextmanager
def output_to(log_path: Path) -> Iterator[None]:
    """Send everything written to fds 1 and 2 (Airflow, dbt subprocesses, GX) to a log file."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    with log_path.open("a") as log:
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)
        try:
            yield
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])


@functools.cache
def schedule_hour() -> int:
    """The hour (UTC) by which every network's daily extract has run: the latest hour of the
    networks' `schedule` settings (the run for day D happens on D+1)."""
    from social_warehouse.config import load_network_settings
    from social_warehouse.networks import catalog

    hours = []
    for network in catalog.names():
        hour = load_network_settings(network).schedule.split()[1]
        hours.append(int(hour) if hour.isdigit() else 0)
    return max(hours, default=0)


def run_clock(day: dt.date) -> dt.datetime:
    """When the scheduled run that loads `day` happens (and so the sandbox's 'now' for it)."""
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(schedule_hour()), tzinfo=dt.UTC)


def ensure_airflow_metadata(console: Any) -> None:
    from social_warehouse.orchestration.airflow_env import metadata_db_ready

    if metadata_db_ready():
        return
    console("initialising the Airflow metadata database (first run only, ~15 s)")
    airflow = Path(sys.executable).parent / "airflow"
    subprocess.run(
        [str(airflow), "db", "migrate"],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def ensure_dbt_manifest(console: Any) -> Path:
    """Cosmos renders the dbt DAG from target/manifest.json: (re)parse when a dbt file changed."""
    from social_warehouse.orchestration.dbt_env import dbt_env, dbt_executable

    project = paths.dbt_project_dir()
    manifest = project / "target" / "manifest.json"
    sources = [
        p
        for p in project.rglob("*")
        if p.suffix in (".sql", ".yml", ".csv")
        and "target" not in p.parts
        and "logs" not in p.parts
    ]
    if manifest.exists() and all(p.stat().st_mtime <= manifest.stat().st_mtime for p in sources):
        return manifest
    console("parsing the dbt project (dbt parse -> target/manifest.json)")
    result = subprocess.run(
        [dbt_executable(), "parse", "--quiet"],
        cwd=project,
        env={**os.environ, **dbt_env()},
        capture_output=True,
        text=True,
    )
    if result.returncode:
        raise RuntimeError(f"dbt parse failed:\n{result.stdout}\n{result.stderr}")
    return manifest


@dataclass
class DayOutcome:
    day: dt.date
    extract: dict[str, str] = field(default_factory=dict)
    transform: str = "not run"


@dataclass
class Pipeline:
    """The DAGs and the sandbox of one local session (used by `make run` and the e2e test)."""

    networks: list[str]
    console: Any
    sandbox: Any = None
    dags: dict[str, Any] = field(default_factory=dict)
    last_transform: Any = None
    grants: list[str] = field(default_factory=list)

    def start(self, url: str) -> Pipeline:
        from social_warehouse.orchestration.airflow_env import apply_airflow_env
        from social_warehouse.orchestration.dbt_env import apply_dbt_env
        from social_warehouse.sandbox.server import Sandbox

        apply_airflow_env(url)
        apply_dbt_env(url)
        os.environ["DBT_USE_COLORS"] = "false"
        ensure_airflow_metadata(self.console)
        ensure_dbt_manifest(self.console)
        if self.sandbox is None:
            self.sandbox = Sandbox().start()
            self.console(
                f"sandbox serving {len(self.sandbox.state.networks)} network APIs "
                f"at {self.sandbox.url}"
            )
        self.grants = self.store_demo_grants()
        from airflow.models import DagBag

        from social_warehouse.orchestration.setup import ensure_pools

        ensure_pools()
        bag = DagBag(dag_folder=str(paths.project_root() / "dags"))
        if bag.import_errors:
            raise RuntimeError(f"DAG import errors: {bag.import_errors}")
        self.dags = bag.dags
        # dag.test() waits out retry_delay before a retry: here a failure should show at once
        # (the scheduler still retries in production, where the DAGs' own retries apply)
        for dag in self.dags.values():
            for task in dag.tasks:
                task.retries = 0
        return self

    def store_demo_grants(self) -> list[str]:
        """One OAuth grant per `grant:` of the configured accounts, consented in the sandbox and
        stored as Airflow connections in the metadata database: the loads refresh their tokens
        as they would against the real networks."""
        from social_warehouse.config import load_brands
        from social_warehouse.sandbox.demo_grants import demo_connections, store

        accounts = [a for b in load_brands() for a in b.accounts if a.network in self.networks]
        connections = demo_connections(self.sandbox.url, accounts)
        store(connections)
        self.console(f"{len(connections)} sandbox OAuth grants stored as Airflow connections")
        return sorted(connections)

    def run_day(self, day: dt.date, transform: bool = True) -> DayOutcome:
        """Every network's extract DAG for `day`, at the time the scheduler would run it."""
        clock = run_clock(day)
        self.sandbox.state.clock = clock
        outcome = DayOutcome(day)
        conf = {"day": day.isoformat()}
        for network in self.networks:
            run = self.dags[f"extract_{network}"].test(logical_date=clock, run_conf=conf)
            outcome.extract[network] = str(run.state)
        if transform:
            outcome.transform = self.transform(day, 1)
        return outcome

    def transform(
        self, last_day: dt.date, days: int, offset_hours: int = 1, full_refresh: bool = False
    ) -> str:
        """One transform run checking `days` days up to `last_day`: what one asset-triggered
        run does after a backlog of extract runs."""
        clock = run_clock(last_day) + dt.timedelta(hours=offset_hours)
        self.sandbox.state.clock = clock
        conf = {"day": last_day.isoformat(), "days": days, "full_refresh": full_refresh}
        self.last_transform = self.dags["transform_social"].test(logical_date=clock, run_conf=conf)
        return str(self.last_transform.state)

    def stop(self) -> None:
        if self.sandbox is not None:
            self.sandbox.stop()


def day_report(url: str, days: list[dt.date]) -> list[dict[str, Any]]:
    from social_warehouse.warehouse import database

    with database.connect(url) as conn:
        rows = []
        for day in days:
            landed = conn.execute(
                """select coalesce(sum(records), 0), count(distinct network || account_id)
                   from (select distinct on (network, account_id, stream)
                                network, account_id, records
                         from ops.load_manifest where load_date = %s and status = 'success'
                         order by network, account_id, stream, load_id desc) latest""",
                (day,),
            ).fetchone()
            reach = conn.execute(
                """select count(*), sum(reach), sum(impressions) from marts.reach_daily
                   where metric_date = %s""",
                (day,),
            ).fetchone()
            engaged = conn.execute(
                "select sum(engagements) from marts.engagement_daily where metric_date = %s", (day,)
            ).fetchone()
            gate = conn.execute(
                """select count(*) filter (where not success and severity = 'critical'),
                          count(*) filter (where not success and severity <> 'critical'), count(*)
                   from ops.quality_results where checked_day = %s
                     and run_id = (select run_id from ops.quality_results where checked_day = %s
                                   order by checked_at desc limit 1)""",
                (day, day),
            ).fetchone()
            rows.append(
                {
                    "day": day,
                    "raw_rows": landed[0],
                    "accounts": landed[1],
                    "mart_rows": reach[0],
                    "reach": reach[1],
                    "impressions": reach[2],
                    "engagements": engaged[0],
                    "critical": gate[0],
                    "warnings": gate[1],
                    "checks": gate[2],
                }
            )
    return rows


def _fmt(value: Any) -> str:
    return "-" if value is None else f"{int(value):,}"


def print_report(console: Console, rows: list[dict[str, Any]]) -> None:
    header = (
        f"{'day':<11} {'raw rows':>9} {'accounts':>8} {'reach':>11} {'impressions':>12} "
        f"{'engagements':>12}  quality gate"
    )
    console.raw("")
    console.raw(header)
    console.raw("-" * len(header))
    for r in rows:
        if not r["checks"]:
            gate = "not run"
        elif r["critical"]:
            gate = f"FAILED ({r['critical']} critical)"
        else:
            gate = f"passed ({r['checks']} checks, {r['warnings']} warnings)"
        console.raw(
            f"{r['day']!s:<11} {_fmt(r['raw_rows']):>9} {r['accounts']:>8} {_fmt(r['reach']):>11} "
            f"{_fmt(r['impressions']):>12} {_fmt(r['engagements']):>12}  {gate}"
        )


def last_day_ended_everywhere(networks: list[str], now: dt.datetime) -> dt.date:
    from social_warehouse.config import load_network_settings
    from social_warehouse.timeutil import last_ended_day

    return min(last_ended_day(now, load_network_settings(n).timezone) for n in networks)


def main_job(
    days: int = 7,
    end: dt.date | None = None,
    networks: list[str] | None = None,
    full_refresh: bool = False,
) -> int:
    from social_warehouse.networks import catalog
    from social_warehouse.warehouse import database, embedded
    from social_warehouse.warehouse.migrate import migrate

    console = Console()
    networks = networks or catalog.names()
    # The job's default is the last day that is over in every network's time zone; the DAGs
    # themselves never read the clock.
    end = end or last_day_ended_everywhere(networks, dt.datetime.now(dt.UTC))
    window = Window.ending(end, days)
    log_path = paths.run_dir() / "make-run.log"
    log_path.write_text("")
    console(
        f"Social Warehouse main job: {len(networks)} network(s), days {window} "
        f"(Airflow/dbt output in {log_path.relative_to(paths.project_root())})"
    )
    url = embedded.ensure_server(echo=console)
    migrate(url, echo=console)
    console(f"warehouse ready at {database.redact(url)}")
    pipeline = Pipeline(networks, console)
    failed = False
    try:
        with output_to(log_path):
            pipeline.start(url)
            console(f"Airflow DAGs loaded: {', '.join(sorted(pipeline.dags))}")
            for day in window.days():
                t0 = time.monotonic()
                outcome = pipeline.run_day(day, transform=False)
                extract = " ".join(
                    f"{n}:{'ok' if s == 'success' else s.upper()}"
                    for n, s in outcome.extract.items()
                )
                failed = failed or any(s != "success" for s in outcome.extract.values())
                console(f"{day}  extract [{extract}]  ({time.monotonic() - t0:.0f}s)")
            t0 = time.monotonic()
            console(
                f"transform_social: dbt build and the quality gate for {window} (one run, as the "
                "asset trigger makes after a backlog of extract runs)"
            )
            state = pipeline.transform(window.end, len(window.days()), full_refresh=full_refresh)
            failed = failed or state != "success"
            console(
                f"transform_social: {'ok' if state == 'success' else state.upper()} "
                f"({time.monotonic() - t0:.0f}s)"
            )
    finally:
        pipeline.stop()
    print_report(console, day_report(url, window.days()))
    console.raw("")
    console.raw("Where to look next:")
    console.raw(
        f"  psql '{database.redact(url)}' -c "
        "'select * from marts.engagement_daily order by metric_date desc limit 20'"
    )
    console.raw("  make airflow      # the Airflow UI on http://127.0.0.1:8080 (admin/admin)")
    console.raw(
        "  Data Docs         "
        f"{paths.expectations_dir()}/gx/uncommitted/data_docs/local_site/index.html"
    )
    console.raw("  make docs         # dbt docs (lineage, column definitions), offline")
    console.raw(f"  full log          {log_path}")
    if failed:
        console.raw(
            f"\nSome runs failed: search {log_path} for 'error' "
            "(the task logs name the cause and the fix)."
        )
        return 1
    console(f"done in {time.monotonic() - console.start:.0f}s")
    return 0
