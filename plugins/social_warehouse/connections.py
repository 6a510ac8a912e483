"""Credentials and base URLs come from Airflow connections, looked up the way Airflow itself does
(a configured secrets backend such as Vault or a cloud secret manager, then `AIRFLOW_CONN_*`
environment variables, then the metadata database), so Admin > Connections, `airflow
connections`, secrets backends and environment variables all work as Airflow users expect. The
lookup also says *where* it found a connection, so errors can say where to change it. Secrets
never appear in a repr, a log line or an error message."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from social_warehouse.errors import ConfigError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ConnectionInfo:
    conn_id: str
    base_url: str
    token: str = field(repr=False, default="")  # the password field: a token or client secret
    login: str = ""
    extra: dict[str, Any] = field(default_factory=dict, repr=False)
    source: str = ""  # where Airflow found it, for messages

    def describe(self) -> str:
        return f"Airflow connection {self.conn_id!r}" + (f" ({self.source})" if self.source else "")


def env_var_name(conn_id: str) -> str:
    return f"AIRFLOW_CONN_{conn_id.upper()}"


def _base_url(conn_type: str, host: str, port: int | None, path: str) -> str:
    if "://" in host:
        base = host.rstrip("/")
    else:
        scheme = conn_type if conn_type in ("http", "https") else "https"
        base = f"{scheme}://{host}" + (f":{port}" if port else "")
    if path:
        base = f"{base}/{path.strip('/')}"
    return base


def _backends() -> list[Any]:
    """Airflow's own search path: inside a task the worker chain (secrets backend, environment,
    the API server's view of the metadata database); elsewhere (CLI, `make run` set-up) the
    server chain (secrets backend, environment, metadata database)."""
    try:
        from airflow.sdk.execution_time import task_runner

        if getattr(task_runner, "SUPERVISOR_COMMS", None) is not None:
            from airflow.sdk.execution_time.supervisor import ensure_secrets_backend_loaded

            return list(ensure_secrets_backend_loaded())
    except ImportError:
        pass
    from airflow.configuration import ensure_secrets_loaded

    return list(ensure_secrets_loaded())


def _source(backend: Any, conn_id: str) -> str:
    name = type(backend).__name__
    if name == "EnvironmentVariablesBackend":
        return f"environment variable {env_var_name(conn_id)}"
    if name in ("MetastoreBackend", "ExecutionAPISecretsBackend", "SupervisorCommsSecretsBackend"):
        return "Airflow metadata database: Admin > Connections or `airflow connections`"
    return f"secrets backend {name}"


def lookup_connection(conn_id: str) -> ConnectionInfo:
    """The connection as Airflow resolves it, in Airflow's order, with where it was found."""
    found = None
    for backend in _backends():
        try:
            conn = backend.get_connection(conn_id=conn_id)
        except Exception as exc:  # a backend that cannot answer: try the next, as Airflow does
            log.debug("secrets backend %s: %s", type(backend).__name__, type(exc).__name__)
            continue
        if conn:
            found = (conn, _source(backend, conn_id))
            break
    if found is None:
        raise ConfigError(
            f"Airflow connection {conn_id!r} is not defined: add it in Admin > Connections, "
            f"with `airflow connections add {conn_id} ...`, in your secrets backend, or as "
            f"{env_var_name(conn_id)}; for OAuth networks `social-warehouse connect <network> "
            f"--grant {conn_id}` creates it"
        )
    conn, source = found
    try:
        from airflow.sdk.log import mask_secret

        if conn.password:
            mask_secret(conn.password)
        if conn.extra:
            mask_secret(conn.extra)
    except ImportError:
        pass
    host = conn.host or ""
    if not host:
        raise ConfigError(
            f"Airflow connection {conn_id!r} ({source}) has no host: set it to the API's base URL"
        )
    try:
        extra = dict(conn.extra_dejson or {})
    except Exception:
        raise ConfigError(
            f"Airflow connection {conn_id!r} ({source}): its extra is not valid JSON"
        ) from None
    return ConnectionInfo(
        conn_id,
        _base_url(conn.conn_type or "https", host, conn.port, conn.schema or ""),
        token=conn.password or "",
        login=conn.login or "",
        extra=extra,
        source=source,
    )


get_connection = lookup_connection
