"""Reaching the warehouse: `WAREHOUSE_URL` (or the Airflow connection `social_warehouse`),
creating the database when it is missing."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict

from social_warehouse.errors import ConfigError

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/social_warehouse"
AIRFLOW_CONN_ID = "social_warehouse"


def warehouse_url() -> str:
    """`WAREHOUSE_URL`, else `AIRFLOW_CONN_SOCIAL_WAREHOUSE`, else the local default."""
    url = os.environ.get("WAREHOUSE_URL") or os.environ.get(
        f"AIRFLOW_CONN_{AIRFLOW_CONN_ID.upper()}"
    )
    return normalise(url or DEFAULT_URL)


def normalise(url: str) -> str:
    """The URL in the one spelling psycopg and dbt share, checked so that a malformed URL is a
    clear error here, not a traceback (with the password in it) from deep inside a driver."""
    for prefix in ("postgres://", "postgresql+psycopg://", "postgresql+psycopg2://"):
        if url.startswith(prefix):
            url = "postgresql://" + url[len(prefix) :]
            break
    if not url.startswith("postgresql://"):
        raise ConfigError(f"WAREHOUSE_URL must start with postgresql://, got {redact(url)!r}")
    try:
        conninfo_to_dict(url)
    except psycopg.ProgrammingError as exc:
        problem = str(exc).split(":", 1)[0]  # the part after the colon quotes the bad token
        raise ConfigError(
            f"WAREHOUSE_URL {redact(url)!r} is not a valid PostgreSQL URL ({problem}). A password "
            "with special characters must be percent-encoded: % as %25, @ as %40, : as %3A, "
            "/ as %2F"
        ) from None
    return url


_USERINFO_PASSWORD = re.compile(r"^([a-z][a-z0-9+.-]*://[^:/@?#]*):[^@/?#]*@", re.IGNORECASE)
_PASSWORD_PARAM = re.compile(r"(password=)[^&\s]*", re.IGNORECASE)


def redact(url: str) -> str:
    """The URL with its password replaced by ***, however malformed the rest of it is."""
    return _PASSWORD_PARAM.sub(r"\1***", _USERINFO_PASSWORD.sub(r"\1:***@", url))


@dataclass(frozen=True)
class UrlParts:
    host: str
    port: int
    user: str
    password: str
    dbname: str

    @property
    def is_socket(self) -> bool:
        return self.host.startswith("/")


def parts(url: str | None = None) -> UrlParts:
    url = url or warehouse_url()
    split = urlsplit(url)
    query = parse_qs(split.query)
    host = query.get("host", [split.hostname or "127.0.0.1"])[0]
    return UrlParts(
        host=host,
        port=int(query.get("port", [split.port or 5432])[0]),
        user=unquote(split.username or "postgres"),
        password=unquote(split.password or ""),
        dbname=(split.path or "/social_warehouse").lstrip("/") or "social_warehouse",
    )


def server_url(url: str) -> str:
    """The same server, database `postgres` (for CREATE DATABASE)."""
    p = parts(url)
    return with_database(url, "postgres") if p.dbname != "postgres" else url


def with_database(url: str, dbname: str) -> str:
    split = urlsplit(url)
    return split._replace(path=f"/{dbname}").geturl()


def connect(url: str | None = None, **kwargs) -> psycopg.Connection:
    url = url or warehouse_url()
    try:
        return psycopg.connect(url, connect_timeout=10, **kwargs)
    except psycopg.OperationalError as exc:
        raise ConfigError(
            f"cannot reach the warehouse at {redact(url)}: {str(exc).strip().splitlines()[0]}. "
            "Start PostgreSQL (make db) or point WAREHOUSE_URL at a running server"
        ) from exc


def recreate_database(url: str) -> str:
    """Drop the URL's database (closing its sessions) and create it empty; returns the URL."""
    name = parts(url).dbname
    with connect(server_url(url), autocommit=True) as conn:
        conn.execute(
            sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name))
        )
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    return url


def ensure_database(url: str | None = None) -> bool:
    """Create the warehouse database if it does not exist. True when it was created."""
    url = url or warehouse_url()
    name = parts(url).dbname
    with connect(server_url(url), autocommit=True) as conn:
        exists = conn.execute("select 1 from pg_database where datname = %s", (name,)).fetchone()
        if exists:
            return False
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
        return True


def is_reachable(url: str) -> bool:
    try:
        with psycopg.connect(server_url(url), connect_timeout=3):
            return True
    except psycopg.OperationalError:
        return False
