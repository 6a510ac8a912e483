"""The YouTube client and streams against the sandbox: Analytics paging and its ~48 h lag, the
uploads playlist, 50-id statistics batches, the daily unit quota, throttling, transient errors,
token expiry, scopes, malformed records and retired metrics."""

from __future__ import annotations

import datetime as dt
import math
import re

import psycopg
import pytest

from social_warehouse import metric_registry
from social_warehouse.connections import ConnectionInfo
from social_warehouse.connector.streams import LoadContext, Record
from social_warehouse.errors import (
    ApiError,
    AuthError,
    QuotaExceededError,
    RateLimitError,
    TransientApiError,
)
from social_warehouse.extract import run_account_load
from social_warehouse.networks.youtube import (
    NETWORK,
    Channel,
    ChannelDaily,
    Videos,
    VideoStatistics,
    YouTubeClient,
)
from social_warehouse.timeutil import local_day
from tests.helpers import add_fault, fast_settings, sandbox_connection

CHANNEL = "UCx9w6ZVq0sVbC3fJm8Hq2Aa"
OTHER = "UCq4Lm8Rt2Yp6Wn0Zb3Xc7Vd"
DAY = dt.date(2026, 11, 20)
CLOCK = dt.datetime(2026, 11, 21, 12, tzinfo=dt.UTC)  # the scheduled run for DAY


def make(sb, token: str = "sandbox-token", account: str = CHANNEL, **settings_changes):
    settings = fast_settings("youtube", **settings_changes)
    client = YouTubeClient(sandbox_connection(sb, "youtube", token=token), settings)
    return client, LoadContext("youtube", account, DAY, settings)


def youtube(sb):
    return sb.state.networks["youtube"]


def requests_to(sb, fragment: str) -> list[dict]:
    return [r for r in sb.state.requests if fragment in r["path"]]


def cells(record) -> dict:
    return dict(
        zip(
            [h["name"] for h in record.payload["columnHeaders"]], record.payload["row"], strict=True
        )
    )


@pytest.fixture
def quota(sb):
    """The sandbox's quota ledger, emptied and restored around a test."""
    network = youtube(sb)
    saved = network.quota_limit
    network.units.clear()
    yield network
    network.quota_limit = saved
    network.units.clear()


# --- channel_daily ------------------------------------------------------------------------------
def test_reports_page_with_start_index_over_a_long_window(sb):
    sb.state.clock = CLOCK
    client, ctx = make(sb, page_size=4, lookback_days=30)
    result = ChannelDaily(client, ctx).collect()
    net = youtube(sb)
    available = [
        d
        for d in ctx.metrics_window.days()
        if net.truth(CHANNEL, d, CLOCK, 1)["account"]
        and "views" in net.truth(CHANNEL, d, CLOCK, 1)["account"]["native"]
    ]
    assert [r.record_date for r in result.records] == available
    assert len(available) > 4 * 5, (
        "the window must span several pages for this test to mean anything"
    )
    starts = [int(r["query"]["startIndex"]) for r in requests_to(sb, "/v2/reports")]
    assert starts == [1 + 4 * i for i in range(len(starts))]
    assert len(starts) == len(available) // 4 + 1  # the last page is short or empty
    for record in result.records:
        native = net.truth(CHANNEL, record.record_date, CLOCK, 1)["account"]["native"]
        assert {k: native[k] for k in cells(record) if k != "day"} == {
            k: v for k, v in cells(record).items() if k != "day"
        }
    assert not result.rejects


def test_max_results_is_capped_at_the_api_ceiling(sb):
    sb.state.clock = CLOCK
    client, ctx = make(sb, page_size=500, lookback_days=250)
    result = ChannelDaily(client, ctx).collect()
    sizes = {int(r["query"]["maxResults"]) for r in requests_to(sb, "/v2/reports")}
    assert sizes == {200}
    assert len(result.records) == 248  # every day but the two still inside the lag
    # the API refuses a larger page outright
    response = client.send(client_request(ctx, maxResults=201))
    assert response.status == 400 and "[1, 200]" in response.body["error"]["message"]


def client_request(ctx: LoadContext, **params):
    from social_warehouse.connector.client import Request

    base = {
        "ids": f"channel=={ctx.account_id}",
        "startDate": "2026-11-01",
        "endDate": "2026-11-10",
        "metrics": "views",
        "dimensions": "day",
    }
    return Request("GET", "v2/reports", {**base, **params})


def test_metrics_are_requested_exactly_as_the_registry_lists_them(sb):
    sb.state.clock = CLOCK
    client, ctx = make(sb)
    ChannelDaily(client, ctx).collect()
    requested = requests_to(sb, "/v2/reports")[0]["query"]["metrics"].split(",")
    expected = metric_registry.metrics("youtube", "channel_daily", DAY)
    assert expected, "the registry must list YouTube channel metrics for this test to mean anything"
    assert requested == expected


def test_a_day_inside_the_48_hour_lag_is_missing_then_loaded_later(sb):
    net = youtube(sb)
    close = net.model(CHANNEL).day_close(DAY)
    early = close + dt.timedelta(hours=30)
    sb.state.clock = early
    client, ctx = make(sb, lookback_days=5)
    result = ChannelDaily(client, ctx).collect()
    assert DAY not in {r.record_date for r in result.records}
    assert DAY - dt.timedelta(days=1) in {r.record_date for r in result.records}
    assert any(str(DAY) in w and "48 h" in w and "lookback" in w for w in ctx.warnings)
    assert "views" not in net.truth(CHANNEL, DAY, early, 1)["account"]["native"]

    later = close + dt.timedelta(hours=49)
    sb.state.clock = later
    client, ctx = make(sb, lookback_days=5)
    result = ChannelDaily(client, ctx).collect()
    record = next(r for r in result.records if r.record_date == DAY)
    truth = net.truth(CHANNEL, DAY, later, 1)["account"]["native"]
    assert cells(record)["views"] == truth["views"]
    assert not any("48 h" in w for w in ctx.warnings)


def test_the_default_lookback_loads_every_day_despite_the_lag(sb):
    lookback = NETWORK.defaults["lookback_days"]
    assert NETWORK.defaults["data_lag_days"] == 2
    seen: dict[dt.date, int] = {}
    first, runs = dt.date(2026, 11, 1), 12
    for offset in range(runs):
        day = first + dt.timedelta(days=offset)
        sb.state.clock = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(12), dt.UTC)
        settings = fast_settings("youtube", lookback_days=lookback)
        client = YouTubeClient(sandbox_connection(sb, "youtube"), settings)
        ctx = LoadContext("youtube", CHANNEL, day, settings)
        for record in ChannelDaily(client, ctx).collect().records:
            seen[record.record_date] = seen.get(record.record_date, 0) + 1
    last_complete = first + dt.timedelta(days=runs - 1 - 2)
    for offset in range((last_complete - first).days + 1):
        day = first + dt.timedelta(days=offset)
        assert seen.get(day, 0) >= 1, f"{day} was never loaded"
    # each day inside the steady state gets several chances, not just one
    assert min(seen[first + dt.timedelta(days=o)] for o in range(2, 8)) >= 2


def test_a_short_lookback_is_flagged(sb):
    sb.state.clock = CLOCK
    client, ctx = make(sb, lookback_days=3)
    ChannelDaily(client, ctx).collect()
    assert any("lookback_days=3" in w and "config/networks.yml" in w for w in ctx.warnings)


def test_a_retired_metric_is_dropped_and_the_days_stay_whole(sb):
    sb.state.clock = CLOCK
    add_fault(sb, "retire_metric", "youtube", count=None, params={"metric": "shares"})
    client, ctx = make(sb, lookback_days=5)
    result = ChannelDaily(client, ctx).collect()
    assert len(result.records) == 3
    for record in result.records:
        names = set(cells(record))
        assert "shares" not in names
        assert {"day", "views", "likes", "comments", "subscribersGained"} <= names
    assert any("'shares'" in w and "metric_registry.csv" in w for w in ctx.warnings)


# --- channel ------------------------------------------------------------------------------------
def test_channel_snapshot_gives_rounded_subscribers_and_the_uploads_playlist(sb):
    sb.state.clock = CLOCK
    client, ctx = make(sb)
    result = Channel(client, ctx).collect()
    record = result.records[0]
    assert record.record_date == DAY
    truth = youtube(sb).truth(CHANNEL, DAY, CLOCK, 1)["account"]["unified"]
    count = record.payload["statistics"]["subscriberCount"]
    assert isinstance(count, str) and int(count) == truth["followers"]
    assert re.fullmatch(r"\d{3}0*", count), "the Data API rounds to three significant figures"
    assert Videos(client, ctx).uploads_playlist() == "UU" + CHANNEL[2:]


def test_an_unknown_channel_fails_with_advice(sb):
    sb.state.clock = CLOCK
    client, ctx = make(sb, account="not-a-channel")
    with pytest.raises(ApiError, match=r"config/accounts\.yml"):
        Channel(client, ctx).collect()


def test_the_data_api_base_url_comes_from_the_connection_extra(sb):
    sb.state.clock = CLOCK
    settings = fast_settings("youtube", max_retries=0)
    conn = ConnectionInfo(
        "social_youtube",
        "http://127.0.0.1:9/nowhere",
        token="t",
        extra={"data_api_base_url": sb.base_url("youtube")},
    )
    client = YouTubeClient(conn, settings)
    result = Channel(client, LoadContext("youtube", CHANNEL, DAY, settings)).collect()
    assert [r.key for r in result.records] == [CHANNEL]
    assert requests_to(sb, "/youtube/v3/channels")


# --- videos -------------------------------------------------------------------------------------
def test_uploads_are_listed_from_the_playlist_and_paging_stops_at_the_window(sb):
    sb.state.clock = CLOCK
    client, ctx = make(sb, page_size=5)
    Channel(client, ctx).collect()
    sb.state.requests.clear()
    Channel(client, ctx).collect()
    result = Videos(client, ctx).collect()
    net = youtube(sb)
    truth = net.truth(CHANNEL, DAY, CLOCK, ctx.settings.post_lookback_days)
    assert sorted(r.key for r in result.records) == sorted(p["post_id"] for p in truth["posts"])
    assert all(ctx.posts_window.start <= r.record_date <= DAY for r in result.records)
    assert not requests_to(sb, "/search"), "search.list costs 100 units"
    calls = requests_to(sb, "/playlistItems")
    assert all(c["query"]["playlistId"] == "UU" + CHANNEL[2:] for c in calls)
    # newest first: pages until the first upload older than the window, never the whole list
    uploads = net.model(CHANNEL).published_posts(CLOCK)
    start = net.model(CHANNEL).day_close(ctx.posts_window.start - dt.timedelta(days=1))
    first_older = next(i for i, p in enumerate(uploads) if p.published_at < start)
    assert len(calls) == first_older // 5 + 1
    assert len(result.records) > 10


def test_video_ids_are_eleven_characters_and_unique_across_channels(sb):
    sb.state.clock = CLOCK
    net = youtube(sb)
    ids = [p["post_id"] for c in (CHANNEL, OTHER) for p in net.truth(c, DAY, CLOCK, 60)["posts"]]
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{11}", i) for i in ids)
    assert len(set(ids)) == len(ids)


# --- video_statistics ---------------------------------------------------------------------------
def test_video_statistics_take_one_call_per_fifty_videos(sb):
    sb.state.clock = CLOCK
    client, ctx = make(sb, post_lookback_days=60)
    Channel(client, ctx).collect()
    Videos(client, ctx).collect()
    sb.state.requests.clear()
    result = VideoStatistics(client, ctx).collect()
    videos = len(ctx.keys_of("videos"))
    assert videos > 50
    assert len(result.records) == videos
    calls = requests_to(sb, "/youtube/v3/videos")
    assert len(calls) == math.ceil(videos / 50)
    assert max(len(c["query"]["id"].split(",")) for c in calls) == 50
    truth = {
        p["post_id"]: p["lifetime"] for p in youtube(sb).truth(CHANNEL, DAY, CLOCK, 60)["posts"]
    }
    for record in result.records:
        stats = record.payload["statistics"]
        assert isinstance(stats["viewCount"], str), "the Data API sends counts as strings"
        assert int(stats["viewCount"]) == truth[record.key]["video_views"]
        assert int(stats["likeCount"]) == truth[record.key]["likes"]
        assert int(stats["commentCount"]) == truth[record.key]["comments"]


def test_videos_that_vanished_are_reported(sb):
    sb.state.clock = CLOCK
    client, ctx = make(sb)
    ctx.outputs["videos"] = [Record("zzzz0000001", DAY, {})]
    assert VideoStatistics(client, ctx).collect().records == []
    assert any("zzzz0000001" in w and "private or deleted" in w for w in ctx.warnings)


# --- errors, quota, throttling ------------------------------------------------------------------
def test_the_daily_quota_stops_calls_until_pacific_midnight(sb, quota):
    sb.state.clock = CLOCK
    quota.quota_limit = 2
    client, ctx = make(sb, token="quota-token")
    Channel(client, ctx).collect()
    ChannelDaily(client, ctx).collect()
    with pytest.raises(QuotaExceededError) as error:
        Videos(client, ctx).collect()
    assert "midnight Pacific" in str(error.value)
    assert client.stats.requests == 3, "a spent quota is not retried"
    other, other_ctx = make(sb, token="another-project-token")
    assert Channel(other, other_ctx).collect().records, "the quota is per token"
    reset = youtube(sb).model(CHANNEL).day_close(local_day(CLOCK, "America/Los_Angeles"))
    sb.state.clock = reset + dt.timedelta(minutes=1)
    client, ctx = make(sb, token="quota-token")
    assert Channel(client, ctx).collect().records, "a new Pacific day has a new quota"


def test_quota_exceeded_stops_the_account_load_cleanly(sb, quota, warehouse_url):
    sb.state.clock = CLOCK
    add_fault(sb, "quota_exceeded", "youtube", count=None, after=1)
    outcome = run_account_load(
        "youtube",
        CHANNEL,
        DAY,
        url=warehouse_url,
        run_id="test_quota_stop",
        connection=sandbox_connection(sb, "youtube"),
        settings=fast_settings("youtube", lookback_days=5),
    )
    assert outcome.quota_stopped is True
    assert outcome.errors == []
    statuses = {r.stream: r.status for r in outcome.results}
    assert statuses == {
        "channel_daily": "success",
        "channel": "failed",
        "videos": "skipped",
        "video_statistics": "skipped",
    }
    with psycopg.connect(warehouse_url) as conn:
        rows = dict(
            conn.execute(
                "select stream, error from ops.load_manifest where run_id = 'test_quota_stop'"
            ).fetchall()
        )
        loaded = conn.execute(
            "select count(*) from raw.youtube__channel_daily where run_id = 'test_quota_stop'"
        ).fetchone()[0]
    assert "midnight Pacific" in rows["channel"] and "next run's lookback" in rows["channel"]
    assert rows["videos"].startswith("skipped: quota exhausted")
    assert loaded == 3, "what loaded before the quota ran out stays loaded"


@pytest.mark.parametrize("reason", ["forbidden", "insufficientPermissions"])
def test_other_403s_fail_the_stream_without_retrying(sb, reason):
    sb.state.clock = CLOCK
    add_fault(sb, "forbidden", "youtube", count=None, params={"reason": reason})
    client, ctx = make(sb)
    with pytest.raises(ApiError) as error:
        Channel(client, ctx).collect()
    assert not isinstance(error.value, QuotaExceededError | RateLimitError | AuthError)
    assert reason in str(error.value) and "social_youtube" in str(error.value)
    assert client.stats.requests == 1


@pytest.mark.parametrize("reason", ["rateLimitExceeded", "userRateLimitExceeded"])
def test_rate_limit_403s_back_off_and_retry(sb, reason):
    sb.state.clock = CLOCK
    add_fault(sb, "throttle", "youtube", count=2, params={"reason": reason})
    client, ctx = make(sb)
    assert Channel(client, ctx).collect().records
    assert client.stats.throttled == 2
    assert client.stats.requests == 3


def test_the_sandbox_rate_window_throttles_a_fast_client(sb):
    sb.state.clock = CLOCK
    rate = youtube(sb).rate
    rate.limit, rate.window_seconds = 3, 0.5
    client, ctx = make(sb, page_size=2, lookback_days=12, max_wait_seconds=30)
    result = ChannelDaily(client, ctx).collect()
    assert client.stats.throttled >= 1
    assert len(result.records) == 10


def test_server_errors_back_off_then_succeed(sb):
    sb.state.clock = CLOCK
    add_fault(sb, "server_error", "youtube", count=2, params={"status": 503})
    client, ctx = make(sb)
    assert ChannelDaily(client, ctx).collect().records
    assert client.stats.retries == 2


def test_server_errors_give_up_with_advice(sb):
    sb.state.clock = CLOCK
    add_fault(sb, "server_error", "youtube", count=None, params={"status": 500})
    client, ctx = make(sb, max_retries=2)
    with pytest.raises(TransientApiError, match="Rerun the task later"):
        Channel(client, ctx).collect()
    assert client.stats.requests == 3


def test_an_expired_token_fails_fast_and_names_the_connection(sb):
    add_fault(sb, "expired_token", "youtube", count=None)
    client, ctx = make(sb)
    with pytest.raises(AuthError) as error:
        ChannelDaily(client, ctx).collect()
    message = str(error.value)
    assert "social_youtube" in message and "one hour" in message
    assert "sandbox-token" not in message
    assert client.stats.requests == 1, "retrying a dead token only burns quota"


# --- malformed records --------------------------------------------------------------------------
def test_a_malformed_report_row_is_rejected_and_the_other_days_kept(sb):
    sb.state.clock = CLOCK
    add_fault(
        sb,
        "malformed_record",
        "youtube",
        count=1,
        path="/v2/reports",
        params={"index": 1, "column": 2},
    )
    client, ctx = make(sb, lookback_days=6)
    result = ChannelDaily(client, ctx).collect()
    assert len(result.rejects) == 1 and "expected a number" in result.rejects[0].reason
    assert len(result.records) == 3


def test_a_malformed_video_statistic_is_rejected_and_the_rest_kept(sb):
    sb.state.clock = CLOCK
    client, ctx = make(sb)
    Channel(client, ctx).collect()
    Videos(client, ctx).collect()
    add_fault(
        sb,
        "malformed_record",
        "youtube",
        count=1,
        path="/youtube/v3/videos",
        params={"field": "statistics.viewCount", "mode": "string"},
    )
    result = VideoStatistics(client, ctx).collect()
    assert len(result.rejects) == 1 and "statistics.viewCount" in result.rejects[0].reason
    assert len(result.records) == len(ctx.keys_of("videos")) - 1


def test_a_playlist_item_without_publish_time_is_rejected(sb):
    sb.state.clock = CLOCK
    add_fault(
        sb,
        "malformed_record",
        "youtube",
        count=1,
        path="/playlistItems",
        params={"field": "contentDetails.videoPublishedAt"},
    )
    client, ctx = make(sb)
    Channel(client, ctx).collect()
    result = Videos(client, ctx).collect()
    assert len(result.rejects) == 1 and "videoPublishedAt" in result.rejects[0].reason
    assert result.records


# --- the whole account load ---------------------------------------------------------------------
def test_run_account_load_writes_raw_rows_and_the_manifest(sb, quota, warehouse_url):
    sb.state.clock = CLOCK
    outcome = run_account_load(
        "youtube",
        CHANNEL,
        DAY,
        url=warehouse_url,
        run_id="test_youtube_load",
        connection=sandbox_connection(sb, "youtube"),
        settings=fast_settings("youtube", lookback_days=5),
    )
    assert not outcome.quota_stopped and not outcome.errors
    assert {r.stream: r.status for r in outcome.results} == dict.fromkeys(
        NETWORK.stream_names, "success"
    )
    truth = youtube(sb).truth(CHANNEL, DAY, CLOCK, 28)
    with psycopg.connect(warehouse_url) as conn:
        counts = {
            stream: conn.execute(
                f"select count(*) from raw.youtube__{stream} "
                "where run_id = 'test_youtube_load' and account_id = %s",
                (CHANNEL,),
            ).fetchone()[0]
            for stream in NETWORK.stream_names
        }
        manifest = {
            stream: (status, records, warnings)
            for stream, status, records, warnings in conn.execute(
                "select stream, status, records, warnings from ops.load_manifest "
                "where run_id = 'test_youtube_load'"
            ).fetchall()
        }
        followers = conn.execute(
            "select payload -> 'statistics' ->> 'subscriberCount' from raw.youtube__channel "
            "where run_id = 'test_youtube_load'"
        ).fetchone()[0]
    assert counts == {
        "channel_daily": 3,  # DAY-4 .. DAY-2: the last two days are still inside the lag
        "channel": 1,
        "videos": len(truth["posts"]),
        "video_statistics": len(truth["posts"]),
    }
    assert all(status == "success" for status, _, _ in manifest.values())
    assert manifest["videos"][1] == len(truth["posts"])
    assert any("48 h" in w for w in manifest["channel_daily"][2])
    assert int(followers) == truth["account"]["unified"]["followers"]
