"""Airflow DAGs: one extract DAG per network (extract_facebook_pages, extract_instagram, ...), all
social_warehouse.orchestration.extract_dags from the connector catalog."""

from social_warehouse.networks import catalog
from social_warehouse.orchestration.extract_dags import build_extract_dag

for _network in catalog.names():
    globals()[f"extract_{_network}"] = build_extract_dag(_network)
