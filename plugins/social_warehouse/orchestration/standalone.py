"""`make airflow`: the Airflow UI and scheduler (airflow standalone) over this project, with the
sandbox serving the networks, until Ctrl-C. Login admin / admin (local development only)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from social_warehouse import paths
from social_warehouse.config import load_network_settings
from social_warehouse.connections import env_var_name
from social_warehouse.networks import catalog
from social_warehouse.orchestration.airflow_env import apply_airflow_env
from social_warehouse.orchestration.dbt_env import apply_dbt_env
from social_warehouse.sandbox.server import Sandbox
from social_warehouse.warehouse import database, embedded

PORT = int(os.environ.get("AIRFLOW_PORT", "8080"))


def main() -> int:
    url = embedded.ensure_server()
    env = apply_airflow_env(url)
    apply_dbt_env(url)
    # Scheduler, api-server, dag-processor, triggerer and workers write at once: SQLite locks
    # up under that, so the UI's Airflow keeps its metadata in PostgreSQL, next to the warehouse.
    metadata_url = database.with_database(url, database.parts(url).dbname + "_airflow")
    database.ensure_database(metadata_url)
    os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = (
        "postgresql+psycopg2://" + metadata_url.split("://", 1)[1]
    )
    home = Path(env["AIRFLOW_HOME"])
    passwords = home / "passwords.json"
    passwords.write_text(json.dumps({"admin": os.environ.get("AIRFLOW_ADMIN_PASSWORD", "admin")}))
    os.environ.update(
        {
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(passwords),
            "AIRFLOW__API__PORT": str(PORT),
            "AIRFLOW__API__BASE_URL": f"http://127.0.0.1:{PORT}",
        }
    )
    sandbox = Sandbox(port=int(os.environ.get("SANDBOX_PORT", "8765"))).start()
    for network in catalog.names():
        conn_id = load_network_settings(network).connection_id
        os.environ.setdefault(
            env_var_name(conn_id), f"http://:sandbox-token@{sandbox.url.split('://')[1]}/{network}"
        )
    # standalone starts its components as `airflow <component>`: this venv must come first on PATH
    bin_dir = str(Path(sys.executable).parent)
    os.environ["PATH"] = bin_dir + os.pathsep + os.environ.get("PATH", "")
    airflow = str(Path(bin_dir) / "airflow")
    subprocess.run([airflow, "db", "migrate"], check=True, stdout=subprocess.DEVNULL)
    subprocess.run([sys.executable, "-m", "social_warehouse.cli", "airflow-setup"], check=True)
    print(
        f"Airflow UI: http://127.0.0.1:{PORT} (admin / admin); sandbox at {sandbox.url}; "
        "Ctrl-C stops both"
    )
    # standalone stops its children only on SIGINT, which a backgrounded shell would ignore
    process = subprocess.Popen(
        [airflow, "standalone"],
        cwd=paths.project_root(),
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        return process.wait()
    except KeyboardInterrupt:
        process.send_signal(signal.SIGINT)
        return process.wait()
    finally:
        sandbox.stop()


if __name__ == "__main__":
    sys.exit(main())
