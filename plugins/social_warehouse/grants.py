"""Grants: the OAuth consent of one owner, stored as one Airflow connection, used by the accounts
that name it in config/accounts.yml (`grant: youtube_lumen`; without one, the network's default
connection `social_<network>`).

A grant's connection holds: host = the API's base URL; login = the OAuth client id; password =
the client secret when `extra.refresh_token` is set (an OAuth grant that refreshes itself), else
a token used as it is (a Meta Page token, a token pasted by hand); extra = `refresh_token` and,
when the network's endpoints differ from the defaults (the sandbox), `token_url`, `refresh_url`,
`authorize_url`; Meta grants keep `page_tokens` ({page id: Page token}).

Refreshing: the current access token, its expiry and the newest refresh token live encrypted in
`ops.grant_tokens`, read and written in one transaction under a row lock, so tasks sharing a
grant refresh it once and a rotated refresh token is persisted before anyone uses it."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import psycopg
import requests

from social_warehouse.connections import ConnectionInfo, lookup_connection
from social_warehouse.connector.auth import (
    Credentials,
    GrantRevokedError,
    StaticToken,
    TokenLifecycle,
    TokenSet,
    token_request,
)
from social_warehouse.errors import ConfigError
from social_warehouse.warehouse import database

log = logging.getLogger(__name__)

KEY_VARIABLE = "SOCIAL_WAREHOUSE_FERNET_KEY"
# Refresh this long before the access token expires, so no call goes out with a dying token.
REFRESH_MARGIN = dt.timedelta(minutes=5)


def connect_command(network: str, grant: str) -> str:
    return f"social-warehouse connect {network} --grant {grant}"


# --- encryption ---------------------------------------------------------------------------------
def _fernet() -> Any:
    """Fernet from SOCIAL_WAREHOUSE_FERNET_KEY, else Airflow's own [core] fernet_key; several
    comma-separated keys rotate like Airflow's (the first encrypts, all decrypt)."""
    from cryptography.fernet import Fernet, MultiFernet

    keys = os.environ.get(KEY_VARIABLE, "")
    if not keys:
        try:
            from airflow.configuration import conf

            keys = conf.get("core", "fernet_key", fallback="") or ""
        except Exception:
            keys = ""
    keys = keys.strip()
    if not keys:
        raise ConfigError(
            f"no encryption key for OAuth tokens: set {KEY_VARIABLE} (or Airflow's "
            "AIRFLOW__CORE__FERNET_KEY); generate one with python -c 'from "
            "cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'"
        )
    try:
        return MultiFernet([Fernet(k.strip().encode()) for k in keys.split(",") if k.strip()])
    except ValueError as exc:
        raise ConfigError(f"the Fernet key in {KEY_VARIABLE} is not valid: {exc}") from None


def _encrypt(value: str | None) -> str | None:
    return _fernet().encrypt(value.encode()).decode() if value else None


def _decrypt(value: str | None) -> str | None:
    if not value:
        return None
    from cryptography.fernet import InvalidToken

    try:
        return _fernet().decrypt(value.encode()).decode()
    except InvalidToken:
        raise ConfigError(
            f"ops.grant_tokens was encrypted with another key than {KEY_VARIABLE} / Airflow's "
            "fernet_key: restore the old key (list it after the new one, comma-separated)"
        ) from None


def _fingerprint(secret: str | None) -> str:
    return hashlib.sha256((secret or "").encode()).hexdigest()[:32]


def _mask(value: str | None) -> None:
    """Tell Airflow's log masker about a token too (belt and braces with logs.install)."""
    if not value:
        return
    try:
        from airflow.sdk.log import mask_secret

        mask_secret(value)
    except Exception:
        pass


# --- grants -------------------------------------------------------------------------------------
@dataclass
class Grant:
    name: str
    network: str
    conn: ConnectionInfo
    lifecycle: TokenLifecycle | None

    @property
    def refreshes(self) -> bool:
        return bool(
            self.lifecycle and self.lifecycle.can_refresh and self.conn.extra.get("refresh_token")
        )

    @property
    def kind(self) -> str:
        if self.refreshes:
            return "oauth"
        if self.conn.extra.get("page_tokens"):
            return "meta_page_tokens"
        return "static"

    def url(self, name: str) -> str:
        """An OAuth endpoint: the connection's override (the sandbox), else the network's. A
        network whose refresh grant goes to the token endpoint refreshes at the connection's
        token_url when only that one is overridden (never at the real host behind its back)."""
        assert self.lifecycle is not None
        extra = self.conn.extra
        token_url = str(extra.get("token_url") or self.lifecycle.token_url)
        default = {
            "token_url": token_url,
            "refresh_url": self.lifecycle.refresh_url or token_url,
            "authorize_url": self.lifecycle.authorize_url,
        }[name]
        return str(extra.get(name) or default)

    def hint(self) -> str:
        return (
            f"grant {self.name!r} is {self.conn.describe()}: reconnect it with "
            f"`{connect_command(self.network, self.name)}`, or change it there"
        )


def load_grant(network: str, name: str) -> Grant:
    from social_warehouse.networks import catalog

    spec = catalog.get(network)
    return Grant(name, network, lookup_connection(name), spec.token_lifecycle)


def credentials_for(grant: Grant, account_id: str, *, url: str | None = None) -> Credentials:
    """What the account's client authenticates with: a refreshing OAuth grant, the account's
    Meta Page token, or the connection's password used as it is."""
    if grant.refreshes:
        return GrantCredentials(grant, url=url)
    page_tokens = grant.conn.extra.get("page_tokens") or {}
    if isinstance(page_tokens, dict) and page_tokens.get(account_id):
        # a dead Page token is a dead grant too: the hint names the connect command
        return _StaticGrantToken(page_tokens[account_id], grant=grant)
    if not grant.conn.token:
        raise ConfigError(
            f"{grant.conn.describe()} has neither a token (password) nor a refresh token "
            f"(extra.refresh_token): {grant.hint()}"
        )
    return _StaticGrantToken(grant.conn.token, grant=grant)


@dataclass
class _StaticGrantToken(StaticToken):
    grant: Grant | None = field(default=None, repr=False)

    def hint(self) -> str:
        return (self.grant.hint() if self.grant else super().hint()) + (
            "; retrying with the same token will not help"
        )


# --- the token store ----------------------------------------------------------------------------
@dataclass
class TokenState:
    access_token: str | None = field(default=None, repr=False)
    access_expires_at: dt.datetime | None = None
    refresh_token: str | None = field(default=None, repr=False)
    refresh_expires_at: dt.datetime | None = None
    refresh_count: int = 0
    refreshed_at: dt.datetime | None = None


def read_state(conn: psycopg.Connection, grant: str, *, lock: bool = False) -> tuple[Any, ...]:
    row = conn.execute(
        "select access_token, access_expires_at, refresh_token, refresh_expires_at, "
        "refresh_count, refreshed_at, seed_fingerprint from ops.grant_tokens "
        "where grant_id = %s" + (" for update" if lock else ""),
        (grant,),
    ).fetchone()
    return tuple(row) if row else ()


def _write_state(conn: psycopg.Connection, grant: Grant, state: TokenState, seed: str) -> None:
    conn.execute(
        """insert into ops.grant_tokens as t
               (grant_id, network, access_token, access_expires_at, refresh_token,
                refresh_expires_at, seed_fingerprint, refresh_count, refreshed_at, last_error,
                updated_at)
           values (%s, %s, %s, %s, %s, %s, %s, %s, %s, null, now())
           on conflict (grant_id) do update set
               network = excluded.network, access_token = excluded.access_token,
               access_expires_at = excluded.access_expires_at,
               refresh_token = excluded.refresh_token,
               refresh_expires_at = excluded.refresh_expires_at,
               seed_fingerprint = excluded.seed_fingerprint,
               refresh_count = excluded.refresh_count, refreshed_at = excluded.refreshed_at,
               last_error = null, updated_at = now()""",
        (
            grant.name,
            grant.network,
            _encrypt(state.access_token),
            state.access_expires_at,
            _encrypt(state.refresh_token),
            state.refresh_expires_at,
            seed,
            state.refresh_count,
            state.refreshed_at,
        ),
    )


class GrantCredentials:
    """An OAuth grant that refreshes itself. The access token is cached in memory; whenever it
    is missing, about to expire or refused, the grant's row is locked, re-read (another task may
    have refreshed it meanwhile) and only then refreshed."""

    def __init__(
        self,
        grant: Grant,
        *,
        url: str | None = None,
        session: requests.Session | None = None,
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
        retries: int = 3,
    ) -> None:
        self.grant = grant
        self.url = url or database.warehouse_url()
        self.session = session or requests.Session()
        self.clock = clock
        self.retries = retries
        self._token: str | None = None
        self._expires_at: dt.datetime | None = None
        self.refreshes = 0  # refreshes this object made (the token endpoint was called)

    @property
    def can_refresh(self) -> bool:
        return True

    def hint(self) -> str:
        return self.grant.hint()

    def _fresh(self, expires_at: dt.datetime | None) -> bool:
        return expires_at is None or expires_at - REFRESH_MARGIN > self.clock()

    def access_token(self) -> str:
        if self._token and self._fresh(self._expires_at):
            return self._token
        return self._obtain(rejected=None)

    def refresh(self, rejected: str | None = None) -> str:
        return self._obtain(rejected=rejected or self._token or "")

    def _obtain(self, rejected: str | None) -> str:
        """Under the row lock: use what the row holds when it is fresh (and not the token the
        API just refused), else call the token endpoint and store the result."""
        seed_token = str(self.grant.conn.extra.get("refresh_token") or "")
        seed = _fingerprint(seed_token)
        refreshed: TokenState | None = None
        for attempt in range(1, self.retries + 1):
            try:
                with psycopg.connect(self.url, connect_timeout=10) as conn, conn.transaction():
                    # A row to lock even on first use: without it two tasks would both see no
                    # row and both refresh, and on a rotating network the second would spend
                    # the refresh token the first had just used (the grant would be lost).
                    # The empty fingerprint makes the first reader start from the seed.
                    conn.execute(
                        "insert into ops.grant_tokens (grant_id, network, seed_fingerprint) "
                        "values (%s, %s, '') on conflict (grant_id) do nothing",
                        (self.grant.name, self.grant.network),
                    )
                    row = read_state(conn, self.grant.name, lock=True)
                    if not row or row[6] != seed:
                        # first use, or the connection was edited (reconnected): start over
                        state = TokenState(refresh_token=seed_token)
                    else:
                        state = TokenState(
                            _decrypt(row[0]), row[1], _decrypt(row[2]), row[3], row[4], row[5]
                        )
                    usable = state.access_token and state.access_token != rejected
                    if not (usable and self._fresh(state.access_expires_at)):
                        state = refreshed = self._refresh(state)
                        _write_state(conn, self.grant, state, seed)
                break
            except GrantRevokedError as exc:
                self._record_error(str(exc))
                exc.hint = self.grant.hint()
                raise
            except psycopg.OperationalError as exc:
                if refreshed is not None:
                    # the network already spent the old refresh token: the new one must be
                    # stored, whatever it takes, or the grant is lost until someone reconsents
                    state = refreshed
                    self._persist(refreshed, seed)
                    break
                if attempt == self.retries:
                    raise ConfigError(
                        f"grant {self.grant.name!r}: the warehouse is unreachable for the token "
                        f"store ({type(exc).__name__}); rerun the task"
                    ) from None
                time.sleep(0.5 * attempt)
        assert state.access_token
        self._token, self._expires_at = state.access_token, state.access_expires_at
        _mask(self._token)
        return self._token

    def _refresh(self, state: TokenState) -> TokenState:
        lifecycle = self.grant.lifecycle
        assert lifecycle is not None
        if not state.refresh_token:
            raise GrantRevokedError(
                self.grant.network, f"grant {self.grant.name!r} has no refresh token"
            )
        tokens: TokenSet = token_request(
            lifecycle,
            network=self.grant.network,
            grant=self.grant.name,
            url=self.grant.url("refresh_url"),
            client_id=self.grant.conn.login,
            client_secret=self.grant.conn.token,
            params={"grant_type": "refresh_token", "refresh_token": state.refresh_token},
            session=self.session,
            now=self.clock(),
        )
        self.refreshes += 1
        _mask(tokens.access_token)
        _mask(tokens.refresh_token)
        log.info(
            "grant %r (%s): access token refreshed, valid until %s%s",
            self.grant.name,
            self.grant.network,
            tokens.access_expires_at,
            "; the refresh token rotated"
            if tokens.refresh_token and tokens.refresh_token != state.refresh_token
            else "",
        )
        return TokenState(
            access_token=tokens.access_token,
            access_expires_at=tokens.access_expires_at,
            # a network that does not rotate may leave the refresh token out: keep ours
            refresh_token=tokens.refresh_token or state.refresh_token,
            refresh_expires_at=tokens.refresh_expires_at or state.refresh_expires_at,
            refresh_count=state.refresh_count + 1,
            refreshed_at=self.clock(),
        )

    def _persist(self, state: TokenState, seed: str) -> None:
        for attempt in range(1, 11):
            try:
                with psycopg.connect(self.url, connect_timeout=10) as conn, conn.transaction():
                    _write_state(conn, self.grant, state, seed)
                return
            except psycopg.OperationalError:
                log.warning(
                    "grant %r: storing the refreshed tokens failed, retrying (%d/10)",
                    self.grant.name,
                    attempt,
                )
                time.sleep(min(2.0 * attempt, 10.0))
        raise ConfigError(
            f"grant {self.grant.name!r}: the tokens were refreshed but could not be stored: "
            f"{self.grant.hint()}"
        )

    def _record_error(self, message: str) -> None:
        # an upsert: a grant refused on its first use has no row yet (grants_health reads it)
        try:
            with psycopg.connect(self.url, connect_timeout=10) as conn:
                conn.execute(
                    """insert into ops.grant_tokens as t
                           (grant_id, network, seed_fingerprint, last_error, updated_at)
                       values (%s, %s, '', %s, now())
                       on conflict (grant_id) do update
                           set last_error = excluded.last_error, updated_at = now()""",
                    (self.grant.name, self.grant.network, message[:1000]),
                )
        except psycopg.Error:
            log.warning("grant %r: could not record the refresh error", self.grant.name)
