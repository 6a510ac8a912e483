"""OAuth as the connectors need it: each network declares its token lifecycle once (endpoints,
client authentication, lifetimes, whether the refresh token rotates), and the client asks a
`Credentials` object for the current access token, refreshing it once when the API rejects it.

Where tokens are kept (encrypted, under a row lock) is not the core's business: see
`social_warehouse.grants`. This module only speaks the networks' token endpoints."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlencode

import requests

from social_warehouse.errors import ApiError, AuthError, TransientApiError


@dataclass(frozen=True)
class TokenLifecycle:
    """How one network's OAuth tokens are obtained and live."""

    authorize_url: str
    token_url: str
    # The refresh grant's endpoint when it differs from the code exchange (TikTok); "" = the
    # network has no refresh grant at all (Meta: long-lived user tokens and Page tokens).
    refresh_url: str | None = None
    scopes: tuple[str, ...] = ()
    scope_separator: str = " "
    pkce: bool = False
    # How the client proves itself at the token endpoint: "basic" (HTTP Basic, X), "form"
    # (client_id/client_secret form fields: Google, LinkedIn), "json" (a JSON body: TikTok),
    # "query" (GET with query parameters: Meta).
    client_auth: str = "form"
    rotates_refresh_token: bool = False
    # Documented lifetimes, used when an answer leaves out expires_in / refresh_token_expires_in.
    access_lifetime: dt.timedelta | None = None
    refresh_lifetime: dt.timedelta | None = None
    client_id_param: str = "client_id"  # TikTok's authorize page calls it client_key
    code_param: str = "code"  # TikTok's token endpoint calls it auth_code
    authorize_params: dict[str, str] = field(default_factory=dict)
    envelope: bool = False  # TikTok: the answer is {"code": 0, "data": {...}}
    note: str = ""  # what an operator must know (Google: publish the consent screen)

    @property
    def can_refresh(self) -> bool:
        return self.refresh_url != ""


@dataclass
class TokenSet:
    access_token: str = field(repr=False)
    access_expires_at: dt.datetime | None
    refresh_token: str | None = field(default=None, repr=False)
    refresh_expires_at: dt.datetime | None = None
    scope: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class GrantRevokedError(AuthError):
    """The grant's refresh token was refused (expired, revoked, or spent by an earlier
    rotation): only a person re-consenting can bring it back."""


class Credentials(Protocol):
    """What a client needs from its credentials."""

    @property
    def can_refresh(self) -> bool: ...

    def access_token(self) -> str: ...

    def refresh(self, rejected: str | None = None) -> str:
        """A new access token. `rejected` is the token the API just refused: when someone else
        already replaced it, their token is used instead of refreshing again."""
        ...

    def hint(self) -> str:
        """What to do when the credentials are dead, naming where they live."""
        ...


@dataclass
class StaticToken:
    """A token given as it is (a Meta Page token, a token pasted into a connection): nothing to
    refresh, so a rejection is final."""

    token: str = field(repr=False)
    where: str = ""

    @property
    def can_refresh(self) -> bool:
        return False

    def access_token(self) -> str:
        return self.token

    def refresh(self, rejected: str | None = None) -> str:
        return self.token

    def hint(self) -> str:
        return (
            f"Renew the access token {self.where}and rerun the task; retrying with the same "
            "token will not help"
        )


def pkce_pair() -> tuple[str, str]:
    """(code_verifier, S256 code_challenge) per RFC 7636."""
    verifier = base64.urlsafe_b64encode(secrets.token_bytes(48)).rstrip(b"=").decode()
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def authorize_url(
    lifecycle: TokenLifecycle,
    *,
    url: str,
    client_id: str,
    redirect_uri: str,
    state: str,
    code_challenge: str | None = None,
    extra: dict[str, str] | None = None,
) -> str:
    params = {
        lifecycle.client_id_param: client_id,
        "redirect_uri": redirect_uri,
        "response_type": "code",
        "state": state,
        "scope": lifecycle.scope_separator.join(lifecycle.scopes),
        **lifecycle.authorize_params,
        **(extra or {}),
    }
    if code_challenge:
        params |= {"code_challenge": code_challenge, "code_challenge_method": "S256"}
    return f"{url}{'&' if '?' in url else '?'}{urlencode(params)}"


def _expiry(now: dt.datetime, seconds: Any, default: dt.timedelta | None) -> dt.datetime | None:
    if isinstance(seconds, int | float) and not isinstance(seconds, bool) and seconds > 0:
        return now + dt.timedelta(seconds=float(seconds))
    if isinstance(seconds, str) and seconds.isdigit() and int(seconds) > 0:
        return now + dt.timedelta(seconds=int(seconds))
    return now + default if default else None


# Answers of a token endpoint that mean the grant itself is dead (not a passing fault).
DEAD_GRANT_ERRORS = {"invalid_grant", "invalid_request", "unauthorized_client", "invalid_client"}
# TikTok: 40102 access token expired, 40103 refresh token expired, 40104 token missing,
# 40105 invalid access token, 40107 invalid refresh token, 40110 invalid/used auth code
TIKTOK_DEAD_CODES = {40103, 40104, 40105, 40107, 40110}


def token_request(
    lifecycle: TokenLifecycle,
    *,
    network: str,
    grant: str,
    url: str,
    client_id: str,
    client_secret: str,
    params: dict[str, str],
    session: requests.Session | None = None,
    timeout: float = 30.0,
    now: dt.datetime | None = None,
) -> TokenSet:
    """One call to a token endpoint (code exchange, refresh, or Meta's token exchange), with the
    network's client authentication, parsed into a TokenSet. A refused grant raises
    GrantRevokedError; 5xx and network errors raise TransientApiError."""
    session = session or requests.Session()
    now = now or dt.datetime.now(dt.UTC)
    headers = {"Accept": "application/json"}
    body: dict[str, Any] = dict(params)
    try:
        if lifecycle.client_auth == "basic":
            raw = session.post(
                url, data=body, auth=(client_id, client_secret), headers=headers, timeout=timeout
            )
        elif lifecycle.client_auth == "json":
            body |= {"client_id": client_id, "client_secret": client_secret}
            raw = session.post(url, json=body, headers=headers, timeout=timeout)
        elif lifecycle.client_auth == "query":
            body |= {"client_id": client_id, "client_secret": client_secret}
            raw = session.get(url, params=body, headers=headers, timeout=timeout)
        else:
            body |= {"client_id": client_id, "client_secret": client_secret}
            raw = session.post(url, data=body, headers=headers, timeout=timeout)
    except (requests.ConnectionError, requests.Timeout) as exc:
        raise TransientApiError(
            network, f"token endpoint unreachable for grant {grant!r}: {type(exc).__name__}"
        ) from None
    try:
        answer = raw.json()
    except ValueError:
        answer = None
    return parse_token_answer(lifecycle, network, grant, raw.status_code, answer, now)


def parse_token_answer(
    lifecycle: TokenLifecycle,
    network: str,
    grant: str,
    status: int,
    answer: Any,
    now: dt.datetime,
) -> TokenSet:
    """A token endpoint's answer as a TokenSet, or the error it means (never echoing tokens)."""
    if status >= 500:
        raise TransientApiError(network, f"token endpoint failed (HTTP {status})", status=status)
    data = answer if isinstance(answer, dict) else {}
    if lifecycle.envelope:
        code = data.get("code")
        if code not in (0, None):
            message = str(data.get("message") or "no message")
            if code in TIKTOK_DEAD_CODES:
                raise GrantRevokedError(
                    network, f"grant {grant!r} refused: {message} (code {code})", code=code
                )
            if code in (40100, 40016, 40133, 60001) or (isinstance(code, int) and code >= 50000):
                raise TransientApiError(network, f"token endpoint: {message}", code=code)
            raise ApiError(network, f"token endpoint refused the request: {message}", code=code)
        data = data.get("data") if isinstance(data.get("data"), dict) else {}
    error = data.get("error")
    if isinstance(error, dict):  # Meta's envelope
        code = error.get("code")
        message = str(error.get("message") or "unknown error")
        if code == 190 or status in (400, 401):
            raise GrantRevokedError(
                network, f"grant {grant!r} refused: {message}", status=status, code=code
            )
        raise ApiError(network, f"token endpoint: {message}", status=status, code=code)
    if isinstance(error, str) or status >= 400:
        described = str(data.get("error_description") or error or f"HTTP {status}")
        if error in DEAD_GRANT_ERRORS or status in (400, 401):
            raise GrantRevokedError(
                network,
                f"grant {grant!r} refused by the token endpoint: {error}: {described}",
                status=status,
                code=str(error) if error else None,
            )
        raise ApiError(network, f"token endpoint: {described}", status=status)
    token = data.get("access_token")
    if not isinstance(token, str) or not token:
        raise ApiError(network, "token endpoint answered without an access_token", status=status)
    refresh = data.get("refresh_token")
    return TokenSet(
        access_token=token,
        access_expires_at=_expiry(now, data.get("expires_in"), lifecycle.access_lifetime),
        refresh_token=refresh if isinstance(refresh, str) and refresh else None,
        refresh_expires_at=_expiry(
            now, data.get("refresh_token_expires_in"), lifecycle.refresh_lifetime
        )
        if refresh
        else None,
        scope=str(data["scope"]) if data.get("scope") else None,
        extra={k: v for k, v in data.items() if k in ("open_id", "token_type", "advertiser_ids")},
    )
