"""Pure parse functions and error classification of the LinkedIn streams on recorded-shape
payloads."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from social_warehouse.config import load_network_settings
from social_warehouse.connections import ConnectionInfo
from social_warehouse.connector.client import Response
from social_warehouse.connector.streams import LoadContext
from social_warehouse.errors import (
    ApiError,
    ApiVersionError,
    AuthError,
    QuotaExceededError,
    RateLimitError,
)
from social_warehouse.networks.linkedin import (
    FollowerStatistics,
    LinkedInClient,
    NetworkSize,
    Posts,
    PostStatistics,
    ShareStatistics,
    day_ms,
    ms_day,
)

FIXTURES = Path(__file__).parents[1] / "fixtures" / "linkedin"
DAY = dt.date(2026, 11, 20)


def load(name: str):
    return json.loads((FIXTURES / name).read_text())


def ctx() -> LoadContext:
    return LoadContext("linkedin", "2414183", DAY, load_network_settings("linkedin"))


def test_day_boundaries_are_utc_midnights_in_milliseconds():
    start = day_ms(DAY)
    assert start % 86_400_000 == 0, "DAY granularity needs 00:00 UTC"
    assert len(str(start)) == 13, "LinkedIn time ranges are epoch milliseconds, not seconds"
    assert ms_day(start) == DAY
    assert day_ms(DAY + dt.timedelta(days=1)) - start == 86_400_000


def test_share_statistics_are_one_untouched_record_per_utc_day():
    body = load("share_statistics.json")
    result = ShareStatistics.parse(body, ctx())
    assert [(r.key, r.record_date) for r in result.records] == [
        ("2026-11-18", dt.date(2026, 11, 18)),
        ("2026-11-19", dt.date(2026, 11, 19)),
    ]
    assert result.records[0].payload == body["elements"][0], "the API's element stays untouched"
    assert isinstance(result.records[0].payload["totalShareStatistics"]["engagement"], float)


def test_share_statistics_reject_string_counters_and_missing_time_ranges():
    result = ShareStatistics.parse(load("share_statistics.json"), ctx())
    assert [r.reason for r in result.rejects] == [
        "field 'totalShareStatistics.impressionCount' is str, expected a number",
        "missing required field 'timeRange.start'",
    ]


def test_follower_statistics_keep_organic_and_paid_gains_and_reject_days_without_them():
    result = FollowerStatistics.parse(load("follower_statistics.json"), ctx())
    gains = {r.key: r.payload["followerGains"] for r in result.records}
    assert gains == {
        "2026-11-18": {"organicFollowerGain": 37, "paidFollowerGain": 0},
        "2026-11-19": {"organicFollowerGain": 29, "paidFollowerGain": 6},
    }
    assert [r.reason for r in result.rejects] == ["field 'followerGains' is not an object"]


def test_network_size_is_dated_to_the_load_day_and_must_be_a_number():
    result = NetworkSize.parse(load("network_size.json"), ctx())
    assert [(r.key, r.record_date, r.payload) for r in result.records] == [
        ("firstDegreeSize", DAY, {"firstDegreeSize": 48211})
    ]
    bad = NetworkSize.parse({"firstDegreeSize": "48211"}, ctx())
    assert not bad.records
    assert bad.rejects[0].reason == "field 'firstDegreeSize' is string, expected integer"


def test_posts_keep_published_posts_inside_the_window_only():
    result = Posts.parse(load("posts.json"), ctx())
    # the edited 2026-09 post, the draft and the post of 2026-11-21 are skipped, not rejected
    assert {r.key: r.record_date for r in result.records} == {
        "urn:li:ugcPost:7265000000000000001": dt.date(2026, 11, 20),  # 23:30 UTC
        "urn:li:share:7265000000000000002": dt.date(2026, 11, 19),
    }
    assert [(r.key, r.reason) for r in result.rejects] == [
        ("urn:li:share:7265000000000000004", "missing required field 'publishedAt'")
    ]


def test_post_statistics_are_keyed_by_share_or_ugcpost_urn():
    result = PostStatistics.parse(load("post_statistics.json"), ctx())
    assert [r.key for r in result.records] == [
        "urn:li:share:7265000000000000002",
        "urn:li:ugcPost:7265000000000000001",
    ]
    assert all(r.record_date == DAY for r in result.records)
    assert [(r.key, r.reason) for r in result.rejects] == [
        (None, "missing required field 'share' or 'ugcPost'"),
        (
            "urn:li:share:7265000000000000006",
            "field 'totalShareStatistics.likeCount' is bool, expected a number",
        ),
    ]


@pytest.fixture
def client() -> LinkedInClient:
    conn = ConnectionInfo("social_linkedin", "https://api.linkedin.com", token="secret-token")
    return LinkedInClient(conn, load_network_settings("linkedin"))


def classify(client: LinkedInClient, name: str) -> ApiError | None:
    body = load("errors.json")[name]
    headers = {"Date": "Thu, 26 Nov 2026 21:15:00 GMT"}
    return client.classify_error(Response(body["status"], headers, body, "https://x/rest/posts"))


def test_version_errors_say_which_version_was_sent_and_where_to_change_it(client):
    for name in ("version_inactive", "version_missing"):
        error = classify(client, name)
        assert isinstance(error, ApiVersionError)
        assert client.settings.api_version in str(error)
        assert "api_version" in str(error) and "config/networks.yml" in str(error)
        assert '"202610"' in str(error), "suggests the month before the API's clock"


def test_a_day_limit_is_a_quota_that_resets_at_the_next_utc_midnight(client):
    error = classify(client, "daily_limit")
    assert isinstance(error, QuotaExceededError)
    assert error.resets_at == "2026-11-27T00:00:00+00:00"
    assert "in 2h45m" in str(error)


def test_a_bare_429_is_short_term_throttling(client):
    error = classify(client, "short_throttle")
    assert isinstance(error, RateLimitError) and not isinstance(error, QuotaExceededError)
    assert error.retry_after is None, "LinkedIn gives no reset time: the client backs off"


def test_an_expired_token_names_the_connection_and_the_token_lifetimes(client):
    error = classify(client, "expired_token")
    assert isinstance(error, AuthError)
    text = str(error)
    assert "social_linkedin" in text and "60 days" in text and "365 days" in text
    assert "secret-token" not in text


def test_access_denied_points_at_the_page_role(client):
    error = classify(client, "access_denied")
    assert type(error) is ApiError
    assert "ADMINISTRATOR" in str(error)
