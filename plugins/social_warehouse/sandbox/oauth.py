"""OAuth as the real networks speak it: authorize pages that consent at once and redirect, token
endpoints with each network's client authentication, lifetimes, rotation and error shapes,
revocation, and tokens scoped to the accounts of the owner who consented.

Providers, under each network's prefix (`/x/2/oauth2/token`, ...):

- Meta (facebook_pages and instagram share one app model, as one Meta app serves both):
  `GET /v25.0/dialog/oauth`, `GET /v25.0/oauth/access_token` (the code exchange gives a
  short-lived user token of ~2 h; `grant_type=fb_exchange_token` a long-lived one,
  `expires_in` 5183944), `GET /v25.0/debug_token?input_token=&access_token=<app_id>|<secret>`.
  No refresh grant. `/me`, `/me/accounts` (Page tokens, which never expire when read with a
  long-lived user token, and `instagram_business_account{id}`) are served by the network modules.
- X: `GET /i/oauth2/authorize` (PKCE S256 required), `POST /2/oauth2/token` (HTTP Basic client
  auth, else 401 unauthorized_client), `POST /2/oauth2/revoke`; 2 h access tokens; every refresh
  returns a new pair and spends the old refresh token (reused: 400 invalid_request).
- LinkedIn: `GET /oauth/v2/authorization`, `POST /oauth/v2/accessToken` (client id and secret as
  form fields), `POST /oauth/v2/introspectToken`; 60-day access tokens; the refresh token ends
  365 days after the first consent, whatever refreshes (`refresh_token_expires_in` counts down).
- Google (youtube): `GET /o/oauth2/v2/auth` (a refresh token only with access_type=offline;
  PKCE optional), `POST /token`, `POST /revoke`; 1 h access tokens, no rotation. A client created
  with `testing: true` models a consent screen left in Testing: its refresh tokens die 7 days
  after consent.
- TikTok (Business API `tt_user`): `GET /v2/auth/authorize/` (`client_key`),
  `POST /open_api/v1.3/tt_user/oauth2/token/` and `.../refresh_token/` (JSON bodies, answers in
  the `{code, message, request_id, data}` envelope), `.../revoke/`, `.../tt_user/token_info/get/`;
  24 h access tokens, the refresh token ends 365 days after consent and rotates (the spent one
  answers 40107, an expired one 40103).

Every token expires on the sandbox clock. The sandbox-only `login_hint` of an authorize request
(comma-separated account ids) says which accounts the consenting owner has; every token of that
grant reads only those (another account answers the network's own permission error). A token the
sandbox never issued keeps reading everything, as before OAuth existed here. Revoking any token
of a grant kills the whole grant. Authorize errors that cannot be trusted to a redirect (unknown
client, a redirect_uri the client did not register) answer 400 with the JSON a browser would show
as a page; the others redirect with `error=`, as RFC 6749 says."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import secrets
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar
from urllib.parse import parse_qsl, urlencode, urlsplit

from social_warehouse.sandbox.base import SandboxRequest, SandboxResponse
from social_warehouse.sandbox.graph_common import REVOKED_MESSAGE, graph_error

# Which OAuth provider serves each network: one Meta app serves Facebook Pages and Instagram.
PROVIDER_OF = {
    "facebook_pages": "meta",
    "instagram": "meta",
    "x": "x",
    "linkedin": "linkedin",
    "youtube": "google",
    "tiktok": "tiktok",
}
# Query parameters that carry a credential: the request log keeps the name, never the value.
SECRET_PARAMS = frozenset(
    {
        "access_token",
        "auth_code",
        "client_secret",
        "code",
        "code_verifier",
        "fb_exchange_token",
        "input_token",
        "refresh_token",
        "token",
    }
)
REDACTED = "[redacted]"
LOOPBACK = frozenset({"127.0.0.1", "localhost", "[::1]", "::1"})


def redact_query(query: dict[str, str]) -> dict[str, str]:
    return {k: (REDACTED if k in SECRET_PARAMS else v) for k, v in query.items()}


def _digits(n: int) -> str:
    return "".join(secrets.choice("0123456789") for _ in range(n))


def stable_digits(text: str, n: int) -> str:
    """`n` digits derived from `text`: the same ids on every run (Meta user and Page ids)."""
    value = int(hashlib.blake2b(text.encode(), digest_size=8).hexdigest(), 16)
    return f"{value % 10**n:0{n}d}"


def _seconds(delta: dt.timedelta) -> int:
    return max(int(delta.total_seconds()), 0)


def _epoch(instant: dt.datetime | None) -> int:
    return int(instant.timestamp()) if instant else 0


@dataclass
class Client:
    client_id: str
    client_secret: str = field(repr=False)
    provider: str
    network: str
    redirect_uris: tuple[str, ...] = ()
    # Google: the consent screen is in Testing, so refresh tokens die 7 days after consent.
    testing: bool = False
    # LinkedIn: only Marketing Developer Platform apps receive refresh tokens.
    refresh_tokens: bool = True

    def allows(self, redirect_uri: str) -> bool:
        """Registered URIs match exactly, except that a loopback URI may use any port (RFC 8252
        §7.3, as Google does for installed apps). With none registered, any http(s) URI does."""
        parts = urlsplit(redirect_uri)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            return False
        if not self.redirect_uris:
            return True
        for registered in self.redirect_uris:
            if registered == redirect_uri:
                return True
            known = urlsplit(registered)
            if (
                parts.hostname in LOOPBACK
                and known.hostname == parts.hostname
                and (known.scheme, known.path) == (parts.scheme, parts.path)
            ):
                return True
        return False


@dataclass
class Grant:
    """One owner's consent to one client: the accounts it reads and what happened to it."""

    grant_id: str
    provider: str
    network: str
    client_id: str
    accounts: tuple[str, ...]
    scopes: tuple[str, ...]
    consented_at: dt.datetime
    user_id: str
    refresh_expires_at: dt.datetime | None = None
    offline: bool = True
    revoked_at: dt.datetime | None = None
    # Meta: each Instagram account id -> the id of the Page it is linked to
    links: dict[str, str] = field(default_factory=dict)
    # Meta: the Page token of each Page, minted once from a long-lived user token
    page_tokens: dict[str, str] = field(default_factory=dict, repr=False)
    exchanges: int = 0  # codes (or Meta short-lived tokens) exchanged for tokens
    refreshes: int = 0  # successful refresh grants
    token_calls: int = 0  # calls to a token endpoint that named this grant, refused ones too
    rejected_reuses: int = 0  # spent (rotated) refresh tokens presented again
    rejected_api_calls: int = 0  # API calls refused because the token had expired or was revoked

    @property
    def scope(self) -> frozenset[str]:
        return frozenset(self.accounts)

    @property
    def pages(self) -> list[str]:
        linked = set(self.links)
        return [a for a in self.accounts if a not in linked]

    def stats(self) -> dict[str, Any]:
        return {
            "grant": self.grant_id,
            "network": self.network,
            "provider": self.provider,
            "client_id": self.client_id,
            "accounts": list(self.accounts),
            "scopes": list(self.scopes),
            "consented_at": self.consented_at.isoformat(),
            "refresh_expires_at": (
                self.refresh_expires_at.isoformat() if self.refresh_expires_at else None
            ),
            "revoked": self.revoked_at is not None,
            "exchanges": self.exchanges,
            "refreshes": self.refreshes,
            "token_calls": self.token_calls,
            "rejected_reuses": self.rejected_reuses,
            "rejected_api_calls": self.rejected_api_calls,
        }


@dataclass
class Token:
    value: str = field(repr=False)
    # code | access | refresh | user (Meta short-lived) | user_long (Meta) | page (Meta)
    kind: str
    provider: str
    grant_id: str | None  # None for a code: the grant exists once the code is exchanged
    issued_at: dt.datetime
    expires_at: dt.datetime | None
    client_id: str = ""
    accounts: frozenset[str] | None = None  # narrower than the grant's (a Page token)
    spent: bool = False
    # authorization codes: what the consent said, checked again at the exchange
    consent: dict[str, Any] = field(default_factory=dict)

    def expired(self, now: dt.datetime) -> bool:
        return self.expires_at is not None and now >= self.expires_at


@dataclass
class Access:
    """What the generic API check found for a bearer token."""

    error: str | None = None  # expired_token | revoked_token | invalid_token
    token: Token | None = None
    grant: Grant | None = None

    @property
    def scope(self) -> frozenset[str] | None:
        if self.token is None or self.grant is None:
            return None  # a token the sandbox never issued reads everything
        return self.token.accounts if self.token.accounts is not None else self.grant.scope


Handler = Callable[..., SandboxResponse]


class OAuthRegistry:
    """Every client, grant and token the sandbox issued, behind one lock."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.clients: dict[str, Client] = {}
        self.grants: dict[str, Grant] = {}
        self.tokens: dict[str, Token] = {}
        self._serial = 0
        self.providers: dict[str, Provider] = {cls.name: cls(self) for cls in PROVIDERS}

    # --- routing ----------------------------------------------------------------------------
    def endpoint(self, network: str, method: str, path: str) -> Callable[..., Any] | None:
        provider = self.providers.get(PROVIDER_OF.get(network, ""))
        return provider.match(method, path) if provider else None

    # --- clients ----------------------------------------------------------------------------
    def create_client(
        self,
        network: str,
        redirect_uris: tuple[str, ...] = (),
        *,
        testing: bool = False,
        refresh_tokens: bool = True,
    ) -> Client:
        provider = self.providers[PROVIDER_OF[network]]
        client = Client(
            provider.new_client_id(),
            secrets.token_urlsafe(32),
            provider.name,
            network,
            tuple(redirect_uris),
            testing=testing,
            refresh_tokens=refresh_tokens,
        )
        with self.lock:
            self.clients[client.client_id] = client
        return client

    def client(self, client_id: str, provider: str) -> Client | None:
        client = self.clients.get(client_id or "")
        return client if client is not None and client.provider == provider else None

    def authenticate(self, client_id: str, secret: str, provider: str) -> Client | None:
        client = self.client(client_id, provider)
        if client is None or not secrets.compare_digest(client.client_secret, secret or ""):
            return None
        return client

    # --- tokens -----------------------------------------------------------------------------
    def issue(
        self,
        kind: str,
        provider: Provider,
        grant: Grant | None,
        now: dt.datetime,
        lifetime: dt.timedelta | None,
        *,
        client_id: str = "",
        expires_at: dt.datetime | None = None,
        accounts: frozenset[str] | None = None,
        consent: dict[str, Any] | None = None,
    ) -> Token:
        token = Token(
            provider.token_value(kind),
            kind,
            provider.name,
            grant.grant_id if grant else None,
            now,
            expires_at if expires_at is not None else (now + lifetime if lifetime else None),
            client_id=client_id or (grant.client_id if grant else ""),
            accounts=accounts,
            consent=dict(consent or {}),
        )
        with self.lock:
            self.tokens[token.value] = token
        return token

    def find(self, value: str, provider: str) -> Token | None:
        token = self.tokens.get(value or "")
        return token if token is not None and token.provider == provider else None

    def grant_of(self, token: Token | None) -> Grant | None:
        return self.grants.get(token.grant_id or "") if token else None

    def new_grant(
        self,
        client: Client,
        network: str,
        accounts: list[str],
        scopes: tuple[str, ...],
        now: dt.datetime,
        *,
        offline: bool = True,
        links: dict[str, str] | None = None,
    ) -> Grant:
        provider = self.providers[client.provider]
        with self.lock:
            self._serial += 1
            grant_id = f"{client.provider}-{self._serial}"
        refresh_expires = (
            now + provider.refresh_lifetime if provider.refresh_lifetime is not None else None
        )
        if client.testing and client.provider == "google":
            refresh_expires = now + dt.timedelta(days=7)
        grant = Grant(
            grant_id,
            client.provider,
            network,
            client.client_id,
            tuple(dict.fromkeys(accounts)),
            scopes,
            now,
            user_id=provider.user_id(accounts),
            refresh_expires_at=refresh_expires,
            offline=offline,
            links=dict(links or {}),
        )
        with self.lock:
            self.grants[grant_id] = grant
        return grant

    def revoke(self, grant: Grant, now: dt.datetime) -> None:
        with self.lock:
            if grant.revoked_at is None:
                grant.revoked_at = now

    def check_api(self, network: str, value: str, now: dt.datetime) -> Access:
        """The generic check of a bearer token on an API call."""
        token = self.tokens.get(value or "")
        if token is None:
            return Access()
        if token.provider != PROVIDER_OF.get(network) or token.kind in ("code", "refresh"):
            return Access(error="invalid_token")
        grant = self.grant_of(token)
        if grant is None:
            return Access(error="invalid_token")
        if grant.revoked_at is not None:
            with self.lock:
                grant.rejected_api_calls += 1
            return Access(error="revoked_token", token=token, grant=grant)
        if token.expired(now):
            with self.lock:
                grant.rejected_api_calls += 1
            return Access(error="expired_token", token=token, grant=grant)
        return Access(token=token, grant=grant)

    # --- code and refresh flows shared by the providers ----------------------------------------
    def consent(
        self,
        provider: Provider,
        client: Client,
        network: str,
        now: dt.datetime,
        **consent: Any,
    ) -> Token:
        return self.issue(
            "code",
            provider,
            None,
            now,
            provider.code_lifetime,
            client_id=client.client_id,
            consent={"network": network, **consent},
        )

    def redeem(
        self,
        provider: Provider,
        client: Client,
        value: str,
        redirect_uri: str | None,
        verifier: str | None,
        now: dt.datetime,
    ) -> tuple[Grant | None, str | None]:
        """Exchange an authorization code: (the new grant, None) or (None, why not): unknown,
        expired, used, redirect_uri, verifier_missing or verifier."""
        with self.lock:
            code = self.find(value, provider.name)
            if code is None or code.kind != "code" or code.client_id != client.client_id:
                return None, "unknown"
            if code.spent:
                return None, "used"
            if code.expired(now):
                return None, "expired"
            consent = code.consent
            if redirect_uri is not None and redirect_uri != consent.get("redirect_uri"):
                return None, "redirect_uri"
            challenge = consent.get("code_challenge")
            if challenge:
                if not verifier:
                    return None, "verifier_missing"
                if not _pkce_matches(verifier, challenge, consent.get("code_challenge_method")):
                    return None, "verifier"
            code.spent = True
            grant = self.new_grant(
                client,
                consent["network"],
                list(consent["accounts"]),
                tuple(consent.get("scopes", ())),
                now,
                offline=bool(consent.get("offline", True)),
                links=consent.get("links"),
            )
            grant.exchanges += 1
            grant.token_calls += 1
            return grant, None

    def tokens_for(
        self, provider: Provider, grant: Grant, client: Client, now: dt.datetime
    ) -> tuple[Token, Token | None]:
        """A fresh access token and, when the grant gets one, its refresh token."""
        access = self.issue("access", provider, grant, now, provider.access_lifetime)
        refresh = None
        if provider.has_refresh and grant.offline and client.refresh_tokens:
            refresh = self.issue(
                "refresh",
                provider,
                grant,
                now,
                None,
                expires_at=grant.refresh_expires_at,
            )
        return access, refresh

    def use_refresh(
        self, provider: Provider, client: Client, value: str, now: dt.datetime
    ) -> tuple[Grant | None, Token | None, Token | None, str | None]:
        """A refresh grant: (grant, new access, new or same refresh token, None), or (grant or
        None, None, None, why not): unknown, spent, revoked or expired."""
        with self.lock:
            token = self.find(value, provider.name)
            grant = self.grant_of(token)
            if token is None or token.kind != "refresh" or grant is None:
                return None, None, None, "unknown"
            grant.token_calls += 1
            if token.client_id != client.client_id:
                return grant, None, None, "unknown"
            if grant.revoked_at is not None:
                return grant, None, None, "revoked"
            if token.spent:
                grant.rejected_reuses += 1
                return grant, None, None, "spent"
            if token.expired(now):
                return grant, None, None, "expired"
            access = self.issue("access", provider, grant, now, provider.access_lifetime)
            refresh = token
            if provider.rotates:
                token.spent = True
                refresh = self.issue(
                    "refresh", provider, grant, now, None, expires_at=token.expires_at
                )
            grant.refreshes += 1
            return grant, access, refresh, None

    # --- Meta Page tokens -------------------------------------------------------------------
    def page_token(self, grant: Grant, page_id: str, user_token: Token, now: dt.datetime) -> str:
        """The Page token /me/accounts hands out: from a long-lived user token one that never
        expires (the same one every time), from a short-lived one a token of about an hour."""
        provider = self.providers["meta"]
        linked = {ig for ig, page in grant.links.items() if page == page_id}
        scope = frozenset({page_id, *linked})
        with self.lock:
            if user_token.kind == "user_long":
                known = self.tokens.get(grant.page_tokens.get(page_id, ""))
                if known is not None:
                    return known.value
                token = self.issue("page", provider, grant, now, None, accounts=scope)
                grant.page_tokens[page_id] = token.value
                return token.value
            return self.issue(
                "page", provider, grant, now, dt.timedelta(hours=1), accounts=scope
            ).value

    # --- control endpoints ------------------------------------------------------------------
    def control(
        self,
        method: str,
        path: str,
        query: dict[str, str],
        data: dict[str, Any],
        now: dt.datetime,
        base_url: str,
        networks: set[str],
    ) -> SandboxResponse:
        if method == "GET" and path == "/stats":
            wanted = query.get("network")
            with self.lock:
                grants = [g for g in self.grants.values() if not wanted or g.network == wanted]
                rows = [g.stats() for g in grants]
            return SandboxResponse(200, {"grants": rows})
        if method != "POST" or path not in ("/clients", "/grants", "/revoke"):
            return SandboxResponse(404, {"error": f"no control endpoint {method} /oauth{path}"})
        network = str(data.get("network") or "")
        if network not in PROVIDER_OF or network not in networks:
            return SandboxResponse(
                400, {"error": f"network must be one of {sorted(PROVIDER_OF)}, got {network!r}"}
            )
        provider = self.providers[PROVIDER_OF[network]]
        if path == "/clients":
            uris = data.get("redirect_uris") or []
            if not isinstance(uris, list) or not all(isinstance(u, str) for u in uris):
                return SandboxResponse(400, {"error": "redirect_uris must be a list of URIs"})
            client = self.create_client(
                network,
                tuple(uris),
                testing=bool(data.get("testing", False)),
                refresh_tokens=bool(data.get("refresh_tokens", True)),
            )
            return SandboxResponse(
                201,
                {
                    "network": network,
                    "provider": provider.name,
                    "client_id": client.client_id,
                    "client_secret": client.client_secret,
                },
            )
        if path == "/grants":
            client = self.client(str(data.get("client_id") or ""), provider.name)
            accounts = data.get("accounts")
            if client is None:
                return SandboxResponse(
                    400, {"error": f"unknown {provider.name} client {data.get('client_id')!r}"}
                )
            if not isinstance(accounts, list) or not all(isinstance(a, str) for a in accounts):
                return SandboxResponse(400, {"error": "accounts must be a list of account ids"})
            problem = provider.account_problem(accounts)
            if problem:
                return SandboxResponse(400, {"error": problem})
            scopes = data.get("scopes") or list(provider.default_scopes(network))
            return SandboxResponse(
                201, provider.control_grant(client, network, accounts, tuple(scopes), now, base_url)
            )
        # /revoke
        grant = self.grants.get(str(data.get("grant") or ""))
        if grant is None and data.get("token"):
            grant = self.grant_of(self.find(str(data["token"]), provider.name))
        if grant is None or grant.provider != provider.name:
            return SandboxResponse(404, {"error": "no such grant or token"})
        self.revoke(grant, now)
        return SandboxResponse(200, {"revoked": grant.grant_id})


def _pkce_matches(verifier: str, challenge: str, method: str | None) -> bool:
    if (method or "plain").upper() == "S256":
        digest = hashlib.sha256(verifier.encode()).digest()
        computed = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
        return secrets.compare_digest(computed, challenge)
    return secrets.compare_digest(verifier, challenge)


def _with_query(url: str, params: dict[str, str]) -> str:
    return f"{url}{'&' if '?' in url else '?'}{urlencode(params)}"


def _form(request: SandboxRequest) -> dict[str, str]:
    """A form body (or, for GET, the query string)."""
    if request.method == "GET":
        return dict(request.query)
    content_type = request.header("Content-Type")
    if "json" in content_type:
        try:
            data = request.json()
        except ValueError:
            return {}
        return {k: str(v) for k, v in data.items()} if isinstance(data, dict) else {}
    values = dict(parse_qsl(request.body.decode(errors="replace"), keep_blank_values=True))
    return {**request.query, **values}


def _basic_auth(request: SandboxRequest) -> tuple[str, str] | None:
    header = request.header("Authorization")
    if not header.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(header[6:].strip()).decode()
    except (ValueError, UnicodeDecodeError):
        return None
    client_id, sep, secret = decoded.partition(":")
    return (client_id, secret) if sep else None


class Provider:
    """One network's OAuth: its routes (below the network prefix) and its answers."""

    name: ClassVar[str]
    routes: ClassVar[list[tuple[str, str, str]]] = []
    client_param: ClassVar[str] = "client_id"
    scope_separator: ClassVar[str] = " "
    pkce: ClassVar[str] = "optional"  # required | optional
    single_account: ClassVar[bool] = False
    access_lifetime: ClassVar[dt.timedelta] = dt.timedelta(hours=1)
    refresh_lifetime: ClassVar[dt.timedelta | None] = None
    code_lifetime: ClassVar[dt.timedelta] = dt.timedelta(minutes=10)
    has_refresh: ClassVar[bool] = True
    rotates: ClassVar[bool] = False
    prefixes: ClassVar[dict[str, str]] = {}
    # authorize / token / refresh paths below the network prefix, for ready-made connections
    paths: ClassVar[dict[str, str]] = {}

    def __init__(self, registry: OAuthRegistry) -> None:
        import re

        self.registry = registry
        self._compiled = [(m, re.compile(f"^{p}$"), h) for m, p, h in self.routes]

    def match(self, method: str, path: str) -> Callable[..., SandboxResponse] | None:
        for route_method, pattern, handler in self._compiled:
            if route_method == method and pattern.match(path):
                return getattr(self, handler)
        return None

    # --- identities -------------------------------------------------------------------------
    def new_client_id(self) -> str:
        return secrets.token_hex(12)

    def token_value(self, kind: str) -> str:
        return self.prefixes.get(kind, "") + secrets.token_urlsafe(48)

    def user_id(self, accounts: list[str]) -> str:
        return stable_digits(f"{self.name}|{','.join(accounts)}", 12)

    def default_scopes(self, network: str) -> tuple[str, ...]:
        from social_warehouse.networks import catalog

        lifecycle = catalog.get(network).token_lifecycle
        return lifecycle.scopes if lifecycle else ()

    def account_problem(self, accounts: list[str]) -> str | None:
        if not accounts:
            return "a grant needs at least one account (the accounts the owner consents for)"
        if self.single_account and len(accounts) != 1:
            return (
                f"a {self.name} grant is one user's: name exactly one account, got {len(accounts)}"
            )
        return None

    # --- authorize --------------------------------------------------------------------------
    def page_error(self, status: int, error: str, description: str) -> SandboxResponse:
        """An error shown to the person in the browser: nothing goes back to the client."""
        return SandboxResponse(status, {"error": error, "error_description": description})

    def redirect(self, redirect_uri: str, params: dict[str, str]) -> SandboxResponse:
        return SandboxResponse(302, {}, {"Location": _with_query(redirect_uri, params)})

    def authorize(self, request: SandboxRequest, network: Any, **_: str) -> SandboxResponse:
        q = request.query
        client = self.registry.client(q.get(self.client_param, ""), self.name)
        if client is None:
            return self.page_error(
                400 if self.name != "google" else 401,
                "invalid_client",
                f"The OAuth client was not found: unknown {self.client_param} "
                f"{q.get(self.client_param, '')!r}.",
            )
        redirect_uri = q.get("redirect_uri", "")
        if not client.allows(redirect_uri):
            return self.page_error(
                400,
                "redirect_uri_mismatch",
                f"The redirect_uri {redirect_uri!r} is not registered for this client.",
            )
        state = q.get("state", "")

        def refuse(error: str, description: str) -> SandboxResponse:
            params = {"error": error, "error_description": description}
            return self.redirect(redirect_uri, params | ({"state": state} if state else {}))

        if q.get("response_type") != "code":
            return refuse("unsupported_response_type", "response_type must be code")
        challenge, method = q.get("code_challenge", ""), q.get("code_challenge_method", "plain")
        if self.pkce == "required" and not challenge:
            return refuse("invalid_request", "code_challenge is required (PKCE)")
        if challenge and method.upper() not in self.pkce_methods():
            return refuse(
                "invalid_request",
                f"code_challenge_method must be {' or '.join(self.pkce_methods())}",
            )
        accounts = [a.strip() for a in q.get("login_hint", "").split(",") if a.strip()]
        if not accounts:
            return refuse(
                "access_denied",
                "the sandbox consents for the accounts named in login_hint (comma-separated "
                "account ids of the consenting owner); none were given",
            )
        accounts, links = self.consented_accounts(accounts, network.name)
        problem = self.account_problem(accounts)
        if problem:
            return refuse("invalid_request", problem)
        scopes = tuple(s for s in q.get("scope", "").split(self.scope_separator) if s)
        code = self.registry.consent(
            self,
            client,
            network.name,
            request.now,
            accounts=accounts,
            links=links,
            scopes=scopes,
            redirect_uri=redirect_uri,
            code_challenge=challenge,
            code_challenge_method=method,
            offline=self.offline(q),
        )
        params = {"code": code.value, **self.redirect_extras(scopes)}
        if state:
            params["state"] = state
        return self.redirect(redirect_uri, params)

    def pkce_methods(self) -> tuple[str, ...]:
        return ("S256", "PLAIN")

    def consented_accounts(
        self, accounts: list[str], network: str
    ) -> tuple[list[str], dict[str, str]]:
        return accounts, {}

    def offline(self, query: dict[str, str]) -> bool:
        return True

    def redirect_extras(self, scopes: tuple[str, ...]) -> dict[str, str]:
        return {}

    # --- control ----------------------------------------------------------------------------
    def connection(
        self,
        client: Client,
        network: str,
        base_url: str,
        password: str,
        extra: dict[str, Any],
    ) -> dict[str, Any]:
        """The grant as an Airflow connection in its JSON form (AIRFLOW_CONN_<GRANT>)."""
        root = f"{base_url}/{network}"
        urls = {f"{name}_url": root + path for name, path in self.paths.items()}
        return {
            "conn_type": "http",
            "host": root,
            "login": client.client_id,
            "password": password,
            "extra": {**extra, **urls},
        }

    def control_grant(
        self,
        client: Client,
        network: str,
        accounts: list[str],
        scopes: tuple[str, ...],
        now: dt.datetime,
        base_url: str,
    ) -> dict[str, Any]:
        """What a completed consent and code exchange give, plus the ready-made connection."""
        accounts, links = self.consented_accounts(accounts, network)
        grant = self.registry.new_grant(client, network, accounts, scopes, now, links=links)
        grant.exchanges += 1
        access, refresh = self.registry.tokens_for(self, grant, client, now)
        answer: dict[str, Any] = {
            "grant": grant.grant_id,
            "network": network,
            "client_id": client.client_id,
            "accounts": list(grant.accounts),
            **self.token_fields(grant, access, refresh, now),
        }
        extra = {"refresh_token": refresh.value} if refresh else {}
        password = client.client_secret if refresh else access.value
        answer["connection"] = self.connection(client, network, base_url, password, extra)
        return answer

    def token_fields(
        self, grant: Grant, access: Token, refresh: Token | None, now: dt.datetime
    ) -> dict[str, Any]:
        fields: dict[str, Any] = {
            "access_token": access.value,
            "token_type": "bearer",
            "expires_in": _seconds(self.access_lifetime),
            "scope": self.scope_separator.join(grant.scopes),
        }
        if refresh is not None:
            fields["refresh_token"] = refresh.value
        return fields


class Rfc6749Provider(Provider, ABC):
    """A token endpoint in the RFC 6749 shape (X, LinkedIn, Google): a form with `grant_type`
    `authorization_code` (§4.1.3) or `refresh_token` (§6), errors as {"error",
    "error_description"} (§5.2). Each network authenticates its client its own way and words
    its refusals its own way; the exchange itself is the same."""

    # Google's refresh answer carries no refresh token: the old one stays valid
    refresh_answer_rotates: ClassVar[bool] = True

    @staticmethod
    def error(status: int, error: str, description: str) -> SandboxResponse:
        return SandboxResponse(status, {"error": error, "error_description": description})

    @abstractmethod
    def authenticate(
        self, request: SandboxRequest, form: dict[str, str]
    ) -> Client | SandboxResponse:
        """The client the request authenticates as, or the network's refusal."""

    @abstractmethod
    def code_refused(self, why: str | None) -> SandboxResponse:
        """The network's answer to an authorization code it will not redeem (`why`: the check)."""

    @abstractmethod
    def refresh_refused(self, why: str | None) -> SandboxResponse:
        """The network's answer to a refresh token it will not honour."""

    def grant_type_refused(self, grant_type: str | None) -> SandboxResponse:
        return self.error(
            400, "unsupported_grant_type", f"grant_type {grant_type!r} is not supported"
        )

    def token(self, request: SandboxRequest, network: Any, **_: str) -> SandboxResponse:
        form = _form(request)
        client = self.authenticate(request, form)
        if isinstance(client, SandboxResponse):
            return client
        grant_type = form.get("grant_type")
        if grant_type == "authorization_code":
            grant, why = self.registry.redeem(
                self,
                client,
                form.get("code", ""),
                form.get("redirect_uri", ""),
                form.get("code_verifier"),
                request.now,
            )
            if grant is None:
                return self.code_refused(why)
            access, refresh = self.registry.tokens_for(self, grant, client, request.now)
            return SandboxResponse(200, self.token_fields(grant, access, refresh, request.now))
        if grant_type == "refresh_token":
            grant, access, refresh, why = self.registry.use_refresh(
                self, client, form.get("refresh_token", ""), request.now
            )
            if access is None or grant is None:
                return self.refresh_refused(why)
            refresh = refresh if self.refresh_answer_rotates else None
            return SandboxResponse(200, self.token_fields(grant, access, refresh, request.now))
        return self.grant_type_refused(grant_type)


# --- Meta ---------------------------------------------------------------------------------------
META_SHORT = dt.timedelta(hours=2)
META_LONG = dt.timedelta(seconds=5183944)
META_V = r"/(?P<version>v\d+\.\d+)"


class MetaProvider(Provider):
    name = "meta"
    routes = [
        ("GET", META_V + r"/dialog/oauth/?", "authorize"),
        ("GET", META_V + r"/oauth/access_token/?", "access_token"),
        ("GET", META_V + r"/debug_token/?", "debug_token"),
    ]
    scope_separator = ","
    has_refresh = False
    access_lifetime = META_SHORT
    prefixes = {"user": "EAAG", "user_long": "EAAG", "page": "EAAP", "code": "AQ"}
    paths = {"authorize": "/v25.0/dialog/oauth", "token": "/v25.0/oauth/access_token"}

    def new_client_id(self) -> str:
        return "1" + _digits(15)  # Meta app ids are numbers

    def user_id(self, accounts: list[str]) -> str:
        return "10" + stable_digits(f"meta-user|{','.join(accounts)}", 14)

    def pkce_methods(self) -> tuple[str, ...]:
        return ("S256", "PLAIN")

    @staticmethod
    def linked_page(instagram_id: str) -> str:
        return "1047" + stable_digits(f"page-of|{instagram_id}", 11)

    def consented_accounts(
        self, accounts: list[str], network: str
    ) -> tuple[list[str], dict[str, str]]:
        """Entries are Page ids, Instagram account ids, or `page:instagram` pairs. A bare id is
        a Page on facebook_pages and an Instagram account on instagram (its Page then gets an
        id of its own), so a grant always holds the Pages its Instagram accounts hang off."""
        out: list[str] = []
        links: dict[str, str] = {}
        for entry in accounts:
            page, _, instagram = entry.partition(":")
            if not instagram and network == "instagram":
                page, instagram = self.linked_page(page), page
            out.append(page)
            if instagram:
                links[instagram] = page
                out.append(instagram)
        return list(dict.fromkeys(out)), links

    def error(
        self,
        request: SandboxRequest,
        message: str,
        code: int,
        *,
        subcode: int | None = None,
        status: int = 400,
        error_type: str = "OAuthException",
    ) -> SandboxResponse:
        return graph_error(request, status, code, message, subcode=subcode, error_type=error_type)

    def _client(self, request: SandboxRequest) -> tuple[Client | None, SandboxResponse | None]:
        q = request.query
        if self.registry.client(q.get("client_id", ""), self.name) is None:
            return None, self.error(
                request, "Error validating application. Invalid application ID.", 101
            )
        client = self.registry.authenticate(q["client_id"], q.get("client_secret", ""), self.name)
        if client is None:
            return None, self.error(request, "Error validating client secret.", 1)
        return client, None

    def access_token(self, request: SandboxRequest, network: Any, **_: str) -> SandboxResponse:
        client, problem = self._client(request)
        if client is None:
            assert problem is not None
            return problem
        q = request.query
        if q.get("grant_type") == "fb_exchange_token":
            return self._exchange(request, client, q.get("fb_exchange_token", ""))
        if q.get("grant_type") not in (None, "", "authorization_code"):
            return self.error(request, f"Unsupported grant_type {q.get('grant_type')!r}", 100)
        if not q.get("redirect_uri"):
            return self.error(request, "Missing redirect_uri parameter.", 191)
        grant, why = self.registry.redeem(
            self,
            client,
            q.get("code", ""),
            q.get("redirect_uri"),
            q.get("code_verifier"),
            request.now,
        )
        if grant is None:
            messages = {
                "used": ("This authorization code has been used.", 36009),
                "expired": ("This authorization code has expired.", 36007),
                "redirect_uri": (
                    "Error validating verification code. Please make sure your redirect_uri is "
                    "identical to the one you used in the OAuth dialog request",
                    36008,
                ),
                "verifier_missing": ("Missing code_verifier.", None),
                "verifier": ("Invalid code_verifier.", None),
            }
            message, subcode = messages.get(str(why), ("Invalid verification code format.", None))
            return self.error(request, message, 100, subcode=subcode)
        user = self.registry.issue("user", self, grant, request.now, META_SHORT)
        return SandboxResponse(
            200,
            {
                "access_token": user.value,
                "token_type": "bearer",
                "expires_in": _seconds(META_SHORT),
            },
        )

    def _exchange(self, request: SandboxRequest, client: Client, value: str) -> SandboxResponse:
        token = self.registry.find(value, self.name)
        grant = self.registry.grant_of(token)
        if token is None or grant is None or token.kind not in ("user", "user_long"):
            return self.error(request, INVALID_MESSAGE, 190)
        with self.registry.lock:
            grant.token_calls += 1
        if grant.client_id != client.client_id:
            return self.error(
                request, "Error validating access token: the token belongs to another app.", 190
            )
        if grant.revoked_at is not None:
            return self.error(request, REVOKED_MESSAGE, 190, subcode=460)
        if token.expired(request.now):
            return self.error(request, expired_message(token, request.now), 190, subcode=463)
        long = self.registry.issue("user_long", self, grant, request.now, META_LONG)
        with self.registry.lock:
            grant.exchanges += 1
        return SandboxResponse(
            200,
            {"access_token": long.value, "token_type": "bearer", "expires_in": _seconds(META_LONG)},
        )

    def debug_token(self, request: SandboxRequest, network: Any, **_: str) -> SandboxResponse:
        """`input_token` as Meta describes it. `access_token` is the app token
        `<app_id>|<app_secret>` or a valid token of the same app (a developer's user token)."""
        q = request.query
        caller = q.get("access_token", "")
        app_id, sep, secret = caller.partition("|")
        app = self.registry.authenticate(app_id, secret, self.name) if sep else None
        if app is None and caller:
            own = self.registry.find(caller, self.name)
            own_grant = self.registry.grant_of(own)
            if own is not None:  # a token the sandbox never issued may ask too (full access)
                valid = (
                    own_grant is not None
                    and own_grant.revoked_at is None
                    and not own.expired(request.now)
                    and own.kind in ("user", "user_long", "page")
                )
                if not valid:
                    return self.error(request, INVALID_MESSAGE, 190)
                assert own_grant is not None
                app = self.registry.client(own_grant.client_id, self.name)
        elif app is None:
            return self.error(request, "An access token is required to request this resource.", 104)
        if not q.get("input_token"):
            return self.error(request, "(#100) The parameter input_token is required", 100)
        token = self.registry.find(q["input_token"], self.name)
        grant = self.registry.grant_of(token)
        if token is None or grant is None:
            # a token the sandbox never issued reads everything and never expires
            return SandboxResponse(
                200,
                {
                    "data": {
                        "app_id": app.client_id if app else "",
                        "type": "USER",
                        "application": "Sandbox",
                        "expires_at": 0,
                        "data_access_expires_at": 0,
                        "is_valid": True,
                        "scopes": list(self.default_scopes("facebook_pages")),
                        "user_id": "0",
                    }
                },
            )
        kind = "PAGE" if token.kind == "page" else "USER"
        data: dict[str, Any] = {
            "app_id": grant.client_id,
            "type": kind,
            "application": "Sandbox",
            "data_access_expires_at": _epoch(grant.consented_at + dt.timedelta(days=90)),
            "expires_at": _epoch(token.expires_at),
            "is_valid": True,
            "issued_at": _epoch(token.issued_at),
            "scopes": list(grant.scopes),
            "user_id": grant.user_id,
        }
        if kind == "PAGE" and token.accounts:
            data["profile_id"] = sorted(a for a in token.accounts if a not in grant.links)[0]
        if grant.revoked_at is not None:
            data["is_valid"] = False
            data["error"] = {"code": 190, "message": REVOKED_MESSAGE, "subcode": 460}
        elif token.expired(request.now):
            data["is_valid"] = False
            data["error"] = {
                "code": 190,
                "message": expired_message(token, request.now),
                "subcode": 463,
            }
        return SandboxResponse(200, {"data": data})

    def control_grant(
        self,
        client: Client,
        network: str,
        accounts: list[str],
        scopes: tuple[str, ...],
        now: dt.datetime,
        base_url: str,
    ) -> dict[str, Any]:
        """A completed login, the exchange for a long-lived user token and /me/accounts: the
        user token, and per consented account the token it reads with (a Page its own Page
        token, an Instagram account the Page token of the Page it is linked to)."""
        accounts, links = self.consented_accounts(accounts, network)
        grant = self.registry.new_grant(client, network, accounts, scopes, now, links=links)
        grant.exchanges += 2  # the code, then the short-lived token
        user = self.registry.issue("user_long", self, grant, now, META_LONG)
        page_tokens: dict[str, str] = {}
        for page in grant.pages:
            page_tokens[page] = self.registry.page_token(grant, page, user, now)
        for instagram, page in links.items():
            page_tokens[instagram] = page_tokens[page]
        wanted = set(accounts) if network == "facebook_pages" else set(links)
        tokens = {k: v for k, v in page_tokens.items() if k in wanted}
        return {
            "grant": grant.grant_id,
            "network": network,
            "client_id": client.client_id,
            "accounts": list(grant.accounts),
            "pages": [
                {"id": page, "instagram_business_account": ig}
                for page in grant.pages
                for ig in [next((i for i, p in links.items() if p == page), None)]
            ],
            "user_token": user.value,
            "token_type": "bearer",
            "expires_in": _seconds(META_LONG),
            "page_tokens": tokens,
            "connection": self.connection(
                client, network, base_url, user.value, {"page_tokens": tokens}
            ),
        }


INVALID_MESSAGE = "Invalid OAuth access token - Cannot parse access token"


def expired_message(token: Token, now: dt.datetime) -> str:
    ended = token.expires_at or now
    return (
        f"Error validating access token: Session has expired on {ended:%A, %d-%b-%y %H:%M:%S} "
        f"UTC. The current time is {now:%A, %d-%b-%y %H:%M:%S} UTC."
    )


# --- X ------------------------------------------------------------------------------------------
class XProvider(Rfc6749Provider):
    name = "x"
    routes = [
        ("GET", r"/i/oauth2/authorize/?", "authorize"),
        ("POST", r"/2/oauth2/token/?", "token"),
        ("POST", r"/2/oauth2/revoke/?", "revoke"),
    ]
    pkce = "required"
    single_account = True
    access_lifetime = dt.timedelta(hours=2)
    rotates = True
    # X hands out the authorization code for 30 seconds only.
    code_lifetime = dt.timedelta(seconds=30)
    paths = {"authorize": "/i/oauth2/authorize", "token": "/2/oauth2/token"}

    def new_client_id(self) -> str:
        raw = secrets.token_urlsafe(18) + ":1:ci"
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    def user_id(self, accounts: list[str]) -> str:
        return accounts[0]

    def pkce_methods(self) -> tuple[str, ...]:
        return ("S256",)

    def _client(self, request: SandboxRequest) -> Client | None:
        credentials = _basic_auth(request)
        return self.registry.authenticate(*credentials, self.name) if credentials else None

    def authenticate(
        self, request: SandboxRequest, form: dict[str, str]
    ) -> Client | SandboxResponse:
        client = self._client(request)
        if client is None:
            return self.error(401, "unauthorized_client", "Missing valid authorization header")
        return client

    def code_refused(self, why: str | None) -> SandboxResponse:
        descriptions = {
            "redirect_uri": "Value passed for the redirect uri did not match the uri of "
            "the authorization code.",
            "verifier_missing": "Missing required parameter [code_verifier].",
            "verifier": "Value passed for the code verifier did not match the challenge.",
        }
        return self.error(
            400,
            "invalid_request",
            descriptions.get(str(why), "Value passed for the authorization code was invalid."),
        )

    def refresh_refused(self, why: str | None) -> SandboxResponse:
        return self.error(400, "invalid_request", "Value passed for the token was invalid.")

    def offline(self, query: dict[str, str]) -> bool:
        # X hands out a refresh token only to grants that include offline.access
        return "offline.access" in query.get("scope", "").split(" ")

    def revoke(self, request: SandboxRequest, network: Any, **_: str) -> SandboxResponse:
        if self._client(request) is None:
            return self.error(401, "unauthorized_client", "Missing valid authorization header")
        token = self.registry.find(_form(request).get("token", ""), self.name)
        grant = self.registry.grant_of(token)
        if grant is not None:
            self.registry.revoke(grant, request.now)
        # X answers revoked: true for tokens it does not know too (RFC 7009)
        return SandboxResponse(200, {"revoked": True})


# --- LinkedIn -----------------------------------------------------------------------------------
class LinkedInProvider(Rfc6749Provider):
    name = "linkedin"
    routes = [
        ("GET", r"/oauth/v2/authorization/?", "authorize"),
        ("POST", r"/oauth/v2/accessToken/?", "token"),
        ("POST", r"/oauth/v2/introspectToken/?", "introspect"),
    ]
    access_lifetime = dt.timedelta(days=60)
    refresh_lifetime = dt.timedelta(days=365)
    code_lifetime = dt.timedelta(minutes=30)
    prefixes = {"access": "AQV", "refresh": "AQW", "code": "AQT"}
    paths = {"authorize": "/oauth/v2/authorization", "token": "/oauth/v2/accessToken"}

    def new_client_id(self) -> str:
        return "78" + secrets.token_hex(6)

    def user_id(self, accounts: list[str]) -> str:
        return base64.urlsafe_b64encode(
            hashlib.blake2b(",".join(accounts).encode(), digest_size=7).digest()
        ).decode()

    def _client(self, form: dict[str, str]) -> Client | None:
        return self.registry.authenticate(
            form.get("client_id", ""), form.get("client_secret", ""), self.name
        )

    def authenticate(
        self, request: SandboxRequest, form: dict[str, str]
    ) -> Client | SandboxResponse:
        client = self._client(form)
        if client is None:
            return self.error(401, "invalid_client", "Client authentication failed")
        return client

    def code_refused(self, why: str | None) -> SandboxResponse:
        return self.error(
            400,
            "invalid_request",
            "Unable to retrieve access token: appid/redirect uri/code verifier does not match "
            "authorization code. Or authorization code expired. Or external member binding exists",
        )

    def refresh_refused(self, why: str | None) -> SandboxResponse:
        return self.error(
            400,
            "invalid_grant",
            "The provided authorization grant or refresh token is invalid, expired or revoked.",
        )

    def token_fields(
        self, grant: Grant, access: Token, refresh: Token | None, now: dt.datetime
    ) -> dict[str, Any]:
        body: dict[str, Any] = {
            "access_token": access.value,
            "expires_in": _seconds(self.access_lifetime),
        }
        if refresh is not None:
            body["refresh_token"] = refresh.value
            if refresh.expires_at is not None:
                body["refresh_token_expires_in"] = _seconds(refresh.expires_at - now)
        body["scope"] = ",".join(grant.scopes)
        return body

    def introspect(self, request: SandboxRequest, network: Any, **_: str) -> SandboxResponse:
        form = _form(request)
        client = self._client(form)
        if client is None:
            return self.error(401, "invalid_client", "Client authentication failed")
        token = self.registry.find(form.get("token", ""), self.name)
        grant = self.registry.grant_of(token)
        if token is None or grant is None or token.kind == "code":
            # a token the sandbox never issued reads everything and never expires
            return SandboxResponse(200, {"active": True, "status": "active", "auth_type": "3L"})
        status = (
            "revoked"
            if grant.revoked_at is not None
            else "expired"
            if token.expired(request.now)
            else "active"
        )
        return SandboxResponse(
            200,
            {
                "active": status == "active",
                "client_id": grant.client_id,
                "authorized_at": _epoch(grant.consented_at),
                "created_at": _epoch(token.issued_at),
                "status": status,
                "expires_at": _epoch(token.expires_at),
                "scope": ",".join(grant.scopes),
                "auth_type": "3L",
            },
        )


# --- Google (YouTube) ---------------------------------------------------------------------------
class GoogleProvider(Rfc6749Provider):
    name = "google"
    routes = [
        ("GET", r"/o/oauth2/v2/auth/?", "authorize"),
        ("POST", r"/token/?", "token"),
        ("POST", r"/revoke/?", "revoke"),
    ]
    access_lifetime = dt.timedelta(seconds=3599)
    prefixes = {"access": "ya29.", "refresh": "1//", "code": "4/"}
    paths = {"authorize": "/o/oauth2/v2/auth", "token": "/token"}

    def new_client_id(self) -> str:
        return f"{_digits(12)}-{secrets.token_hex(16)}.apps.googleusercontent.com"

    def offline(self, query: dict[str, str]) -> bool:
        return query.get("access_type") == "offline"

    def redirect_extras(self, scopes: tuple[str, ...]) -> dict[str, str]:
        return {"scope": " ".join(scopes)}

    refresh_answer_rotates = False

    def authenticate(
        self, request: SandboxRequest, form: dict[str, str]
    ) -> Client | SandboxResponse:
        if self.registry.client(form.get("client_id", ""), self.name) is None:
            return self.error(401, "invalid_client", "The OAuth client was not found.")
        client = self.registry.authenticate(
            form.get("client_id", ""), form.get("client_secret", ""), self.name
        )
        return client or self.error(401, "invalid_client", "Unauthorized")

    def code_refused(self, why: str | None) -> SandboxResponse:
        if why == "redirect_uri":
            return self.error(400, "redirect_uri_mismatch", "Bad Request")
        descriptions = {
            "verifier_missing": "Missing code verifier.",
            "verifier": "Invalid code verifier.",
        }
        return self.error(400, "invalid_grant", descriptions.get(str(why), "Bad Request"))

    def refresh_refused(self, why: str | None) -> SandboxResponse:
        return self.error(400, "invalid_grant", "Token has been expired or revoked.")

    def grant_type_refused(self, grant_type: str | None) -> SandboxResponse:
        return self.error(400, "unsupported_grant_type", "Invalid grant_type: " + str(grant_type))

    def token_fields(
        self, grant: Grant, access: Token, refresh: Token | None, now: dt.datetime
    ) -> dict[str, Any]:
        return super().token_fields(grant, access, refresh, now) | {"token_type": "Bearer"}

    def revoke(self, request: SandboxRequest, network: Any, **_: str) -> SandboxResponse:
        token = self.registry.find(_form(request).get("token", ""), self.name)
        grant = self.registry.grant_of(token)
        if token is None or grant is None or grant.revoked_at is not None:
            return self.error(400, "invalid_token", "Token expired or revoked")
        self.registry.revoke(grant, request.now)
        return SandboxResponse(200, {})


# --- TikTok -------------------------------------------------------------------------------------
TT = r"/open_api/v1\.3/tt_user"


class TikTokProvider(Provider):
    name = "tiktok"
    routes = [
        ("GET", r"/v2/auth/authorize/?", "authorize"),
        ("POST", TT + r"/oauth2/token/?", "token"),
        ("POST", TT + r"/oauth2/refresh_token/?", "refresh"),
        ("POST", TT + r"/oauth2/revoke/?", "revoke"),
        ("POST", TT + r"/token_info/get/?", "token_info"),
    ]
    client_param = "client_key"
    scope_separator = ","
    single_account = True
    access_lifetime = dt.timedelta(seconds=86400)
    refresh_lifetime = dt.timedelta(seconds=31536000)
    rotates = True
    prefixes = {"access": "act.", "refresh": "rft.", "code": ""}
    paths = {
        "authorize": "/v2/auth/authorize/",
        "token": "/open_api/v1.3/tt_user/oauth2/token/",
        "refresh": "/open_api/v1.3/tt_user/oauth2/refresh_token/",
    }

    def new_client_id(self) -> str:
        return "aw" + secrets.token_hex(8)

    def user_id(self, accounts: list[str]) -> str:
        return accounts[0]  # the business account's open_id

    def redirect_extras(self, scopes: tuple[str, ...]) -> dict[str, str]:
        return {"scopes": ",".join(scopes)}

    def envelope(
        self, request: SandboxRequest, code: int, message: str, data: Any
    ) -> SandboxResponse:
        stamp = request.now.strftime("%Y%m%d%H%M%S")
        rid = stamp + secrets.token_hex(9).upper()
        body = {"code": code, "message": message, "request_id": rid, "data": data}
        return SandboxResponse(200, body, {"X-Tt-Logid": rid})

    def _body(self, request: SandboxRequest) -> dict[str, Any]:
        try:
            data = json.loads(request.body or b"{}")
        except ValueError:
            return {}
        return data if isinstance(data, dict) else {}

    def _client(self, request: SandboxRequest, data: dict[str, Any]) -> SandboxResponse | Client:
        client = self.registry.authenticate(
            str(data.get("client_id", "")), str(data.get("client_secret", "")), self.name
        )
        if client is None:
            return self.envelope(
                request, 40101, "Authentication failed: invalid client_id or client_secret.", {}
            )
        return client

    def _answer(
        self, grant: Grant, access: Token, refresh: Token | None, now: dt.datetime
    ) -> dict[str, Any]:
        data: dict[str, Any] = {
            "access_token": access.value,
            "token_type": "Bearer",
            "scope": ",".join(grant.scopes),
            "expires_in": _seconds(self.access_lifetime),
            "open_id": grant.user_id,
        }
        if refresh is not None:
            data["refresh_token"] = refresh.value
            if refresh.expires_at is not None:
                data["refresh_token_expires_in"] = _seconds(refresh.expires_at - now)
        return data

    def token_fields(
        self, grant: Grant, access: Token, refresh: Token | None, now: dt.datetime
    ) -> dict[str, Any]:
        return self._answer(grant, access, refresh, now)

    def token(self, request: SandboxRequest, network: Any, **_: str) -> SandboxResponse:
        data = self._body(request)
        client = self._client(request, data)
        if not isinstance(client, Client):
            return client
        if data.get("grant_type") != "authorization_code":
            return self.envelope(request, 40002, "grant_type: must be authorization_code.", {})
        grant, _why = self.registry.redeem(
            self,
            client,
            str(data.get("auth_code", "")),
            str(data.get("redirect_uri", "")),
            data.get("code_verifier"),
            request.now,
        )
        if grant is None:
            return self.envelope(request, 40110, "Invalid auth_code.", {})
        access, refresh = self.registry.tokens_for(self, grant, client, request.now)
        return self.envelope(request, 0, "OK", self._answer(grant, access, refresh, request.now))

    def refresh(self, request: SandboxRequest, network: Any, **_: str) -> SandboxResponse:
        data = self._body(request)
        client = self._client(request, data)
        if not isinstance(client, Client):
            return client
        if data.get("grant_type") != "refresh_token":
            return self.envelope(request, 40002, "grant_type: must be refresh_token.", {})
        grant, access, refresh, why = self.registry.use_refresh(
            self, client, str(data.get("refresh_token", "")), request.now
        )
        if access is None or grant is None:
            if why == "expired":
                return self.envelope(request, 40103, "The refresh_token has expired.", {})
            return self.envelope(request, 40107, "The refresh_token is invalid.", {})
        return self.envelope(request, 0, "OK", self._answer(grant, access, refresh, request.now))

    def revoke(self, request: SandboxRequest, network: Any, **_: str) -> SandboxResponse:
        data = self._body(request)
        client = self._client(request, data)
        if not isinstance(client, Client):
            return client
        token = self.registry.find(str(data.get("access_token", "")), self.name)
        grant = self.registry.grant_of(token)
        if token is None or grant is None:
            return self.envelope(request, 40105, "The access token is invalid.", {})
        self.registry.revoke(grant, request.now)
        return self.envelope(request, 0, "OK", {})

    def token_info(self, request: SandboxRequest, network: Any, **_: str) -> SandboxResponse:
        data = self._body(request)
        if self.registry.client(str(data.get("app_id", "")), self.name) is None:
            return self.envelope(request, 40001, "app_id: no such app.", {})
        token = self.registry.find(str(data.get("access_token", "")), self.name)
        grant = self.registry.grant_of(token)
        if token is None or grant is None or token.kind != "access":
            return self.envelope(request, 40105, "The access token is invalid.", {})
        if grant.revoked_at is not None:
            return self.envelope(request, 40105, "The access token has been revoked.", {})
        if token.expired(request.now):
            return self.envelope(request, 40102, "The access token has expired.", {})
        return self.envelope(
            request,
            0,
            "OK",
            {
                "app_id": grant.client_id,
                "creator_id": grant.user_id,
                "scope": ",".join(grant.scopes),
            },
        )


PROVIDERS: tuple[type[Provider], ...] = (
    MetaProvider,
    XProvider,
    LinkedInProvider,
    GoogleProvider,
    TikTokProvider,
)
