"""Running the pipeline: Airflow DAG factories, dbt through Cosmos, quality gates, set-up."""
