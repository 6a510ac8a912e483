"""`social-warehouse connect <network>`: one account owner's OAuth consent, made into a grant.

It runs the network's authorization-code flow (PKCE where the network's token lifecycle asks for
it): prints the authorize URL, catches the redirect on a local listener (127.0.0.1) or, with
--no-browser, reads the address the browser was sent to from stdin; exchanges the code at the
token endpoint (Meta: then the short-lived user token for a long-lived one, and reads the Page
tokens); lists the accounts the grant can see; and stores the grant as an Airflow connection
(in Airflow's metadata database, or printed as its AIRFLOW_CONN_<GRANT> form with --print) and,
on request, the accounts in config/accounts.yml.

Nothing secret is logged or printed, except the connection itself when --print asks for it."""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import secrets
import shlex
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import parse_qs, urlsplit

import requests

from social_warehouse import logs
from social_warehouse.connections import env_var_name
from social_warehouse.connector.auth import (
    TokenLifecycle,
    TokenSet,
    authorize_url,
    pkce_pair,
    token_request,
)
from social_warehouse.errors import ApiError, ConfigError

log = logging.getLogger(__name__)

SECRET_VARIABLE = "SOCIAL_WAREHOUSE_CLIENT_SECRET"
DEFAULT_REDIRECT_PORT = 8976
CALLBACK_PATH = "/callback"
# Each connector's API host (its streams' paths are relative to it). YouTube reads the Data API
# from a second host, kept in the connection's extra as data_api_base_url.
API_BASES = {
    "facebook_pages": "https://graph.facebook.com",
    "instagram": "https://graph.facebook.com",
    "x": "https://api.x.com",
    "linkedin": "https://api.linkedin.com",
    "youtube": "https://youtubeanalytics.googleapis.com",
    "tiktok": "https://business-api.tiktok.com",
}
YOUTUBE_DATA_API = "https://www.googleapis.com"
META = ("facebook_pages", "instagram")
TIMEOUT = 30.0


@dataclass
class FoundAccount:
    account_id: str
    name: str | None = None


@dataclass
class ConnectResult:
    grant: str
    network: str
    connection: dict[str, Any] = field(repr=False)
    accounts: list[FoundAccount]
    stored: str  # where the connection went (or "printed")


def rebase(url: str, base: str | None) -> str:
    """The real endpoint's path under another host (the sandbox serves each network's OAuth
    endpoints at their real paths, below the network's prefix)."""
    if not base:
        return url
    return base.rstrip("/") + urlsplit(url).path


class Flow:
    """One run of the authorization-code flow for one network."""

    def __init__(
        self,
        network: str,
        *,
        grant: str,
        client_id: str,
        client_secret: str,
        api_base_url: str | None = None,
        auth_base_url: str | None = None,
        redirect_uri: str | None = None,
        redirect_port: int = DEFAULT_REDIRECT_PORT,
        session: requests.Session | None = None,
    ) -> None:
        from social_warehouse.config import load_network_settings
        from social_warehouse.networks import catalog

        self.spec = catalog.get(network)
        if self.spec.token_lifecycle is None:
            raise ConfigError(f"{network} declares no OAuth token lifecycle: nothing to connect")
        self.lifecycle: TokenLifecycle = self.spec.token_lifecycle
        self.settings = load_network_settings(network)
        self.network = network
        self.grant = grant
        self.client_id = client_id
        self.client_secret = client_secret
        self.auth_base_url = auth_base_url
        self.api_base_url = (api_base_url or API_BASES[network]).rstrip("/")
        self.redirect_port = redirect_port
        self.redirect_uri = redirect_uri or f"http://127.0.0.1:{redirect_port}{CALLBACK_PATH}"
        self.session = session or requests.Session()
        self.state = secrets.token_urlsafe(24)
        self.verifier, self.challenge = pkce_pair() if self.lifecycle.pkce else ("", "")

    # --- endpoints ----------------------------------------------------------------------------
    @property
    def urls(self) -> dict[str, str]:
        lc = self.lifecycle
        return {
            "authorize_url": rebase(lc.authorize_url, self.auth_base_url),
            "token_url": rebase(lc.token_url, self.auth_base_url),
            "refresh_url": rebase(lc.refresh_url or lc.token_url, self.auth_base_url),
        }

    def authorize_url(self) -> str:
        return authorize_url(
            self.lifecycle,
            url=self.urls["authorize_url"],
            client_id=self.client_id,
            redirect_uri=self.redirect_uri,
            state=self.state,
            code_challenge=self.challenge or None,
        )

    # --- the redirect ---------------------------------------------------------------------------
    def code_from(self, redirected: str) -> str:
        """The authorization code out of the address the browser was sent to, after checking
        the state (a forged redirect would not know it) and the network's error, if any."""
        text = redirected.strip()
        query = urlsplit(text).query if "://" in text or text.startswith("/") else text
        params = {k: v[0] for k, v in parse_qs(query.lstrip("?")).items()}
        if params.get("error"):
            raise ConfigError(
                f"{self.network} refused the authorization: {params['error']}: "
                f"{params.get('error_description') or 'no description'}. Check the app's "
                "settings (redirect URI, scopes, test users) and run connect again"
            )
        if params.get("state") != self.state:
            raise ConfigError(
                "the redirect does not carry this run's state: paste the address of the page "
                "the browser landed on after approving, from this very run of connect"
            )
        code = params.get("code")
        if not code:
            raise ConfigError("the redirect carries no 'code': approve the request and retry")
        return code

    # --- tokens ---------------------------------------------------------------------------------
    def exchange(self, code: str) -> TokenSet:
        params = {self.lifecycle.code_param: code, "redirect_uri": self.redirect_uri}
        if self.lifecycle.client_auth != "query":  # Meta's code exchange has no grant_type
            params["grant_type"] = "authorization_code"
        if self.verifier:
            params["code_verifier"] = self.verifier
        return self._token_call(params)

    def _token_call(self, params: dict[str, str]) -> TokenSet:
        tokens = token_request(
            self.lifecycle,
            network=self.network,
            grant=self.grant,
            url=self.urls["token_url"],
            client_id=self.client_id,
            client_secret=self.client_secret,
            params=params,
            session=self.session,
            timeout=TIMEOUT,
        )
        logs_mask(tokens.access_token, tokens.refresh_token)
        return tokens

    def long_lived(self, short: TokenSet) -> TokenSet:
        """Meta: a short-lived user token (about 2 h) for a long-lived one (about 60 days)."""
        return self._token_call(
            {"grant_type": "fb_exchange_token", "fb_exchange_token": short.access_token}
        )

    # --- the accounts the grant sees ------------------------------------------------------------
    def _get(self, url: str, token: str, params: dict[str, Any], **headers: str) -> Any:
        if self.network == "tiktok":
            auth = {"Access-Token": token}
        else:
            auth = {"Authorization": f"Bearer {token}"}
        try:
            response = self.session.get(
                url, params=params, headers={**auth, **headers}, timeout=TIMEOUT
            )
        except requests.RequestException as exc:
            raise ApiError(self.network, f"{logs.redact(url)} unreachable: {exc}") from None
        try:
            body = response.json()
        except ValueError:
            body = None
        if response.status_code >= 400 or body is None:
            text = logs.redact(json.dumps(body) if body is not None else response.text)[:300]
            raise ApiError(
                self.network,
                f"listing the grant's accounts failed: {text}",
                status=response.status_code,
                url=logs.redact(response.url),
            )
        return body

    def meta_pages(self, user_token: str) -> list[dict[str, Any]]:
        version = self.settings.api_version
        url: str | None = f"{self.api_base_url}/{version}/me/accounts"
        params: dict[str, Any] = {
            "fields": "id,name,access_token,instagram_business_account{id,username}",
            "limit": 100,
        }
        pages: list[dict[str, Any]] = []
        while url:
            body = self._get(url, user_token, params)
            pages.extend(p for p in body.get("data", []) if isinstance(p, dict))
            url, params = (body.get("paging") or {}).get("next"), {}
        for page in pages:
            logs_mask(page.get("access_token"))
        return pages

    def accounts(self, tokens: TokenSet) -> list[FoundAccount]:
        token = tokens.access_token
        if self.network == "x":
            data = self._get(f"{self.api_base_url}/2/users/me", token, {}).get("data") or {}
            return [FoundAccount(str(data["id"]), f"@{data.get('username')}")] if data else []
        if self.network == "linkedin":
            body = self._get(
                f"{self.api_base_url}/rest/organizationAcls",
                token,
                {"q": "roleAssignee", "role": "ADMINISTRATOR", "state": "APPROVED"},
                **{
                    "LinkedIn-Version": str(self.settings.api_version),
                    "X-Restli-Protocol-Version": "2.0.0",
                },
            )
            orgs = [str(e.get("organization", "")) for e in body.get("elements", [])]
            return [FoundAccount(o.rsplit(":", 1)[-1]) for o in orgs if o.count(":") == 3]
        if self.network == "youtube":
            body = self._get(
                f"{self.data_api_base_url}/youtube/v3/channels",
                token,
                {"mine": "true", "part": "id,snippet"},
            )
            return [
                FoundAccount(str(c["id"]), (c.get("snippet") or {}).get("title"))
                for c in body.get("items", [])
            ]
        if self.network == "tiktok":
            open_id = str(tokens.extra.get("open_id") or "")
            return [FoundAccount(open_id, self._tiktok_name(token, open_id))] if open_id else []
        raise ConfigError(f"{self.network}: accounts are listed from the Meta Pages")

    def _tiktok_name(self, token: str, open_id: str) -> str | None:
        try:
            body = self._get(
                f"{self.api_base_url}/open_api/{self.settings.api_version}/business/get/",
                token,
                {"business_id": open_id, "fields": json.dumps(["username"])},
            )
        except ApiError:
            return None
        username = (body.get("data") or {}).get("username") if body.get("code") == 0 else None
        return f"@{username}" if username else None

    @property
    def data_api_base_url(self) -> str:
        # the sandbox serves both YouTube APIs under one prefix; the real ones are two hosts
        return self.api_base_url if self.api_base_url != API_BASES["youtube"] else YOUTUBE_DATA_API

    # --- the connection -------------------------------------------------------------------------
    def connection(self, password: str, extra: dict[str, Any]) -> dict[str, Any]:
        if self.auth_base_url:  # endpoints other than the network's own (the sandbox)
            extra |= {k: v for k, v in self.urls.items() if k != "refresh_url"}
            if self.lifecycle.refresh_url:
                extra["refresh_url"] = self.urls["refresh_url"]
        if self.network == "youtube":
            extra["data_api_base_url"] = self.data_api_base_url
        return {
            "conn_type": urlsplit(self.api_base_url).scheme or "https",
            "host": self.api_base_url,
            "login": self.client_id,
            "password": password,
            "extra": extra,
            "description": (
                f"{self.spec.title} OAuth grant, connected {dt.date.today().isoformat()} with "
                f"`social-warehouse connect {self.network} --grant {self.grant}`"
            ),
        }


def logs_mask(*values: str | None) -> None:
    """Tell Airflow's masker about fresh secrets too (this package's log redaction runs anyway)."""
    try:
        from airflow.sdk.log import mask_secret
    except ImportError:
        return
    for value in values:
        if value:
            mask_secret(value)


# --- catching the redirect ----------------------------------------------------------------------
def listen_for_redirect(
    port: int, timeout: float, announce: Callable[[int], None]
) -> tuple[str, int]:
    """Serve one request on 127.0.0.1:`port` (0 = any free port) and return the address the
    browser was sent to. `announce(port)` runs once the listener is up (it prints the URL)."""
    caught: dict[str, str] = {}
    done = threading.Event()

    class Callback(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if not self.path.startswith(CALLBACK_PATH):
                self.send_error(404)
                return
            caught["url"] = self.path
            page = (
                b"<html><body><h3>Social Warehouse: authorization received.</h3>"
                b"<p>You can close this tab and go back to the terminal.</p></body></html>"
            )
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)
            done.set()

        def log_message(self, format: str, *args: Any) -> None:  # the query holds the code
            return

    try:
        server = HTTPServer(("127.0.0.1", port), Callback)
    except OSError as exc:
        raise ConfigError(
            f"cannot listen on 127.0.0.1:{port} for the OAuth redirect ({exc.strerror}): pass "
            "--redirect-port with a free port registered in the app, or use --no-browser"
        ) from None
    thread = threading.Thread(target=server.serve_forever, name="oauth-redirect", daemon=True)
    thread.start()
    try:
        announce(server.server_address[1])
        if not done.wait(timeout):
            raise ConfigError(
                f"no redirect came back within {timeout:.0f} s: run connect again (or use "
                "--no-browser and paste the address the browser shows)"
            )
        return caught["url"], server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


# --- storing --------------------------------------------------------------------------------------
def store_in_airflow(grant: str, connection: dict[str, Any]) -> str:
    """Create or update the connection in Airflow's metadata database (Airflow's own model and
    session, so the UI, `airflow connections` and the workers see it; Airflow encrypts the
    password and extra with its fernet key)."""
    try:
        from airflow.models import Connection
        from airflow.settings import engine
        from airflow.utils.session import create_session
        from sqlalchemy import select
        from sqlalchemy.exc import SQLAlchemyError
    except ImportError as exc:
        raise ConfigError(f"Airflow is not importable here ({exc}): use --print") from None
    where = logs.redact(str(engine.url)) if engine is not None else "(not configured)"
    try:
        with create_session() as session:
            existing = session.scalar(select(Connection).where(Connection.conn_id == grant))
            target = existing or Connection(conn_id=grant)
            target.conn_type = connection["conn_type"]
            target.host = connection["host"]
            target.login = connection["login"]
            target.set_password(connection["password"])
            target.set_extra(json.dumps(connection["extra"]))
            target.description = connection.get("description")
            if existing is None:
                session.add(target)
    except SQLAlchemyError as exc:
        raise ConfigError(
            f"could not write Airflow connection {grant!r} to the metadata database {where} "
            f"({type(exc).__name__}): is it migrated (`airflow db migrate`) and is this the "
            "environment your Airflow runs with? Or use --print"
        ) from None
    return f"Airflow metadata database {where}"


def write_accounts(
    path: Path, brand: str, network: str, grant: str, accounts: list[FoundAccount]
) -> list[str]:
    """Add the accounts to `brand` in accounts.yml (its comments kept), each naming `grant`
    unless it is the network's default connection; an account already configured gets the
    grant. The file is validated with the strict loader before it replaces the old one."""
    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedMap, CommentedSeq
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString

    from social_warehouse.config import default_grant, load_brands

    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = 100
    original = path.read_text()
    data = yaml.load(original) or CommentedMap()
    brands = data.setdefault("brands", CommentedSeq())
    entry = next((b for b in brands if b.get("id") == brand), None)
    if entry is None:
        entry = CommentedMap(id=brand, name=brand.replace("_", " ").title())
        entry["accounts"] = CommentedMap()
        brands.append(entry)
    if entry.get("accounts") is None:
        entry["accounts"] = CommentedMap()
    named_grant = None if grant == default_grant(network) else grant
    done: list[str] = []
    for account in accounts:
        existing = next(
            (
                item
                for b in brands
                for item in ((b.get("accounts") or {}).get(network) or [])
                if str(item.get("id")) == account.account_id
            ),
            None,
        )
        if existing is not None:
            if named_grant:
                existing["grant"] = named_grant
            done.append(f"{account.account_id} (already configured; grant set)")
            continue
        item = CommentedMap(id=DoubleQuotedScalarString(account.account_id))
        if account.name:
            item["name"] = account.name
        if named_grant:
            item["grant"] = named_grant
        item.fa.set_flow_style()
        entry["accounts"].setdefault(network, CommentedSeq()).append(item)
        done.append(account.account_id)
    candidate = path.with_name(f".{path.name}.connect")
    with candidate.open("w") as handle:
        yaml.dump(data, handle)
    try:
        load_brands(candidate)
    except ConfigError as exc:
        candidate.unlink()
        raise ConfigError(
            f"{path} was left unchanged, the new version would not load: {exc}"
        ) from None
    candidate.replace(path)
    return done


# --- the command ----------------------------------------------------------------------------------
def client_secret_from_env_or_prompt(network: str) -> str:
    secret = os.environ.get(SECRET_VARIABLE, "")
    if secret:
        return secret
    import getpass

    secret = getpass.getpass(f"{network} client secret (not echoed; or set {SECRET_VARIABLE}): ")
    if not secret:
        raise ConfigError(f"no client secret: set {SECRET_VARIABLE} or type it at the prompt")
    return secret


def connect(
    network: str,
    *,
    client_id: str,
    client_secret: str,
    grant: str | None = None,
    no_browser: bool = False,
    print_connection: bool = False,
    api_base_url: str | None = None,
    auth_base_url: str | None = None,
    redirect_uri: str | None = None,
    redirect_port: int = DEFAULT_REDIRECT_PORT,
    timeout: float = 300.0,
    accounts_file: Path | None = None,
    brand: str | None = None,
    stdin: TextIO = sys.stdin,
    say: Callable[[str], None] = lambda text: print(text, file=sys.stderr, flush=True),
    out: Callable[[str], None] = print,
) -> ConnectResult:
    """The whole flow; `say` talks to the person (stderr), `out` prints results (stdout)."""
    from social_warehouse.config import load_network_settings

    grant = grant or load_network_settings(network).connection_id
    flow = Flow(
        network,
        grant=grant,
        client_id=client_id,
        client_secret=client_secret,
        api_base_url=api_base_url,
        auth_base_url=auth_base_url,
        redirect_uri=redirect_uri,
        redirect_port=redirect_port,
    )

    def announce(port: int) -> None:
        if port != flow.redirect_port and redirect_uri is None:
            flow.redirect_uri = f"http://127.0.0.1:{port}{CALLBACK_PATH}"
        url = flow.authorize_url()
        say(
            f"Open this address in a browser, sign in as the owner of the {flow.spec.title} "
            "accounts and approve the access:\n"
        )
        say(f"  {url}\n")
        if not no_browser:
            import webbrowser

            webbrowser.open(url)

    if no_browser:
        announce(flow.redirect_port)
        say(
            f"Then paste the whole address your browser was sent to (it starts with "
            f"{flow.redirect_uri}; the page itself may fail to load):"
        )
        line = stdin.readline()
        if not line.strip():
            raise ConfigError("no redirected address on stdin: run connect again and paste it")
        redirected = line
    else:
        redirected, _ = listen_for_redirect(redirect_port, timeout, announce)
    code = flow.code_from(redirected)
    tokens = flow.exchange(code)
    extra: dict[str, Any] = {}
    if network in META:
        long = flow.long_lived(tokens)
        pages = flow.meta_pages(long.access_token)
        page_tokens, found = meta_accounts(network, pages)
        extra["page_tokens"] = page_tokens
        password = long.access_token
        say(
            f"Meta: the user token lasts until {long.access_expires_at:%Y-%m-%d} and the Page "
            "tokens read from it do not expire (grants_health watches them)"
            if long.access_expires_at
            else "Meta: long-lived user token obtained"
        )
    else:
        found = flow.accounts(tokens)
        if tokens.refresh_token:
            extra["refresh_token"] = tokens.refresh_token
            password = client_secret
        elif network == "linkedin":
            # only Marketing Developer Platform apps get refresh tokens from LinkedIn
            password = tokens.access_token
            say(
                "LinkedIn gave no refresh token (only Marketing Developer Platform apps get "
                "one): the grant holds the access token, which lasts 60 days; run connect "
                "again before then"
            )
        else:
            raise ConfigError(
                f"{network} gave no refresh token, so the grant would die within hours: "
                + NO_REFRESH_HINTS.get(network, "check the app's settings")
            )
    connection = flow.connection(password, extra)
    out(f"Grant {grant!r} ({flow.spec.title}) can read {len(found)} account(s):")
    for account in found:
        out(f"  {account.account_id}  {account.name or ''}".rstrip())
    if print_connection:
        out(f"{env_var_name(grant)}={shlex.quote(json.dumps(connection, separators=(',', ':')))}")
        stored = "printed"
    else:
        stored = store_in_airflow(grant, connection)
        out(f"Stored Airflow connection {grant!r} in the {stored}")
        if os.environ.get(env_var_name(grant)):
            out(
                f"Note: {env_var_name(grant)} is set in this environment and wins over the "
                "metadata database wherever it is set too: remove it there"
            )
    if accounts_file is not None and brand:
        written = write_accounts(accounts_file, brand, network, grant, found)
        out(f"{accounts_file}: brand {brand!r}, {network}: {', '.join(written) or 'nothing'}")
    return ConnectResult(grant, network, connection, found, stored)


NO_REFRESH_HINTS = {
    "youtube": "Google sends a refresh token only on a consent with access_type=offline and "
    "prompt=consent (connect asks for both); remove the app's access at "
    "https://myaccount.google.com/permissions and run connect again",
    "x": "the app must ask for the offline.access scope (connect does) and the user approve it",
    "tiktok": "check that the app is approved for the tt_user scopes",
}


def meta_accounts(
    network: str, pages: list[dict[str, Any]]
) -> tuple[dict[str, str], list[FoundAccount]]:
    """Per account the token it reads with: a Page its own Page token, an Instagram business
    account the Page token of the Page it is linked to."""
    tokens: dict[str, str] = {}
    found: list[FoundAccount] = []
    for page in pages:
        page_id, token = str(page.get("id", "")), str(page.get("access_token") or "")
        if not page_id or not token:
            continue
        if network == "facebook_pages":
            tokens[page_id] = token
            found.append(FoundAccount(page_id, page.get("name")))
            continue
        instagram = page.get("instagram_business_account") or {}
        if instagram.get("id"):
            tokens[str(instagram["id"])] = token
            username = instagram.get("username")
            found.append(FoundAccount(str(instagram["id"]), username or page.get("name")))
    return tokens, found
