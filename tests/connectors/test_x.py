"""The X client and streams against the sandbox: token paging, empty timelines, private metrics
that vanish after 30 days or without a user-context token, x-rate-limit-reset waits, the usage
cap, transient errors, token expiry, unknown users, malformed records and the raw load."""

from __future__ import annotations

import datetime as dt
import math

import psycopg
import pytest

from social_warehouse.connector.client import Request
from social_warehouse.connector.streams import LoadContext
from social_warehouse.errors import (
    ApiError,
    AuthError,
    QuotaExceededError,
    RateLimitError,
    TransientApiError,
)
from social_warehouse.extract import run_account_load
from social_warehouse.networks.x import Tweets, Users, XClient
from social_warehouse.timeutil import parse_instant
from tests.helpers import add_fault, fast_settings, sandbox_connection

ACCOUNT = "1467726470533754880"
DAY = dt.date(2026, 11, 20)
CLOCK = dt.datetime(2026, 11, 21, 12, tzinfo=dt.UTC)
TIMELINE = r"/tweets$"


def make(sb, margin: float = 1.0, extra: dict | None = None, **settings_changes):
    defaults = fast_settings("x").extra
    extras = {**defaults, "rate_limit_margin_seconds": margin, **(extra or {})}
    settings = fast_settings("x", **settings_changes, extra=extras)
    client = XClient(sandbox_connection(sb, "x"), settings)
    return client, LoadContext("x", ACCOUNT, DAY, settings)


def truth(sb, post_days: int, day: dt.date = DAY, as_of: dt.datetime = CLOCK) -> dict:
    return sb.state.networks["x"].truth(ACCOUNT, day, as_of, post_days)


def timeline_calls(sb) -> list[dict]:
    return [r for r in sb.state.requests if r["path"].endswith("/tweets")]


def test_tweets_follow_next_token_until_it_is_absent(sb):
    sb.state.clock = CLOCK
    client, ctx = make(sb, page_size=5)
    result = Tweets(client, ctx).collect()
    expected = truth(sb, ctx.settings.post_lookback_days)["posts"]
    assert [r.key for r in result.records] == [p["post_id"] for p in expected]
    assert len(result.records) > 10, "the window must span several pages"
    calls = timeline_calls(sb)
    assert len(calls) == math.ceil(len(result.records) / 5)
    assert "pagination_token" not in calls[0]["query"]
    assert all("pagination_token" in c["query"] for c in calls[1:])
    assert all(ctx.posts_window.start <= r.record_date <= DAY for r in result.records)


def test_an_empty_timeline_loads_nothing_and_rejects_nothing(sb):
    sb.state.clock = CLOCK
    client, ctx = make(sb)
    ctx.day = dt.date(2023, 6, 1)  # before the account's first post
    result = Tweets(client, ctx).collect()
    assert not result.records and not result.rejects
    assert len(timeline_calls(sb)) == 1


def test_page_size_is_kept_inside_the_five_to_hundred_x_allows(sb):
    sb.state.clock = CLOCK
    client, ctx = make(sb, page_size=2)
    result = Tweets(client, ctx).collect()
    assert result.records
    assert timeline_calls(sb)[0]["query"]["max_results"] == "5"


def test_the_user_object_gives_followers_as_of_the_last_closed_day(sb):
    sb.state.clock = CLOCK
    client, ctx = make(sb)
    result = Users(client, ctx).collect()
    (record,) = result.records
    assert record.record_date == DAY
    expected = truth(sb, 1)["account"]
    assert record.payload["public_metrics"] == expected["native"]
    assert record.payload["public_metrics"]["followers_count"] == expected["unified"]["followers"]


def test_tweet_metrics_match_the_truth_through_the_unified_mapping(sb):
    sb.state.clock = CLOCK
    client, ctx = make(sb)
    result = Tweets(client, ctx).collect()
    expected = {
        p["post_id"]: p["lifetime"] for p in truth(sb, ctx.settings.post_lookback_days)["posts"]
    }
    for record in result.records:
        public = record.payload["public_metrics"]
        unified = {
            "impressions": public["impression_count"],
            "likes": public["like_count"],
            "comments": public["reply_count"],
            "shares": public["retweet_count"] + public["quote_count"],
            "saves": public["bookmark_count"],
        }
        if "non_public_metrics" in record.payload:
            unified["clicks"] = record.payload["non_public_metrics"]["url_link_clicks"]
        assert unified == expected[record.key]


def test_tweets_older_than_30_days_load_without_private_metrics_and_warn(sb):
    sb.state.clock = CLOCK
    client, ctx = make(sb, post_lookback_days=40)
    result = Tweets(client, ctx).collect()
    expected = truth(sb, 40)["posts"]
    assert [r.key for r in result.records] == [p["post_id"] for p in expected]
    assert not result.rejects, "partial errors must not reject the page or the tweets"
    old = {r.key for r in result.records if CLOCK - _created(r) > dt.timedelta(days=30)}
    assert old, "the 40-day window must reach past the 30 days of private metrics"
    for record in result.records:
        has_private = {"non_public_metrics", "organic_metrics"} <= set(record.payload)
        assert has_private == (record.key not in old)
        assert "public_metrics" in record.payload
    assert all("clicks" not in p["lifetime"] for p in expected if p["post_id"] in old)
    (warning,) = ctx.warnings
    assert f"{len(old)} tweet(s) older than 30 days" in warning


def _created(record) -> dt.datetime:
    return parse_instant(record.payload["created_at"])


def test_an_app_only_token_gets_public_metrics_and_a_warning_to_renew_it(sb):
    sb.state.clock = CLOCK
    add_fault(sb, "app_only_token", "x", count=None, path=TIMELINE)
    client, ctx = make(sb)
    result = Tweets(client, ctx).collect()
    assert len(result.records) == len(truth(sb, ctx.settings.post_lookback_days)["posts"])
    assert not any("non_public_metrics" in r.payload for r in result.records)
    assert any("'social_x'" in w and "user-context" in w for w in ctx.warnings)


def test_private_metrics_can_be_switched_off_for_app_only_tokens(sb):
    sb.state.clock = CLOCK
    client, ctx = make(sb, extra={"request_private_metrics": False}, post_lookback_days=40)
    result = Tweets(client, ctx).collect()
    assert result.records and not ctx.warnings
    fields = timeline_calls(sb)[0]["query"]["tweet.fields"].split(",")
    assert "non_public_metrics" not in fields and "public_metrics" in fields


@pytest.mark.parametrize("code", [0, 88], ids=["problem-body", "code-88-body"])
def test_429_waits_until_x_rate_limit_reset_then_retries(sb, code):
    sb.state.clock = CLOCK
    add_fault(sb, "throttle", "x", count=1, path=TIMELINE, params={"reset": 1, "code": code})
    client, ctx = make(sb, margin=0.2)
    result = Tweets(client, ctx).collect()
    assert result.records
    assert client.stats.throttled == 1 and client.stats.requests == 2
    # backoff_seconds is 0.01 here: only the reset header explains a wait this long
    assert 1.0 <= client.stats.waited_seconds <= 2.5


def test_remaining_zero_pauses_before_the_next_call_instead_of_hitting_429(sb):
    sb.state.clock = CLOCK
    rate = sb.state.networks["x"].rate
    rate.limit, rate.window_seconds = 3, 1.0
    client, ctx = make(sb, margin=0.1, page_size=5)
    result = Tweets(client, ctx).collect()
    calls = timeline_calls(sb)
    assert len(calls) > 3 and len(result.records) == len(
        truth(sb, ctx.settings.post_lookback_days)["posts"]
    )
    assert client.stats.throttled >= 1
    assert all(c["status"] == 200 for c in calls), "the pause must come before X says 429"


def test_a_reset_beyond_the_waiting_budget_gives_up_with_advice(sb):
    add_fault(sb, "throttle", "x", count=None, params={"reset": 60})
    client, ctx = make(sb, max_wait_seconds=5)
    with pytest.raises(RateLimitError, match=r"config/networks\.yml"):
        Users(client, ctx).collect()
    assert client.stats.requests == 1 and client.stats.waited_seconds == 0


def test_the_monthly_usage_cap_stops_at_once(sb):
    add_fault(sb, "usage_capped", "x", count=None)
    client, ctx = make(sb)
    with pytest.raises(QuotaExceededError, match="Monthly"):
        Tweets(client, ctx).collect()
    assert client.stats.requests == 1, "waiting for the 15-minute window cannot lift a monthly cap"


def test_server_errors_back_off_then_succeed(sb):
    sb.state.clock = CLOCK
    add_fault(sb, "server_error", "x", count=2, params={"status": 503})
    client, ctx = make(sb)
    assert Users(client, ctx).collect().records
    assert client.stats.retries == 2


def test_server_errors_give_up_with_advice(sb):
    add_fault(sb, "server_error", "x", count=None, params={"status": 500})
    client, ctx = make(sb, max_retries=2)
    with pytest.raises(TransientApiError, match="Rerun the task later"):
        Tweets(client, ctx).collect()
    assert client.stats.requests == 3


def test_an_expired_token_fails_fast_and_names_the_connection(sb):
    add_fault(sb, "expired_token", "x", count=None)
    client, ctx = make(sb)
    with pytest.raises(AuthError) as error:
        Users(client, ctx).collect()
    message = str(error.value)
    assert "social_x" in message and "expired" in message
    assert client.stats.requests == 1, "retrying a dead token only burns the window"
    assert "sandbox-token" not in message


def test_an_unknown_user_is_an_error_naming_the_account_and_the_config_file(sb):
    sb.state.clock = CLOCK
    add_fault(sb, "not_found", "x", count=None)
    client, ctx = make(sb)
    for stream in (Users, Tweets):
        with pytest.raises(ApiError) as error:
            stream(client, ctx).collect()
        assert not isinstance(error.value, AuthError | TransientApiError)
        assert ACCOUNT in str(error.value) and "config/accounts.yml" in str(error.value)
    assert client.stats.requests == 2, "a missing user is not retried"


def test_malformed_records_are_rejected_and_the_rest_kept(sb):
    sb.state.clock = CLOCK
    add_fault(
        sb,
        "malformed_record",
        "x",
        count=1,
        path=TIMELINE,
        params={"field": "public_metrics", "mode": "string", "index": 1},
    )
    client, ctx = make(sb)
    result = Tweets(client, ctx).collect()
    assert [r.reason for r in result.rejects] == [
        "field 'public_metrics' is string, expected object"
    ]
    assert len(result.records) == len(truth(sb, ctx.settings.post_lookback_days)["posts"]) - 1


def test_a_malformed_user_object_is_rejected(sb):
    sb.state.clock = CLOCK
    add_fault(sb, "malformed_record", "x", count=1, params={"field": "public_metrics"})
    client, ctx = make(sb)
    result = Users(client, ctx).collect()
    assert not result.records and "public_metrics" in result.rejects[0].reason


def test_tweet_ids_lead_back_to_their_account_in_a_lookup(sb):
    sb.state.clock = CLOCK
    client, ctx = make(sb)
    timeline = Tweets(client, ctx).collect()
    ids = [r.key for r in timeline.records[:3]]
    unknown = f"{ACCOUNT}99999999"
    fields = "created_at,public_metrics,non_public_metrics"
    body = client.get("2/tweets", {"ids": ",".join([*ids, unknown]), "tweet.fields": fields})
    assert [t["id"] for t in body["data"]] == ids
    by_id = {r.key: r.payload for r in timeline.records}
    assert all(t["public_metrics"] == by_id[t["id"]]["public_metrics"] for t in body["data"])
    assert [e["resource_id"] for e in body["errors"]] == [unknown]
    assert client.execute(Request("GET", "2/tweets", {"ids": unknown})).status == 200


def test_a_load_writes_raw_rows_and_the_manifest(sb, warehouse_url):
    sb.state.clock = CLOCK
    settings = fast_settings("x", post_lookback_days=40)
    load = run_account_load(
        "x",
        ACCOUNT,
        DAY,
        url=warehouse_url,
        connection=sandbox_connection(sb, "x"),
        settings=settings,
    )
    expected = truth(sb, 40)
    assert load.summary()["streams"] == {"users": "success", "tweets": "success"}
    with psycopg.connect(warehouse_url) as conn:
        users = conn.execute(
            "select record_date, payload from raw.x__users where account_id = %s", (ACCOUNT,)
        ).fetchall()
        tweets = conn.execute(
            "select record_key from raw.x__tweets where account_id = %s and load_date = %s",
            (ACCOUNT, DAY),
        ).fetchall()
        manifest = conn.execute(
            """select stream, status, records, rejected, warnings from ops.load_manifest
               where network = 'x' and account_id = %s and load_date = %s order by stream""",
            (ACCOUNT, DAY),
        ).fetchall()
    assert users == [(DAY, users[0][1])]
    assert (
        users[0][1]["public_metrics"]["followers_count"]
        == expected["account"]["unified"]["followers"]
    )
    assert sorted(k for (k,) in tweets) == sorted(p["post_id"] for p in expected["posts"])
    by_stream = {row[0]: row[1:] for row in manifest}
    assert by_stream["tweets"][:3] == ("success", len(expected["posts"]), 0)
    assert any("older than 30 days" in w for w in by_stream["tweets"][3])
    assert by_stream["users"][:3] == ("success", 1, 0)


def test_daily_snapshots_keep_private_metrics_after_x_drops_them(sb, warehouse_url):
    """A tweet loaded while young keeps its clicks in that day's snapshot; the load 15 days
    later (past X's 30 days) has only public metrics, and both snapshots stay in raw."""
    early_day, late_day = dt.date(2026, 10, 1), dt.date(2026, 10, 16)
    settings = fast_settings("x", post_lookback_days=40)
    for day in (early_day, late_day):
        sb.state.clock = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(12), dt.UTC)
        run_account_load(
            "x",
            ACCOUNT,
            day,
            url=warehouse_url,
            connection=sandbox_connection(sb, "x"),
            settings=settings,
        )
    with psycopg.connect(warehouse_url) as conn:
        rows = conn.execute(
            """select record_key, load_date, payload ? 'non_public_metrics'
               from raw.x__tweets where account_id = %s and load_date in (%s, %s)""",
            (ACCOUNT, early_day, late_day),
        ).fetchall()
    snapshots: dict[str, dict[dt.date, bool]] = {}
    for key, load_date, has_private in rows:
        snapshots.setdefault(key, {})[load_date] = has_private
    dropped = [k for k, s in snapshots.items() if s == {early_day: True, late_day: False}]
    assert dropped, "some tweets must have aged past 30 days between the two loads"


def test_a_wrong_api_version_says_where_to_change_it(sb):
    client, ctx = make(sb, api_version="1.1")
    with pytest.raises(ApiError, match=r"config/networks\.yml") as error:
        Users(client, ctx).collect()
    assert error.value.status == 404 and client.stats.requests == 1
