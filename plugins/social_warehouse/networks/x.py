"""X (API v2): the user object (followers) and the user timeline, whose tweets carry their own
lifetime metrics, so one timeline read per day is both the posts stream and the post metrics
snapshot.

What the client copes with:
- paging by `meta.next_token` sent back as `pagination_token`; an empty timeline has no `data`;
- private metrics (`non_public_metrics`, `organic_metrics`) exist only for posts under 30 days old
  and only for a user-context token: other tweets come without them plus one `errors` entry per
  refused field, still HTTP 200. Those tweets load with their public metrics and the gaps become
  warnings on the load, never rejects or failures;
- rate limits: `x-rate-limit-*` on every answer; 429 carries no Retry-After, so the client sleeps
  until `x-rate-limit-reset` (plus a margin), and pauses the same way after a success that left
  `x-rate-limit-remaining` at 0. The monthly usage cap is a 429 too, but waiting cannot help;
- an unknown user id is HTTP 200 with an `errors` array and no `data`."""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections import Counter
from typing import Any

from social_warehouse.connector import sdk

log = logging.getLogger(__name__)

PRIVATE_METRICS_DAYS = 30  # X serves non-public and organic metrics for 30 days after posting
PRIVATE_OBJECTS = ("non_public_metrics", "organic_metrics")
METRIC_OBJECTS = ("public_metrics", *PRIVATE_OBJECTS)
FIELD_AUTH_TYPE = "https://api.twitter.com/2/problems/not-authorized-for-field"
NOT_FOUND_TYPE = "https://api.twitter.com/2/problems/resource-not-found"
USAGE_CAP_TYPE = "https://api.twitter.com/2/problems/usage-capped"
MIN_PAGE, MAX_PAGE = 5, 100
SAMPLE_IDS = 5


def _header(headers: dict[str, str], name: str) -> str | None:
    return next((v for k, v in headers.items() if k.lower() == name), None)


def _problems(body: Any) -> list[dict[str, Any]]:
    errors = body.get("errors") if isinstance(body, dict) else None
    return [e for e in errors if isinstance(e, dict)] if isinstance(errors, list) else []


def _describe(problem: dict[str, Any]) -> str:
    return str(problem.get("detail") or problem.get("message") or problem.get("title") or problem)


class XClient(sdk.ApiClient):
    network = "x"

    @property
    def margin(self) -> float:
        """Seconds added to `x-rate-limit-reset`: our clock and X's are never exactly equal."""
        return float(self.settings.extra.get("rate_limit_margin_seconds", 1.0))

    def until_reset(self, response: sdk.Response) -> float | None:
        """Seconds until the rate-limit window named by `x-rate-limit-reset` reopens."""
        reset = _header(response.headers, "x-rate-limit-reset")
        try:
            return max(float(reset) - time.time(), 0.0) + self.margin if reset else None
        except ValueError:
            return None

    def classify_error(self, response: sdk.Response) -> sdk.ApiError | None:
        body: Any = response.body
        problems = _problems(body)
        common: dict[str, Any] = {"status": response.status, "url": response.url}
        if response.status == 401:
            return self.auth_error(
                "token rejected (HTTP 401 Unauthorized): it expired or was revoked. X OAuth 2.0 "
                "user tokens live 2 hours unless refreshed (scope offline.access)",
                **common,
            )
        if response.status == 403:
            return self.auth_error(f"access refused (HTTP 403): {self._summary(body)}", **common)
        if response.status == 429:
            if isinstance(body, dict) and body.get("type") == USAGE_CAP_TYPE:
                return sdk.QuotaExceededError(
                    self.network,
                    f"{body.get('detail', 'usage cap exceeded')} ({body.get('period')} cap)",
                    hint=(
                        "X stops reading posts until the cap period restarts: waiting for the "
                        "15-minute window will not help. Lower post_lookback_days for x in "
                        "config/networks.yml or upgrade the X API plan, then rerun"
                    ),
                    **common,
                )
            return sdk.RateLimitError(
                self.network,
                f"rate limited: {self._summary(body)}",
                retry_after=self.until_reset(response),
                **common,
            )
        if response.status >= 500:
            return sdk.TransientApiError(self.network, self._summary(body), **common)
        if response.status >= 400:
            return sdk.ApiError(
                self.network,
                f"invalid request: {self._summary(body)}",
                hint="check api_version and page_size (5..100) for x in config/networks.yml",
                **common,
            )
        if isinstance(body, dict) and "data" not in body and problems:
            return self._problem_without_data(problems, common)
        return None

    def _problem_without_data(
        self, problems: list[dict[str, Any]], common: dict[str, Any]
    ) -> sdk.ApiError | None:
        """HTTP 200 with only `errors`: an unknown user is a configuration error; tweets a
        lookup could not find are an empty answer, not a failure."""
        for problem in problems:
            if problem.get("type") == NOT_FOUND_TYPE and problem.get("resource_type") == "user":
                account = problem.get("resource_id") or problem.get("value")
                return sdk.ApiError(
                    self.network,
                    f"X user {account} not found: {_describe(problem)}",
                    hint=(
                        f"check the x account id {account} in config/accounts.yml: it must be "
                        "the numeric user id (not the @handle) of an active account"
                    ),
                    **common,
                )
        if all(p.get("type") == NOT_FOUND_TYPE for p in problems):
            return None
        return sdk.ApiError(self.network, "; ".join(_describe(p) for p in problems[:3]), **common)

    @staticmethod
    def _summary(body: Any) -> str:
        if isinstance(body, dict):
            problems = _problems(body)
            if problems:
                return "; ".join(_describe(p) for p in problems[:3])
            return str(body.get("detail") or body.get("title") or body)[:300]
        return str(body)[:300]

    def proactive_wait(self, response: sdk.Response) -> float:
        if _header(response.headers, "x-rate-limit-remaining") != "0":
            return 0.0
        wait = self.until_reset(response)
        return wait if wait is not None else self.settings.backoff_seconds


class Users(sdk.Stream[XClient]):
    """`GET /2/users/:id?user.fields=public_metrics,...`: the account object as of the load,
    one record per load day (followers_count is a total, not a daily flow)."""

    name = "users"
    kind = sdk.StreamKind.ACCOUNT_SNAPSHOT
    records_kind = dict  # GET /2/users/:id answers one user object at `data`
    path = "{version}/users/{account_id}"
    fields = ("public_metrics", "created_at", "username", "name")
    contract = {"id": str, "public_metrics": dict, "public_metrics.followers_count": int}

    def params(self) -> dict[str, Any]:
        return {"user.fields": ",".join(self.fields)}

    @classmethod
    def parse_records(cls, data: Any, ctx: sdk.LoadContext, result: sdk.ParseResult) -> None:
        violation = sdk.contract_violation(data, cls.contract)
        if violation:
            result.rejects.append(sdk.Reject(violation, data))
        else:
            result.records.append(sdk.Record(cls.record_key(data), ctx.day, data))


def metric_problem(item: dict[str, Any]) -> str | None:
    """The first metric object or counter that is not what X documents."""
    for name in METRIC_OBJECTS:
        metrics = item.get(name)
        if metrics is None:
            continue
        counters = {f"{name}.{key}": int for key in metrics} if isinstance(metrics, dict) else {}
        violation = sdk.contract_violation(item, {name: dict, **counters})
        if violation:
            return violation
    return None


class Tweets(sdk.Stream[XClient]):
    """`GET /2/users/:id/tweets`: tweets created in the post lookback window (UTC days;
    `start_time` inclusive, `end_time` exclusive), newest first, with their lifetime public and,
    while X still serves them, private metrics. Every load keeps its own snapshot."""

    name = "tweets"
    kind = sdk.StreamKind.POSTS
    path = "{version}/users/{account_id}/tweets"
    fields = ("created_at", "public_metrics", "attachments", "entities")
    contract = {"id": str, "created_at": str, "public_metrics": dict}
    counters = ("retweet_count", "reply_count", "like_count", "quote_count")
    paginator = sdk.TokenPaginator("meta.next_token", "pagination_token")

    def tweet_fields(self) -> list[str]:
        private = bool(self.ctx.settings.extra.get("request_private_metrics", True))
        return [*self.fields, *(PRIVATE_OBJECTS if private else ())]

    def params(self) -> dict[str, Any]:
        tz = self.ctx.settings.timezone
        start = sdk.day_start(self.window.start, tz)
        end = sdk.day_start(self.window.end + dt.timedelta(days=1), tz)
        return {
            "max_results": min(max(self.ctx.settings.page_size, MIN_PAGE), MAX_PAGE),
            "tweet.fields": ",".join(self.tweet_fields()),
            "start_time": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "end_time": end.strftime("%Y-%m-%dT%H:%M:%SZ"),
        }

    @classmethod
    def record_date(cls, item: dict[str, Any], ctx: sdk.LoadContext) -> dt.date:
        return sdk.local_day(sdk.parse_instant(item["created_at"]), ctx.settings.timezone)

    @classmethod
    def parse(cls, body: Any, ctx: sdk.LoadContext) -> sdk.ParseResult:
        if isinstance(body, dict) and "data" not in body and isinstance(body.get("meta"), dict):
            return sdk.ParseResult()  # an empty timeline: meta.result_count = 0 and no data at all
        return super().parse(body, ctx)

    @classmethod
    def parse_records(cls, items: Any, ctx: sdk.LoadContext, result: sdk.ParseResult) -> None:
        checked = dict(cls.contract) | {f"public_metrics.{c}": int for c in cls.counters}
        for item in items:
            violation = sdk.contract_violation(item, checked) or (
                metric_problem(item) if isinstance(item, dict) else None
            )
            if violation:
                key = item.get("id") if isinstance(item, dict) else None
                result.rejects.append(sdk.Reject(violation, item, key=str(key) if key else None))
                continue
            try:
                result.records.append(sdk.Record(item["id"], cls.record_date(item, ctx), item))
            except ValueError as exc:
                result.rejects.append(sdk.Reject(f"unreadable record: {exc}", item, key=item["id"]))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.gaps = PrivateMetricGaps()

    def after_page(self, request: sdk.Request, body: Any, result: sdk.ParseResult) -> None:
        self.gaps.add(body, result)
        if _problems(body):
            log.info(
                "x/%s tweets: %d partial errors in an answer",
                self.ctx.account_id,
                len(_problems(body)),
            )

    def after_collect(self, result: sdk.ParseResult) -> None:
        for message in self.gaps.warnings(self.ctx, self.client.conn.conn_id):
            self.ctx.warn(message)


class PrivateMetricGaps:
    """Tallies the partial errors of the timeline pages: which loaded tweets came without their
    private metrics, and any other partial error, turned into a few warnings per load."""

    def __init__(self) -> None:
        self.refused: dict[str, set[str]] = {}
        self.created: dict[str, dt.datetime] = {}
        self.other: Counter[str] = Counter()

    def add(self, body: Any, result: sdk.ParseResult) -> None:
        for record in result.records:
            self.created[record.key] = sdk.parse_instant(record.payload["created_at"])
        for problem in _problems(body):
            if problem.get("type") == FIELD_AUTH_TYPE and problem.get("resource_type") == "tweet":
                tweet = str(problem.get("resource_id") or problem.get("value"))
                field = str(problem.get("field", "")).split(".")[0]
                self.refused.setdefault(tweet, set()).add(field)
            else:
                self.other[_describe(problem)] += 1

    def warnings(self, ctx: sdk.LoadContext, conn_id: str | None = None) -> list[str]:
        loaded = {t: f for t, f in self.refused.items() if t in self.created}
        end_of_day = sdk.day_start(ctx.day + dt.timedelta(days=1), ctx.settings.timezone)
        young_limit = dt.timedelta(days=PRIVATE_METRICS_DAYS - 1)
        young = sorted(t for t in loaded if end_of_day - self.created[t] < young_limit)
        old = sorted(t for t in loaded if t not in young)
        messages = []
        if old:
            messages.append(
                f"{len(old)} tweet(s) older than {PRIVATE_METRICS_DAYS} days came without "
                f"{'/'.join(sorted(set().union(*(loaded[t] for t in old))))} (X serves private "
                f"metrics for {PRIVATE_METRICS_DAYS} days only): loaded with their public "
                f"metrics; earlier daily snapshots keep the private history. "
                f"Tweets: {', '.join(old[:SAMPLE_IDS])}{' ...' if len(old) > SAMPLE_IDS else ''}"
            )
        if young:
            # the grant the account reads with, which is not always the network's default
            conn = conn_id or ctx.settings.connection_id
            messages.append(
                f"{len(young)} tweet(s) younger than {PRIVATE_METRICS_DAYS} days came without "
                f"private metrics (url_link_clicks, user_profile_clicks): loaded with their "
                f"public metrics. Unless this load runs more than {PRIVATE_METRICS_DAYS} days "
                f"after its day, the token in Airflow connection {conn!r} is not a user-context "
                f"token of the account owner: renew it with OAuth 2.0 user context (scopes "
                f"tweet.read users.read offline.access), or set request_private_metrics: false "
                f"for x in config/networks.yml. Tweets: {', '.join(young[:SAMPLE_IDS])}"
                f"{' ...' if len(young) > SAMPLE_IDS else ''}"
            )
        for detail, count in sorted(self.other.items()):
            messages.append(f"X reported a partial error {count} time(s): {detail}")
        return messages


X_LIFECYCLE = sdk.TokenLifecycle(
    authorize_url="https://x.com/i/oauth2/authorize",
    token_url="https://api.x.com/2/oauth2/token",
    scopes=("tweet.read", "users.read", "offline.access"),
    pkce=True,
    # confidential clients must authenticate with HTTP Basic, else unauthorized_client
    client_auth="basic",
    # every refresh answers a new pair and spends the old refresh token
    rotates_refresh_token=True,
    access_lifetime=dt.timedelta(hours=2),
)


NETWORK = sdk.NetworkSpec(
    name="x",
    title="X",
    client_class=XClient,
    # No POST_METRICS stream: the timeline returns every tweet of the post window with its
    # lifetime metrics, so a `/2/tweets?ids=` lookup would re-read the same numbers and spend
    # the same monthly post cap twice.
    streams=(Users, Tweets),
    token_lifecycle=X_LIFECYCLE,
    account_id_pattern=r"\d{1,20}",
    account_id_help=("the numeric user id (digits only), not the @handle"),
    defaults={
        "connection_id": "social_x",
        # The path prefix `/2/...`: X versions its API in the path.
        "api_version": "2",
        # X reports timestamps in UTC and has no account-level reporting day of its own.
        "timezone": "UTC",
        # No account daily stream: the users snapshot describes the load day only.
        "lookback_days": 1,
        # Private metrics live 30 days; re-reading older tweets daily only re-counts slowly
        # moving public numbers against the monthly post-read cap.
        "post_lookback_days": 30,
        # Accounts share the app's 15-minute windows: one at a time so the proactive pause
        # keeps the whole run inside them instead of racing into 429s.
        "pool_slots": 1,
        # X counts requests, not tweets: the largest page the timeline allows.
        "page_size": 100,
        # A full 15-minute window plus the reset margin must fit in one load's waiting budget.
        "max_wait_seconds": 960.0,
        # Public metrics are live; a daily schedule plus a few hours of slack.
        "freshness_sla_hours": 36,
        "data_lag_days": 0,
        "extra": {
            # Ask for non_public_metrics and organic_metrics (needs a user-context token of
            # the account owner); false for app-only Bearer tokens.
            "request_private_metrics": True,
            # Seconds added to x-rate-limit-reset before retrying (clock skew between us and X).
            "rate_limit_margin_seconds": 1.0,
        },
    },
)
