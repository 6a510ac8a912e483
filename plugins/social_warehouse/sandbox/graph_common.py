"""Pieces the Meta Graph API sandboxes (Facebook Pages, Instagram) share: field expansion parsing,
versions, the error envelope, usage headers and cursor paging."""

from __future__ import annotations

import base64
import datetime as dt
import json
import math
import re
from typing import Any, ClassVar
from urllib.parse import urlencode

from social_warehouse.sandbox import listing
from social_warehouse.sandbox.base import SandboxNetwork, SandboxRequest, SandboxResponse
from social_warehouse.sandbox.model import rng
from social_warehouse.timeutil import day_start

# What the Graph API says for a token whose session the user ended (password change, revoke).
REVOKED_MESSAGE = (
    "Error validating access token: The session has been invalidated because the user changed "
    "their password or Facebook has changed the session for security reasons."
)

SUPPORTED_VERSIONS = ("v23.0", "v24.0", "v25.0", "v26.0", "v27.0")
MAX_IDS = 50


def split_fields(text: str) -> list[tuple[str, str]]:
    """`id,reactions.summary(true).limit(0),insights.metric(a,b)` ->
    [("id",""), ("reactions",".summary(true).limit(0)"), ("insights",".metric(a,b)")]."""
    fields, depth, current = [], 0, ""
    for ch in text:
        if ch == "(" or ch == "{":
            depth += 1
        elif ch == ")" or ch == "}":
            depth -= 1
        if ch == "," and depth == 0:
            fields.append(current)
            current = ""
        else:
            current += ch
    if current:
        fields.append(current)
    out = []
    for field in fields:
        match = re.match(r"^([a-z_]+)(.*)$", field.strip())
        if match:
            out.append((match.group(1), match.group(2)))
    return out


def modifier(mods: str, name: str) -> str | None:
    match = re.search(rf"\.{name}\(([^)]*)\)", mods)
    return match.group(1) if match else None


def fbtrace(request: SandboxRequest) -> str:
    return f"A{abs(hash((request.path, request.now.isoformat()))) % 10**10:010d}"


def graph_error(
    request: SandboxRequest,
    status: int,
    code: int,
    message: str,
    *,
    subcode: int | None = None,
    error_type: str = "OAuthException",
    transient: bool = False,
    headers: dict[str, str] | None = None,
) -> SandboxResponse:
    error: dict[str, Any] = {
        "message": message,
        "type": error_type,
        "code": code,
        "fbtrace_id": fbtrace(request),
    }
    if subcode is not None:
        error["error_subcode"] = subcode
    if transient:
        error["is_transient"] = True
    return SandboxResponse(status, {"error": error}, headers or {})


def standard_error(
    kind: str, request: SandboxRequest, account_id: str, **params: Any
) -> SandboxResponse:
    if kind == "unauthorized":
        return graph_error(
            request, 400, 104, "An access token is required to request this resource."
        )
    if kind == "invalid_token":
        return graph_error(
            request, 400, 190, "Invalid OAuth access token - Cannot parse access token"
        )
    if kind == "revoked_token":
        # the admin changed their password, or removed the app: every token of the grant dies
        return graph_error(request, 400, 190, REVOKED_MESSAGE, subcode=460)
    if kind == "no_permission":
        return graph_error(
            request,
            400,
            10,
            params.get(
                "message",
                "(#10) This endpoint requires the 'pages_read_engagement' permission or the "
                "'Page Public Content Access' feature. Refer to "
                "https://developers.facebook.com/docs/apps/review/login-permissions#manage-pages"
                " and https://developers.facebook.com/docs/apps/review/feature#reference-"
                "PAGES_ACCESS for details.",
            ),
        )
    if kind == "expired_token":
        expired = request.now - dt.timedelta(hours=1)
        if request.access is not None and request.access.expires_at is not None:
            expired = request.access.expires_at
        return graph_error(
            request,
            400,
            190,
            "Error validating access token: Session has expired on "
            f"{expired:%A, %d-%b-%y %H:%M:%S} UTC. The current time is "
            f"{request.now:%A, %d-%b-%y %H:%M:%S} UTC.",
            subcode=463,
        )
    if kind == "throttle":
        code = int(params.get("code", 80001))
        # Meta reports whole minutes; under a minute it says 0 ("soon")
        minutes = int(params.get("regain_minutes", float(params.get("reset", 0)) // 60))
        messages = {
            4: "(#4) Application request limit reached",
            17: "(#17) User request limit reached",
            32: "(#32) Page request limit reached",
            613: "(#613) Calls to this api have exceeded the rate limit.",
            80001: "(#80001) There have been too many calls to this Page account. "
            "Wait a bit and try again.",
            80002: "(#80002) There have been too many calls to this Instagram account. "
            "Wait a bit and try again.",
        }
        headers = usage_headers(account_id, 100, minutes)
        return graph_error(
            request,
            400 if code != 613 else 403,
            code,
            messages.get(code, f"(#{code}) limit"),
            subcode=2494055 if code == 80001 else None,
            transient=code in (4, 17),
            headers=headers,
        )
    if kind == "server_error":
        status = int(params.get("status", 500))
        return graph_error(
            request,
            status,
            2,
            "An unexpected error has occurred. Please retry your request later.",
            transient=True,
        )
    if kind == "version":
        return graph_error(
            request,
            400,
            2635,
            "(#2635) You are calling a deprecated version of the Graph API. Please update to the "
            "latest "
            f"version: {SUPPORTED_VERSIONS[-1]}.",
            error_type="OAuthException",
        )
    if kind == "invalid_metric":
        return graph_error(
            request,
            400,
            100,
            params.get("message", "(#100) The value must be a valid insights metric"),
            error_type="OAuthException",
        )
    if kind == "bad_request":
        return graph_error(
            request, 400, 100, f"(#100) {params.get('message', 'Invalid parameter')}"
        )
    # not_found and anything unknown
    object_id = params.get("object_id") or request.path.strip("/").split("/")[-1]
    return graph_error(
        request,
        400,
        100,
        f"Unsupported get request. Object with ID '{object_id}' does not exist, cannot be "
        "loaded due "
        "to missing permissions, or does not support this operation.",
        subcode=33,
        error_type="GraphMethodException",
    )


def usage_headers(
    account_id: str, percent: int, regain_minutes: int = 0, kind: str = "pages"
) -> dict[str, str]:
    pct = max(0, min(100, percent))
    app = {"call_count": pct, "total_time": pct // 2, "total_cputime": pct // 3}
    buc = {
        account_id: [
            {
                "type": kind,
                "call_count": pct,
                "total_cputime": pct // 3,
                "total_time": pct // 2,
                "estimated_time_to_regain_access": regain_minutes,
            }
        ]
    }
    return {"x-app-usage": json.dumps(app), "x-business-use-case-usage": json.dumps(buc)}


def parse_time_param(value: str, tz: str) -> dt.datetime:
    """`since`/`until` accept a unix timestamp or a date (midnight in the network's zone)."""
    if value.isdigit():
        return dt.datetime.fromtimestamp(int(value), dt.UTC)
    return day_start(dt.date.fromisoformat(value[:10]), tz)


def encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"o": offset}).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    padded = cursor + "=" * (-len(cursor) % 4)
    return int(json.loads(base64.urlsafe_b64decode(padded))["o"])


def self_url(request: SandboxRequest, network: str, **overrides: Any) -> str:
    """The request's own URL with some query parameters replaced (None removes one), as the
    Graph API builds `paging.next`/`previous`: with the access token in the query, however the
    request sent it (a Bearer header too), which is how tokens end up in logged URLs."""
    host = request.header("Host", "127.0.0.1")
    auth = request.header("Authorization")
    token = request.query.get("access_token") or (auth[7:] if auth.startswith("Bearer ") else "")
    query = {**request.query, **({"access_token": token} if token else {}), **overrides}
    query = {k: v for k, v in query.items() if v is not None}
    return f"http://{host}/{network}{request.path}?{urlencode(query)}"


def cursor_page(
    request: SandboxRequest,
    network: str,
    items: list[Any],
    default_limit: int = 25,
    max_limit: int = 100,
) -> dict[str, Any]:
    """An edge page: `{"data": [...], "paging": {"cursors": {"before", "after"}, "next",
    "previous"}}`. Cursors address slots (listing.py): a page emptied by hidden items still
    carries its cursors and `next`; an empty listing is `{"data": []}` alone."""
    limit = min(int(request.query.get("limit", default_limit) or default_limit), max_limit)
    offset = decode_cursor(request.query["after"]) if request.query.get("after") else 0
    page = listing.page(items, offset, limit, request)
    body: dict[str, Any] = {"data": page.items}
    if page.items or page.has_more:
        after = encode_cursor(page.end)
        paging: dict[str, Any] = {"cursors": {"before": encode_cursor(offset), "after": after}}
        if page.repeated:  # the very URL (and cursor) the client just used
            paging["cursors"]["after"] = request.query.get("after") or encode_cursor(offset)
            paging["next"] = self_url(request, network)
        elif page.next_offset is not None:
            paging["next"] = self_url(request, network, after=after)
        if offset:
            paging["previous"] = self_url(
                request, network, before=encode_cursor(offset), after=None
            )
        body["paging"] = paging
    return body


def split_reactions(total: int, *key: object) -> dict[str, int]:
    """Split a reaction count by type, deterministically; the parts sum to `total`."""
    r = rng("reactions", *key)
    shares = {
        "like": r.uniform(0.6, 0.8),
        "love": r.uniform(0.1, 0.25),
        "haha": r.uniform(0, 0.05),
        "wow": r.uniform(0, 0.05),
        "sorry": r.uniform(0, 0.02),
        "anger": r.uniform(0, 0.02),
    }
    norm = sum(shares.values())
    parts = {k: math.floor(total * v / norm) for k, v in shares.items()}
    parts["like"] += total - sum(parts.values())
    return parts


def iso_graph(instant: dt.datetime) -> str:
    return instant.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


def corrupt_ids_batch(body: Any, params: dict[str, Any]) -> bool:
    """malformed_record on an `?ids=` batch (objects keyed by id, no `data` list): drop a field
    (default `insights`) of the first object. False when the body is not such a batch."""
    if not (isinstance(body, dict) and body and "data" not in body):
        return False
    first = next(iter(body.values()))
    if isinstance(first, dict):
        first.pop(params.get("field") or "insights", None)
    return True


# --- the Graph API's view of an OAuth grant (oauth.py issues the tokens) ----------------------
ME_ACCOUNT_FIELDS = "access_token,category,category_list,name,id,tasks"
PAGE_TASKS = ["ADVERTISE", "ANALYZE", "CREATE_CONTENT", "MESSAGING", "MODERATE", "MANAGE"]


def me(request: SandboxRequest) -> SandboxResponse:
    """`GET /me`: the user behind a user token, the Page behind a Page token."""
    token, grant = request.access, request.grant
    if grant is None:
        return SandboxResponse(200, {"name": "Sandbox User", "id": "0"})
    if token.kind == "page":
        page = sorted(a for a in token.accounts if a not in grant.links)[0]
        return SandboxResponse(200, {"name": f"Page {page}", "id": page})
    return SandboxResponse(200, {"name": "Sandbox User", "id": grant.user_id})


def me_accounts(network: Any, request: SandboxRequest) -> SandboxResponse:
    """`GET /me/accounts`: the Pages the user manages, each with its Page token (minted from the
    user token: never expiring from a long-lived one, about an hour from a short-lived one) and,
    when asked for, its linked `instagram_business_account{id}`."""
    token, grant = request.access, request.grant
    if grant is None:
        return SandboxResponse(200, {"data": []})
    if token.kind == "page":
        return graph_error(
            request,
            400,
            100,
            "(#100) Tried accessing nonexisting field (accounts) on node type (Page)",
        )
    requested = split_fields(request.query.get("fields", ME_ACCOUNT_FIELDS))
    wanted = [name for name, _ in requested]
    ig_fields = next((mods for name, mods in requested if name == "instagram_business_account"), "")
    items = []
    for page in grant.pages:
        instagram = next((i for i, p in grant.links.items() if p == page), None)
        item: dict[str, Any] = {}
        for name in wanted:
            if name == "access_token":
                item[name] = network.oauth.page_token(grant, page, token, request.now)
            elif name == "category":
                item[name] = "Brand"
            elif name == "category_list":
                item[name] = [{"id": "1605186416478696", "name": "Brand"}]
            elif name == "name":
                item[name] = f"Page {page}"
            elif name == "tasks":
                item[name] = list(PAGE_TASKS)
            elif name == "instagram_business_account" and instagram:
                item[name] = {"id": instagram}
                if "username" in ig_fields:  # as the Instagram node names it (instagram.py)
                    item[name]["username"] = f"brand_{instagram[-4:]}"
        item["id"] = page
        items.append(item)
    return SandboxResponse(200, cursor_page(request, network.name, items))


class GraphSandbox(SandboxNetwork):
    """What the Facebook Pages and Instagram sandboxes share as Graph API hosts: the token in
    the query, the version check, /me and /me/accounts, the usage headers and corrupted
    `?ids=` batches."""

    usage_kind: ClassVar[str] = "pages"

    def token(self, request: SandboxRequest) -> str:
        return request.query.get("access_token") or super().token(request)

    def account_from(self, object_id: str) -> str:
        """The account an object id belongs to (a Page post id is `<page>_<post>`)."""
        return object_id.split("_")[0]

    def _account_of(self, request: SandboxRequest) -> str:
        parts = request.path.strip("/").split("/")
        return self.account_from(parts[1]) if len(parts) > 1 else "app"

    def accounts_of(self, request: SandboxRequest) -> set[str]:
        parts = request.path.strip("/").split("/")
        ids = [parts[1]] if len(parts) > 1 else request.query.get("ids", "").split(",")
        return {self.account_from(i) for i in ids if i and self.account_from(i).isdigit()}

    def me(self, request: SandboxRequest, version: str) -> SandboxResponse:
        return self._check(request, version) or me(request)

    def me_accounts(self, request: SandboxRequest, version: str) -> SandboxResponse:
        return self._check(request, version) or me_accounts(self, request)

    def _check(self, request: SandboxRequest, version: str) -> SandboxResponse | None:
        if version not in SUPPORTED_VERSIONS:
            return self.error("version", request)
        return None

    def decorate(
        self, request: SandboxRequest, response: SandboxResponse, usage: int, reset: float
    ) -> None:
        percent = round(100 * usage / max(self.rate.limit, 1))
        response.headers.update(
            usage_headers(self._account_of(request), percent, kind=self.usage_kind)
        )

    def batch_ids(self, request: SandboxRequest, version: str) -> list[str] | SandboxResponse:
        """The ids of a `GET /vXX.0/?ids=a,b` batch, or the Graph API's refusal of it."""
        if (bad := self._check(request, version)) is not None:
            return bad
        ids = [i for i in request.query.get("ids", "").split(",") if i]
        if not ids:
            return self.error("bad_request", request, message="Must specify ids")
        if len(ids) > MAX_IDS:
            return self.error("bad_request", request, message=f"Too many IDs. Maximum: {MAX_IDS}.")
        return ids

    def corrupt(self, body: Any, params: dict[str, Any]) -> Any:
        if corrupt_ids_batch(body, params):
            return body
        return super().corrupt(body, params)
