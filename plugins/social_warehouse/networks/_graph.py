"""The Meta Graph API client shared by Facebook Pages and Instagram: error envelope, throttling
codes, usage headers and token expiry."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any, ClassVar

from social_warehouse.connector import sdk

AUTH_CODES = {102, 104, 190}
THROTTLE_CODES = {4, 17, 32, 341, 613, 80001, 80002}
TOKEN_SUBCODES = {
    458: "app not installed",
    459: "user checkpointed",
    460: "password changed",
    463: "token expired",
    464: "unconfirmed user",
    467: "token invalid",
}
USAGE_THRESHOLD = 95


def _usage(headers: dict[str, str]) -> tuple[int, int]:
    """(highest usage percent, minutes until access is regained) from the Meta usage headers."""
    top, regain = 0, 0
    lowered = {k.lower(): v for k, v in headers.items()}
    for name in ("x-app-usage", "x-page-usage", "x-ad-account-usage"):
        if name in lowered:
            try:
                values = json.loads(lowered[name])
            except ValueError:
                continue
            top = max([top, *(int(v) for v in values.values() if isinstance(v, int | float))])
    if "x-business-use-case-usage" in lowered:
        try:
            buc = json.loads(lowered["x-business-use-case-usage"])
        except ValueError:
            buc = {}
        for entries in buc.values():
            for entry in entries if isinstance(entries, list) else []:
                for key in ("call_count", "total_time", "total_cputime"):
                    top = max(top, int(entry.get(key) or 0))
                regain = max(regain, int(entry.get("estimated_time_to_regain_access") or 0))
    return top, regain


class GraphClient(sdk.ApiClient):
    def classify_error(self, response: sdk.Response) -> sdk.ApiError | None:
        body: Any = response.body
        error = body.get("error") if isinstance(body, dict) else None
        if not isinstance(error, dict):
            return super().classify_error(response)
        code = error.get("code")
        subcode = error.get("error_subcode")
        message = str(error.get("message", "unknown error"))
        common = {"status": response.status, "code": code, "url": response.url}
        if code in AUTH_CODES or response.status == 401:
            reason = TOKEN_SUBCODES.get(subcode, "token rejected")
            return self.auth_error(f"{reason}: {message}", **common)
        if code in THROTTLE_CODES:
            _, regain = _usage(response.headers)
            return sdk.RateLimitError(
                self.network, message, retry_after=regain * 60 if regain else None, **common
            )
        if code in (1, 2) or error.get("is_transient") or response.status >= 500:
            return sdk.TransientApiError(self.network, message, **common)
        if code == 100 and "metric" in message.lower():
            return sdk.InvalidMetricError(self.network, message, **common)
        if code in (12, 2635):
            return sdk.ApiVersionError(
                self.network,
                message,
                hint=f"set api_version for {self.network} in config/networks.yml to a "
                "supported version",
                **common,
            )
        hint = error.get("error_user_msg") or None
        if code == 10 or (isinstance(code, int) and 200 <= code < 300):
            # a permission error: the token (grant) does not cover this Page or account
            hint = hint or (
                f"the token of Airflow connection {self.conn.conn_id!r} may not read this "
                "account: reconnect it with a user who manages the Page (social-warehouse "
                f"connect {self.network} --grant {self.conn.conn_id}), or check the account "
                "id in config/accounts.yml"
            )
        return sdk.ApiError(
            self.network, f"{message} (fbtrace_id {error.get('fbtrace_id')})", hint=hint, **common
        )

    def proactive_wait(self, response: sdk.Response) -> float:
        usage, regain = _usage(response.headers)
        if usage < USAGE_THRESHOLD:
            return 0.0
        return regain * 60 if regain else self.settings.backoff_seconds


# Meta has no refresh grant: a short-lived user token (about 2 h) is exchanged once for a
# long-lived one (about 60 days, grant_type=fb_exchange_token), and the Page tokens read with it
# from /me/accounts do not expire until the admin changes their password or removes the app.
META_LIFECYCLE = sdk.TokenLifecycle(
    authorize_url="https://www.facebook.com/v25.0/dialog/oauth",
    token_url="https://graph.facebook.com/v25.0/oauth/access_token",
    refresh_url="",
    scopes=(
        "pages_show_list",
        "pages_read_engagement",
        "read_insights",
        "instagram_basic",
        "instagram_manage_insights",
        "business_management",
    ),
    scope_separator=",",
    client_auth="query",
    access_lifetime=dt.timedelta(days=60),
    note=(
        "Meta tokens do not refresh: the long-lived user token lasts about 60 days, the Page "
        "tokens derived from it until the admin's password changes or the app is removed; "
        "grants_health watches them with debug_token"
    ),
)


class IdsBatchStream(sdk.Stream[sdk.C]):
    """Lifetime insights of the parent's objects, `ids_per_call` per call:
    `GET /{version}/?ids=a,b,...&fields=insights.metric(m1,m2,...)`. When the API refuses a
    metric the list is split, and the answers for the same object are joined into one record."""

    path = "{version}/"
    kind = sdk.StreamKind.POST_METRICS
    contract = {"id": str, "insights.data": list}
    ids_per_call: ClassVar[int] = 50
    object_name: ClassVar[str] = "post"

    def batches(self) -> Iterator[list[str]]:
        ids = self.parent_keys()
        for start in range(0, len(ids), self.ids_per_call):
            yield ids[start : start + self.ids_per_call]

    def requests(self) -> Iterator[sdk.Request]:
        for batch in self.batches():
            yield sdk.Request("GET", self.resolved_path(), {"ids": ",".join(batch)})

    def with_metrics(self, request: sdk.Request, names: list[str]) -> sdk.Request:
        return sdk.Request(
            request.method,
            request.url,
            {**request.params, "fields": f"insights.metric({','.join(names)})"},
        )

    def merge_parts(self, parts: list[sdk.ParseResult]) -> sdk.ParseResult:
        merged = sdk.ParseResult()
        by_key: dict[str, sdk.Record] = {}
        for part in parts:
            merged.rejects.extend(part.rejects)
            for record in part.records:
                known = by_key.get(record.key)
                if known is None:
                    by_key[record.key] = record
                    continue
                insights = list(sdk.dig(known.payload, "insights.data") or [])
                insights += sdk.dig(record.payload, "insights.data") or []
                payload = {**known.payload, "insights": {"data": insights}}
                by_key[record.key] = sdk.Record(known.key, known.record_date, payload)
        merged.records.extend(by_key.values())
        return merged

    @classmethod
    def parse(cls, body: Any, ctx: sdk.LoadContext) -> sdk.ParseResult:
        return sdk.parse_keyed_objects(body, cls.contract, ctx, cls.object_name)
