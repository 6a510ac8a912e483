"""The Airflow Assets that connect the DAGs: one raw asset per network, one for the marts."""

from __future__ import annotations

from airflow.sdk import Asset


def raw_asset(network: str) -> Asset:
    return Asset(
        name=f"raw_{network}", uri=f"social-warehouse://raw/{network}", group="social_warehouse"
    )


MARTS_ASSET = Asset(name="marts", uri="social-warehouse://marts", group="social_warehouse")
