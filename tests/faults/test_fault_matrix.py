"""The fault matrix: each way an API, the database or the operating system can go wrong on a load
day, driven through the real code path (sandbox fault switches, real processes, the real
PostgreSQL). Every case records what happened; `test_the_readme_fault_table_is_current` (run
last) renders those outcomes as the README's fault table, so the table is the tests' result,
never written by hand."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import psycopg
import pytest

from social_warehouse import paths
from social_warehouse.connections import env_var_name
from social_warehouse.extract import run_account_load
from social_warehouse.faults import render_table, replace_table
from social_warehouse.networks import catalog
from social_warehouse.warehouse import database
from social_warehouse.warehouse.migrate import migrate
from tests.conftest import database_name_for_tests
from tests.helpers import add_fault, fast_settings, sandbox_connection

DAY = dt.date(2026, 11, 20)
CLOCK = dt.datetime(2026, 11, 21, 12, tzinfo=dt.UTC)

# Page sizes small enough that each listing spans several pages inside the post window (the
# newest-first listings stop paging once a page reaches past the window).
SMALL_PAGES = {
    "youtube": 5,
    "linkedin": 5,
    "tiktok": 5,
    "x": 5,
    "instagram": 5,
    "facebook_pages": 5,
}

# The paged listing of each network and the path its requests take below the network prefix.
LISTINGS = {
    "facebook_pages": ("posts", r"/published_posts"),
    "instagram": ("media", r"/media$"),
    "x": ("tweets", r"/tweets$"),
    "linkedin": ("posts", r"^/rest/posts"),
    "youtube": ("videos", r"/playlistItems"),
    "tiktok": ("videos", r"/video/list"),
}


def account(network: str, case: str) -> str:
    """An account id of the network's shape, unique to one test case (the sandbox models any)."""
    digits = str(int(uuid.uuid5(uuid.NAMESPACE_URL, f"{network}/{case}").int % 10**14)).zfill(14)
    if network == "youtube":
        return "UC" + ("fault" + digits + "xyz")[:22]
    if network == "tiktok":
        return "_000" + ("fault" + digits + "abcdefghijklmnop")[:31]
    return "9" + digits


@pytest.fixture(scope="module")
def reference_url(warehouse_url):
    """A second, empty warehouse for the fault-free load of the same account and day: what a
    faulty load must end up equal to."""
    name = f"{database_name_for_tests()}_faultref"
    url = database.recreate_database(database.with_database(warehouse_url, name))
    migrate(url)
    return url


def reference(sb, url: str, network: str, account_id: str) -> dict[str, tuple]:
    """(rows, checksum) per stream of a fault-free load of the account, in `url`."""
    load(sb, url, network, account_id)
    return {s.name: stored(url, network, s.name, account_id) for s in catalog.get(network).streams}


def load(sb, url: str, network: str, account_id: str, **settings):
    sb.state.clock = CLOCK
    return run_account_load(
        network,
        account_id,
        DAY,
        url=url,
        run_id=f"faults-{uuid.uuid4().hex[:8]}",
        connection=sandbox_connection(sb, network),
        settings=fast_settings(network, **settings),
        raise_on_error=False,
    )


def stored(url: str, network: str, stream: str, account_id: str) -> tuple[int, str | None]:
    """(rows, checksum of keys and payloads) of one account's raw rows of a stream."""
    with psycopg.connect(url) as conn:
        return conn.execute(
            f"""select count(*), md5(string_agg(load_date || record_key || payload::text, '|'
                                        order by load_date, record_key))
                from raw.{network}__{stream} where account_id = %s""",
            (account_id,),
        ).fetchone()


def keys(url: str, network: str, stream: str, account_id: str) -> list[str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            f"select record_key from raw.{network}__{stream} where account_id = %s "
            "order by record_key",
            (account_id,),
        ).fetchall()
    return [r[0] for r in rows]


def status_of(outcome, stream: str) -> str:
    return next(r.status for r in outcome.results if r.stream == stream)


def error_of(outcome, stream: str) -> str:
    return next((r.error or "") for r in outcome.results if r.stream == stream)


# --- paging --------------------------------------------------------------------------------------
@pytest.mark.parametrize("network", sorted(LISTINGS))
def test_an_empty_page_that_still_has_next_is_followed(
    sb, warehouse_url, reference_url, network, fault_matrix
):
    stream, path = LISTINGS[network]
    acct = account(network, "empty")
    small = {"page_size": SMALL_PAGES[network]}
    load(sb, reference_url, network, acct, **small)
    expected = keys(reference_url, network, stream, acct)
    add_fault(sb, "empty_page_with_next", network, path=path, params={"pages": [0, 1, "last"]})
    outcome = load(sb, warehouse_url, network, acct, **small)
    assert status_of(outcome, stream) == "success", outcome.errors
    assert len(expected) > SMALL_PAGES[network], "the listing spans several pages"
    assert keys(warehouse_url, network, stream, acct) == expected, "every record behind it"
    rows = len(expected)
    fault_matrix(
        "empty page that still carries `next`",
        network,
        "follows every continuation to the API's end",
        f"{rows} of {len(expected)} records loaded",
    )


@pytest.mark.parametrize("network", sorted(LISTINGS))
def test_a_repeating_cursor_fails_the_stream_and_keeps_the_stored_rows(
    sb, warehouse_url, network, fault_matrix
):
    stream, path = LISTINGS[network]
    acct = account(network, "repeat")
    small = {"page_size": SMALL_PAGES[network]}
    load(sb, warehouse_url, network, acct, **small)
    before = stored(warehouse_url, network, stream, acct)
    add_fault(sb, "repeat_cursor", network, path=path, params={"pages": [0]})
    outcome = load(sb, warehouse_url, network, acct, **small)
    assert status_of(outcome, stream) == "failed"
    error = error_of(outcome, stream)
    assert "already followed" in error or "repeats records" in error, error
    assert stream in error and "stored rows are kept" in error
    assert stored(warehouse_url, network, stream, acct) == before
    requests = [r for r in sb.state.requests if r["network"] == network]
    assert len(requests) < 40, "the loop is caught at once, not after 1,000 pages"
    fault_matrix(
        "cursor / next link that repeats",
        network,
        "PaginationLoopError naming the stream and cursor",
        f"stream failed, {before[0]} stored rows kept",
    )


def test_page_insights_keep_the_daily_value_when_periods_are_mixed(
    sb, warehouse_url, reference_url, fault_matrix
):
    faulty = account("facebook_pages", "mixed")
    clean = reference(sb, reference_url, "facebook_pages", faulty)["page_insights"]
    add_fault(sb, "ignore_period", "facebook_pages")
    outcome = load(sb, warehouse_url, "facebook_pages", faulty)
    result = next(r for r in outcome.results if r.stream == "page_insights")
    assert result.status == "success" and result.dropped > 0
    with psycopg.connect(warehouse_url) as conn:
        periods = conn.execute(
            """select distinct payload ->> 'period' from raw.facebook_pages__page_insights
               where account_id = %s""",
            (faulty,),
        ).fetchall()
        warnings = conn.execute(
            "select warnings from ops.load_manifest where load_id = %s", (result.load_id,)
        ).fetchone()[0]
    assert periods == [("day",)]
    assert stored(warehouse_url, "facebook_pages", "page_insights", faulty) == clean
    assert any("not asked for (period=day)" in w for w in warnings)
    fault_matrix(
        "one answer mixing `day`, `week`, `days_28`",
        "facebook_pages",
        "keeps the period asked for; others dropped with a count",
        f"{result.records} daily records, {result.dropped} dropped",
    )


# --- a listing that shrinks without an error ---------------------------------------------------
@pytest.mark.parametrize("network", sorted(LISTINGS))
def test_a_listing_that_comes_back_empty_is_refused_until_accepted(
    sb, warehouse_url, network, fault_matrix
):
    stream, path = LISTINGS[network]
    acct = account(network, "shrink")
    load(sb, warehouse_url, network, acct)
    before = stored(warehouse_url, network, stream, acct)
    add_fault(sb, "deleted_items", network, path=path, params={"keep": 0})
    outcome = load(sb, warehouse_url, network, acct)
    assert status_of(outcome, stream) == "refused"
    assert "--allow-shrink" in error_of(outcome, stream)
    assert stored(warehouse_url, network, stream, acct) == before
    sb.state.clock = CLOCK
    accepted = run_account_load(
        network,
        acct,
        DAY,
        url=warehouse_url,
        run_id="faults-accept",
        connection=sandbox_connection(sb, network),
        settings=fast_settings(network),
        raise_on_error=False,
        allow_shrink=True,
    )
    assert status_of(accepted, stream) == "success"
    assert stored(warehouse_url, network, stream, acct)[0] == 0
    fault_matrix(
        "listing empty without an error",
        network,
        "refused, stored rows kept; --allow-shrink accepts",
        f"refused ({before[0]} rows kept), then accepted on purpose",
    )


# --- processes killed, connections lost, loads overlapping --------------------------------------
NETWORK, STREAM = "facebook_pages", "posts"
CLI = (sys.executable, "-m", "social_warehouse.cli")


def extract_process(
    sb, url: str, account_id: str, *extra: str, config_dir: Path | None = None
) -> subprocess.Popen:
    """`social-warehouse extract` in its own process, reading from the test's sandbox (with the
    settings of `config_dir` when given)."""
    host = sb.url.split("://", 1)[1]
    env = {
        **os.environ,
        "WAREHOUSE_URL": url,
        env_var_name("social_facebook_pages"): f"http://:sandbox-token@{host}/facebook_pages",
    }
    if config_dir is not None:
        env["SOCIAL_WAREHOUSE_CONFIG_DIR"] = str(config_dir)
    return subprocess.Popen(
        [
            *CLI,
            "extract",
            "--network",
            NETWORK,
            "--account",
            account_id,
            "--date",
            str(DAY),
            *extra,
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for(condition, timeout: float = 60.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def every_raw_table(url: str, account_id: str) -> dict[str, tuple]:
    return {
        s: stored(url, NETWORK, s, account_id) for s in ("page_insights", "posts", "post_insights")
    }


def manifest_statuses(url: str, account_id: str) -> list[tuple[str, str]]:
    with psycopg.connect(url) as conn:
        return conn.execute(
            """select stream, status from ops.load_manifest where account_id = %s
               order by load_id""",
            (account_id,),
        ).fetchall()


def clean_reference(sb, url: str, account_id: str) -> dict[str, tuple]:
    sb.state.clock = CLOCK
    return reference(sb, url, NETWORK, account_id)


def small_pages_config(tmp_path: Path, network: str) -> Path:
    """A copy of config/ whose networks.yml gives `network` small pages: at the API's maximum
    page size the post window fits in one page, and there would be no second page to kill at."""
    import shutil

    import yaml

    target = tmp_path / "config"
    shutil.copytree(paths.config_dir(), target)
    settings = yaml.safe_load((target / "networks.yml").read_text()) or {}
    networks = settings.setdefault("networks", {}) or {}
    settings["networks"] = networks
    networks.setdefault(network, {})["page_size"] = SMALL_PAGES[network]
    (target / "networks.yml").write_text(yaml.safe_dump(settings))
    return target


def test_sigkill_between_pages_then_a_rerun_equals_a_clean_run(
    sb, warehouse_url, reference_url, fault_matrix, tmp_path
):
    acct = account(NETWORK, "kill-pages")
    expected = clean_reference(sb, reference_url, acct)
    sb.state.clock = CLOCK
    add_fault(sb, "slow", NETWORK, path="/published_posts", after=1, params={"seconds": 60})
    slow = sb.state.faults[-1]
    config = small_pages_config(tmp_path, NETWORK)
    process = extract_process(sb, warehouse_url, acct, config_dir=config)
    wait_for(lambda: slow.fired >= 1, what="the second page of posts to be asked for")
    process.send_signal(signal.SIGKILL)
    process.wait(10)
    assert ("posts", "running") in manifest_statuses(warehouse_url, acct)
    assert every_raw_table(warehouse_url, acct)["posts"][0] == 0, "nothing of the posts landed"
    sb.state.faults.clear()
    load(sb, warehouse_url, NETWORK, acct)
    assert every_raw_table(warehouse_url, acct) == expected
    statuses = manifest_statuses(warehouse_url, acct)
    assert ("posts", "abandoned") in statuses and statuses[-1][1] == "success"
    fault_matrix(
        "process killed (SIGKILL) between two pages",
        NETWORK,
        "nothing half-written; the next load marks the row abandoned",
        "rerun identical to a clean run (row counts and checksums)",
    )


def blocked_writer(url: str) -> int | None:
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(
            """select pid from pg_stat_activity
               where datname = current_database() and wait_event_type = 'Lock'
                 and query like 'delete from "raw"."facebook_pages__posts"%'"""
        ).fetchone()
    return row[0] if row else None


def test_sigkill_inside_the_write_transaction_then_a_rerun_equals_a_clean_run(
    sb, warehouse_url, reference_url, fault_matrix
):
    acct = account(NETWORK, "kill-write")
    expected = clean_reference(sb, reference_url, acct)
    sb.state.clock = CLOCK
    blocker = psycopg.connect(warehouse_url)
    blocker.execute(f"lock table raw.{NETWORK}__{STREAM} in share mode")
    try:
        process = extract_process(sb, warehouse_url, acct)
        wait_for(lambda: blocked_writer(warehouse_url), what="the write transaction to start")
        process.send_signal(signal.SIGKILL)
        process.wait(10)
    finally:
        blocker.rollback()
        blocker.close()
    assert every_raw_table(warehouse_url, acct)["posts"][0] == 0
    load(sb, warehouse_url, NETWORK, acct)
    assert every_raw_table(warehouse_url, acct) == expected
    assert ("posts", "abandoned") in manifest_statuses(warehouse_url, acct)
    fault_matrix(
        "process killed inside the write transaction",
        NETWORK,
        "the transaction rolls back; the row is marked abandoned",
        "rerun identical to a clean run",
    )


def test_a_backend_terminated_mid_write_is_retried(sb, warehouse_url, reference_url, fault_matrix):
    acct = account(NETWORK, "terminated")
    expected = clean_reference(sb, reference_url, acct)
    outcome: dict = {}
    blocker = psycopg.connect(warehouse_url)
    blocker.execute(f"lock table raw.{NETWORK}__{STREAM} in share mode")
    worker = threading.Thread(
        target=lambda: outcome.update(result=load(sb, warehouse_url, NETWORK, acct))
    )
    worker.start()
    try:
        pid = wait_for(lambda: blocked_writer(warehouse_url), what="the write to start")
        with psycopg.connect(warehouse_url, autocommit=True) as admin:
            admin.execute("select pg_terminate_backend(%s)", (pid,))
        wait_for(
            lambda: (p := blocked_writer(warehouse_url)) and p != pid, what="the retried write"
        )
    finally:
        blocker.rollback()
        blocker.close()
    worker.join(60)
    assert not outcome["result"].errors
    assert every_raw_table(warehouse_url, acct) == expected
    fault_matrix(
        "PostgreSQL backend terminated mid-write",
        NETWORK,
        "retried on a new connection with backoff",
        "load succeeded, rows identical to a clean run",
    )


def test_two_concurrent_loads_of_one_day_run_one_after_the_other(
    sb, warehouse_url, reference_url, fault_matrix
):
    acct = account(NETWORK, "concurrent")
    expected = clean_reference(sb, reference_url, acct)
    sb.state.clock = CLOCK
    processes = [extract_process(sb, warehouse_url, acct) for _ in range(2)]
    results = [p.communicate(timeout=120) for p in processes]
    codes = [p.returncode for p in processes]
    assert codes == [0, 0], results
    assert every_raw_table(warehouse_url, acct) == expected
    statuses = [s for _, s in manifest_statuses(warehouse_url, acct)]
    assert statuses == ["success"] * 6
    fault_matrix(
        "two loads of the same account and day at once",
        NETWORK,
        "an advisory lock per account x stream x day queues the second",
        "both succeeded; one complete set of rows",
    )


# --- the API misbehaves --------------------------------------------------------------------------
def test_sustained_throttling_waits_within_its_budget_then_fails_keeping_rows(
    sb, warehouse_url, fault_matrix
):
    acct = account("x", "throttled")
    load(sb, warehouse_url, "x", acct)
    before = stored(warehouse_url, "x", "tweets", acct)
    add_fault(sb, "throttle", "x", count=None, path="/tweets", params={"reset": 0})
    outcome = load(sb, warehouse_url, "x", acct, max_wait_seconds=0.5, backoff_seconds=0.05)
    assert status_of(outcome, "tweets") == "failed"
    assert "gave up after waiting" in error_of(outcome, "tweets")
    assert stored(warehouse_url, "x", "tweets", acct) == before
    fault_matrix(
        "sustained throttling (429 with x-rate-limit-reset)",
        "x",
        "waits until reset, within max_wait_seconds",
        f"stream failed with advice, {before[0]} stored rows kept",
    )


def test_a_5xx_storm_is_retried_then_fails_keeping_rows(sb, warehouse_url, fault_matrix):
    acct = account("tiktok", "storm")
    load(sb, warehouse_url, "tiktok", acct)
    before = stored(warehouse_url, "tiktok", "videos", acct)
    add_fault(sb, "server_error", "tiktok", count=None, path="/video/list")
    outcome = load(sb, warehouse_url, "tiktok", acct, max_retries=2)
    assert status_of(outcome, "videos") == "failed"
    assert "failed 3 times" in error_of(outcome, "videos")
    assert stored(warehouse_url, "tiktok", "videos", acct) == before
    fault_matrix(
        "5xx storm",
        "tiktok",
        "retried with backoff (max_retries)",
        f"stream failed after 3 attempts, {before[0]} stored rows kept",
    )


def test_responses_slower_than_the_timeout_are_retried_then_fail(sb, warehouse_url, fault_matrix):
    acct = account("linkedin", "slow")
    add_fault(sb, "slow", "linkedin", count=None, path="^/rest/posts", params={"seconds": 1.0})
    outcome = load(sb, warehouse_url, "linkedin", acct, timeout_seconds=0.2, max_retries=1)
    assert status_of(outcome, "posts") == "failed"
    assert "ReadTimeout" in error_of(outcome, "posts")
    # the message names the host and the connection it came from (a mistyped host looks the same)
    assert f"reaching {sb.url}/linkedin/" in error_of(outcome, "posts")
    assert "Airflow connection" in error_of(outcome, "posts")
    assert status_of(outcome, "post_statistics") == "skipped"
    assert status_of(outcome, "share_statistics") == "success"
    fault_matrix(
        "responses slower than timeout_seconds",
        "linkedin",
        "retried as transient; the child stream is skipped",
        "posts failed after 2 attempts, the other streams loaded",
    )


def test_malformed_json_is_quarantined_and_the_other_streams_load(sb, warehouse_url, fault_matrix):
    acct = account("instagram", "malformed")
    add_fault(sb, "malformed_body", "instagram", count=None, path=r"/media$")
    outcome = load(sb, warehouse_url, "instagram", acct, max_retries=1)
    assert status_of(outcome, "media") == "failed"
    assert status_of(outcome, "account_insights") == "success"
    with psycopg.connect(warehouse_url) as conn:
        kept = conn.execute(
            """select reason, payload from ops.rejected_records
               where account_id = %s and stream = 'media'""",
            (acct,),
        ).fetchall()
    assert kept and kept[0][0].startswith("unparseable answer") and '"data"' in kept[0][1]
    fault_matrix(
        "malformed JSON body",
        "instagram",
        "retried, then the answer is kept in ops.rejected_records",
        "stream failed with the body quarantined; other streams loaded",
    )


def test_an_expired_static_token_fails_fast_naming_the_connection(sb, warehouse_url, fault_matrix):
    acct = account("youtube", "expired")
    add_fault(sb, "expired_token", "youtube", count=None)
    with pytest.raises(Exception) as caught:
        load(sb, warehouse_url, "youtube", acct)
    message = str(caught.value)
    assert "social_youtube" in message and "one hour" in message
    assert len(sb.state.requests) == 1, "an expired token is not retried"
    fault_matrix(
        "expired token that cannot refresh",
        "youtube",
        "fails at once, naming the grant and how to renew it",
        "1 request, no retry; task fails with the connect command",
    )


def test_a_retired_metric_is_dropped_and_the_rest_loads(sb, warehouse_url, fault_matrix):
    acct = account("facebook_pages", "retired")
    add_fault(
        sb,
        "retire_metric",
        "facebook_pages",
        count=None,
        params={"metrics": ["page_video_views"]},
    )
    outcome = load(sb, warehouse_url, "facebook_pages", acct)
    result = next(r for r in outcome.results if r.stream == "page_insights")
    assert result.status == "success" and result.records > 0
    assert any("page_video_views" in w and "metric_registry.csv" in w for w in result.warnings)
    fault_matrix(
        "metric retired by the network ((#100) for the whole call)",
        "facebook_pages",
        "bisects the metric list, drops the retired one with a warning",
        f"{result.records} records of the other metrics loaded",
    )


def test_a_sunset_api_version_fails_naming_the_setting(sb, warehouse_url, fault_matrix):
    acct = account("linkedin", "sunset")
    with pytest.raises(Exception) as caught:
        load(sb, warehouse_url, "linkedin", acct, api_version="202301")
    message = str(caught.value)
    assert "202301" in message and "config/networks.yml" in message
    fault_matrix(
        "sunset API version (426 NONEXISTENT_VERSION)",
        "linkedin",
        "fails at once naming api_version in config/networks.yml",
        "task failed with the setting to change, no retry",
    )


# --- secrets -------------------------------------------------------------------------------------
def test_no_token_reaches_a_log_a_table_or_a_file(sb, warehouse_url, tmp_path, fault_matrix):
    """A load with debug logging (urllib3 prints every URL, Meta's carry the token when it
    pages), a failing stream and a quarantined answer: the token appears nowhere."""
    token = f"EAAGsecret{uuid.uuid4().hex}"
    acct = account("facebook_pages", "secrets")
    host = sb.url.split("://", 1)[1]
    env = {
        **os.environ,
        "WAREHOUSE_URL": warehouse_url,
        env_var_name("social_facebook_pages"): f"http://:{token}@{host}/facebook_pages",
    }
    sb.state.clock = CLOCK
    add_fault(sb, "empty_page_with_next", "facebook_pages", params={"pages": [0]})
    add_fault(sb, "malformed_body", "facebook_pages", count=None, path="/insights")
    result = subprocess.run(
        [
            *CLI,
            "-v",
            "extract",
            "--network",
            "facebook_pages",
            "--account",
            acct,
            "--date",
            str(DAY),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert "urllib3" in result.stderr and "published_posts" in result.stderr, "debug logs ran"
    dump = tmp_path / "warehouse.sql"
    subprocess.run(
        ["pg_dump", "--data-only", "-f", str(dump), warehouse_url], check=True, timeout=300
    )
    places = {"stdout": result.stdout, "stderr": result.stderr, "database": dump.read_text()}
    for folder in (paths.run_dir(),):
        for path in Path(folder).rglob("*"):
            if path.is_file() and path.stat().st_size < 5_000_000:
                try:
                    places[str(path)] = path.read_text(errors="ignore")
                except OSError:
                    continue
    leaks = [where for where, text in places.items() if token in text]
    assert leaks == []
    assert "access_token=***" in result.stderr, "the next-page URL was logged, redacted"
    fault_matrix(
        "a token in next-page URLs, debug logging on",
        "facebook_pages",
        "every log record redacted; tokens never stored",
        "token in none of the logs, the database dump or the files under .run/",
    )


@pytest.mark.last
def test_the_readme_fault_table_is_current(fault_matrix_results):
    expected_cases = 6 * 3 + 13
    if len(fault_matrix_results) < expected_cases:
        pytest.skip("only part of the fault matrix ran in this session")
    table = render_table(fault_matrix_results)
    out = paths.run_dir() / "fault-matrix.json"
    out.write_text(json.dumps(fault_matrix_results, indent=1))
    readme = paths.project_root() / "README.md"
    current = readme.read_text()
    assert replace_table(current, table) == current, (
        "the README's fault table does not match this run's outcomes: run `make fault-table` "
        f"(it rewrites README.md from {out})"
    )
