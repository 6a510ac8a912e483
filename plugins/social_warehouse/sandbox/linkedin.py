"""LinkedIn Community Management API for organization pages, under `/rest/`:

- `organizationalEntityShareStatistics`: organic share statistics per UTC day (`timeIntervals` in
  epoch milliseconds, DAY granularity, both ends on 00:00 UTC, start inside the rolling 12-month
  window), or lifetime statistics per post with `shares=List(...)` / `ugcPosts=List(...)`
  (one kind per call);
- `organizationalEntityFollowerStatistics`: organic and paid follower gains per UTC day;
- `networkSizes/{organization urn}?edgeType=COMPANY_FOLLOWED_BY_MEMBER`: the follower total;
- `posts?q=author`: `start`/`count` pages sorted by `lastModifiedAt` (a post edited later moves
  up the list), ids `urn:li:share:...` or `urn:li:ugcPost:...`.

Every call needs `LinkedIn-Version: YYYYMM` (one of the 12 monthly versions up to the clock's
month; others answer 426 NONEXISTENT_VERSION, none answers 400 VERSION_MISSING) and, for the
Rest.li 2.0 query syntax, `X-Restli-Protocol-Version: 2.0.0`. Errors use LinkedIn's envelope
`{"status", "serviceErrorCode", "code", "message"}`; the daily limits answer 429 with the
"APPLICATION DAY limit" wording, infrastructure protection answers a bare 429."""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache
from typing import Any
from urllib.parse import urlencode

from social_warehouse.sandbox import listing
from social_warehouse.sandbox.base import (
    SandboxNetwork,
    SandboxRequest,
    SandboxResponse,
    lifetime_of,
)
from social_warehouse.sandbox.model import Post, unit
from social_warehouse.timeutil import day_start

DAY_MS = 86_400_000
ACTIVE_VERSION_MONTHS = 12
MAX_PAGE_COUNT = 100  # the posts finder's page size cap
MAX_POST_URNS = 50  # post URNs per statistics call before the API refuses the request
EDITED_SHARE = 0.15  # posts their author edits after publishing (they move up a LAST_MODIFIED list)
UGC_SHARE = 0.35  # posts created through the UI carry ugcPost URNs, API-created ones share URNs
ENC = r"(?::|%3[aA])"
ORG_PATH = rf"urn{ENC}li{ENC}organization{ENC}(?P<org_id>\d+)"
ORG_URN = re.compile(r"^urn:li:organization:(\d+)$")
POST_URN = re.compile(r"^urn:li:(share|ugcPost):7(\d{10})(\d+)$")
VERSION = re.compile(r"^(\d{4})(\d{2})(?:\.\d{2})?$")

STATUS_NAMES = {500: "INTERNAL_SERVER_ERROR", 502: "BAD_GATEWAY", 503: "SERVICE_UNAVAILABLE"}


def ms(instant: dt.datetime) -> int:
    return int(instant.timestamp()) * 1000


def day_ms(day: dt.date) -> int:
    return ms(day_start(day, "UTC"))


def active_versions(now: dt.datetime) -> list[str]:
    """The monthly versions served at `now`: the clock's month and the 11 before it."""
    year, month = now.year, now.month
    versions = []
    for _ in range(ACTIVE_VERSION_MONTHS):
        versions.append(f"{year:04d}{month:02d}")
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return versions


def retention_start(now: dt.datetime) -> dt.date:
    """The first UTC day inside the rolling 12-month statistics window at `now`."""
    today = now.astimezone(dt.UTC).date()
    try:
        return today.replace(year=today.year - 1)
    except ValueError:  # 29 February
        return today.replace(year=today.year - 1, day=28)


def parse_list(value: str | None) -> list[str] | None:
    """Rest.li 2.0 `List(a,b,c)` (already URL-decoded) -> ["a", "b", "c"]."""
    if value is None:
        return None
    match = re.fullmatch(r"List\((.*)\)", value.strip())
    if not match:
        raise ValueError(f"expected List(...), got {value[:60]!r}")
    return [item for item in match.group(1).split(",") if item]


def parse_intervals(query: dict[str, str]) -> tuple[int, int, str] | None:
    """`timeIntervals=(timeRange:(start:..,end:..),timeGranularityType:DAY)` or the Rest.li 1.0
    dotted form -> (start ms, end ms, granularity); None when no time interval was asked for."""
    raw = query.get("timeIntervals")
    if raw is not None:
        start = re.search(r"start:(-?\d+)", raw)
        end = re.search(r"end:(-?\d+)", raw)
        granularity = re.search(r"timeGranularityType:([A-Z]+)", raw)
        if not (start and end and granularity):
            raise ValueError(f"cannot read timeIntervals {raw[:120]!r}")
        return int(start.group(1)), int(end.group(1)), granularity.group(1)
    dotted = [
        query.get(f"timeIntervals.{k}")
        for k in ("timeRange.start", "timeRange.end", "timeGranularityType")
    ]
    if not any(dotted):
        return None
    if not all(dotted):
        raise ValueError(
            "timeIntervals needs timeRange.start, timeRange.end and timeGranularityType"
        )
    return int(dotted[0] or 0), int(dotted[1] or 0), str(dotted[2])


def share_statistics(values: dict[str, int]) -> dict[str, Any]:
    """`totalShareStatistics` from latent counters; `engagement` is LinkedIn's rate."""
    interactions = values["clicks"] + values["likes"] + values["comments"] + values["shares"]
    impressions = values["impressions"]
    return {
        "uniqueImpressionsCount": values["reach"],
        "shareCount": values["shares"],
        "engagement": interactions / impressions if impressions else 0.0,
        "clickCount": values["clicks"],
        "likeCount": values["likes"],
        "impressionCount": impressions,
        "commentCount": values["comments"],
    }


class LinkedInSandbox(SandboxNetwork):
    name = "linkedin"
    tz = "UTC"
    # Assumed: LinkedIn documents no delay, but a closed UTC day's statistics show up a few
    # hours after midnight and keep moving for two days (the model's revision).
    lag_hours = 6
    model_options = {
        "post_types": ("text", "image", "video", "article", "document"),
        "video_types": ("video",),
        "post_id_format": "7{n:010d}{account_id}",
        "has_saves": False,
    }
    routes = [
        ("GET", r"/rest/organizationalEntityShareStatistics", "share_stats"),
        ("GET", r"/rest/organizationalEntityFollowerStatistics", "follower_stats"),
        ("GET", rf"/rest/networkSizes/{ORG_PATH}", "network_size"),
        ("GET", r"/rest/posts", "posts"),
        ("GET", r"/rest/organizationAcls", "organization_acls"),
    ]

    # --- plumbing ------------------------------------------------------------------------
    @staticmethod
    def _envelope(
        status: int, code: str, message: str, service_code: int | None = None
    ) -> SandboxResponse:
        body: dict[str, Any] = {"status": status}
        if service_code is not None:
            body["serviceErrorCode"] = service_code
        body.update({"code": code, "message": message})
        return SandboxResponse(status, body)

    def error(self, kind: str, request: SandboxRequest, **params: Any) -> SandboxResponse:
        if kind in ("unauthorized", "invalid_token"):
            return self._envelope(401, "INVALID_ACCESS_TOKEN", "Invalid access token", 65600)
        if kind == "expired_token":
            return self._envelope(
                401, "EXPIRED_ACCESS_TOKEN", "The token used in the request has expired", 65602
            )
        if kind == "revoked_token":
            return self._envelope(
                401,
                "REVOKED_ACCESS_TOKEN",
                "The token used in the request has been revoked by the user",
                65601,
            )
        if kind == "no_permission":
            # the member behind the token is no ADMINISTRATOR of this organization
            resource = request.path.strip("/").split("/")[1] if "/" in request.path else "?"
            version = request.header("LinkedIn-Version") or "NO_VERSION"
            return self._envelope(
                403,
                "ACCESS_DENIED",
                f"Not enough permissions to access: {resource}.GET.{version}",
                100,
            )
        if kind == "daily_limit" or (kind == "throttle" and params.get("daily")):
            scope = str(params.get("scope", "APPLICATION"))
            return self._envelope(
                429,
                "TOO_MANY_REQUESTS",
                f"Resource level throttle {scope} DAY limit for calls to this resource is reached.",
                101,
            )
        if kind == "throttle":
            # infrastructure protection: a bare 429, no limit named, no reset time given
            return self._envelope(429, "TOO_MANY_REQUESTS", "Too Many Requests")
        if kind == "server_error":
            status = int(params.get("status", 500))
            name = STATUS_NAMES.get(status, "INTERNAL_SERVER_ERROR")
            return self._envelope(status, name, name.replace("_", " ").title())
        if kind == "version_missing":
            return self._envelope(
                400,
                "VERSION_MISSING",
                "A version must be present. Please specify a version by adding the "
                "LinkedIn-Version header.",
            )
        if kind == "version_inactive":
            return self._envelope(
                426, "NONEXISTENT_VERSION", f"Requested version {params['version']} is not active"
            )
        if kind == "access_denied":
            resource = (
                request.path.strip("/").split("/")[1] if "/" in request.path.strip("/") else "?"
            )
            return self._envelope(
                403,
                "ACCESS_DENIED",
                params.get(
                    "message", f"Not enough permissions to access: {resource}.GET.NO_VERSION"
                ),
                100,
            )
        if kind == "bad_request":
            return self._envelope(400, "ILLEGAL_ARGUMENT", params.get("message", "Invalid request"))
        return self._envelope(404, "NOT_FOUND", f"No resource found at {request.path}")

    def decorate(
        self, request: SandboxRequest, response: SandboxResponse, usage: int, reset: float
    ) -> None:
        # LinkedIn publishes no usage headers: usage is only visible in the developer portal.
        response.headers["x-restli-protocol-version"] = "2.0.0"

    def dispatch(self, request: SandboxRequest) -> SandboxResponse:
        for kind in ("daily_limit", "revoked_token", "access_denied"):
            fault = request.fault(kind)
            if fault is not None:
                return self.error(kind, request, **fault.params)
        version = request.header("LinkedIn-Version").strip()
        if not version:
            return self.error("version_missing", request)
        match = VERSION.match(version)
        if not match or match.group(1) + match.group(2) not in active_versions(request.now):
            return self.error("version_inactive", request, version=version)
        restli = request.header("X-Restli-Protocol-Version")
        uses_restli2 = any(v.startswith(("(", "List(")) for v in request.query.values())
        if uses_restli2 and restli != "2.0.0":
            return self.error(
                "bad_request",
                request,
                message="Invalid query parameter syntax: Rest.li 2.0 values need the "
                "X-Restli-Protocol-Version: 2.0.0 header",
            )
        return super().dispatch(request)

    def corrupt(self, body: Any, params: dict[str, Any]) -> Any:
        """Break one element (or a single-object answer): drop a dotted field, or make it a
        string with mode=string."""
        if not isinstance(body, dict):
            return body
        items = body.get("elements")
        victim: Any = body
        if isinstance(items, list) and items:
            victim = items[min(int(params.get("index", 0)), len(items) - 1)]
        *parents, last = str(params.get("field") or "id").split(".")
        for part in parents:
            victim = victim.get(part) if isinstance(victim, dict) else None
        if isinstance(victim, dict):
            if params.get("mode") == "string":
                victim[last] = "n/a"
            else:
                victim.pop(last, None)
        return body

    # --- ids -----------------------------------------------------------------------------
    @lru_cache(maxsize=1 << 16)  # noqa: B019 - one instance per server, kept for its life
    def _traits(self, post_id: str) -> tuple[str, float | None, int]:
        """(URN kind, hours from publishing to the author's edit or None, minutes the post was a
        draft): pure functions of the post id, cached because every posts page renders and
        sorts the whole list."""
        kind = "ugcPost" if unit(self.seed, self.name, post_id, "urn") < UGC_SHARE else "share"
        edit_hours = None
        if unit(self.seed, self.name, post_id, "edited") < EDITED_SHARE:
            edit_hours = 1 + unit(self.seed, self.name, post_id, "edit-delay") * 24 * 45
        draft_minutes = int(unit(self.seed, self.name, post_id, "draft") * 90)
        return kind, edit_hours, draft_minutes

    def urn(self, post: Post) -> str:
        return f"urn:li:{self._traits(post.post_id)[0]}:{post.post_id}"

    def _post_by_urn(self, urn: str, org_id: str, now: dt.datetime) -> Post | None:
        match = POST_URN.match(urn)
        if not match or match.group(3) != org_id:
            return None
        post = self.model(org_id).post_by_index(int(match.group(2)))
        if post is None or post.published_at > now or self.urn(post) != urn:
            return None
        return post

    @staticmethod
    def _org_of(value: str | None) -> str | None:
        match = ORG_URN.match(value or "")
        return match.group(1) if match else None

    def accounts_of(self, request: SandboxRequest) -> set[str]:
        found = {
            self._org_of(request.query.get(name)) for name in ("organizationalEntity", "author")
        }
        match = re.search(ORG_PATH, request.path)
        if match:
            found.add(match.group("org_id"))
        return {org for org in found if org}

    # --- organization access control ---------------------------------------------------------
    def organization_acls(self, request: SandboxRequest) -> SandboxResponse:
        """`GET /rest/organizationAcls?q=roleAssignee[&role=ADMINISTRATOR&state=APPROVED]`: the
        organizations the member behind the token has a role on (a token the sandbox never
        issued belongs to no member: none)."""
        if request.query.get("q") != "roleAssignee":
            return self.error("bad_request", request, message="q=roleAssignee is required")
        grant = request.grant
        role = request.query.get("role", "ADMINISTRATOR")
        state = request.query.get("state", "APPROVED")
        elements = []
        if grant is not None and role == "ADMINISTRATOR" and state == "APPROVED":
            elements = [
                {
                    "roleAssignee": f"urn:li:person:{grant.user_id}",
                    "state": "APPROVED",
                    "role": "ADMINISTRATOR",
                    "organization": f"urn:li:organization:{org}",
                }
                for org in grant.accounts
            ]
        return SandboxResponse(
            200,
            {
                "paging": {"count": max(len(elements), 10), "start": 0, "links": []},
                "elements": elements,
            },
        )

    # --- statistics ------------------------------------------------------------------------
    def _days(self, request: SandboxRequest) -> tuple[list[dt.date] | None, SandboxResponse | None]:
        """The UTC days a time-bound request covers, or the error it deserves."""
        try:
            intervals = parse_intervals(request.query)
        except ValueError as exc:
            return None, self.error("bad_request", request, message=f"Invalid timeIntervals: {exc}")
        if intervals is None:
            return None, None
        start, end, granularity = intervals
        if granularity != "DAY":
            return None, self.error(
                "bad_request",
                request,
                message=f"timeGranularityType {granularity} is not served by this sandbox "
                "(DAY only)",
            )
        if end <= start:
            return None, self.error(
                "bad_request",
                request,
                message="Invalid timeIntervals: timeRange.end must be after start",
            )
        if start % DAY_MS or end % DAY_MS:
            return None, self.error(
                "bad_request",
                request,
                message="Invalid timeIntervals: with DAY granularity timeRange.start and "
                "timeRange.end must fall on 00:00 UTC (epoch milliseconds)",
            )
        earliest = day_ms(retention_start(request.now))
        if start < earliest:
            return None, self.error(
                "bad_request",
                request,
                message=f"Invalid timeIntervals: timeRange.start {start} is outside the rolling "
                f"12-month window (earliest allowed start {earliest})",
            )
        first = dt.datetime.fromtimestamp(start / 1000, dt.UTC).date()
        return [first + dt.timedelta(days=i) for i in range((end - start) // DAY_MS)], None

    @staticmethod
    def _collection(elements: list[dict[str, Any]]) -> SandboxResponse:
        return SandboxResponse(
            200,
            {"paging": {"count": 10, "start": 0, "links": []}, "elements": elements},
        )

    def _statistics_org(self, request: SandboxRequest) -> str | SandboxResponse:
        """The organization of a `q=organizationalEntity` statistics finder, or its refusal."""
        org_id = self._org_of(request.query.get("organizationalEntity"))
        if request.query.get("q") != "organizationalEntity" or org_id is None:
            return self.error(
                "bad_request",
                request,
                message="q=organizationalEntity and an organizationalEntity URN are required",
            )
        return org_id

    def share_stats(self, request: SandboxRequest) -> SandboxResponse:
        org_id = self._statistics_org(request)
        if isinstance(org_id, SandboxResponse):
            return org_id
        try:
            shares = parse_list(request.query.get("shares"))
            ugc_posts = parse_list(request.query.get("ugcPosts"))
        except ValueError as exc:
            return self.error("bad_request", request, message=str(exc))
        if shares is not None and ugc_posts is not None:
            return self.error(
                "bad_request", request, message="shares and ugcPosts cannot be combined in one call"
            )
        if shares is not None or ugc_posts is not None:
            param = "shares" if shares is not None else "ugcPosts"
            return self._post_stats(request, org_id, param, shares or ugc_posts or [])
        days, problem = self._days(request)
        if problem is not None:
            return problem
        model = self.model(org_id)
        org_urn = f"urn:li:organization:{org_id}"
        if days is None:  # lifetime totals of the organization's posts inside the window
            since = day_start(retention_start(request.now), "UTC")
            totals = dict.fromkeys(
                ("impressions", "reach", "clicks", "likes", "comments", "shares"), 0
            )
            for post in model.published_posts(request.now, since):
                life = post.lifetime(request.now)
                for key in totals:
                    totals[key] += life[key]
            return self._collection(
                [
                    {
                        "organizationalEntity": org_urn,
                        "totalShareStatistics": share_statistics(totals),
                    }
                ]
            )
        elements = []
        for day in days:
            served = model.day_as_of(day, request.now, self.lag_hours)
            if served is None:
                continue
            elements.append(
                {
                    "totalShareStatistics": share_statistics(served),
                    "organizationalEntity": org_urn,
                    "timeRange": {"start": day_ms(day), "end": day_ms(day) + DAY_MS},
                }
            )
        return self._collection(elements)

    def _post_stats(
        self, request: SandboxRequest, org_id: str, param: str, urns: list[str]
    ) -> SandboxResponse:
        if len(urns) > MAX_POST_URNS:
            return self.error(
                "bad_request",
                request,
                message=f"Too many entities in {param}: {len(urns)} (at most {MAX_POST_URNS})",
            )
        field = "share" if param == "shares" else "ugcPost"
        elements = []
        for index, urn in enumerate(urns):
            post = self._post_by_urn(urn, org_id, request.now)
            if post is None or not urn.startswith(f"urn:li:{field}:"):
                return self.error(
                    "access_denied",
                    request,
                    message="Unpermitted fields present in PARAMETER: Data Processing Exception "
                    f"while processing fields [/{param}[{index}]]",
                )
            elements.append(
                {
                    "totalShareStatistics": share_statistics(post.lifetime(request.now)),
                    "organizationalEntity": f"urn:li:organization:{org_id}",
                    field: urn,
                }
            )
        return self._collection(elements)

    def follower_gains(self, org_id: str, day: dt.date, served: dict[str, int]) -> dict[str, int]:
        """Split the day's gains into organic and paid: paid follows come from sponsored content,
        which runs on some days only (about 40%)."""
        total = served["follower_gains"]
        share = unit(self.seed, self.name, org_id, day, "paid")
        paid = int(total * (share - 0.6)) if share > 0.6 else 0
        return {"organicFollowerGain": total - paid, "paidFollowerGain": paid}

    def follower_stats(self, request: SandboxRequest) -> SandboxResponse:
        org_id = self._statistics_org(request)
        if isinstance(org_id, SandboxResponse):
            return org_id
        days, problem = self._days(request)
        if problem is not None:
            return problem
        if days is None:
            return self.error(
                "bad_request",
                request,
                message="this sandbox serves time-bound follower statistics only "
                "(add timeIntervals)",
            )
        model = self.model(org_id)
        elements = []
        for day in days:
            served = model.day_as_of(day, request.now, self.lag_hours)
            if served is None:
                continue
            elements.append(
                {
                    "followerGains": self.follower_gains(org_id, day, served),
                    "organizationalEntity": f"urn:li:organization:{org_id}",
                    "timeRange": {"start": day_ms(day), "end": day_ms(day) + DAY_MS},
                }
            )
        return self._collection(elements)

    def network_size(self, request: SandboxRequest, org_id: str) -> SandboxResponse:
        if request.query.get("edgeType") != "COMPANY_FOLLOWED_BY_MEMBER":
            return self.error(
                "bad_request", request, message="edgeType must be COMPANY_FOLLOWED_BY_MEMBER"
            )
        return SandboxResponse(
            200, {"firstDegreeSize": self.model(org_id).followers_now(request.now)}
        )

    # --- posts -----------------------------------------------------------------------------
    def edited_at(self, post: Post) -> dt.datetime | None:
        hours = self._traits(post.post_id)[1]
        return None if hours is None else post.published_at + dt.timedelta(hours=hours)

    def _content(self, post: Post) -> dict[str, Any] | None:
        ref = f"{post.index:X}{post.account_id}"
        if post.post_type == "image":
            if unit(self.seed, self.name, post.post_id, "multi") < 0.3:
                images = [{"id": f"urn:li:image:D4E22AQ{ref}{i}", "altText": ""} for i in range(3)]
                return {"multiImage": {"images": images}}
            return {"media": {"id": f"urn:li:image:D4E22AQ{ref}", "altText": post.text}}
        if post.post_type == "video":
            return {"media": {"id": f"urn:li:video:D4E05AQ{ref}", "title": post.text}}
        if post.post_type == "document":
            return {"media": {"id": f"urn:li:document:D4E1FAQ{ref}", "title": "Deck.pdf"}}
        if post.post_type == "article":
            return {
                "article": {
                    "source": f"https://example.com/articles/{post.index}",
                    "title": post.text,
                    "description": "Read more on our blog",
                }
            }
        return None

    def render_post(self, post: Post, now: dt.datetime) -> dict[str, Any]:
        edited = self.edited_at(post)
        edited = edited if edited is not None and edited <= now else None
        created = post.published_at - dt.timedelta(minutes=self._traits(post.post_id)[2])
        body: dict[str, Any] = {
            "isReshareDisabledByAuthor": False,
            "createdAt": ms(created),
            "lifecycleState": "PUBLISHED",
            "lastModifiedAt": ms(edited or post.published_at),
            "visibility": "PUBLIC",
            "publishedAt": ms(post.published_at),
            "author": f"urn:li:organization:{post.account_id}",
            "id": self.urn(post),
            "distribution": {
                "feedDistribution": "MAIN_FEED",
                "targetEntities": [],
                "thirdPartyDistributionChannels": [],
            },
            "commentary": post.text,
            "lifecycleStateInfo": {"isEditedByAuthor": edited is not None},
        }
        content = self._content(post)
        if content is not None:
            body["content"] = content
        return body

    def posts(self, request: SandboxRequest) -> SandboxResponse:
        org_id = self._org_of(request.query.get("author"))
        if request.query.get("q") != "author" or org_id is None:
            return self.error(
                "bad_request",
                request,
                message="q=author and an organization author URN are required",
            )
        sort = request.query.get("sortBy", "LAST_MODIFIED")
        if sort not in ("LAST_MODIFIED", "CREATED"):
            return self.error("bad_request", request, message=f"Invalid sortBy {sort!r}")
        try:
            start = max(int(request.query.get("start", 0)), 0)
            count = min(max(int(request.query.get("count", 10)), 1), MAX_PAGE_COUNT)
        except ValueError:
            return self.error("bad_request", request, message="start and count must be integers")
        rendered = [
            self.render_post(p, request.now)
            for p in self.model(org_id).published_posts(request.now)
        ]
        order = "lastModifiedAt" if sort == "LAST_MODIFIED" else "createdAt"
        rendered.sort(key=lambda p: (p[order], p["id"]), reverse=True)
        # `start` addresses slots: drafts, deleted and restricted posts take theirs without being
        # shown (listing.py), so a page can be short or empty while a next link remains, and
        # `total` counts every slot. The next link's start is start + count, not start + the
        # elements shown, as LinkedIn's own links are.
        page = listing.page(rendered, start, count, request)
        links = []
        if page.next_offset is not None:
            links.append(self._link(request, "next", page.next_offset, count))
        if start > 0:
            links.append(self._link(request, "prev", max(start - count, 0), count))
        return SandboxResponse(
            200,
            {
                "paging": {"start": start, "count": count, "links": links, "total": page.total},
                "elements": page.items,
            },
        )

    @staticmethod
    def _link(request: SandboxRequest, rel: str, start: int, count: int) -> dict[str, str]:
        """A Rest.li paging link: `{"type": "application/json", "rel": "next"|"prev", "href":
        "/rest/posts?...&start=N&count=M"}`, the href relative to the API host (the client joins
        it to its base URL, `https://api.linkedin.com` on the real API)."""
        query = urlencode({**request.query, "start": start, "count": count})
        return {"type": "application/json", "rel": rel, "href": f"/rest/posts?{query}"}

    def public_post_id(self, post: Post) -> str:
        return self.urn(post)

    # --- ground truth --------------------------------------------------------------------------
    def truth(
        self, account_id: str, day: dt.date, as_of: dt.datetime, post_days: int
    ) -> dict[str, Any]:
        model = self.model(account_id)
        served = model.day_as_of(day, as_of, self.lag_hours)
        account = None
        if served is not None:
            stats = share_statistics(served)
            gains = self.follower_gains(account_id, day, served)
            followers = model.followers_now(as_of)
            native = {**stats, **gains, "firstDegreeSize": followers}
            account = {
                "native": native,
                "unified": {
                    "impressions": stats["impressionCount"],
                    "reach": stats["uniqueImpressionsCount"],
                    "clicks": stats["clickCount"],
                    "likes": stats["likeCount"],
                    "comments": stats["commentCount"],
                    "shares": stats["shareCount"],
                    "engagements": stats["clickCount"]
                    + stats["likeCount"]
                    + stats["commentCount"]
                    + stats["shareCount"],
                    "follower_gains": gains["organicFollowerGain"] + gains["paidFollowerGain"],
                    "followers": followers,
                },
            }
        lifetime = lifetime_of("impressions", "reach", "likes", "comments", "shares", "clicks")
        return self.truth_record(account_id, day, as_of, post_days, account, lifetime)


SANDBOX = LinkedInSandbox
