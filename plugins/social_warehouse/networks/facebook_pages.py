"""Facebook Pages (Graph API): page insights per day, published posts, and the posts' lifetime
insights fetched 50 posts per call with `?ids=` and field expansion."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from social_warehouse.connector import sdk
from social_warehouse.networks._graph import META_LIFECYCLE, GraphClient, IdsBatchStream

# The API counts 90 days as 7,776,000 s: a window crossing a DST change is an hour longer, so 89.
MAX_INSIGHTS_DAYS = 89
IDS_PER_CALL = 50  # the Graph API's cap on `?ids=`
MAX_LIMIT = 100  # the Graph API's largest page on the published_posts edge


class FacebookPagesClient(GraphClient):
    network = "facebook_pages"


def _unix(instant: dt.datetime) -> int:
    return int(instant.timestamp())


class PageInsights(sdk.Stream[FacebookPagesClient]):
    """`GET /{page-id}/insights?metric=...&period=day&since=&until=`: one record per metric, period
    and day, the metric object with `values` cut down to that day's entry. The same metric can
    come for `day`, `week` and `days_28` with the same end_time (whenever the period is not
    honoured, as older versions did): only the period asked for is kept, the others are counted
    as dropped, never mixed in."""

    name = "page_insights"
    kind = sdk.StreamKind.ACCOUNT_DAILY
    path = "{version}/{account_id}/insights"
    key = ("name", "period", "end_time")
    contract = {"name": str, "period": str, "values": list}
    metric_source = "page_insights"
    period = "day"

    def requests(self) -> Iterator[sdk.Request]:
        tz = self.ctx.settings.timezone
        days = self.window.days()
        for start in range(0, len(days), MAX_INSIGHTS_DAYS):
            chunk = days[start : start + MAX_INSIGHTS_DAYS]
            yield sdk.Request(
                "GET",
                self.resolved_path(),
                {
                    "period": self.period,
                    "since": _unix(sdk.day_start(chunk[0], tz)),
                    "until": _unix(sdk.day_start(chunk[-1] + dt.timedelta(days=1), tz)),
                },
            )

    @classmethod
    def parse_records(cls, data: Any, ctx: sdk.LoadContext, result: sdk.ParseResult) -> None:
        for metric in result.valid(data, cls.contract):
            if metric["period"] != cls.period:
                result.drop(
                    f"period {metric['period']!r} not asked for (period={cls.period})",
                    len(metric["values"]),
                )
                continue
            head = {k: v for k, v in metric.items() if k != "values"}
            for entry in metric["values"]:
                problem = sdk.contract_violation(
                    entry, {"end_time": str, "value": (int, float, dict)}
                )
                if problem:
                    result.rejects.append(
                        sdk.Reject(f"{metric['name']}: {problem}", {**head, "values": [entry]})
                    )
                    continue
                try:
                    day = sdk.local_day(
                        sdk.parse_instant(entry["end_time"]), ctx.settings.timezone
                    ) - dt.timedelta(days=1)
                except ValueError:
                    result.rejects.append(
                        sdk.Reject(
                            f"{metric['name']}: unreadable end_time", {**head, "values": [entry]}
                        )
                    )
                    continue
                result.records.append(
                    sdk.Record(
                        f"{metric['name']}|{metric['period']}|{day}",
                        day,
                        {**head, "values": [entry]},
                    )
                )


class Posts(sdk.Stream[FacebookPagesClient]):
    """`GET /{page-id}/published_posts` for posts created inside the post lookback window, with
    lifetime reaction, comment and share counts as fields."""

    name = "posts"
    kind = sdk.StreamKind.POSTS
    path = "{version}/{account_id}/published_posts"
    fields = (
        "id",
        "message",
        "created_time",
        "permalink_url",
        "status_type",
        "shares",
        "reactions.summary(true).limit(0)",
        "comments.summary(true).limit(0)",
    )
    contract = {"id": str, "created_time": str}
    paginator = sdk.NextUrlPaginator()

    def params(self) -> dict[str, Any]:
        tz = self.ctx.settings.timezone
        return {
            "fields": ",".join(self.fields),
            "limit": min(self.ctx.settings.page_size, MAX_LIMIT),
            "since": _unix(sdk.day_start(self.window.start, tz)),
            "until": _unix(sdk.day_start(self.window.end + dt.timedelta(days=1), tz)),
        }

    @classmethod
    def record_date(cls, item: dict[str, Any], ctx: sdk.LoadContext) -> dt.date:
        return sdk.local_day(sdk.parse_instant(item["created_time"]), ctx.settings.timezone)


class PostInsights(IdsBatchStream[FacebookPagesClient]):
    """Lifetime insights of every post the posts stream saw, 50 posts per call:
    `GET /?ids=a,b,...&fields=insights.metric(m1,m2,...)`. One record per post."""

    name = "post_insights"
    parent = Posts
    metric_source = "post_insights"
    ids_per_call = IDS_PER_CALL


NETWORK = sdk.NetworkSpec(
    name="facebook_pages",
    title="Facebook Pages",
    client_class=FacebookPagesClient,
    streams=(PageInsights, Posts, PostInsights),
    token_lifecycle=META_LIFECYCLE,
    account_id_pattern=r"\d{5,20}",
    account_id_help=("the numeric Page id (digits only, e.g. 104729385610001)"),
    defaults={
        "connection_id": "social_facebook_pages",
        "api_version": "v25.0",
        "timezone": "America/Los_Angeles",
        "lookback_days": 3,
        "post_lookback_days": 28,
        "pool_slots": 2,
        # published_posts' maximum page (Graph API limit <= 100): 28 days of posts in one call
        "page_size": 100,
        "freshness_sla_hours": 36,
    },
)
