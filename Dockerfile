# One image for every Airflow component (CeleryExecutor workers included): the project installed
# from uv.lock. Two targets: `production` (the default, last stage) leaves the sandbox out, so no
# fake API ships where real data flows; `demo` keeps it, for the compose demo profile's sandbox
# and its grants. Secrets are never built in: .env is in .dockerignore.
FROM python:3.11-slim-bookworm AS base

ENV PYTHONUNBUFFERED=1 \
    UV_PROJECT_ENVIRONMENT=/opt/venv \
    PATH=/opt/venv/bin:$PATH \
    SOCIAL_WAREHOUSE_HOME=/opt/social-warehouse \
    AIRFLOW_HOME=/opt/airflow \
    DBT_SEND_ANONYMOUS_USAGE_STATS=false \
    DO_NOT_TRACK=1

RUN apt-get update && apt-get install -y --no-install-recommends libpq5 postgresql-client curl \
    && rm -rf /var/lib/apt/lists/* \
    && pip install --no-cache-dir uv \
    && useradd --create-home --uid 50000 airflow

WORKDIR /opt/social-warehouse
COPY pyproject.toml uv.lock README.md ./
COPY plugins ./plugins
RUN uv sync --frozen --no-dev --no-editable && python -m compileall -q /opt/venv/lib
COPY . .
# The transform DAG renders from dbt's manifest: parse at build time (no database needed).
# /opt/airflow/logs exists (owned by airflow) so a new named volume mounted there inherits it.
RUN cd dbt_project && dbt parse --quiet && mkdir -p /opt/airflow/logs /opt/airflow/cosmos \
    && chown -R airflow /opt/airflow /opt/social-warehouse

FROM base AS demo
USER airflow

FROM base AS production
# Airflow puts plugins/ on sys.path too: the sandbox goes from both places
RUN rm -rf plugins/social_warehouse/sandbox \
    "$(python -c 'import social_warehouse, pathlib; print(pathlib.Path(social_warehouse.__file__).parent)')/sandbox"
USER airflow
