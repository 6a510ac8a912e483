"""The LinkedIn client and streams against the sandbox: versioned headers and 426, millisecond
DAY ranges, the 12-month window, organic plus paid follower gains, start/count paging over a list
sorted by last modification, post statistics batches per URN kind, daily limits that stop the
load, short throttling, 5xx, token expiry and malformed records."""

from __future__ import annotations

import datetime as dt
import math

import psycopg
import pytest
import requests

from social_warehouse.connector.streams import LoadContext
from social_warehouse.errors import (
    ApiError,
    ApiVersionError,
    AuthError,
    QuotaExceededError,
    TransientApiError,
)
from social_warehouse.extract import run_account_load
from social_warehouse.networks.linkedin import (
    FollowerStatistics,
    LinkedInClient,
    NetworkSize,
    Posts,
    PostStatistics,
    ShareStatistics,
    day_ms,
)
from social_warehouse.sandbox.linkedin import active_versions, retention_start
from tests.helpers import add_fault, fast_settings, sandbox_connection

ORG = "2414183"
DAY = dt.date(2026, 11, 20)
CLOCK = dt.datetime(2026, 11, 21, 12, tzinfo=dt.UTC)
UNIFIED_POST = {
    "impressionCount": "impressions",
    "uniqueImpressionsCount": "reach",
    "clickCount": "clicks",
    "likeCount": "likes",
    "commentCount": "comments",
    "shareCount": "shares",
}


def make(sb, account: str = ORG, **settings_changes):
    settings = fast_settings("linkedin", **settings_changes)
    client = LinkedInClient(sandbox_connection(sb, "linkedin"), settings)
    return client, LoadContext("linkedin", account, DAY, settings)


def requests_to(sb, fragment: str) -> list[dict]:
    return [r for r in sb.state.requests if fragment in r["path"]]


def sandbox(sb):
    return sb.state.networks["linkedin"]


# --- versions and headers ----------------------------------------------------------------------
def test_the_version_header_comes_from_settings_and_a_sunset_one_raises_426(sb):
    sb.state.clock = CLOCK
    client, ctx = make(sb, api_version="202301")
    with pytest.raises(ApiVersionError) as error:
        ShareStatistics(client, ctx).collect()
    message = str(error.value)
    assert "HTTP 426" in message and "Requested version 202301 is not active" in message
    assert "api_version" in message and "config/networks.yml" in message
    assert client.stats.requests == 1, "a sunset version never recovers by retrying"


def test_exactly_the_twelve_monthly_versions_up_to_the_clock_are_served(sb):
    sb.state.clock = CLOCK
    served = active_versions(CLOCK)
    oldest = served[-1]
    year, month = int(oldest[:4]), int(oldest[4:])
    expired = f"{year - 1}12" if month == 1 else f"{year}{month - 1:02d}"
    client, ctx = make(sb, api_version=oldest)
    assert ShareStatistics(client, ctx).collect().records
    client, ctx = make(sb, api_version=expired)
    with pytest.raises(ApiVersionError, match=f"Requested version {expired} is not active"):
        ShareStatistics(client, ctx).collect()


def test_a_missing_version_says_to_set_api_version(sb):
    sb.state.clock = CLOCK
    client, ctx = make(sb, api_version="")
    with pytest.raises(ApiVersionError, match="VERSION_MISSING") as error:
        NetworkSize(client, ctx).collect()
    assert "api_version for linkedin" in str(error.value)


def test_rest_li_2_syntax_needs_the_protocol_header(sb):
    sb.state.clock = CLOCK
    client, ctx = make(sb)
    url = sb.base_url("linkedin") + "/" + ShareStatistics(client, ctx).url(DAY, DAY)
    headers = {"Authorization": "Bearer t", "LinkedIn-Version": ctx.settings.api_version}
    bare = requests.get(url, headers=headers, timeout=10)
    assert bare.status_code == 400 and "X-Restli-Protocol-Version" in bare.json()["message"]
    headers["X-Restli-Protocol-Version"] = "2.0.0"
    assert requests.get(url, headers=headers, timeout=10).status_code == 200


# --- daily statistics ----------------------------------------------------------------------------
def test_share_statistics_ask_millisecond_utc_days_with_day_granularity(sb):
    sb.state.clock = CLOCK
    client, ctx = make(sb, lookback_days=3)
    result = ShareStatistics(client, ctx).collect()
    window = ctx.metrics_window
    (call,) = requests_to(sb, "organizationalEntityShareStatistics")
    assert call["query"]["organizationalEntity"] == f"urn:li:organization:{ORG}"
    assert call["query"]["timeIntervals"] == (
        f"(timeRange:(start:{day_ms(window.start)},"
        f"end:{day_ms(window.end + dt.timedelta(days=1))}),timeGranularityType:DAY)"
    )
    assert [r.record_date for r in result.records] == window.days()
    for record in result.records:
        native = sandbox(sb).truth(ORG, record.record_date, CLOCK, 1)["account"]["native"]
        stats = record.payload["totalShareStatistics"]
        assert stats == {k: native[k] for k in stats}
        time_range = record.payload["timeRange"]
        assert time_range["end"] - time_range["start"] == 86_400_000
    assert not result.rejects


def test_a_day_linkedin_has_not_published_yet_is_absent_not_zero(sb):
    closes = dt.datetime.combine(DAY + dt.timedelta(days=1), dt.time(0), tzinfo=dt.UTC)
    early = closes + dt.timedelta(hours=sandbox(sb).lag_hours) - dt.timedelta(minutes=1)
    sb.state.clock = early
    client, ctx = make(sb, lookback_days=3)
    days = [r.record_date for r in ShareStatistics(client, ctx).collect().records]
    assert DAY not in days and days == ctx.metrics_window.days()[:-1]
    assert sandbox(sb).truth(ORG, DAY, early, 1)["account"] is None


def test_days_older_than_twelve_months_are_skipped_with_a_warning(sb):
    sb.state.clock = CLOCK
    client, ctx = make(sb, lookback_days=400)
    result = ShareStatistics(client, ctx).collect()
    first = retention_start(CLOCK)
    assert ctx.metrics_window.start < first, "the window must reach past the 12 months"
    assert [r.record_date for r in result.records] == [
        d for d in ctx.metrics_window.days() if d >= first
    ]
    assert any("12-month" in w and str(first - dt.timedelta(days=1)) in w for w in ctx.warnings)
    assert client.stats.requests <= 2 + math.ceil(math.log2(400)), "bisection, not day by day"


def test_follower_gains_are_organic_plus_paid(sb):
    sb.state.clock = CLOCK
    client, ctx = make(sb, lookback_days=14)
    result = FollowerStatistics(client, ctx).collect()
    assert len(result.records) == 14
    paid_days = 0
    for record in result.records:
        gains = record.payload["followerGains"]
        truth = sandbox(sb).truth(ORG, record.record_date, CLOCK, 1)["account"]["unified"]
        assert gains["organicFollowerGain"] + gains["paidFollowerGain"] == truth["follower_gains"]
        paid_days += gains["paidFollowerGain"] > 0
    assert paid_days, "some days must have paid follows for this test to mean anything"


def test_network_size_is_the_follower_total(sb):
    sb.state.clock = CLOCK
    client, ctx = make(sb)
    (record,) = NetworkSize(client, ctx).collect().records
    truth = sandbox(sb).truth(ORG, DAY, CLOCK, 1)["account"]["unified"]
    assert record.payload == {"firstDegreeSize": truth["followers"]}
    assert record.record_date == DAY
    (call,) = requests_to(sb, "networkSizes")
    assert call["query"] == {"edgeType": "COMPANY_FOLLOWED_BY_MEMBER"}


# --- posts -------------------------------------------------------------------------------------
def test_posts_page_with_start_and_count_and_stop_after_the_window(sb):
    sb.state.clock = CLOCK
    client, ctx = make(sb, page_size=5)
    result = Posts(client, ctx).collect()
    truth = sandbox(sb).truth(ORG, DAY, CLOCK, ctx.settings.post_lookback_days)
    assert sorted(r.key for r in result.records) == sorted(p["post_id"] for p in truth["posts"])
    assert len(result.records) > 5, "the window must span several pages for this test to mean it"
    calls = requests_to(sb, "/rest/posts")
    assert [int(c["query"]["start"]) for c in calls] == [5 * i for i in range(len(calls))]
    assert {c["query"]["sortBy"] for c in calls} == {"LAST_MODIFIED"}
    everything = sandbox(sb).model(ORG).published_posts(CLOCK)
    assert len(calls) < math.ceil(len(everything) / 5) / 4, "paging must stop after the window"


def test_an_old_post_edited_recently_is_skipped_without_stopping_the_paging(sb):
    sb.state.clock = CLOCK
    client, ctx = make(sb, page_size=5)
    net = sandbox(sb)
    since = day_ms(ctx.posts_window.start)
    listing = sorted(
        (net.render_post(p, CLOCK) for p in net.model(ORG).published_posts(CLOCK)),
        key=lambda p: (p["lastModifiedAt"], p["id"]),
        reverse=True,
    )
    edited_old = [
        i for i, p in enumerate(listing) if p["publishedAt"] < since <= p["lastModifiedAt"]
    ]
    in_window = [i for i, p in enumerate(listing) if p["publishedAt"] >= since]
    assert edited_old and in_window[-1] >= (edited_old[0] // 5 + 1) * 5, (
        "an old post edited in the window must sit on a page before some of the window's posts"
    )
    result = Posts(client, ctx).collect()
    keys = {r.key for r in result.records}
    assert not keys & {listing[i]["id"] for i in edited_old}
    truth = net.truth(ORG, DAY, CLOCK, ctx.settings.post_lookback_days)
    assert keys == {p["post_id"] for p in truth["posts"]}


def test_post_statistics_batch_shares_and_ugcposts_separately(sb):
    sb.state.clock = CLOCK
    # batches below the default 50, so that each URN kind takes several
    client, ctx = make(sb, post_lookback_days=60, extra={"post_stats_batch_size": 20})
    Posts(client, ctx).collect()
    ids = ctx.keys_of("posts")
    shares = [i for i in ids if i.startswith("urn:li:share:")]
    ugc = [i for i in ids if i.startswith("urn:li:ugcPost:")]
    assert len(shares) > 20 and ugc, "both URN kinds and several batches are needed here"
    sb.state.requests.clear()
    result = PostStatistics(client, ctx).collect()
    batch = ctx.settings.extra["post_stats_batch_size"]
    calls = requests_to(sb, "organizationalEntityShareStatistics")
    assert len(calls) == math.ceil(len(shares) / batch) + math.ceil(len(ugc) / batch)
    assert all(("shares" in c["query"]) != ("ugcPosts" in c["query"]) for c in calls)
    truth = {p["post_id"]: p["lifetime"] for p in sandbox(sb).truth(ORG, DAY, CLOCK, 60)["posts"]}
    assert sorted(r.key for r in result.records) == sorted(ids)
    for record in result.records:
        stats = record.payload["totalShareStatistics"]
        assert {UNIFIED_POST[k]: v for k, v in stats.items() if k in UNIFIED_POST} == truth[
            record.key
        ]
    assert not ctx.warnings


# --- limits and failures -------------------------------------------------------------------------
def test_a_daily_limit_stops_at_once_and_says_it_resets_at_midnight_utc(sb):
    sb.state.clock = CLOCK
    add_fault(sb, "daily_limit", "linkedin", count=None)
    client, ctx = make(sb)
    with pytest.raises(QuotaExceededError) as error:
        ShareStatistics(client, ctx).collect()
    assert client.stats.requests == 1 and client.stats.waited_seconds == 0
    reset = dt.datetime.fromisoformat(error.value.resets_at)
    now = dt.datetime.now(dt.UTC)
    assert reset.time() == dt.time(0) and dt.timedelta(0) < reset - now <= dt.timedelta(days=1)
    assert "00:00 UTC" in str(error.value)


def test_a_daily_limit_in_a_load_skips_the_remaining_streams(sb, warehouse_url):
    sb.state.clock = CLOCK
    add_fault(sb, "daily_limit", "linkedin", count=None, after=2)
    outcome = run_account_load(
        "linkedin",
        ORG,
        DAY,
        url=warehouse_url,
        run_id="test_daily_limit",
        connection=sandbox_connection(sb, "linkedin"),
        settings=fast_settings("linkedin"),
    )
    assert outcome.quota_stopped and not outcome.errors
    assert {r.stream: r.status for r in outcome.results} == {
        "share_statistics": "success",
        "follower_statistics": "success",
        "network_size": "failed",
        "posts": "skipped",
        "post_statistics": "skipped",
    }
    with psycopg.connect(warehouse_url) as conn:
        error = conn.execute(
            "select error from ops.load_manifest where run_id = %s and stream = 'network_size'",
            ("test_daily_limit",),
        ).fetchone()[0]
    assert "00:00 UTC" in error


def test_short_throttling_backs_off_then_paces_the_next_calls(sb):
    sb.state.clock = CLOCK
    add_fault(sb, "throttle", "linkedin", count=2)
    client, ctx = make(sb)
    assert ShareStatistics(client, ctx).collect().records
    assert client.stats.requests == 3
    assert client.stats.throttled == 3, "two backoffs, then a pause before the next call"
    FollowerStatistics(client, ctx).collect()
    assert client.stats.throttled >= 4, "the pace decays over several calls, not at once"


def test_the_sandbox_rate_window_answers_a_short_429(sb):
    sb.state.clock = CLOCK
    sandbox(sb).rate.limit, sandbox(sb).rate.window_seconds = 2, 0.2
    client, ctx = make(sb, page_size=5)
    assert Posts(client, ctx).collect().records
    assert any(r["status"] == 429 for r in requests_to(sb, "/rest/posts"))
    assert client.stats.throttled >= 1


def test_server_errors_back_off_then_succeed(sb):
    sb.state.clock = CLOCK
    add_fault(sb, "server_error", "linkedin", count=2, params={"status": 503})
    client, ctx = make(sb)
    assert ShareStatistics(client, ctx).collect().records
    assert client.stats.retries == 2


def test_server_errors_give_up_with_advice(sb):
    sb.state.clock = CLOCK
    add_fault(sb, "server_error", "linkedin", count=None, params={"status": 500})
    client, ctx = make(sb, max_retries=2)
    with pytest.raises(TransientApiError, match="Rerun the task later"):
        NetworkSize(client, ctx).collect()
    assert client.stats.requests == 3


def test_an_expired_token_fails_fast_and_names_the_connection(sb):
    add_fault(sb, "expired_token", "linkedin", count=None)
    client, ctx = make(sb)
    with pytest.raises(AuthError) as error:
        ShareStatistics(client, ctx).collect()
    message = str(error.value)
    assert "social_linkedin" in message and "EXPIRED_ACCESS_TOKEN" in message
    assert "60 days" in message and "refresh" in message
    assert client.stats.requests == 1, "retrying a dead token only burns the daily limit"
    assert "sandbox-token" not in message


def test_missing_page_permissions_fail_the_stream_with_the_role_to_grant(sb):
    sb.state.clock = CLOCK
    add_fault(sb, "access_denied", "linkedin", count=None, path="networkSizes")
    client, ctx = make(sb)
    with pytest.raises(ApiError, match="ADMINISTRATOR") as error:
        NetworkSize(client, ctx).collect()
    assert error.value.status == 403 and client.stats.requests == 1


def test_malformed_posts_are_rejected_and_the_rest_of_the_page_kept(sb):
    sb.state.clock = CLOCK
    add_fault(
        sb,
        "malformed_record",
        "linkedin",
        count=1,
        path="/rest/posts",
        params={"field": "publishedAt"},
    )
    client, ctx = make(sb)
    result = Posts(client, ctx).collect()
    assert len(result.rejects) == 1 and "publishedAt" in result.rejects[0].reason
    truth = sandbox(sb).truth(ORG, DAY, CLOCK, ctx.settings.post_lookback_days)
    expected = {p["post_id"] for p in truth["posts"]} - {result.rejects[0].key}
    assert {r.key for r in result.records} == expected, "the good posts of that page still load"


def test_a_string_counter_rejects_that_day_only(sb):
    sb.state.clock = CLOCK
    add_fault(
        sb,
        "malformed_record",
        "linkedin",
        count=1,
        path="ShareStatistics",
        params={"field": "totalShareStatistics.impressionCount", "mode": "string"},
    )
    client, ctx = make(sb, lookback_days=3)
    result = ShareStatistics(client, ctx).collect()
    assert [r.reason for r in result.rejects] == [
        "field 'totalShareStatistics.impressionCount' is str, expected a number"
    ]
    assert len(result.records) == 2


# --- a whole load --------------------------------------------------------------------------------
def test_an_account_load_writes_raw_rows_and_the_manifest(sb, warehouse_url):
    sb.state.clock = CLOCK
    settings = fast_settings("linkedin")
    outcome = run_account_load(
        "linkedin",
        ORG,
        DAY,
        url=warehouse_url,
        run_id="test_linkedin_load",
        connection=sandbox_connection(sb, "linkedin"),
        settings=settings,
    )
    truth = sandbox(sb).truth(ORG, DAY, CLOCK, settings.post_lookback_days)
    expected = {
        "share_statistics": settings.lookback_days,
        "follower_statistics": settings.lookback_days,
        "network_size": 1,
        "posts": len(truth["posts"]),
        "post_statistics": len(truth["posts"]),
    }
    assert {r.stream: r.records for r in outcome.results} == expected
    with psycopg.connect(warehouse_url) as conn:
        for stream, count in expected.items():
            rows = conn.execute(
                f"select count(*) from raw.linkedin__{stream} "
                "where account_id = %s and load_date = %s",
                (ORG, DAY),
            ).fetchone()[0]
            assert rows == count, stream
        manifest = dict(
            conn.execute(
                "select stream, status from ops.load_manifest where run_id = %s",
                ("test_linkedin_load",),
            ).fetchall()
        )
        payload = conn.execute(
            "select payload from raw.linkedin__share_statistics where account_id = %s "
            "and load_date = %s and record_date = %s",
            (ORG, DAY, DAY),
        ).fetchone()[0]
    assert manifest == dict.fromkeys(expected, "success")
    native = truth["account"]["native"]
    assert payload["totalShareStatistics"]["impressionCount"] == native["impressionCount"]
    assert payload["organizationalEntity"] == f"urn:li:organization:{ORG}"
