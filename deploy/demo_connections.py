"""Compose `--profile demo` only: one sandbox OAuth grant per `grant:` in config/accounts.yml,
stored as Airflow connections in the metadata database, so the extract DAGs load the sandbox's
data and refresh their tokens as against the real networks. Production services never get
these: without the demo profile the grants come from `social-warehouse connect`, Admin >
Connections, a secrets backend or AIRFLOW_CONN_* in .env.

Usage: python deploy/demo_connections.py http://sandbox:8765
"""

from __future__ import annotations

import sys

from social_warehouse.config import load_brands
from social_warehouse.sandbox.demo_grants import demo_connections, store


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    accounts = [a for b in load_brands() for a in b.accounts]
    stored = store(demo_connections(argv[0], accounts))
    print(f"{len(stored)} demo grant(s) point at {argv[0]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
