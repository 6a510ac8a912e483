"""The connector SDK in one namespace: what a network module builds on. A network module
imports it once (`from social_warehouse.connector import sdk`) and names what it uses
(`sdk.Stream`, `sdk.Record`, `sdk.RateLimitError`), as singer-sdk's taps do, so the six modules
don't each restate the same import list and a reader sees at a glance which names are the
toolkit's."""

from __future__ import annotations

from social_warehouse.connector.auth import TokenLifecycle
from social_warehouse.connector.client import ApiClient, Request, Response
from social_warehouse.connector.paging import (
    CursorHasMorePaginator,
    NextUrlPaginator,
    OffsetPaginator,
    TokenPaginator,
)
from social_warehouse.connector.spec import NetworkSpec
from social_warehouse.connector.streams import (
    C,
    LoadContext,
    ParseResult,
    Record,
    Reject,
    Stream,
    StreamKind,
    contract_violation,
    dig,
    parse_keyed_objects,
)
from social_warehouse.errors import (
    ApiError,
    ApiVersionError,
    AuthError,
    ConfigError,
    InvalidMetricError,
    MalformedResponseError,
    QuotaExceededError,
    RateLimitError,
    TransientApiError,
)
from social_warehouse.timeutil import Window, day_start, local_day, parse_instant

__all__ = [
    "ApiClient",
    "ApiError",
    "ApiVersionError",
    "AuthError",
    "C",
    "ConfigError",
    "CursorHasMorePaginator",
    "InvalidMetricError",
    "LoadContext",
    "MalformedResponseError",
    "NetworkSpec",
    "NextUrlPaginator",
    "OffsetPaginator",
    "ParseResult",
    "QuotaExceededError",
    "RateLimitError",
    "Record",
    "Reject",
    "Request",
    "Response",
    "Stream",
    "StreamKind",
    "TokenLifecycle",
    "TokenPaginator",
    "TransientApiError",
    "Window",
    "contract_violation",
    "day_start",
    "dig",
    "local_day",
    "parse_instant",
    "parse_keyed_objects",
]
