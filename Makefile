# Social Warehouse. `make run` = the main job, `make test` = the test suite. Everything else is
# optional. Every target bootstraps .venv from uv.lock first (uv is installed with pip if absent).

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SW := $(BIN)/social-warehouse
UV := $(shell command -v uv 2>/dev/null || echo "$(PYTHON) -m uv")

export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export DO_NOT_TRACK := 1
export GX_ANALYTICS_ENABLED := false

.PHONY: help venv db run test test-fast lint format generate fault-table dbt-manifest docs airflow bench compose-check celery-check clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml uv.lock
	@command -v uv >/dev/null 2>&1 || $(PYTHON) -m uv --version >/dev/null 2>&1 || \
		{ echo "installing uv with pip"; $(PYTHON) -m pip install --quiet uv; }
	$(UV) sync --frozen --python $(PYTHON)
	@echo "precompiling the virtualenv (dbt and Airflow start faster with bytecode)"
	@$(BIN)/python -m compileall -q -j 0 $(VENV)/lib >/dev/null 2>&1 || true
	@touch $(STAMP)

venv: $(STAMP) ## create or update .venv from uv.lock (idempotent)

db: venv ## make sure a PostgreSQL warehouse answers (start one if needed) and migrate it
	@$(SW) db up

run: venv ## the main job: sandbox -> 6 extract DAGs -> dbt -> GX gate for the last 7 days
	@$(SW) run $(if $(DAYS),--days $(DAYS)) $(if $(END),--end $(END)) $(if $(FULL_REFRESH),--full-refresh)

test: venv ## the whole test suite against a real PostgreSQL, Airflow, dbt and GX
	@$(SW) db up >/dev/null
	$(BIN)/pytest $(PYTEST_ARGS)

test-fast: venv ## unit and connector tests only (no Airflow, dbt or GX)
	$(BIN)/pytest tests/unit tests/connectors $(PYTEST_ARGS)

lint: venv ## ruff (Python) and sqlfluff (dbt SQL)
	$(BIN)/ruff check plugins dags tests bench
	$(BIN)/ruff format --check plugins dags tests bench
	cd dbt_project && ../$(BIN)/sqlfluff lint models

format: venv ## apply ruff formatting and fixes
	$(BIN)/ruff check --fix plugins dags tests bench
	$(BIN)/ruff format plugins dags tests bench

generate: venv ## regenerate the files derived from the network catalog and the metric registry
	@$(SW) generate

fault-table: venv ## rerun the fault-matrix tests and rewrite the README's fault table from them
	@$(SW) db up >/dev/null
	-$(BIN)/pytest tests/faults -q -p no:cacheprovider
	$(BIN)/python -m social_warehouse.faults

dbt-manifest: venv ## dbt parse: the manifest Cosmos renders the transform DAG from
	@$(BIN)/python -c "from social_warehouse.runner import ensure_dbt_manifest; print(ensure_dbt_manifest(print))"

docs: db ## dbt docs (static, works offline) in dbt_project/target/static_index.html
	@$(BIN)/python -m social_warehouse.docs

airflow: db dbt-manifest ## Airflow UI (standalone) on http://127.0.0.1:8080, user admin / admin
	@$(BIN)/python -m social_warehouse.orchestration.standalone

bench: db ## loader and client benchmarks, reported as ratios to a baseline in the same run
	$(BIN)/python bench/run.py

compose-check: venv ## validate docker-compose.yml + .env.example without a Docker engine
	@command -v docker-compose >/dev/null 2>&1 || apt-get install -y -qq --no-install-recommends docker-compose >/dev/null 2>&1 \
		|| { apt-get update -qq && apt-get install -y -qq --no-install-recommends docker-compose >/dev/null; }
	$(BIN)/pytest tests/deploy/test_compose.py -q -p no:cacheprovider

celery-check: venv ## CeleryExecutor for real: scheduler, API server, 2 Celery workers (Redis 127.0.0.1:6379)
	@$(BIN)/python -m social_warehouse.orchestration.celery_check

clean: ## remove generated files (keeps .venv and the warehouse)
	rm -rf .run dbt_project/target dbt_project/logs expectations/gx/uncommitted .pytest_cache
