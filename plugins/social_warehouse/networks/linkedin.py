"""LinkedIn organization pages (Community Management API, `https://api.linkedin.com/rest/`):
organic share statistics and follower gains per UTC day, the follower total, the page's posts,
and the posts' lifetime share statistics.

LinkedIn answers fixed statistics objects (`totalShareStatistics`, `followerGains`), so nothing is
requested by metric name: the registry only maps the fields in dbt. Its `engagement` field is a
rate, kept in raw and registered as `engagement_rate_native`, never summed into engagements."""

from __future__ import annotations

import datetime as dt
import email.utils
import re
from collections.abc import Iterator
from typing import Any, ClassVar
from urllib.parse import quote

from social_warehouse.connector import sdk

DAY_MS = 86_400_000
FOLLOWER_EDGE = "COMPANY_FOLLOWED_BY_MEMBER"
POST_KINDS = (("shares", "urn:li:share:"), ("ugcPosts", "urn:li:ugcPost:"))
MAX_COUNT = 100  # the posts finder's largest page
MAX_POST_URNS = 50  # post URNs per share statistics call
DAILY_LIMIT = re.compile(r"\bDAY limit\b", re.IGNORECASE)
RETENTION = re.compile(r"12[- ]month|retention", re.IGNORECASE)
TOKEN_CODES = {
    "EXPIRED_ACCESS_TOKEN": "access token expired (LinkedIn access tokens last 60 days)",
    "REVOKED_ACCESS_TOKEN": "access token revoked by the member who granted it",
    "INVALID_ACCESS_TOKEN": "access token invalid",
}
TOKEN_HINT = (
    " LinkedIn access tokens last 60 days and refresh tokens 365 days: exchange the refresh "
    "token at https://www.linkedin.com/oauth/v2/accessToken (grant_type=refresh_token), or have "
    "a page ADMINISTRATOR authorize the app again (scopes rw_organization_admin, "
    "r_organization_social) once the refresh token has expired too"
)


class TimeRangeError(sdk.ApiError):
    """LinkedIn refused the days asked for: they are outside its rolling 12-month window."""


def org_urn(account_id: str) -> str:
    return f"urn:li:organization:{account_id}"


def encode(urn: str) -> str:
    """A URN as a Rest.li 2.0 value: its colons percent-encoded, nothing else touched."""
    return quote(urn, safe="")


def day_ms(day: dt.date) -> int:
    """Milliseconds at 00:00 UTC: LinkedIn's DAY buckets are UTC days whatever the page's zone."""
    return int(sdk.day_start(day, "UTC").timestamp()) * 1000


def ms_day(value: int, tz: str = "UTC") -> dt.date:
    return sdk.local_day(dt.datetime.fromtimestamp(value / 1000, dt.UTC), tz)


def server_now(headers: dict[str, str]) -> dt.datetime:
    """The API's clock from the `Date` header (our own clock when it is missing or unreadable)."""
    value = next((v for k, v in headers.items() if k.lower() == "date"), None)
    try:
        parsed = email.utils.parsedate_to_datetime(value) if value else None
    except (TypeError, ValueError):
        parsed = None
    return parsed.astimezone(dt.UTC) if parsed else dt.datetime.now(dt.UTC)


def numeric_problem(item: dict[str, Any], field: str) -> str | None:
    """A statistics object must hold numbers only: a string or boolean counter would load as
    NULL or 1 and silently falsify the day."""
    values = item.get(field)
    if not isinstance(values, dict):
        return f"field '{field}' is not an object"
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, int | float):
            return f"field '{field}.{name}' is {type(value).__name__}, expected a number"
    return None


class LinkedInClient(sdk.ApiClient):
    """Bearer token plus the two headers every call needs: `LinkedIn-Version` (from
    settings.api_version, so a sunset version is a config change) and the Rest.li 2.0 protocol."""

    network = "linkedin"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.pace = 0.0  # seconds to pause after each call since LinkedIn last threw a bare 429

    def auth_headers(self) -> dict[str, str]:
        headers = {
            "Authorization": f"Bearer {self.token()}",
            "X-Restli-Protocol-Version": "2.0.0",
        }
        if self.settings.api_version:
            # YAML reads an unquoted 202609 as a number: the header wants the digits either way
            headers["LinkedIn-Version"] = str(self.settings.api_version)
        return headers

    def classify_error(self, response: sdk.Response) -> sdk.ApiError | None:
        if response.status < 400:
            return None
        body = response.body if isinstance(response.body, dict) else {}
        code = body.get("code")
        message = str(body.get("message") or response.body or "no error message")[:300]
        common: dict[str, Any] = {
            "status": response.status,
            "code": code or body.get("serviceErrorCode"),
            "url": response.url,
        }
        if response.status == 401 or code in TOKEN_CODES:
            error = self.auth_error(
                f"{TOKEN_CODES.get(str(code), 'token rejected')}: {message}", **common
            )
            error.hint = (error.hint or "") + "." + TOKEN_HINT
            return error
        if response.status == 426 or code in ("NONEXISTENT_VERSION", "VERSION_MISSING"):
            return self.version_error(message, response, common)
        if response.status == 429:
            if DAILY_LIMIT.search(message):
                return self.quota_error(message, response, common)
            # infrastructure protection: back off now and keep a slower pace for a while
            self.pace = max(self.pace * 2, self.settings.backoff_seconds)
            return sdk.RateLimitError(self.network, f"throttled (short-term): {message}", **common)
        if response.status >= 500:
            return sdk.TransientApiError(self.network, message, **common)
        if response.status == 400 and RETENTION.search(message):
            return TimeRangeError(self.network, message, **common)
        if response.status == 403:
            return sdk.ApiError(
                self.network,
                message,
                hint=(
                    "The member behind the token needs the ADMINISTRATOR role on this page and "
                    "the app the rw_organization_admin and r_organization_social scopes; check "
                    "the organization id in config/accounts.yml"
                ),
                **common,
            )
        if response.status == 404:
            return sdk.ApiError(
                self.network,
                message,
                hint="Check the organization id for linkedin in config/accounts.yml",
                **common,
            )
        return sdk.ApiError(self.network, message, **common)

    def version_error(
        self, message: str, response: sdk.Response, common: dict[str, Any]
    ) -> sdk.ApiVersionError:
        now = server_now(response.headers)
        previous = (now.replace(day=1) - dt.timedelta(days=1)).strftime("%Y%m")
        sent = self.settings.api_version or "no LinkedIn-Version header"
        return sdk.ApiVersionError(
            self.network,
            f"LinkedIn refused API version {sent}: {message}",
            hint=(
                "set api_version for linkedin in config/networks.yml to an active YYYYMM version "
                f'(LinkedIn serves about the last 12 monthly versions, e.g. "{previous}"; '
                "quote it), check the release notes for breaking changes, then rerun"
            ),
            **common,
        )

    def quota_error(
        self, message: str, response: sdk.Response, common: dict[str, Any]
    ) -> sdk.QuotaExceededError:
        now = server_now(response.headers)
        reset = dt.datetime.combine(now.date() + dt.timedelta(days=1), dt.time(0), tzinfo=dt.UTC)
        left = int((reset - now).total_seconds()) // 60
        return sdk.QuotaExceededError(
            self.network,
            f"daily limit reached: {message}",
            resets_at=reset.isoformat(),
            hint=(
                f"LinkedIn daily limits reset at 00:00 UTC: next reset {reset:%Y-%m-%d %H:%M} UTC, "
                f"in {left // 60}h{left % 60:02d}m. The load stopped instead of waiting; rerun the "
                "task after the reset. If it recurs, lower pool_slots or post_lookback_days for "
                "linkedin in config/networks.yml or ask LinkedIn for a higher limit"
            ),
            **common,
        )

    def proactive_wait(self, response: sdk.Response) -> float:
        """LinkedIn sends no usage headers, so the only early signal is a bare 429: after one,
        pause between calls, halving the pause on every success until it is negligible."""
        if self.pace <= 0:
            return 0.0
        pause = self.pace
        self.pace = pause / 2 if pause / 2 >= self.settings.backoff_seconds / 4 else 0.0
        return pause


# --- daily statistics ---------------------------------------------------------------------------
class TimeBoundStatistics(sdk.Stream[LinkedInClient]):
    """`GET /rest/<endpoint>?q=organizationalEntity&organizationalEntity=<urn>&timeIntervals=
    (timeRange:(start:<ms>,end:<ms>),timeGranularityType:DAY)`: one element per UTC day, each
    kept as one record. Days before LinkedIn's rolling 12-month window are refused (400): the
    oldest loadable day is found by bisection, the older ones skipped with a warning."""

    kind = sdk.StreamKind.ACCOUNT_DAILY
    endpoint: ClassVar[str]
    stats_field: ClassVar[str]
    records_path = "elements"
    contract: ClassVar[dict[str, Any]] = {"timeRange.start": int, "timeRange.end": int}

    def url(self, first: dt.date, last: dt.date) -> str:
        # Built by hand: Rest.li 2.0 structure characters must reach LinkedIn unencoded
        return (
            f"rest/{self.endpoint}?q=organizationalEntity"
            f"&organizationalEntity={encode(org_urn(self.ctx.account_id))}"
            f"&timeIntervals=(timeRange:(start:{day_ms(first)},"
            f"end:{day_ms(last + dt.timedelta(days=1))}),timeGranularityType:DAY)"
        )

    def requests(self) -> Iterator[sdk.Request]:
        days = self.window.days()
        yield sdk.Request("GET", self.url(days[0], days[-1]))

    def read(self, request: sdk.Request) -> Iterator[Any]:
        days = self.window.days()
        body, skipped = self.within_retention(days)
        if skipped:
            self.ctx.warn(
                f"{self.name}: {len(skipped)} day(s) {skipped[0]}..{skipped[-1]} are outside "
                "LinkedIn's rolling 12-month statistics window and were not loaded (LinkedIn "
                "keeps no older daily statistics)"
            )
        if body is not None:
            yield body

    def within_retention(self, days: list[dt.date]) -> tuple[Any, list[dt.date]]:
        """(answer for the longest loadable tail of `days`, the refused older days)."""
        try:
            return self.client.get(self.url(days[0], days[-1])), []
        except TimeRangeError:
            pass
        # The refusal depends on the start only: find the first day a request may start at.
        low, high, body = 1, len(days), None
        while low < high:
            middle = (low + high) // 2
            try:
                candidate = self.client.get(self.url(days[middle], days[-1]))
            except TimeRangeError:
                low = middle + 1
                continue
            body, high = candidate, middle
        return body, days[:low]

    @classmethod
    def parse_records(cls, items: Any, ctx: sdk.LoadContext, result: sdk.ParseResult) -> None:
        for item in result.valid(
            items, cls.contract, lambda item: numeric_problem(item, cls.stats_field)
        ):
            day = ms_day(item["timeRange"]["start"])
            result.records.append(sdk.Record(day.isoformat(), day, item))


class ShareStatistics(TimeBoundStatistics):
    """Organic share statistics per day (sponsored activity is not counted by this endpoint)."""

    name = "share_statistics"
    endpoint = "organizationalEntityShareStatistics"
    stats_field = "totalShareStatistics"


class FollowerStatistics(TimeBoundStatistics):
    """Follower gains per day, organic and paid (LinkedIn reports no unfollows)."""

    name = "follower_statistics"
    endpoint = "organizationalEntityFollowerStatistics"
    stats_field = "followerGains"


class NetworkSize(sdk.Stream[LinkedInClient]):
    """`GET /rest/networkSizes/<organization urn>?edgeType=COMPANY_FOLLOWED_BY_MEMBER`: the
    follower total now, which describes the load day (the last closed day)."""

    name = "network_size"
    kind = sdk.StreamKind.ACCOUNT_SNAPSHOT
    contract: ClassVar[dict[str, Any]] = {"firstDegreeSize": int}

    def requests(self) -> Iterator[sdk.Request]:
        path = f"rest/networkSizes/{encode(org_urn(self.ctx.account_id))}"
        yield sdk.Request("GET", path, {"edgeType": FOLLOWER_EDGE})

    @classmethod
    def parse(cls, body: Any, ctx: sdk.LoadContext) -> sdk.ParseResult:
        result = sdk.ParseResult()
        violation = sdk.contract_violation(body, cls.contract)
        if violation:
            result.rejects.append(sdk.Reject(violation, body))
        else:
            result.records.append(sdk.Record("firstDegreeSize", ctx.day, body))
        return result


# --- posts ------------------------------------------------------------------------------------
class Posts(sdk.Stream[LinkedInClient]):
    """`GET /rest/posts?author=<urn>&q=author&sortBy=LAST_MODIFIED&start=&count=`, keeping posts
    published inside the post window. The list is sorted by last modification, so an old post
    edited recently shows up early: it is skipped, not a reason to stop. Paging stops once a page
    reaches posts last modified before the window, since nothing after them can be newer."""

    name = "posts"
    kind = sdk.StreamKind.POSTS
    path = "rest/posts"
    records_path = "elements"
    contract: ClassVar[dict[str, Any]] = {"id": str, "publishedAt": int}
    paginator = sdk.OffsetPaginator(
        "start", "count", total_path="paging.total", links_path="paging.links"
    )

    def params(self) -> dict[str, Any]:
        return {
            "author": org_urn(self.ctx.account_id),
            "q": "author",
            "sortBy": "LAST_MODIFIED",
            "count": min(self.ctx.settings.page_size, MAX_COUNT),
            "start": 0,
        }

    @classmethod
    def parse_records(cls, items: Any, ctx: sdk.LoadContext, result: sdk.ParseResult) -> None:
        window = ctx.posts_window
        for item in items:
            if isinstance(item, dict) and item.get("lifecycleState", "PUBLISHED") != "PUBLISHED":
                continue  # drafts and posts still processing have no statistics yet
            violation = sdk.contract_violation(item, cls.contract)
            if violation:
                result.rejects.append(sdk.Reject(violation, item, key=_key(item)))
                continue
            day = ms_day(item["publishedAt"], ctx.settings.timezone)
            if day in window:
                result.records.append(sdk.Record(item["id"], day, item))

    def stop_paging(self, body: Any) -> bool:
        items = sdk.dig(body, "elements") or []
        modified = [i.get("lastModifiedAt") for i in items if isinstance(i, dict)]
        known = [m for m in modified if isinstance(m, int) and not isinstance(m, bool)]
        return (
            bool(known) and len(known) == len(modified) and min(known) < day_ms(self.window.start)
        )


def _key(item: Any) -> str | None:
    return str(item["id"]) if isinstance(item, dict) and item.get("id") else None


class PostStatistics(sdk.Stream[LinkedInClient]):
    """Lifetime statistics of the posts the posts stream kept: `GET
    /rest/organizationalEntityShareStatistics?q=organizationalEntity&organizationalEntity=<urn>
    &shares=List(<urn>,...)` (or `ugcPosts=List(...)`; one kind per call), a batch of posts per
    call. One record per post."""

    name = "post_statistics"
    kind = sdk.StreamKind.POST_METRICS
    parent = Posts
    records_path = "elements"
    contract: ClassVar[dict[str, Any]] = {}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.asked: dict[str, list[str]] = {}  # request URL -> the post URNs it asked about

    def batches(self) -> Iterator[tuple[str, list[str]]]:
        ids = self.parent_keys()
        size = min(
            int(self.ctx.settings.extra.get("post_stats_batch_size", MAX_POST_URNS)), MAX_POST_URNS
        )
        unknown = [i for i in ids if not i.startswith(tuple(p for _, p in POST_KINDS))]
        if unknown:
            self.ctx.warn(
                f"{self.name}: {len(unknown)} post id(s) are neither share nor ugcPost URNs and "
                f"have no statistics endpoint, e.g. {unknown[0]}"
            )
        for param, prefix in POST_KINDS:
            kind = [i for i in ids if i.startswith(prefix)]
            for start in range(0, len(kind), size):
                yield param, kind[start : start + size]

    def requests(self) -> Iterator[sdk.Request]:
        organization = encode(org_urn(self.ctx.account_id))
        for param, batch in self.batches():
            url = (
                "rest/organizationalEntityShareStatistics?q=organizationalEntity"
                f"&organizationalEntity={organization}"
                f"&{param}=List({','.join(encode(urn) for urn in batch)})"
            )
            self.asked[url] = batch
            yield sdk.Request("GET", url)

    def after_page(self, request: sdk.Request, body: Any, result: sdk.ParseResult) -> None:
        answered = {r.key for r in result.records} | {r.key for r in result.rejects}
        missing = [urn for urn in self.asked.get(request.url, []) if urn not in answered]
        if missing:
            self.ctx.warn(
                f"{self.name}: LinkedIn returned no statistics for {len(missing)} post(s), "
                f"e.g. {missing[0]}"
            )

    @classmethod
    def parse_records(cls, items: Any, ctx: sdk.LoadContext, result: sdk.ParseResult) -> None:
        for item in items:
            urn = (item.get("share") or item.get("ugcPost")) if isinstance(item, dict) else None
            if not isinstance(urn, str):
                result.rejects.append(
                    sdk.Reject("missing required field 'share' or 'ugcPost'", item)
                )
                continue
            problem = numeric_problem(item, "totalShareStatistics")
            if problem:
                result.rejects.append(sdk.Reject(problem, item, key=urn))
                continue
            result.records.append(sdk.Record(urn, ctx.day, item))


LINKEDIN_LIFECYCLE = sdk.TokenLifecycle(
    authorize_url="https://www.linkedin.com/oauth/v2/authorization",
    token_url="https://www.linkedin.com/oauth/v2/accessToken",
    scopes=("rw_organization_admin", "r_organization_social"),
    client_auth="form",
    # 60-day access tokens; the refresh token lives 365 days from the first consent and a
    # refresh does not extend it (only approved Marketing Developer Platform apps get one)
    access_lifetime=dt.timedelta(days=60),
    refresh_lifetime=dt.timedelta(days=365),
    note="LinkedIn refresh tokens end 365 days after the first consent, whatever refreshes",
)


NETWORK = sdk.NetworkSpec(
    name="linkedin",
    title="LinkedIn Pages",
    client_class=LinkedInClient,
    streams=(ShareStatistics, FollowerStatistics, NetworkSize, Posts, PostStatistics),
    token_lifecycle=LINKEDIN_LIFECYCLE,
    account_id_pattern=r"\d{1,20}",
    account_id_help=(
        "the numeric organization id (digits only, as in urn:li:organization:2414183)"
    ),
    defaults={
        "connection_id": "social_linkedin",
        # LinkedIn serves each monthly version for about a year, then answers 426: move this
        # forward (config/networks.yml) a few times a year, after reading the release notes.
        "api_version": "202609",
        # LinkedIn's statistics buckets are UTC days; posts are dated in the same zone.
        "timezone": "UTC",
        # Daily values are revised for about two days after a UTC day closes.
        "lookback_days": 3,
        # Posts collect most of their lifetime reactions within four weeks.
        "post_lookback_days": 28,
        # Daily per-application limits are shared by every page: load two pages at a time.
        "pool_slots": 2,
        # The posts finder's maximum page (count <= 100): fewest calls per listing.
        "page_size": 100,
        # One load a day after 00:00 UTC plus a few hours of delay: warn after a missed day.
        "freshness_sla_hours": 36,
        # Yesterday's UTC day is available by the scheduled run (12:00 UTC).
        "data_lag_days": 0,
        "extra": {
            # Post URNs per statistics call (List(...) of shares or ugcPosts): 50, the most
            # LinkedIn takes before refusing the request; more is cut to 50.
            "post_stats_batch_size": MAX_POST_URNS,
        },
    },
)
