"""X API v2: the user object, the user timeline with `pagination_token` paging, tweet lookup by
`?ids=`, private (non-public and organic) metrics only for posts under 30 days old and only for
a user-context token (otherwise per-field partial errors in an HTTP 200), `x-rate-limit-*`
headers on every answer, 429 without Retry-After, the monthly usage cap, and not-found users
answered with HTTP 200 and an `errors` array.

Tweet ids are numeric strings: the account id followed by the post number on 8 digits, so a
`/2/tweets?ids=` lookup (which names no user) can find the account and the post again."""

from __future__ import annotations

import datetime as dt
import math
import time
from typing import Any

from social_warehouse.sandbox import listing
from social_warehouse.sandbox.base import (
    RateWindow,
    SandboxNetwork,
    SandboxRequest,
    SandboxResponse,
)
from social_warehouse.sandbox.model import EPOCH, Post, unit
from social_warehouse.timeutil import parse_instant

POST_DIGITS = 8
PRIVATE_METRICS_DAYS = 30
MAX_LOOKUP_IDS = 100
PROBLEMS = "https://api.twitter.com/2/problems"
DEFAULT_TWEET_FIELDS = ("id", "text", "edit_history_tweet_ids")
DEFAULT_USER_FIELDS = ("id", "name", "username")
NON_PUBLIC_FIELDS = ("impression_count", "url_link_clicks", "user_profile_clicks")
ORGANIC_FIELDS = (
    "impression_count",
    "like_count",
    "reply_count",
    "retweet_count",
    "url_link_clicks",
    "user_profile_clicks",
)
PRIVATE_OBJECTS = {"non_public_metrics": NON_PUBLIC_FIELDS, "organic_metrics": ORGANIC_FIELDS}
# Media keys carry the media type in their prefix (3 = photo, 7 = video), as on the real API.
MEDIA_PREFIX = {"photo": "3", "video": "7"}
TOKEN_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"


def iso_x(instant: dt.datetime) -> str:
    """X timestamps: UTC with milliseconds, `2026-11-20T14:03:00.000Z`."""
    return instant.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _base36(number: int, width: int = 0) -> str:
    digits = ""
    while number:
        number, rest = divmod(number, 36)
        digits = TOKEN_ALPHABET[rest] + digits
    return (digits or "0").rjust(width, "0")


def invalid_request(parameter: str, value: str, message: str) -> SandboxResponse:
    return SandboxResponse(
        400,
        {
            "errors": [{"parameters": {parameter: [value]}, "message": message}],
            "title": "Invalid Request",
            "detail": "One or more parameters to your request was invalid.",
            "type": f"{PROBLEMS}/invalid-request",
        },
    )


class XSandbox(SandboxNetwork):
    name = "x"
    tz = "UTC"
    lag_hours = 0
    model_options = {
        "post_types": ("photo", "video", "link", "status"),
        "video_types": ("video",),
        "post_id_format": "{account_id}{n:0" + str(POST_DIGITS) + "d}",
        "has_saves": True,  # bookmarks
    }
    routes = [
        ("GET", r"/2/users/me", "me"),
        ("GET", r"/2/users/(?P<user_id>[^/]+)", "user"),
        ("GET", r"/2/users/(?P<user_id>[^/]+)/tweets", "timeline"),
        ("GET", r"/2/tweets", "lookup"),
    ]

    def __init__(self, seed: int) -> None:
        super().__init__(seed)
        # The user timeline allows 900 calls per 15 minutes per user token.
        self.rate = RateWindow(limit=900, window_seconds=900.0)

    # --- plumbing ------------------------------------------------------------------------
    def _rate_headers(self, remaining: int, reset_seconds: float) -> dict[str, str]:
        # Rate windows run on the real clock (RateWindow is monotonic), whatever the data clock
        # says: the reset is a real unix time, as a client compares it with its own clock.
        reset = math.ceil(time.time() + max(reset_seconds, 0.0))
        return {
            "x-rate-limit-limit": str(self.rate.limit),
            "x-rate-limit-remaining": str(max(remaining, 0)),
            "x-rate-limit-reset": str(reset),
        }

    def decorate(
        self, request: SandboxRequest, response: SandboxResponse, usage: int, reset: float
    ) -> None:
        for key, value in self._rate_headers(self.rate.limit - usage, reset).items():
            response.headers.setdefault(key, value)

    def error(self, kind: str, request: SandboxRequest, **params: Any) -> SandboxResponse:
        if kind in ("unauthorized", "invalid_token", "expired_token", "revoked_token"):
            # X answers an expired OAuth 2.0 token exactly like a missing or revoked one.
            body = {"title": "Unauthorized", "type": "about:blank", "status": 401}
            return SandboxResponse(401, {**body, "detail": "Unauthorized"})
        if kind == "throttle":
            headers = self._rate_headers(0, float(params.get("reset", 1)))
            if int(params.get("code", 0)) == 88:  # the v1.1-style body some endpoints still send
                body: dict[str, Any] = {"errors": [{"code": 88, "message": "Rate limit exceeded"}]}
            else:
                body = {
                    "title": "Too Many Requests",
                    "detail": "Too Many Requests",
                    "type": "about:blank",
                    "status": 429,
                }
            return SandboxResponse(429, body, headers)
        if kind == "usage_capped":
            # The monthly post cap: a 429 while the 15-minute window still has room.
            return SandboxResponse(
                429,
                {
                    "account_id": 1701234567,
                    "product_name": "standard-basic",
                    "title": "UsageCapExceeded",
                    "period": "Monthly",
                    "scope": "Product",
                    "detail": "Usage cap exceeded: Monthly product cap",
                    "type": f"{PROBLEMS}/usage-capped",
                },
            )
        if kind == "server_error":
            status = int(params.get("status", 503))
            title = "Service Unavailable" if status == 503 else "Internal Server Error"
            return SandboxResponse(
                status, {"title": title, "detail": title, "type": "about:blank", "status": status}
            )
        if kind == "bad_request":
            return invalid_request(
                str(params.get("parameter", "id")),
                str(params.get("value", "")),
                str(params.get("message", "Invalid Request")),
            )
        # not_found: an unknown user is an HTTP 200 with an errors array and no data; a path
        # the API does not serve is a plain 404
        parts = request.path.strip("/").split("/")
        user_id = params.get("user_id") or (parts[2] if parts[:2] == ["2", "users"] else None)
        if user_id is None or len(parts) > 4:
            body = {"errors": [{"message": "Sorry, that page does not exist", "code": 34}]}
            return SandboxResponse(404, body)
        return SandboxResponse(200, {"errors": [self._user_not_found(str(user_id))]})

    @staticmethod
    def _user_not_found(user_id: str) -> dict[str, str]:
        return {
            "value": user_id,
            "detail": f"Could not find user with id: [{user_id}].",
            "title": "Not Found Error",
            "resource_type": "user",
            "parameter": "id",
            "resource_id": user_id,
            "type": f"{PROBLEMS}/resource-not-found",
        }

    def dispatch(self, request: SandboxRequest) -> SandboxResponse:
        if request.fault("usage_capped") is not None:
            return self.error("usage_capped", request)
        return super().dispatch(request)

    def corrupt(self, body: Any, params: dict[str, Any]) -> Any:
        data = body.get("data") if isinstance(body, dict) else None
        if isinstance(data, dict):  # a single object (the user lookup)
            field_name = params.get("field") or "id"
            if params.get("mode") == "string":
                data[field_name] = "n/a"
            else:
                data.pop(field_name, None)
            return body
        return super().corrupt(body, params)

    def _check_user(self, request: SandboxRequest, user_id: str) -> SandboxResponse | None:
        if not user_id.isdigit():
            return invalid_request(
                "id", user_id, f"The `id` query parameter value [{user_id}] is not valid"
            )
        if request.fault("not_found") is not None:
            return self.error("not_found", request, user_id=user_id)
        return None

    def _post(self, tweet_id: str, now: dt.datetime) -> Post | None:
        if not tweet_id.isdigit() or len(tweet_id) <= POST_DIGITS:
            return None
        account_id, n = tweet_id[:-POST_DIGITS], int(tweet_id[-POST_DIGITS:])
        if not 1 <= n <= ((now.date() - EPOCH).days + 1) * 10:  # a post number never used yet
            return None
        post = self.model(account_id).post_by_index(n)
        if post is None or post.post_id != tweet_id or post.published_at > now:
            return None
        return post

    # --- users -----------------------------------------------------------------------------
    def _user_metrics(self, user_id: str, now: dt.datetime) -> dict[str, int]:
        model = self.model(user_id)
        followers = model.followers_now(now)
        days = max((now.date() - EPOCH).days, 0)
        return {
            "followers_count": followers,
            "following_count": 40 + int(900 * unit(self.seed, self.name, user_id, "following")),
            "tweet_count": 800 + int(model.profile.posts_per_day * days),
            "listed_count": followers // 180,
        }

    def user(self, request: SandboxRequest, user_id: str) -> SandboxResponse:
        if (bad := self._check_user(request, user_id)) is not None:
            return bad
        values: dict[str, Any] = {
            "id": user_id,
            "name": f"Brand {user_id[-4:]}",
            "username": f"brand_{user_id[-6:]}",
            "created_at": iso_x(dt.datetime(2019, 3, 4, 15, 9, tzinfo=dt.UTC)),
            "description": "Official account",
            "verified": False,
            "public_metrics": self._user_metrics(user_id, request.now),
        }
        wanted = set(DEFAULT_USER_FIELDS) | self._fields(request, "user.fields")
        return SandboxResponse(200, {"data": {k: v for k, v in values.items() if k in wanted}})

    def me(self, request: SandboxRequest) -> SandboxResponse:
        """`GET /2/users/me`: the user who consented. An app-only (Bearer) token has no user:
        X refuses it for this endpoint."""
        if request.grant is None:
            return SandboxResponse(
                403,
                {
                    "title": "Unsupported Authentication",
                    "detail": "Authenticating with OAuth 2.0 Application-Only is forbidden for "
                    "this endpoint.  Supported authentication types are [OAuth 1.0a User "
                    "Context, OAuth 2.0 User Context].",
                    "type": f"{PROBLEMS}/unsupported-authentication",
                    "status": 403,
                },
            )
        return self.user(request, request.grant.user_id)

    # --- tweets --------------------------------------------------------------------------------
    @staticmethod
    def _fields(request: SandboxRequest, name: str) -> set[str]:
        return {f.strip() for f in request.query.get(name, "").split(",") if f.strip()}

    def _page_token(self, user_id: str, offset: int) -> str:
        check = int(unit(self.seed, self.name, "page", user_id, offset) * 36**10)
        return _base36(check, 10) + _base36(offset)

    def _read_token(self, user_id: str, token: str) -> int | None:
        try:
            offset = int(token[10:], 36)
        except ValueError:
            return None
        return offset if self._page_token(user_id, offset) == token else None

    def timeline(self, request: SandboxRequest, user_id: str) -> SandboxResponse:
        """`GET /2/users/:id/tweets`: newest first, `start_time` inclusive, `end_time`
        exclusive, 5..100 per page, the rest behind `meta.next_token`."""
        if (bad := self._check_user(request, user_id)) is not None:
            return bad
        raw_size = request.query.get("max_results", "10")
        if not raw_size.isdigit() or not 5 <= int(raw_size) <= 100:
            return invalid_request(
                "max_results",
                raw_size,
                f"The `max_results` query parameter value [{raw_size}] is not between 5 and 100",
            )
        bounds: dict[str, dt.datetime | None] = {}
        for name in ("start_time", "end_time"):
            value = request.query.get(name)
            try:
                bounds[name] = parse_instant(value) if value else None
            except ValueError:
                return invalid_request(
                    name, str(value), f"The `{name}` query parameter value [{value}] is not valid"
                )
        offset = 0
        if token := request.query.get("pagination_token"):
            read = self._read_token(user_id, token)
            if read is None:
                return invalid_request(
                    "pagination_token",
                    token,
                    f"The `pagination_token` query parameter value [{token}] is not valid",
                )
            offset = read
        posts = self.model(user_id).published_posts(
            request.now, bounds["start_time"], bounds["end_time"]
        )
        size = int(raw_size)
        # Tokens address slots: deleted or withheld tweets still take theirs (listing.py), so a
        # page can hold fewer than max_results tweets, or none, and still carry a next_token.
        page = listing.page(posts, offset, size, request)
        body, errors = self._render_many(page.items, request)
        meta: dict[str, Any] = {"result_count": len(page.items)}
        if page.items:
            meta.update(newest_id=page.items[0].post_id, oldest_id=page.items[-1].post_id)
        if page.next_offset is not None:
            meta["next_token"] = self._page_token(user_id, page.next_offset)
        if offset and (page.items or page.has_more):
            meta["previous_token"] = self._page_token(user_id, max(offset - size, 0))
        out: dict[str, Any] = {}
        if body:  # an empty timeline has no `data` at all, only meta.result_count = 0
            out["data"] = body
        if errors:
            out["errors"] = errors
        out["meta"] = meta
        return SandboxResponse(200, out)

    def lookup(self, request: SandboxRequest) -> SandboxResponse:
        """`GET /2/tweets?ids=a,b`: up to 100 tweets; unknown ids become partial errors."""
        ids = [i for i in request.query.get("ids", "").split(",") if i]
        if not ids or len(ids) > MAX_LOOKUP_IDS:
            return invalid_request(
                "ids",
                request.query.get("ids", ""),
                f"The number of values in the `ids` query parameter list [{len(ids)}] is not "
                f"between 1 and {MAX_LOOKUP_IDS}",
            )
        found, missing = [], []
        for tweet_id in ids:
            post = self._post(tweet_id, request.now)
            if post is None:
                missing.append(tweet_id)
            else:
                found.append(post)
        data, errors = self._render_many(found, request)
        errors += [
            {
                "value": tweet_id,
                "detail": f"Could not find tweet with ids: [{tweet_id}].",
                "title": "Not Found Error",
                "resource_type": "tweet",
                "parameter": "ids",
                "resource_id": tweet_id,
                "type": f"{PROBLEMS}/resource-not-found",
            }
            for tweet_id in missing
        ]
        out: dict[str, Any] = {}
        if data:
            out["data"] = data
        if errors:
            out["errors"] = errors
        return SandboxResponse(200, out)

    def _render_many(
        self, posts: list[Post], request: SandboxRequest
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        fields = set(DEFAULT_TWEET_FIELDS) | self._fields(request, "tweet.fields")
        app_only = request.fault("app_only_token") is not None
        data, errors = [], []
        for post in posts:
            # A user-context token sees the private metrics of its own user's posts only.
            other_user = request.scope is not None and post.account_id not in request.scope
            tweet, denied = self._render_tweet(post, fields, request.now, app_only or other_user)
            data.append(tweet)
            errors.extend(
                self._field_error(post.post_id, field, app_only, other_user) for field in denied
            )
        return data, errors

    @staticmethod
    def _field_error(
        tweet_id: str, field: str, app_only: bool, other_user: bool = False
    ) -> dict[str, str]:
        if app_only:
            detail = f"Sorry, you are not authorized to access '{field}' on a Tweet."
        elif other_user:
            detail = (
                f"Sorry, you are not authorized to access '{field}' on the Tweet with id: "
                f"[{tweet_id}]."
            )
        else:
            detail = (
                f"Sorry, you are not authorized to access '{field}' on the Tweet with id: "
                f"[{tweet_id}]. Private metrics are available for 30 days after posting."
            )
        return {
            "value": tweet_id,
            "detail": detail,
            "title": "Field Authorization Error",
            "resource_type": "tweet",
            "field": field,
            "parameter": "tweet.fields",
            "resource_id": tweet_id,
            "section": "data",
            "type": f"{PROBLEMS}/not-authorized-for-field",
        }

    def native_metrics(self, post: Post, as_of: dt.datetime) -> dict[str, dict[str, int]]:
        """The post's metric objects as X names them, at `as_of`."""
        life = post.lifetime(as_of)
        quotes = math.floor(life["shares"] * 0.4 * unit(self.seed, "quotes", post.post_id))
        profile = math.floor(life["clicks"] * 0.6 * unit(self.seed, "profile", post.post_id))
        retweets = life["shares"] - quotes
        return {
            "public_metrics": {
                "retweet_count": retweets,
                "reply_count": life["comments"],
                "like_count": life["likes"],
                "quote_count": quotes,
                "bookmark_count": life["saves"],
                "impression_count": life["impressions"],
            },
            "non_public_metrics": {
                "impression_count": life["impressions"],
                "url_link_clicks": life["clicks"],
                "user_profile_clicks": profile,
            },
            "organic_metrics": {
                "impression_count": life["impressions"],
                "like_count": life["likes"],
                "reply_count": life["comments"],
                "retweet_count": retweets,
                "url_link_clicks": life["clicks"],
                "user_profile_clicks": profile,
            },
        }

    @staticmethod
    def private_available(post: Post, as_of: dt.datetime) -> bool:
        return as_of - post.published_at <= dt.timedelta(days=PRIVATE_METRICS_DAYS)

    def _render_tweet(
        self, post: Post, fields: set[str], now: dt.datetime, app_only: bool
    ) -> tuple[dict[str, Any], list[str]]:
        """The tweet with the requested fields, and the private fields it was refused."""
        metrics = self.native_metrics(post, now)
        link = f"https://t.co/{post.post_id[-10:]}"
        text = f"{post.text} {link}" if post.post_type == "link" else post.text
        tweet: dict[str, Any] = {"id": post.post_id, "text": text}
        if "edit_history_tweet_ids" in fields:
            tweet["edit_history_tweet_ids"] = [post.post_id]
        if "created_at" in fields:
            tweet["created_at"] = iso_x(post.published_at)
        if "author_id" in fields:
            tweet["author_id"] = post.account_id
        if "attachments" in fields and post.post_type in MEDIA_PREFIX:
            tweet["attachments"] = {
                "media_keys": [f"{MEDIA_PREFIX[post.post_type]}_{post.post_id}"]
            }
        if "entities" in fields and post.post_type == "link":
            start = len(post.text) + 1
            tweet["entities"] = {
                "urls": [
                    {
                        "start": start,
                        "end": start + len(link),
                        "url": link,
                        "expanded_url": f"https://brand.example/{post.index}",
                        "display_url": f"brand.example/{post.index}",
                    }
                ]
            }
        if "public_metrics" in fields:
            tweet["public_metrics"] = metrics["public_metrics"]
        denied: list[str] = []
        for name, subfields in PRIVATE_OBJECTS.items():
            if name not in fields:
                continue
            if app_only or not self.private_available(post, now):
                denied.extend(f"{name}.{sub}" for sub in subfields)
            else:
                tweet[name] = metrics[name]
        return tweet, denied

    # --- ground truth --------------------------------------------------------------------------
    def truth(
        self, account_id: str, day: dt.date, as_of: dt.datetime, post_days: int
    ) -> dict[str, Any]:
        model = self.model(account_id)
        account = None
        if model.is_closed(day, as_of, self.lag_hours):
            native = self._user_metrics(account_id, as_of)
            # X has no account-level daily analytics: the user object gives followers only.
            account = {"native": native, "unified": {"followers": native["followers_count"]}}
        return self.truth_record(account_id, day, as_of, post_days, account, self._post_unified)

    def _post_unified(self, post: Post, as_of: dt.datetime) -> dict[str, int]:
        native = self.native_metrics(post, as_of)
        public = native["public_metrics"]
        unified = {
            "impressions": public["impression_count"],
            "likes": public["like_count"],
            "comments": public["reply_count"],
            "shares": public["retweet_count"] + public["quote_count"],
            "saves": public["bookmark_count"],
        }
        if self.private_available(post, as_of):
            unified["clicks"] = native["non_public_metrics"]["url_link_clicks"]
        return unified


SANDBOX = XSandbox
