"""What keeps stored rows safe on a bad day, through the real loader and a real PostgreSQL: the
shrink guard, one load at a time per account x stream x day, retries when the database drops
the connection, and loads a killed process left `running`."""

from __future__ import annotations

import datetime as dt
import threading
import time

import psycopg
import pytest

from social_warehouse.connector.streams import ParseResult, Record
from social_warehouse.loader import Loader, LoadKey, ShrinkCheck
from social_warehouse.timeutil import Window

DAY = dt.date(2026, 11, 20)
WINDOW = Window(DAY - dt.timedelta(days=27), DAY)
STREAM = "posts"
TABLE = "raw.facebook_pages__posts"


def key(account: str, day: dt.date = DAY) -> LoadKey:
    return LoadKey("facebook_pages", account, STREAM, day)


def posts(n: int, day: dt.date = DAY, offset: int = 0) -> ParseResult:
    """n posts published on the days before `day`, one a day."""
    return ParseResult(
        [
            Record(
                f"{i}", day - dt.timedelta(days=i % 20), {"id": f"{i}", "created_time": "x", "n": i}
            )
            for i in range(offset, offset + n)
        ]
    )


def load(url: str, account: str, result: ParseResult, day: dt.date = DAY, **guard) -> str:
    window = Window(day - dt.timedelta(days=27), day)
    with Loader(url) as loader:
        load_id = loader.begin(key(account, day), run_id="test", window=window)
        outcome = loader.write(
            key(account, day),
            load_id,
            run_id="test",
            extracted_at=dt.datetime.now(dt.UTC),
            result=result,
            guard=ShrinkCheck(window, **guard),
        )
    return outcome.status


def stored(url: str, account: str, day: dt.date = DAY) -> list[str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            f"select record_key from {TABLE} where account_id = %s and load_date = %s "
            "order by record_key::int",
            (account, day),
        ).fetchall()
    return [r[0] for r in rows]


def last_manifest(url: str, account: str) -> dict:
    with psycopg.connect(url) as conn:
        cur = conn.execute(
            """select status, records, fetched, previous_records, previous_load_id, error,
                      shrink_accepted, record_days
               from ops.load_manifest where account_id = %s order by load_id desc limit 1""",
            (account,),
        )
        names = [c.name for c in cur.description]
        return dict(zip(names, cur.fetchone(), strict=True))


def test_a_rerun_that_comes_back_empty_is_refused_and_keeps_the_rows(warehouse_url):
    account = "900000000000001"
    assert load(warehouse_url, account, posts(10)) == "success"
    assert load(warehouse_url, account, ParseResult()) == "refused"
    assert len(stored(warehouse_url, account)) == 10
    row = last_manifest(warehouse_url, account)
    assert row["status"] == "refused" and row["fetched"] == 0 and row["previous_records"] == 10
    assert "came back empty the 10 record(s) the previous load holds" in row["error"]
    assert "--allow-shrink" in row["error"] and "allow_shrink=true" in row["error"]


def test_a_load_under_half_of_the_previous_day_in_the_window_is_refused(warehouse_url):
    account = "900000000000002"
    assert load(warehouse_url, account, posts(10)) == "success"
    next_day = DAY + dt.timedelta(days=1)
    assert load(warehouse_url, account, posts(4, next_day), next_day) == "refused"
    assert stored(warehouse_url, account, next_day) == []
    row = last_manifest(warehouse_url, account)
    assert (row["fetched"], row["previous_records"]) == (4, 10)
    # five of the previous day's posts are still in the window: five is not a shrink
    assert load(warehouse_url, account, posts(5, next_day), next_day) == "success"


def test_records_that_left_the_window_do_not_count_as_a_shrink(warehouse_url):
    """A post published 27 days before the previous load day falls out of today's 28-day
    window: the guard expects only what should still be there."""
    account = "900000000000003"
    old = ParseResult(
        [Record(str(i), DAY - dt.timedelta(days=27), {"id": str(i)}) for i in range(6)]
        + [Record("100", DAY, {"id": "100"})]
    )
    assert load(warehouse_url, account, old) == "success"
    next_day = DAY + dt.timedelta(days=1)
    kept = ParseResult([Record("100", DAY, {"id": "100"})])
    assert load(warehouse_url, account, kept, next_day) == "success"
    assert last_manifest(warehouse_url, account)["previous_records"] == 1


def test_an_operator_can_accept_a_shrink_on_purpose(warehouse_url):
    account = "900000000000004"
    load(warehouse_url, account, posts(10))
    assert load(warehouse_url, account, posts(2), allow_shrink=True) == "success"
    assert stored(warehouse_url, account) == ["0", "1"]
    row = last_manifest(warehouse_url, account)
    assert row["shrink_accepted"] is True and row["records"] == 2


def test_the_manifest_records_fetched_and_loaded_days(warehouse_url):
    account = "900000000000005"
    result = posts(3)
    result.records.append(result.records[0])  # a key twice in one load: stored once
    load(warehouse_url, account, result)
    row = last_manifest(warehouse_url, account)
    assert (row["fetched"], row["records"]) == (4, 3)
    assert sum(row["record_days"].values()) == 3


def block_writes(url: str) -> psycopg.Connection:
    """A session holding a SHARE lock on the raw table: every loader DELETE waits on it."""
    conn = psycopg.connect(url)
    conn.execute(f"lock table {TABLE} in share mode")
    return conn


def wait_for(condition, timeout: float = 20.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def blocked_writer_pid(url: str) -> int | None:
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(
            """select pid from pg_stat_activity
               where datname = current_database() and wait_event_type = 'Lock'
                 and query like 'delete from "raw"."facebook_pages__posts"%'"""
        ).fetchone()
    return row[0] if row else None


def test_two_overlapping_loads_of_the_same_day_run_one_after_the_other(warehouse_url):
    """Both loads succeed and the table holds one complete set; without the advisory lock the
    second load's COPY collides with the first's rows (UniqueViolation)."""
    account = "900000000000006"
    outcomes: dict[str, str | BaseException] = {}

    def run(name: str, result: ParseResult) -> None:
        try:
            outcomes[name] = load(warehouse_url, account, result)
        except BaseException as exc:  # the test reports it
            outcomes[name] = exc

    blocker = block_writes(warehouse_url)
    first = threading.Thread(target=run, args=("first", posts(6)))
    second = threading.Thread(target=run, args=("second", posts(6, offset=0)))
    first.start()
    wait_for(lambda: blocked_writer_pid(warehouse_url), what="the first load to reach its write")
    second.start()
    time.sleep(1.0)  # the second load is now queued behind the first
    blocker.rollback()
    blocker.close()
    first.join(30)
    second.join(30)
    assert outcomes == {"first": "success", "second": "success"}, outcomes
    assert stored(warehouse_url, account) == [str(i) for i in range(6)]
    with psycopg.connect(warehouse_url) as conn:
        statuses = conn.execute(
            "select status from ops.load_manifest where account_id = %s order by load_id",
            (account,),
        ).fetchall()
    assert statuses == [("success",), ("success",)]


def test_a_backend_terminated_mid_write_is_retried_on_a_new_connection(warehouse_url):
    account = "900000000000007"
    outcome: dict[str, object] = {}
    blocker = block_writes(warehouse_url)
    worker = threading.Thread(
        target=lambda: outcome.update(status=load(warehouse_url, account, posts(5)))
    )
    worker.start()
    pid = wait_for(lambda: blocked_writer_pid(warehouse_url), what="the load to reach its write")
    with psycopg.connect(warehouse_url, autocommit=True) as admin:
        assert admin.execute("select pg_terminate_backend(%s)", (pid,)).fetchone()[0]
    # the retry reconnects, takes its lock again and waits on the table once more
    wait_for(
        lambda: (p := blocked_writer_pid(warehouse_url)) and p != pid,
        what="the retried write on a new connection",
    )
    blocker.rollback()
    blocker.close()
    worker.join(30)
    assert outcome == {"status": "success"}
    assert stored(warehouse_url, account) == [str(i) for i in range(5)]
    assert last_manifest(warehouse_url, account)["status"] == "success"


def test_a_load_left_running_by_a_dead_session_is_marked_abandoned_by_the_next(warehouse_url):
    account = "900000000000008"
    dead = Loader(warehouse_url)
    dead_id = dead.begin(key(account), run_id="killed", window=WINDOW)
    # the process dies: its session (and the advisory lock) go with it
    dead.connection().close()
    assert load(warehouse_url, account, posts(3)) == "success"
    with psycopg.connect(warehouse_url) as conn:
        status, abandoned_by, abandoned_at = conn.execute(
            "select status, abandoned_by, abandoned_at from ops.load_manifest where load_id = %s",
            (dead_id,),
        ).fetchone()
        latest = conn.execute(
            "select max(load_id) from ops.load_manifest where account_id = %s", (account,)
        ).fetchone()[0]
    assert status == "abandoned" and abandoned_by == latest and abandoned_at is not None


def test_a_live_load_is_not_taken_for_abandoned(warehouse_url):
    account = "900000000000009"
    live = Loader(warehouse_url)
    other = LoadKey("facebook_pages", account, "page_insights", DAY)
    live_id = live.begin(other, run_id="live", window=WINDOW)
    try:
        assert load(warehouse_url, account, posts(2)) == "success"
        with psycopg.connect(warehouse_url) as conn:
            status = conn.execute(
                "select status from ops.load_manifest where load_id = %s", (live_id,)
            ).fetchone()[0]
        assert status == "running"
    finally:
        live.close()


@pytest.mark.parametrize("threshold", [0.5, 0.8])
def test_the_threshold_is_a_setting(warehouse_url, threshold):
    account = f"90000000000001{int(threshold * 10)}"
    load(warehouse_url, account, posts(10))
    status = load(warehouse_url, account, posts(6), threshold=threshold)
    assert status == ("success" if threshold == 0.5 else "refused")
