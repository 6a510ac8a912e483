"""The daily expiry watch: every grant named in config/accounts.yml (and each network's default
connection an account uses) is checked the way a load would use it, and the result lands in
`ops.grant_health`, one row per grant and check day.

Per grant: where Airflow found its connection; for a refreshing OAuth grant the expiries and last
refresh stored in `ops.grant_tokens`; for Meta the `debug_token` answer of every token the
accounts read with (Page tokens never expire, a long-lived user token does after ~60 days); and
one cheap authenticated call per account through the network's own client (so a token that
needs a refresh is refreshed, a revoked grant is found revoked, and an account the grant does not
cover answers the network's permission error).

Status: ok; expiring (the refresh token, or a Meta token an account reads with, ends within
EXPIRING_DAYS); revoked (the network refused the grant: only the owner can consent again);
missing (no such connection); error (the check could not decide: throttling, a permission
error, the network down). Revoked, missing and expiring grants are failures: each gives one line
naming the grant, its accounts and the `social-warehouse connect` command that renews it."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import psycopg

from social_warehouse.connector.auth import GrantRevokedError
from social_warehouse.connector.client import ApiClient, Request
from social_warehouse.errors import ApiError, AuthError, ConfigError
from social_warehouse.grants import Grant, connect_command, credentials_for, load_grant, read_state
from social_warehouse.warehouse import database

log = logging.getLogger(__name__)

EXPIRING_DAYS = 14
FAILING = ("revoked", "missing", "expiring")
# Graph error subcodes of a token only a new consent brings back
META_DEAD = {458: "app removed", 459: "user checkpointed", 460: "password changed",
             463: "expired", 464: "unconfirmed user", 467: "invalid"}  # fmt: skip


@dataclass
class GrantHealth:
    checked_day: dt.date
    grant_id: str
    network: str
    accounts: list[str]
    source: str | None = None
    kind: str = "missing"
    access_expires_at: dt.datetime | None = None
    refresh_expires_at: dt.datetime | None = None
    last_refresh: dt.datetime | None = None
    status: str = "ok"
    message: str = ""
    notes: list[str] = field(default_factory=list, repr=False)

    @property
    def command(self) -> str:
        return connect_command(self.network, self.grant_id)

    def line(self) -> str:
        """One line for a person: what, which accounts, why, and what to run."""
        accounts = ", ".join(self.accounts)
        text = f"grant {self.grant_id} ({self.network}; accounts {accounts}): {self.status}"
        if self.message:
            text += f": {self.message}"
        if self.status in FAILING:
            text += f". Reconnect it: {self.command}"
        return text

    def as_row(self) -> dict[str, Any]:
        return {
            "checked_day": self.checked_day,
            "grant_id": self.grant_id,
            "network": self.network,
            "accounts": self.accounts,
            "source": self.source,
            "kind": self.kind,
            "access_expires_at": self.access_expires_at,
            "refresh_expires_at": self.refresh_expires_at,
            "last_refresh": self.last_refresh,
            "status": self.status,
            "message": self.message[:2000],
        }


def configured_grants(path: Path | None = None) -> dict[str, tuple[str, list[str]]]:
    """grant id -> (network, account ids), from config/accounts.yml: an account without
    `grant:` is read with its network's default connection, which is then checked too."""
    from social_warehouse.config import load_brands

    grants: dict[str, tuple[str, list[str]]] = {}
    for brand in load_brands(path):
        for account in brand.accounts:
            network, accounts = grants.setdefault(account.grant, (account.network, []))
            if network != account.network:
                raise ConfigError(
                    f"config/accounts.yml: grant {account.grant!r} is named by {network} and "
                    f"{account.network} accounts: a grant belongs to one network"
                )
            accounts.append(account.account_id)
    return grants


# --- the cheap call per network ------------------------------------------------------------------
def probe(client: ApiClient, network: str, account: str, today: dt.date) -> None:
    """One authenticated read of the account's own data, through the network's client (its
    error classification, its refresh-once on a rejected token)."""
    version = client.settings.api_version
    if network == "facebook_pages":
        request = Request("GET", f"{version}/{account}", {"fields": "id,name"})
    elif network == "instagram":
        request = Request("GET", f"{version}/{account}", {"fields": "id,username"})
    elif network == "x":
        request = Request("GET", f"{version}/users/{account}")
    elif network == "linkedin":
        urn = quote(f"urn:li:organization:{account}", safe="")
        request = Request(
            "GET", f"rest/networkSizes/{urn}", {"edgeType": "COMPANY_FOLLOWED_BY_MEMBER"}
        )
    elif network == "youtube":
        # the Analytics API answers only for a channel the token's owner has: one quota unit
        day = (today - dt.timedelta(days=3)).isoformat()
        request = Request(
            "GET",
            f"{version}/reports",
            {
                "ids": f"channel=={account}",
                "startDate": day,
                "endDate": day,
                "metrics": "views",
                "dimensions": "day",
            },
        )
    elif network == "tiktok":
        request = Request(
            "GET",
            f"open_api/{version}/business/get/",
            {"business_id": account, "fields": '["username"]'},
        )
    else:
        raise ConfigError(f"grants_health knows no cheap call for {network}")
    client.execute(request)


def meta_debug(client: ApiClient, token: str) -> dict[str, Any]:
    """`debug_token` for one Meta token, asked with the token itself (Meta accepts a valid token
    of the app as the caller; a dead one answers the Graph error, returned as the same shape)."""
    url = client.url(f"{client.settings.api_version}/debug_token")
    try:
        raw = client.session.get(
            url,
            params={"input_token": token, "access_token": token},
            timeout=client.settings.timeout_seconds,
        )
        body = raw.json()
    except (ValueError, OSError) as exc:
        return {"is_valid": None, "error": {"message": f"debug_token failed: {exc}"}}
    if isinstance(body, dict) and isinstance(body.get("data"), dict):
        return body["data"]
    error = (body or {}).get("error") if isinstance(body, dict) else None
    return {"is_valid": False, "error": error or {"message": f"HTTP {raw.status_code}"}}


def _epoch(value: Any) -> dt.datetime | None:
    if isinstance(value, int | float) and value > 0:
        return dt.datetime.fromtimestamp(value, dt.UTC)
    return None


# --- one grant ------------------------------------------------------------------------------------
def check_grant(
    name: str,
    network: str,
    accounts: list[str],
    *,
    url: str,
    today: dt.date,
    now: dt.datetime,
) -> GrantHealth:
    from social_warehouse.config import load_network_settings
    from social_warehouse.networks import catalog

    health = GrantHealth(today, name, network, list(accounts))
    try:
        grant = load_grant(network, name)
    except ConfigError as exc:
        health.status, health.message = "missing", str(exc)
        return health
    health.source, health.kind = grant.conn.source, grant.kind
    settings = load_network_settings(network)
    spec = catalog.get(network)
    try:
        if grant.kind == "meta_page_tokens" or (
            network in ("facebook_pages", "instagram") and grant.kind == "static"
        ):
            meta_tokens(health, grant, settings, spec, now)
        for account in accounts:
            credentials = credentials_for(grant, account, url=url)
            client = spec.client_class(grant.conn, settings, credentials=credentials)
            probe(client, network, account, today)
    except GrantRevokedError as exc:
        health.status = "revoked"
        health.message = exc.api_message
    except AuthError as exc:
        health.status = "revoked"
        health.message = f"the token was refused: {exc.api_message}"
    except (ApiError, ConfigError) as exc:
        health.status = "error"
        health.message = exc.api_message if isinstance(exc, ApiError) else str(exc)
    if grant.refreshes:
        stored_expiries(health, url)
    if health.status in ("ok", "error"):
        # an undecided check (throttled, a permission error) still has a known end date
        undecided = health.message if health.status == "error" else ""
        expiring(health, now)
        if undecided and health.status == "expiring":
            health.message += f" (the check call also failed: {undecided})"
    if health.status == "ok" and not health.message:
        health.message = "; ".join(health.notes) or "the grant answers"
    return health


def meta_tokens(
    health: GrantHealth, grant: Grant, settings: Any, spec: Any, now: dt.datetime
) -> None:
    """debug_token for every token an account reads with; the soonest expiry that matters."""
    page_tokens = grant.conn.extra.get("page_tokens") or {}
    client = spec.client_class(grant.conn, settings)
    seen: dict[str, dict[str, Any]] = {}
    for account in health.accounts:
        token = (page_tokens.get(account) if isinstance(page_tokens, dict) else None) or (
            grant.conn.token
        )
        if not token or token in seen:
            continue
        seen[token] = data = meta_debug(client, token)
        kind = str(data.get("type") or "token").lower()
        error = data.get("error") or {}
        if data.get("is_valid") is False:
            subcode = error.get("subcode") or error.get("error_subcode")
            reason = META_DEAD.get(subcode, "invalid")
            raise AuthError(
                grant.network,
                f"debug_token: the {kind} token of account {account} is {reason}: "
                f"{error.get('message', 'no message')}",
            )
        expires = _epoch(data.get("expires_at"))
        if expires is not None:
            health.access_expires_at = min(filter(None, [health.access_expires_at, expires]))
        health.notes.append(
            f"{account}: {kind} token valid"
            + (f" until {expires:%Y-%m-%d}" if expires else ", never expires")
        )


def stored_expiries(health: GrantHealth, url: str) -> None:
    """What ops.grant_tokens holds for a refreshing grant (after the probe refreshed it)."""
    try:
        with psycopg.connect(url, connect_timeout=10) as conn:
            row = read_state(conn, health.grant_id)
            error = conn.execute(
                "select last_error from ops.grant_tokens where grant_id = %s", (health.grant_id,)
            ).fetchone()
    except psycopg.Error as exc:
        health.notes.append(f"token store unreadable ({type(exc).__name__})")
        return
    if row:
        health.access_expires_at, health.refresh_expires_at = row[1], row[3]
        health.last_refresh = row[5]
        if row[1]:
            health.notes.append(f"access token until {row[1]:%Y-%m-%d %H:%M} UTC")
        health.notes.append(
            f"refresh token until {row[3]:%Y-%m-%d}" if row[3] else "refresh token has no end date"
        )
        health.notes.append(f"{row[4]} refresh(es) so far")
    if error and error[0] and health.status != "ok":
        health.notes.append(f"last refresh error: {error[0]}")


def expiring(health: GrantHealth, now: dt.datetime) -> None:
    limit = now + dt.timedelta(days=EXPIRING_DAYS)
    ends = health.refresh_expires_at
    what = "the refresh token"
    if ends is None and health.kind != "oauth":
        # a token used as it is (Meta user token) ends with its access token
        ends, what = health.access_expires_at, "a token the accounts read with"
    if ends is not None and ends <= limit:
        days = max((ends - now).days, 0)
        health.status = "expiring"
        health.message = (
            f"{what} ends on {ends:%Y-%m-%d %H:%M} UTC (in {days} day(s)); after that only a "
            "new consent by the owner brings it back"
        )


# --- all grants -----------------------------------------------------------------------------------
def write(rows: list[GrantHealth], url: str) -> None:
    if not rows:
        return
    columns = list(rows[0].as_row())
    with psycopg.connect(url) as conn, conn.transaction():
        for row in rows:
            values = row.as_row()
            conn.execute(
                f"insert into ops.grant_health ({', '.join(columns)}, checked_at) "
                f"values ({', '.join('%s' for _ in columns)}, now()) "
                "on conflict (checked_day, grant_id) do update set "
                + ", ".join(f"{c} = excluded.{c}" for c in columns if c != "checked_day")
                + ", checked_at = now()",
                [values[c] for c in columns],
            )


def check_grants(
    day: dt.date | None = None,
    *,
    url: str | None = None,
    now: dt.datetime | None = None,
    grants: dict[str, tuple[str, list[str]]] | None = None,
) -> list[GrantHealth]:
    """Check every configured grant (or `grants`: id -> (network, accounts)) and record the
    results in ops.grant_health."""
    now = now or dt.datetime.now(dt.UTC)
    today = day or now.date()
    url = url or database.warehouse_url()
    rows = []
    for name, (network, accounts) in sorted((grants or configured_grants()).items()):
        health = check_grant(name, network, accounts, url=url, today=today, now=now)
        log.info("%s", health.line())
        rows.append(health)
    write(rows, url)
    return rows


def failures(rows: list[GrantHealth]) -> list[str]:
    """One line per grant that loads will fail with, or soon will."""
    return [row.line() for row in rows if row.status in FAILING]
