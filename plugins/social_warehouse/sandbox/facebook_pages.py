"""Facebook Pages on the Graph API: page object, published posts with cursor paging, page
insights per day (90-day windows, `end_time` at the end of the Pacific day; every metric once per
period `day`, `week` and `days_28` unless `period` pins one), lifetime post insights through
`?ids=` batches or `/{post-id}/insights`, usage headers and the error envelope."""

from __future__ import annotations

import datetime as dt
from typing import Any

from social_warehouse.sandbox import graph_common as g
from social_warehouse.sandbox.base import SandboxRequest, SandboxResponse
from social_warehouse.sandbox.model import Post
from social_warehouse.timeutil import day_start

V = r"/(?P<version>v\d+\.\d+)"

# Metric name -> (latent counter, or a function of the day's values). Retired metrics answer #100.
PAGE_METRICS: dict[str, Any] = {
    "page_media_view": "impressions",
    "page_total_media_view_unique": "reach",
    "page_post_engagements": lambda d: d["likes"] + d["comments"] + d["shares"] + d["clicks"],
    "page_views_total": "profile_views",
    "page_video_views": "video_views",
    "page_follows": "followers",
    "page_daily_follows_unique": "follower_gains",
    "page_daily_unfollows_unique": "follower_losses",
    "page_fan_adds_by_paid_non_paid_unique": "follower_gains",  # breakdown dict
}
REACTIONS = ("like", "love", "wow", "haha", "sorry", "anger")
for _r in REACTIONS:
    PAGE_METRICS[f"page_actions_post_reactions_{_r}_total"] = f"reaction:{_r}"

POST_METRICS: dict[str, str] = {
    "post_media_view": "impressions",
    "post_total_media_view_unique": "reach",
    "post_clicks": "clicks",
    "post_reactions_by_type_total": "reactions",
    "post_video_views": "video_views",
}
# Retired in the 2024-03-14 and 2025-11-15 waves: any request naming one fails whole with #100.
RETIRED = {
    "page_impressions",
    "page_impressions_unique",
    "page_impressions_paid",
    "page_fans",
    "page_fan_adds",
    "page_fan_removes",
    "page_engaged_users",
    "page_consumptions",
    "post_impressions",
    "post_impressions_unique",
    "post_engaged_users",
    "post_impressions_paid",
}
STATUS_TYPES = {
    "photo": "added_photos",
    "video": "added_video",
    "link": "shared_story",
    "status": "mobile_status_update",
}
MAX_DAYS = 90
# Page insights periods: each metric's value over the day, the 7 days or the 28 days ending at
# end_time. `id` is `{page-id}/insights/{metric}/{period}`; titles and descriptions are prefixed
# as the Graph API prefixes them ("Weekly Total Impressions", "Weekly: ...").
PERIODS = ("day", "week", "days_28")
PERIOD_DAYS = {"day": 1, "week": 7, "days_28": 28}
PERIOD_LABELS = {"day": "Daily", "week": "Weekly", "days_28": "28 Days"}
PERIOD_TITLES = {"day": "", "week": "Weekly", "days_28": "28 Days"}
# Totals rather than flows: the same value at end_time for every period.
STOCK_METRICS = {"page_follows"}


class FacebookPagesSandbox(g.GraphSandbox):
    name = "facebook_pages"
    tz = "America/Los_Angeles"
    model_options = {
        "post_types": ("photo", "video", "link", "status"),
        "video_types": ("video",),
        "post_id_format": "{account_id}_{n}",
        "has_saves": False,
    }
    routes = [
        ("GET", V + r"/?", "batch"),
        ("GET", V + r"/me/accounts", "me_accounts"),
        ("GET", V + r"/me", "me"),
        ("GET", V + r"/(?P<page_id>\d+)", "page"),
        (
            "GET",
            V + r"/(?P<page_id>\d+)/insights(?:/(?P<metric>[a-z_]+)(?:/(?P<period>[a-z0-9_]+))?)?",
            "page_insights",
        ),
        ("GET", V + r"/(?P<page_id>\d+)/(?:published_posts|posts)", "posts"),
        ("GET", V + r"/(?P<post_id>\d+_\d+)/insights", "post_insights"),
        ("GET", V + r"/(?P<post_id>\d+_\d+)", "post"),
    ]

    # --- plumbing ------------------------------------------------------------------------
    def error(self, kind: str, request: SandboxRequest, **params: Any) -> SandboxResponse:
        return g.standard_error(kind, request, self._account_of(request), **params)

    def _invalid_metrics(
        self, request: SandboxRequest, metrics: list[str], known: dict[str, Any]
    ) -> list[str]:
        retired = set(RETIRED)
        fault = request.fault("retire_metric")
        if fault is not None:
            retired.update(
                str(m) for m in fault.params.get("metrics", [fault.params.get("metric")])
            )
        return [m for m in metrics if m in retired or m not in known]

    def _post(self, post_id: str, now: dt.datetime) -> Post | None:
        page_id, _, n = post_id.partition("_")
        post = self.model(page_id).post_by_index(int(n)) if n.isdigit() else None
        return post if post is not None and post.published_at <= now else None

    # --- page --------------------------------------------------------------------------------
    def page(self, request: SandboxRequest, version: str, page_id: str) -> SandboxResponse:
        if (bad := self._check(request, version)) is not None:
            return bad
        followers = self.model(page_id).followers_now(request.now)
        values = {
            "id": page_id,
            "name": f"Page {page_id}",
            "fan_count": followers,
            "followers_count": followers,
            "category": "Coffee shop",
            "link": f"https://www.facebook.com/{page_id}",
        }
        wanted = [f for f, _ in g.split_fields(request.query.get("fields", "id,name"))]
        return SandboxResponse(200, {k: values[k] for k in wanted if k in values} | {"id": page_id})

    def page_insights(
        self,
        request: SandboxRequest,
        version: str,
        page_id: str,
        metric: str | None = None,
        period: str | None = None,
    ) -> SandboxResponse:
        """`/{page-id}/insights?metric=a,b[&period=]` or `/{page-id}/insights/{metric}[/{period}]`:
        per metric and period, one value per day in since..until (at most 90 days)."""
        if (bad := self._check(request, version)) is not None:
            return bad
        metrics = (
            [metric] if metric else [m for m in request.query.get("metric", "").split(",") if m]
        )
        if not metrics:
            return self.error("bad_request", request, message="The parameter metric is required")
        if self._invalid_metrics(request, metrics, PAGE_METRICS):
            return self.error("invalid_metric", request)
        pinned = period or request.query.get("period")
        if pinned is not None and pinned not in PERIODS:
            return self.error(
                "bad_request",
                request,
                message=f"period must be one of the following values: {', '.join(PERIODS)}",
            )
        # Unpinned, the API answers every metric once per period, all with the same end_time
        # values; older API versions did so even with period=day (the ignore_period fault).
        periods = list(PERIODS) if pinned is None else [pinned]
        if request.fault("ignore_period") is not None:
            periods = list(PERIODS)
        model = self.model(page_id)
        today = model.day_close(request.now.astimezone(dt.UTC).date()) - dt.timedelta(days=1)
        since = (
            g.parse_time_param(request.query["since"], self.tz)
            if "since" in request.query
            else day_start(today.date() - dt.timedelta(days=2), self.tz)
        )
        until = (
            g.parse_time_param(request.query["until"], self.tz)
            if "until" in request.query
            else day_start(today.date(), self.tz)
        )
        if until <= since:
            return self.error("bad_request", request, message="since must be before until")
        if (until - since) > dt.timedelta(days=MAX_DAYS):
            return self.error(
                "bad_request",
                request,
                message="There cannot be more than 90 days (7776000 s) between since and until",
            )
        horizon = request.now - dt.timedelta(days=2 * 365)
        days = []
        day = since.astimezone(model_tz(self.tz)).date()
        while day_start(day, self.tz) < until:
            if day_start(day, self.tz) >= horizon:
                days.append(day)
            day += dt.timedelta(days=1)
        # Daily values from far enough back for the longest period's sums to be complete.
        span = max(PERIOD_DAYS[p] for p in periods)
        served_by_day: dict[dt.date, dict[str, int] | None] = {}
        for day in days:
            for back in range(span):
                earlier = day - dt.timedelta(days=back)
                if earlier not in served_by_day:
                    served_by_day[earlier] = model.day_as_of(earlier, request.now)
        data = []
        for name in metrics:
            daily = {
                day: self._page_value(name, served, page_id, day)
                for day, served in served_by_day.items()
                if served is not None
            }
            for each in periods:
                values = [
                    {
                        "value": self._period_value(name, each, day, daily),
                        "end_time": g.iso_graph(model.day_close(day)),
                    }
                    for day in days
                    if day in daily
                ]
                words = name.replace("_", " ")
                data.append(
                    {
                        "name": name,
                        "period": each,
                        "values": values,
                        "title": " ".join(filter(None, [PERIOD_TITLES[each], words.title()])),
                        "description": f"{PERIOD_LABELS[each]}: {words}",
                        "id": f"{page_id}/insights/{name}/{each}",
                    }
                )
        body = {
            "data": data,
            "paging": {
                "previous": g.self_url(
                    request,
                    self.name,
                    since=int((since - dt.timedelta(days=len(days) or 1)).timestamp()),
                    until=int(since.timestamp()),
                ),
                "next": g.self_url(
                    request,
                    self.name,
                    since=int(until.timestamp()),
                    until=int((until + dt.timedelta(days=len(days) or 1)).timestamp()),
                ),
            },
        }
        return SandboxResponse(200, body)

    @staticmethod
    def _period_value(name: str, period: str, day: dt.date, daily: dict[dt.date, Any]) -> Any:
        """The metric over `period` ending with `day`: the sum of the last 7 or 28 daily values
        (key by key for breakdown dicts). A stock (a total such as page_follows) is the total at
        end_time whatever the period. Unique counts are summed too, where the real API counts
        each person once per period: a week's reach here is an upper bound of the real one."""
        if period == "day" or name in STOCK_METRICS:
            return daily[day]
        parts = [
            daily[earlier]
            for back in range(PERIOD_DAYS[period])
            if (earlier := day - dt.timedelta(days=back)) in daily
        ]
        if parts and isinstance(parts[0], dict):
            return {key: sum(part[key] for part in parts) for key in parts[0]}
        return sum(parts)

    @staticmethod
    def _page_value(name: str, served: dict[str, int], page_id: str, day: dt.date) -> Any:
        source = PAGE_METRICS[name]
        if callable(source):
            return source(served)
        if source.startswith("reaction:"):
            return g.split_reactions(served["likes"], page_id, day)[source.split(":")[1]]
        if name == "page_fan_adds_by_paid_non_paid_unique":
            total = served["follower_gains"]
            paid = total // 5
            return {"paid": paid, "unpaid": total - paid, "total": total}
        return served[source]

    # --- posts -------------------------------------------------------------------------------
    def posts(self, request: SandboxRequest, version: str, page_id: str) -> SandboxResponse:
        if (bad := self._check(request, version)) is not None:
            return bad
        since = (
            g.parse_time_param(request.query["since"], self.tz)
            if request.query.get("since")
            else None
        )
        until = (
            g.parse_time_param(request.query["until"], self.tz)
            if request.query.get("until")
            else None
        )
        posts = self.model(page_id).published_posts(request.now, since, until)
        fields = g.split_fields(request.query.get("fields", "id,message,created_time"))
        items = [self._render_post(p, fields, request) for p in posts]
        return SandboxResponse(200, g.cursor_page(request, self.name, items))

    def post(self, request: SandboxRequest, version: str, post_id: str) -> SandboxResponse:
        if (bad := self._check(request, version)) is not None:
            return bad
        post = self._post(post_id, request.now)
        if post is None:
            return self.error("not_found", request, object_id=post_id)
        return SandboxResponse(
            200,
            self._render_post(
                post,
                g.split_fields(request.query.get("fields", "id,message,created_time")),
                request,
            ),
        )

    def _render_post(
        self, post: Post, fields: list[tuple[str, str]], request: SandboxRequest
    ) -> dict[str, Any]:
        life = post.lifetime(request.now)
        out: dict[str, Any] = {}
        for name, mods in fields:
            if name == "id":
                out["id"] = post.post_id
            elif name == "message":
                out["message"] = post.text
            elif name == "created_time":
                out["created_time"] = g.iso_graph(post.published_at)
            elif name == "permalink_url":
                out["permalink_url"] = (
                    f"https://www.facebook.com/{post.post_id.replace('_', '/posts/')}"
                )
            elif name == "status_type":
                out["status_type"] = STATUS_TYPES.get(post.post_type, "mobile_status_update")
            elif name == "shares" and life["shares"] > 0:  # the real API omits shares when zero
                out["shares"] = {"count": life["shares"]}
            elif name == "reactions":
                out["reactions"] = {
                    "data": [],
                    "summary": {"total_count": life["likes"], "viewer_reaction": "NONE"},
                }
            elif name == "comments":
                out["comments"] = {
                    "data": [],
                    "summary": {
                        "order": "ranked",
                        "total_count": life["comments"],
                        "can_comment": True,
                    },
                }
            elif name == "insights":
                metrics = (g.modifier(mods, "metric") or "").split(",")
                out["insights"] = {"data": [self._post_metric(post, m, life) for m in metrics if m]}
        out.setdefault("id", post.post_id)
        return out

    def _post_metric(self, post: Post, name: str, life: dict[str, int]) -> dict[str, Any]:
        source = POST_METRICS[name]
        if source == "reactions":
            value: Any = {
                k: v for k, v in g.split_reactions(life["likes"], post.post_id).items() if v
            }
        else:
            value = life[source]
        return {
            "name": name,
            "period": "lifetime",
            "values": [{"value": value}],
            "title": name.replace("_", " ").title(),
            "description": f"Lifetime: {name.replace('_', ' ')}",
            "id": f"{post.post_id}/insights/{name}/lifetime",
        }

    def _insights_fields(
        self, request: SandboxRequest, fields: list[tuple[str, str]]
    ) -> SandboxResponse | None:
        for name, mods in fields:
            if name == "insights":
                metrics = [m for m in (g.modifier(mods, "metric") or "").split(",") if m]
                if self._invalid_metrics(request, metrics, POST_METRICS):
                    return self.error("invalid_metric", request)
        return None

    def post_insights(self, request: SandboxRequest, version: str, post_id: str) -> SandboxResponse:
        if (bad := self._check(request, version)) is not None:
            return bad
        post = self._post(post_id, request.now)
        if post is None:
            return self.error("not_found", request, object_id=post_id)
        metrics = [m for m in request.query.get("metric", "").split(",") if m]
        if self._invalid_metrics(request, metrics, POST_METRICS):
            return self.error("invalid_metric", request)
        life = post.lifetime(request.now)
        return SandboxResponse(200, {"data": [self._post_metric(post, m, life) for m in metrics]})

    def batch(self, request: SandboxRequest, version: str) -> SandboxResponse:
        """`GET /vXX.0/?ids=a,b&fields=...`: several objects in one call, keyed by id."""
        ids = self.batch_ids(request, version)
        if isinstance(ids, SandboxResponse):
            return ids
        fields = g.split_fields(request.query.get("fields", "id"))
        if (bad := self._insights_fields(request, fields)) is not None:
            return bad
        out = {}
        for object_id in ids:
            post = self._post(object_id, request.now)
            if post is None:
                return self.error("not_found", request, object_id=object_id)
            out[object_id] = self._render_post(post, fields, request)
        return SandboxResponse(200, out)

    # --- ground truth --------------------------------------------------------------------------
    def truth(
        self, account_id: str, day: dt.date, as_of: dt.datetime, post_days: int
    ) -> dict[str, Any]:
        model = self.model(account_id)
        served = model.day_as_of(day, as_of)
        account = None
        if served is not None:
            native = {m: self._page_value(m, served, account_id, day) for m in PAGE_METRICS}
            unified = {
                "impressions": served["impressions"],
                "reach": served["reach"],
                "engagements": native["page_post_engagements"],
                "likes": served["likes"],
                "profile_views": served["profile_views"],
                "video_views": served["video_views"],
                "followers": served["followers"],
                "follower_gains": served["follower_gains"],
                "follower_losses": served["follower_losses"],
                "posts_published": served["posts_published"],
            }
            account = {"native": native, "unified": unified}
        return self.truth_record(account_id, day, as_of, post_days, account, self._post_unified)

    @staticmethod
    def _post_unified(post: Post, as_of: dt.datetime) -> dict[str, int]:
        life = post.lifetime(as_of)
        return {
            k: life[k]
            for k in (
                "impressions",
                "reach",
                "likes",
                "comments",
                "shares",
                "clicks",
                "video_views",
            )
        }


def model_tz(tz: str):
    from zoneinfo import ZoneInfo

    return ZoneInfo(tz)


SANDBOX = FacebookPagesSandbox
