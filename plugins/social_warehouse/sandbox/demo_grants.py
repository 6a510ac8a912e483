"""The demo's OAuth grants: one sandbox OAuth app per network and one grant per `grant:` named in
config/accounts.yml, as if each brand's owner had consented (the sandbox's control endpoints
stand in for the browser), returned as Airflow connections in their JSON form. Used by
`make run`, `make airflow`, the compose demo profile and the tests; client secrets and tokens
are minted by the sandbox at run time and never written to the repo."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import requests

from social_warehouse.config import Account


def demo_connections(sandbox_url: str, accounts: Iterable[Account]) -> dict[str, dict[str, Any]]:
    """{grant name: connection JSON} for every grant the accounts name."""
    owners: dict[str, tuple[str, list[str]]] = {}
    for account in accounts:
        network, ids = owners.setdefault(account.grant, (account.network, []))
        if network != account.network:
            raise ValueError(
                f"grant {account.grant!r} is named by {network} and {account.network} accounts: "
                "a grant belongs to one network"
            )
        ids.append(account.account_id)
    clients: dict[str, str] = {}
    connections: dict[str, dict[str, Any]] = {}
    with requests.Session() as session:
        for grant, (network, ids) in sorted(owners.items()):
            if network not in clients:
                answer = session.post(
                    f"{sandbox_url}/_sandbox/oauth/clients", json={"network": network}, timeout=30
                )
                answer.raise_for_status()
                clients[network] = answer.json()["client_id"]
            answer = session.post(
                f"{sandbox_url}/_sandbox/oauth/grants",
                json={"network": network, "client_id": clients[network], "accounts": ids},
                timeout=30,
            )
            answer.raise_for_status()
            connection = dict(answer.json()["connection"])
            connection["description"] = f"sandbox demo grant of {', '.join(ids)} ({network})"
            connections[grant] = connection
    return connections


def store(connections: dict[str, dict[str, Any]]) -> list[str]:
    """Write the grants into Airflow's metadata database (as Admin > Connections would)."""
    from social_warehouse.onboarding import store_in_airflow

    return [store_in_airflow(grant, connection) for grant, connection in connections.items()]
