"""Instagram Business accounts on the Graph API (Facebook Login variant, `graph.facebook.com`): the
account object, account insights in their two request shapes (`period=day` series and
`metric_type=total_value` window totals), the media list (newest first, cursor paging) and
lifetime media insights whose valid metrics depend on the media type, through `?ids=` batches or
`/{media-id}/insights`. BUC usage headers of type `instagram`; throttling answers code 80002.

Media ids are the account id followed by the post number on 7 digits, so any media id resolves
back to its account without server-side state (real ids are opaque numbers too)."""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from collections.abc import Callable
from typing import Any

from social_warehouse.sandbox import graph_common as g
from social_warehouse.sandbox.base import SandboxRequest, SandboxResponse
from social_warehouse.sandbox.model import Post, unit
from social_warehouse.timeutil import day_start, local_day

V = r"/(?P<version>v\d+\.\d+)"
MEDIA_SUFFIX = 7  # digits of the post number at the end of a media id
MAX_SECONDS = 30 * 86400  # "There cannot be more than 30 days (2592000 s) between since and until"
FOLLOWER_COUNT_DAYS = 30  # follower_count: the last 30 days, excluding the current day
HORIZON_DAYS = 2 * 365

Served = dict[str, int]


def _engaged(d: Served) -> int:
    return d["likes"] + d["comments"] + d["shares"] + d["saves"]


def _website_share(account_id: str, day: dt.date) -> float:
    return 0.55 + 0.3 * unit("instagram", account_id, day, "website")


# Account metrics as the API names them -> value from the day's latent counters.
ACCOUNT_METRICS: dict[str, Callable[[Served, str, dt.date], int]] = {
    "reach": lambda d, a, day: d["reach"],
    "follower_count": lambda d, a, day: d["follower_gains"],
    "views": lambda d, a, day: d["impressions"],
    "profile_views": lambda d, a, day: d["profile_views"],
    "accounts_engaged": lambda d, a, day: min(
        d["reach"], math.floor(_engaged(d) * (0.6 + 0.3 * unit("instagram", a, day, "engaged")))
    ),
    "total_interactions": lambda d, a, day: _engaged(d),
    "likes": lambda d, a, day: d["likes"],
    "comments": lambda d, a, day: d["comments"],
    "shares": lambda d, a, day: d["shares"],
    "saves": lambda d, a, day: d["saves"],
    "replies": lambda d, a, day: d["comments"] // 8,
    "website_clicks": lambda d, a, day: math.floor(d["clicks"] * _website_share(a, day)),
    "profile_links_taps": lambda d, a, day: (
        d["clicks"] - math.floor(d["clicks"] * _website_share(a, day))
    ),
}
# Metrics that only exist as a total over since..until (asked without it: #100).
TOTAL_ONLY = {
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
SERIES_ONLY = {"follower_count"}  # rejected with metric_type=total_value; reach takes both

MEDIA_METRICS: dict[str, Callable[[dict[str, int]], int]] = {
    "views": lambda life: life["impressions"],
    "reach": lambda life: life["reach"],
    "saved": lambda life: life["saves"],
    "shares": lambda life: life["shares"],
    "likes": lambda life: life["likes"],
    "comments": lambda life: life["comments"],
    "total_interactions": lambda life: (
        life["likes"] + life["comments"] + life["shares"] + life["saves"]
    ),
}
# Which lifetime metrics each media type reports. Feed images and carousels reject the
# interaction counters (their likes and comments come from like_count / comments_count).
FEED_METRICS = {"views", "reach", "saved", "total_interactions"}
MEDIA_SUPPORT: dict[str, set[str]] = {
    "image": FEED_METRICS,
    "carousel_album": FEED_METRICS,
    "reel": set(MEDIA_METRICS),
}
# model post type -> (media_type, media_product_type)
MEDIA_TYPES = {
    "image": ("IMAGE", "FEED"),
    "carousel_album": ("CAROUSEL_ALBUM", "FEED"),
    "reel": ("VIDEO", "REELS"),
}
# Retired on 2025-04-21 (v22+): naming one fails the whole call with #100.
RETIRED = {
    "impressions",
    "plays",
    "video_views",
    "clips_replays_count",
    "ig_reels_aggregated_all_plays_count",
    "engagement",
}


def _plural(names: list[str]) -> str:
    return f"metric{'s' if len(names) > 1 else ''} ({', '.join(names)})"


class InstagramSandbox(g.GraphSandbox):
    name = "instagram"
    usage_kind = "instagram"
    tz = "America/Los_Angeles"  # Meta reports Instagram days in Pacific time, like Pages
    lag_hours = 0  # a day is served right after it closes, then revised for 48 h
    model_options = {
        "post_types": ("image", "carousel_album", "reel"),
        "video_types": ("reel",),
        "post_id_format": "{account_id}{n:07d}",
        "has_saves": True,
    }
    routes = [
        ("GET", V + r"/?", "batch"),
        ("GET", V + r"/me/accounts", "me_accounts"),
        ("GET", V + r"/me", "me"),
        ("GET", V + r"/(?P<object_id>\d+)/insights", "insights"),
        ("GET", V + r"/(?P<user_id>\d+)/media", "media_list"),
        ("GET", V + r"/(?P<object_id>\d+)", "node"),
    ]

    # --- plumbing ------------------------------------------------------------------------
    @staticmethod
    def is_media_id(object_id: str) -> bool:
        return len(object_id) > 20

    def account_from(self, object_id: str) -> str:
        return object_id[:-MEDIA_SUFFIX] if self.is_media_id(object_id) else object_id

    def _account_of(self, request: SandboxRequest) -> str:
        parts = request.path.strip("/").split("/")
        first = parts[1] if len(parts) > 1 else request.query.get("ids", "").split(",")[0]
        return self.account_from(first) if first else "app"

    def error(self, kind: str, request: SandboxRequest, **params: Any) -> SandboxResponse:
        account = self._account_of(request)
        if kind == "throttle":
            params.setdefault("code", 80002)
            response = g.standard_error(kind, request, account, **params)
            minutes = int(params.get("regain_minutes", float(params.get("reset", 0)) // 60))
            response.headers.update(g.usage_headers(account, 100, minutes, kind="instagram"))
            return response
        if kind == "no_permission":
            params.setdefault(
                "message", "(#10) Application does not have permission for this action"
            )
            return g.standard_error(kind, request, account, **params)
        if kind == "incompatible_metric":
            return g.graph_error(
                request, 400, 100, f"(#100) Incompatible metric ({params['metric']}) with the media"
            )
        if kind == "pre_conversion":
            response = g.graph_error(request, 400, 100, "Invalid parameter", subcode=2108006)
            response.body["error"].update(
                error_user_title="Media Posted Before Business Account Conversion",
                error_user_msg=(
                    "The media was posted before the most recent time that the user's account "
                    "was converted to a business account from a personal account."
                ),
            )
            return response
        return g.standard_error(kind, request, account, **params)

    def _retired(self, request: SandboxRequest) -> set[str]:
        retired = set(RETIRED)
        fault = request.fault("retire_metric")
        if fault is not None:
            retired.update(
                str(m) for m in fault.params.get("metrics", [fault.params.get("metric")])
            )
        return retired

    def _unknown_metrics(
        self, request: SandboxRequest, metrics: list[str], known: dict[str, Any]
    ) -> SandboxResponse | None:
        """Retired metrics answer the v22 message; unknown ones the list of valid names."""
        retired = self._retired(request)
        for name in metrics:
            if name in retired:
                return self.error(
                    "invalid_metric",
                    request,
                    message=f"(#100) Starting from version 22 and above, the {name} metric is "
                    "no longer supported. Please use views instead.",
                )
            if name not in known:
                return self.error(
                    "invalid_metric",
                    request,
                    message=f"(#100) metric[{metrics.index(name)}] must be one of the following "
                    f"values: {', '.join(known)}",
                )
        return None

    def _post(self, media_id: str, now: dt.datetime) -> Post | None:
        if not self.is_media_id(media_id):
            return None
        account = self.account_from(media_id)
        post = self.model(account).post_by_index(int(media_id[-MEDIA_SUFFIX:]))
        if post is None or post.post_id != media_id or post.published_at > now:
            return None
        return post

    # --- account -------------------------------------------------------------------------------
    def node(self, request: SandboxRequest, version: str, object_id: str) -> SandboxResponse:
        if (bad := self._check(request, version)) is not None:
            return bad
        fields = g.split_fields(request.query.get("fields", "id"))
        if self.is_media_id(object_id):
            post = self._post(object_id, request.now)
            if post is None:
                return self.error("not_found", request, object_id=object_id)
            if (bad := self._media_insights_fields(request, [post], fields)) is not None:
                return bad
            return SandboxResponse(200, self._render_media(post, fields, request))
        return SandboxResponse(200, self._render_user(object_id, fields, request))

    def _render_user(
        self, user_id: str, fields: list[tuple[str, str]], request: SandboxRequest
    ) -> dict[str, Any]:
        model = self.model(user_id)
        values: dict[str, Any] = {
            "id": user_id,
            "username": f"brand_{user_id[-4:]}",
            "name": f"Brand {user_id[-4:]}",
            "followers_count": model.followers_now(request.now),
            "follows_count": 150 + math.floor(900 * unit("instagram", user_id, "follows")),
            "media_count": len(model.published_posts(request.now)),
            "biography": "Coffee, outdoors and health, one post at a time.",
            "website": f"https://example.com/{user_id[-4:]}",
        }
        wanted = [name for name, _ in fields]
        return {k: values[k] for k in wanted if k in values} | {"id": user_id}

    def insights(self, request: SandboxRequest, version: str, object_id: str) -> SandboxResponse:
        if (bad := self._check(request, version)) is not None:
            return bad
        if self.is_media_id(object_id):
            return self._media_insights(request, object_id)
        return self._user_insights(request, object_id)

    def _user_insights(self, request: SandboxRequest, user_id: str) -> SandboxResponse:
        metrics = [m for m in request.query.get("metric", "").split(",") if m]
        if not metrics:
            return self.error("bad_request", request, message="The parameter metric is required")
        if (bad := self._unknown_metrics(request, metrics, ACCOUNT_METRICS)) is not None:
            return bad
        total = request.query.get("metric_type") == "total_value"
        if not total and (need := [m for m in metrics if m in TOTAL_ONLY]):
            return self.error(
                "invalid_metric",
                request,
                message=f"(#100) The following {_plural(need)} should be specified with "
                "parameter metric_type=total_value",
            )
        if total and (series := [m for m in metrics if m in SERIES_ONLY]):
            return self.error(
                "invalid_metric",
                request,
                message=f"(#100) The following {_plural(series)} is incompatible with the "
                "metric type (total_value)",
            )
        if request.query.get("period", "day") != "day":
            return self.error(
                "bad_request", request, message="Unsupported period for these metrics"
            )
        window = self._window(request, user_id, "follower_count" in metrics)
        if isinstance(window, SandboxResponse):
            return window
        days = window
        model = self.model(user_id)
        served = {
            day: v for day in days if (v := model.day_as_of(day, request.now, self.lag_hours))
        }
        empty = request.fault("follower_count_empty") is not None  # small accounts get nothing
        data = []
        for name in metrics:
            head = {
                "name": name,
                "period": "day",
                "title": name.replace("_", " ").title(),
                "description": f"Daily: {name.replace('_', ' ')}",
                "id": f"{user_id}/insights/{name}/day",
            }
            fn = ACCOUNT_METRICS[name]
            if total:
                if not served:
                    continue
                values = [fn(v, user_id, day) for day, v in served.items()]
                # reach is unique people: never more than the largest day across a range
                value = max(values) if name == "reach" else sum(values)
                data.append({**head, "total_value": {"value": value}})
                continue
            entries = [
                {"value": fn(v, user_id, day), "end_time": g.iso_graph(model.day_close(day))}
                for day, v in served.items()
            ]
            if empty and name == "follower_count":
                entries = []
            data.append({**head, "values": entries})
        return SandboxResponse(200, {"data": data})

    def _window(
        self, request: SandboxRequest, user_id: str, follower_count: bool
    ) -> list[dt.date] | SandboxResponse:
        model = self.model(user_id)
        today = local_day(request.now, self.tz)
        since = (
            g.parse_time_param(request.query["since"], self.tz)
            if request.query.get("since")
            else day_start(today - dt.timedelta(days=2), self.tz)
        )
        until = (
            g.parse_time_param(request.query["until"], self.tz)
            if request.query.get("until")
            else day_start(today, self.tz)
        )
        if until <= since:
            return self.error(
                "bad_request", request, message="The parameter since must be before until"
            )
        if (until - since).total_seconds() > MAX_SECONDS:
            return self.error(
                "bad_request",
                request,
                message="There cannot be more than 30 days (2592000 s) between since and until",
            )
        first = local_day(since, self.tz)
        if follower_count and first < today - dt.timedelta(days=FOLLOWER_COUNT_DAYS):
            return self.error(
                "invalid_metric",
                request,
                message="(#100) (follower_count) metric only supports querying data for the "
                "last 30 days excluding the current day",
            )
        horizon = request.now - dt.timedelta(days=HORIZON_DAYS)
        days, day = [], first
        while day_start(day, self.tz) < until:
            if day_start(day, self.tz) >= horizon and model.day_close(day) <= until:
                days.append(day)
            day += dt.timedelta(days=1)
        return days

    # --- media ---------------------------------------------------------------------------------
    def media_list(self, request: SandboxRequest, version: str, user_id: str) -> SandboxResponse:
        if (bad := self._check(request, version)) is not None:
            return bad
        if self.is_media_id(user_id):
            return self.error("not_found", request, object_id=user_id)
        posts = self.model(user_id).published_posts(request.now)
        body = g.cursor_page(request, self.name, posts)
        fields = g.split_fields(request.query.get("fields", "id"))
        body["data"] = [self._render_media(p, fields, request) for p in body["data"]]
        return SandboxResponse(200, body)

    @staticmethod
    def _shortcode(post: Post) -> str:
        digest = hashlib.blake2b(post.post_id.encode(), digest_size=8).hexdigest()
        return f"C{digest[:10]}"

    def _render_media(
        self, post: Post, fields: list[tuple[str, str]], request: SandboxRequest
    ) -> dict[str, Any]:
        life = post.lifetime(request.now)
        media_type, product = MEDIA_TYPES[post.post_type]
        kind = "reel" if product == "REELS" else "p"
        values: dict[str, Any] = {
            "id": post.post_id,
            "caption": post.text,
            "media_type": media_type,
            "media_product_type": product,
            "timestamp": g.iso_graph(post.published_at),
            "permalink": f"https://www.instagram.com/{kind}/{self._shortcode(post)}/",
            "shortcode": self._shortcode(post),
            "like_count": life["likes"],
            "comments_count": life["comments"],
            "username": f"brand_{post.account_id[-4:]}",
        }
        out: dict[str, Any] = {}
        for name, mods in fields:
            if name == "insights":
                metrics = [m for m in (g.modifier(mods, "metric") or "").split(",") if m]
                out["insights"] = {
                    "data": [self._media_metric(post, m, life) for m in metrics],
                }
            elif name in values:
                out[name] = values[name]
        out.setdefault("id", post.post_id)
        return out

    def _media_metric(self, post: Post, name: str, life: dict[str, int]) -> dict[str, Any]:
        return {
            "name": name,
            "period": "lifetime",
            "values": [{"value": MEDIA_METRICS[name](life)}],
            "title": name.replace("_", " ").title(),
            "description": f"Lifetime: {name.replace('_', ' ')}",
            "id": f"{post.post_id}/insights/{name}/lifetime",
        }

    def _supported(self, request: SandboxRequest, post: Post) -> set[str]:
        """The metrics this media's type reports; the `incompatible_metric` fault takes one away
        from one media type (Meta changes these tables without notice)."""
        supported = set(MEDIA_SUPPORT[post.post_type])
        fault = request.fault("incompatible_metric")
        if fault is not None:
            media_type = fault.params.get("media_type")
            if media_type in (None, *MEDIA_TYPES[post.post_type]):
                supported.discard(str(fault.params.get("metric")))
        return supported

    def _media_insights_check(
        self, request: SandboxRequest, posts: list[Post], metrics: list[str]
    ) -> SandboxResponse | None:
        if (bad := self._unknown_metrics(request, metrics, MEDIA_METRICS)) is not None:
            return bad
        fault = request.fault("pre_conversion")
        if fault is not None:
            wanted = fault.params.get("media_id")
            if any(wanted in (None, p.post_id) for p in posts):
                return self.error("pre_conversion", request)
        for post in posts:
            supported = self._supported(request, post)
            for name in metrics:
                if name not in supported:
                    return self.error("incompatible_metric", request, metric=name)
        return None

    def _media_insights_fields(
        self, request: SandboxRequest, posts: list[Post], fields: list[tuple[str, str]]
    ) -> SandboxResponse | None:
        for name, mods in fields:
            if name == "insights":
                metrics = [m for m in (g.modifier(mods, "metric") or "").split(",") if m]
                if (bad := self._media_insights_check(request, posts, metrics)) is not None:
                    return bad
        return None

    def _media_insights(self, request: SandboxRequest, media_id: str) -> SandboxResponse:
        post = self._post(media_id, request.now)
        if post is None:
            return self.error("not_found", request, object_id=media_id)
        metrics = [m for m in request.query.get("metric", "").split(",") if m]
        if not metrics:
            return self.error("bad_request", request, message="The parameter metric is required")
        if (bad := self._media_insights_check(request, [post], metrics)) is not None:
            return bad
        life = post.lifetime(request.now)
        return SandboxResponse(200, {"data": [self._media_metric(post, m, life) for m in metrics]})

    def batch(self, request: SandboxRequest, version: str) -> SandboxResponse:
        """`GET /vXX.0/?ids=a,b&fields=...`: several objects in one call, keyed by id. One media
        that cannot answer a requested metric fails the whole call."""
        ids = self.batch_ids(request, version)
        if isinstance(ids, SandboxResponse):
            return ids
        fields = g.split_fields(request.query.get("fields", "id"))
        posts: dict[str, Post] = {}
        for object_id in ids:
            if not self.is_media_id(object_id):
                continue
            post = self._post(object_id, request.now)
            if post is None:
                return self.error("not_found", request, object_id=object_id)
            posts[object_id] = post
        if (bad := self._media_insights_fields(request, list(posts.values()), fields)) is not None:
            return bad
        out = {
            object_id: (
                self._render_media(posts[object_id], fields, request)
                if object_id in posts
                else self._render_user(object_id, fields, request)
            )
            for object_id in ids
        }
        return SandboxResponse(200, out)

    # --- ground truth ----------------------------------------------------------------------------
    def truth(
        self, account_id: str, day: dt.date, as_of: dt.datetime, post_days: int
    ) -> dict[str, Any]:
        model = self.model(account_id)
        served = model.day_as_of(day, as_of, self.lag_hours)
        if served is not None and day_start(day, self.tz) < as_of - dt.timedelta(days=HORIZON_DAYS):
            served = None
        account = None
        if served is not None:
            native = {m: fn(served, account_id, day) for m, fn in ACCOUNT_METRICS.items()}
            followers = model.followers_now(as_of)
            native["followers_count"] = followers
            unified = {
                "impressions": native["views"],
                "reach": native["reach"],
                "engagements": native["total_interactions"],
                "likes": native["likes"],
                "comments": native["comments"],
                "shares": native["shares"],
                "saves": native["saves"],
                "clicks": native["website_clicks"] + native["profile_links_taps"],
                "profile_views": native["profile_views"],
                "followers": followers,
                "follower_gains": native["follower_count"],
            }
            today = local_day(as_of, self.tz)
            if day < today - dt.timedelta(days=FOLLOWER_COUNT_DAYS):
                # no client can read it any more: only an earlier load could have kept it
                del native["follower_count"], unified["follower_gains"]
            account = {"native": native, "unified": unified}
        return self.truth_record(account_id, day, as_of, post_days, account, self.post_unified)

    @staticmethod
    def post_unified(post: Post, as_of: dt.datetime) -> dict[str, int]:
        """Unified lifetime metrics the API gives for this media: views, reach and saved from
        insights for every type, likes and comments from the media object, shares only for
        reels."""
        life = post.lifetime(as_of)
        keys = ["impressions", "reach", "likes", "comments", "saves"]
        if "shares" in MEDIA_SUPPORT[post.post_type]:
            keys.append("shares")
        return {k: life[k] for k in keys}


SANDBOX = InstagramSandbox
