"""docker-compose.yml is production-shaped: every secret is required (and `docker-compose config`
names the one that is missing), `.env.example` lists every variable the file reads and, filled
in, renders; ports bind to 127.0.0.1 unless configured; the sandbox and its connections exist
only under the demo profile; the Celery workers scale.

`docker-compose config` is Debian's docker-compose v1 (Python): it validates and renders the
file without a Docker engine. `make compose-check` and .ci/run install it."""

from __future__ import annotations

import base64
import json
import os
import re
import secrets
import shutil
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from social_warehouse import paths

ROOT = paths.project_root()
COMPOSE = ROOT / "docker-compose.yml"
ENV_EXAMPLE = ROOT / ".env.example"
# ${NAME...} but not $${NAME} (compose's escape for a variable the container's shell expands)
VARIABLE = re.compile(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)")
REQUIRED = re.compile(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*):\?")
Rendered = tuple[dict[str, Any], dict[str, str]]  # (the rendered file, the .env it had)
NETWORK_CONNECTION = re.compile(r"^AIRFLOW_CONN_SOCIAL_(?!WAREHOUSE$)")


def compose_variables() -> set[str]:
    return set(VARIABLE.findall(COMPOSE.read_text()))


def required_secrets() -> list[str]:
    return sorted(set(REQUIRED.findall(COMPOSE.read_text())))


def example_entries() -> dict[str, str]:
    entries = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        if line and not line.startswith("#") and "=" in line:
            name, value = line.split("=", 1)
            entries[name.strip()] = value
    return entries


def placeholder(name: str) -> str:
    """A value of the right shape, unique per variable (so the rendered file shows where each
    one went)."""
    if name == "AIRFLOW_FERNET_KEY":
        return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
    return f"{name.lower()}-{secrets.token_hex(8)}"


@pytest.fixture(scope="module")
def docker_compose() -> str:
    binary = shutil.which("docker-compose")
    if binary is None:
        message = (
            "docker-compose (v1) is not installed: `apt-get install -y --no-install-recommends "
            "docker-compose` or `make compose-check`"
        )
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return binary


def render(
    docker_compose: str, workdir: Path, env: dict[str, str], *args: str
) -> subprocess.CompletedProcess:
    """`docker-compose config` in a copy of the project's compose file, reading `.env` from
    there, with nothing of the caller's environment that compose could interpolate."""
    shutil.copy(COMPOSE, workdir / "docker-compose.yml")
    (workdir / ".env").write_text("".join(f"{k}={v}\n" for k, v in env.items()))
    return subprocess.run(
        [docker_compose, *args, "config"],
        cwd=workdir,
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(workdir)},
        capture_output=True,
        text=True,
        timeout=120,
    )


def filled_example() -> dict[str, str]:
    """.env.example as an operator fills it in: every empty REQUIRED value set."""
    entries = example_entries()
    return {
        k: (placeholder(k) if k in required_secrets() and not v else v) for k, v in entries.items()
    }


@pytest.fixture(scope="module")
def rendered_example(docker_compose: str, tmp_path_factory) -> Rendered:
    env = filled_example()
    result = render(docker_compose, tmp_path_factory.mktemp("example"), env)
    assert result.returncode == 0, result.stderr
    return yaml.safe_load(result.stdout), env


@pytest.fixture(scope="module")
def rendered_minimal(docker_compose: str, tmp_path_factory) -> Rendered:
    """Only the required secrets set: what every optional variable defaults to."""
    env = {name: placeholder(name) for name in required_secrets()}
    result = render(docker_compose, tmp_path_factory.mktemp("minimal"), env)
    assert result.returncode == 0, result.stderr
    return yaml.safe_load(result.stdout), env


def test_env_example_lists_every_variable_the_compose_file_reads_each_with_a_comment():
    read = compose_variables()
    listed = example_entries()
    assert read - set(listed) == set(), "variables docker-compose.yml reads but .env.example lacks"
    assert set(listed) - read == set(), ".env.example entries docker-compose.yml never reads"
    # every block of variables (lines between blank lines) starts with a comment saying what it is
    for block in ENV_EXAMPLE.read_text().split("\n\n"):
        lines = [line for line in block.splitlines() if line.strip()]
        first_variable = next((i for i, line in enumerate(lines) if not line.startswith("#")), None)
        if first_variable is not None:
            assert first_variable > 0, f"no comment above {lines[first_variable]!r}"


def test_every_secret_is_required_and_blank_in_the_example():
    required = set(required_secrets())
    assert {
        "POSTGRES_PASSWORD",
        "WAREHOUSE_PASSWORD",
        "AIRFLOW_DB_PASSWORD",
        "BI_READER_PASSWORD",
        "REDIS_PASSWORD",
        "AIRFLOW_ADMIN_PASSWORD",
        "AIRFLOW_FERNET_KEY",
        "AIRFLOW_API_SECRET_KEY",
        "AIRFLOW_JWT_SECRET",
    } <= required
    entries = example_entries()
    assert {name: entries[name] for name in required if entries[name]} == {}, (
        "a required secret has a value in .env.example: nobody may run on a published password"
    )


@pytest.mark.parametrize("missing", required_secrets())
def test_config_fails_naming_the_missing_secret(docker_compose, tmp_path, missing):
    env = {name: placeholder(name) for name in required_secrets() if name != missing}
    result = render(docker_compose, tmp_path, env)
    assert result.returncode != 0, f"docker-compose config passed without {missing}"
    assert f"set {missing} in .env" in result.stderr, result.stderr


def test_unfilled_env_example_fails(docker_compose, tmp_path):
    result = render(docker_compose, tmp_path, example_entries())
    assert result.returncode != 0
    assert "Missing mandatory value" in result.stderr and "in .env" in result.stderr


def test_filled_env_example_renders_with_every_secret_where_it_belongs(rendered_example):
    config, env = rendered_example
    airflow = config["services"]["airflow-scheduler"]["environment"]
    assert airflow["AIRFLOW__CORE__FERNET_KEY"] == env["AIRFLOW_FERNET_KEY"]
    assert airflow["AIRFLOW__API_AUTH__JWT_SECRET"] == env["AIRFLOW_JWT_SECRET"]
    assert airflow["AIRFLOW__API__SECRET_KEY"] == env["AIRFLOW_API_SECRET_KEY"]
    assert urlsplit(airflow["WAREHOUSE_URL"]).password == env["WAREHOUSE_PASSWORD"]
    assert urlsplit(airflow["AIRFLOW__CELERY__BROKER_URL"]).password == env["REDIS_PASSWORD"]
    api = config["services"]["airflow-apiserver"]["environment"]
    assert api["AIRFLOW_ADMIN_PASSWORD"] == env["AIRFLOW_ADMIN_PASSWORD"]


@pytest.mark.parametrize("rendered", ["rendered_minimal", "rendered_example"])
def test_no_default_password_anywhere(rendered, request):
    """Every password, key or URL credential in the rendered file is one the operator set."""
    config, env = request.getfixturevalue(rendered)
    given = {v for v in env.values() if v}
    for name, service in config["services"].items():
        for key, value in (service.get("environment") or {}).items():
            value = str(value or "")
            if re.search(r"(PASSWORD|SECRET|_KEY|_AUTH)$", key) and value:
                assert value in given, f"{name}: {key} has a value nobody set"
            if "://" in value and urlsplit(value).password:
                assert urlsplit(value).password in given, f"{name}: {key} embeds a default password"


@pytest.mark.parametrize("rendered", ["rendered_minimal", "rendered_example"])
def test_ports_bind_to_localhost_unless_configured(rendered, request):
    config, _ = request.getfixturevalue(rendered)
    published = {
        name: service["ports"] for name, service in config["services"].items() if "ports" in service
    }
    assert {"airflow-apiserver", "postgres"} <= set(published)
    for name, ports in published.items():
        for port in ports:
            spec = port if isinstance(port, str) else f"{port.get('host_ip')}:{port['published']}"
            assert spec.startswith("127.0.0.1:"), f"{name} publishes {spec} beyond this machine"


def test_binding_the_ui_elsewhere_is_one_variable(docker_compose, tmp_path):
    env = {name: placeholder(name) for name in required_secrets()}
    env["AIRFLOW_BIND_ADDRESS"] = "0.0.0.0"
    result = render(docker_compose, tmp_path, env)
    assert result.returncode == 0, result.stderr
    ports = yaml.safe_load(result.stdout)["services"]["airflow-apiserver"]["ports"]
    assert next(p if isinstance(p, str) else p["host_ip"] for p in ports).startswith("0.0.0.0")


@pytest.mark.parametrize("rendered", ["rendered_minimal", "rendered_example"])
def test_the_sandbox_exists_only_under_the_demo_profile(rendered, request):
    config, _ = request.getfixturevalue(rendered)
    services = config["services"]
    assert services["sandbox"].get("profiles") == ["demo"]
    assert services["demo-connections"].get("profiles") == ["demo"]
    production = {name: s for name, s in services.items() if not s.get("profiles")}
    assert {"airflow-scheduler", "airflow-worker", "airflow-apiserver"} <= set(production)
    for name, service in production.items():
        assert "sandbox" not in json.dumps(service), f"{name} refers to the sandbox"
        for key, value in (service.get("environment") or {}).items():
            if NETWORK_CONNECTION.match(key):
                assert value in ("", None), f"{name}: {key} defaults to {value!r}"


def test_celery_workers_scale_and_share_broker_and_metadata(rendered_minimal):
    config, _ = rendered_minimal
    services = config["services"]
    worker = services["airflow-worker"]
    assert worker["command"][:3] == ["airflow", "celery", "worker"]
    # `--scale airflow-worker=3` needs neither a fixed name nor a host port
    assert "container_name" not in worker and "ports" not in worker
    airflow = {n: s for n, s in services.items() if n.startswith("airflow-")}
    for name, service in airflow.items():
        env = service["environment"]
        assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor", name
        assert env["AIRFLOW__CELERY__BROKER_URL"].startswith("redis://"), name
        # the Celery results live in the Airflow metadata database
        backend = env["AIRFLOW__CELERY__RESULT_BACKEND"]
        metadata = env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]
        assert backend.startswith("db+postgresql://"), name
        assert urlsplit(backend).path == urlsplit(metadata).path == "/airflow", name
    assert services["flower"].get("profiles") == ["flower"]
    assert "redis" in services and not services["redis"].get("profiles")
