"""YouTube: channel metrics per Pacific day from the Analytics API v2 (`/v2/reports`, ~48 h late),
the channel's statistics, its uploads (the uploads playlist, 1 quota unit a page, instead of
search.list at 100) and the uploads' lifetime statistics from the Data API v3 (50 ids a call).

Both APIs share one Airflow connection, `social_youtube`: host = the Analytics base URL,
password = an OAuth access token (it lasts one hour), extra `data_api_base_url` = the Data API
base URL (default: the host, so one sandbox prefix serves both)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any
from urllib.parse import urljoin
from zoneinfo import ZoneInfo

from social_warehouse.connector import sdk

PACIFIC = "America/Los_Angeles"
MAX_REPORT_ROWS = 200  # Analytics API maxResults ceiling; above it the call fails with 400
MAX_DATA_PAGE = 50  # Data API maxResults ceiling for playlistItems
IDS_PER_CALL = 50  # videos.list accepts at most 50 ids
DAILY_QUOTA_UNITS = 10_000
QUOTA_REASONS = {"quotaExceeded", "dailyLimitExceeded"}
RATE_REASONS = {"rateLimitExceeded", "userRateLimitExceeded"}
# Playlist items of videos that were made private or deleted after upload: they keep their
# place in the uploads playlist but have no publish time and no statistics.
UNAVAILABLE_TITLES = {"Private video", "Deleted video"}


def _google_error(body: Any) -> tuple[str, str, str, str]:
    """(message, first reason, first domain, rpc status) of Google's error envelope."""
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return str(body)[:300], "", "", ""
    entries = error.get("errors") if isinstance(error.get("errors"), list) else []
    first = entries[0] if entries and isinstance(entries[0], dict) else {}
    return (
        str(error.get("message") or first.get("message") or "unknown error"),
        str(first.get("reason") or ""),
        str(first.get("domain") or ""),
        str(error.get("status") or ""),
    )


def next_quota_reset(now: dt.datetime) -> dt.datetime:
    """The Data API quota resets at midnight Pacific time."""
    today = now.astimezone(ZoneInfo(PACIFIC)).date()
    return sdk.day_start(today + dt.timedelta(days=1), PACIFIC)


class YouTubeClient(sdk.ApiClient):
    network = "youtube"
    token_note = (
        "YouTube OAuth access tokens last one hour: give the grant a refresh token "
        "(social-warehouse connect youtube) and it refreshes itself"
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        data_base = self.conn.extra.get("data_api_base_url") or self.conn.base_url
        self.data_base_url = str(data_base).rstrip("/") + "/"
        self.units_spent = 0

    def data_url(self, path: str) -> str:
        """An absolute Data API URL (the client's own base URL is the Analytics API's)."""
        return urljoin(self.data_base_url, path.lstrip("/"))

    def send(self, request: sdk.Request) -> sdk.Response:
        # Every call this connector makes costs one quota unit, answered or not.
        self.units_spent += 1
        return super().send(request)

    def classify_error(self, response: sdk.Response) -> sdk.ApiError | None:
        if response.status < 400:
            return None
        message, reason, domain, rpc = _google_error(response.body)
        common = {"status": response.status, "code": reason or rpc or None, "url": response.url}
        if response.status == 401 or reason == "authError" or rpc == "UNAUTHENTICATED":
            return self.auth_error(f"token rejected: {message}", **common)
        if reason in QUOTA_REASONS or domain == "youtube.quota":
            return self.quota_error(message, **common)
        if reason in RATE_REASONS or response.status == 429:
            return sdk.RateLimitError(self.network, message, **common)
        if response.status >= 500 or reason in ("backendError", "internalError"):
            return sdk.TransientApiError(self.network, message, **common)
        if response.status == 400 and "parameters.metrics" in message:
            return sdk.InvalidMetricError(self.network, message, **common)
        if response.status == 403:
            return sdk.ApiError(
                self.network,
                f"{reason or 'forbidden'}: {message}",
                hint=(
                    f"The token of Airflow connection {self.conn.conn_id!r} may not cover this "
                    "channel or lacks a scope: it needs yt-analytics.readonly and "
                    "youtube.readonly, granted by an owner or manager of the channel"
                ),
                **common,
            )
        if response.status == 404:
            return sdk.ApiError(
                self.network,
                f"{reason or 'notFound'}: {message}",
                hint="Check the channel id (UC + 22 characters) in config/accounts.yml",
                **common,
            )
        return sdk.ApiError(self.network, f"{reason or 'error'}: {message}", **common)

    def quota_error(self, message: str, **kwargs: Any) -> sdk.QuotaExceededError:
        resets = next_quota_reset(dt.datetime.now(dt.UTC))
        return sdk.QuotaExceededError(
            self.network,
            f"daily quota exhausted ({message})",
            resets_at=resets.isoformat(),
            hint=(
                f"The YouTube quota ({DAILY_QUOTA_UNITS:,} units a day per Google Cloud project) "
                f"resets at midnight Pacific time ({resets:%Y-%m-%d %H:%M} UTC); this load spent "
                f"{self.units_spent} unit(s). Streams already loaded stay loaded and the next "
                "run's lookback picks the rest up. If it keeps happening, ask Google for more "
                f"quota for the project behind Airflow connection {self.conn.conn_id!r}"
            ),
            **kwargs,
        )

    def proactive_wait(self, response: sdk.Response) -> float:
        """YouTube sends no usage headers to pace on, and its limit is a daily unit quota that
        waiting cannot refill: the connector keeps its calls few (1 unit each, no search.list)
        and stops cleanly on quotaExceeded instead."""
        return 0.0


# --- channel_daily ------------------------------------------------------------------------------
def _headers(body: Any) -> list[dict[str, Any]] | None:
    headers = body.get("columnHeaders") if isinstance(body, dict) else None
    if not isinstance(headers, list) or not all(
        isinstance(h, dict) and isinstance(h.get("name"), str) for h in headers
    ):
        return None
    return headers


def _row_problem(row: Any, headers: list[dict[str, Any]]) -> str | None:
    if not isinstance(row, list):
        return f"row is a {type(row).__name__}, expected an array"
    if len(row) != len(headers):
        return f"row has {len(row)} cells for {len(headers)} column headers"
    for header, cell in zip(headers, row, strict=True):
        if header.get("columnType") == "METRIC" and (
            isinstance(cell, bool) or not isinstance(cell, int | float)
        ):
            return f"metric '{header['name']}' is {cell!r}, expected a number"
    return None


class ChannelDaily(sdk.Stream[YouTubeClient]):
    """`GET /v2/reports?ids=channel==<id>&dimensions=day&metrics=...`: one record per Pacific day,
    the day's row with the column headers that name its cells. Rows stop at the last day whose
    data exists (~48 h late): the days still missing are left to the next runs' lookback."""

    name = "channel_daily"
    kind = sdk.StreamKind.ACCOUNT_DAILY
    path = "{version}/reports"
    key = ("day",)
    records_path = "rows"
    paginator = sdk.OffsetPaginator("startIndex", "maxResults", first_offset=1)

    metric_source = "channel_daily"

    def requests(self) -> Iterator[sdk.Request]:
        yield sdk.Request(
            "GET",
            self.resolved_path(),
            {
                "ids": f"channel=={self.ctx.account_id}",
                "startDate": self.window.start.isoformat(),
                "endDate": self.window.end.isoformat(),
                "dimensions": "day",
                "sort": "day",
                "maxResults": min(self.ctx.settings.page_size, MAX_REPORT_ROWS),
                "startIndex": 1,
            },
        )

    def with_metrics(self, request: sdk.Request, names: list[str]) -> sdk.Request:
        return sdk.Request("GET", request.url, {**request.params, "metrics": ",".join(names)})

    def merge_parts(self, parts: list[sdk.ParseResult]) -> sdk.ParseResult:
        return merge_metric_sets(parts)

    def after_collect(self, result: sdk.ParseResult) -> None:
        self._warn_missing_days(result)
        self._warn_short_lookback()

    def _warn_short_lookback(self) -> None:
        settings = self.ctx.settings
        if settings.lookback_days < settings.data_lag_days + 3:
            self.ctx.warn(
                f"lookback_days={settings.lookback_days} gives each YouTube day fewer than three "
                f"runs to be loaded in, with a {settings.data_lag_days}-day data lag: one failed "
                "or late run loses days for good. Set lookback_days: 5 for youtube in "
                "config/networks.yml"
            )

    def _warn_missing_days(self, result: sdk.ParseResult) -> None:
        loaded = {r.record_date for r in result.records}
        missing = [d for d in self.window.days() if d not in loaded]
        if not missing:
            return
        lag = max(self.ctx.settings.data_lag_days, 0)
        recent = [d for d in missing if d > self.ctx.day - dt.timedelta(days=lag + 1)]
        older = [d for d in missing if d not in recent]
        if recent:
            self.ctx.warn(
                f"no Analytics data yet for {_days(recent)}: YouTube lags ~48 h; the next runs' "
                "lookback will load them"
            )
        if older:
            self.ctx.warn(
                f"no Analytics data for {_days(older)}, although YouTube's usual ~48 h lag has "
                "passed: if later runs still miss them, raise lookback_days for youtube in "
                "config/networks.yml so they are re-read once YouTube serves them"
            )

    @classmethod
    def parse(cls, body: Any, ctx: sdk.LoadContext) -> sdk.ParseResult:
        """Read cells by their column header, never by position: the day is the DIMENSION
        named `day`, every METRIC must be a number. A page without `rows` has no data."""
        result = sdk.ParseResult()
        headers = _headers(body)
        if headers is None:
            result.rejects.append(sdk.Reject("no 'columnHeaders' list in the report", body))
            return result
        names = [h["name"] for h in headers]
        if "day" not in names:
            result.rejects.append(sdk.Reject("the report has no 'day' column", body))
            return result
        day_at = names.index("day")
        rows = body.get("rows", [])
        if not isinstance(rows, list):
            result.rejects.append(sdk.Reject("'rows' is not a list", body))
            return result
        for row in rows:
            payload = {"columnHeaders": headers, "row": row}
            problem = _row_problem(row, headers)
            if problem is None:
                try:
                    day = dt.date.fromisoformat(str(row[day_at]))
                except ValueError:
                    problem = f"unreadable day {row[day_at]!r}"
            if problem is not None:
                result.rejects.append(sdk.Reject(problem, payload))
                continue
            result.records.append(sdk.Record(day.isoformat(), day, payload))
        return result


def _days(days: list[dt.date]) -> str:
    return ", ".join(d.isoformat() for d in days)


def merge_metric_sets(results: list[sdk.ParseResult]) -> sdk.ParseResult:
    """After a rejected metric split the request, each day came back in several parts with
    different columns: join them into one record per day (one `day` column, every metric)."""
    if len(results) == 1:
        return results[0]
    merged = sdk.ParseResult()
    by_day: dict[str, sdk.Record] = {}
    for result in results:
        merged.rejects.extend(result.rejects)
        for record in result.records:
            known = by_day.get(record.key)
            if known is None:
                by_day[record.key] = record
                continue
            headers = list(known.payload["columnHeaders"])
            row = list(known.payload["row"])
            seen = {h["name"] for h in headers}
            for header, cell in zip(
                record.payload["columnHeaders"], record.payload["row"], strict=True
            ):
                if header["name"] not in seen:
                    headers.append(header)
                    row.append(cell)
            by_day[record.key] = sdk.Record(
                record.key, record.record_date, {"columnHeaders": headers, "row": row}
            )
    merged.records.extend(sorted(by_day.values(), key=lambda r: r.record_date))
    return merged


# --- channel ------------------------------------------------------------------------------------
def _count_problem(item: dict[str, Any], path: str) -> str | None:
    """Data API counts are strings of digits; an absent count (hidden, disabled) is allowed."""
    value = sdk.dig(item, path)
    if value is None:
        return None
    if isinstance(value, bool) or not (
        isinstance(value, int) or (isinstance(value, str) and value.isdigit())
    ):
        return f"field '{path}' is {value!r}, expected a count"
    return None


class Channel(sdk.Stream[YouTubeClient]):
    """`GET /youtube/v3/channels?part=statistics,contentDetails&id=<id>`: the channel as of the
    load (subscriber count, the uploads playlist the videos stream lists)."""

    name = "channel"
    kind = sdk.StreamKind.ACCOUNT_SNAPSHOT
    path = "youtube/v3/channels"
    records_path = "items"
    contract = {"id": str, "statistics": dict, "contentDetails.relatedPlaylists.uploads": str}
    counts = ("statistics.subscriberCount", "statistics.viewCount", "statistics.videoCount")

    def requests(self) -> Iterator[sdk.Request]:
        yield sdk.Request(
            "GET",
            self.client.data_url(self.path),
            {"part": "statistics,contentDetails", "id": self.ctx.account_id},
        )

    def after_collect(self, result: sdk.ParseResult) -> None:
        if not result.records and not result.rejects:
            raise sdk.ApiError(
                self.ctx.network,
                f"no channel {self.ctx.account_id!r} in the Data API answer",
                hint=(
                    "Check the channel id (UC + 22 characters) in config/accounts.yml and that "
                    f"the grant of connection {self.client.conn.conn_id!r} can see it"
                ),
            )

    @classmethod
    def parse(cls, body: Any, ctx: sdk.LoadContext) -> sdk.ParseResult:
        result = super().parse(body, ctx)
        return _reject_bad_counts(result, cls.counts)


def _reject_bad_counts(result: sdk.ParseResult, paths: tuple[str, ...]) -> sdk.ParseResult:
    kept = sdk.ParseResult(rejects=list(result.rejects))
    for record in result.records:
        problem = next(
            (p for p in (_count_problem(record.payload, path) for path in paths) if p), None
        )
        if problem:
            kept.rejects.append(sdk.Reject(problem, record.payload, key=record.key))
        else:
            kept.records.append(record)
    return kept


# --- videos -------------------------------------------------------------------------------------
class Videos(sdk.Stream[YouTubeClient]):
    """The channel's uploads published inside the post window, from its uploads playlist
    (`GET /youtube/v3/playlistItems?playlistId=UU...`, newest first, 1 unit a page). Paging
    stops at the first page that reaches past the window."""

    name = "videos"
    kind = sdk.StreamKind.POSTS
    path = "youtube/v3/playlistItems"
    key = ("contentDetails.videoId",)
    records_path = "items"
    parent = Channel
    contract = {
        "contentDetails.videoId": str,
        "contentDetails.videoPublishedAt": str,
        "snippet": dict,
    }
    paginator = sdk.TokenPaginator("nextPageToken", "pageToken")

    def uploads_playlist(self) -> str:
        """The playlist the channel stream found; a channel's uploads playlist is also its id
        with UC replaced by UU."""
        for record in self.parent_records():
            uploads = sdk.dig(record.payload, "contentDetails.relatedPlaylists.uploads")
            if isinstance(uploads, str) and uploads:
                return uploads
        return "UU" + self.ctx.account_id[2:]

    def requests(self) -> Iterator[sdk.Request]:
        uploads = self.uploads_playlist()
        yield sdk.Request(
            "GET",
            self.client.data_url(self.path),
            {
                "part": "contentDetails,snippet",
                "playlistId": uploads,
                "maxResults": min(self.ctx.settings.page_size, MAX_DATA_PAGE),
            },
        )

    def stop_paging(self, body: Any) -> bool:
        items = sdk.dig(body, self.records_path)
        if isinstance(items, list) and items:
            published = _published(items[-1])
            start = sdk.day_start(self.window.start, self.ctx.settings.timezone)
            # newest first: every later page is older still
            return published is not None and published < start
        return False

    @classmethod
    def parse_records(cls, items: Any, ctx: sdk.LoadContext, result: sdk.ParseResult) -> None:
        window = ctx.posts_window
        for item in items:
            if sdk.dig(item, "snippet.title") in UNAVAILABLE_TITLES:
                continue  # private or deleted since upload: nothing to measure
            violation = sdk.contract_violation(item, cls.contract)
            if violation:
                result.rejects.append(sdk.Reject(violation, item))
                continue
            published = _published(item)
            if published is None:
                result.rejects.append(
                    sdk.Reject(
                        "unreadable contentDetails.videoPublishedAt",
                        item,
                        key=item["contentDetails"]["videoId"],
                    )
                )
                continue
            day = sdk.local_day(published, ctx.settings.timezone)
            if day in window:
                result.records.append(sdk.Record(cls.record_key(item), day, item))


def _published(item: Any) -> dt.datetime | None:
    value = sdk.dig(item, "contentDetails.videoPublishedAt")
    if not isinstance(value, str):
        return None
    try:
        return sdk.parse_instant(value)
    except ValueError:
        return None


# --- video_statistics ---------------------------------------------------------------------------
class VideoStatistics(sdk.Stream[YouTubeClient]):
    """Lifetime statistics of every video the videos stream saw, 50 ids a call:
    `GET /youtube/v3/videos?part=statistics,snippet&id=a,b,...`. Counts are strings."""

    name = "video_statistics"
    kind = sdk.StreamKind.POST_METRICS
    path = "youtube/v3/videos"
    records_path = "items"
    parent = Videos
    contract = {"id": str, "statistics": dict}

    def requests(self) -> Iterator[sdk.Request]:
        ids = self.parent_keys()
        for start in range(0, len(ids), IDS_PER_CALL):
            batch = ids[start : start + IDS_PER_CALL]
            yield sdk.Request(
                "GET",
                self.client.data_url(self.path),
                {"part": "statistics,snippet", "id": ",".join(batch)},
            )

    def after_collect(self, result: sdk.ParseResult) -> None:
        wanted = set(self.parent_keys())
        answered = {r.key for r in result.records} | {r.key for r in result.rejects if r.key}
        gone = sorted(wanted - answered)
        if gone:
            self.ctx.warn(
                f"{len(gone)} video(s) listed in the uploads playlist returned no statistics "
                f"(made private or deleted since): {', '.join(gone[:10])}"
            )

    @classmethod
    def parse_records(cls, items: Any, ctx: sdk.LoadContext, result: sdk.ParseResult) -> None:
        for item in items:
            key = item.get("id") if isinstance(item, dict) else None
            violation = sdk.contract_violation(item, cls.contract)
            if violation is None:
                violation = next(
                    (
                        p
                        for p in (
                            _count_problem(item, f"statistics.{c}")
                            for c in ("viewCount", "likeCount", "commentCount")
                        )
                        if p
                    ),
                    None,
                )
            if violation:
                result.rejects.append(
                    sdk.Reject(violation, item, key=key if isinstance(key, str) else None)
                )
                continue
            result.records.append(sdk.Record(item["id"], ctx.day, item))


YOUTUBE_LIFECYCLE = sdk.TokenLifecycle(
    authorize_url="https://accounts.google.com/o/oauth2/v2/auth",
    token_url="https://oauth2.googleapis.com/token",
    scopes=(
        "https://www.googleapis.com/auth/yt-analytics.readonly",
        "https://www.googleapis.com/auth/youtube.readonly",
    ),
    pkce=True,
    client_auth="form",
    access_lifetime=dt.timedelta(hours=1),
    # offline access and a fresh consent are what make Google hand out a refresh token
    authorize_params={"access_type": "offline", "prompt": "consent"},
    note=(
        "Publish the Google OAuth consent screen to 'In production': in 'Testing' every "
        "refresh token dies 7 days after consent"
    ),
)


NETWORK = sdk.NetworkSpec(
    name="youtube",
    title="YouTube",
    client_class=YouTubeClient,
    streams=(ChannelDaily, Channel, Videos, VideoStatistics),
    token_lifecycle=YOUTUBE_LIFECYCLE,
    account_id_pattern=r"UC[A-Za-z0-9_-]{22}",
    account_id_help=("the channel id: UC followed by 22 letters, digits, - or _ (not the @handle)"),
    defaults={
        "connection_id": "social_youtube",
        # The Analytics API version in `/v2/reports`; the Data API path carries its own v3.
        "api_version": "v2",
        # YouTube Analytics days are Pacific days, and the quota resets at Pacific midnight.
        "timezone": PACIFIC,
        # Analytics data lags ~48 h: the run for day D (at D+1 12:00 UTC) gets D-2 at best.
        # Re-reading 5 days loads each day in three consecutive runs, so one failed or
        # late-data run loses nothing.
        "lookback_days": 5,
        # Video statistics keep growing for weeks; 28 days matches the other networks' post
        # history (one playlistItems page and one videos call for most channels).
        "post_lookback_days": 28,
        # The quota is per Google Cloud project and per day, not per second: two accounts at
        # once is plenty and keeps a quota stop from hitting many accounts mid-load.
        "pool_slots": 2,
        # playlistItems and videos.list take at most 50; reports take up to 200 (capped).
        "page_size": 50,
        # A daily load plus the ~48 h lag plus 12 h slack: the newest YouTube day is ~2.5
        # days old on a healthy day.
        "freshness_sla_hours": 84,
        "data_lag_days": 2,
    },
)
