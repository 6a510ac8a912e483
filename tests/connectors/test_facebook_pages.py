"""The Facebook Pages client and streams against the sandbox: paging, batching, throttling,
transient errors, token expiry, retired metrics and API versions."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from social_warehouse.connector.streams import LoadContext
from social_warehouse.errors import ApiVersionError, AuthError, TransientApiError
from social_warehouse.networks.facebook_pages import (
    FacebookPagesClient,
    PageInsights,
    PostInsights,
    Posts,
)
from tests.helpers import add_fault, fast_settings, replace, sandbox_connection

PAGE = "104729385610001"
DAY = dt.date(2026, 11, 20)
CLOCK = dt.datetime(2026, 11, 21, 12, tzinfo=dt.UTC)


def make(sb, **settings_changes):
    settings = fast_settings("facebook_pages", **settings_changes)
    client = FacebookPagesClient(sandbox_connection(sb, "facebook_pages"), settings)
    return client, LoadContext("facebook_pages", PAGE, DAY, settings)


def requests_to(sb, fragment: str) -> list[dict]:
    return [r for r in sb.state.requests if fragment in r["path"] or fragment in str(r["query"])]


def test_posts_follow_cursor_pages_until_the_last(sb):
    sb.state.clock = CLOCK
    client, ctx = make(sb, page_size=5)
    result = Posts(client, ctx).collect()
    truth = sb.state.networks["facebook_pages"].truth(
        PAGE, DAY, CLOCK, ctx.settings.post_lookback_days
    )
    assert sorted(r.key for r in result.records) == sorted(p["post_id"] for p in truth["posts"])
    assert len(result.records) > 5, (
        "the window must span several pages for this test to mean anything"
    )
    assert len(requests_to(sb, "published_posts")) == math.ceil(len(result.records) / 5)
    assert all(ctx.posts_window.start <= r.record_date <= DAY for r in result.records)


def test_post_insights_take_one_call_per_fifty_posts(sb):
    sb.state.clock = CLOCK
    client, ctx = make(sb, post_lookback_days=60)
    Posts(client, ctx).collect()
    sb.state.requests.clear()
    result = PostInsights(client, ctx).collect()
    posts = len(ctx.keys_of("posts"))
    assert posts > 50
    assert len(result.records) == posts
    assert len(sb.state.requests) == math.ceil(posts / 50)
    first = result.records[0].payload
    assert {m["name"] for m in first["insights"]["data"]} >= {"post_media_view", "post_clicks"}


def test_page_insights_are_one_record_per_metric_and_pacific_day(sb):
    sb.state.clock = CLOCK
    client, ctx = make(sb, lookback_days=3)
    result = PageInsights(client, ctx).collect()
    days = {r.record_date for r in result.records}
    assert days == set(ctx.metrics_window.days())
    truth = sb.state.networks["facebook_pages"].truth(PAGE, DAY, CLOCK, 1)["account"]["native"]
    views = next(r for r in result.records if r.key == f"page_media_view|day|{DAY}")
    assert views.payload["values"][0]["value"] == truth["page_media_view"]
    assert not result.rejects


def test_windows_longer_than_ninety_days_are_split_even_across_dst(sb):
    sb.state.clock = CLOCK
    client, ctx = make(sb, lookback_days=179)  # 2026-05-26..2026-11-20 spans the DST change
    result = PageInsights(client, ctx).collect()
    calls = requests_to(sb, "/insights")
    assert len(calls) == math.ceil(179 / 89)
    assert all(int(c["query"]["until"]) - int(c["query"]["since"]) <= 7_776_000 for c in calls)
    assert {r.record_date for r in result.records} == set(ctx.metrics_window.days())


@pytest.mark.parametrize("code", [4, 17, 32, 80001])
def test_throttling_codes_wait_and_retry(sb, code):
    sb.state.clock = CLOCK
    add_fault(sb, "throttle", "facebook_pages", count=2, params={"code": code, "regain_minutes": 0})
    client, ctx = make(sb)
    result = PageInsights(client, ctx).collect()
    assert result.records
    assert client.stats.throttled == 2
    assert client.stats.requests == 3


def test_usage_headers_near_the_limit_slow_the_client_down(sb):
    sb.state.clock = CLOCK
    rate = sb.state.networks["facebook_pages"].rate
    rate.limit, rate.window_seconds = 4, 1.0  # the 4th call in a second reports 100% usage
    client, ctx = make(sb, page_size=5, max_wait_seconds=30)
    Posts(client, ctx).collect()
    assert client.stats.throttled >= 1, (
        "the client must pause when x-business-use-case-usage nears 100"
    )


def test_server_errors_back_off_then_succeed(sb):
    sb.state.clock = CLOCK
    add_fault(sb, "server_error", "facebook_pages", count=2, params={"status": 503})
    client, ctx = make(sb)
    assert PageInsights(client, ctx).collect().records
    assert client.stats.retries == 2


def test_server_errors_give_up_with_advice(sb):
    add_fault(sb, "server_error", "facebook_pages", count=None, params={"status": 500})
    client, ctx = make(sb, max_retries=2)
    with pytest.raises(TransientApiError, match=r"Rerun the task later"):
        PageInsights(client, ctx).collect()
    assert client.stats.requests == 3


def test_expired_token_fails_fast_and_names_the_connection(sb):
    add_fault(sb, "expired_token", "facebook_pages", count=None)
    client, ctx = make(sb)
    with pytest.raises(AuthError) as error:
        PageInsights(client, ctx).collect()
    message = str(error.value)
    assert "social_facebook_pages" in message and "token expired" in message
    assert client.stats.requests == 1, "retrying a dead token only burns quota"
    assert "sandbox-token" not in message


def test_a_retired_metric_is_dropped_with_a_warning_and_the_rest_load(sb):
    sb.state.clock = CLOCK
    add_fault(
        sb, "retire_metric", "facebook_pages", count=None, params={"metric": "page_views_total"}
    )
    client, ctx = make(sb)
    result = PageInsights(client, ctx).collect()
    names = {r.payload["name"] for r in result.records}
    assert "page_views_total" not in names
    assert {"page_media_view", "page_post_engagements", "page_follows"} <= names
    assert any("page_views_total" in w and "metric_registry.csv" in w for w in ctx.warnings)
    # the next account of the same run does not bisect again
    sb.state.requests.clear()
    PageInsights(
        client, LoadContext("facebook_pages", "104729385610002", DAY, ctx.settings)
    ).collect()
    assert len(sb.state.requests) == 1


def test_metrics_retired_in_the_registry_are_never_requested(sb):
    sb.state.clock = CLOCK
    client, ctx = make(sb)
    PageInsights(client, ctx).collect()
    requested = requests_to(sb, "/insights")[0]["query"]["metric"].split(",")
    assert "page_impressions" not in requested and "page_media_view" in requested


def test_an_unsupported_api_version_says_where_to_change_it(sb):
    client, ctx = make(sb)
    ctx.settings = replace(ctx.settings, api_version="v10.0")
    with pytest.raises(ApiVersionError, match=r"config/networks\.yml"):
        PageInsights(client, ctx).collect()


def test_malformed_records_are_rejected_and_the_rest_kept(sb):
    sb.state.clock = CLOCK
    add_fault(
        sb,
        "malformed_record",
        "facebook_pages",
        count=1,
        path="published_posts",
        params={"field": "created_time"},
    )
    client, ctx = make(sb)
    result = Posts(client, ctx).collect()
    assert len(result.rejects) == 1
    assert "created_time" in result.rejects[0].reason
    assert result.records, "the good records of the same page still load"
