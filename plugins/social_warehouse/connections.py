"""Credentials and base URLs come from Airflow connections only (or their `AIRFLOW_CONN_*`
environment form). The token never appears in a repr, a log line or an error message."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from social_warehouse.errors import ConfigError


@dataclass(frozen=True)
class ConnectionInfo:
    conn_id: str
    base_url: str
    token: str = field(repr=False, default="")
    login: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


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


def parse_connection(conn_id: str, value: str) -> ConnectionInfo:
    """Parse Airflow's URI or JSON connection format."""
    value = value.strip()
    if value.startswith("{"):
        try:
            data = json.loads(value)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{env_var_name(conn_id)} is not valid JSON: {exc.msg}") from exc
        extra = data.get("extra") or {}
        if isinstance(extra, str):
            extra = json.loads(extra) if extra else {}
        host = data.get("host") or ""
        if not host:
            raise ConfigError(f"connection {conn_id!r} has no host (the API base URL)")
        return ConnectionInfo(
            conn_id,
            _base_url(
                data.get("conn_type", "https"), host, data.get("port"), data.get("schema", "")
            ),
            token=data.get("password") or "",
            login=data.get("login") or "",
            extra=extra,
        )
    parts = urlsplit(value)
    if not parts.hostname:
        raise ConfigError(
            f"connection {conn_id!r} has no host; expected e.g. "
            f"'https://:<token>@graph.facebook.com' or a JSON connection"
        )
    extra: dict[str, Any] = {}
    for key, val in parse_qsl(parts.query):
        if key == "__extra__":
            extra.update(json.loads(val))
        else:
            extra[key] = val
    return ConnectionInfo(
        conn_id,
        _base_url(parts.scheme.replace("-", "_"), parts.hostname, parts.port, parts.path),
        token=unquote(parts.password or ""),
        login=unquote(parts.username or ""),
        extra=extra,
    )


def get_connection(conn_id: str) -> ConnectionInfo:
    """Environment first (works outside Airflow), then Airflow's own connection lookup."""
    value = os.environ.get(env_var_name(conn_id))
    if value:
        return parse_connection(conn_id, value)
    try:
        from airflow.sdk import BaseHook

        conn = BaseHook.get_connection(conn_id)
    except Exception as exc:
        raise ConfigError(
            f"Airflow connection {conn_id!r} is not defined: add it in Admin > Connections "
            f"(host = API base URL, password = access token) or set {env_var_name(conn_id)}"
        ) from exc
    host = conn.host or ""
    if not host:
        raise ConfigError(f"Airflow connection {conn_id!r} has no host (the API base URL)")
    return ConnectionInfo(
        conn_id,
        _base_url(conn.conn_type or "https", host, conn.port, conn.schema or ""),
        token=conn.password or "",
        login=conn.login or "",
        extra=dict(conn.extra_dejson or {}),
    )
