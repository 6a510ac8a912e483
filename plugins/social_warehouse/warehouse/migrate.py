"""Versioned migrations: numbered SQL files in `migrations/`, then one raw table per declared
stream, each applied once under an advisory lock and recorded in `ops.schema_migrations`."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql

from social_warehouse.errors import ConfigError
from social_warehouse.warehouse import database

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
LOCK_KEY = 0x50C1A1  # advisory lock: concurrent mapped tasks must not migrate twice

RAW_TABLE_DDL = """
create table raw.{table} (
    load_id bigint not null,
    account_id text not null,
    load_date date not null,
    record_key text not null,
    record_date date not null,
    extracted_at timestamptz not null,
    run_id text not null,
    payload jsonb not null,
    primary key (account_id, load_date, record_key)
);
create index {record_date_index} on raw.{table} (record_date);
create index {load_date_index} on raw.{table} (load_date);
comment on table raw.{table} is {comment};
"""


@dataclass(frozen=True)
class Migration:
    version: str
    description: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()[:16]


def raw_table_name(network: str, stream: str) -> str:
    return f"{network}__{stream}"


def raw_table_migration(network: str, stream: str) -> Migration:
    table = raw_table_name(network, stream)
    ddl = RAW_TABLE_DDL.format(
        table=table,
        record_date_index=f"{table}__record_date",
        load_date_index=f"{table}__load_date",
        comment="'"
        + f"Untouched {network} {stream} records, one row per record per load day."
        + "'",
    )
    return Migration(f"raw/{table}/1", f"raw table for {network} {stream}", ddl)


def planned() -> list[Migration]:
    from social_warehouse.networks import catalog

    files = sorted(MIGRATIONS_DIR.glob("[0-9][0-9][0-9][0-9]_*.sql"))
    migrations = [
        Migration(f.stem.split("_", 1)[0], f.stem.split("_", 1)[1].replace("_", " "), f.read_text())
        for f in files
    ]
    for spec in catalog.all_specs():
        migrations.extend(raw_table_migration(spec.name, s.name) for s in spec.streams)
    return migrations


def _bootstrap(conn: psycopg.Connection) -> None:
    conn.execute("create schema if not exists ops")
    conn.execute(
        """create table if not exists ops.schema_migrations (
               version text primary key,
               description text not null,
               checksum text not null,
               applied_at timestamptz not null default now())"""
    )


def migrate(url: str | None = None, echo=None) -> list[str]:
    """Apply what is missing; return the versions applied. Refuses to run when an applied
    migration's file changed (write a new migration instead)."""
    applied_now: list[str] = []
    with database.connect(url) as conn:
        conn.execute("select pg_advisory_lock(%s)", (LOCK_KEY,))
        try:
            with conn.transaction():
                _bootstrap(conn)
            done = dict(
                conn.execute("select version, checksum from ops.schema_migrations").fetchall()
            )
            for migration in planned():
                if migration.version in done:
                    if done[migration.version] != migration.checksum:
                        raise ConfigError(
                            f"migration {migration.version} changed after it was applied "
                            f"(checksum {done[migration.version]} -> {migration.checksum}); "
                            "add a new migration instead of editing an applied one"
                        )
                    continue
                with conn.transaction():
                    conn.execute(migration.sql)
                    conn.execute(
                        """insert into ops.schema_migrations (version, description, checksum)
                           values (%s, %s, %s)""",
                        (migration.version, migration.description, migration.checksum),
                    )
                applied_now.append(migration.version)
                (echo or log.info)(
                    f"applied migration {migration.version}: {migration.description}"
                )
            _grant_bi_reader_password(conn)
        finally:
            conn.execute("select pg_advisory_unlock(%s)", (LOCK_KEY,))
            conn.commit()
    return applied_now


def _grant_bi_reader_password(conn: psycopg.Connection) -> None:
    """The BI role's password comes from the environment, never from a file in the repo."""
    import os

    password = os.environ.get("BI_READER_PASSWORD")
    exists = conn.execute("select 1 from pg_roles where rolname = 'bi_reader'").fetchone()
    if exists and password:
        conn.execute(
            sql.SQL("alter role bi_reader with login password {}").format(sql.Literal(password))
        )
        conn.commit()
