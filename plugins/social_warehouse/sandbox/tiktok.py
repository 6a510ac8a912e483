"""TikTok Business API v1.3 for organic Business accounts: `business/get/` (profile with daily
`metrics[]`, 60 days of history) and `business/video/list/` (newest first, `cursor`/`has_more`,
at most 20 per page). Every answer is the `{"code", "message", "request_id", "data"}` envelope,
errors included: a non-zero `code` in an HTTP 200 body. Auth is the `Access-Token` header with
no Bearer prefix."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from social_warehouse.sandbox import listing
from social_warehouse.sandbox.base import SandboxNetwork, SandboxRequest, SandboxResponse
from social_warehouse.sandbox.model import AccountModel, Post, unit
from social_warehouse.timeutil import local_day

API = r"/open_api/v1\.3"
MAX_HISTORY_DAYS = 60
MAX_PAGE = 20
DEFAULT_DAYS = 7

# Profile fields at the top level of `data`, and daily metric fields inside `data.metrics[]`,
# each rendered from the model's unified counters.
PROFILE_FIELDS = ("username", "display_name", "profile_image", "followers_count")
# TikTok counts a view each time a video starts playing, so its views are the model's
# impressions (and never fewer than the video's reach).
DAILY_METRICS: dict[str, str] = {
    "followers_count": "followers",
    "profile_views": "profile_views",
    "video_views": "impressions",
    "likes": "likes",
    "comments": "comments",
    "shares": "shares",
}
# Native account metric -> unified metric, where the names differ.
UNIFIED_ACCOUNT = {"followers_count": "followers"}
VIDEO_COUNTERS: dict[str, str] = {
    "video_views": "impressions",
    "likes": "likes",
    "comments": "comments",
    "shares": "shares",
    "reach": "reach",
}
VIDEO_FIELDS = (
    "item_id",
    "create_time",
    "caption",
    "share_url",
    "embed_url",
    "thumbnail_url",
    "video_duration",
    "full_video_watched_rate",
    "total_time_watched",
    "average_time_watched",
    *VIDEO_COUNTERS,
)


def six_digits(*parts: object) -> str:
    return f"{int(unit(*parts) * 10**6):06d}"


def username(account_id: str) -> str:
    return f"brand{six_digits('tiktok-user', account_id)}"


class TikTokSandbox(SandboxNetwork):
    name = "tiktok"
    tz = "UTC"
    # A UTC day's profile analytics show up a few hours after midnight; the 12:00 UTC run sees it.
    lag_hours = 6
    model_options = {
        "post_types": ("video",),
        "video_types": ("video",),
        # 19-digit numeric item ids: "7", six digits that differ per account, the post number.
        "post_id_format": "7{account_number}{n:012d}",
        "has_saves": False,
    }
    routes = [
        ("GET", API + r"/business/get/?", "business"),
        ("GET", API + r"/business/video/list/?", "videos"),
    ]

    def account_model_options(self, account_id: str) -> dict[str, Any]:
        options = dict(self.model_options)
        number = six_digits("tiktok-account", account_id)
        options["post_id_format"] = options["post_id_format"].replace("{account_number}", number)
        return options

    # --- plumbing ------------------------------------------------------------------------
    def token(self, request: SandboxRequest) -> str:
        """Only `Access-Token: <token>` counts: a Bearer prefix, or the token in an
        Authorization header, is an invalid token (40105)."""
        value = request.header("Access-Token").strip()
        return "" if not value or value.lower().startswith("bearer ") else value

    def accounts_of(self, request: SandboxRequest) -> set[str]:
        business_id = request.query.get("business_id")
        return {business_id} if business_id else set()

    @staticmethod
    def request_id(request: SandboxRequest) -> str:
        stamp = request.now.strftime("%Y%m%d%H%M%S")
        return f"{stamp}{int(unit(request.path, sorted(request.query.items())) * 16**18):018X}"

    def envelope(
        self, request: SandboxRequest, code: int, message: str, data: Any, status: int = 200
    ) -> SandboxResponse:
        rid = self.request_id(request)
        body = {"code": code, "message": message, "request_id": rid, "data": data}
        return SandboxResponse(status, body, {"X-Tt-Logid": rid})

    def error(self, kind: str, request: SandboxRequest, **params: Any) -> SandboxResponse:
        if kind in ("unauthorized", "invalid_token", "revoked_token"):
            return self.envelope(request, 40105, "Access token is invalid or has been revoked.", {})
        if kind == "expired_token":
            return self.envelope(
                request, 40102, "Access token has expired. Please refresh the access token.", {}
            )
        if kind == "no_permission":
            # business_id names another account than the one that authorised the token
            return self.envelope(
                request, 40001, "No permission to operate this TikTok account.", {}
            )
        if kind == "throttle":
            return self.envelope(
                request, 40100, "Too many requests. Please retry in some time.", {}
            )
        if kind == "server_error":
            code = int(params.get("code", 50000))
            message = {
                50000: "Internal service error. Please try again later.",
                50002: "Service error. Please retry your request.",
            }.get(code, "System error.")
            return self.envelope(request, code, message, {}, int(params.get("status", 200)))
        if kind == "bad_request":
            return self.envelope(request, 40002, params.get("message", "Invalid parameters."), {})
        if kind == "api_error":  # any other envelope error a test wants, still HTTP 200
            return self.envelope(
                request, int(params.get("code", 40001)), params.get("message", "No permission."), {}
            )
        # not_found: an unknown path (wrong version or endpoint) is a plain 404 at TikTok's edge
        return self.envelope(
            request, 40400, f"Not found: {request.path}", {}, int(params.get("status", 404))
        )

    def _injected(self, request: SandboxRequest) -> SandboxResponse | None:
        fault = request.fault("api_error")
        return self.error("api_error", request, **fault.params) if fault is not None else None

    @staticmethod
    def _fields(request: SandboxRequest, allowed: tuple[str, ...]) -> list[str] | str:
        """The `fields` JSON array, or the 40002 message explaining why it is unusable."""
        raw = request.query.get("fields")
        if raw is None:
            return []
        try:
            fields = json.loads(raw)
        except ValueError:
            return "fields: Not a valid JSON array."
        if not isinstance(fields, list) or not all(isinstance(f, str) for f in fields):
            return "fields: Not a valid list of strings."
        unknown = [f for f in fields if f not in allowed]
        if unknown:
            return f"fields: {unknown} are not valid choices."
        return fields

    # --- business/get ------------------------------------------------------------------------
    def business(self, request: SandboxRequest) -> SandboxResponse:
        if (injected := self._injected(request)) is not None:
            return injected
        business_id = request.query.get("business_id", "")
        if not business_id:
            return self.error(
                "bad_request", request, message="business_id: Missing data for required field."
            )
        fields = self._fields(request, PROFILE_FIELDS + tuple(DAILY_METRICS))
        if isinstance(fields, str):
            return self.error("bad_request", request, message=fields)
        fields = fields or ["display_name", "profile_image"]
        dates = self._date_range(request)
        if isinstance(dates, str):
            return self.error("bad_request", request, message=dates)
        model = self.model(business_id)
        data: dict[str, Any] = {}
        for name in PROFILE_FIELDS:
            if name in fields:
                data[name] = self._profile_value(name, business_id, model, request.now)
        # followers_count is both a profile field (now) and a daily metric (end of each day)
        metric_names = [name for name in DAILY_METRICS if name in fields]
        if metric_names:
            data["metrics"] = self._metrics(model, dates, metric_names, request.now)
        return self.envelope(request, 0, "OK", data)

    def _date_range(self, request: SandboxRequest) -> tuple[dt.date, dt.date] | str:
        """start_date/end_date (inclusive), or the 40002 message. History: the last 60 days."""
        today = local_day(request.now, self.tz)
        try:
            start = dt.date.fromisoformat(request.query.get("start_date") or "")
        except ValueError:
            if request.query.get("start_date"):
                return "start_date: Not a valid date (YYYY-MM-DD)."
            start = today - dt.timedelta(days=DEFAULT_DAYS)
        try:
            end = dt.date.fromisoformat(request.query.get("end_date") or "")
        except ValueError:
            if request.query.get("end_date"):
                return "end_date: Not a valid date (YYYY-MM-DD)."
            end = today - dt.timedelta(days=1)
        if end < start:
            return "end_date: end_date must be on or after start_date."
        if start < today - dt.timedelta(days=MAX_HISTORY_DAYS):
            return (
                f"start_date: Data is only available for the last {MAX_HISTORY_DAYS} days; "
                f"start_date cannot be earlier than {today - dt.timedelta(days=MAX_HISTORY_DAYS)}."
            )
        return start, end

    def _profile_value(
        self, name: str, business_id: str, model: AccountModel, now: dt.datetime
    ) -> Any:
        handle = username(business_id)
        if name == "username":
            return handle
        if name == "display_name":
            return f"{handle.capitalize()} Official"
        if name == "profile_image":
            return f"https://p16-sign.tiktokcdn-us.com/tos-useast5-avt-0068-tx/{handle}.jpeg"
        return model.followers_now(now)

    def _metrics(
        self,
        model: AccountModel,
        dates: tuple[dt.date, dt.date],
        names: list[str],
        now: dt.datetime,
    ) -> list[dict[str, Any]]:
        out = []
        day = dates[0]
        while day <= dates[1]:
            served = model.day_as_of(day, now, self.lag_hours)
            if served is not None:
                entry: dict[str, Any] = {"date": day.isoformat()}
                entry.update({n: served[DAILY_METRICS[n]] for n in names})
                out.append(entry)
            day += dt.timedelta(days=1)
        return out

    # --- business/video/list -----------------------------------------------------------------
    def videos(self, request: SandboxRequest) -> SandboxResponse:
        if (injected := self._injected(request)) is not None:
            return injected
        business_id = request.query.get("business_id", "")
        if not business_id:
            return self.error(
                "bad_request", request, message="business_id: Missing data for required field."
            )
        fields = self._fields(request, VIDEO_FIELDS)
        if isinstance(fields, str):
            return self.error("bad_request", request, message=fields)
        fields = fields or ["item_id"]
        try:
            max_count = int(request.query.get("max_count") or MAX_PAGE)
            cursor = int(request.query.get("cursor") or 0)
        except ValueError:
            return self.error("bad_request", request, message="max_count: Not a valid integer.")
        if not 1 <= max_count <= MAX_PAGE:
            return self.error(
                "bad_request", request, message=f"max_count: Must be between 1 and {MAX_PAGE}."
            )
        model = self.model(business_id)
        posts = model.published_posts(request.now)
        # The cursor addresses slots: deleted and private videos take theirs (listing.py), so a
        # page can hold fewer than max_count videos, or none, with has_more still true.
        page = listing.page(posts, cursor, max_count, request)
        handle = username(business_id)
        data = {
            "videos": [self._render_video(p, fields, handle, request.now) for p in page.items],
            "cursor": page.end if page.next_offset is None else page.next_offset,
            "has_more": page.has_more,
        }
        return self.envelope(request, 0, "OK", data)

    def _render_video(
        self, post: Post, fields: list[str], handle: str, now: dt.datetime
    ) -> dict[str, Any]:
        life = post.lifetime(now)
        duration = round(8 + 52 * unit(self.seed, post.post_id, "duration"), 3)
        watched_share = 0.25 + 0.55 * unit(self.seed, post.post_id, "watched")
        average = round(duration * watched_share, 3)
        values: dict[str, Any] = {
            "item_id": post.post_id,
            # TikTok documents create_time as a string of unix seconds
            "create_time": str(int(post.published_at.timestamp())),
            "caption": f"{post.text} #fyp",
            "share_url": f"https://www.tiktok.com/@{handle}/video/{post.post_id}",
            "embed_url": f"https://www.tiktok.com/embed/v2/{post.post_id}",
            "thumbnail_url": f"https://p16-sign.tiktokcdn-us.com/obj/{post.post_id}.jpeg",
            "video_duration": duration,
            "full_video_watched_rate": round(watched_share**2, 4),
            "total_time_watched": round(life["impressions"] * average, 3),
            "average_time_watched": average,
        }
        values.update(self._video_counters(post, now))
        return {name: values[name] for name in fields}

    @staticmethod
    def _video_counters(post: Post, as_of: dt.datetime) -> dict[str, int]:
        life = post.lifetime(as_of)
        return {name: life[counter] for name, counter in VIDEO_COUNTERS.items()}

    # --- ground truth --------------------------------------------------------------------------
    def truth(
        self, account_id: str, day: dt.date, as_of: dt.datetime, post_days: int
    ) -> dict[str, Any]:
        model = self.model(account_id)
        served = model.day_as_of(day, as_of, self.lag_hours)
        account = None
        today = local_day(as_of, self.tz)
        if served is not None and day >= today - dt.timedelta(days=MAX_HISTORY_DAYS):
            native = {name: served[counter] for name, counter in DAILY_METRICS.items()}
            unified = {UNIFIED_ACCOUNT.get(name, name): value for name, value in native.items()}
            unified["engagements"] = native["likes"] + native["comments"] + native["shares"]
            account = {"native": native, "unified": unified}
        return self.truth_record(account_id, day, as_of, post_days, account, self._video_counters)


SANDBOX = TikTokSandbox
