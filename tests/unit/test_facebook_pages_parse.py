"""Pure parse functions of the Facebook Pages streams on recorded-shape payloads."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from social_warehouse.config import load_network_settings
from social_warehouse.connector.streams import LoadContext
from social_warehouse.networks.facebook_pages import (
    PageInsights,
    PostInsights,
    Posts,
)

FIXTURES = Path(__file__).parents[1] / "fixtures" / "facebook_pages"


def load(name: str):
    return json.loads((FIXTURES / name).read_text())


def ctx() -> LoadContext:
    return LoadContext(
        "facebook_pages",
        "104729385610001",
        dt.date(2026, 11, 20),
        load_network_settings("facebook_pages"),
    )


def test_page_insights_split_into_one_record_per_metric_and_day():
    result = PageInsights.parse(load("page_insights.json"), ctx())
    keys = sorted(r.key for r in result.records)
    # end_time 2026-09-30T07:00Z is midnight Pacific (PDT) ending 2026-09-29
    assert keys == [
        "page_fan_adds_by_paid_non_paid_unique|day|2026-09-29",
        "page_media_view|day|2026-09-29",
        "page_media_view|day|2026-09-30",
    ]
    record = next(r for r in result.records if r.key == "page_media_view|day|2026-09-30")
    assert record.record_date == dt.date(2026, 9, 30)
    assert record.payload["values"] == [{"value": 1200, "end_time": "2026-10-01T07:00:00+0000"}]
    assert record.payload["title"] == "Daily Media Views", "the metric object stays untouched"
    breakdown = next(r for r in result.records if r.key.startswith("page_fan_adds"))
    assert breakdown.payload["values"][0]["value"] == {"paid": 3, "unpaid": 2, "total": 5}


def test_page_insights_keep_the_daily_value_when_the_answer_mixes_periods():
    """The same metric for day, week and days_28 with the same end_time (the API does so when
    the period is not pinned): keyed by name and day only, the 28-day value won. Only the period
    asked for is kept; the others are counted as dropped, never mixed in."""
    result = PageInsights.parse(load("page_insights_mixed_periods.json"), ctx())
    values = {r.key: r.payload["values"][0]["value"] for r in result.records}
    assert values == {
        "page_media_view|day|2026-11-18": 1000,
        "page_media_view|day|2026-11-19": 1200,
    }
    assert result.dropped == {
        "period 'week' not asked for (period=day)": 2,
        "period 'days_28' not asked for (period=day)": 2,
    }
    assert result.rejects == []


def test_page_insights_reject_entries_without_end_time_and_metrics_without_name():
    result = PageInsights.parse(load("page_insights.json"), ctx())
    reasons = sorted(r.reason for r in result.rejects)
    assert reasons == [
        "missing required field 'name'",
        "page_fan_adds_by_paid_non_paid_unique: missing required field 'end_time'",
    ]


def test_posts_are_dated_in_pacific_time_and_bad_ones_rejected():
    result = Posts.parse(load("posts.json"), ctx())
    dates = {r.key: r.record_date for r in result.records}
    assert dates == {
        "104729385610001_10541": dt.date(2026, 11, 20),  # 23:18 UTC is 15:18 in Los Angeles
        "104729385610001_10531": dt.date(2026, 11, 19),
    }
    assert [r.reason for r in result.rejects] == [
        "missing required field 'created_time'",
        "unreadable record: Invalid isoformat string: 'not a time'",
    ]


def test_post_insights_keep_each_post_object_and_reject_posts_without_insights():
    result = PostInsights.parse(load("post_insights_batch.json"), ctx())
    assert [r.key for r in result.records] == ["104729385610001_10541"]
    assert result.records[0].record_date == dt.date(2026, 11, 20)
    assert result.rejects[0].key == "104729385610001_10531"
    assert "insights.data" in result.rejects[0].reason


def test_batches_after_metric_bisection_merge_per_post():
    a = {"p1": {"id": "p1", "insights": {"data": [{"name": "m1"}]}}}
    b = {"p1": {"id": "p1", "insights": {"data": [{"name": "m2"}]}}}
    stream = PostInsights(None, ctx())  # type: ignore[arg-type]
    merged = stream.merge_parts([PostInsights.parse(a, ctx()), PostInsights.parse(b, ctx())])
    [record] = merged.records
    assert [m["name"] for m in record.payload["insights"]["data"]] == ["m1", "m2"]
