"""The HTTP client shared by every network: auth headers, retries with backoff, rate-limit waits,
and error classification delegated to the network's subclass."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin

import orjson
import requests

from social_warehouse import logs
from social_warehouse.connections import ConnectionInfo
from social_warehouse.connector.auth import Credentials, StaticToken
from social_warehouse.connector.settings import NetworkSettings
from social_warehouse.errors import (
    ApiError,
    AuthError,
    MalformedResponseError,
    QuotaExceededError,
    RateLimitError,
    TransientApiError,
)

log = logging.getLogger(__name__)


def redact(url: str) -> str:
    """Strip tokens from URLs before they reach a log line or an error message."""
    return logs.redact(url)


@dataclass
class Request:
    method: str
    url: str
    params: dict[str, Any] = field(default_factory=dict)
    json_body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class RequestStats:
    requests: int = 0
    retries: int = 0
    throttled: int = 0
    waited_seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "retries": self.retries,
            "throttled": self.throttled,
            "waited_seconds": round(self.waited_seconds, 3),
        }


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: Any
    url: str


class ApiClient:
    """Base client. Subclasses set `network`, and override `auth_headers`, `classify_error`
    and `proactive_wait` for their API's conventions."""

    network: str = ""
    # How long this network's access tokens live, said when a token that cannot refresh dies.
    token_note: str = ""

    def __init__(
        self,
        conn: ConnectionInfo,
        settings: NetworkSettings,
        *,
        credentials: Credentials | None = None,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.conn = conn
        self.settings = settings
        self.credentials: Credentials = credentials or StaticToken(
            conn.token, where=f"in Airflow connection {conn.conn_id!r} (password field) "
        )
        self.base_url = conn.base_url.rstrip("/") + "/"
        self.session = session or requests.Session()
        self.sleep = sleep
        self.stats = RequestStats()
        self._sent_token = ""
        # What this run learned about the API, kept for the next accounts of the same run:
        # metrics refused (by stream or media kind), never asked again.
        self.dropped_metrics: dict[str, set[str]] = {}

    def token(self) -> str:
        """The current access token (refreshed by the credentials when it is about to expire)."""
        return self.credentials.access_token()

    # --- hooks a network overrides -------------------------------------------------------
    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token()}"}

    def classify_error(self, response: Response) -> ApiError | None:
        """Return the error this response represents, or None when it is a success."""
        if response.status >= 500:
            return TransientApiError(
                self.network, "server error", status=response.status, url=response.url
            )
        if response.status == 401:
            return self.auth_error("token rejected (HTTP 401)", status=401, url=response.url)
        if response.status == 429:
            return RateLimitError(self.network, "rate limited", status=429, url=response.url)
        if response.status >= 400:
            return ApiError(self.network, str(response.body)[:300], status=response.status)
        return None

    def proactive_wait(self, response: Response) -> float:
        """Seconds to pause after a successful call because usage is close to the limit."""
        return 0.0

    # --- shared behaviour ----------------------------------------------------------------
    def auth_error(self, message: str, **kwargs: Any) -> AuthError:
        hint = self.credentials.hint()
        if self.token_note and not self.credentials.can_refresh:
            hint = f"{self.token_note}. {hint}"
        return AuthError(self.network, message, hint=hint, **kwargs)

    def url(self, path: str) -> str:
        if path.startswith(("http://", "https://")):
            return path
        return urljoin(self.base_url, path.lstrip("/"))

    def backoff(self, attempt: int) -> float:
        return min(
            self.settings.backoff_seconds * (2 ** (attempt - 1)), self.settings.max_wait_seconds
        )

    def _wait(self, seconds: float, reason: str) -> None:
        seconds = max(0.0, seconds)
        if self.stats.waited_seconds + seconds > self.settings.max_wait_seconds:
            raise RateLimitError(
                self.network,
                f"gave up after waiting {self.stats.waited_seconds:.0f}s in total ({reason})",
                hint=(
                    "The API keeps throttling: lower this network's pool size or raise "
                    "max_wait_seconds in config/networks.yml, then rerun"
                ),
            )
        if seconds:
            log.info("%s: %s, waiting %.1fs", self.network, reason, seconds)
        self.stats.waited_seconds += seconds
        self.sleep(seconds)

    def send(self, request: Request) -> Response:
        """One HTTP call, no retries: used by `execute` and by tests that need the raw answer."""
        self._sent_token = self.token()
        headers = {"Accept": "application/json", **self.auth_headers(), **request.headers}
        self.stats.requests += 1
        raw = self.session.request(
            request.method,
            self.url(request.url),
            params=request.params or None,
            json=request.json_body,
            headers=headers,
            timeout=self.settings.timeout_seconds,
        )
        body: Any
        try:
            body = orjson.loads(raw.content) if raw.content else None
        except orjson.JSONDecodeError:
            body = raw.text
        return Response(raw.status_code, dict(raw.headers), body, redact(raw.url))

    def execute(self, request: Request) -> Response:
        """Send with retries: throttling waits, 5xx backs off, quota errors stop; a rejected
        token is refreshed once (when the credentials can) and the call tried again."""
        attempt = 0
        refreshed = False
        while True:
            attempt += 1
            try:
                response = self.send(request)
            except (requests.ConnectionError, requests.Timeout) as exc:
                error: ApiError | None = TransientApiError(
                    self.network, f"network error: {type(exc).__name__}", url=redact(request.url)
                )
                response = None
            else:
                error = self.classify_error(response)
                if error is None and not isinstance(response.body, dict | list):
                    error = MalformedResponseError(
                        self.network,
                        f"expected a JSON body, got {str(response.body)[:120]!r}",
                        status=response.status,
                        url=response.url,
                        body=str(response.body)[:100_000],
                    )
            if error is None:
                assert response is not None
                pause = self.proactive_wait(response)
                if pause > 0:
                    self.stats.throttled += 1
                    self._wait(pause, "usage close to the rate limit")
                return response
            if isinstance(error, AuthError) and not refreshed and self.credentials.can_refresh:
                refreshed = True
                log.info("%s: the API refused the access token, refreshing it once", self.network)
                self.credentials.refresh(rejected=self._sent_token)
                continue
            if isinstance(error, AuthError | QuotaExceededError):
                raise error
            if isinstance(error, RateLimitError):
                self.stats.throttled += 1
                self.stats.retries += 1
                wait = error.retry_after if error.retry_after is not None else self.backoff(attempt)
                self._wait(wait, f"throttled ({error.api_message})")
                continue
            if isinstance(error, TransientApiError | MalformedResponseError):
                if attempt > self.settings.max_retries:
                    error.hint = (
                        f"failed {attempt} times; the API may be down. Rerun the task later"
                    )
                    raise error
                self.stats.retries += 1
                self._wait(self.backoff(attempt), f"transient error ({error.api_message})")
                continue
            raise error

    def get(self, path: str, params: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        return self.execute(Request("GET", path, dict(params or {}), **kwargs)).body
