"""Airflow objects the DAGs need: one pool per network, sized from config/networks.yml."""

from __future__ import annotations

from social_warehouse.config import load_network_settings
from social_warehouse.networks import catalog


def pool_name(network: str) -> str:
    return f"social_{network}"


def ensure_pools() -> list[str]:
    from airflow.models.pool import Pool

    lines = []
    for network in catalog.names():
        settings = load_network_settings(network)
        Pool.create_or_update_pool(
            name=pool_name(network),
            slots=settings.pool_slots,
            description=f"{network}: accounts loading at once (config/networks.yml pool_slots)",
            include_deferred=False,
        )
        lines.append(f"pool {pool_name(network)}: {settings.pool_slots} slot(s)")
    return lines
