"""The HTTP client shared by every network: auth headers, retries with backoff, rate-limit waits,
and error classification delegated to the network's subclass."""

from __future__ import annotations

import datetime as dt
import email.utils
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin

import orjson
import requests
from tenacity import RetryCallState, Retrying, retry_if_exception_type, wait_random_exponential

from social_warehouse import logs
from social_warehouse.connections import ConnectionInfo
from social_warehouse.connector.auth import Credentials, StaticToken
from social_warehouse.connector.settings import NetworkSettings
from social_warehouse.errors import (
    ApiError,
    AuthError,
    MalformedResponseError,
    RateLimitError,
    TransientApiError,
)

log = logging.getLogger(__name__)


def redact(url: str) -> str:
    """Strip tokens from URLs before they reach a log line or an error message."""
    return logs.redact(url)


def retry_after(headers: dict[str, str]) -> float | None:
    """Seconds to wait from a `Retry-After` header (seconds or an HTTP date), if there is one."""
    value = next((v for k, v in headers.items() if k.lower() == "retry-after"), None)
    if not value:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max((when - dt.datetime.now(dt.UTC)).total_seconds(), 0.0)


class _TokenRefreshed(ApiError):
    """The credentials were refreshed after a rejected token: the call is tried again at once."""


_RETRYABLE = (RateLimitError, TransientApiError, MalformedResponseError, _TokenRefreshed)


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
        self._budget_spent = False
        # exponential backoff with full jitter, so accounts retrying at once spread out
        self._jitter = wait_random_exponential(
            multiplier=settings.backoff_seconds, max=settings.max_wait_seconds
        )

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
                self.network,
                "server error",
                status=response.status,
                url=response.url,
                retry_after=retry_after(response.headers),
            )
        if response.status == 401:
            return self.auth_error("token rejected (HTTP 401)", status=401, url=response.url)
        if response.status == 429:
            return RateLimitError(
                self.network,
                "rate limited",
                status=429,
                url=response.url,
                retry_after=retry_after(response.headers),
            )
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
        """Send with retries (tenacity): throttling waits for the API's own reset time
        (`Retry-After`, or what the network's error says) within the max_wait_seconds budget;
        5xx, timeouts and malformed answers back off exponentially with jitter up to
        max_retries; quota and auth errors stop, except that a rejected token is refreshed once
        (when the credentials can) and the call tried again."""
        state = {"refreshed": False}
        retrying = Retrying(
            retry=retry_if_exception_type(_RETRYABLE),
            wait=self._retry_wait,
            stop=self._retry_stop,
            before_sleep=self._before_retry,
            sleep=self._retry_sleep,
            reraise=True,
        )
        try:
            return retrying(self._attempt, request, state)
        except RateLimitError as error:
            if self._budget_spent:
                raise RateLimitError(
                    self.network,
                    f"gave up after waiting {self.stats.waited_seconds:.0f}s in total "
                    f"(throttled: {error.api_message})",
                    status=error.status,
                    code=error.code,
                    url=error.url,
                    hint=(
                        "The API keeps throttling: lower this network's pool size or raise "
                        "max_wait_seconds in config/networks.yml, then rerun"
                    ),
                ) from None
            raise
        except (TransientApiError, MalformedResponseError) as error:
            attempts = self.settings.max_retries + 1
            error.hint = f"failed {attempts} times; the API may be down. Rerun the task later"
            raise

    def _attempt(self, request: Request, state: dict[str, bool]) -> Response:
        try:
            response = self.send(request)
        except (requests.ConnectionError, requests.Timeout) as exc:
            # name the host and the connection it came from: an edited or mistyped host in the
            # connection looks exactly like an API that is down
            raise TransientApiError(
                self.network,
                f"network error: {type(exc).__name__} reaching {redact(self.base_url)} "
                f"(the host of {self.conn.describe()})",
                url=redact(self.url(request.url)),
            ) from None
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
            pause = self.proactive_wait(response)
            if pause > 0:
                self.stats.throttled += 1
                self._wait(pause, "usage close to the rate limit")
            return response
        if isinstance(error, AuthError) and not state["refreshed"] and self.credentials.can_refresh:
            state["refreshed"] = True
            log.info("%s: the API refused the access token, refreshing it once", self.network)
            self.credentials.refresh(rejected=self._sent_token)
            raise _TokenRefreshed(self.network, "token refreshed, trying again")
        raise error

    def _retry_wait(self, retry_state: RetryCallState) -> float:
        error = retry_state.outcome.exception() if retry_state.outcome else None
        if isinstance(error, _TokenRefreshed):
            return 0.0
        if isinstance(error, ApiError) and error.retry_after is not None:
            return max(float(error.retry_after), 0.0)
        return min(self._jitter(retry_state), self.settings.max_wait_seconds)

    def _retry_stop(self, retry_state: RetryCallState) -> bool:
        error = retry_state.outcome.exception() if retry_state.outcome else None
        self._budget_spent = False
        if isinstance(error, _TokenRefreshed):
            return False
        if isinstance(error, RateLimitError):
            wait = retry_state.upcoming_sleep
            self._budget_spent = self.stats.waited_seconds + wait > self.settings.max_wait_seconds
            return self._budget_spent
        if self.stats.waited_seconds + retry_state.upcoming_sleep > self.settings.max_wait_seconds:
            return True
        return retry_state.attempt_number > self.settings.max_retries

    def _before_retry(self, retry_state: RetryCallState) -> None:
        error = retry_state.outcome.exception() if retry_state.outcome else None
        if isinstance(error, _TokenRefreshed):
            return
        self.stats.retries += 1
        if isinstance(error, RateLimitError):
            self.stats.throttled += 1
        what = "throttled" if isinstance(error, RateLimitError) else "transient error"
        message = error.api_message if isinstance(error, ApiError) else str(error)
        log.info(
            "%s: %s (%s), waiting %.1fs", self.network, what, message, retry_state.upcoming_sleep
        )

    def _retry_sleep(self, seconds: float) -> None:
        self.stats.waited_seconds += seconds
        self.sleep(seconds)

    def get(self, path: str, params: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        return self.execute(Request("GET", path, dict(params or {}), **kwargs)).body
