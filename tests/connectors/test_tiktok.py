"""The TikTok client and streams against the sandbox: the Access-Token header, errors inside
HTTP 200 envelopes, cursor/has_more paging capped at 20, early stop at the post window, the
60-day profile history, throttling (40100 and client pacing), 5xx codes, token expiry,
malformed records, and a full load into the raw tables."""

from __future__ import annotations

import datetime as dt
import json
import math

import psycopg
import pytest
import requests

from social_warehouse import metric_registry
from social_warehouse.connector.client import Request
from social_warehouse.connector.streams import LoadContext
from social_warehouse.errors import ApiError, AuthError, RateLimitError, TransientApiError
from social_warehouse.extract import run_account_load
from social_warehouse.networks.tiktok import (
    BusinessProfile,
    ProfileHistoryError,
    TikTokClient,
    Videos,
)
from social_warehouse.timeutil import day_start
from tests.helpers import add_fault, fast_settings, sandbox_connection

ACCOUNT = "_000Nw7kQ2rT5vXyZ1aB3cD4eF6gH8jKmPq"
OTHER = "_000Lm4pR8sU2wYz6bC9dE1fG3hJ5kLnQrS"
DAY = dt.date(2026, 11, 20)
CLOCK = dt.datetime(2026, 11, 21, 12, tzinfo=dt.UTC)
NO_PACING = {"max_requests_per_minute": 0}


def make(sb, account: str = ACCOUNT, day: dt.date = DAY, **changes):
    changes.setdefault("extra", NO_PACING)
    settings = fast_settings("tiktok", **changes)
    client = TikTokClient(sandbox_connection(sb, "tiktok"), settings)
    return client, LoadContext("tiktok", account, day, settings)


def sandbox(sb):
    return sb.state.networks["tiktok"]


def calls(sb, fragment: str) -> list[dict]:
    return [r for r in sb.state.requests if fragment in r["path"]]


def raw_get(sb, path: str, headers: dict[str, str], **params) -> dict:
    answer = requests.get(
        f"{sb.base_url('tiktok')}/open_api/v1.3/{path}", params=params, headers=headers, timeout=10
    )
    assert answer.status_code == 200, "TikTok reports errors inside an HTTP 200 envelope"
    return answer.json()


# --- auth --------------------------------------------------------------------------------------
def test_the_client_sends_the_raw_token_in_access_token(sb):
    sb.state.clock = CLOCK
    client, ctx = make(sb)
    assert client.auth_headers() == {"Access-Token": "sandbox-token"}
    assert BusinessProfile(client, ctx).collect().records, "the sandbox accepts the client's header"


@pytest.mark.parametrize(
    "headers",
    [{"Authorization": "Bearer sandbox-token"}, {"Access-Token": "Bearer sandbox-token"}],
)
def test_a_bearer_token_is_rejected_with_40105(sb, headers):
    body = raw_get(sb, "business/get/", headers, business_id=ACCOUNT)
    assert body["code"] == 40105 and body["data"] == {}


def test_an_expired_token_fails_fast_and_says_to_refresh_within_24_hours(sb):
    add_fault(sb, "expired_token", "tiktok", count=None)
    client, ctx = make(sb)
    with pytest.raises(AuthError) as error:
        BusinessProfile(client, ctx).collect()
    message = str(error.value)
    assert "social_tiktok" in message and "24 hours" in message and "refresh" in message
    assert "expired" in message and "sandbox-token" not in message
    assert client.stats.requests == 1, "retrying a dead token only burns calls"


def test_a_missing_token_is_an_auth_error(sb):
    settings = fast_settings("tiktok", extra=NO_PACING)
    client = TikTokClient(sandbox_connection(sb, "tiktok", token=""), settings)
    with pytest.raises(AuthError, match="social_tiktok"):
        Videos(client, LoadContext("tiktok", ACCOUNT, DAY, settings)).collect()


# --- errors inside HTTP 200 ---------------------------------------------------------------
def test_an_error_code_in_a_200_answer_is_never_loaded_as_data(sb):
    sb.state.clock = CLOCK
    add_fault(
        sb,
        "api_error",
        "tiktok",
        count=None,
        path="video/list",
        params={"code": 40001, "message": "No permission to operate business_id."},
    )
    client, ctx = make(sb)
    with pytest.raises(ApiError) as error:
        Videos(client, ctx).collect()
    assert error.value.code == 40001 and error.value.status == 200
    assert not isinstance(error.value, AuthError | TransientApiError)
    assert "videos" not in ctx.outputs, "nothing was parsed from the error envelope"
    assert [r["status"] for r in calls(sb, "video/list")] == [200]


@pytest.mark.parametrize(
    "fault", [{"code": 50000}, {"code": 50002}, {"code": 50000, "status": 503}]
)
def test_internal_errors_back_off_then_succeed(sb, fault):
    sb.state.clock = CLOCK
    add_fault(sb, "server_error", "tiktok", count=2, params=fault)
    client, ctx = make(sb)
    assert BusinessProfile(client, ctx).collect().records
    assert client.stats.retries == 2


def test_internal_errors_give_up_with_advice(sb):
    add_fault(sb, "server_error", "tiktok", count=None, params={"code": 50002})
    client, ctx = make(sb, max_retries=2)
    with pytest.raises(TransientApiError, match="Rerun the task later"):
        BusinessProfile(client, ctx).collect()
    assert client.stats.requests == 3


def test_a_broken_body_is_retried(sb):
    sb.state.clock = CLOCK
    add_fault(sb, "malformed_body", "tiktok", count=1)
    client, ctx = make(sb)
    assert BusinessProfile(client, ctx).collect().records
    assert client.stats.retries == 1


# --- throttling --------------------------------------------------------------------------------
def test_too_many_requests_backs_off_and_retries(sb):
    sb.state.clock = CLOCK
    add_fault(sb, "throttle", "tiktok", count=2)
    client, ctx = make(sb)
    assert Videos(client, ctx).collect().records
    assert client.stats.retries == 2 and client.stats.throttled == 2


def test_endless_throttling_gives_up_with_advice(sb):
    add_fault(sb, "throttle", "tiktok", count=None)
    client, ctx = make(sb, max_wait_seconds=0.1)
    with pytest.raises(RateLimitError, match=r"config/networks\.yml"):
        BusinessProfile(client, ctx).collect()


@pytest.mark.parametrize("per_minute", [0, 300])
def test_client_pacing_keeps_under_the_rate_limit(sb, per_minute):
    """TikTok sends no usage headers: without pacing a burst hits 40100, with it none does."""
    sb.state.clock = CLOCK
    rate = sandbox(sb).rate
    rate.limit, rate.window_seconds = 2, 0.25
    client, ctx = make(sb, page_size=5, extra={"max_requests_per_minute": per_minute})
    assert Videos(client, ctx).collect().records
    assert client.stats.requests >= 5
    if per_minute:
        assert client.stats.retries == 0 and client.stats.waited_seconds > 0
    else:
        assert client.stats.retries > 0


# --- business/get ---------------------------------------------------------------------------------
def test_profile_days_match_the_truth(sb):
    sb.state.clock = CLOCK
    client, ctx = make(sb)
    result = BusinessProfile(client, ctx).collect()
    assert {r.record_date for r in result.records} == set(ctx.metrics_window.days())
    for record in result.records:
        truth = sandbox(sb).truth(ACCOUNT, record.record_date, CLOCK, 1)["account"]
        entry = record.payload["metrics"][0]
        assert {k: entry[k] for k in truth["native"]} == truth["native"]
        assert (
            truth["unified"]["engagements"] == entry["likes"] + entry["comments"] + entry["shares"]
        )
    assert not result.rejects


def test_profile_asks_for_exactly_the_registry_metrics_and_the_profile_fields(sb):
    sb.state.clock = CLOCK
    client, ctx = make(sb)
    BusinessProfile(client, ctx).collect()
    fields = json.loads(calls(sb, "business/get")[0]["query"]["fields"])
    metrics = metric_registry.metrics("tiktok", BusinessProfile.name, ctx.day)
    assert metrics, "the registry must list TikTok profile metrics for this test to mean anything"
    assert fields == [*BusinessProfile.profile_fields, *metrics]


def test_a_lookback_past_the_60_day_history_loads_the_rest_with_a_warning(sb):
    sb.state.clock = CLOCK
    client, ctx = make(sb, lookback_days=90)
    result = BusinessProfile(client, ctx).collect()
    served = {
        d for d in ctx.metrics_window.days() if sandbox(sb).truth(ACCOUNT, d, CLOCK, 1)["account"]
    }
    assert {r.record_date for r in result.records} == served
    assert len(served) < 90, (
        "part of the window must be out of history for this test to mean anything"
    )
    assert any("60-day" in w and "lookback_days" in w for w in ctx.warnings)
    assert client.stats.requests <= 2 + math.ceil(math.log2(90)), "bisection, not a day-by-day walk"


def test_a_backfill_entirely_older_than_60_days_warns_and_loads_nothing(sb):
    sb.state.clock = CLOCK
    client, ctx = make(sb, day=DAY - dt.timedelta(days=100))
    result = BusinessProfile(client, ctx).collect()
    assert not result.records and not result.rejects
    assert any("older than TikTok's 60-day" in w for w in ctx.warnings)


def test_the_sandbox_refuses_start_dates_older_than_60_days(sb):
    sb.state.clock = CLOCK
    client, _ = make(sb)
    request = Request(
        "GET",
        "open_api/v1.3/business/get/",
        {
            "business_id": ACCOUNT,
            "fields": '["likes"]',
            "start_date": (DAY - dt.timedelta(days=80)).isoformat(),
            "end_date": DAY.isoformat(),
        },
    )
    with pytest.raises(ProfileHistoryError):
        client.execute(request)


def test_malformed_profile_entries_are_rejected_and_the_rest_kept(sb):
    sb.state.clock = CLOCK
    add_fault(
        sb,
        "malformed_record",
        "tiktok",
        path="business/get",
        params={"field": "likes", "mode": "string"},
    )
    client, ctx = make(sb)
    result = BusinessProfile(client, ctx).collect()
    assert [r.reason for r in result.rejects] == ["field 'likes' is str, expected a number"]
    assert len(result.records) == len(ctx.metrics_window.days()) - 1


# --- business/video/list --------------------------------------------------------------------------
def test_videos_follow_the_cursor_and_match_the_truth(sb):
    sb.state.clock = CLOCK
    client, ctx = make(sb, page_size=5)
    result = Videos(client, ctx).collect()
    truth = sandbox(sb).truth(ACCOUNT, DAY, CLOCK, ctx.settings.post_lookback_days)
    assert [r.key for r in result.records] == [p["post_id"] for p in truth["posts"]]
    assert len(calls(sb, "video/list")) > 2, "the window must span several pages"
    by_id = {r.key: r.payload for r in result.records}
    for post in truth["posts"]:
        assert {k: by_id[post["post_id"]][k] for k in post["lifetime"]} == post["lifetime"]
    cursors = [r["query"].get("cursor") for r in calls(sb, "video/list")]
    assert cursors[0] is None and all(cursors[1:]), "later pages send the cursor back"


def test_paging_stops_at_the_first_page_older_than_the_post_window(sb):
    sb.state.clock = CLOCK
    client, ctx = make(sb, page_size=5)
    Videos(client, ctx).collect()
    since = day_start(ctx.posts_window.start)
    newer = len(sandbox(sb).model(ACCOUNT).published_posts(CLOCK, since=since))
    # newest first: the first video older than the window sits on page newer // 5 + 1
    assert len(calls(sb, "video/list")) == newer // 5 + 1
    total = len(sandbox(sb).model(ACCOUNT).published_posts(CLOCK))
    assert total > 5 * (newer // 5 + 1), "has_more was still true when the client stopped"


def test_page_size_above_twenty_is_never_sent(sb):
    sb.state.clock = CLOCK
    client, ctx = make(sb, page_size=100)
    assert Videos(client, ctx).collect().records
    assert {r["query"]["max_count"] for r in calls(sb, "video/list")} == {"20"}


def test_the_sandbox_refuses_max_count_above_twenty_naming_the_parameter(sb):
    client, _ = make(sb)
    request = Request(
        "GET", "open_api/v1.3/business/video/list/", {"business_id": ACCOUNT, "max_count": 25}
    )
    with pytest.raises(ApiError, match="max_count") as error:
        client.execute(request)
    assert error.value.code == 40002


def test_a_backfill_keeps_only_videos_of_its_own_window(sb):
    sb.state.clock = CLOCK
    day = DAY - dt.timedelta(days=30)
    client, ctx = make(sb, day=day, post_lookback_days=7)
    result = Videos(client, ctx).collect()
    truth = sandbox(sb).truth(ACCOUNT, day, CLOCK, 7)
    assert [r.key for r in result.records] == [p["post_id"] for p in truth["posts"]]
    assert all(r.record_date in ctx.posts_window for r in result.records)


def test_malformed_videos_are_rejected_and_the_rest_kept(sb):
    sb.state.clock = CLOCK
    add_fault(sb, "malformed_record", "tiktok", path="video/list", params={"field": "create_time"})
    client, ctx = make(sb)
    result = Videos(client, ctx).collect()
    assert [r.reason for r in result.rejects] == ["missing required field 'create_time'"]
    assert result.records, "the good videos of the same page still load"


def test_video_ids_are_19_digit_numbers_unique_per_account(sb):
    sb.state.clock = CLOCK
    ids = {}
    for account in (ACCOUNT, OTHER):
        client, ctx = make(sb, account=account)
        ids[account] = {r.key for r in Videos(client, ctx).collect().records}
    assert all(len(i) == 19 and i.isdigit() for group in ids.values() for i in group)
    assert not ids[ACCOUNT] & ids[OTHER]


# --- a whole load ---------------------------------------------------------------------------------
def test_an_account_load_writes_raw_rows_and_the_manifest(sb, warehouse_url):
    sb.state.clock = CLOCK
    settings = fast_settings("tiktok")
    outcome = run_account_load(
        "tiktok",
        ACCOUNT,
        DAY,
        url=warehouse_url,
        connection=sandbox_connection(sb, "tiktok"),
        settings=settings,
    )
    truth = sandbox(sb).truth(ACCOUNT, DAY, CLOCK, settings.post_lookback_days)
    with psycopg.connect(warehouse_url) as conn:
        days = conn.execute(
            "select record_date, payload from raw.tiktok__business_profile "
            "where account_id = %s and load_date = %s order by record_date",
            (ACCOUNT, DAY),
        ).fetchall()
        videos = conn.execute(
            "select record_key from raw.tiktok__videos where account_id = %s and load_date = %s",
            (ACCOUNT, DAY),
        ).fetchall()
        manifest = conn.execute(
            "select stream, status, records, window_start, window_end from ops.load_manifest "
            "where network = 'tiktok' and account_id = %s and load_date = %s order by stream",
            (ACCOUNT, DAY),
        ).fetchall()
    window = LoadContext("tiktok", ACCOUNT, DAY, settings).metrics_window.days()
    assert outcome.errors == []
    assert [d for d, _ in days] == window
    assert days[-1][1]["metrics"][0]["likes"] == truth["account"]["native"]["likes"]
    assert {v for (v,) in videos} == {p["post_id"] for p in truth["posts"]}
    assert manifest == [
        ("business_profile", "success", len(days), window[0], window[-1]),
        (
            "videos",
            "success",
            len(videos),
            DAY - dt.timedelta(days=settings.post_lookback_days - 1),
            DAY,
        ),
    ]
