"""The sandbox's OAuth, spoken to over plain HTTP (no project client): each network's authorize
and token endpoints, client authentication, PKCE, lifetimes on the sandbox clock, refresh-token
rotation and the rejection of a spent one, revocation, tokens scoped to the consenting owner's
accounts, each network's own error shapes, and a request log without a single secret."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import pytest
import requests

from social_warehouse.config import load_brands
from social_warehouse.sandbox.server import Sandbox

CLOCK = dt.datetime(2026, 11, 21, 12, 0, tzinfo=dt.UTC)
REDIRECT = "http://127.0.0.1:8799/callback"
NETWORKS = ("facebook_pages", "instagram", "x", "linkedin", "youtube", "tiktok")
REFRESHING = ("x", "linkedin", "youtube", "tiktok")
ACCOUNTS = {
    network: [a.account_id for b in load_brands() for a in b.accounts if a.network == network]
    for network in NETWORKS
}


@pytest.fixture
def osb(sb: Sandbox) -> Iterator[Sandbox]:
    """The reset sandbox at a fixed clock: every lifetime below is measured on it."""
    sb.state.clock = CLOCK
    yield sb


def at(sandbox: Sandbox, **delta: float) -> None:
    """Move the sandbox clock to CLOCK + delta."""
    sandbox.state.clock = CLOCK + dt.timedelta(**delta)


def control(sandbox: Sandbox, path: str, **body: Any) -> Any:
    response = requests.post(f"{sandbox.url}/_sandbox/oauth/{path}", json=body, timeout=10)
    assert response.status_code in (200, 201), response.text
    return response.json()


def new_client(sandbox: Sandbox, network: str, **options: Any) -> dict[str, str]:
    return control(sandbox, "clients", network=network, **options)


def new_grant(sandbox: Sandbox, network: str, accounts: list[str], **options: Any) -> dict:
    client = new_client(sandbox, network, **options)
    grant = control(
        sandbox, "grants", network=network, client_id=client["client_id"], accounts=accounts
    )
    return grant | {"client": client}


def stats(sandbox: Sandbox, grant_id: str) -> dict[str, Any]:
    rows = requests.get(f"{sandbox.url}/_sandbox/oauth/stats", timeout=10).json()["grants"]
    return next(r for r in rows if r["grant"] == grant_id)


def pkce() -> tuple[str, str]:
    verifier = base64.urlsafe_b64encode(secrets.token_bytes(40)).rstrip(b"=").decode()
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def redirected(response: requests.Response) -> dict[str, str]:
    assert response.status_code == 302, (response.status_code, response.text)
    location = response.headers["Location"]
    assert location.startswith(REDIRECT + "?"), location
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


# --- each network's flows, as a client would speak them ------------------------------------------
@dataclass
class Flow:
    network: str
    authorize_path: str
    client_param: str = "client_id"
    scope: str = ""
    extra: dict[str, str] | None = None

    def authorize(
        self, sandbox: Sandbox, client_id: str, accounts: list[str], **params: str
    ) -> requests.Response:
        query = {
            self.client_param: client_id,
            "redirect_uri": REDIRECT,
            "response_type": "code",
            "state": "xyz-state",
            "scope": self.scope,
            "login_hint": ",".join(accounts),
            **(self.extra or {}),
            **params,
        }
        return requests.get(
            f"{sandbox.base_url(self.network)}{self.authorize_path}",
            params={k: v for k, v in query.items() if v is not None},
            allow_redirects=False,
            timeout=10,
        )


FLOWS = {
    "facebook_pages": Flow(
        "facebook_pages", "/v25.0/dialog/oauth", scope="pages_show_list,read_insights"
    ),
    "instagram": Flow("instagram", "/v25.0/dialog/oauth", scope="instagram_manage_insights"),
    "x": Flow("x", "/i/oauth2/authorize", scope="tweet.read users.read offline.access"),
    "linkedin": Flow(
        "linkedin", "/oauth/v2/authorization", scope="rw_organization_admin r_organization_social"
    ),
    "youtube": Flow(
        "youtube",
        "/o/oauth2/v2/auth",
        scope="https://www.googleapis.com/auth/yt-analytics.readonly",
        extra={"access_type": "offline", "prompt": "consent"},
    ),
    "tiktok": Flow(
        "tiktok", "/v2/auth/authorize/", client_param="client_key", scope="user.info.basic"
    ),
}


def exchange(
    sandbox: Sandbox, network: str, client: dict[str, str], code: str, **params: str
) -> requests.Response:
    """The code exchange as each network wants it (client auth, body format, code name)."""
    base = sandbox.base_url(network)
    cid, secret = client["client_id"], client["client_secret"]
    if network in ("facebook_pages", "instagram"):
        query = {"client_id": cid, "client_secret": secret, "redirect_uri": REDIRECT, "code": code}
        return requests.get(f"{base}/v25.0/oauth/access_token", params=query | params, timeout=10)
    if network == "x":
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT}
        return requests.post(
            f"{base}/2/oauth2/token", data=form | params, auth=(cid, secret), timeout=10
        )
    if network == "tiktok":
        body = {
            "client_id": cid,
            "client_secret": secret,
            "grant_type": "authorization_code",
            "auth_code": code,
            "redirect_uri": REDIRECT,
        }
        return requests.post(
            f"{base}/open_api/v1.3/tt_user/oauth2/token/", json=body | params, timeout=10
        )
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT,
        "client_id": cid,
        "client_secret": secret,
    }
    path = "/oauth/v2/accessToken" if network == "linkedin" else "/token"
    return requests.post(f"{base}{path}", data=form | params, timeout=10)


def refresh(
    sandbox: Sandbox, network: str, client: dict[str, str], token: str
) -> requests.Response:
    base = sandbox.base_url(network)
    cid, secret = client["client_id"], client["client_secret"]
    if network == "x":
        form = {"grant_type": "refresh_token", "refresh_token": token}
        return requests.post(f"{base}/2/oauth2/token", data=form, auth=(cid, secret), timeout=10)
    if network == "tiktok":
        body = {
            "client_id": cid,
            "client_secret": secret,
            "grant_type": "refresh_token",
            "refresh_token": token,
        }
        return requests.post(
            f"{base}/open_api/v1.3/tt_user/oauth2/refresh_token/", json=body, timeout=10
        )
    form = {
        "grant_type": "refresh_token",
        "refresh_token": token,
        "client_id": cid,
        "client_secret": secret,
    }
    path = "/oauth/v2/accessToken" if network == "linkedin" else "/token"
    return requests.post(f"{base}{path}", data=form, timeout=10)


def tokens(response: requests.Response, network: str) -> dict[str, Any]:
    """The token answer, out of TikTok's envelope where it lives."""
    assert response.status_code == 200, response.text
    body = response.json()
    if network == "tiktok":
        assert body["code"] == 0, body
        return body["data"]
    return body


def api(sandbox: Sandbox, network: str, account: str, token: str) -> requests.Response:
    """One cheap authenticated read of `account`'s private data."""
    base = sandbox.base_url(network)
    bearer = {"Authorization": f"Bearer {token}"}
    if network in ("facebook_pages", "instagram"):
        return requests.get(f"{base}/v25.0/{account}", params={"fields": "id"}, headers=bearer)
    if network == "x":
        return requests.get(f"{base}/2/users/{account}", headers=bearer)
    if network == "linkedin":
        urn = quote(f"urn:li:organization:{account}", safe="")
        return requests.get(
            f"{base}/rest/networkSizes/{urn}",
            params={"edgeType": "COMPANY_FOLLOWED_BY_MEMBER"},
            headers=bearer | {"LinkedIn-Version": "202611", "X-Restli-Protocol-Version": "2.0.0"},
        )
    if network == "youtube":
        query = {
            "ids": f"channel=={account}",
            "startDate": "2026-11-01",
            "endDate": "2026-11-10",
            "metrics": "views",
            "dimensions": "day",
        }
        return requests.get(f"{base}/v2/reports", params=query, headers=bearer)
    return requests.get(
        f"{base}/open_api/v1.3/business/get/",
        params={"business_id": account},
        headers={"Access-Token": token},
    )


def api_token(grant: dict[str, Any], network: str, account: str) -> str:
    if network in ("facebook_pages", "instagram"):
        return grant["page_tokens"][account]
    return grant["access_token"]


def assert_ok(response: requests.Response, network: str) -> None:
    assert response.status_code == 200, response.text
    if network == "tiktok":
        assert response.json()["code"] == 0, response.text


# --- authorize --------------------------------------------------------------------------------
@pytest.mark.parametrize("network", NETWORKS)
def test_authorize_consents_at_once_and_redirects_with_the_code_and_state(osb, network):
    client = new_client(osb, network)
    verifier, challenge = pkce()
    extra = {"code_challenge": challenge, "code_challenge_method": "S256"}
    query = redirected(
        FLOWS[network].authorize(osb, client["client_id"], ACCOUNTS[network][:1], **extra)
    )
    assert query["state"] == "xyz-state" and len(query["code"]) >= 20
    answer = tokens(exchange(osb, network, client, query["code"], code_verifier=verifier), network)
    assert answer["access_token"] and answer["access_token"] != query["code"]


@pytest.mark.parametrize("network", NETWORKS)
def test_authorize_refuses_an_unknown_client_or_redirect_uri_without_redirecting(osb, network):
    flow = FLOWS[network]
    unknown = flow.authorize(osb, "no-such-client", ACCOUNTS[network][:1])
    assert unknown.status_code in (400, 401) and "Location" not in unknown.headers
    assert unknown.json()["error"] == "invalid_client"
    client = new_client(osb, network, redirect_uris=["https://app.example/callback"])
    elsewhere = flow.authorize(
        osb, client["client_id"], ACCOUNTS[network][:1], redirect_uri="https://evil.example/cb"
    )
    assert elsewhere.status_code == 400 and "Location" not in elsewhere.headers
    assert elsewhere.json()["error"] == "redirect_uri_mismatch"


def test_a_registered_loopback_redirect_uri_may_use_any_port(osb):
    client = new_client(osb, "youtube", redirect_uris=["http://127.0.0.1/callback"])
    response = FLOWS["youtube"].authorize(
        osb, client["client_id"], ACCOUNTS["youtube"][:1], redirect_uri=REDIRECT
    )
    assert redirected(response)["code"]


def test_authorize_without_login_hint_is_denied_by_redirect(osb):
    client = new_client(osb, "linkedin")
    query = redirected(FLOWS["linkedin"].authorize(osb, client["client_id"], []))
    assert query["error"] == "access_denied" and "login_hint" in query["error_description"]
    assert query["state"] == "xyz-state"


@pytest.mark.parametrize("network", ["x", "tiktok"])
def test_an_x_or_tiktok_grant_is_one_users(osb, network):
    client = new_client(osb, network)
    _, challenge = pkce()
    query = redirected(
        FLOWS[network].authorize(
            osb,
            client["client_id"],
            ACCOUNTS[network][:2],
            code_challenge=challenge,
            code_challenge_method="S256",
        )
    )
    assert query["error"] == "invalid_request"
    refused = requests.post(
        f"{osb.url}/_sandbox/oauth/grants",
        json={"network": network, "client_id": client["client_id"], "accounts": ACCOUNTS[network]},
        timeout=10,
    )
    assert refused.status_code == 400 and "exactly one" in refused.json()["error"]


# --- PKCE -------------------------------------------------------------------------------------
def test_x_requires_pkce_with_s256(osb):
    client = new_client(osb, "x")
    flow, account = FLOWS["x"], ACCOUNTS["x"][:1]
    missing = redirected(flow.authorize(osb, client["client_id"], account))
    assert (
        missing["error"] == "invalid_request" and "code_challenge" in missing["error_description"]
    )
    plain = redirected(
        flow.authorize(
            osb, client["client_id"], account, code_challenge="abc", code_challenge_method="plain"
        )
    )
    assert plain["error"] == "invalid_request" and "S256" in plain["error_description"]


@pytest.mark.parametrize(
    ("network", "status", "error", "description"),
    [
        ("x", 400, "invalid_request", "code verifier"),
        ("youtube", 400, "invalid_grant", "Invalid code verifier."),
    ],
)
def test_a_wrong_code_verifier_is_refused(osb, network, status, error, description):
    client = new_client(osb, network)
    _, challenge = pkce()
    code = redirected(
        FLOWS[network].authorize(
            osb,
            client["client_id"],
            ACCOUNTS[network][:1],
            code_challenge=challenge,
            code_challenge_method="S256",
        )
    )["code"]
    wrong, _ = pkce()
    response = exchange(osb, network, client, code, code_verifier=wrong)
    assert response.status_code == status
    assert response.json()["error"] == error and description in response.json()["error_description"]


def test_pkce_is_optional_on_google(osb):
    client = new_client(osb, "youtube")
    code = redirected(FLOWS["youtube"].authorize(osb, client["client_id"], ACCOUNTS["youtube"][:1]))
    assert tokens(exchange(osb, "youtube", client, code["code"]), "youtube")["refresh_token"]


# --- code exchange ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("network", "expires_in", "refresh_expires_in"),
    [
        ("facebook_pages", 7200, None),
        ("x", 7200, None),
        ("linkedin", 60 * 86400, 365 * 86400),
        ("youtube", 3599, None),
        ("tiktok", 86400, 31536000),
    ],
)
def test_the_code_exchange_answers_each_networks_lifetimes(
    osb, network, expires_in, refresh_expires_in
):
    client = new_client(osb, network)
    verifier, challenge = pkce()
    code = redirected(
        FLOWS[network].authorize(
            osb,
            client["client_id"],
            ACCOUNTS[network][:1],
            code_challenge=challenge,
            code_challenge_method="S256",
        )
    )["code"]
    answer = tokens(exchange(osb, network, client, code, code_verifier=verifier), network)
    assert answer["expires_in"] == expires_in
    assert answer.get("refresh_token_expires_in") == refresh_expires_in
    assert ("refresh_token" in answer) == (network in REFRESHING)
    if network == "tiktok":
        assert answer["open_id"] == ACCOUNTS["tiktok"][0]
    again = exchange(osb, network, client, code, code_verifier=verifier)
    assert again.status_code != 200 or again.json().get("code") not in (0, None), (
        "an authorization code works once"
    )


def test_google_gives_a_refresh_token_only_for_offline_access(osb):
    client = new_client(osb, "youtube")
    code = redirected(
        FLOWS["youtube"].authorize(
            osb, client["client_id"], ACCOUNTS["youtube"][:1], access_type="online"
        )
    )["code"]
    answer = tokens(exchange(osb, "youtube", client, code), "youtube")
    assert "refresh_token" not in answer and answer["token_type"] == "Bearer"


def test_x_code_lives_thirty_seconds_and_needs_the_same_redirect_uri(osb):
    client = new_client(osb, "x")
    verifier, challenge = pkce()

    def code() -> str:
        return redirected(
            FLOWS["x"].authorize(
                osb,
                client["client_id"],
                ACCOUNTS["x"][:1],
                code_challenge=challenge,
                code_challenge_method="S256",
            )
        )["code"]

    stale = code()
    at(osb, seconds=31)
    late = exchange(osb, "x", client, stale, code_verifier=verifier)
    assert late.status_code == 400 and late.json()["error"] == "invalid_request"
    moved = exchange(
        osb, "x", client, code(), code_verifier=verifier, redirect_uri="http://127.0.0.1:1/other"
    )
    assert moved.status_code == 400 and "redirect uri" in moved.json()["error_description"]


@pytest.mark.parametrize(
    ("network", "status", "check"),
    [
        (
            "x",
            401,
            lambda b: (
                b
                == {
                    "error": "unauthorized_client",
                    "error_description": "Missing valid authorization header",
                }
            ),
        ),
        ("linkedin", 401, lambda b: b["error"] == "invalid_client"),
        (
            "youtube",
            401,
            lambda b: b == {"error": "invalid_client", "error_description": "Unauthorized"},
        ),
        ("tiktok", 200, lambda b: b["code"] == 40101 and b["data"] == {}),
        ("facebook_pages", 400, lambda b: b["error"]["code"] == 1),
    ],
)
def test_a_wrong_client_secret_is_refused_in_the_networks_shape(osb, network, status, check):
    client = new_client(osb, network) | {"client_secret": "wrong"}
    response = exchange(osb, network, client, "any-code")
    assert response.status_code == status and check(response.json()), response.text


def test_x_refuses_client_credentials_outside_basic_auth(osb):
    client = new_client(osb, "x")
    form = {
        "grant_type": "refresh_token",
        "refresh_token": "whatever",
        "client_id": client["client_id"],
        "client_secret": client["client_secret"],
    }
    response = requests.post(f"{osb.base_url('x')}/2/oauth2/token", data=form, timeout=10)
    assert response.status_code == 401 and response.json()["error"] == "unauthorized_client"


# --- lifetimes on the sandbox clock --------------------------------------------------------------
EXPIRED = {
    "facebook_pages": lambda r: (
        r.status_code == 400
        and r.json()["error"]["code"] == 190
        and r.json()["error"]["error_subcode"] == 463
    ),
    "instagram": lambda r: (
        r.status_code == 400
        and (r.json()["error"]["code"], r.json()["error"]["error_subcode"]) == (190, 463)
    ),
    "x": lambda r: r.status_code == 401 and r.json()["title"] == "Unauthorized",
    "linkedin": lambda r: (
        r.status_code == 401
        and (r.json()["serviceErrorCode"], r.json()["code"]) == (65602, "EXPIRED_ACCESS_TOKEN")
    ),
    "youtube": lambda r: (
        r.status_code == 401
        and r.json()["error"]["status"] == "UNAUTHENTICATED"
        and r.json()["error"]["errors"][0]["reason"] == "authError"
    ),
    "tiktok": lambda r: r.status_code == 200 and r.json()["code"] == 40102,
}
REVOKED = {
    "facebook_pages": lambda r: (
        (r.json()["error"]["code"], r.json()["error"]["error_subcode"]) == (190, 460)
    ),
    "instagram": lambda r: (
        (r.json()["error"]["code"], r.json()["error"]["error_subcode"]) == (190, 460)
    ),
    "x": lambda r: r.status_code == 401,
    "linkedin": lambda r: (
        r.status_code == 401
        and (r.json()["serviceErrorCode"], r.json()["code"]) == (65601, "REVOKED_ACCESS_TOKEN")
    ),
    "youtube": lambda r: r.status_code == 401 and r.json()["error"]["status"] == "UNAUTHENTICATED",
    "tiktok": lambda r: r.status_code == 200 and r.json()["code"] == 40105,
}
DEAD_REFRESH: dict[str, Callable[[requests.Response], bool]] = {
    "x": lambda r: (
        r.status_code == 400
        and r.json()
        == {
            "error": "invalid_request",
            "error_description": "Value passed for the token was invalid.",
        }
    ),
    "linkedin": lambda r: r.status_code == 400 and r.json()["error"] == "invalid_grant",
    "youtube": lambda r: (
        r.status_code == 400
        and r.json()
        == {"error": "invalid_grant", "error_description": "Token has been expired or revoked."}
    ),
    "tiktok": lambda r: r.status_code == 200 and r.json()["code"] == 40107,
}
LIFETIME = {"x": 2 * 3600, "linkedin": 60 * 86400, "youtube": 3599, "tiktok": 86400}


@pytest.mark.parametrize("network", REFRESHING)
def test_an_access_token_dies_on_the_sandbox_clock_and_a_refresh_brings_a_working_one(osb, network):
    account = ACCOUNTS[network][0]
    grant = new_grant(osb, network, [account])
    assert_ok(api(osb, network, account, grant["access_token"]), network)
    at(osb, seconds=LIFETIME[network] - 1)
    assert_ok(api(osb, network, account, grant["access_token"]), network)
    at(osb, seconds=LIFETIME[network])
    assert EXPIRED[network](api(osb, network, account, grant["access_token"]))
    fresh = tokens(refresh(osb, network, grant["client"], grant["refresh_token"]), network)
    assert fresh["expires_in"] == LIFETIME[network]
    assert_ok(api(osb, network, account, fresh["access_token"]), network)
    row = stats(osb, grant["grant"])
    assert (row["refreshes"], row["rejected_api_calls"]) == (1, 1)


@pytest.mark.parametrize("network", ["x", "tiktok"])
def test_x_and_tiktok_rotate_the_refresh_token_and_refuse_the_spent_one(osb, network):
    grant = new_grant(osb, network, ACCOUNTS[network][:1])
    first = tokens(refresh(osb, network, grant["client"], grant["refresh_token"]), network)
    assert first["refresh_token"] != grant["refresh_token"]
    assert DEAD_REFRESH[network](refresh(osb, network, grant["client"], grant["refresh_token"]))
    second = tokens(refresh(osb, network, grant["client"], first["refresh_token"]), network)
    assert second["refresh_token"] not in (first["refresh_token"], grant["refresh_token"])
    row = stats(osb, grant["grant"])
    assert (row["refreshes"], row["rejected_reuses"], row["token_calls"]) == (2, 1, 3)


@pytest.mark.parametrize("network", ["linkedin", "youtube"])
def test_linkedin_and_google_keep_the_refresh_token(osb, network):
    grant = new_grant(osb, network, ACCOUNTS[network][:1])
    for _ in range(2):
        answer = tokens(refresh(osb, network, grant["client"], grant["refresh_token"]), network)
        assert answer.get("refresh_token", grant["refresh_token"]) == grant["refresh_token"]
    if network == "youtube":
        assert "refresh_token" not in answer, "Google's refresh answer carries no refresh token"


@pytest.mark.parametrize("network", ["linkedin", "tiktok"])
def test_the_refresh_token_ends_365_days_after_consent_whatever_refreshes(osb, network):
    grant = new_grant(osb, network, ACCOUNTS[network][:1])
    at(osb, days=59)
    answer = tokens(refresh(osb, network, grant["client"], grant["refresh_token"]), network)
    assert answer["refresh_token_expires_in"] == (365 - 59) * 86400, "counts down, not reset"
    at(osb, days=365)
    dead = refresh(osb, network, grant["client"], answer["refresh_token"])
    if network == "linkedin":
        assert dead.status_code == 400 and dead.json()["error"] == "invalid_grant"
    else:
        assert dead.json()["code"] == 40103, dead.text


def test_google_testing_consent_screen_kills_refresh_tokens_after_7_days(osb):
    grant = new_grant(osb, "youtube", ACCOUNTS["youtube"][:1], testing=True)
    at(osb, days=6)
    assert refresh(osb, "youtube", grant["client"], grant["refresh_token"]).status_code == 200
    at(osb, days=7)
    assert DEAD_REFRESH["youtube"](refresh(osb, "youtube", grant["client"], grant["refresh_token"]))


def test_a_linkedin_app_outside_the_marketing_developer_platform_gets_no_refresh_token(osb):
    grant = new_grant(osb, "linkedin", ACCOUNTS["linkedin"][:1], refresh_tokens=False)
    assert "refresh_token" not in grant and grant["expires_in"] == 60 * 86400
    assert grant["connection"]["password"] == grant["access_token"]


# --- Meta -------------------------------------------------------------------------------------
def meta_get(sandbox: Sandbox, network: str, path: str, **params: str) -> requests.Response:
    return requests.get(f"{sandbox.base_url(network)}/v25.0/{path}", params=params, timeout=10)


def test_meta_short_lived_user_token_is_exchanged_for_a_long_lived_one_and_page_tokens(osb):
    client = new_client(osb, "facebook_pages")
    pages = ACCOUNTS["facebook_pages"][:2]
    pair = f"{pages[0]}:{ACCOUNTS['instagram'][0]}"
    code = redirected(FLOWS["facebook_pages"].authorize(osb, client["client_id"], [pair, pages[1]]))
    short = tokens(exchange(osb, "facebook_pages", client, code["code"]), "facebook_pages")
    assert short["expires_in"] == 7200
    exchange_query = {
        "grant_type": "fb_exchange_token",
        "client_id": client["client_id"],
        "client_secret": client["client_secret"],
        "fb_exchange_token": short["access_token"],
    }
    long = meta_get(osb, "facebook_pages", "oauth/access_token", **exchange_query).json()
    assert long["expires_in"] == 5183944 and long["token_type"] == "bearer"
    fields = "id,name,access_token,instagram_business_account{id}"
    listed = meta_get(
        osb, "facebook_pages", "me/accounts", fields=fields, access_token=long["access_token"]
    ).json()["data"]
    assert [p["id"] for p in listed] == pages
    assert listed[0]["instagram_business_account"] == {"id": ACCOUNTS["instagram"][0]}
    assert "instagram_business_account" not in listed[1]
    page_token = listed[0]["access_token"]
    again = meta_get(
        osb, "facebook_pages", "me/accounts", fields=fields, access_token=long["access_token"]
    ).json()["data"]
    assert again[0]["access_token"] == page_token, "a long-lived user token's Page token is stable"
    app_token = f"{client['client_id']}|{client['client_secret']}"
    debug = meta_get(
        osb, "facebook_pages", "debug_token", input_token=page_token, access_token=app_token
    ).json()["data"]
    assert debug["type"] == "PAGE" and debug["expires_at"] == 0 and debug["is_valid"] is True
    assert debug["profile_id"] == pages[0] and debug["app_id"] == client["client_id"]
    # 61 days on: the short and the long-lived user tokens are dead, the Page token lives
    at(osb, days=61)
    assert EXPIRED["facebook_pages"](api(osb, "facebook_pages", pages[0], long["access_token"]))
    assert_ok(api(osb, "facebook_pages", pages[0], page_token), "facebook_pages")
    assert_ok(api(osb, "instagram", ACCOUNTS["instagram"][0], page_token), "instagram")
    user = meta_get(
        osb,
        "facebook_pages",
        "debug_token",
        input_token=long["access_token"],
        access_token=app_token,
    ).json()["data"]
    assert user["is_valid"] is False and user["error"]["subcode"] == 463 and user["type"] == "USER"
    stale = meta_get(osb, "facebook_pages", "oauth/access_token", **exchange_query)
    assert stale.status_code == 400 and stale.json()["error"]["error_subcode"] == 463


def test_meta_page_tokens_read_from_a_short_lived_user_token_last_an_hour(osb):
    client = new_client(osb, "facebook_pages")
    page = ACCOUNTS["facebook_pages"][0]
    code = redirected(FLOWS["facebook_pages"].authorize(osb, client["client_id"], [page]))
    short = tokens(exchange(osb, "facebook_pages", client, code["code"]), "facebook_pages")
    listed = meta_get(
        osb, "facebook_pages", "me/accounts", access_token=short["access_token"]
    ).json()["data"]
    at(osb, minutes=61)
    assert EXPIRED["facebook_pages"](api(osb, "facebook_pages", page, listed[0]["access_token"]))


def test_meta_has_no_refresh_grant_and_checks_the_code_exchange(osb):
    client = new_client(osb, "instagram")
    code = redirected(
        FLOWS["instagram"].authorize(osb, client["client_id"], ACCOUNTS["instagram"][:1])
    )
    moved = exchange(osb, "instagram", client, code["code"], redirect_uri="http://127.0.0.1:2/x")
    assert moved.status_code == 400 and moved.json()["error"]["error_subcode"] == 36008
    assert tokens(exchange(osb, "instagram", client, code["code"]), "instagram")["access_token"]
    used = exchange(osb, "instagram", client, code["code"])
    assert used.json()["error"]["error_subcode"] == 36009
    refused = meta_get(
        osb,
        "instagram",
        "oauth/access_token",
        grant_type="refresh_token",
        client_id=client["client_id"],
        client_secret=client["client_secret"],
    )
    assert refused.status_code == 400 and refused.json()["error"]["code"] == 100


def test_instagram_grant_lists_the_linked_page_and_its_token_reads_the_account(osb):
    account = ACCOUNTS["instagram"][1]
    grant = new_grant(osb, "instagram", [account])
    assert set(grant["page_tokens"]) == {account}
    assert grant["connection"]["password"] == grant["user_token"]
    listed = meta_get(
        osb,
        "instagram",
        "me/accounts",
        fields="id,instagram_business_account{id}",
        access_token=grant["user_token"],
    ).json()["data"]
    assert listed == [
        {"instagram_business_account": {"id": account}, "id": grant["pages"][0]["id"]}
    ]
    assert_ok(api(osb, "instagram", account, grant["page_tokens"][account]), "instagram")
    me = meta_get(osb, "instagram", "me", access_token=grant["user_token"]).json()
    assert me["id"].isdigit() and me["id"] != "0"


# --- scoping ----------------------------------------------------------------------------------
FORBIDDEN = {
    "facebook_pages": lambda r: r.status_code == 400 and r.json()["error"]["code"] == 10,
    "instagram": lambda r: r.status_code == 400 and r.json()["error"]["code"] == 10,
    "linkedin": lambda r: (
        r.status_code == 403
        and (r.json()["code"], r.json()["serviceErrorCode"]) == ("ACCESS_DENIED", 100)
    ),
    "youtube": lambda r: (
        r.status_code == 403 and r.json()["error"]["errors"][0]["reason"] == "forbidden"
    ),
    "tiktok": lambda r: r.status_code == 200 and r.json()["code"] == 40001,
}


@pytest.mark.parametrize("network", sorted(FORBIDDEN))
def test_a_token_reads_only_its_owners_accounts(osb, network):
    mine, other = ACCOUNTS[network][0], ACCOUNTS[network][1]
    grant = new_grant(osb, network, [mine])
    token = api_token(grant, network, mine)
    assert_ok(api(osb, network, mine, token), network)
    assert FORBIDDEN[network](api(osb, network, other, token)), api(osb, network, other, token).text
    if network in ("facebook_pages", "instagram"):
        user_token = grant["user_token"]
        assert_ok(api(osb, network, mine, user_token), network)
        assert FORBIDDEN[network](api(osb, network, other, user_token))
    # a token the sandbox never issued still reads every account
    assert_ok(api(osb, network, other, "sandbox-token"), network)


def test_x_user_token_sees_private_metrics_of_its_own_posts_only(osb):
    mine, other = ACCOUNTS["x"][0], ACCOUNTS["x"][1]
    grant = new_grant(osb, "x", [mine])
    bearer = {"Authorization": f"Bearer {grant['access_token']}"}
    params = {"max_results": "5", "tweet.fields": "public_metrics,non_public_metrics"}

    def timeline(user: str) -> dict[str, Any]:
        response = requests.get(
            f"{osb.base_url('x')}/2/users/{user}/tweets", params=params, headers=bearer
        )
        assert response.status_code == 200, response.text
        return response.json()

    own = timeline(mine)
    assert own["data"] and all("non_public_metrics" in t for t in own["data"])
    assert "errors" not in own
    theirs = timeline(other)
    assert theirs["data"] and all("non_public_metrics" not in t for t in theirs["data"])
    problems = theirs["errors"]
    assert {p["type"] for p in problems} == {
        "https://api.twitter.com/2/problems/not-authorized-for-field"
    }
    assert all("30 days" not in p["detail"] for p in problems), "refused for the owner, not age"
    me = requests.get(f"{osb.base_url('x')}/2/users/me", headers=bearer).json()
    assert me["data"]["id"] == mine
    app_only = requests.get(
        f"{osb.base_url('x')}/2/users/me", headers={"Authorization": "Bearer sandbox-token"}
    )
    assert app_only.status_code == 403 and "unsupported-authentication" in app_only.json()["type"]


def test_the_accounts_a_grant_can_see_are_listed_where_each_network_lists_them(osb):
    linkedin = new_grant(osb, "linkedin", ACCOUNTS["linkedin"][:2])
    acls = requests.get(
        f"{osb.base_url('linkedin')}/rest/organizationAcls",
        params={"q": "roleAssignee", "role": "ADMINISTRATOR", "state": "APPROVED"},
        headers={
            "Authorization": f"Bearer {linkedin['access_token']}",
            "LinkedIn-Version": "202611",
        },
    ).json()
    assert [e["organization"] for e in acls["elements"]] == [
        f"urn:li:organization:{org}" for org in ACCOUNTS["linkedin"][:2]
    ]
    assert {e["role"] for e in acls["elements"]} == {"ADMINISTRATOR"}
    youtube = new_grant(osb, "youtube", ACCOUNTS["youtube"][:1])
    channels = requests.get(
        f"{osb.base_url('youtube')}/youtube/v3/channels",
        params={"mine": "true", "part": "id,snippet"},
        headers={"Authorization": f"Bearer {youtube['access_token']}"},
    ).json()
    assert [c["id"] for c in channels["items"]] == ACCOUNTS["youtube"][:1]
    assert channels["items"][0]["snippet"]["title"]
    tiktok = new_grant(osb, "tiktok", ACCOUNTS["tiktok"][:1])
    info = requests.post(
        f"{osb.base_url('tiktok')}/open_api/v1.3/tt_user/token_info/get/",
        json={"app_id": tiktok["client_id"], "access_token": tiktok["access_token"]},
        timeout=10,
    ).json()
    assert info["code"] == 0 and info["data"]["creator_id"] == ACCOUNTS["tiktok"][0]
    assert tiktok["open_id"] == ACCOUNTS["tiktok"][0]


def test_linkedin_introspection_tells_active_expired_and_revoked(osb):
    grant = new_grant(osb, "linkedin", ACCOUNTS["linkedin"][:1])
    client = grant["client"]

    def introspect() -> dict[str, Any]:
        form = {
            "client_id": client["client_id"],
            "client_secret": client["client_secret"],
            "token": grant["access_token"],
        }
        return requests.post(
            f"{osb.base_url('linkedin')}/oauth/v2/introspectToken", data=form, timeout=10
        ).json()

    active = introspect()
    assert active["active"] is True and active["status"] == "active"
    assert active["expires_at"] == int((CLOCK + dt.timedelta(days=60)).timestamp())
    at(osb, days=61)
    assert introspect()["status"] == "expired"
    control(osb, "revoke", network="linkedin", grant=grant["grant"])
    revoked = introspect()
    assert revoked["status"] == "revoked" and revoked["active"] is False


# --- revocation -------------------------------------------------------------------------------
def revoke_at_the_network(sandbox: Sandbox, network: str, grant: dict[str, Any]) -> None:
    base, client = sandbox.base_url(network), grant["client"]
    if network == "x":
        response = requests.post(
            f"{base}/2/oauth2/revoke",
            data={"token": grant["refresh_token"], "token_type_hint": "refresh_token"},
            auth=(client["client_id"], client["client_secret"]),
            timeout=10,
        )
        assert response.json() == {"revoked": True}
    elif network == "youtube":
        response = requests.post(
            f"{base}/revoke", params={"token": grant["access_token"]}, timeout=10
        )
        assert response.status_code == 200
    elif network == "tiktok":
        body = {
            "client_id": client["client_id"],
            "client_secret": client["client_secret"],
            "access_token": grant["access_token"],
        }
        response = requests.post(
            f"{base}/open_api/v1.3/tt_user/oauth2/revoke/", json=body, timeout=10
        )
        assert response.json()["code"] == 0
    else:  # Meta and LinkedIn: the owner removes the app in their settings
        control(sandbox, "revoke", network=network, grant=grant["grant"])


@pytest.mark.parametrize("network", NETWORKS)
def test_revoking_kills_the_whole_grant(osb, network):
    account = ACCOUNTS[network][0]
    grant = new_grant(osb, network, [account])
    token = api_token(grant, network, account)
    assert_ok(api(osb, network, account, token), network)
    revoke_at_the_network(osb, network, grant)
    assert REVOKED[network](api(osb, network, account, token))
    if network in REFRESHING:
        assert DEAD_REFRESH[network](
            refresh(osb, network, grant["client"], grant["refresh_token"])
        ), "the refresh token dies with the grant"
    else:
        assert REVOKED[network](api(osb, network, account, grant["user_token"]))
    assert stats(osb, grant["grant"])["revoked"] is True


def test_revoke_control_takes_a_token_too_and_refuses_unknown_ones(osb):
    grant = new_grant(osb, "tiktok", ACCOUNTS["tiktok"][:1])
    assert control(osb, "revoke", network="tiktok", token=grant["refresh_token"]) == {
        "revoked": grant["grant"]
    }
    unknown = requests.post(
        f"{osb.url}/_sandbox/oauth/revoke", json={"network": "tiktok", "grant": "nope"}, timeout=10
    )
    assert unknown.status_code == 404
    bad = requests.post(
        f"{osb.url}/_sandbox/oauth/clients", json={"network": "myspace"}, timeout=10
    )
    assert bad.status_code == 400 and "network must be one of" in bad.json()["error"]


def test_a_token_of_another_network_or_a_refresh_token_is_no_access_token(osb):
    x = new_grant(osb, "x", ACCOUNTS["x"][:1])
    assert api(osb, "linkedin", ACCOUNTS["linkedin"][0], x["access_token"]).json()["code"] == (
        "INVALID_ACCESS_TOKEN"
    )
    assert api(osb, "x", ACCOUNTS["x"][0], x["refresh_token"]).status_code == 401


# --- control endpoints and the request log -----------------------------------------------------
def test_control_grants_come_with_a_ready_airflow_connection(osb):
    grant = new_grant(osb, "tiktok", ACCOUNTS["tiktok"][:1])
    connection = grant["connection"]
    base = osb.base_url("tiktok")
    assert connection["host"] == base and connection["login"] == grant["client_id"]
    assert connection["password"] == grant["client"]["client_secret"]
    assert connection["extra"] == {
        "refresh_token": grant["refresh_token"],
        "authorize_url": f"{base}/v2/auth/authorize/",
        "token_url": f"{base}/open_api/v1.3/tt_user/oauth2/token/",
        "refresh_url": f"{base}/open_api/v1.3/tt_user/oauth2/refresh_token/",
    }


def test_the_request_log_never_holds_a_token_code_verifier_or_secret(osb):
    secrets_seen: list[str] = []
    for network in NETWORKS:
        client = new_client(osb, network)
        verifier, challenge = pkce()
        query = redirected(
            FLOWS[network].authorize(
                osb,
                client["client_id"],
                ACCOUNTS[network][:1],
                code_challenge=challenge,
                code_challenge_method="S256",
            )
        )
        answer = tokens(
            exchange(osb, network, client, query["code"], code_verifier=verifier), network
        )
        secrets_seen += [client["client_secret"], query["code"], verifier, answer["access_token"]]
        if "refresh_token" in answer:
            secrets_seen.append(answer["refresh_token"])
            refreshed = tokens(refresh(osb, network, client, answer["refresh_token"]), network)
            secrets_seen.append(refreshed["access_token"])
        if network in ("facebook_pages", "instagram"):
            listed = meta_get(
                osb, network, "me/accounts", access_token=answer["access_token"]
            ).json()["data"]
            secrets_seen += [p["access_token"] for p in listed]
    log = json.dumps(requests.get(f"{osb.url}/_sandbox/requests", timeout=10).json())
    assert len(json.loads(log)["requests"]) >= 6 * 2
    leaked = [s for s in secrets_seen if s in log]
    assert not leaked, f"{len(leaked)} secret(s) in the request log"
    assert "[redacted]" in log, "the log still says which credential parameters came"
