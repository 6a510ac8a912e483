"""Compose `--profile demo` only: store one Airflow connection per network (`social_<network>`,
the id config/networks.yml names) pointing at the sandbox, in the metadata database, so the
extract DAGs load its fake data. Production services never get these: without the demo profile
the connections come from Admin > Connections, a secrets backend or AIRFLOW_CONN_* in .env.

Usage: python deploy/demo_connections.py http://sandbox:8765
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from urllib.parse import urlsplit

from social_warehouse.config import load_network_settings
from social_warehouse.networks import registry


def demo_connections(sandbox_url: str) -> dict[str, dict[str, object]]:
    sandbox = urlsplit(sandbox_url)
    return {
        load_network_settings(network).connection_id: {
            "conn_type": sandbox.scheme or "http",
            "host": sandbox.hostname,
            "port": sandbox.port,
            "schema": network,
            # the sandbox accepts any token; a real network's token never goes here
            "password": "sandbox-token",
            "description": f"demo: {network} served by the sandbox at {sandbox_url}",
        }
        for network in registry.names()
    }


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    connections = demo_connections(argv[0])
    with tempfile.NamedTemporaryFile("w", suffix=".json") as file:
        json.dump(connections, file)
        file.flush()
        subprocess.run(["airflow", "connections", "import", "--overwrite", file.name], check=True)
    print(f"{len(connections)} demo connection(s) point at {argv[0]}: {', '.join(connections)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
