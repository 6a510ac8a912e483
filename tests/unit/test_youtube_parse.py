"""Pure parse functions and error classification of the YouTube streams on recorded-shape
payloads."""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path

import pytest

from social_warehouse.config import load_network_settings
from social_warehouse.connections import ConnectionInfo
from social_warehouse.connector.client import Request, Response
from social_warehouse.connector.streams import LoadContext, ParseResult, Record
from social_warehouse.errors import (
    ApiError,
    AuthError,
    InvalidMetricError,
    QuotaExceededError,
    RateLimitError,
    TransientApiError,
)
from social_warehouse.networks.youtube import (
    Channel,
    ChannelDaily,
    Videos,
    VideoStatistics,
    YouTubeClient,
    merge_metric_sets,
    next_quota_reset,
)

FIXTURES = Path(__file__).parents[1] / "fixtures" / "youtube"
CHANNEL = "UCx9w6ZVq0sVbC3fJm8Hq2Aa"


def load(name: str):
    return json.loads((FIXTURES / name).read_text())


def ctx() -> LoadContext:
    return LoadContext("youtube", CHANNEL, dt.date(2026, 11, 20), load_network_settings("youtube"))


def client(**extra: str) -> YouTubeClient:
    conn = ConnectionInfo(
        "social_youtube",
        "https://youtubeanalytics.googleapis.com",
        token="secret-token",
        extra=dict(extra),
    )
    return YouTubeClient(conn, load_network_settings("youtube"))


def cell(record: Record, name: str):
    names = [h["name"] for h in record.payload["columnHeaders"]]
    return record.payload["row"][names.index(name)]


# --- channel_daily ------------------------------------------------------------------------------
def test_report_rows_become_one_record_per_day_with_their_headers():
    result = ChannelDaily.parse(load("reports_page.json"), ctx())
    assert [r.key for r in result.records] == ["2026-11-16", "2026-11-17"]
    first = result.records[0]
    assert first.record_date == dt.date(2026, 11, 16)
    assert first.payload["row"] == ["2026-11-16", 412, 12040, 41.37, 95], "the row stays untouched"
    assert first.payload["columnHeaders"] == load("reports_page.json")["columnHeaders"]
    assert cell(first, "views") == 12040 and cell(first, "likes") == 412


def test_report_rows_that_break_their_headers_are_rejected_and_the_rest_kept():
    result = ChannelDaily.parse(load("reports_page.json"), ctx())
    assert [r.reason for r in result.rejects] == [
        "metric 'likes' is 'n/a', expected a number",
        "row has 4 cells for 5 column headers",
        "unreadable day '2026-11-31'",
    ]
    assert result.rejects[0].payload["row"][0] == "2026-11-18"


def test_cells_are_found_through_the_headers_not_by_position():
    body = load("reports_page.json")
    order = [2, 0, 4, 1, 3]  # views, day, subscribersGained, likes, averageViewPercentage
    body["columnHeaders"] = [body["columnHeaders"][i] for i in order]
    body["rows"] = [[row[i] for i in order] for row in body["rows"][:2]]
    result = ChannelDaily.parse(body, ctx())
    assert [r.key for r in result.records] == ["2026-11-16", "2026-11-17"]
    assert cell(result.records[1], "views") == 11873
    assert cell(result.records[1], "subscribersGained") == 88


def test_a_report_without_rows_means_no_data_yet_not_an_error():
    result = ChannelDaily.parse(load("reports_no_data.json"), ctx())
    assert result.records == [] and result.rejects == []


def test_a_report_without_headers_or_day_column_is_rejected_whole():
    assert (
        ChannelDaily.parse({"kind": "x"}, ctx()).rejects[0].reason.startswith("no 'columnHeaders'")
    )
    body = load("reports_no_data.json")
    body["columnHeaders"] = body["columnHeaders"][1:]
    assert ChannelDaily.parse(body, ctx()).rejects[0].reason == "the report has no 'day' column"


def test_days_split_by_a_rejected_metric_are_joined_again():
    body = load("reports_page.json")
    headers = body["columnHeaders"]
    left = {"columnHeaders": headers[:3], "rows": [r[:3] for r in body["rows"][:2]]}
    right = {
        "columnHeaders": [headers[0], *headers[3:]],
        "rows": [[r[0], *r[3:]] for r in body["rows"][:2]],
    }
    merged = merge_metric_sets([ChannelDaily.parse(left, ctx()), ChannelDaily.parse(right, ctx())])
    assert [r.key for r in merged.records] == ["2026-11-16", "2026-11-17"]
    assert merged.records[0].payload == {"columnHeaders": headers, "row": body["rows"][0]}


def test_a_single_metric_set_is_passed_through():
    only = ParseResult()
    assert merge_metric_sets([only]) is only


# --- channel ------------------------------------------------------------------------------------
def test_channel_snapshot_keeps_string_counts_and_is_dated_on_the_load_day():
    result = Channel.parse(load("channels.json"), ctx())
    assert [r.key for r in result.records] == [CHANNEL]
    record = result.records[0]
    assert record.record_date == dt.date(2026, 11, 20)
    assert record.payload["statistics"]["subscriberCount"] == "85200"


def test_channel_without_uploads_playlist_or_with_a_non_numeric_count_is_rejected():
    result = Channel.parse(load("channels_bad.json"), ctx())
    assert result.records == []
    assert [r.reason for r in result.rejects] == [
        "missing required field 'contentDetails.relatedPlaylists.uploads'",
        "field 'statistics.subscriberCount' is 'lots', expected a count",
    ]


# --- videos -------------------------------------------------------------------------------------
def test_playlist_items_inside_the_window_become_posts_dated_in_pacific_time():
    result = Videos.parse(load("playlist_items.json"), ctx())
    dates = {r.key: r.record_date for r in result.records}
    assert dates == {
        "aBcDeFgHiJk": dt.date(2026, 11, 20),  # 04:45 UTC on the 21st is 20:45 in Los Angeles
        "Tm3zOnE-_ab": dt.date(2026, 11, 17),
    }
    # the private video is skipped, the September one is outside the 28-day post window
    assert [r.reason for r in result.rejects] == [
        "missing required field 'contentDetails.videoPublishedAt'"
    ]


def test_playlist_paging_stops_once_a_page_reaches_past_the_window():
    stream = Videos(None, ctx())  # type: ignore[arg-type]
    request = Request("GET", "youtube/v3/playlistItems", {"playlistId": "UUx"})
    body = load("playlist_items.json")
    assert stream.stop_paging(body)
    body["items"] = body["items"][:4]  # the page ends inside the window: keep going
    assert not stream.stop_paging(body)
    following = stream.paginator.next_request(request, body, len(body["items"]))
    assert following is not None and following.params["pageToken"] == body["nextPageToken"]


# --- video_statistics ---------------------------------------------------------------------------
def test_video_statistics_accept_hidden_counts_and_reject_broken_ones():
    result = VideoStatistics.parse(load("videos.json"), ctx())
    assert [r.key for r in result.records] == ["aBcDeFgHiJk", "Tm3zOnE-_ab"]
    assert all(r.record_date == dt.date(2026, 11, 20) for r in result.records)
    assert result.records[0].payload["statistics"]["viewCount"] == "4348"
    assert [(r.key, r.reason) for r in result.rejects] == [
        ("QrStUvWxYz9", "field 'statistics.viewCount' is 'n/a', expected a count"),
        ("NoSt4tsV1d0", "missing required field 'statistics'"),
    ]


# --- errors -------------------------------------------------------------------------------------
def classify(status: int, name: str) -> ApiError | None:
    return client().classify_error(Response(status, {}, load(name), "https://example/yt"))


def test_quota_exceeded_is_a_quota_stop_that_says_when_it_resets():
    error = classify(403, "error_quota.json")
    assert isinstance(error, QuotaExceededError)
    text = str(error)
    assert "midnight Pacific" in text and "next run's lookback" in text
    assert error.resets_at is not None


def test_expired_oauth_token_is_an_auth_error_naming_the_connection():
    error = classify(401, "error_auth.json")
    assert isinstance(error, AuthError)
    assert "social_youtube" in str(error) and "one hour" in str(error)
    assert "secret-token" not in str(error)


def test_other_403s_are_plain_errors_with_advice():
    error = classify(403, "error_forbidden.json")
    assert type(error) is ApiError
    assert "insufficientPermissions" in str(error) and "yt-analytics.readonly" in str(error)


def test_rate_limit_403_is_throttling():
    assert isinstance(classify(403, "error_rate_limit.json"), RateLimitError)


def test_an_unknown_metric_is_an_invalid_metric():
    assert isinstance(classify(400, "error_unknown_metric.json"), InvalidMetricError)


def test_server_errors_are_transient_and_success_is_no_error():
    body = {
        "error": {
            "code": 503,
            "message": "The service is currently unavailable.",
            "errors": [{"reason": "backendError", "domain": "global"}],
        }
    }
    assert isinstance(client().classify_error(Response(503, {}, body, "u")), TransientApiError)
    assert client().classify_error(Response(200, {}, {"items": []}, "u")) is None


@pytest.mark.parametrize(
    ("now", "reset"),
    [
        (
            dt.datetime(2026, 11, 21, 7, 30, tzinfo=dt.UTC),
            dt.datetime(2026, 11, 21, 8, tzinfo=dt.UTC),
        ),
        (dt.datetime(2026, 7, 1, 12, tzinfo=dt.UTC), dt.datetime(2026, 7, 2, 7, tzinfo=dt.UTC)),
    ],
)
def test_the_quota_resets_at_pacific_midnight(now, reset):
    assert next_quota_reset(now) == reset


def test_the_data_api_base_url_comes_from_the_connection_extra():
    assert client().data_url("youtube/v3/videos") == (
        "https://youtubeanalytics.googleapis.com/youtube/v3/videos"
    )
    assert (
        client(data_api_base_url="https://www.googleapis.com").data_url("/youtube/v3/videos")
        == "https://www.googleapis.com/youtube/v3/videos"
    )


def test_fixtures_are_not_mutated_by_parsing():
    body = load("reports_page.json")
    before = copy.deepcopy(body)
    ChannelDaily.parse(body, ctx())
    assert body == before
