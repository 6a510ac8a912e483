"""Airflow DAG transform_social: dbt (Cosmos), then the Great Expectations gate."""

from social_warehouse.networks import catalog
from social_warehouse.orchestration.transform_dag import build_transform_dag

transform_social = build_transform_dag(catalog.names())
