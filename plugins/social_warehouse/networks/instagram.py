"""Instagram Business accounts on the Graph API (Facebook Login variant, `graph.facebook.com`):
the account object (followers total), account insights per day in the two request shapes
Instagram demands, the media list (newest first, cursor paging, stopped once it reaches posts
older than the post window) and lifetime media insights, 50 media per call, each media type
asked only the metrics it reports (types that report the same metrics share calls).

Instagram quirks this module absorbs:
- `period=day` series (reach, follower_count) take at most 30 days (2,592,000 s) per call;
  follower_count only exists for the last 30 days, so older days load without it, with a warning.
- views, likes, profile_views... only exist as `metric_type=total_value`: one total over
  since..until, so they are asked one day per call to get daily values.
- media insights metrics depend on the media type: one incompatible metric fails the whole
  batch with `(#100) Incompatible metric (...) with the media`.
- media posted before the account became a business account has no insights (subcode 2108006).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any, ClassVar

from social_warehouse import metric_registry
from social_warehouse.connector import sdk
from social_warehouse.networks._graph import META_LIFECYCLE, GraphClient, IdsBatchStream

# Account metrics that only exist as a window total (`metric_type=total_value`). Anything else
# the registry names is asked as a `period=day` series; a metric Meta moves to total_value is
# learned from its #100 answer (see AccountInsights._series_call).
TOTAL_VALUE_METRICS = frozenset(
    {
        "views",
        "profile_views",
        "accounts_engaged",
        "total_interactions",
        "likes",
        "comments",
        "shares",
        "saves",
        "replies",
        "website_clicks",
        "profile_links_taps",
    }
)
# Series metrics Instagram serves for the last 30 days only.
HISTORY_LIMITED = frozenset({"follower_count"})

# Lifetime media metrics each media type reports (Meta's insights reference, checked against
# "Incompatible metric" answers). Feed images and carousels take likes and comments from the
# media object's like_count / comments_count instead. A type missing here gets every metric
# and loses the incompatible ones by bisection.
_FEED = frozenset({"views", "reach", "saved", "total_interactions"})
_VIDEO = frozenset({"views", "reach", "saved", "shares", "likes", "comments", "total_interactions"})
METRICS_BY_KIND: dict[str, frozenset[str]] = {
    "IMAGE": _FEED,
    "CAROUSEL_ALBUM": _FEED,
    "REELS": _VIDEO,
    "VIDEO": _VIDEO,
    "STORY": frozenset({"views", "reach", "shares", "replies", "navigation"}),
}
UNKNOWN_KIND = "UNKNOWN"

_TOTAL_VALUE_NEEDED = re.compile(
    r"metrics? \(([a-z0-9_, ]+)\) should be specified with parameter metric_type=total_value"
)
_HISTORY_LIMIT = re.compile(r"only supports querying data for the last \d+ days")
PRE_CONVERSION_SUBCODE = 2108006
MAX_LIMIT = 100  # the Graph API's largest page on the media edge
PERMISSION_CODES = {10, *range(200, 300)}


class MediaInsightsUnavailableError(sdk.ApiError):
    """Instagram keeps no insights for media posted before the account was converted to a
    business account (subcode 2108006): that media is skipped, the others load."""


class InstagramClient(GraphClient):
    network = "instagram"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # metrics Meta answered must be asked with metric_type=total_value, learned this run
        self.total_value_learned: set[str] = set()

    def classify_error(self, response: sdk.Response) -> sdk.ApiError | None:
        error = super().classify_error(response)
        if error is None or type(error) is not sdk.ApiError:
            return error
        body = response.body.get("error") if isinstance(response.body, dict) else None
        details = body if isinstance(body, dict) else {}
        common = {"status": error.status, "code": error.code, "url": error.url}
        if details.get("error_subcode") == PRE_CONVERSION_SUBCODE:
            title = details.get("error_user_title") or "Media posted before business conversion"
            return MediaInsightsUnavailableError(self.network, str(title), **common)
        conn = self.conn.conn_id
        if error.code in PERMISSION_CODES:
            error.hint = (
                f"The token in Airflow connection {conn!r} lacks a permission: it needs "
                "instagram_basic, instagram_manage_insights, pages_show_list and "
                "pages_read_engagement. Grant them, renew the token, then rerun"
            )
        elif details.get("error_subcode") == 33:
            error.hint = (
                "Check the account id in config/accounts.yml: it must be the Instagram business "
                "account id (17841...), not the Facebook Page id, and the token in "
                f"{conn!r} must have access to it"
            )
        elif "between since and until" in error.api_message:
            error.hint = (
                "Lower extra.insights_window_days for instagram in config/networks.yml "
                "(Instagram accepts at most 30 days per insights call)"
            )
        return error


def _unix(instant: dt.datetime) -> int:
    return int(instant.timestamp())


def insight_value(metric: dict[str, Any]) -> Any:
    """The number an insights metric object carries, in either shape: `total_value.value`
    (metric_type=total_value) or the first `values` entry (day series, lifetime media metrics).
    Reading a total_value object as a `values` list finds nothing, which other connectors
    turned into zeros."""
    total = metric.get("total_value")
    if isinstance(total, dict):
        return total.get("value")
    values = metric.get("values")
    if isinstance(values, list) and values and isinstance(values[0], dict):
        return values[0].get("value")
    return None


def total_value_needed(message: str) -> list[str]:
    """Metric names an error says must be asked with metric_type=total_value."""
    match = _TOTAL_VALUE_NEEDED.search(message)
    return [m.strip() for m in match.group(1).split(",") if m.strip()] if match else []


def is_history_limit(message: str) -> bool:
    """The error for follower_count days older than the 30 days Instagram keeps."""
    return bool(_HISTORY_LIMIT.search(message))


def window_chunks(days: list[dt.date], tz: str, max_seconds: int) -> list[list[dt.date]]:
    """Consecutive days cut so that since..until (local midnights) never spans more than
    `max_seconds`: 30 local days across a DST change are 30 days and an hour, which the API
    rejects."""
    chunks: list[list[dt.date]] = []
    for day in days:
        if chunks:
            current = chunks[-1]
            span = sdk.day_start(day + dt.timedelta(days=1), tz) - sdk.day_start(current[0], tz)
            if span.total_seconds() <= max_seconds:
                current.append(day)
                continue
        chunks.append([day])
    return chunks


def media_kind(item: dict[str, Any]) -> str:
    """REELS and STORY by product type (a reel's media_type is VIDEO), else the media type."""
    product = item.get("media_product_type")
    if product in ("REELS", "STORY"):
        return str(product)
    return str(item.get("media_type") or UNKNOWN_KIND)


def metrics_for_kind(kind: str, metrics: list[str]) -> list[str]:
    supported = METRICS_BY_KIND.get(kind)
    return [m for m in metrics if supported is None or m in supported]


class Account(sdk.Stream):
    """`GET /{ig-user-id}?fields=...`: the account object, one record per load; its
    followers_count is the total at the end of the last closed day."""

    name = "account"
    kind = sdk.StreamKind.ACCOUNT_SNAPSHOT
    path = "{version}/{account_id}"
    fields = ("id", "username", "name", "followers_count", "follows_count", "media_count")
    contract = {"id": str, "followers_count": int}

    def params(self) -> dict[str, Any]:
        return {"fields": ",".join(self.fields)}

    @classmethod
    def parse(cls, body: Any, ctx: sdk.LoadContext) -> sdk.ParseResult:
        result = sdk.ParseResult()
        violation = sdk.contract_violation(body, cls.contract)
        if violation:
            result.rejects.append(sdk.Reject(violation, body))
        elif str(body["id"]) != ctx.account_id:
            result.rejects.append(
                sdk.Reject(f"answer is for account {body['id']}, not {ctx.account_id}", body)
            )
        else:
            result.records.append(sdk.Record(str(body["id"]), ctx.day, body))
        return result


class AccountInsights(sdk.Stream[InstagramClient]):
    """`GET /{ig-user-id}/insights`: one record per metric and day. Series metrics come in
    windows of at most 30 days and are cut into one record per day (the metric object with
    `values` reduced to that day's entry); total_value metrics are asked one day per call and
    each metric object is kept as it came."""

    name = "account_insights"
    kind = sdk.StreamKind.ACCOUNT_DAILY
    path = "{version}/{account_id}/insights"
    key = ("name", "day")
    contract = {"name": str, "period": str}
    metric_source = "account_insights"
    total_value_metrics: ClassVar[frozenset[str]] = TOTAL_VALUE_METRICS
    history_limited: ClassVar[frozenset[str]] = HISTORY_LIMITED

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.unserved: dict[str, list[dt.date]] = {}  # history-limited metric -> days skipped

    def _is_total(self, metric: str) -> bool:
        return metric in self.total_value_metrics or metric in self.client.total_value_learned

    def _request(self, days: list[dt.date], *, total: bool = False) -> sdk.Request:
        tz = self.ctx.settings.timezone
        params: dict[str, Any] = {
            "period": "day",
            "since": _unix(sdk.day_start(days[0], tz)),
            "until": _unix(sdk.day_start(days[-1] + dt.timedelta(days=1), tz)),
        }
        if total:
            params["metric_type"] = "total_value"
        return sdk.Request("GET", self.resolved_path(), params)

    def requests(self) -> Iterator[sdk.Request]:
        """The series windows first, then one total_value call per day: a metric Meta moves
        to total_value during the series calls is asked with the totals."""
        days = self.window.days()
        max_seconds = int(self.ctx.settings.extra.get("insights_window_days", 30)) * 86400
        for chunk in window_chunks(days, self.ctx.settings.timezone, max_seconds):
            yield self._request(chunk)
        for day in days:
            yield self._request([day], total=True)

    def metrics(self, request: sdk.Request) -> list[str] | None:
        names = super().metrics(request) or []
        total = request.params.get("metric_type") == "total_value"
        return [m for m in names if self._is_total(m) == total]

    def parse_answer(self, request: sdk.Request, body: Any) -> sdk.ParseResult:
        if request.params.get("metric_type") != "total_value":
            return self.parse(body, self.ctx)
        since = dt.datetime.fromtimestamp(int(request.params["since"]), dt.UTC)
        return self.parse(body, self.ctx, day=sdk.local_day(since, self.ctx.settings.timezone))

    def read(self, request: sdk.Request) -> Iterator[Any]:
        if request.params.get("metric_type") == "total_value":
            return self.pages(request)
        return iter(self._series_call(request))

    def _series_call(self, request: sdk.Request) -> list[Any]:
        """One series call; survives the two #100 answers that are not about a bad metric: a
        metric that must be asked as total_value (moved there), and follower_count days older
        than Instagram keeps (the older days are left out)."""
        names = [n for n in request.params["metric"].split(",") if n and not self._is_total(n)]
        if not names:
            return []
        try:
            return list(self.pages(self.with_metrics(request, names)))
        except sdk.InvalidMetricError as exc:
            needs_total = [n for n in total_value_needed(exc.api_message) if n in names]
            if needs_total:
                self.client.total_value_learned.update(needs_total)
                self.ctx.warn(
                    f"{', '.join(needs_total)} must be asked with metric_type=total_value "
                    f"({exc.api_message}); now asked one day per call. Add them to "
                    "TOTAL_VALUE_METRICS in plugins/social_warehouse/networks/instagram.py"
                )
                return self._series_call(request)
            limited = [n for n in names if n in self.history_limited]
            if not (limited and is_history_limit(exc.api_message)):
                raise
            rest = [n for n in names if n not in self.history_limited]
            bodies = self._recent_days(request, limited)
            return bodies + (self._series_call(self.with_metrics(request, rest)) if rest else [])

    def _recent_days(self, request: sdk.Request, names: list[str]) -> list[Any]:
        """The newest days of the request's window the history-limited metrics are still
        served for: the limit is a date, so binary search the oldest day that answers (~5 calls
        for 30 days)."""
        tz = self.ctx.settings.timezone
        first = sdk.local_day(dt.datetime.fromtimestamp(int(request.params["since"]), dt.UTC), tz)
        last = sdk.local_day(dt.datetime.fromtimestamp(int(request.params["until"]), dt.UTC), tz)
        chunk = sdk.Window(first, last - dt.timedelta(days=1)).days()
        failed, served, body = 0, len(chunk), None  # chunk[0:] failed; chunk[len:] is empty
        while served - failed > 1:
            middle = (failed + served) // 2
            try:
                answer = self.client.get(
                    request.url,
                    {**self._request(chunk[middle:]).params, "metric": ",".join(names)},
                )
            except sdk.InvalidMetricError as exc:
                if not is_history_limit(exc.api_message):
                    raise
                failed = middle
            else:
                served, body = middle, answer
        for name in names:
            self.unserved.setdefault(name, []).extend(chunk[:served])
        return [body] if body is not None else []

    def after_collect(self, result: sdk.ParseResult) -> None:
        metrics = metric_registry.metrics(self.ctx.network, self.name, self.ctx.day)
        dropped = self.dropped_metrics(sdk.Request("GET", ""))
        limited = [m for m in metrics if m in self.history_limited and m not in dropped]
        served = sdk.ParseResult([r for r in result.records if "values" in r.payload])
        self._warn_unserved(served, limited)

    def _warn_unserved(self, served: sdk.ParseResult, limited: list[str]) -> None:
        """Warn about history-limited metrics that did not come back for days other series
        metrics have: refused as too old, or silently empty (accounts under 100 followers)."""
        have = {(r.payload.get("name"), r.record_date) for r in served.records}
        days_served = {day for _, day in have}
        for name in limited:
            refused = sorted(self.unserved.get(name, []))
            if refused:
                self.ctx.warn(
                    f"{name} is only served for the last 30 days: {refused[0]}..{refused[-1]} "
                    f"loaded without it. Those days keep the {name} values earlier loads saved; "
                    "schedule loads daily so none is lost"
                )
            empty = sorted(d for d in days_served if (name, d) not in have and d not in refused)
            if empty:
                self.ctx.warn(
                    f"{name} came back empty for {empty[0]}..{empty[-1]} while other metrics "
                    "have values: Instagram leaves it out for accounts under 100 followers"
                )

    @classmethod
    def parse(cls, body: Any, ctx: sdk.LoadContext, day: dt.date | None = None) -> sdk.ParseResult:
        """Both answer shapes: series objects (`values` with `end_time`) become one record per
        day; total_value objects (no date inside) are records of `day`, the day they were asked
        for."""
        result = sdk.ParseResult()
        data = result.expect(body, "data", list, "no 'data' list in the insights answer")
        if data is None:
            return result
        for metric in data:
            violation = sdk.contract_violation(metric, cls.contract)
            if violation:
                result.rejects.append(sdk.Reject(violation, metric))
            elif "total_value" in metric:
                result.extend(cls._parse_total(metric, day))
            elif isinstance(metric.get("values"), list):
                result.extend(cls._parse_series(metric, ctx))
            else:
                result.rejects.append(
                    sdk.Reject(f"{metric['name']}: neither 'values' nor 'total_value'", metric)
                )
        return result

    @staticmethod
    def _parse_total(metric: dict[str, Any], day: dt.date | None) -> sdk.ParseResult:
        result = sdk.ParseResult()
        name = metric["name"]
        if day is None:
            result.rejects.append(sdk.Reject(f"{name}: total_value without the day asked", metric))
        elif not _is_number(insight_value(metric)):
            problem = sdk.contract_violation(metric, {"total_value.value": (int, float)})
            result.rejects.append(sdk.Reject(f"{name}: {problem}", metric))
        else:
            result.records.append(sdk.Record(f"{name}|{day}", day, metric))
        return result

    @staticmethod
    def _parse_series(metric: dict[str, Any], ctx: sdk.LoadContext) -> sdk.ParseResult:
        result = sdk.ParseResult()
        name = metric["name"]
        head = {k: v for k, v in metric.items() if k != "values"}
        for entry in metric["values"]:
            one = {**head, "values": [entry]}
            problem = sdk.contract_violation(entry, {"end_time": str, "value": (int, float)})
            if problem:
                result.rejects.append(sdk.Reject(f"{name}: {problem}", one))
                continue
            try:
                end = sdk.parse_instant(entry["end_time"])
            except ValueError:
                result.rejects.append(sdk.Reject(f"{name}: unreadable end_time", one))
                continue
            # end_time is the end of the day: Pacific midnight in UTC
            day = sdk.local_day(end, ctx.settings.timezone) - dt.timedelta(days=1)
            result.records.append(sdk.Record(f"{name}|{day}", day, one))
        return result


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


class Media(sdk.Stream[InstagramClient]):
    """`GET /{ig-user-id}/media`: media newest first with their like and comment counts. The
    edge has no date filter, so paging stops at the first page that reaches media older than
    the post window, and media outside the window are left out."""

    name = "media"
    kind = sdk.StreamKind.POSTS
    path = "{version}/{account_id}/media"
    fields = (
        "id",
        "caption",
        "media_type",
        "media_product_type",
        "timestamp",
        "permalink",
        "like_count",
        "comments_count",
    )
    contract = {"id": str, "timestamp": str, "media_type": str}
    paginator = sdk.NextUrlPaginator()

    def params(self) -> dict[str, Any]:
        return {
            "fields": ",".join(self.fields),
            "limit": min(self.ctx.settings.page_size, MAX_LIMIT),
        }

    @classmethod
    def record_date(cls, item: dict[str, Any], ctx: sdk.LoadContext) -> dt.date:
        return sdk.local_day(sdk.parse_instant(item["timestamp"]), ctx.settings.timezone)

    @classmethod
    def parse(cls, body: Any, ctx: sdk.LoadContext) -> sdk.ParseResult:
        result = super().parse(body, ctx)
        result.records = [r for r in result.records if r.record_date in ctx.posts_window]
        return result

    def stop_paging(self, body: Any) -> bool:
        return reached_older_media(body, self.ctx)


def reached_older_media(body: Any, ctx: sdk.LoadContext) -> bool:
    """True when this page holds media published before the post window: the list is newest
    first, so every later page is older still."""
    start = sdk.day_start(ctx.posts_window.start, ctx.settings.timezone)
    items = sdk.dig(body, "data")
    for item in items if isinstance(items, list) else []:
        stamp = item.get("timestamp") if isinstance(item, dict) else None
        try:
            if isinstance(stamp, str) and sdk.parse_instant(stamp) < start:
                return True
        except ValueError:
            continue
    return False


class MediaInsights(IdsBatchStream[InstagramClient]):
    """Lifetime insights of the media the media stream kept: `GET /?ids=a,b,...&fields=
    insights.metric(...)`, at most 50 media per call. Each media type is asked only the metrics
    it reports, and types that take the same list share batches (feed images and carousels):
    one call per 50 media of a metric list, not per type. One record per media."""

    name = "media_insights"
    parent = Media
    metric_source = "media_insights"
    object_name = "media"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.unavailable: set[str] = set()
        self.kinds = {r.key: media_kind(r.payload) for r in self.parent_records()}

    def _kind_metrics(self, kind: str) -> tuple[str, ...]:
        """What this run asks media of `kind`: the registry's metrics the type reports, less the
        ones the API refused for the type earlier in the run."""
        asked = metrics_for_kind(kind, super().metrics(sdk.Request("GET", "")) or [])
        dropped = self.client.dropped_metrics.get(f"{self.name}:{kind}", set())
        return tuple(m for m in asked if m not in dropped)

    def batches(self) -> Iterator[list[str]]:
        per_call = min(int(self.ctx.settings.extra.get("media_ids_per_call", 50)), 50)
        groups: dict[tuple[str, ...], list[str]] = {}
        for media_id in self.parent_keys():
            kind = self.kinds.get(media_id, UNKNOWN_KIND)
            # a type the table does not know is bisected on its own, never mixed with others
            group = self._kind_metrics(kind) if kind in METRICS_BY_KIND else ("?", kind)
            groups.setdefault(group, []).append(media_id)
        for ids in groups.values():
            for start in range(0, len(ids), per_call):
                yield ids[start : start + per_call]

    def _ids(self, request: sdk.Request) -> list[str]:
        return [i for i in str(request.params["ids"]).split(",") if i]

    def _kind(self, request: sdk.Request) -> str:
        return self.kinds.get(self._ids(request)[0], UNKNOWN_KIND)

    def metrics(self, request: sdk.Request) -> list[str] | None:
        return metrics_for_kind(self._kind(request), super().metrics(request) or [])

    def dropped_metrics(self, request: sdk.Request) -> set[str]:
        return self.client.dropped_metrics.setdefault(f"{self.name}:{self._kind(request)}", set())

    def metric_label(self, request: sdk.Request) -> str:
        return f"metric for {self._kind(request)} media"

    def fetch_request(self, request: sdk.Request) -> Iterator[sdk.ParseResult]:
        """A batch of one media type goes through the usual metric bisection. A batch mixing
        types (their metric lists are the same) is asked once; when Meta refuses a metric for
        one of the types only, the batch is asked again type by type, so the metric is dropped
        for that type alone, as a batch per type would have."""
        by_kind: dict[str, list[str]] = {}
        for media_id in self._ids(request):
            by_kind.setdefault(self.kinds.get(media_id, UNKNOWN_KIND), []).append(media_id)
        if len(by_kind) == 1:
            yield from super().fetch_request(request)
            return
        wanted = self._kind_metrics(self._kind(request))
        if not wanted:
            return
        try:
            result = self._gathered(self.with_metrics(request, list(wanted)))
        except sdk.InvalidMetricError:
            for ids in by_kind.values():
                one = sdk.Request(
                    request.method, request.url, {**request.params, "ids": ",".join(ids)}
                )
                yield from super().fetch_request(one)
            return
        yield result

    def expected_records(self) -> int | None:
        return len(set(self.parent_keys()) - self.unavailable)

    def read(self, request: sdk.Request) -> Iterator[Any]:
        """Media without insights (posted before the business conversion) fail the whole batch,
        so halve it until the culprit stands alone and skip it."""
        ids = [i for i in str(request.params["ids"]).split(",") if i not in self.unavailable]
        if not ids:
            return
        one = sdk.Request(request.method, request.url, {**request.params, "ids": ",".join(ids)})
        try:
            answers = list(self.pages(one))
        except MediaInsightsUnavailableError as exc:
            if len(ids) == 1:
                self.unavailable.add(ids[0])
                self.ctx.warn(
                    f"media {ids[0]} has no insights ({exc.api_message}): it was posted before "
                    "the account became a business account; its lifetime metrics are skipped"
                )
                return
            middle = len(ids) // 2
            for half in (ids[:middle], ids[middle:]):
                yield from self.read(
                    sdk.Request(
                        request.method, request.url, {**request.params, "ids": ",".join(half)}
                    )
                )
            return
        yield from answers


NETWORK = sdk.NetworkSpec(
    name="instagram",
    title="Instagram",
    client_class=InstagramClient,
    streams=(Account, AccountInsights, Media, MediaInsights),
    token_lifecycle=META_LIFECYCLE,
    account_id_pattern=r"\d{5,20}",
    account_id_help=(
        "the numeric Instagram business account id (digits only, e.g. 17841400000000001), "
        "not the @username"
    ),
    defaults={
        "connection_id": "social_instagram",
        # v22+ is where views replaced impressions/plays; v25 is what facebook_pages uses, so
        # one Meta app upgrade moves both networks together.
        "api_version": "v25.0",
        # Meta reports Instagram account days in Pacific time (end_time at Pacific midnight).
        "timezone": "America/Los_Angeles",
        # Day metrics are revised for about 48 h after the day closes: re-reading the last 3
        # days lets the revisions settle. Costs 1 series call + 3 total_value calls per load.
        "lookback_days": 3,
        # Reels keep gaining views for weeks; 28 days of lifetime snapshots cover the growth
        # that matters and keep the media list to one or two pages thanks to the early stop.
        "post_lookback_days": 28,
        # Instagram BUC allows ~4800 calls x impressions per 24 h per account; two accounts at
        # once stay far below it and leave room for facebook_pages on the same Meta app.
        "pool_slots": 2,
        # The media edge's maximum page (Graph API limit <= 100): 28 days of media fit in one
        # page for most accounts, and the early stop ends the listing there.
        "page_size": 100,
        # Daily loads; a day late is a warning, like the other Meta network.
        "freshness_sla_hours": 36,
        # A day is served as soon as it closes in Pacific time (then revised).
        "data_lag_days": 0,
        "extra": {
            # Instagram's cap on since..until for insights (2,592,000 s); lower it if Meta does.
            "insights_window_days": 30,
            # ?ids= accepts at most 50 objects per call.
            "media_ids_per_call": 50,
        },
    },
)
