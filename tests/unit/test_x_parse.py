"""Pure parse functions and error classification of the X streams on recorded-shape payloads."""

from __future__ import annotations

import copy
import datetime as dt
import json
import time
from pathlib import Path

import pytest

from social_warehouse.config import load_network_settings
from social_warehouse.connections import ConnectionInfo
from social_warehouse.connector.client import Request, Response
from social_warehouse.connector.streams import LoadContext
from social_warehouse.errors import ApiError, AuthError, QuotaExceededError, RateLimitError
from social_warehouse.networks.x import PrivateMetricGaps, Tweets, Users, XClient

FIXTURES = Path(__file__).parents[1] / "fixtures" / "x"
ACCOUNT = "1467726470533754880"
DAY = dt.date(2026, 11, 20)


def load(name: str):
    return json.loads((FIXTURES / name).read_text())


def ctx() -> LoadContext:
    return LoadContext("x", ACCOUNT, DAY, load_network_settings("x"))


def client() -> XClient:
    settings = load_network_settings("x")
    return XClient(ConnectionInfo("social_x", "https://api.x.com", token="secret-token"), settings)


def answer(name: str, status: int = 200, **headers: str) -> Response:
    return Response(status, headers, load(name), "https://api.x.com/2/users/123/tweets")


def test_the_user_object_is_one_record_dated_on_the_load_day():
    result = Users.parse(load("user.json"), ctx())
    assert [r.key for r in result.records] == [ACCOUNT]
    record = result.records[0]
    assert record.record_date == DAY
    assert record.payload == load("user.json")["data"], "the user object stays untouched"
    assert not result.rejects


def test_a_user_without_followers_count_is_rejected():
    body = load("user.json")
    del body["data"]["public_metrics"]["followers_count"]
    result = Users.parse(body, ctx())
    assert not result.records
    assert [r.reason for r in result.rejects] == [
        "missing required field 'public_metrics.followers_count'"
    ]


def test_tweets_keep_old_ones_without_private_metrics_and_reject_broken_ones():
    result = Tweets.parse(load("tweets_page.json"), ctx())
    dates = {r.key: r.record_date for r in result.records}
    assert dates == {
        "146772647053375488000010541": dt.date(2026, 11, 20),  # 23:40Z is still the 20th in UTC
        "146772647053375488000010171": dt.date(2026, 10, 14),
    }
    old = next(r for r in result.records if r.key.endswith("10171")).payload
    assert "non_public_metrics" not in old and old["public_metrics"]["like_count"] == 690
    reasons = {r.key: r.reason for r in result.rejects}
    assert reasons == {
        "146772647053375488000010161": "missing required field 'created_at'",
        "146772647053375488000010151": (
            "field 'public_metrics.like_count' is string, expected integer"
        ),
    }


def test_a_private_counter_of_the_wrong_type_is_rejected():
    body = load("tweets_page.json")
    body["data"][0]["non_public_metrics"]["url_link_clicks"] = "17"
    result = Tweets.parse(body, ctx())
    assert [r.reason for r in result.rejects if r.key.endswith("10541")] == [
        "field 'non_public_metrics.url_link_clicks' is string, expected integer"
    ]


def test_an_empty_timeline_has_no_data_and_is_not_an_error():
    result = Tweets.parse(load("tweets_empty.json"), ctx())
    assert not result.records and not result.rejects


def test_next_token_becomes_pagination_token_and_its_absence_ends_paging():
    body = load("tweets_page.json")
    first = Request("GET", "2/users/1/tweets", {"max_results": 100})
    nxt = Tweets.paginator.next_request(first, body, 4)
    assert nxt is not None
    assert nxt.params == {"max_results": 100, "pagination_token": body["meta"]["next_token"]}
    del body["meta"]["next_token"]
    assert Tweets.paginator.next_request(nxt, body, 4) is None


def test_field_authorization_errors_on_old_tweets_become_one_warning():
    body = load("tweets_page.json")
    gaps = PrivateMetricGaps()
    gaps.add(body, Tweets.parse(body, ctx()))
    warnings = gaps.warnings(ctx())
    assert len(warnings) == 1
    assert "1 tweet(s) older than 30 days" in warnings[0]
    assert "non_public_metrics/organic_metrics" in warnings[0]
    assert "146772647053375488000010171" in warnings[0]


def test_field_authorization_errors_on_young_tweets_point_at_the_token():
    body = load("tweets_page.json")
    young = "146772647053375488000010541"
    refused = copy.deepcopy(body["errors"][0]) | {"resource_id": young, "value": young}
    body["errors"] = [refused]
    body["data"][0].pop("non_public_metrics")
    gaps = PrivateMetricGaps()
    gaps.add(body, Tweets.parse(body, ctx()))
    (warning,) = gaps.warnings(ctx())
    assert "younger than 30 days" in warning
    assert "'social_x'" in warning and "user-context" in warning
    assert "request_private_metrics" in warning


def test_an_unknown_user_is_a_configuration_error_naming_the_account():
    error = client().classify_error(answer("user_not_found.json"))
    assert isinstance(error, ApiError) and not isinstance(error, AuthError)
    assert "123" in str(error) and "config/accounts.yml" in str(error)


def test_a_lookup_whose_tweets_are_all_gone_is_an_empty_answer():
    body = {"errors": [load("user_not_found.json")["errors"][0] | {"resource_type": "tweet"}]}
    assert client().classify_error(Response(200, {}, body, "https://api.x.com/2/tweets")) is None


def test_429_waits_until_the_reset_header_plus_the_margin():
    reset = int(time.time()) + 30
    error = client().classify_error(
        answer(
            "rate_limited.json",
            429,
            **{
                "x-rate-limit-limit": "900",
                "x-rate-limit-remaining": "0",
                "x-rate-limit-reset": str(reset),
            },
        )
    )
    assert isinstance(error, RateLimitError)
    assert error.retry_after == pytest.approx(reset - time.time() + 1.0, abs=1.5)


def test_the_old_rate_limit_body_is_a_rate_limit_too():
    body = {"errors": [{"code": 88, "message": "Rate limit exceeded"}]}
    error = client().classify_error(Response(429, {}, body, "https://api.x.com/2/users/1"))
    assert isinstance(error, RateLimitError) and "Rate limit exceeded" in str(error)
    assert error.retry_after is None, "without x-rate-limit-reset the client falls back to backoff"


def test_the_monthly_usage_cap_is_a_quota_not_a_rate_limit():
    error = client().classify_error(
        answer(
            "usage_capped.json",
            429,
            **{"x-rate-limit-limit": "40000", "x-rate-limit-remaining": "39999"},
        )
    )
    assert isinstance(error, QuotaExceededError)
    assert "Monthly" in str(error) and "config/networks.yml" in str(error)


def test_401_names_the_connection_and_never_the_token():
    body = {"title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized"}
    error = client().classify_error(Response(401, {}, body, "https://api.x.com/2/users/1"))
    assert isinstance(error, AuthError)
    assert "social_x" in str(error) and "secret-token" not in str(error)


def test_remaining_zero_on_a_success_pauses_until_the_reset():
    reset = int(time.time()) + 5
    headers = {"x-rate-limit-remaining": "0", "x-rate-limit-reset": str(reset)}
    pause = client().proactive_wait(Response(200, headers, {"data": []}, "u"))
    assert pause == pytest.approx(reset - time.time() + 1.0, abs=1.5)
    headers["x-rate-limit-remaining"] = "1"
    assert client().proactive_wait(Response(200, headers, {"data": []}, "u")) == 0.0
