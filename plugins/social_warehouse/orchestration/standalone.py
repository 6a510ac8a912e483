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
from social_warehouse.config import load_brands
from social_warehouse.orchestration.airflow_env import apply_airflow_env, metadata_url
from social_warehouse.orchestration.dbt_env import apply_dbt_env
from social_warehouse.sandbox.demo_grants import demo_connections, store
from social_warehouse.sandbox.server import Sandbox
from social_warehouse.warehouse import database, embedded

PORT = int(os.environ.get("AIRFLOW_PORT", "8080"))


def main() -> int:
    url = embedded.ensure_server()
    env = apply_airflow_env(url)
    apply_dbt_env(url)
    database.ensure_database(metadata_url(url))
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
    # standalone starts its components as `airflow <component>`: this venv must come first on PATH
    bin_dir = str(Path(sys.executable).parent)
    os.environ["PATH"] = bin_dir + os.pathsep + os.environ.get("PATH", "")
    airflow = str(Path(bin_dir) / "airflow")
    subprocess.run([airflow, "db", "migrate"], check=True, stdout=subprocess.DEVNULL)
    subprocess.run([sys.executable, "-m", "social_warehouse.cli", "airflow-setup"], check=True)
    # the demo's grants as connections in the metadata database (not environment variables),
    # so an edit in Admin > Connections takes effect on the next task, as for real grants
    accounts = [a for b in load_brands() for a in b.accounts]
    stored = store(demo_connections(sandbox.url, accounts))
    print(f"{len(stored)} sandbox OAuth grants stored in Admin > Connections")
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
