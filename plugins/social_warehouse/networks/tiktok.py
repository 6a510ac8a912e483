"""TikTok Business API v1.3 (organic Business accounts): the profile's daily metrics
(`business/get/`, 60 days of history) and the account's videos with their lifetime metrics
(`business/video/list/`, newest first, `cursor`/`has_more`, at most 20 per page).

TikTok reports every error as a non-zero `code` inside the JSON envelope, usually with HTTP 200,
so the client classifies the body, never the status alone. There is no separate post-metrics
stream: each video object already carries its lifetime counters, and every run re-reads the
whole post window, so the raw videos rows of one load day are that day's snapshot."""

from __future__ import annotations

import datetime as dt
import json
import re
import time
from collections.abc import Iterator
from typing import Any

from social_warehouse import metric_registry
from social_warehouse.connector import sdk

API_PATH = "open_api/{version}/"
MAX_PAGE = 20  # business/video/list rejects max_count above 20 with code 40002

# Envelope codes (business-api.tiktok.com "Return codes")
OK = 0
INVALID_PARAMS = 40002
RATE_LIMITED = 40100
AUTH_CODES = {
    40101: "authentication failed",
    40102: "access token expired",
    40104: "access token missing",
    40105: "access token invalid, revoked or expired",
    40115: "request timestamp expired",
    40131: "authorization code expired",
}
SERVER_CODES = {50000, 50001, 50002}
_PARAM_MESSAGE = re.compile(r"^\s*([a-z_]+)\s*:")

# Counters a record may carry; when present they must be numbers.
PROFILE_COUNTERS = (
    "followers_count",
    "profile_views",
    "video_views",
    "likes",
    "comments",
    "shares",
)
VIDEO_COUNTERS = (
    "video_views",
    "likes",
    "comments",
    "shares",
    "reach",
    "video_duration",
    "full_video_watched_rate",
    "total_time_watched",
    "average_time_watched",
)


class ProfileHistoryError(sdk.ApiError):
    """`business/get/` refused a start_date older than TikTok's 60-day profile history."""


class TikTokClient(sdk.ApiClient):
    network = "tiktok"
    token_note = (
        "TikTok access tokens last only 24 hours (expires_in 86400): give the grant a "
        "refresh_token (social-warehouse connect tiktok) and it refreshes itself at "
        "open_api/v1.3/tt_user/oauth2/refresh_token/"
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._last_sent = 0.0

    def auth_headers(self) -> dict[str, str]:
        # The raw token, no "Bearer ": TikTok answers a Bearer prefix with 40105.
        return {"Access-Token": self.token()}

    def classify_error(self, response: sdk.Response) -> sdk.ApiError | None:
        """The envelope's `code` decides, whatever the HTTP status: a 200 with a non-zero code
        is an error, never data."""
        body = response.body
        if response.status >= 500:
            code = body.get("code") if isinstance(body, dict) else None
            return sdk.TransientApiError(
                self.network, "server error", status=response.status, code=code, url=response.url
            )
        if not isinstance(body, dict):
            # a non-JSON 200 becomes a MalformedResponseError (retried) in `execute`
            return super().classify_error(response) if response.status >= 400 else None
        code = body.get("code")
        if code is None:
            if response.status >= 400:
                return super().classify_error(response)
            return sdk.MalformedResponseError(
                self.network,
                "the answer has no 'code' envelope, so it cannot be trusted as data",
                status=response.status,
                url=response.url,
            )
        if code == OK:
            return None if response.status < 400 else super().classify_error(response)
        return self._envelope_error(response, code, body)

    def _envelope_error(
        self, response: sdk.Response, code: Any, body: dict[str, Any]
    ) -> sdk.ApiError:
        message = str(body.get("message") or "no message")
        common = {"status": response.status, "code": code, "url": response.url}
        where = f"{message} (request_id {body.get('request_id')})"
        if code in AUTH_CODES:
            return self._auth_error(f"{AUTH_CODES[code]}: {where}", **common)
        if code == RATE_LIMITED:
            # TikTok gives no reset time and no rate-limit headers: back off exponentially.
            return sdk.RateLimitError(self.network, where, **common)
        if code in SERVER_CODES:
            return sdk.TransientApiError(self.network, where, **common)
        if code == INVALID_PARAMS:
            return self._param_error(message, where, common)
        if response.status == 404:
            return sdk.ApiError(
                self.network,
                where,
                hint=(
                    f"the path does not exist: check api_version for tiktok in config/networks.yml "
                    f"(TikTok serves v1.3) and the host of Airflow connection "
                    f"{self.conn.conn_id!r} (https://business-api.tiktok.com)"
                ),
                **common,
            )
        return sdk.ApiError(self.network, where, **common)

    def _auth_error(self, message: str, **common: Any) -> sdk.AuthError:
        # TikTok tokens last 24 hours and must be refreshed; the header is
        # 'Access-Token: <token>' with no Bearer prefix (a prefix is itself a 40105)
        return self.auth_error(message, **common)

    def _param_error(self, message: str, where: str, common: dict[str, Any]) -> sdk.ApiError:
        match = _PARAM_MESSAGE.match(message)
        param = match.group(1) if match else "unknown parameter"
        if param == "start_date" and "days" in message:
            return ProfileHistoryError(self.network, where, **common)
        return sdk.ApiError(
            self.network,
            f"invalid parameter {param!r}: {where}",
            hint=(
                f"TikTok rejected the request parameter {param!r}; check the tiktok settings in "
                f"config/networks.yml (page_size is capped at {MAX_PAGE}) and the metric names "
                f"in dbt_project/seeds/metric_registry.csv"
            ),
            **common,
        )

    def send(self, request: sdk.Request) -> sdk.Response:
        self._last_sent = time.monotonic()
        return super().send(request)

    def proactive_wait(self, response: sdk.Response) -> float:
        """TikTok sends no usage headers, so pace calls on the client: with
        `max_requests_per_minute` (networks.yml extra) consecutive calls start at least
        60 / max_requests_per_minute seconds apart."""
        per_minute = float(self.settings.extra.get("max_requests_per_minute") or 0)
        if per_minute <= 0:
            return 0.0
        return max(0.0, self._last_sent + 60.0 / per_minute - time.monotonic())


def business_id(ctx: sdk.LoadContext) -> str:
    return ctx.account_id


def api_path(ctx: sdk.LoadContext, endpoint: str) -> str:
    return API_PATH.format(version=ctx.settings.api_version) + endpoint


def counter_violation(item: dict[str, Any], counters: tuple[str, ...]) -> str | None:
    for name in counters:
        value = item.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
            return f"field '{name}' is {type(value).__name__}, expected a number"
    return None


class BusinessProfile(sdk.Stream[TikTokClient]):
    """`GET business/get/?fields=[...]&start_date=&end_date=`: one record per entry of
    `data.metrics` (one per day), the profile object with `metrics` cut down to that day."""

    name = "business_profile"
    kind = sdk.StreamKind.ACCOUNT_DAILY
    path = "business/get/"
    key = ("date",)
    contract = {"date": str}
    contract_root = "metrics.0"
    profile_fields = ("username", "display_name")

    def fields_param(self) -> str:
        metrics = metric_registry.metrics(self.ctx.network, self.name, self.ctx.day)
        wanted = [*self.profile_fields, *metrics]
        return json.dumps(list(dict.fromkeys(wanted)), separators=(",", ":"))

    def request(self, start: dt.date, end: dt.date) -> sdk.Request:
        params = {
            "business_id": business_id(self.ctx),
            "fields": self.fields_param(),
            "start_date": start.isoformat(),
            "end_date": end.isoformat(),
        }
        return sdk.Request("GET", api_path(self.ctx, self.path), params)

    def call(self, start: dt.date, end: dt.date) -> Any:
        return self.client.execute(self.request(start, end)).body

    def requests(self) -> Iterator[sdk.Request]:
        days = self.window.days()
        yield self.request(days[0], days[-1])

    def read(self, request: sdk.Request) -> Iterator[Any]:
        days = self.window.days()
        try:
            body = self.client.execute(request).body
        except ProfileHistoryError as exc:
            body = self.fetch_within_history(days, exc)
        if body is not None:
            yield body

    def fetch_within_history(self, days: list[dt.date], exc: ProfileHistoryError) -> Any:
        """TikTok keeps 60 days of profile history, counted from its own today. Find the oldest
        start_date it still accepts by bisection (a few calls, only on backfills or long
        lookbacks), warn about the days lost, and load the rest."""
        try:
            best = self.call(days[-1], days[-1])
        except ProfileHistoryError:
            self.ctx.warn(
                f"business_profile {days[0]}..{days[-1]} is older than TikTok's 60-day profile "
                f"history ({exc.api_message}); nothing to load for these days. Only the daily "
                f"snapshots already in the warehouse keep that history"
            )
            return None
        rejected, accepted = 0, len(days) - 1
        while accepted - rejected > 1:
            middle = (rejected + accepted) // 2
            try:
                best = self.call(days[middle], days[-1])
                accepted = middle
            except ProfileHistoryError:
                rejected = middle
        self.ctx.warn(
            f"business_profile: days {days[0]}..{days[accepted - 1]} are older than TikTok's "
            f"60-day profile history and were skipped; loaded {days[accepted]}..{days[-1]}. "
            f"Lower lookback_days for tiktok in config/networks.yml below 60 to avoid this"
        )
        return best

    @classmethod
    def parse(cls, body: Any, ctx: sdk.LoadContext) -> sdk.ParseResult:
        result = sdk.ParseResult()
        data = body.get("data") if isinstance(body, dict) else None
        metrics = data.get("metrics") if isinstance(data, dict) else None
        if not isinstance(metrics, list):
            result.rejects.append(
                sdk.Reject("no 'data.metrics' list in the business/get answer", body)
            )
            return result
        head = {k: v for k, v in data.items() if k != "metrics"}
        for entry in metrics:
            payload = {**head, "metrics": [entry]}
            violation = sdk.contract_violation(entry, cls.contract) or (
                counter_violation(entry, PROFILE_COUNTERS) if isinstance(entry, dict) else None
            )
            if violation:
                result.rejects.append(sdk.Reject(violation, payload))
                continue
            try:
                day = dt.date.fromisoformat(entry["date"])
            except ValueError:
                result.rejects.append(sdk.Reject(f"unreadable date {entry['date']!r}", payload))
                continue
            result.records.append(sdk.Record(day.isoformat(), day, payload))
        return result


def created_at(item: dict[str, Any]) -> dt.datetime:
    """`create_time` is unix seconds, sent as a string of digits (or a number)."""
    value = item["create_time"]
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError(f"create_time {value!r} is not unix seconds")
    if isinstance(value, str) and not value.strip().isdigit():
        raise ValueError(f"create_time {value!r} is not unix seconds")
    return dt.datetime.fromtimestamp(int(value), dt.UTC)


class Videos(sdk.Stream[TikTokClient]):
    """`GET business/video/list/?fields=[...]&cursor=&max_count=`: the account's videos, newest
    first, with lifetime metrics. Keeps videos published inside the post window and stops paging
    at the first page that reaches past the window's start."""

    name = "videos"
    kind = sdk.StreamKind.POSTS
    path = "business/video/list/"
    key = ("item_id",)
    records_path = "data.videos"
    contract = {"item_id": str, "create_time": (str, int)}
    paginator = sdk.CursorHasMorePaginator()
    descriptive_fields = ("item_id", "create_time", "caption", "share_url")
    # Watch-time fields: kept in raw for analysis, not unified metrics.
    watch_fields = (
        "video_duration",
        "full_video_watched_rate",
        "total_time_watched",
        "average_time_watched",
    )

    def params(self) -> dict[str, Any]:
        metrics = metric_registry.metrics(self.ctx.network, self.name, self.ctx.day)
        fields = list(dict.fromkeys([*self.descriptive_fields, *metrics, *self.watch_fields]))
        return {
            "business_id": business_id(self.ctx),
            "fields": json.dumps(fields, separators=(",", ":")),
            "max_count": max(1, min(self.ctx.settings.page_size, MAX_PAGE)),
        }

    def requests(self) -> Iterator[sdk.Request]:
        yield sdk.Request("GET", api_path(self.ctx, self.path), self.params())

    @classmethod
    def bounds(cls, ctx: sdk.LoadContext) -> tuple[dt.datetime, dt.datetime]:
        window = ctx.posts_window
        tz = ctx.settings.timezone
        return sdk.day_start(window.start, tz), sdk.day_start(window.end + dt.timedelta(days=1), tz)

    @classmethod
    def parse_records(cls, items: Any, ctx: sdk.LoadContext, result: sdk.ParseResult) -> None:
        start, end = cls.bounds(ctx)
        for item in result.valid(
            items, cls.contract, lambda item: counter_violation(item, VIDEO_COUNTERS)
        ):
            try:
                published = created_at(item)
            except ValueError as exc:
                result.rejects.append(sdk.Reject(f"unreadable record: {exc}", item))
                continue
            if start <= published < end:  # outside the post window is not a record, not bad
                day = sdk.local_day(published, ctx.settings.timezone)
                result.records.append(sdk.Record(item["item_id"], day, item))

    def stop_paging(self, body: Any) -> bool:
        """Newest first: once a page holds a video older than the window, every later page
        does too, so stop instead of walking the account's whole history."""
        start, _ = self.bounds(self.ctx)
        for item in sdk.dig(body, self.records_path) or []:
            try:
                if isinstance(item, dict) and created_at(item) < start:
                    return True
            except (KeyError, ValueError):
                continue
        return False


TIKTOK_LIFECYCLE = sdk.TokenLifecycle(
    authorize_url="https://www.tiktok.com/v2/auth/authorize/",
    token_url="https://business-api.tiktok.com/open_api/v1.3/tt_user/oauth2/token/",
    refresh_url="https://business-api.tiktok.com/open_api/v1.3/tt_user/oauth2/refresh_token/",
    scopes=("user.info.basic", "user.info.stats", "user.insights", "video.list", "video.insights"),
    scope_separator=",",
    client_auth="json",
    client_id_param="client_key",
    code_param="auth_code",
    # the answer carries a refresh token each time: it is kept whether or not it changed
    rotates_refresh_token=True,
    access_lifetime=dt.timedelta(hours=24),
    refresh_lifetime=dt.timedelta(days=365),
    envelope=True,
)


NETWORK = sdk.NetworkSpec(
    name="tiktok",
    title="TikTok",
    client_class=TikTokClient,
    streams=(BusinessProfile, Videos),
    token_lifecycle=TIKTOK_LIFECYCLE,
    account_id_pattern=r"[A-Za-z0-9_-]{30,64}",
    account_id_help=(
        "the business account's open_id as TikTok returns it (30 to 64 letters, digits, "
        "- or _, e.g. -000AbCd...)"
    ),
    defaults={
        "connection_id": "social_tiktok",
        # The only version serving the organic business/* endpoints; it is part of the path.
        "api_version": "v1.3",
        # TikTok's profile metrics are dated in UTC days.
        "timezone": "UTC",
        # A day is first reported ~6 h after UTC midnight and revised for ~48 h: three days of
        # lookback let the revisions settle. Must stay under the 60-day profile history.
        "lookback_days": 3,
        # Video counters keep growing for weeks; 28 days of re-reads is ~3 pages of 20 a run.
        "post_lookback_days": 28,
        # TikTok publishes no rate-limit headers; two accounts at a time stay well inside it.
        "pool_slots": 2,
        # business/video/list caps max_count at 20 (more is error 40002); the client clamps too.
        "page_size": 20,
        # Daily run at 12:00 UTC, data ~6 h after midnight: a day old plus a missed run's slack.
        "freshness_sla_hours": 36,
        # Yesterday (UTC) is already available at the 12:00 UTC run.
        "data_lag_days": 0,
        "extra": {
            # Client-side pacing per running load (no usage headers to react to); the pool size
            # multiplies it. 0 disables pacing.
            "max_requests_per_minute": 600,
        },
    },
)
