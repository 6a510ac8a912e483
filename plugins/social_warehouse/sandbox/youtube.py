"""YouTube: the Analytics API v2 (`/v2/reports`, a `resultTable` of day rows that stops at the
last day whose data exists, ~48 h behind, paged with 1-based `startIndex`/`maxResults`) and the
Data API v3 (`channels`, the uploads playlist through `playlistItems` with `nextPageToken`,
`videos` statistics as strings). Google's error envelope, and the Data API's daily quota of
10,000 units per token that resets at midnight Pacific (403 `quotaExceeded`)."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import math
import re
import threading
from typing import Any

from social_warehouse.sandbox import listing
from social_warehouse.sandbox.base import (
    SandboxNetwork,
    SandboxRequest,
    SandboxResponse,
    lifetime_of,
)
from social_warehouse.sandbox.model import EPOCH, AccountModel, Post, rng
from social_warehouse.timeutil import day_start, local_day

CHANNEL_RE = re.compile(r"^UC[A-Za-z0-9_-]{22}$")
VIDEO_RE = re.compile(r"^(?P<tag>[A-Za-z0-9_-]{4})(?P<n>\d{7})$")
MAX_REPORT_ROWS = 200
MAX_DATA_PAGE = 50
MAX_VIDEO_IDS = 50
DAILY_QUOTA_UNITS = 10_000
# Units per call (developers.google.com/youtube/v3/determine_quota_cost): every list call the
# connector makes costs 1; search.list would cost 100, which is why the connector avoids it.
UNIT_COST = 1

# Analytics metric -> (dataType, latent counter or a function of the day's values and a rng).
REPORT_METRICS: dict[str, tuple[str, Any]] = {
    "views": ("INTEGER", "video_views"),
    "estimatedMinutesWatched": ("INTEGER", "watch_minutes"),
    "averageViewDuration": ("INTEGER", "view_seconds"),
    "averageViewPercentage": ("FLOAT", "view_percentage"),
    "likes": ("INTEGER", "likes"),
    "dislikes": ("INTEGER", "dislikes"),
    "comments": ("INTEGER", "comments"),
    "shares": ("INTEGER", "shares"),
    "subscribersGained": ("INTEGER", "follower_gains"),
    "subscribersLost": ("INTEGER", "follower_losses"),
}
QUOTA_MESSAGE = (
    "The request cannot be completed because you have exceeded your "
    '<a href="/youtube/v3/getting-started#quota">quota</a>.'
)


def channel_tag(channel_id: str) -> str:
    """Four base64url characters naming a channel inside its video ids."""
    digest = hashlib.blake2b(channel_id.encode(), digest_size=3).digest()
    return base64.urlsafe_b64encode(digest).decode()


def round_subscribers(count: int) -> int:
    """The Data API shows subscriber counts rounded down to three significant figures (since
    September 2019, for every caller, the channel owner included)."""
    if count < 1000:
        return count
    scale = 10 ** (int(math.log10(count)) - 2)
    return count // scale * scale


def iso_z(instant: dt.datetime) -> str:
    return instant.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def encode_page_token(offset: int) -> str:
    return "EAAa" + base64.urlsafe_b64encode(f"PT:{offset}".encode()).decode().rstrip("=")


def decode_page_token(token: str) -> int | None:
    try:
        body = token.removeprefix("EAAa")
        text = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode()
        return int(text.removeprefix("PT:"))
    except (ValueError, UnicodeDecodeError):
        return None


class YouTubeSandbox(SandboxNetwork):
    name = "youtube"
    tz = "America/Los_Angeles"
    # Analytics rows appear ~48 h after the Pacific day closed, already final (the model's
    # revision window is 48 h too, so a served day never changes afterwards).
    lag_hours = 48
    # Every upload is a video. The video id format is set per channel in `model()`: a 4-char
    # channel tag plus the 7-digit post number, 11 characters like a real video id, so
    # `videos?id=` can find the channel and the post again.
    model_options = {
        "post_types": ("video",),
        "video_types": ("video",),
        "has_saves": False,
    }
    routes = [
        ("GET", r"/v2/reports", "reports"),
        ("GET", r"/youtube/v3/channels", "channels"),
        ("GET", r"/youtube/v3/playlistItems", "playlist_items"),
        ("GET", r"/youtube/v3/videos", "videos"),
    ]

    def __init__(self, seed: int) -> None:
        super().__init__(seed)
        self.quota_limit = DAILY_QUOTA_UNITS
        self.units: dict[tuple[str, dt.date], int] = {}
        self._channels_by_tag: dict[str, str] = {}
        self._quota_lock = threading.Lock()

    def account_model_options(self, account_id: str) -> dict[str, Any]:
        tag = channel_tag(account_id)
        self._channels_by_tag[tag] = account_id
        return {**self.model_options, "post_id_format": tag + "{n:07d}"}

    # --- plumbing ------------------------------------------------------------------------
    def dispatch(self, request: SandboxRequest) -> SandboxResponse:
        """Charge the call to the token's quota for the Pacific day first: over quota, every
        call answers 403 quotaExceeded until midnight Pacific."""
        if request.fault("quota_exceeded") is not None or not self._charge(request):
            return self.error("quota_exceeded", request)
        forbidden = request.fault("forbidden")
        if forbidden is not None:
            return self.error("forbidden", request, **forbidden.params)
        return super().dispatch(request)

    def _charge(self, request: SandboxRequest) -> bool:
        # The quota belongs to the Google Cloud project: the OAuth client of a token the sandbox
        # issued (all its grants and refreshed tokens share it), else the token itself.
        owner = request.grant.client_id if request.grant is not None else self.token(request)
        key = (owner, local_day(request.now, self.tz))
        with self._quota_lock:
            spent = self.units.get(key, 0)
            if spent + UNIT_COST > self.quota_limit:
                return False
            self.units[key] = spent + UNIT_COST
        return True

    def error(self, kind: str, request: SandboxRequest, **params: Any) -> SandboxResponse:
        if kind == "no_permission":
            # the Analytics API refuses a channel the token's Google account does not own
            kind, params = "forbidden", {"reason": "forbidden"}
        if kind in ("unauthorized", "invalid_token", "expired_token", "revoked_token"):
            message = (
                "Request is missing required authentication credential. Expected OAuth 2 access "
                "token, login cookie or other valid authentication credential."
                if kind == "unauthorized"
                else "Request had invalid authentication credentials. Expected OAuth 2 access "
                "token, login cookie or other valid authentication credential. See "
                "https://developers.google.com/identity/sign-in/web/devconsole-project."
            )
            return google_error(
                401,
                message,
                "authError",
                "global",
                "UNAUTHENTICATED",
                detail="Invalid Credentials",
                location="Authorization",
            )
        if kind == "quota_exceeded":
            return google_error(403, QUOTA_MESSAGE, "quotaExceeded", "youtube.quota", None)
        if kind == "throttle":
            status = int(params.get("status", 403))
            reason = str(params.get("reason", "rateLimitExceeded"))
            if status == 429:
                return google_error(
                    429,
                    "Resource has been exhausted (e.g. check quota).",
                    reason,
                    "usageLimits",
                    "RESOURCE_EXHAUSTED",
                )
            return google_error(
                403,
                "The request cannot be completed because you have exceeded your rate limit.",
                reason,
                "usageLimits",
                None,
            )
        if kind == "server_error":
            status = int(params.get("status", 500))
            if status == 503:
                return google_error(
                    503,
                    "The service is currently unavailable.",
                    "backendError",
                    "global",
                    "UNAVAILABLE",
                )
            return google_error(
                status, "Internal error encountered.", "backendError", "global", "INTERNAL"
            )
        if kind == "forbidden":
            reason = str(params.get("reason", "forbidden"))
            message = (
                "Request had insufficient authentication scopes."
                if reason == "insufficientPermissions"
                else "Forbidden"
            )
            return google_error(403, message, reason, "global", "PERMISSION_DENIED")
        if kind == "bad_request":
            return google_error(
                400,
                str(
                    params.get(
                        "message", "Invalid query. Query did not conform to the expectations."
                    )
                ),
                str(params.get("reason", "badRequest")),
                "global",
                "INVALID_ARGUMENT",
            )
        # not_found and anything unknown
        return google_error(
            404,
            str(params.get("message", "Requested entity was not found.")),
            str(params.get("reason", "notFound")),
            "global",
            "NOT_FOUND",
        )

    def corrupt(self, body: Any, params: dict[str, Any]) -> Any:
        """Break one Analytics row (a metric cell becomes "n/a", or the row loses its last cell
        with mode=short) or one Data API item (drop a dotted field, or make it "n/a")."""
        if not isinstance(body, dict):
            return body
        index = int(params.get("index", 0))
        rows = body.get("rows")
        if isinstance(rows, list) and rows:
            row = rows[min(index, len(rows) - 1)]
            if params.get("mode") == "short":
                row.pop()
            else:
                row[int(params.get("column", 1))] = "n/a"
            return body
        items = body.get("items")
        if isinstance(items, list) and items:
            victim = items[min(index, len(items) - 1)]
            *parents, leaf = str(params.get("field") or "id").split(".")
            for part in parents:
                victim = victim.get(part, {}) if isinstance(victim, dict) else {}
            if isinstance(victim, dict):
                if params.get("mode") == "string":
                    victim[leaf] = "n/a"
                else:
                    victim.pop(leaf, None)
        return body

    def accounts_of(self, request: SandboxRequest) -> set[str]:
        # Only the Analytics API is private: channels, playlists and videos are public data.
        ids = request.query.get("ids", "")
        if request.path.startswith("/v2/reports") and ids.startswith("channel=="):
            return {ids[len("channel==") :]}
        return set()

    # --- Analytics API -----------------------------------------------------------------------
    def reports(self, request: SandboxRequest) -> SandboxResponse:
        q = request.query
        ids = q.get("ids", "")
        if not ids.startswith("channel==") or not CHANNEL_RE.match(ids[len("channel==") :]):
            return self.error(
                "bad_request", request, message=f"Invalid value '{ids}' for parameter ids."
            )
        channel = ids[len("channel==") :]
        try:
            start = dt.date.fromisoformat(q.get("startDate", ""))
            end = dt.date.fromisoformat(q.get("endDate", ""))
        except ValueError:
            return self.error(
                "bad_request", request, message="Required: startDate and endDate as YYYY-MM-DD."
            )
        metrics = [m for m in q.get("metrics", "").split(",") if m]
        if not metrics:
            return self.error("bad_request", request, message="Required parameter: metrics")
        unknown = self._unknown_metrics(request, metrics)
        if unknown:
            return self.error(
                "bad_request",
                request,
                message=f"Unknown identifier ({unknown[0]}) given in field parameters.metrics.",
            )
        if q.get("dimensions", "day") != "day" or q.get("sort", "day") not in ("day", "-day"):
            return self.error(
                "bad_request",
                request,
                message="The query is not supported. Check the documentation at "
                "https://developers.google.com/youtube/analytics/v2/available_reports for a "
                "list of supported queries.",
            )
        if start > end:
            return self.error(
                "bad_request", request, message="The startDate must be before the endDate."
            )
        size = int(q.get("maxResults") or MAX_REPORT_ROWS)
        first = int(q.get("startIndex") or 1)
        if size > MAX_REPORT_ROWS or size < 1:
            return self.error(
                "bad_request",
                request,
                message=f"Invalid value '{size}'. Values must be within the range: [1, "
                f"{MAX_REPORT_ROWS}]",
                reason="invalidParameter",
            )
        if first < 1:
            return self.error(
                "bad_request",
                request,
                message=f"Invalid value '{first}'. Values must be within the range: [1, ]",
                reason="invalidParameter",
            )
        rows = self._report_rows(channel, start, end, metrics, request.now)
        if q.get("sort") == "-day":
            rows.reverse()
        headers = [{"name": "day", "columnType": "DIMENSION", "dataType": "STRING"}] + [
            {"name": m, "columnType": "METRIC", "dataType": REPORT_METRICS[m][0]} for m in metrics
        ]
        body: dict[str, Any] = {"kind": "youtubeAnalytics#resultTable", "columnHeaders": headers}
        start = self._report_start(request, first - 1, size, len(rows))
        page = rows[start : start + size]
        if page:  # the API omits `rows` when there is no data
            body["rows"] = page
        return SandboxResponse(200, body)

    @staticmethod
    def _report_start(request: SandboxRequest, start: int, size: int, rows: int) -> int:
        """The row a report page starts at. A report carries no continuation (the client counts
        `startIndex` itself, and a short page is the end), so `repeat_cursor` makes the server
        ignore `startIndex` past the chosen page and answer that page's rows again: a client
        that only advances `startIndex` until a short page never gets there."""
        fault = request.fault(listing.REPEAT_CURSOR)
        if fault is None:
            return start
        pages = math.ceil(rows / size)
        chosen = min(listing.page_numbers(fault.params.get("pages", [0]), pages))
        return min(start, chosen * size)

    def _unknown_metrics(self, request: SandboxRequest, metrics: list[str]) -> list[str]:
        retired: set[str] = set()
        fault = request.fault("retire_metric")
        if fault is not None:
            retired.update(
                str(m) for m in fault.params.get("metrics", [fault.params.get("metric")])
            )
        return [m for m in metrics if m in retired or m not in REPORT_METRICS]

    def _report_rows(
        self, channel: str, start: dt.date, end: dt.date, metrics: list[str], now: dt.datetime
    ) -> list[list[Any]]:
        """Rows from `start` up to the last day whose data exists at `now` (the API stops at
        the last day on which every requested metric is available)."""
        model = self.model(channel)
        rows = []
        day = start
        while day <= end:
            served = model.day_as_of(day, now, self.lag_hours)
            if served is None:
                if day >= EPOCH:
                    break
            else:
                values = self._native_day(channel, day, served)
                rows.append([day.isoformat(), *(values[m] for m in metrics)])
            day += dt.timedelta(days=1)
        return rows

    def _native_day(self, channel: str, day: dt.date, served: dict[str, int]) -> dict[str, Any]:
        r = rng(self.seed, self.name, channel, "watch", day)
        seconds = int(r.uniform(45, 420))
        values = {
            **served,
            "view_seconds": seconds if served["video_views"] else 0,
            "watch_minutes": served["video_views"] * seconds // 60,
            "view_percentage": round(r.uniform(25, 65), 2) if served["video_views"] else 0.0,
            "dislikes": served["likes"] * 3 // 100,
        }
        return {name: values[source] for name, (_, source) in REPORT_METRICS.items()}

    # --- Data API ---------------------------------------------------------------------------
    def _parts(self, request: SandboxRequest) -> set[str] | SandboxResponse:
        parts = {p.strip() for p in request.query.get("part", "").split(",") if p.strip()}
        if not parts:
            return self.error(
                "bad_request",
                request,
                message="No filter selected. Expected one of: part",
                reason="required",
            )
        return parts

    def _page_size(self, request: SandboxRequest, default: int = 5) -> int | SandboxResponse:
        size = int(request.query.get("maxResults") or default)
        if not 0 <= size <= MAX_DATA_PAGE:
            return self.error(
                "bad_request",
                request,
                message=f"Invalid value '{size}'. Values must be within the range: [0, "
                f"{MAX_DATA_PAGE}]",
                reason="invalidParameter",
            )
        return size

    def channels(self, request: SandboxRequest) -> SandboxResponse:
        parts = self._parts(request)
        if isinstance(parts, SandboxResponse):
            return parts
        if request.query.get("mine") == "true":
            # the channels of the Google account behind the token (none for a token the
            # sandbox never issued: it belongs to no account)
            ids = list(request.grant.accounts) if request.grant is not None else []
        else:
            ids = [i for i in request.query.get("id", "").split(",") if CHANNEL_RE.match(i)]
        items = [self._channel(i, parts, request.now) for i in ids]
        return SandboxResponse(
            200,
            {
                "kind": "youtube#channelListResponse",
                "etag": etag("channels", *ids),
                "pageInfo": {"totalResults": len(items), "resultsPerPage": 5},
                "items": items,
            },
        )

    def _channel(self, channel: str, parts: set[str], now: dt.datetime) -> dict[str, Any]:
        model = self.model(channel)
        item: dict[str, Any] = {"kind": "youtube#channel", "etag": etag(channel), "id": channel}
        if "snippet" in parts:
            item["snippet"] = {
                "title": f"Channel {channel[-6:]}",
                "description": "",
                "customUrl": f"@channel{channel[-6:].lower()}",
                "publishedAt": iso_z(day_start(EPOCH, self.tz)),
            }
        if "contentDetails" in parts:
            item["contentDetails"] = {
                "relatedPlaylists": {"likes": "", "uploads": "UU" + channel[2:]}
            }
        if "statistics" in parts:
            uploads = self._uploads(model, now)
            views = sum(p.lifetime(now)["video_views"] for p in uploads)
            item["statistics"] = {
                "viewCount": str(views),
                "subscriberCount": str(round_subscribers(model.followers_now(now))),
                "hiddenSubscriberCount": False,
                "videoCount": str(len(uploads)),
            }
        return item

    def _uploads(self, model: AccountModel, now: dt.datetime) -> list[Post]:
        return model.published_posts(now, since=day_start(EPOCH, self.tz))

    def playlist_items(self, request: SandboxRequest) -> SandboxResponse:
        parts = self._parts(request)
        if isinstance(parts, SandboxResponse):
            return parts
        size = self._page_size(request)
        if isinstance(size, SandboxResponse):
            return size
        playlist = request.query.get("playlistId", "")
        if not (playlist.startswith("UU") and CHANNEL_RE.match("UC" + playlist[2:])):
            return self.error(
                "not_found",
                request,
                message="The playlist identified with the request's <code>playlistId</code> "
                "parameter cannot be found.",
                reason="playlistNotFound",
            )
        channel = "UC" + playlist[2:]
        token = request.query.get("pageToken")
        offset = decode_page_token(token) if token else 0
        if offset is None:
            return self.error(
                "bad_request",
                request,
                message="The pageToken is invalid.",
                reason="invalidPageToken",
            )
        uploads = self._uploads(self.model(channel), request.now)  # newest first
        # Page tokens address playlist positions: private, deleted or blocked videos keep
        # theirs (listing.py), so a page can be short or empty and still carry nextPageToken.
        page = listing.page(uploads, offset, size, request)
        body: dict[str, Any] = {
            "kind": "youtube#playlistItemListResponse",
            "etag": etag(playlist, offset),
            "items": [
                self._playlist_item(p, playlist, position, parts)
                for p, position in zip(page.items, page.positions, strict=True)
            ],
            "pageInfo": {"totalResults": page.total, "resultsPerPage": size},
        }
        if page.next_offset is not None:
            body["nextPageToken"] = encode_page_token(page.next_offset)
        if offset:
            body["prevPageToken"] = encode_page_token(max(offset - size, 0))
        return SandboxResponse(200, body)

    def _playlist_item(
        self, post: Post, playlist: str, position: int, parts: set[str]
    ) -> dict[str, Any]:
        item: dict[str, Any] = {
            "kind": "youtube#playlistItem",
            "etag": etag(post.post_id, "item"),
            "id": base64.urlsafe_b64encode(f"{playlist}.{post.post_id}".encode()).decode(),
        }
        if "snippet" in parts:
            item["snippet"] = {
                "publishedAt": iso_z(post.published_at),
                "channelId": post.account_id,
                "title": post.text,
                "description": f"{post.text} - full description",
                "thumbnails": {
                    "default": {
                        "url": f"https://i.ytimg.com/vi/{post.post_id}/default.jpg",
                        "width": 120,
                        "height": 90,
                    }
                },
                "channelTitle": f"Channel {post.account_id[-6:]}",
                "playlistId": playlist,
                "position": position,
                "resourceId": {"kind": "youtube#video", "videoId": post.post_id},
                "videoOwnerChannelTitle": f"Channel {post.account_id[-6:]}",
                "videoOwnerChannelId": post.account_id,
            }
        if "contentDetails" in parts:
            item["contentDetails"] = {
                "videoId": post.post_id,
                "videoPublishedAt": iso_z(post.published_at),
            }
        return item

    def videos(self, request: SandboxRequest) -> SandboxResponse:
        parts = self._parts(request)
        if isinstance(parts, SandboxResponse):
            return parts
        ids = [i for i in request.query.get("id", "").split(",") if i]
        if not ids:
            return self.error(
                "bad_request",
                request,
                message="No filter selected. Expected one of: myRating, chart, id",
                reason="missingRequiredParameter",
            )
        if len(ids) > MAX_VIDEO_IDS:
            return self.error(
                "bad_request",
                request,
                message=f"The request specifies more than {MAX_VIDEO_IDS} video ids.",
                reason="invalidFilters",
            )
        # Unknown, private or deleted videos are simply absent from `items`.
        items = [
            self._video(post, parts, request.now)
            for post in (self._post(i, request.now) for i in ids)
            if post is not None
        ]
        return SandboxResponse(
            200,
            {
                "kind": "youtube#videoListResponse",
                "etag": etag("videos", *ids),
                "items": items,
                "pageInfo": {"totalResults": len(items), "resultsPerPage": len(items)},
            },
        )

    def _post(self, video_id: str, now: dt.datetime) -> Post | None:
        match = VIDEO_RE.match(video_id)
        channel = self._channels_by_tag.get(match.group("tag")) if match else None
        if match is None or channel is None:
            return None
        post = self.model(channel).post_by_index(int(match.group("n")))
        if post is None or post.post_id != video_id or post.published_at > now:
            return None
        return post

    def _video(self, post: Post, parts: set[str], now: dt.datetime) -> dict[str, Any]:
        item: dict[str, Any] = {
            "kind": "youtube#video",
            "etag": etag(post.post_id),
            "id": post.post_id,
        }
        if "snippet" in parts:
            item["snippet"] = {
                "publishedAt": iso_z(post.published_at),
                "channelId": post.account_id,
                "title": post.text,
                "description": f"{post.text} - full description",
                "channelTitle": f"Channel {post.account_id[-6:]}",
                "categoryId": "22",
                "liveBroadcastContent": "none",
            }
        if "statistics" in parts:
            life = post.lifetime(now)
            # The Data API sends every count as a string.
            item["statistics"] = {
                "viewCount": str(life["video_views"]),
                "likeCount": str(life["likes"]),
                "favoriteCount": "0",
                "commentCount": str(life["comments"]),
            }
        return item

    # --- ground truth --------------------------------------------------------------------------
    def truth(
        self, account_id: str, day: dt.date, as_of: dt.datetime, post_days: int
    ) -> dict[str, Any]:
        """`account` is None until the day closed. From then on it holds the followers the
        `channel` snapshot taken by that day's load reads (the subscriber count at the end of the
        day, rounded like the Data API rounds it); the Analytics metrics and `engagements` join
        once the Analytics day exists, ~48 h later. Until then they are absent (NULL)."""
        model = self.model(account_id)
        account = None
        if day >= EPOCH and model.is_closed(day, as_of):
            followers = round_subscribers(model.followers_at_end(day))
            native: dict[str, Any] = {"subscriberCount": followers}
            unified: dict[str, Any] = {"followers": followers}
            served = model.day_as_of(day, as_of, self.lag_hours)
            if served is not None:
                native.update(self._native_day(account_id, day, served))
                unified.update(
                    {
                        "video_views": native["views"],
                        "likes": native["likes"],
                        "comments": native["comments"],
                        "shares": native["shares"],
                        "engagements": native["likes"] + native["comments"] + native["shares"],
                        "follower_gains": native["subscribersGained"],
                        "follower_losses": native["subscribersLost"],
                    }
                )
            account = {"native": native, "unified": unified}
        lifetime = lifetime_of("likes", "comments", "video_views")
        return self.truth_record(account_id, day, as_of, post_days, account, lifetime)


def etag(*parts: object) -> str:
    text = "|".join(str(p) for p in parts).encode()
    return base64.urlsafe_b64encode(hashlib.blake2b(text, digest_size=18).digest()).decode()


def google_error(
    status: int,
    message: str,
    reason: str,
    domain: str,
    rpc_status: str | None,
    *,
    detail: str | None = None,
    location: str | None = None,
) -> SandboxResponse:
    """Google's JSON error envelope: `{"error": {"code", "message", "errors": [...], "status"}}`."""
    entry: dict[str, Any] = {"message": detail or message, "domain": domain, "reason": reason}
    if location:
        entry.update({"location": location, "locationType": "header"})
    error: dict[str, Any] = {"code": status, "message": message, "errors": [entry]}
    if rpc_status:
        error["status"] = rpc_status
    return SandboxResponse(status, {"error": error})


SANDBOX = YouTubeSandbox
