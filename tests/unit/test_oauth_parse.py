"""Token endpoint answers as the networks send them (shapes from their docs, SDK fixtures and the
issues users hit): a token set, or the error they mean, never echoing a token."""

from __future__ import annotations

import datetime as dt

import pytest

from social_warehouse.connector.auth import (
    GrantRevokedError,
    authorize_url,
    parse_token_answer,
    pkce_pair,
)
from social_warehouse.errors import ApiError, TransientApiError
from social_warehouse.networks import catalog

NOW = dt.datetime(2026, 11, 21, 12, tzinfo=dt.UTC)


def lifecycle(network: str):
    spec = catalog.get(network)
    assert spec.token_lifecycle is not None
    return spec.token_lifecycle


def parse(network: str, status: int, answer):
    return parse_token_answer(lifecycle(network), network, "g1", status, answer, NOW)


def test_google_refresh_keeps_no_new_refresh_token_and_reads_expires_in():
    tokens = parse(
        "youtube",
        200,
        {
            "access_token": "ya29.a0AfB",
            "expires_in": 3599,
            "scope": "https://www.googleapis.com/auth/youtube.readonly",
            "token_type": "Bearer",
        },
    )
    assert tokens.access_expires_at == NOW + dt.timedelta(seconds=3599)
    assert tokens.refresh_token is None


def test_x_rotates_and_a_spent_refresh_token_is_a_revoked_grant():
    tokens = parse(
        "x",
        200,
        {
            "token_type": "bearer",
            "expires_in": 7200,
            "access_token": "dXNlcg",
            "scope": "tweet.read users.read offline.access",
            "refresh_token": "bWVudA",
        },
    )
    assert tokens.refresh_token == "bWVudA"
    with pytest.raises(GrantRevokedError) as caught:
        parse(
            "x",
            400,
            {
                "error": "invalid_request",
                "error_description": "Value passed for the token was invalid.",
            },
        )
    assert "g1" in str(caught.value) and "Value passed for the token was invalid" in str(
        caught.value
    )


def test_linkedin_answers_the_fixed_refresh_lifetime():
    tokens = parse(
        "linkedin",
        200,
        {
            "access_token": "AQV",
            "expires_in": 5184000,
            "refresh_token": "AQW",
            "refresh_token_expires_in": 26438400,
            "scope": "r_organization_social,rw_organization_admin",
        },
    )
    assert tokens.refresh_expires_at == NOW + dt.timedelta(seconds=26438400)
    with pytest.raises(GrantRevokedError):
        parse("linkedin", 400, {"error": "invalid_grant", "error_description": "Token has expired"})


def test_tiktok_envelope_tokens_and_codes():
    tokens = parse(
        "tiktok",
        200,
        {
            "code": 0,
            "message": "ok",
            "request_id": "2022062713480201022401300000000",
            "data": {
                "access_token": "act.exampleAccessToken",
                "expires_in": 86400,
                "open_id": "_000exampleOpenId",
                "refresh_token": "rft.exampleRefreshToken",
                "refresh_token_expires_in": 31527314,
                "scope": "user.info.basic,video.list",
                "token_type": "Bearer",
            },
        },
    )
    assert tokens.extra["open_id"] == "_000exampleOpenId"
    assert tokens.refresh_expires_at == NOW + dt.timedelta(seconds=31527314)
    for code in (40103, 40107):
        with pytest.raises(GrantRevokedError):
            parse("tiktok", 200, {"code": code, "message": "refresh token invalid", "data": {}})
    with pytest.raises(TransientApiError):
        parse("tiktok", 200, {"code": 40100, "message": "Too many requests", "data": {}})


def test_meta_exchange_and_an_expired_session():
    tokens = parse(
        "facebook_pages",
        200,
        {"access_token": "EAAG", "token_type": "bearer", "expires_in": 5183944},
    )
    assert tokens.access_expires_at == NOW + dt.timedelta(seconds=5183944)
    with pytest.raises(GrantRevokedError) as caught:
        parse(
            "facebook_pages",
            400,
            {
                "error": {
                    "message": "Error validating access token: Session has expired",
                    "type": "OAuthException",
                    "code": 190,
                    "error_subcode": 463,
                }
            },
        )
    assert caught.value.code == 190


def test_server_errors_are_transient_and_a_missing_token_is_an_error():
    with pytest.raises(TransientApiError):
        parse("youtube", 503, None)
    with pytest.raises(ApiError):
        parse("youtube", 200, {"token_type": "Bearer"})


def test_pkce_and_the_authorize_url():
    verifier, challenge = pkce_pair()
    assert 43 <= len(verifier) <= 128 and "=" not in challenge
    url = authorize_url(
        lifecycle("x"),
        url="https://x.com/i/oauth2/authorize",
        client_id="cid",
        redirect_uri="http://127.0.0.1:8765/callback",
        state="s1",
        code_challenge=challenge,
    )
    assert "code_challenge_method=S256" in url and "client_id=cid" in url
    assert "scope=tweet.read+users.read+offline.access" in url
    tiktok = authorize_url(
        lifecycle("tiktok"),
        url="https://www.tiktok.com/v2/auth/authorize/",
        client_id="ck",
        redirect_uri="http://127.0.0.1/cb",
        state="s",
    )
    assert "client_key=ck" in tiktok
