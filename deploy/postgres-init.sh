#!/bin/bash
# First start of the compose PostgreSQL: the Airflow metadata database and the warehouse, each with
# its own owner. Passwords come from the container environment (.env), never from this file.
set -euo pipefail
psql -v ON_ERROR_STOP=1 --username postgres <<SQL
create role airflow login password '${AIRFLOW_DB_PASSWORD}';
create database airflow owner airflow;
create role warehouse login createrole password '${WAREHOUSE_PASSWORD}';
create database social_warehouse owner warehouse;
SQL
