"""`make celery-check`: the CeleryExecutor for real, on this machine. Starts the Airflow scheduler,
dag-processor and API server and TWO Celery workers with distinct hostnames against the machine's
Redis (broker) and PostgreSQL (metadata, Celery results, warehouse); runs every network's extract
DAG for yesterday against the built-in sandbox, then `transform_social` (dbt and the quality gate);
checks that both workers executed task instances (`task_instance.hostname`) and that each
network's pool capped its account loads across both workers; then stops every process it started
and proves none is left.

Every network is extracted (not one) because the quality gate checks all six networks' raw
tables. The check runs on a copy of config/ whose pools have ONE slot each, while the two workers
offer four task slots together: a pool enforced per worker (instead of by the scheduler, as
Airflow does) would show here as two loads of one network at once.

Its Airflow home and logs are under .run/celery-check/; its databases are `<base>_celery`
(warehouse) and `<base>_celery_airflow` (metadata), recreated empty on every run. The broker is
CELERY_CHECK_BROKER_URL (default redis://127.0.0.1:6379/0); the run uses a queue of its own, so
another deployment or check on the same Redis never takes its tasks."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from social_warehouse import paths

WORKERS = ("celery-check-a", "celery-check-b")
WORKER_CONCURRENCY = 2
POOL_SLOTS = 1
DEFAULT_BROKER = "redis://127.0.0.1:6379/0"
RUN_MARKER = "SW_CELERY_CHECK_RUN"
HOSTNAME_VAR = "SW_WORKER_HOSTNAME"

Echo = Callable[[str], None]


def worker_hostname() -> str:
    """`[core] hostname_callable` of the check's workers: two workers on one machine would
    otherwise both record this machine's FQDN in `task_instance.hostname`. In compose (and on
    real machines) every worker has its own hostname and the default callable is used."""
    return os.environ.get(HOSTNAME_VAR) or socket.getfqdn()


class CheckFailed(RuntimeError):
    """The check could not run or its cluster misbehaved; the message says where to look."""


@dataclass
class PoolUse:
    slots: int
    accounts: int = 0
    peak: int = 0
    hosts: Counter = field(default_factory=Counter)


@dataclass
class CheckResult:
    runs: dict[str, str] = field(default_factory=dict)
    hostnames: dict[str, Counter] = field(default_factory=dict)
    pools: dict[str, PoolUse] = field(default_factory=dict)
    failed_tasks: list[str] = field(default_factory=list)
    forced_kills: list[str] = field(default_factory=list)
    leftovers: list[str] = field(default_factory=list)
    mart_rows: int = 0
    error: str | None = None
    seconds: float = 0.0

    def all_hostnames(self) -> Counter:
        total: Counter = Counter()
        for counts in self.hostnames.values():
            total.update(counts)
        return total

    @property
    def ok(self) -> bool:
        return (
            self.error is None
            and set(self.runs.values()) == {"success"}
            and set(self.all_hostnames()) == set(WORKERS)
            and bool(self.pools)
            and all(p.peak <= p.slots for p in self.pools.values())
            and self.mart_rows > 0
            and not self.leftovers
        )

    def report(self) -> list[str]:
        lines = [f"{dag}: {state}" for dag, state in self.runs.items()]
        if self.error:
            lines.append(f"error: {self.error}")
        for dag, counts in self.hostnames.items():
            spread = ", ".join(f"{host} {n}" for host, n in sorted(counts.items()))
            lines.append(f"{dag}: task instances by worker: {spread}")
        for pool, use in sorted(self.pools.items()):
            lines.append(
                f"pool {pool}: {use.accounts} account loads, at most {use.peak} at once "
                f"(slots {use.slots}; by worker: "
                f"{', '.join(f'{h} {n}' for h, n in sorted(use.hosts.items()))})"
            )
        lines.append(f"marts.account_daily rows for the day: {self.mart_rows}")
        if self.failed_tasks:
            lines.append("failed tasks: " + ", ".join(self.failed_tasks))
        if self.forced_kills:
            lines.append("needed SIGKILL: " + ", ".join(self.forced_kills))
        lines.append(
            "leftover processes: " + (", ".join(self.leftovers) if self.leftovers else "none")
        )
        return lines


@dataclass
class Component:
    name: str
    argv: list[str]
    env: dict[str, str]
    log: Path
    process: subprocess.Popen | None = None

    def start(self, cwd: Path) -> Component:
        with self.log.open("ab") as out:
            # own session: a signal to this component's group never reaches the check itself
            self.process = subprocess.Popen(
                self.argv,
                env=self.env,
                cwd=cwd,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def terminate(self) -> None:
        """SIGTERM to the component's main process: Celery's warm shutdown, the scheduler's
        executor shutdown, uvicorn's graceful stop."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)

    def finish(self, timeout: float) -> bool:
        """Wait for the main process and its whole group to be gone; SIGKILL the group after
        `timeout`. Returns True when SIGKILL was needed."""
        if self.process is None:
            return False
        pgid = self.process.pid
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout)
        deadline = time.monotonic() + 5
        while _group_alive(pgid) and time.monotonic() < deadline:
            time.sleep(0.2)
        if self.process.poll() is None or _group_alive(pgid):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pgid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(10)
            return True
        return False

    def tail(self, lines: int = 15) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def marked_processes(marker: str) -> list[str]:
    """Every live process whose environment carries this run's marker, wherever it was
    re-parented: what a clean stop must leave behind is nothing."""
    import psutil

    found = []
    for proc in psutil.process_iter(["pid", "name", "cmdline"]):
        if proc.pid == os.getpid():
            continue
        try:
            if proc.environ().get(RUN_MARKER) == marker and proc.status() != psutil.STATUS_ZOMBIE:
                cmd = " ".join(proc.info["cmdline"] or [proc.info["name"] or "?"])[:80]
                found.append(f"{proc.pid} {cmd}")
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
    return found


def write_check_config(target: Path) -> None:
    """config/ as it is, but every network's pool (`pool_slots`) cut to one slot and one account
    per load task (`accounts_per_task`), so a network's accounts are separate task instances the
    two workers can take at once."""
    import yaml

    from social_warehouse.networks import catalog

    shutil.copytree(paths.config_dir(), target)
    settings = yaml.safe_load((target / "networks.yml").read_text()) or {}
    networks = settings.get("networks") or {}
    for network in catalog.names():
        networks[network] = {
            **(networks.get(network) or {}),
            "pool_slots": POOL_SLOTS,
            "accounts_per_task": 1,
        }
    settings["networks"] = networks
    (target / "networks.yml").write_text(yaml.safe_dump(settings, sort_keys=False))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def check_broker(url: str) -> None:
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=3).ping()
    except redis.RedisError as exc:
        raise CheckFailed(
            f"no Redis answers at {url} ({exc}): start it "
            "(redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save '') "
            "or point CELERY_CHECK_BROKER_URL at one"
        ) from exc


class Api:
    """The few REST calls the check makes, with a token from the simple auth manager."""

    def __init__(self, base: str, password: str) -> None:
        import requests

        self.base = base
        self.session = requests.Session()
        self.password = password

    def login(self) -> None:
        answer = self.session.post(
            f"{self.base}/auth/token",
            json={"username": "admin", "password": self.password},
            timeout=30,
        )
        answer.raise_for_status()
        self.session.headers["Authorization"] = f"Bearer {answer.json()['access_token']}"

    def health(self) -> dict[str, Any] | None:
        import requests

        try:
            answer = self.session.get(f"{self.base}/api/v2/monitor/health", timeout=5)
        except requests.RequestException:
            return None
        return answer.json() if answer.status_code == 200 else None

    def execution_api_ready(self) -> bool:
        """The execution API (what the workers' tasks call) builds itself on its first request,
        which took 26 s here under load: pay that before a task waits on it."""
        import requests

        try:
            answer = self.session.get(f"{self.base}/execution/health", timeout=120)
        except requests.RequestException:
            return False
        return answer.status_code == 200

    def dag_exists(self, dag_id: str) -> bool:
        return self.session.get(f"{self.base}/api/v2/dags/{dag_id}", timeout=30).status_code == 200

    def unpause(self, dag_id: str) -> None:
        answer = self.session.patch(
            f"{self.base}/api/v2/dags/{dag_id}", json={"is_paused": False}, timeout=30
        )
        answer.raise_for_status()

    def trigger(self, dag_id: str, conf: dict[str, Any]) -> str:
        run_id = f"celery_check__{dag_id}__{uuid.uuid4().hex[:8]}"
        answer = self.session.post(
            f"{self.base}/api/v2/dags/{dag_id}/dagRuns",
            json={
                "dag_run_id": run_id,
                "logical_date": dt.datetime.now(dt.UTC).isoformat(),
                "conf": conf,
            },
            timeout=30,
        )
        if answer.status_code >= 300:
            raise CheckFailed(f"triggering {dag_id} answered {answer.status_code}: {answer.text}")
        return run_id


@dataclass
class Cluster:
    """The processes of one check run and what they share."""

    root: Path
    env: dict[str, str]
    echo: Echo
    components: list[Component] = field(default_factory=list)

    def start(self, name: str, argv: list[str], extra_env: dict[str, str] | None = None) -> None:
        log = self.root / "logs" / f"{name}.log"
        component = Component(name, argv, {**self.env, **(extra_env or {})}, log)
        self.components.append(component.start(paths.project_root()))

    def assert_alive(self) -> None:
        for component in self.components:
            if not component.running():
                raise CheckFailed(
                    f"{component.name} exited with {component.process.returncode}; "
                    f"its log {component.log} ends with:\n{component.tail()}"
                )

    def component(self, name: str) -> Component:
        return next(c for c in self.components if c.name == name)

    def stop(self) -> list[str]:
        """Workers first (nothing runs by now: they finish at once), then the rest; each group
        stopped in parallel. Returns the components that needed SIGKILL."""
        forced = []
        workers = [c for c in self.components if c.name.startswith("worker")]
        others = [c for c in self.components if c not in workers]
        for group in (workers, others):
            started = time.monotonic()
            for component in group:
                component.terminate()
            forced += [c.name for c in group if c.finish(timeout=45)]
            names = ", ".join(c.name for c in group)
            self.echo(f"stopped {names} in {time.monotonic() - started:.1f}s")
        return forced


def check_env(
    root: Path, warehouse_url: str, metadata_url: str, broker: str, queue: str, marker: str
) -> tuple[dict[str, str], str, int]:
    from cryptography.fernet import Fernet

    from social_warehouse.orchestration.airflow_env import airflow_env
    from social_warehouse.orchestration.dbt_env import dbt_env

    home = root / "airflow"
    home.mkdir(parents=True, exist_ok=True)
    password = secrets.token_urlsafe(18)
    passwords = home / "passwords.json"
    passwords.write_text(json.dumps({"admin": password}))
    passwords.chmod(0o600)
    port = free_port()
    metadata = metadata_url.split("://", 1)[1]
    bin_dir = str(Path(sys.executable).parent)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "SW_DBT_"))},
        **airflow_env(warehouse_url),
        **dbt_env(warehouse_url),
        "PATH": bin_dir + os.pathsep + os.environ.get("PATH", ""),
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__COSMOS__CACHE_DIR": str(home / "cosmos"),
        "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(root / "logs" / "tasks"),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"postgresql+psycopg2://{metadata}",
        "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
        "AIRFLOW__CORE__PARALLELISM": "8",
        "AIRFLOW__CELERY__BROKER_URL": broker,
        "AIRFLOW__CELERY__RESULT_BACKEND": f"db+postgresql://{metadata}",
        # this run's own queue: another check or deployment on the same Redis never takes its tasks
        "AIRFLOW__OPERATORS__DEFAULT_QUEUE": queue,
        "AIRFLOW__CELERY__SYNC_PARALLELISM": "1",
        # what compose sets too: each worker imports the tasks' modules once, not per task
        "AIRFLOW__CELERY__CELERY_CONFIG_OPTIONS": (
            "social_warehouse.orchestration.celery_config.CELERY_CONFIG"
        ),
        "AIRFLOW__CELERY_BROKER_TRANSPORT_OPTIONS__VISIBILITY_TIMEOUT": "21600",
        "AIRFLOW__CORE__FERNET_KEY": Fernet.generate_key().decode(),
        "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_urlsafe(64),
        "AIRFLOW__API__SECRET_KEY": secrets.token_urlsafe(32),
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__API__PORT": str(port),
        "AIRFLOW__API__WORKERS": "1",
        "AIRFLOW__API__BASE_URL": f"http://127.0.0.1:{port}",
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{port}/execution/",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(passwords),
        # only the runs the check triggers: no cron runs of the six extract DAGs on unpause
        "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False",
        # parse once at start-up; re-parsing every 30 s only takes CPU from the tasks
        "AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL": "600",
        "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "600",
        "SOCIAL_WAREHOUSE_CONFIG_DIR": str(root / "config"),
        RUN_MARKER: marker,
    }
    return env, password, port


def run_airflow(env: dict[str, str], root: Path, name: str, *args: str) -> None:
    log = root / "logs" / f"{name}.log"
    with log.open("ab") as out:
        result = subprocess.run(
            list(args), env=env, cwd=paths.project_root(), stdout=out, stderr=subprocess.STDOUT
        )
    if result.returncode:
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-15:])
        raise CheckFailed(f"`{' '.join(args[:3])}` failed (log {log}):\n{tail}")


def wait_until(
    what: str, ready: Callable[[], bool], timeout: float, cluster: Cluster, poll: float = 1.0
) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        cluster.assert_alive()
        if time.monotonic() > deadline:
            raise CheckFailed(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(poll)


def run_states(metadata_url: str, run_id: str) -> tuple[str | None, Counter]:
    from social_warehouse.warehouse import database

    with database.connect(metadata_url) as conn:
        row = conn.execute("select state from dag_run where run_id = %s", (run_id,)).fetchone()
        states = Counter(
            {
                (state or "none"): n
                for state, n in conn.execute(
                    "select state, count(*) from task_instance where run_id = %s group by state",
                    (run_id,),
                )
            }
        )
    return (row[0] if row else None), states


def wait_for_runs(
    cluster: Cluster, metadata_url: str, run_ids: dict[str, str], deadline: float
) -> dict[str, str]:
    """Wait until every run has finished; progress every 15 s; stop at the first failed task
    (the DAGs retry after minutes: a failure now is the answer, not something to wait out)."""
    start = time.monotonic()
    last_report = 0.0
    done: dict[str, str] = {}
    while True:
        cluster.assert_alive()
        total: Counter = Counter()
        for dag_id, run_id in run_ids.items():
            state, tasks = run_states(metadata_url, run_id)
            total.update(tasks)
            if tasks.get("up_for_retry") or tasks.get("failed"):
                raise CheckFailed(
                    f"{dag_id} run {run_id}: a task failed ({_states(tasks)}); "
                    f"{failed_task_logs(cluster, dag_id, run_id)}"
                )
            if state in ("success", "failed") and dag_id not in done:
                done[dag_id] = state
        elapsed = time.monotonic() - start
        label = next(iter(run_ids)) if len(run_ids) == 1 else f"{len(run_ids)} runs"
        if len(done) == len(run_ids):
            cluster.echo(f"{label}: {', '.join(sorted(set(done.values())))} in {elapsed:.0f}s")
            return done
        if elapsed - last_report >= 15:
            cluster.echo(f"{label}: {len(done)} finished after {elapsed:.0f}s ({_states(total)})")
            last_report = elapsed
        if time.monotonic() > deadline:
            raise CheckFailed(
                f"{label} not finished in time ({_states(total)}); task logs in "
                f"{cluster.root / 'logs' / 'tasks'}"
            )
        time.sleep(2)


def failed_task_logs(cluster: Cluster, dag_id: str, run_id: str) -> str:
    """The end of the failing log, so the cause is in the check's own output: the task's log,
    else the workers' (a task that could not even start logs only there)."""
    folder = cluster.root / "logs" / "tasks"
    logs = sorted((folder / f"dag_id={dag_id}" / f"run_id={run_id}").rglob("*.log"))
    logs += [c.log for c in cluster.components if c.name.startswith("worker")]
    for log in logs:
        lines = log.read_text(errors="replace").splitlines()
        errors = [i for i, line in enumerate(lines) if '"level":"error"' in line or "Error" in line]
        if errors:
            return f"{log}:\n" + "\n".join(lines[max(0, errors[-1] - 6) : errors[-1] + 2])
    return f"task logs under {folder}"


def _states(tasks: Counter) -> str:
    return ", ".join(f"{n} {state}" for state, n in sorted(tasks.items())) or "no tasks yet"


def collect(metadata_url: str, run_ids: dict[str, str], result: CheckResult) -> None:
    from social_warehouse.warehouse import database

    with database.connect(metadata_url) as conn:
        slots = dict(conn.execute("select pool, slots from slot_pool where pool like 'social_%'"))
        result.pools = {pool: PoolUse(n) for pool, n in slots.items()}
        for dag_id, run_id in run_ids.items():
            rows = conn.execute(
                """select task_id, map_index, state, hostname, start_date, end_date, pool,
                          pool_slots
                   from task_instance where dag_id = %s and run_id = %s""",
                (dag_id, run_id),
            ).fetchall()
            executed = [r for r in rows if r[3]]
            result.hostnames[dag_id] = Counter(r[3] for r in executed)
            result.failed_tasks += [
                f"{dag_id}.{r[0]}[{r[1]}]" for r in rows if r[2] in ("failed", "upstream_failed")
            ]
            loads = [r for r in executed if r[6] in result.pools and r[4] and r[5]]
            for pool in {r[6] for r in loads}:
                use = result.pools[pool]
                mine = [r for r in loads if r[6] == pool]
                use.accounts += len(mine)
                use.hosts.update(r[3] for r in mine)
                use.peak = max(
                    use.peak, peak_overlap([(r[4], r[5]) for r in mine], [r[7] for r in mine])
                )


def peak_overlap(
    intervals: list[tuple[dt.datetime, dt.datetime]], weights: list[int] | None = None
) -> int:
    """The most pool slots held at one instant: each interval holds its weight (1 when not
    given; a load task's `pool_slots`); an end at t closes before a start at t."""
    weights = weights or [1] * len(intervals)
    events = sorted(
        [(s, w) for (s, _), w in zip(intervals, weights, strict=True)]
        + [(e, -w) for (_, e), w in zip(intervals, weights, strict=True)]
    )
    peak = current = 0
    for _, delta in events:
        current += delta
        peak = max(peak, current)
    return peak


def run_check(
    base_dbname: str, echo: Echo = print, root: Path | None = None, timeout: float = 600
) -> CheckResult:
    """The whole check; returns what it saw (the caller decides pass/fail from it)."""
    from social_warehouse.config import load_brands
    from social_warehouse.connections import env_var_name
    from social_warehouse.networks import catalog
    from social_warehouse.runner import ensure_dbt_manifest
    from social_warehouse.sandbox.demo_grants import demo_connections
    from social_warehouse.sandbox.server import Sandbox
    from social_warehouse.warehouse import database, embedded
    from social_warehouse.warehouse.migrate import migrate

    started = time.monotonic()
    result = CheckResult()
    root = root or paths.run_dir() / "celery-check"
    shutil.rmtree(root, ignore_errors=True)
    (root / "logs").mkdir(parents=True)
    broker = os.environ.get("CELERY_CHECK_BROKER_URL", DEFAULT_BROKER)
    check_broker(broker)

    server = embedded.ensure_server(echo=echo)
    warehouse_url = database.with_database(server, f"{base_dbname}_celery")
    metadata_url = database.with_database(server, f"{base_dbname}_celery_airflow")
    for url in (warehouse_url, metadata_url):
        database.recreate_database(url)
    migrate(warehouse_url)
    write_check_config(root / "config")
    ensure_dbt_manifest(echo)
    marker = uuid.uuid4().hex
    queue = f"celery_check_{marker[:8]}"
    env, password, port = check_env(root, warehouse_url, metadata_url, broker, queue, marker)
    echo(
        f"databases {database.parts(warehouse_url).dbname} (warehouse) and "
        f"{database.parts(metadata_url).dbname} (metadata); broker {broker}, queue {queue}; "
        f"logs in {root / 'logs'}"
    )

    sandbox = Sandbox().start()
    networks = catalog.names()
    # one sandbox OAuth grant per `grant:` of the accounts, as `make airflow` makes them; here
    # in the JSON environment form, which every component and worker inherits
    accounts = [a for b in load_brands(root / "config" / "accounts.yml") for a in b.accounts]
    for grant, connection in demo_connections(sandbox.url, accounts).items():
        env[env_var_name(grant)] = json.dumps(connection)
    cluster = Cluster(root, env, echo)
    airflow = str(Path(sys.executable).parent / "airflow")
    try:
        echo("airflow db migrate (fresh metadata database)")
        run_airflow(env, root, "db-migrate", airflow, "db", "migrate")
        echo("starting api-server, scheduler, dag-processor and workers " + ", ".join(WORKERS))
        cluster.start("api-server", [airflow, "api-server"])
        cluster.start("scheduler", [airflow, "scheduler"])
        cluster.start("dag-processor", [airflow, "dag-processor"])
        for name in WORKERS:
            cluster.start(
                f"worker-{name[-1]}",
                [
                    airflow,
                    "celery",
                    "worker",
                    "--celery-hostname",
                    f"{name}@%h",
                    "--concurrency",
                    str(WORKER_CONCURRENCY),
                    "--queues",
                    queue,
                    "--skip-serve-logs",
                    "--without-gossip",
                    "--without-mingle",
                ],
                {
                    HOSTNAME_VAR: name,
                    # by name: run as `python -m`, this module's __name__ is __main__
                    "AIRFLOW__CORE__HOSTNAME_CALLABLE": (
                        "social_warehouse.orchestration.celery_check.worker_hostname"
                    ),
                },
            )
        # the pools, as in production (`social-warehouse airflow-setup` in airflow-init)
        run_airflow(
            env,
            root,
            "airflow-setup",
            sys.executable,
            "-m",
            "social_warehouse.cli",
            "airflow-setup",
        )
        api = Api(f"http://127.0.0.1:{port}", password)

        def healthy() -> bool:
            health = api.health()
            return bool(health) and all(
                (health.get(part) or {}).get("status") == "healthy"
                for part in ("metadatabase", "scheduler", "dag_processor")
            )

        wait_until(
            "the API server, scheduler and dag-processor to be healthy", healthy, 240, cluster
        )
        echo("API server, scheduler and dag-processor healthy")
        wait_until("the execution API", api.execution_api_ready, 180, cluster)
        for name in WORKERS:
            log = cluster.component(f"worker-{name[-1]}").log
            wait_until(
                f"Celery worker {name} (log {log})",
                lambda log=log: " ready." in log.read_text(errors="replace"),
                240,
                cluster,
            )
        echo("both Celery workers ready")
        api.login()
        dag_ids = [f"extract_{n}" for n in networks] + ["transform_social"]
        wait_until(
            "the dag-processor to serialize the DAGs",
            lambda: all(api.dag_exists(d) for d in dag_ids),
            180,
            cluster,
        )
        for dag_id in dag_ids:
            api.unpause(dag_id)
        day = (dt.datetime.now(dt.UTC) - dt.timedelta(days=1)).date().isoformat()
        deadline = started + timeout
        run_ids = {d: api.trigger(d, {"day": day}) for d in dag_ids[:-1]}
        echo(f"triggered {len(run_ids)} extract DAGs for {day}")
        result.runs = wait_for_runs(cluster, metadata_url, run_ids, deadline)
        if set(result.runs.values()) == {"success"}:
            transform = {"transform_social": api.trigger("transform_social", {"day": day})}
            echo(f"triggered transform_social for {day}")
            result.runs.update(wait_for_runs(cluster, metadata_url, transform, deadline))
            run_ids.update(transform)
        collect(metadata_url, run_ids, result)
        with database.connect(warehouse_url) as conn:
            result.mart_rows = conn.execute(
                "select count(*) from marts.account_daily where metric_date = %s", (day,)
            ).fetchone()[0]
    except CheckFailed as exc:
        result.error = str(exc)
    finally:
        echo("stopping the workers, scheduler, dag-processor and API server")
        result.forced_kills = cluster.stop()
        sandbox.stop()
        with contextlib.suppress(Exception):
            import redis

            # the queue and kombu's bindings for it (`_kombu.binding*.<queue>`)
            client = redis.Redis.from_url(broker)
            keys = [queue, *client.scan_iter(match=f"_kombu.binding*.{queue}")]
            client.delete(*keys)
        time.sleep(0.5)
        result.leftovers = marked_processes(marker)
        result.seconds = time.monotonic() - started
    return result


class Console:
    def __init__(self) -> None:
        self.start = time.monotonic()

    def __call__(self, message: str) -> None:
        print(f"[{time.monotonic() - self.start:6.1f}s] {message}", flush=True)


def main() -> int:
    from social_warehouse.warehouse import database

    console = Console()
    base = database.parts(database.warehouse_url()).dbname
    try:
        result = run_check(base, echo=console)
    except CheckFailed as exc:  # before anything started: no broker, no database
        console(f"celery-check FAILED: {exc}")
        return 1
    for line in result.report():
        console(line)
    if result.ok:
        console(f"celery-check passed in {result.seconds:.0f}s")
        return 0
    console(
        "celery-check FAILED: expected every run to succeed, both workers "
        f"({', '.join(WORKERS)}) to execute tasks, no pool with more loads at once than slots "
        f"and no leftover process; logs in {paths.run_dir() / 'celery-check' / 'logs'}"
    )
    return 1


if __name__ == "__main__":
    sys.exit(main())
