"""Exceptions that name what went wrong, where, and what to do next."""

from __future__ import annotations


class SocialWarehouseError(Exception):
    """Base class for every error this package raises on purpose."""


class ConfigError(SocialWarehouseError):
    """A configuration file or connection is wrong; the message names the file and the field."""


class ApiError(SocialWarehouseError):
    """A network's API answered with an error we cannot work around."""

    def __init__(
        self,
        network: str,
        message: str,
        *,
        status: int | None = None,
        code: int | str | None = None,
        url: str | None = None,
        hint: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        self.network = network
        self.status = status
        self.code = code
        self.url = url
        self.hint = hint
        self.api_message = message
        # the API's own estimate of when to try again (Retry-After, a reset time), if it gave one
        self.retry_after = retry_after
        super().__init__(message)

    def __str__(self) -> str:
        parts = [f"{self.network}: {self.api_message}"]
        if self.status is not None or self.code is not None:
            parts.append(f"(HTTP {self.status}, code {self.code})")
        if self.url:
            parts.append(f"at {self.url}")
        text = " ".join(parts)
        return f"{text}. {self.hint}" if self.hint else text


class AuthError(ApiError):
    """The token is expired, revoked or invalid: retrying cannot help; renew the connection."""


class ApiVersionError(ApiError):
    """The API version we send is no longer served (LinkedIn 426, Graph API deprecated version)."""


class RateLimitError(ApiError):
    """The API throttled us; `retry_after` seconds is its own estimate when it gives one."""


class QuotaExceededError(ApiError):
    """A daily quota is spent (YouTube quotaExceeded, LinkedIn daily limit): stop until reset."""

    def __init__(self, *args, resets_at: str | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.resets_at = resets_at


class TransientApiError(ApiError):
    """A 5xx or an error the API marks as transient: retry with backoff."""


class InvalidMetricError(ApiError):
    """The API rejected one or more requested metrics (Meta `(#100)`)."""


class PaginationError(ApiError):
    """Paging went wrong in a way that would lose records if taken as the end of the listing."""


class PaginationLoopError(PaginationError):
    """The API handed back a continuation (next URL, token, cursor, offset) this listing already
    followed: following it again would loop, stopping would pass a partial listing off as whole."""


class PaginationLimitError(PaginationError):
    """A listing ran past the stream's page limit without the API saying it ended."""


class ShrinkRefusedError(SocialWarehouseError):
    """A load fetched far fewer records than the previous load of the same account and stream
    still in the window, without any API error: it is not written, the stored rows stay."""


class TransientDatabaseError(SocialWarehouseError):
    """The warehouse connection dropped or a transaction was aborted by a conflict, and retries
    did not help."""


class MalformedResponseError(ApiError):
    """The body is not the JSON shape the API documents; `body` keeps (the start of) what came,
    so the load can quarantine it."""

    def __init__(self, *args, body: str | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.body = body
