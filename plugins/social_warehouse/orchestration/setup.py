"""Airflow objects the DAGs need: one pool per network, sized from config/networks.yml."""

from __future__ import annotations

from social_warehouse.config import load_network_settings
from social_warehouse.networks import catalog


def pool_name(network: str) -> str:
    return f"social_{network}"


def pool_specs() -> dict[str, int]:
    """Pool name -> slots: one pool per network of the catalog, sized by its pool_slots."""
    return {pool_name(n): load_network_settings(n).pool_slots for n in catalog.names()}


def ensure_pools() -> list[str]:
    from airflow.models.pool import Pool

    lines = []
    for name, slots in pool_specs().items():
        Pool.create_or_update_pool(
            name=name,
            slots=slots,
            description=f"{name}: accounts loading at once (config/networks.yml pool_slots)",
            include_deferred=False,
        )
        lines.append(f"pool {name}: {slots} slot(s)")
    return lines
