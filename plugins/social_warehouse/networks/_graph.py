"""The Meta Graph API client shared by Facebook Pages and Instagram: error envelope, throttling
codes, usage headers and token expiry."""

from __future__ import annotations

import json
from typing import Any

from social_warehouse.connector.client import ApiClient, Response
from social_warehouse.errors import (
    ApiError,
    ApiVersionError,
    InvalidMetricError,
    RateLimitError,
    TransientApiError,
)

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


class GraphClient(ApiClient):
    def classify_error(self, response: Response) -> ApiError | None:
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
            return RateLimitError(
                self.network, message, retry_after=regain * 60 if regain else None, **common
            )
        if code in (1, 2) or error.get("is_transient") or response.status >= 500:
            return TransientApiError(self.network, message, **common)
        if code == 100 and "metric" in message.lower():
            return InvalidMetricError(self.network, message, **common)
        if code in (12, 2635):
            return ApiVersionError(
                self.network,
                message,
                hint=f"set api_version for {self.network} in config/networks.yml to a "
                "supported version",
                **common,
            )
        hint = error.get("error_user_msg") or None
        return ApiError(
            self.network, f"{message} (fbtrace_id {error.get('fbtrace_id')})", hint=hint, **common
        )

    def proactive_wait(self, response: Response) -> float:
        usage, regain = _usage(response.headers)
        if usage < USAGE_THRESHOLD:
            return 0.0
        return regain * 60 if regain else self.settings.backoff_seconds
