"""The Instagram client and streams against the sandbox: the two insights request shapes, the
30-day windows and follower_count's 30-day history, retired metrics, media paging with an early
stop, per-media-type metrics, throttling, transient errors, token expiry and a full raw load."""

from __future__ import annotations

import datetime as dt
import math

import psycopg
import pytest

from social_warehouse.connector.client import Request
from social_warehouse.connector.streams import LoadContext, Record
from social_warehouse.errors import (
    ApiVersionError,
    AuthError,
    InvalidMetricError,
    RateLimitError,
    TransientApiError,
)
from social_warehouse.extract import run_account_load
from social_warehouse.networks.instagram import (
    METRICS_BY_KIND,
    Account,
    AccountInsights,
    InstagramClient,
    Media,
    MediaInsights,
    insight_value,
    media_kind,
)
from social_warehouse.timeutil import day_start
from tests.helpers import add_fault, fast_settings, replace, sandbox_connection

ACCOUNT = "17841400000000001"
OTHER = "17841400000000002"
DAY = dt.date(2026, 11, 20)
CLOCK = dt.datetime(2026, 11, 21, 12, tzinfo=dt.UTC)
TZ = "America/Los_Angeles"


def make(sb, account: str = ACCOUNT, day: dt.date = DAY, client=None, **settings_changes):
    settings = fast_settings("instagram", **settings_changes)
    client = client or InstagramClient(sandbox_connection(sb, "instagram"), settings)
    return client, LoadContext("instagram", account, day, settings)


def sandbox(sb):
    return sb.state.networks["instagram"]


def insights_requests(sb, total: bool | None = None) -> list[dict]:
    calls = [r for r in sb.state.requests if r["path"].endswith("/insights")]
    if total is None:
        return calls
    return [r for r in calls if (r["query"].get("metric_type") == "total_value") == total]


def values_by_key(records) -> dict[str, object]:
    return {r.key: insight_value(r.payload) for r in records}


def account_media(sb, client, ctx):
    Media(client, ctx).collect()
    sb.state.requests.clear()
    return MediaInsights(client, ctx).collect()


# --- account ---------------------------------------------------------------------------------
def test_the_account_snapshot_holds_the_followers_of_the_last_closed_day(sb):
    sb.state.clock = CLOCK
    client, ctx = make(sb)
    result = Account(client, ctx).collect()
    truth = sandbox(sb).truth(ACCOUNT, DAY, CLOCK, 1)["account"]["unified"]
    assert [r.record_date for r in result.records] == [DAY]
    assert result.records[0].payload["followers_count"] == truth["followers"]


# --- account insights --------------------------------------------------------------------------
def test_account_insights_match_the_truth_in_both_request_shapes(sb):
    sb.state.clock = CLOCK
    client, ctx = make(sb, lookback_days=3)
    result = AccountInsights(client, ctx).collect()
    got = values_by_key(result.records)
    metrics = {r.payload["name"] for r in result.records}
    assert {"reach", "follower_count", "views", "total_interactions", "likes"} <= metrics
    for day in ctx.metrics_window.days():
        native = sandbox(sb).truth(ACCOUNT, day, CLOCK, 1)["account"]["native"]
        assert {m: got[f"{m}|{day}"] for m in metrics} == {m: native[m] for m in metrics}
    assert not result.rejects and not ctx.warnings


def test_total_value_metrics_are_asked_one_day_per_call(sb):
    sb.state.clock = CLOCK
    client, ctx = make(sb, lookback_days=5)
    result = AccountInsights(client, ctx).collect()
    totals = insights_requests(sb, total=True)
    assert len(totals) == 5, "one total over since..until per day gives daily values"
    for call in totals:
        span = int(call["query"]["until"]) - int(call["query"]["since"])
        assert span == 86400 and "views" in call["query"]["metric"]
    assert len(insights_requests(sb, total=False)) == 1, "the series metrics take one call"
    views = {r.record_date for r in result.records if r.payload["name"] == "views"}
    assert views == set(ctx.metrics_window.days())


def test_total_value_metrics_asked_as_a_series_answer_the_documented_error(sb):
    sb.state.clock = CLOCK
    client, _ = make(sb)
    response = client.send(
        Request(
            "GET",
            f"v25.0/{ACCOUNT}/insights",
            {"metric": "reach,views", "period": "day"},
        )
    )
    assert response.status == 400 and response.body["error"]["code"] == 100
    assert response.body["error"]["message"] == (
        "(#100) The following metric (views) should be specified with parameter "
        "metric_type=total_value"
    )
    assert isinstance(client.classify_error(response), InvalidMetricError)


class SeriesOnlyInsights(AccountInsights):
    """A connector that does not know which metrics need metric_type=total_value."""

    total_value_metrics = frozenset()


def test_metrics_meta_moves_to_total_value_are_learned_from_the_error(sb):
    sb.state.clock = CLOCK
    client, ctx = make(sb, lookback_days=3)
    expected = values_by_key(AccountInsights(client, ctx).collect().records)
    learner, ctx = make(sb, lookback_days=3)
    sb.state.requests.clear()
    result = SeriesOnlyInsights(learner, ctx).collect()
    assert values_by_key(result.records) == expected
    assert any("views" in w and "TOTAL_VALUE_METRICS" in w for w in ctx.warnings)
    assert [r["status"] for r in sb.state.requests].count(400) == 1
    # the next account of the same run goes straight to the right shape
    sb.state.requests.clear()
    _, other = make(sb, account=OTHER, lookback_days=3)
    SeriesOnlyInsights(learner, other).collect()
    assert all(r["status"] == 200 for r in sb.state.requests)


def test_windows_longer_than_thirty_days_are_split_and_old_follower_counts_skipped(sb):
    sb.state.clock = CLOCK
    client, ctx = make(sb, lookback_days=45)
    result = AccountInsights(client, ctx).collect()
    for call in insights_requests(sb):
        assert int(call["query"]["until"]) - int(call["query"]["since"]) <= 30 * 86400
    days = set(ctx.metrics_window.days())
    by_metric = {
        name: {r.record_date for r in result.records if r.payload["name"] == name}
        for name in ("reach", "views", "follower_count")
    }
    assert by_metric["reach"] == days and by_metric["views"] == days
    # follower_count exists for the last 30 days before the sandbox's today only
    natives = {d: sandbox(sb).truth(ACCOUNT, d, CLOCK, 1)["account"]["native"] for d in days}
    kept = {d for d, native in natives.items() if "follower_count" in native}
    assert by_metric["follower_count"] == kept
    assert 0 < len(kept) < len(days)
    warning = next(w for w in ctx.warnings if w.startswith("follower_count"))
    assert "last 30 days" in warning and str(min(days)) in warning
    series_calls = insights_requests(sb, total=False)
    assert len(series_calls) <= 10, "the oldest served day is found by binary search"
    # follower_count was not dropped: the next account still gets it
    _, other = make(sb, account=OTHER, lookback_days=3)
    names = {r.payload["name"] for r in AccountInsights(client, other).collect().records}
    assert "follower_count" in names


def test_thirty_days_across_the_end_of_dst_stay_under_the_cap(sb):
    sb.state.clock = CLOCK
    client, ctx = make(sb, lookback_days=30)  # 2026-10-22..11-20 holds the Nov 1 change
    result = AccountInsights(client, ctx).collect()
    assert all(r["status"] == 200 for r in sb.state.requests)
    assert len(insights_requests(sb, total=False)) == 2
    follower_days = {r.record_date for r in result.records if r.payload["name"] == "follower_count"}
    assert follower_days == set(ctx.metrics_window.days())
    assert not ctx.warnings


def test_follower_count_coming_back_empty_warns_and_the_rest_loads(sb):
    sb.state.clock = CLOCK
    add_fault(sb, "follower_count_empty", "instagram", count=None, path="/insights")
    client, ctx = make(sb)
    result = AccountInsights(client, ctx).collect()
    names = {r.payload["name"] for r in result.records}
    assert "follower_count" not in names and {"reach", "views"} <= names
    assert any("follower_count came back empty" in w for w in ctx.warnings)


def test_retired_impressions_answers_the_v22_error_and_is_not_requested(sb):
    sb.state.clock = CLOCK
    client, ctx = make(sb)
    response = client.send(
        Request("GET", f"v25.0/{ACCOUNT}/insights", {"metric": "impressions", "period": "day"})
    )
    assert response.body["error"]["code"] == 100
    assert (
        "Starting from version 22 and above, the impressions metric is no longer supported"
        in (response.body["error"]["message"])
    )
    assert isinstance(client.classify_error(response), InvalidMetricError)
    sb.state.requests.clear()
    AccountInsights(client, ctx).collect()
    asked = {m for r in insights_requests(sb) for m in r["query"]["metric"].split(",")}
    assert "impressions" not in asked and "views" in asked


def test_a_backfill_before_the_retirement_drops_impressions_and_loads_views(sb):
    sb.state.clock = CLOCK
    old_day = dt.date(2025, 4, 20)  # the registry still lists impressions for this day
    client, ctx = make(sb, day=old_day, lookback_days=1)
    result = AccountInsights(client, ctx).collect()
    names = {r.payload["name"] for r in result.records}
    assert "impressions" not in names and {"views", "reach"} <= names
    assert any("'impressions'" in w and "metric_registry.csv" in w for w in ctx.warnings)
    truth = sandbox(sb).truth(ACCOUNT, old_day, CLOCK, 1)["account"]["native"]
    assert values_by_key(result.records)[f"views|{old_day}"] == truth["views"]


def test_a_metric_retired_without_notice_is_dropped_and_the_rest_load(sb):
    sb.state.clock = CLOCK
    add_fault(sb, "retire_metric", "instagram", count=None, params={"metric": "profile_views"})
    client, ctx = make(sb)
    result = AccountInsights(client, ctx).collect()
    names = {r.payload["name"] for r in result.records}
    assert "profile_views" not in names and {"views", "likes", "reach"} <= names
    assert any("profile_views" in w for w in ctx.warnings)


# --- media -------------------------------------------------------------------------------------
def test_media_paging_stops_at_the_first_page_older_than_the_post_window(sb):
    sb.state.clock = CLOCK
    client, ctx = make(sb, page_size=5)
    result = Media(client, ctx).collect()
    truth = sandbox(sb).truth(ACCOUNT, DAY, CLOCK, ctx.settings.post_lookback_days)
    assert sorted(r.key for r in result.records) == sorted(p["post_id"] for p in truth["posts"])
    history = sandbox(sb).model(ACCOUNT).published_posts(CLOCK)  # newest first, what /media lists
    start = day_start(ctx.posts_window.start, TZ)
    first_older = next(i for i, p in enumerate(history) if p.published_at < start)
    pages = [r for r in sb.state.requests if r["path"].endswith("/media")]
    assert len(pages) == first_older // 5 + 1
    assert len(pages) < math.ceil(len(history) / 5) / 2, "without the stop it would walk it all"
    assert len(pages) > 2, "the window must span several pages for this test to mean anything"


def test_media_insights_ask_each_media_type_only_what_it_reports(sb):
    sb.state.clock = CLOCK
    client, ctx = make(sb)
    media = {r.key: r.payload for r in Media(client, ctx).collect().records}
    sb.state.requests.clear()
    result = MediaInsights(client, ctx).collect()
    assert all(r["status"] == 200 for r in sb.state.requests), "no incompatible-metric error"
    kinds = {media_kind(r.payload) for r in ctx.records_of("media")}
    assert kinds == {"IMAGE", "CAROUSEL_ALBUM", "REELS"}
    # one ?ids= call per metric list (< 50 media each): feed images and carousels share theirs
    lists = {frozenset(METRICS_BY_KIND[k]) for k in kinds}
    assert len(lists) == 2 and len(sb.state.requests) == len(lists)
    mixed = [
        {media_kind(media[i]) for i in r["query"]["ids"].split(",")} for r in sb.state.requests
    ]
    assert {"IMAGE", "CAROUSEL_ALBUM"} in mixed and {"REELS"} in mixed
    truth = {
        p["post_id"]: p["lifetime"]
        for p in sandbox(sb).truth(ACCOUNT, DAY, CLOCK, ctx.settings.post_lookback_days)["posts"]
    }
    unified = {
        "views": "impressions",
        "reach": "reach",
        "saved": "saves",
        "shares": "shares",
        "likes": "likes",
        "comments": "comments",
    }
    for record in result.records:
        got = {
            unified[m["name"]]: m["values"][0]["value"] for m in record.payload["insights"]["data"]
        }
        got.setdefault("likes", media[record.key]["like_count"])
        got.setdefault("comments", media[record.key]["comments_count"])
        assert got == truth[record.key]
    assert len(result.records) == len(truth) and not ctx.warnings


def test_an_incompatible_metric_is_dropped_for_that_media_type_only(sb):
    sb.state.clock = CLOCK
    add_fault(
        sb,
        "incompatible_metric",
        "instagram",
        count=None,
        params={"media_type": "CAROUSEL_ALBUM", "metric": "saved"},
    )
    client, ctx = make(sb)
    result = account_media(sb, client, ctx)
    kinds = {r.key: media_kind(r.payload) for r in ctx.records_of("media")}
    assert len(result.records) == len(kinds), "every media still loads"
    for record in result.records:
        names = {m["name"] for m in record.payload["insights"]["data"]}
        assert ("saved" in names) == (kinds[record.key] != "CAROUSEL_ALBUM")
        assert "views" in names
    warning = next(w for w in ctx.warnings if "'saved'" in w)
    assert "CAROUSEL_ALBUM" in warning and "Incompatible metric (saved) with the media" in warning
    # the next account of the run asks carousels without saved straight away
    _, other = make(sb, account=OTHER)
    account_media(sb, client, other)
    assert all(r["status"] == 200 for r in sb.state.requests)


def test_media_of_an_unknown_type_lose_incompatible_metrics_by_bisection(sb):
    sb.state.clock = CLOCK
    client, ctx = make(sb)
    Media(client, ctx).collect()
    # no type known: every registry metric is asked for every media
    ctx.outputs["media"] = [
        Record(r.key, r.record_date, {k: v for k, v in r.payload.items() if "media" not in k})
        for r in ctx.records_of("media")
    ]
    sb.state.requests.clear()
    result = MediaInsights(client, ctx).collect()
    assert len(result.records) == len(ctx.keys_of("media"))
    names = {m["name"] for r in result.records for m in r.payload["insights"]["data"]}
    assert {"views", "reach", "saved"} <= names
    assert not names & {"shares", "likes", "comments"}, "feed images reject them in a mixed batch"
    assert any("Incompatible metric" in w for w in ctx.warnings)


def test_media_posted_before_the_business_conversion_is_skipped(sb):
    sb.state.clock = CLOCK
    client, ctx = make(sb)
    ids = [r.key for r in Media(client, ctx).collect().records]
    victim = ids[len(ids) // 2]
    add_fault(sb, "pre_conversion", "instagram", count=None, params={"media_id": victim})
    result = MediaInsights(client, ctx).collect()
    assert sorted(r.key for r in result.records) == sorted(i for i in ids if i != victim)
    assert [w for w in ctx.warnings if victim in w] and len(ctx.warnings) == 1


def test_malformed_media_are_rejected_and_the_rest_kept(sb):
    sb.state.clock = CLOCK
    add_fault(
        sb, "malformed_record", "instagram", count=1, path="/media", params={"field": "timestamp"}
    )
    client, ctx = make(sb)
    result = Media(client, ctx).collect()
    assert len(result.rejects) == 1 and "timestamp" in result.rejects[0].reason
    assert result.records, "the good media of the same page still load"


def test_malformed_insights_in_a_batch_are_rejected_per_media(sb):
    sb.state.clock = CLOCK
    client, ctx = make(sb)
    Media(client, ctx).collect()
    add_fault(sb, "malformed_record", "instagram", count=1, path=r"^/v\d+\.\d+/$")
    result = MediaInsights(client, ctx).collect()
    assert len(result.rejects) == 1 and "insights.data" in result.rejects[0].reason
    assert len(result.records) == len(ctx.keys_of("media")) - 1


# --- rate limits and failures ------------------------------------------------------------------
@pytest.mark.parametrize("code", [80002, 4, 17])
def test_throttling_codes_wait_and_retry(sb, code):
    sb.state.clock = CLOCK
    add_fault(sb, "throttle", "instagram", count=2, params={"code": code, "regain_minutes": 0})
    client, ctx = make(sb)
    assert Account(client, ctx).collect().records
    assert client.stats.throttled == 2 and client.stats.requests == 3


def test_the_sandbox_rate_limit_answers_80002_with_instagram_buc_headers(sb):
    rate = sandbox(sb).rate
    rate.limit, rate.window_seconds = 1, 60.0
    client, _ = make(sb)
    request = Request("GET", f"v25.0/{ACCOUNT}", {"fields": "id"})
    ok = client.send(request)
    assert '"type": "instagram"' in ok.headers["x-business-use-case-usage"]
    throttled = client.send(request)
    assert throttled.body["error"]["code"] == 80002
    assert isinstance(client.classify_error(throttled), RateLimitError)


def test_usage_headers_near_the_limit_slow_the_client_down(sb):
    sb.state.clock = CLOCK
    rate = sandbox(sb).rate
    rate.limit, rate.window_seconds = 4, 1.0  # the 4th call in a second reports 100% usage
    client, ctx = make(sb, page_size=5, max_wait_seconds=30)
    result = Media(client, ctx).collect()
    assert client.stats.throttled >= 1, "the client must pause when the BUC usage nears 100"
    truth = sandbox(sb).truth(ACCOUNT, DAY, CLOCK, ctx.settings.post_lookback_days)
    assert len(result.records) == len(truth["posts"])


def test_server_errors_back_off_then_succeed(sb):
    sb.state.clock = CLOCK
    add_fault(sb, "server_error", "instagram", count=2, params={"status": 503})
    client, ctx = make(sb)
    assert AccountInsights(client, ctx).collect().records
    assert client.stats.retries == 2


def test_server_errors_give_up_with_advice(sb):
    add_fault(sb, "server_error", "instagram", count=None, params={"status": 500})
    client, ctx = make(sb, max_retries=2)
    with pytest.raises(TransientApiError, match="Rerun the task later"):
        Account(client, ctx).collect()
    assert client.stats.requests == 3


def test_expired_token_fails_fast_and_names_the_connection(sb):
    add_fault(sb, "expired_token", "instagram", count=None)
    client, ctx = make(sb)
    with pytest.raises(AuthError) as error:
        AccountInsights(client, ctx).collect()
    message = str(error.value)
    assert "social_instagram" in message and "token expired" in message
    assert client.stats.requests == 1, "retrying a dead token only burns quota"
    assert "sandbox-token" not in message


def test_an_unsupported_api_version_says_where_to_change_it(sb):
    client, ctx = make(sb)
    ctx.settings = replace(ctx.settings, api_version="v19.0")
    with pytest.raises(ApiVersionError, match=r"config/networks\.yml"):
        Account(client, ctx).collect()


# --- a whole load ------------------------------------------------------------------------------
def test_an_account_load_writes_every_stream_and_its_manifest(sb, warehouse_url):
    sb.state.clock = CLOCK
    settings = fast_settings("instagram")
    outcome = run_account_load(
        "instagram",
        ACCOUNT,
        DAY,
        url=warehouse_url,
        run_id="test-instagram",
        connection=sandbox_connection(sb, "instagram"),
        settings=settings,
    )
    truth = sandbox(sb).truth(ACCOUNT, DAY, CLOCK, settings.post_lookback_days)
    with psycopg.connect(warehouse_url) as conn:
        counts = {
            stream: conn.execute(
                f"select count(*) from raw.instagram__{stream} "
                "where account_id = %s and load_date = %s",
                (ACCOUNT, DAY),
            ).fetchone()[0]
            for stream in ("account", "account_insights", "media", "media_insights")
        }
        manifest = conn.execute(
            """select stream, status, records, window_start, window_end from ops.load_manifest
               where network = 'instagram' and account_id = %s and run_id = 'test-instagram'
               order by load_id""",
            (ACCOUNT,),
        ).fetchall()
        followers = conn.execute(
            "select payload ->> 'followers_count' from raw.instagram__account "
            "where account_id = %s",
            (ACCOUNT,),
        ).fetchone()[0]
    assert counts["account"] == 1 and int(followers) == truth["account"]["unified"]["followers"]
    assert counts["media"] == counts["media_insights"] == len(truth["posts"])
    assert counts["account_insights"] == sum(
        r.records for r in outcome.results if r.stream == "account_insights"
    )
    assert counts["account_insights"] >= 3 * 10
    assert [(m[0], m[1], m[2]) for m in manifest] == [(s, "success", counts[s]) for s in counts]
    windows = {m[0]: (m[3], m[4]) for m in manifest}
    assert windows["account"] == (DAY, DAY)
    assert windows["account_insights"] == (DAY - dt.timedelta(days=settings.lookback_days - 1), DAY)
    assert not outcome.errors
