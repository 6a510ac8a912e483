"""What a sandbox network module provides, and the shared request/response/fault types."""

from __future__ import annotations

import datetime as dt
import re
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from social_warehouse.sandbox.model import AccountModel, Post
from social_warehouse.timeutil import day_start

# Every fault kind some part of the sandbox reacts to (server.py's docstring says what each does
# and takes). A kind nothing reacts to is refused: a misspelt fault would make a test pass for
# the wrong reason. A network module that grows a fault adds its kind here.
FAULT_KINDS = frozenset(
    {
        # any network (server.py)
        "expired_token",
        "throttle",
        "server_error",
        "malformed_body",
        "malformed_record",
        "slow",
        # paged listings (listing.py)
        "empty_page_with_next",
        "repeat_cursor",
        "deleted_items",
        # per network
        "retire_metric",
        "ignore_period",
        "incompatible_metric",
        "pre_conversion",
        "follower_count_empty",
        "app_only_token",
        "usage_capped",
        "not_found",
        "daily_limit",
        "revoked_token",
        "access_denied",
        "quota_exceeded",
        "forbidden",
        "api_error",
    }
)
# Faults that reshape a paged listing (see listing.py): they hold for every request of the
# listing, since a layout that changed between two pages would lose items in the sandbox itself.
LISTING_FAULTS = frozenset({"empty_page_with_next", "repeat_cursor", "deleted_items"})


@dataclass
class Fault:
    """A switchable failure. `count` matching requests fail (None = all) after `after` have
    passed; `path` is a regex matched against the network-relative path. Listing faults ignore
    `count` and `after`: they hold until the faults are cleared."""

    kind: str
    network: str | None = None
    count: int | None = 1
    after: int = 0
    path: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    seen: int = 0
    fired: int = 0

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            known = ", ".join(sorted(FAULT_KINDS))
            raise ValueError(
                f"unknown fault kind {self.kind!r}; the sandbox knows {known} "
                "(social_warehouse/sandbox/server.py says what each one does)"
            )
        problem = self._params_problem()
        if problem:
            raise ValueError(problem)
        if self.kind in LISTING_FAULTS:
            self.count, self.after = None, 0

    def _params_problem(self) -> str | None:
        """Why the params are unusable, or None: refused when the fault is set, rather than
        answered with a sandbox 500 by the first request it matches."""
        if self.kind == "slow":
            seconds = self.params.get("seconds", 1.0)
            if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds < 0:
                return f"slow: params.seconds must be a number of seconds >= 0, got {seconds!r}"
        if self.kind == "deleted_items":
            keep = self.params.get("keep", 0)
            if isinstance(keep, bool) or not isinstance(keep, int) or keep < 0:
                return f"deleted_items: params.keep must be a whole number >= 0, got {keep!r}"
            return None
        if self.kind not in LISTING_FAULTS:
            return None
        spec = self.params.get("pages", [0])
        for value in spec if isinstance(spec, list) else [spec]:
            whole = isinstance(value, int) and not isinstance(value, bool) and value >= 0
            if not whole and value not in ("first", "middle", "last"):
                return (
                    f"{self.kind}: params.pages holds {value!r}; use page numbers (0 = the first "
                    "page the client receives) or first, middle, last"
                )
        visible = self.params.get("visible", 0)
        if isinstance(visible, bool) or not isinstance(visible, int) or visible < 0:
            return f"{self.kind}: params.visible must be a whole number >= 0, got {visible!r}"
        return None

    def matches(self, network: str, path: str) -> bool:
        if self.network and self.network != network:
            return False
        return not (self.path and not re.search(self.path, path))

    def take(self) -> bool:
        """Count one matching request; True when this one must fail."""
        self.seen += 1
        if self.seen <= self.after:
            return False
        if self.count is not None and self.fired >= self.count:
            return False
        self.fired += 1
        return True

    @property
    def spent(self) -> bool:
        return self.count is not None and self.fired >= self.count


@dataclass
class SandboxRequest:
    method: str
    path: str  # below the network prefix, e.g. "/v25.0/123/insights"
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    now: dt.datetime
    fired: list[Fault] = field(default_factory=list)
    # Set by the server for a token the sandbox issued (oauth.py): the token, its grant and the
    # accounts it may read. None for a token the sandbox never issued: it reads everything.
    access: Any = None
    grant: Any = None
    scope: frozenset[str] | None = None

    def header(self, name: str, default: str = "") -> str:
        for key, value in self.headers.items():
            if key.lower() == name.lower():
                return value
        return default

    def fault(self, kind: str) -> Fault | None:
        return next((f for f in self.fired if f.kind == kind), None)

    def json(self) -> Any:
        import json

        return json.loads(self.body or b"null")


@dataclass
class SandboxResponse:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes | None = None  # sent as-is when set (malformed-body faults)


class RateWindow:
    """Calls per token in a sliding window: the usage the Meta headers report and the point
    where every API starts throttling."""

    def __init__(self, limit: int = 600, window_seconds: float = 60.0) -> None:
        self.limit = limit
        self.window_seconds = window_seconds
        self._calls: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str, at: float) -> tuple[int, float]:
        """Record a call; return (calls in window including this one, seconds until one frees)."""
        with self._lock:
            calls = [t for t in self._calls.get(key, []) if at - t < self.window_seconds]
            calls.append(at)
            self._calls[key] = calls
            reset = self.window_seconds - (at - calls[0])
            return len(calls), max(reset, 0.0)


Route = tuple[str, str, str]  # (method, path regex, handler method name)


def lifetime_of(*metrics: str) -> Callable[[Post, dt.datetime], dict[str, int]]:
    """A post's unified lifetime metrics `metrics` as of a time: what truth_record reports for
    a network whose posts carry exactly those."""
    return lambda post, at: {k: v for k, v in post.lifetime(at).items() if k in metrics}


class SandboxNetwork(ABC):
    """Base for one network's fake API. Subclasses declare routes and render errors."""

    name: ClassVar[str]
    tz: ClassVar[str] = "UTC"
    routes: ClassVar[list[Route]] = []
    lag_hours: ClassVar[int] = 0
    model_options: ClassVar[dict[str, Any]] = {}

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.rate = RateWindow()
        # The sandbox's OAuth registry (oauth.py), set by the server: Meta Page tokens need it.
        self.oauth: Any = None
        self._models: dict[str, AccountModel] = {}
        self._compiled = [(m, re.compile(f"^{p}$"), h) for m, p, h in self.routes]
        self.retired_metrics: set[str] = set()
        # (day, latent counter) -> factor, shared by every account model of this network:
        # POST /_sandbox/defects injects wrong data (e.g. impressions all zero for a day)
        self.defects: dict[tuple[dt.date, str], float] = {}

    def model(self, account_id: str) -> AccountModel:
        if account_id not in self._models:
            self._models[account_id] = AccountModel(
                self.seed,
                self.name,
                account_id,
                tz=self.tz,
                defects=self.defects,
                **self.account_model_options(account_id),
            )
        return self._models[account_id]

    def account_model_options(self, account_id: str) -> dict[str, Any]:
        """AccountModel options for one account (networks whose post ids embed the account
        override this)."""
        return dict(self.model_options)

    # --- hooks ---------------------------------------------------------------------------
    def accounts_of(self, request: SandboxRequest) -> set[str]:
        """The accounts whose private data the request reads: a token scoped to other accounts
        gets the network's permission error. Public data (X users and timelines, YouTube Data
        API channels and videos) names none."""
        return set()

    def scope_error(self, request: SandboxRequest) -> SandboxResponse | None:
        """The network's permission error when the token may not read an account the request
        names (kind `no_permission`, with the account id)."""
        if request.scope is None:
            return None
        for account in sorted(self.accounts_of(request)):
            if account not in request.scope:
                return self.error("no_permission", request, account=account)
        return None

    def token(self, request: SandboxRequest) -> str:
        auth = request.header("Authorization")
        return auth[7:] if auth.startswith("Bearer ") else ""

    @abstractmethod
    def error(self, kind: str, request: SandboxRequest, **params: Any) -> SandboxResponse:
        """Render a failure in this network's error envelope. Kinds every network supports:
        unauthorized (no token), invalid_token (a token the network does not know),
        expired_token, revoked_token, no_permission (account: one the token may not read),
        throttle, server_error, not_found, bad_request."""

    def decorate(  # noqa: B027 - an optional hook: not every network sends rate-limit headers
        self, request: SandboxRequest, response: SandboxResponse, usage: int, reset: float
    ) -> None:
        """Add rate-limit headers to a response."""

    def corrupt(self, body: Any, params: dict[str, Any]) -> Any:
        """Break one record of a list answer (malformed_record fault): drop a required field or
        make a counter a string. Networks override when their list lives elsewhere."""
        items = body.get("data") if isinstance(body, dict) else None
        if isinstance(items, dict):
            items = next((v for v in items.values() if isinstance(v, list)), None)
        if isinstance(items, list) and items:
            victim = items[min(int(params.get("index", 0)), len(items) - 1)]
            field_name = params.get("field") or "id"
            if params.get("mode") == "string" and isinstance(victim, dict):
                victim[field_name] = "n/a"
            elif isinstance(victim, dict):
                victim.pop(field_name, None)
        return body

    def public_post_id(self, post: Post) -> str:
        """The post id as the API shows it (LinkedIn shows URNs)."""
        return post.post_id

    def truth_record(
        self,
        account_id: str,
        day: dt.date,
        as_of: dt.datetime,
        post_days: int,
        account: dict[str, Any] | None,
        lifetime: Callable[[Post, dt.datetime], dict[str, int]],
    ) -> dict[str, Any]:
        """The truth() answer: `account` as the network module built it, and the posts published
        in the `post_days` days up to `day` (network time), newest first, with `lifetime(post,
        as_of)` giving the unified lifetime metrics the network reports per post."""
        model = self.model(account_id)
        first = day - dt.timedelta(days=max(post_days, 1) - 1)
        posts = model.published_posts(as_of, day_start(first, self.tz), model.day_close(day))
        return {
            "network": self.name,
            "account_id": account_id,
            "day": day.isoformat(),
            "as_of": as_of.isoformat(),
            "account": account,
            "posts": [
                {
                    "post_id": self.public_post_id(p),
                    "published_at": p.published_at.isoformat(),
                    "post_type": p.post_type,
                    "lifetime": lifetime(p, as_of),
                }
                for p in posts
            ],
        }

    @abstractmethod
    def truth(
        self, account_id: str, day: dt.date, as_of: dt.datetime, post_days: int
    ) -> dict[str, Any]:
        """What a perfect client loading `day` at `as_of` would hold: the account's day in native
        and unified metrics, and the lifetime metrics of posts published in the `post_days`
        days up to `day`."""

    # --- dispatch ------------------------------------------------------------------------
    def dispatch(self, request: SandboxRequest) -> SandboxResponse:
        for method, pattern, handler in self._compiled:
            if method != request.method:
                continue
            match = pattern.match(request.path)
            if match:
                fn: Callable[..., SandboxResponse] = getattr(self, handler)
                return fn(request, **match.groupdict())
        return self.error("not_found", request)
