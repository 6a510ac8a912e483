"""Pure parse and classification functions of the TikTok connector on recorded-shape payloads."""

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
    AuthError,
    MalformedResponseError,
    RateLimitError,
    TransientApiError,
)
from social_warehouse.networks.tiktok import (
    BusinessProfile,
    ProfileHistoryError,
    TikTokClient,
    Videos,
)

FIXTURES = Path(__file__).parents[1] / "fixtures" / "tiktok"
ACCOUNT = "_000Nw7kQ2rT5vXyZ1aB3cD4eF6gH8jKmPq"
URL = "https://business-api.tiktok.com/open_api/v1.3/business/get/"


def load(name: str):
    return json.loads((FIXTURES / name).read_text())


def ctx() -> LoadContext:
    return LoadContext("tiktok", ACCOUNT, dt.date(2026, 11, 20), load_network_settings("tiktok"))


def client() -> TikTokClient:
    conn = ConnectionInfo("social_tiktok", "https://business-api.tiktok.com", token="secret-tok")
    return TikTokClient(conn, load_network_settings("tiktok"))


def classify(body, status: int = 200):
    return client().classify_error(Response(status, {}, body, URL))


# --- business/get -------------------------------------------------------------------------------
def test_profile_is_one_record_per_metrics_entry_keeping_the_api_shape():
    body = load("business_profile.json")
    result = BusinessProfile.parse(body, ctx())
    assert [r.key for r in result.records] == ["2026-11-18", "2026-11-19"]
    record = result.records[1]
    assert record.record_date == dt.date(2026, 11, 19)
    assert record.payload["metrics"] == [body["data"]["metrics"][1]], "the entry is untouched"
    assert record.payload["username"] == body["data"]["username"]
    assert set(record.payload) == set(body["data"]), "the profile object keeps its own shape"


def test_profile_entries_without_date_with_text_counters_or_bad_dates_are_rejected():
    result = BusinessProfile.parse(load("business_profile.json"), ctx())
    reasons = [r.reason for r in result.rejects]
    assert reasons == [
        "missing required field 'date'",
        "field 'likes' is str, expected a number",
        "unreadable date '20/11/2026'",
    ]
    assert all(len(r.payload["metrics"]) == 1 for r in result.rejects)


def test_profile_answer_without_metrics_is_one_reject():
    result = BusinessProfile.parse({"code": 0, "message": "OK", "data": {"username": "x"}}, ctx())
    assert not result.records
    assert "data.metrics" in result.rejects[0].reason


# --- business/video/list ------------------------------------------------------------------------
def test_videos_inside_the_post_window_become_records_dated_in_utc():
    result = Videos.parse(load("videos.json"), ctx())
    dates = {r.key: r.record_date for r in result.records}
    assert dates == {
        "7328487000000010541": dt.date(2026, 11, 20),
        "7328487000000010531": dt.date(2026, 11, 19),  # create_time sent as a number
    }
    keys = {r.key for r in result.records} | {r.payload.get("item_id") for r in result.rejects}
    assert "7328487000000010551" not in keys, "posted after the load day: not in this window"
    assert "7328487000000009001" not in keys, "older than the post window: skipped, not bad"


def test_bad_videos_are_rejected_with_a_reason_and_the_rest_kept():
    result = Videos.parse(load("videos.json"), ctx())
    assert [r.reason for r in result.rejects] == [
        "missing required field 'item_id'",
        "unreadable record: create_time 'yesterday' is not unix seconds",
        "field 'video_views' is str, expected a number",
    ]
    assert len(result.records) == 2


# --- the envelope: errors live in `code`, usually with HTTP 200 --------------------------------
def test_a_200_with_a_non_zero_code_is_never_data():
    errors = load("error_envelopes.json")
    error = classify(errors["no_permission"])
    assert isinstance(error, ApiError) and error.code == 40001
    assert "request_id" in str(error)
    assert classify({"code": 0, "message": "OK", "data": {}}) is None


def test_an_answer_without_the_envelope_is_malformed_not_data():
    assert isinstance(classify(load("error_envelopes.json")["no_envelope"]), MalformedResponseError)


@pytest.mark.parametrize("name", ["invalid_token", "expired_token"])
def test_token_codes_are_auth_errors_that_explain_the_24_hour_refresh(name):
    error = classify(load("error_envelopes.json")[name])
    assert isinstance(error, AuthError)
    text = str(error)
    assert "social_tiktok" in text and "24 hours" in text and "refresh_token" in text
    assert "secret-tok" not in text


def test_too_many_requests_is_a_rate_limit_without_a_reset_time():
    error = classify(load("error_envelopes.json")["rate_limited"])
    assert isinstance(error, RateLimitError) and error.retry_after is None


@pytest.mark.parametrize("status", [200, 503])
def test_internal_errors_are_transient(status):
    assert isinstance(
        classify(load("error_envelopes.json")["internal_error"], status), TransientApiError
    )


def test_invalid_params_name_the_parameter():
    error = classify(load("error_envelopes.json")["invalid_max_count"])
    assert type(error) is ApiError
    assert "'max_count'" in str(error) and "page_size" in str(error)


def test_the_sixty_day_history_limit_has_its_own_error():
    assert isinstance(classify(load("error_envelopes.json")["history_limit"]), ProfileHistoryError)
