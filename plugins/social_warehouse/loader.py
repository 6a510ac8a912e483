"""Writing one load: the records of one (network, account, stream, load day) replace that load
day's previous rows in a single transaction, through COPY, with a manifest row that commits with
the data. A rerun of any day therefore leaves exactly the same rows."""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass, field
from typing import Any

import orjson
import psycopg
from psycopg import sql

from social_warehouse.connector.streams import ParseResult, Reject
from social_warehouse.timeutil import Window
from social_warehouse.warehouse.migrate import raw_table_name

log = logging.getLogger(__name__)

RAW_COLUMNS = (
    "load_id",
    "account_id",
    "load_date",
    "record_key",
    "record_date",
    "extracted_at",
    "run_id",
    "payload",
)


@dataclass
class LoadResult:
    load_id: int
    network: str
    account_id: str
    stream: str
    load_date: dt.date
    status: str
    records: int = 0
    rejected: int = 0
    replaced: int = 0
    error: str | None = None
    warnings: list[str] = field(default_factory=list)


def _payload_text(payload: Any) -> str:
    if isinstance(payload, bytes | bytearray):
        return payload.decode(errors="replace")
    if isinstance(payload, str):
        return payload
    try:
        return orjson.dumps(payload).decode()
    except TypeError:
        return json.dumps(payload, default=str)


def start_load(
    conn: psycopg.Connection,
    *,
    run_id: str,
    network: str,
    account_id: str,
    stream: str,
    load_date: dt.date,
    window: Window,
) -> int:
    """Insert the manifest row as `running` in its own transaction, so a killed load is visible."""
    with conn.transaction():
        row = conn.execute(
            """insert into ops.load_manifest
                   (run_id, network, account_id, stream, load_date, window_start, window_end,
                    status)
               values (%s, %s, %s, %s, %s, %s, %s, 'running') returning load_id""",
            (run_id, network, account_id, stream, load_date, window.start, window.end),
        ).fetchone()
    assert row is not None
    return int(row[0])


def finish_failed(
    conn: psycopg.Connection,
    load_id: int,
    error: str,
    stats: dict[str, Any] | None = None,
    warnings: list[str] | None = None,
    status: str = "failed",
    rejects: list[Reject] | None = None,
) -> None:
    """Mark a load failed (or skipped); what it could not read is kept in ops.rejected_records.
    The rows of the previous successful load of that day stay untouched."""
    stats = stats or {}
    with conn.transaction():
        if rejects:
            network, stream, account_id, load_date = conn.execute(
                """select network, stream, account_id, load_date from ops.load_manifest
                   where load_id = %s""",
                (load_id,),
            ).fetchone()
            _copy_rejects(conn, load_id, network, stream, account_id, load_date, rejects)
        conn.execute(
            """update ops.load_manifest set status = %s, error = %s, finished_at = now(),
                   requests = %s, retries = %s, throttled = %s, waited_seconds = %s, warnings = %s
               where load_id = %s""",
            (
                status,
                error[:4000],
                stats.get("requests"),
                stats.get("retries"),
                stats.get("throttled"),
                stats.get("waited_seconds"),
                json.dumps(warnings or []),
                load_id,
            ),
        )


def write_load(
    conn: psycopg.Connection,
    *,
    load_id: int,
    run_id: str,
    network: str,
    account_id: str,
    stream: str,
    load_date: dt.date,
    extracted_at: dt.datetime,
    result: ParseResult,
    stats: dict[str, Any] | None = None,
    warnings: list[str] | None = None,
) -> LoadResult:
    """Replace the load day's rows of this account and stream with `result`, in one transaction."""
    table = sql.Identifier("raw", raw_table_name(network, stream))
    stats = stats or {}
    seen: dict[str, int] = {}
    records = []
    for record in result.records:
        if record.key in seen:
            # the same natural key twice in one load: keep the last, it is the freshest page
            records[seen[record.key]] = record
            continue
        seen[record.key] = len(records)
        records.append(record)
    with conn.transaction():
        replaced = conn.execute(
            sql.SQL("delete from {} where account_id = %s and load_date = %s").format(table),
            (account_id, load_date),
        ).rowcount
        copy_sql = sql.SQL("copy {} ({}) from stdin").format(
            table, sql.SQL(", ").join(map(sql.Identifier, RAW_COLUMNS))
        )
        with conn.cursor().copy(copy_sql) as copy:
            for record in records:
                copy.write_row(
                    (
                        load_id,
                        account_id,
                        load_date,
                        record.key,
                        record.record_date,
                        extracted_at,
                        run_id,
                        orjson.dumps(record.payload).decode(),
                    )
                )
        conn.execute(
            """delete from ops.rejected_records
               where network = %s and stream = %s and account_id = %s and load_date = %s""",
            (network, stream, account_id, load_date),
        )
        _copy_rejects(conn, load_id, network, stream, account_id, load_date, result.rejects)
        conn.execute(
            """update ops.load_manifest set status = 'success', records = %s, rejected = %s,
                   replaced = %s, finished_at = now(), requests = %s, retries = %s,
                   throttled = %s, waited_seconds = %s, warnings = %s
               where load_id = %s""",
            (
                len(records),
                len(result.rejects),
                replaced,
                stats.get("requests"),
                stats.get("retries"),
                stats.get("throttled"),
                stats.get("waited_seconds"),
                json.dumps(warnings or []),
                load_id,
            ),
        )
    return LoadResult(
        load_id,
        network,
        account_id,
        stream,
        load_date,
        "success",
        len(records),
        len(result.rejects),
        replaced,
        warnings=list(warnings or []),
    )


def _copy_rejects(
    conn: psycopg.Connection,
    load_id: int,
    network: str,
    stream: str,
    account_id: str,
    load_date: dt.date,
    rejects: list[Reject],
) -> None:
    if not rejects:
        return
    with conn.cursor().copy(
        """copy ops.rejected_records
               (load_id, network, stream, account_id, load_date, record_key, reason, payload)
           from stdin"""
    ) as copy:
        for reject in rejects:
            copy.write_row(
                (
                    load_id,
                    network,
                    stream,
                    account_id,
                    load_date,
                    reject.key,
                    reject.reason,
                    _payload_text(reject.payload),
                )
            )


def sync_configured_accounts(conn: psycopg.Connection, accounts: list[Any]) -> int:
    """Replace `ops.configured_accounts` with the accounts of config/accounts.yml."""
    from social_warehouse.config import load_brands

    names = {b.brand_id: b.name for b in load_brands()}
    with conn.transaction():
        conn.execute("delete from ops.configured_accounts")
        with conn.cursor().copy(
            """copy ops.configured_accounts
                   (brand_id, brand_name, network, account_id, account_name) from stdin"""
        ) as copy:
            for account in accounts:
                copy.write_row(
                    (
                        account.brand_id,
                        names.get(account.brand_id, account.brand_id),
                        account.network,
                        account.account_id,
                        account.name,
                    )
                )
    return len(accounts)


def sync_network_settings(conn: psycopg.Connection) -> int:
    """Replace `ops.network_settings` with the effective settings of every network."""
    from social_warehouse.config import load_network_settings
    from social_warehouse.networks import registry

    settings = [load_network_settings(n) for n in registry.names()]
    with conn.transaction():
        conn.execute("delete from ops.network_settings")
        with conn.cursor().copy(
            """copy ops.network_settings (network, freshness_sla_hours, data_lag_days,
                   lookback_days, post_lookback_days) from stdin"""
        ) as copy:
            for s in settings:
                copy.write_row(
                    (
                        s.network,
                        s.freshness_sla_hours,
                        s.data_lag_days,
                        s.lookback_days,
                        s.post_lookback_days,
                    )
                )
    return len(settings)
