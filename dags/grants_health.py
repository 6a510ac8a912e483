"""Airflow DAG grants_health: the daily check of every OAuth grant (see
social_warehouse.orchestration.grants_health_dag)."""

from social_warehouse.orchestration.grants_health_dag import build_grants_health_dag

grants_health = build_grants_health_dag()
