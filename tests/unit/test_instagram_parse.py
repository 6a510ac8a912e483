"""Pure parse functions and helpers of the Instagram streams on recorded-shape payloads."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from social_warehouse.config import load_network_settings
from social_warehouse.connector.streams import LoadContext
from social_warehouse.networks.instagram import (
    Account,
    AccountInsights,
    Media,
    MediaInsights,
    insight_value,
    is_history_limit,
    media_kind,
    metrics_for_kind,
    reached_older_media,
    total_value_needed,
    window_chunks,
)

FIXTURES = Path(__file__).parents[1] / "fixtures" / "instagram"
ACCOUNT = "17841400000000001"


def load(name: str):
    return json.loads((FIXTURES / name).read_text())


def ctx(**changes) -> LoadContext:
    settings = load_network_settings("instagram")
    for key, value in changes.items():
        settings = settings.with_overrides(**{key: value})
    return LoadContext("instagram", ACCOUNT, dt.date(2026, 11, 20), settings)


def test_account_object_is_one_snapshot_record_of_the_load_day():
    result = Account.parse(load("account.json"), ctx())
    assert [(r.key, r.record_date) for r in result.records] == [(ACCOUNT, dt.date(2026, 11, 20))]
    assert result.records[0].payload == load("account.json"), "the object stays untouched"


def test_account_object_without_followers_or_for_another_id_is_rejected():
    body = load("account.json")
    del body["followers_count"]
    assert (
        Account.parse(body, ctx()).rejects[0].reason == "missing required field 'followers_count'"
    )
    other = {**load("account.json"), "id": "17841400000000999"}
    result = Account.parse(other, ctx())
    assert not result.records
    assert "17841400000000999" in result.rejects[0].reason


def test_series_become_one_record_per_metric_and_pacific_day_across_dst():
    result = AccountInsights.parse(load("account_insights_day.json"), ctx())
    # end_time is Pacific midnight: 07:00 UTC in PDT, 08:00 UTC once PST starts on Nov 1
    assert sorted(r.key for r in result.records) == [
        "follower_count|2026-10-31",
        "reach|2026-10-30",
        "reach|2026-10-31",
        "reach|2026-11-01",
    ]
    record = next(r for r in result.records if r.key == "reach|2026-11-01")
    assert record.record_date == dt.date(2026, 11, 1)
    assert record.payload["values"] == [{"value": 14556, "end_time": "2026-11-02T08:00:00+0000"}]
    assert record.payload["title"] == "Accounts reached", "the metric object stays untouched"


def test_series_reject_text_values_entries_without_end_time_and_nameless_metrics():
    result = AccountInsights.parse(load("account_insights_day.json"), ctx())
    assert sorted(r.reason for r in result.rejects) == [
        "follower_count: field 'value' is string, expected integer/number",
        "follower_count: missing required field 'end_time'",
        "missing required field 'name'",
    ]


def test_total_value_objects_keep_their_value_instead_of_reading_zeros():
    """The known bug: a total_value object read like a `values` list gives 0. Each record must
    carry the number in total_value.value, as its day's value."""
    body = load("account_insights_total_value.json")
    day = dt.date(2026, 11, 19)
    result = AccountInsights.parse(body, ctx(), day=day)
    expected = {
        m["name"]: m["total_value"]["value"]
        for m in body["data"]
        if isinstance(m.get("total_value"), dict) and "value" in m["total_value"]
    }
    assert {r.key: insight_value(r.payload) for r in result.records} == {
        f"{name}|{day}": value for name, value in expected.items()
    }
    assert all(value > 0 for value in expected.values())
    assert all(r.record_date == day and "values" not in r.payload for r in result.records)


def test_total_value_objects_without_a_number_or_without_the_asked_day_are_rejected():
    body = load("account_insights_total_value.json")
    reasons = sorted(
        r.reason for r in AccountInsights.parse(body, ctx(), day=dt.date(2026, 11, 19)).rejects
    )
    assert reasons == [
        "likes: neither 'values' nor 'total_value'",
        "profile_views: missing required field 'total_value.value'",
    ]
    undated = AccountInsights.parse(body, ctx())
    assert not undated.records
    assert "views: total_value without the day asked" in [r.reason for r in undated.rejects]


def test_insight_value_reads_both_shapes():
    assert insight_value({"total_value": {"value": 7}}) == 7
    assert insight_value({"values": [{"value": 9, "end_time": "x"}]}) == 9
    assert insight_value({"values": []}) is None


def test_media_are_dated_in_pacific_time_and_bad_or_old_ones_left_out():
    result = Media.parse(load("media.json"), ctx())
    assert {r.key: r.record_date for r in result.records} == {
        "17918195224117851": dt.date(2026, 11, 20),  # 04:59 UTC on the 21st is the 20th in LA
        "18034567890123456": dt.date(2026, 11, 19),
    }
    assert [r.reason for r in result.rejects] == [
        "missing required field 'timestamp'",
        "unreadable record: Invalid isoformat string: 'yesterday'",
    ]
    # the post from September is outside the 28-day window: neither loaded nor rejected


def test_a_page_reaching_media_older_than_the_post_window_stops_paging():
    body = load("media.json")
    assert reached_older_media(body, ctx())
    assert not reached_older_media(body, ctx(post_lookback_days=90))
    assert not reached_older_media({"data": []}, ctx())


def test_media_kind_follows_the_product_type_for_reels():
    items = load("media.json")["data"]
    assert [media_kind(i) for i in items[:3]] == ["IMAGE", "REELS", "CAROUSEL_ALBUM"]
    assert media_kind({"id": "1"}) == "UNKNOWN"


def test_feed_media_are_not_asked_for_the_counters_they_reject():
    wanted = ["views", "reach", "saved", "shares", "likes", "comments"]
    assert metrics_for_kind("IMAGE", wanted) == ["views", "reach", "saved"]
    assert metrics_for_kind("REELS", wanted) == wanted
    assert metrics_for_kind("UNKNOWN", wanted) == wanted, "unknown types are bisected instead"


def test_media_insights_keep_each_media_object_and_reject_media_without_insights():
    result = MediaInsights.parse(load("media_insights_batch.json"), ctx())
    assert [r.key for r in result.records] == ["18034567890123456"]
    assert result.records[0].record_date == dt.date(2026, 11, 20)
    assert result.rejects[0].key == "17918195224117851"
    assert "insights.data" in result.rejects[0].reason


def test_error_messages_that_are_not_about_a_bad_metric_are_recognised():
    message = (
        "(#100) The following metrics (views, profile_views) should be specified with "
        "parameter metric_type=total_value"
    )
    assert total_value_needed(message) == ["views", "profile_views"]
    assert total_value_needed("(#100) Incompatible metric (saved) with the media") == []
    assert is_history_limit(
        "(#100) (follower_count) metric only supports querying data for the last 30 days "
        "excluding the current day"
    )
    assert not is_history_limit(
        "(#100) There cannot be more than 30 days (2592000 s) between since and until"
    )


def test_series_windows_never_span_more_than_thirty_days_of_seconds():
    tz = "America/Los_Angeles"
    days = [dt.date(2026, 10, 22) + dt.timedelta(days=i) for i in range(30)]
    # 30 local days across the end of DST (Nov 1) are 30 days and 1 hour long
    chunks = window_chunks(days, tz, 30 * 86400)
    assert [len(c) for c in chunks] == [29, 1]
    assert [d for c in chunks for d in c] == days
    summer = [dt.date(2026, 7, 1) + dt.timedelta(days=i) for i in range(61)]
    assert [len(c) for c in window_chunks(summer, tz, 30 * 86400)] == [30, 30, 1]
