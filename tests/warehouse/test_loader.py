"""The raw loader against the real warehouse: reruns are idempotent, failures keep what was there
and say why, rejects are kept with their reason, migrations apply once."""

from __future__ import annotations

import datetime as dt

import psycopg
import pytest

from social_warehouse.errors import ConfigError
from social_warehouse.extract import LoadFailedError, run_account_load
from social_warehouse.warehouse import migrate as migrate_module
from tests.helpers import add_fault, fast_settings, sandbox_connection

PAGE = "104729385610009"
DAY = dt.date(2026, 11, 20)
CLOCK = dt.datetime(2026, 11, 21, 12, tzinfo=dt.UTC)
BUSINESS_COLUMNS = "account_id, load_date, record_key, record_date, payload"


def raw_rows(url: str, table: str, account: str = PAGE) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(
            f"select {BUSINESS_COLUMNS} from raw.{table} where account_id = %s order by record_key",
            (account,),
        ).fetchall()


def manifest(url: str, account: str = PAGE) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(
            """select stream, status, records, rejected, replaced, error from ops.load_manifest
               where account_id = %s order by load_id""",
            (account,),
        ).fetchall()


def load(sb, url, account=PAGE, **kwargs):
    return run_account_load(
        "facebook_pages",
        account,
        DAY,
        url=url,
        run_id="test-run",
        connection=sandbox_connection(sb, "facebook_pages"),
        settings=fast_settings("facebook_pages"),
        **kwargs,
    )


def test_loading_a_day_twice_leaves_identical_rows(sb, warehouse_url):
    sb.state.clock = CLOCK
    first = load(sb, warehouse_url)
    before = {
        t: raw_rows(warehouse_url, f"facebook_pages__{t}")
        for t in ("page_insights", "posts", "post_insights")
    }
    second = load(sb, warehouse_url)
    after = {
        t: raw_rows(warehouse_url, f"facebook_pages__{t}")
        for t in ("page_insights", "posts", "post_insights")
    }
    assert all(before[t] for t in before), "every stream must have landed rows"
    assert before == after
    assert first.records == second.records
    rows = manifest(warehouse_url)
    assert [r[1] for r in rows] == ["success"] * 6
    # the second load replaced exactly what the first wrote
    assert [r[4] for r in rows[3:]] == [r[2] for r in rows[:3]]


def test_a_later_load_of_the_same_day_replaces_revised_values(sb, warehouse_url):
    account = "104729385610010"
    sb.state.clock = CLOCK
    load(sb, warehouse_url, account=account)
    early = dict(
        (r[2], r[4]) for r in raw_rows(warehouse_url, "facebook_pages__page_insights", account)
    )
    sb.state.clock = CLOCK + dt.timedelta(days=2)  # the network revised the days since
    load(sb, warehouse_url, account=account)
    late = dict(
        (r[2], r[4]) for r in raw_rows(warehouse_url, "facebook_pages__page_insights", account)
    )
    assert early.keys() == late.keys()
    key = f"page_media_view|day|{DAY}"
    assert late[key]["values"][0]["value"] > early[key]["values"][0]["value"]


def test_a_failed_stream_keeps_the_previous_rows_and_records_the_error(sb, warehouse_url):
    account = "104729385610011"
    sb.state.clock = CLOCK
    load(sb, warehouse_url, account=account)
    previous = raw_rows(warehouse_url, "facebook_pages__post_insights", account)
    add_fault(sb, "server_error", "facebook_pages", count=None, path=r"^/v\d+\.\d+/?$")
    with pytest.raises(LoadFailedError, match="post_insights") as error:
        load(sb, warehouse_url, account=account)
    assert "Rerun the task" in str(error.value)
    assert raw_rows(warehouse_url, "facebook_pages__post_insights", account) == previous
    last = manifest(warehouse_url, account)[-3:]
    assert [(r[0], r[1]) for r in last] == [
        ("page_insights", "success"),
        ("posts", "success"),
        ("post_insights", "failed"),
    ]
    assert "server error" in last[2][5] or "unexpected error" in last[2][5]


def test_rejected_records_are_kept_with_their_reason_and_the_rest_land(sb, warehouse_url):
    account = "104729385610012"
    sb.state.clock = CLOCK
    add_fault(
        sb,
        "malformed_record",
        "facebook_pages",
        count=1,
        path="published_posts",
        params={"field": "id"},
    )
    outcome = load(sb, warehouse_url, account=account)
    posts = next(r for r in outcome.results if r.stream == "posts")
    assert posts.rejected == 1 and posts.records > 0
    with psycopg.connect(warehouse_url) as conn:
        rejected = conn.execute(
            """select stream, reason, payload::jsonb ? 'created_time' from ops.rejected_records
               where account_id = %s""",
            (account,),
        ).fetchall()
        report = conn.execute(
            """select rejected from ops.rejected_records_daily
               where network = 'facebook_pages' and stream = 'posts'"""
        ).fetchall()
    assert rejected == [("posts", "missing required field 'id'", True)]
    assert sum(r[0] for r in report) >= 1
    # a clean rerun of the day clears the rejects of that load day
    load(sb, warehouse_url, account=account)
    with psycopg.connect(warehouse_url) as conn:
        left = conn.execute(
            "select count(*) from ops.rejected_records where account_id = %s", (account,)
        ).fetchone()
    assert left == (0,)


def test_migrations_apply_once_and_refuse_edited_history(warehouse_url, monkeypatch):
    assert migrate_module.migrate(warehouse_url) == []
    original = migrate_module.planned

    def edited():
        migrations = original()
        first = migrations[0]
        return [
            migrate_module.Migration(first.version, first.description, first.sql + "\n-- edited"),
            *migrations[1:],
        ]

    monkeypatch.setattr(migrate_module, "planned", edited)
    with pytest.raises(ConfigError, match="changed after it was applied"):
        migrate_module.migrate(warehouse_url)


def test_an_answer_that_is_not_json_is_quarantined_with_its_reason(sb, warehouse_url):
    """A page the API sends broken (truncated JSON, every retry): the stream fails, the body is
    kept in ops.rejected_records with why, and the other streams of the account still load."""
    account = "104729385610013"
    sb.state.clock = CLOCK
    add_fault(sb, "malformed_body", "facebook_pages", count=None, path="published_posts")
    with pytest.raises(LoadFailedError, match="posts"):
        load(sb, warehouse_url, account=account)
    with psycopg.connect(warehouse_url) as conn:
        rejected = conn.execute(
            "select stream, reason, payload from ops.rejected_records where account_id = %s",
            (account,),
        ).fetchall()
        landed = conn.execute(
            "select count(*) from raw.facebook_pages__page_insights where account_id = %s",
            (account,),
        ).fetchone()
    assert [
        (r[0], r[1].startswith("unparseable answer: expected a JSON body")) for r in rejected
    ] == [("posts", True)]
    assert rejected[0][2].startswith('{"data": [{"id": "1"')
    assert landed[0] > 0, "page insights of the same account still landed"
