"""Writing loads: the records of one (network, account, stream, load day) replace that load day's
previous rows in a single transaction, through COPY, with a manifest row that commits with the
data. A rerun of any day therefore leaves exactly the same rows.

What guards the stored data:
- **the shrink guard**: a load that fetched far fewer records than the previous load of the same
  account and stream still holds inside the window (while the API reported no error) is not
  written; the old rows stay and the manifest says `refused` until an operator accepts it;
- **one load at a time** per account x stream x load day (a session advisory lock held from the
  manifest row to the end of the load), so overlapping runs queue instead of colliding;
- **retries** around every transaction on dropped connections, admin shutdowns, serialization
  failures and deadlocks, reconnecting (and re-taking the locks) as needed;
- a manifest row left `running` by a killed process is marked `abandoned` by the next load of
  that account."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import logging
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import orjson
import psycopg
from psycopg import sql

from social_warehouse.connector.streams import ParseResult, Record, Reject
from social_warehouse.errors import TransientDatabaseError
from social_warehouse.timeutil import Window
from social_warehouse.warehouse import database
from social_warehouse.warehouse.migrate import raw_table_name

log = logging.getLogger(__name__)

T = TypeVar("T")

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
DEFAULT_SHRINK_THRESHOLD = 0.5
# A dropped connection, an admin shutdown or a crash-restart of the server, a serialization
# failure or a deadlock: the transaction did not happen and can simply be run again.
TRANSIENT_DB_ERRORS: tuple[type[Exception], ...] = (psycopg.OperationalError,)


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
    fetched: int = 0
    previous_records: int | None = None
    dropped: int = 0


@dataclass(frozen=True)
class LoadKey:
    network: str
    account_id: str
    stream: str
    load_date: dt.date

    @property
    def lock_id(self) -> int:
        """A signed 64-bit advisory lock id for this account x stream x load day."""
        text = f"load|{self.network}|{self.account_id}|{self.stream}|{self.load_date}".encode()
        return int.from_bytes(hashlib.blake2b(text, digest_size=8).digest(), "big", signed=True)

    def __str__(self) -> str:
        return f"{self.network}/{self.account_id} {self.stream} for {self.load_date}"


@dataclass(frozen=True)
class ShrinkCheck:
    """What the guard compares: the records expected to still be there (from the previous load,
    restricted to this load's window) against the records fetched now."""

    window: Window | None  # None: every record of the previous load counts
    # Child streams with one record per parent record (post metrics) are compared with the
    # parent ids this load asked about, which the parent's own guard already vetted.
    expected_override: int | None = None
    threshold: float = DEFAULT_SHRINK_THRESHOLD
    allow_shrink: bool = False


def _payload_text(payload: Any) -> str:
    if isinstance(payload, bytes | bytearray):
        return payload.decode(errors="replace")
    if isinstance(payload, str):
        return payload
    try:
        return orjson.dumps(payload).decode()
    except TypeError:
        return json.dumps(payload, default=str)


def unique_records(records: Iterable[Record]) -> list[Record]:
    """One record per natural key: when a key comes twice in one load, the last one (the
    freshest page) wins, in the position of the first."""
    seen: dict[str, int] = {}
    out: list[Record] = []
    for record in records:
        if record.key in seen:
            out[seen[record.key]] = record
            continue
        seen[record.key] = len(out)
        out.append(record)
    return out


class Loader:
    """One warehouse connection for a series of loads (an account's streams), every transaction
    retried on transient errors with a fresh connection when the old one broke."""

    def __init__(
        self,
        url: str | None = None,
        *,
        retries: int = 5,
        backoff_seconds: float = 0.5,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.url = url or database.warehouse_url()
        self.retries = retries
        self.backoff_seconds = backoff_seconds
        self.sleep = sleep
        self._conn: psycopg.Connection | None = None
        self._locks: dict[int, LoadKey] = {}

    # --- connection and retries ----------------------------------------------------------
    def connection(self) -> psycopg.Connection:
        if self._conn is None or self._conn.closed or self._conn.broken:
            if self._conn is not None:
                self._conn.close()
            # psycopg's own OperationalError, not ConfigError: a server that is restarting is
            # retried like a dropped connection
            self._conn = psycopg.connect(self.url, connect_timeout=10, autocommit=True)
            # locks die with their session: take them again before anything else
            for lock_id in self._locks:
                self._conn.execute("select pg_advisory_lock(%s)", (lock_id,))
        return self._conn

    def run(self, what: str, work: Callable[[psycopg.Connection], T]) -> T:
        """`work` in one transaction, run again (on a new connection if needed) when the
        database drops the connection, shuts down or aborts the transaction on a conflict."""
        attempt = 0
        while True:
            attempt += 1
            try:
                conn = self.connection()
                with conn.transaction():
                    return work(conn)
            except TRANSIENT_DB_ERRORS as exc:
                first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
                reason = f"{type(exc).__name__}: {first_line}"
                if attempt > self.retries:
                    raise TransientDatabaseError(
                        f"{what}: the warehouse kept failing ({reason}) after {attempt} attempts; "
                        f"nothing of it was written. Check the server at "
                        f"{database.redact(self.url)} and rerun the task"
                    ) from exc
                wait = self.backoff_seconds * 2 ** (attempt - 1)
                log.warning(
                    "%s: warehouse error (%s), retrying in %.1fs (%d/%d)",
                    what,
                    reason,
                    wait,
                    attempt,
                    self.retries,
                )
                self.sleep(wait)

    def close(self) -> None:
        for lock_id in list(self._locks):
            self._unlock(lock_id)
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def __enter__(self) -> Loader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- locks ---------------------------------------------------------------------------
    def _lock(self, key: LoadKey) -> None:
        conn = self.connection()
        got = conn.execute("select pg_try_advisory_lock(%s)", (key.lock_id,)).fetchone()
        if not (got and got[0]):
            log.info("%s: another load of it is running, waiting for it to finish", key)
            conn.execute("select pg_advisory_lock(%s)", (key.lock_id,))
        self._locks[key.lock_id] = key

    def _unlock(self, lock_id: int) -> None:
        self._locks.pop(lock_id, None)
        conn = self._conn
        if conn is not None and not conn.closed and not conn.broken:
            # when the session is gone, its locks went with it
            with contextlib.suppress(psycopg.OperationalError):
                conn.execute("select pg_advisory_unlock(%s)", (lock_id,))

    # --- the manifest ----------------------------------------------------------------------
    def begin(self, key: LoadKey, *, run_id: str, window: Window) -> int:
        """Wait for any other load of the same account x stream x day, then insert the manifest
        row as `running` in its own transaction (so a killed load stays visible) and mark the
        account's loads that a killed process left running as `abandoned`."""
        self._lock(key)

        def insert(conn: psycopg.Connection) -> int:
            row = conn.execute(
                """insert into ops.load_manifest
                       (run_id, network, account_id, stream, load_date, window_start, window_end,
                        status)
                   values (%s, %s, %s, %s, %s, %s, %s, 'running') returning load_id""",
                (
                    run_id,
                    key.network,
                    key.account_id,
                    key.stream,
                    key.load_date,
                    window.start,
                    window.end,
                ),
            ).fetchone()
            assert row is not None
            load_id = int(row[0])
            self._mark_abandoned(conn, key, load_id)
            return load_id

        return self.run(f"starting the load of {key}", insert)

    def _mark_abandoned(self, conn: psycopg.Connection, key: LoadKey, load_id: int) -> None:
        """A running row whose lock nobody holds belongs to a process that died mid-load."""
        running = conn.execute(
            """select load_id, stream, load_date from ops.load_manifest
               where network = %s and account_id = %s and status = 'running' and load_id <> %s""",
            (key.network, key.account_id, load_id),
        ).fetchall()
        for other_id, stream, load_date in running:
            other = LoadKey(key.network, key.account_id, stream, load_date)
            # a key this session holds can have no other live load; any other key is free
            # only when the process that took it is gone
            if other.lock_id not in self._locks:
                free = conn.execute("select pg_try_advisory_lock(%s)", (other.lock_id,)).fetchone()
                if not (free and free[0]):
                    continue  # a live load holds it
                conn.execute("select pg_advisory_unlock(%s)", (other.lock_id,))
            conn.execute(
                """update ops.load_manifest
                   set status = 'abandoned', abandoned_at = now(), abandoned_by = %s,
                       finished_at = coalesce(finished_at, now()),
                       error = coalesce(error, 'the process running this load stopped before '
                                        'it finished (killed or crashed); nothing of it was kept')
                   where load_id = %s and status = 'running'""",
                (load_id, other_id),
            )
            log.warning(
                "%s: load %s of %s for %s was left running by a process that died: marked "
                "abandoned",
                key,
                other_id,
                stream,
                load_date,
            )

    def fail(
        self,
        key: LoadKey,
        load_id: int,
        error: str,
        *,
        stats: dict[str, Any] | None = None,
        warnings: list[str] | None = None,
        status: str = "failed",
        rejects: list[Reject] | None = None,
    ) -> None:
        """Mark a load failed (or skipped); what it could not read is kept in
        ops.rejected_records. The rows of the previous successful load of that day stay."""
        stats = stats or {}

        def update(conn: psycopg.Connection) -> None:
            if rejects:
                _copy_rejects(conn, load_id, key, rejects)
            _finish(conn, load_id, status, stats, warnings, error=error[:4000])

        try:
            self.run(f"recording the failure of {key}", update)
        finally:
            self._unlock(key.lock_id)

    def write(
        self,
        key: LoadKey,
        load_id: int,
        *,
        run_id: str,
        extracted_at: dt.datetime,
        result: ParseResult,
        guard: ShrinkCheck,
        stats: dict[str, Any] | None = None,
        warnings: list[str] | None = None,
    ) -> LoadResult:
        """Replace the load day's rows of this account and stream with `result`, in one
        transaction, unless the shrink guard refuses it (ShrinkRefusedError; the stored rows
        stay, the manifest row says `refused`)."""
        records = unique_records(result.records)
        days = Counter(r.record_date.isoformat() for r in records)
        dropped = sum(result.dropped.values())
        warnings = list(warnings or [])
        for reason, count in sorted(result.dropped.items()):
            warnings.append(f"{count} record(s) left out: {reason}")
        stats = stats or {}

        def replace(conn: psycopg.Connection) -> LoadResult:
            previous_id, expected = _expected_records(conn, key, load_id, guard)
            base = {
                "fetched": len(result.records),
                "previous_load_id": previous_id,
                "previous_records": expected,
                "dropped": dropped,
                "dropped_reasons": json.dumps(result.dropped),
            }
            refusal = _shrink_refusal(key, len(records), expected, guard)
            if refusal and not guard.allow_shrink:
                _finish(conn, load_id, "refused", stats, warnings, error=refusal, **base)
                return LoadResult(
                    load_id,
                    key.network,
                    key.account_id,
                    key.stream,
                    key.load_date,
                    "refused",
                    error=refusal,
                    warnings=warnings,
                    fetched=len(result.records),
                    previous_records=expected,
                    dropped=dropped,
                )
            if refusal:
                warnings.append(f"accepted on purpose (allow_shrink): {refusal}")
            table = sql.Identifier("raw", raw_table_name(key.network, key.stream))
            replaced = conn.execute(
                sql.SQL("delete from {} where account_id = %s and load_date = %s").format(table),
                (key.account_id, key.load_date),
            ).rowcount
            copy_sql = sql.SQL("copy {} ({}) from stdin").format(
                table, sql.SQL(", ").join(map(sql.Identifier, RAW_COLUMNS))
            )
            with conn.cursor().copy(copy_sql) as copy:
                for record in records:
                    copy.write_row(
                        (
                            load_id,
                            key.account_id,
                            key.load_date,
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
                (key.network, key.stream, key.account_id, key.load_date),
            )
            _copy_rejects(conn, load_id, key, result.rejects)
            _finish(
                conn,
                load_id,
                "success",
                stats,
                warnings,
                records=len(records),
                rejected=len(result.rejects),
                replaced=replaced,
                record_days=json.dumps(dict(sorted(days.items()))),
                shrink_accepted=bool(refusal),
                **base,
            )
            return LoadResult(
                load_id,
                key.network,
                key.account_id,
                key.stream,
                key.load_date,
                "success",
                len(records),
                len(result.rejects),
                replaced,
                warnings=warnings,
                fetched=len(result.records),
                previous_records=expected,
                dropped=dropped,
            )

        try:
            return self.run(f"writing {key}", replace)
        finally:
            self._unlock(key.lock_id)


def _finish(
    conn: psycopg.Connection,
    load_id: int,
    status: str,
    stats: dict[str, Any],
    warnings: list[str] | None,
    **columns: Any,
) -> None:
    values = {
        "status": status,
        "requests": stats.get("requests"),
        "retries": stats.get("retries"),
        "throttled": stats.get("throttled"),
        "waited_seconds": stats.get("waited_seconds"),
        "warnings": json.dumps(warnings or []),
        **columns,
    }
    assignments = sql.SQL(", ").join(
        sql.SQL("{} = {}").format(sql.Identifier(name), sql.Placeholder(name)) for name in values
    )
    conn.execute(
        sql.SQL(
            "update ops.load_manifest set {}, finished_at = now() where load_id = %(load_id)s"
        ).format(assignments),
        {**values, "load_id": load_id},
    )


def _expected_records(
    conn: psycopg.Connection, key: LoadKey, load_id: int, guard: ShrinkCheck
) -> tuple[int | None, int | None]:
    """(previous load id, how many of its records fall inside this load's window): the previous
    load is the last successful one of the same load day (a rerun), else of the latest earlier
    load day. Counted from its manifest row, so it holds however raw is stored."""
    row = conn.execute(
        """select load_id, records, record_days from ops.load_manifest
           where network = %s and account_id = %s and stream = %s and status = 'success'
             and load_date <= %s and load_id <> %s
           order by load_date desc, load_id desc
           limit 1""",
        (key.network, key.account_id, key.stream, key.load_date, load_id),
    ).fetchone()
    if guard.expected_override is not None:
        return (row[0] if row else None), guard.expected_override
    if row is None:
        return None, None
    previous_id, _, record_days = row
    if record_days is None:
        return previous_id, None  # a load written before record_days existed: no basis
    in_window = sum(
        int(count)
        for day, count in record_days.items()
        if guard.window is None or dt.date.fromisoformat(day) in guard.window
    )
    return previous_id, in_window


def _shrink_refusal(
    key: LoadKey, fetched: int, expected: int | None, guard: ShrinkCheck
) -> str | None:
    if not expected:
        return None
    if fetched == 0:
        what = "came back empty"
    elif fetched < guard.threshold * expected:
        what = f"came back with {fetched} record(s), under {guard.threshold:.0%} of"
    else:
        return None
    if guard.expected_override is not None:
        basis = f"the {expected} record(s) asked for"
    elif guard.window is None:
        basis = f"the {expected} record(s) of the previous load"
    else:
        basis = f"the {expected} record(s) the previous load holds inside the window {guard.window}"
    return (
        f"{key}: {what} {basis}, while the API reported no error. Not written: the stored rows are "
        f"kept. If the records really are gone (posts deleted), accept it with "
        f"`social-warehouse extract ... --allow-shrink` or the DAG param allow_shrink=true; "
        f"else rerun later"
    )


def _copy_rejects(
    conn: psycopg.Connection, load_id: int, key: LoadKey, rejects: list[Reject]
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
                    key.network,
                    key.stream,
                    key.account_id,
                    key.load_date,
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
    from social_warehouse.networks import catalog

    settings = [load_network_settings(n) for n in catalog.names()]
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
