"""Fidelity of FakeGoogle's OAuth 2.0 endpoints, driven by google-auth-oauthlib and google-auth."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import aiohttp
import pytest
from google.auth.exceptions import RefreshError
from google.auth.transport.requests import Request as AuthRequest
from google.oauth2 import id_token
from oauthlib.oauth2.rfc6749.errors import InvalidGrantError  # type: ignore[import-untyped]

from bot.clock import ManualClock
from tests.fakes.google import FakeGoogle
from tests.unit.fake_google_support import (
    CALENDAR,
    CLIENT_ID,
    CLIENT_SECRET,
    EMAIL,
    PROFILE,
    REDIRECT_URI,
    SCOPES,
    browse,
    connect,
    consent_url,
    credentials,
    new_flow,
)


async def test_consent_url_with_pkce_redirects_with_code_state_and_scope(
    google: FakeGoogle,
) -> None:
    alice = google.add_account("alice@example.com", name="Alice")
    google.set_consent(alice)
    flow = new_flow(google)
    url = consent_url(flow)
    assert "code_challenge_method=S256" in url
    redirect = await browse(url)
    assert redirect.status == 302
    assert redirect.location is not None
    assert redirect.location.startswith(REDIRECT_URI + "?")
    params = redirect.params
    assert set(params["scope"].split()) == set(SCOPES)
    token = await asyncio.to_thread(flow.fetch_token, code=params["code"])
    assert token["token_type"] == "Bearer"
    assert token["expires_in"] == 3599
    assert token["refresh_token"]
    claims = await asyncio.to_thread(
        id_token.verify_token,
        token["id_token"],
        AuthRequest(),
        audience=CLIENT_ID,
        certs_url=google.certs_uri,
    )
    assert claims["email"] == "alice@example.com"
    assert claims["email_verified"] is True
    assert claims["iss"] == "https://accounts.google.com"


async def test_unknown_client_and_unregistered_redirect_show_error_pages(
    google: FakeGoogle,
) -> None:
    google.set_consent(google.add_account("a@example.com"))
    flow = new_flow(google)
    url = consent_url(flow)
    bad_client = await browse(url.replace(CLIENT_ID, "someone-else"))
    assert (bad_client.status, bad_client.location) == (401, None)
    assert "invalid_client" in bad_client.text
    bad_redirect = await browse(url.replace("8080", "9999"))
    assert (bad_redirect.status, bad_redirect.location) == (400, None)
    assert "redirect_uri_mismatch" in bad_redirect.text


async def test_denied_consent_redirects_with_access_denied_and_state(google: FakeGoogle) -> None:
    google.set_consent(google.add_account("a@example.com"), deny=True)
    flow = new_flow(google)
    url, state = flow.authorization_url(access_type="offline", prompt="consent")
    redirect = await browse(str(url))
    assert redirect.params == {"error": "access_denied", "state": state}


async def test_granular_consent_grants_a_subset_and_oauthlib_notices(
    google: FakeGoogle, monkeypatch: pytest.MonkeyPatch
) -> None:
    google.set_consent(google.add_account("a@example.com"), grant={"openid", "email"})
    flow = new_flow(google)
    redirect = await browse(consent_url(flow))
    assert set(redirect.params["scope"].split()) == {"openid", EMAIL}
    with pytest.raises(Warning, match="Scope has changed"):
        await asyncio.to_thread(flow.fetch_token, code=redirect.params["code"])

    monkeypatch.setenv("OAUTHLIB_RELAX_TOKEN_SCOPE", "1")
    token = await connect(google)
    assert CALENDAR not in token["scope"]


async def test_code_is_single_use_and_reuse_revokes_what_it_issued(google: FakeGoogle) -> None:
    google.set_consent(google.add_account("a@example.com"))
    flow = new_flow(google)
    redirect = await browse(consent_url(flow))
    code = redirect.params["code"]
    token = await asyncio.to_thread(flow.fetch_token, code=code)
    with pytest.raises(InvalidGrantError):
        await asyncio.to_thread(flow.fetch_token, code=code)
    creds = credentials(google, token)
    with pytest.raises(RefreshError, match="invalid_grant"):
        await asyncio.to_thread(creds.refresh, AuthRequest())


async def test_code_expires_after_ten_minutes(google: FakeGoogle, wall_clock: ManualClock) -> None:
    google.set_consent(google.add_account("a@example.com"))
    flow = new_flow(google)
    redirect = await browse(consent_url(flow))
    wall_clock.advance(timedelta(minutes=10))
    with pytest.raises(InvalidGrantError):
        await asyncio.to_thread(flow.fetch_token, code=redirect.params["code"])


async def test_wrong_pkce_verifier_and_wrong_client_secret_are_refused(
    google: FakeGoogle,
) -> None:
    google.set_consent(google.add_account("a@example.com"))
    flow = new_flow(google)
    redirect = await browse(consent_url(flow))
    other = new_flow(google)  # no code_verifier: it is made by authorization_url()
    with pytest.raises(InvalidGrantError, match="Missing code verifier"):
        await asyncio.to_thread(other.fetch_token, code=redirect.params["code"])
    other.code_verifier = "x" * 43
    with pytest.raises(InvalidGrantError, match="Invalid code verifier"):
        await asyncio.to_thread(other.fetch_token, code=redirect.params["code"])
    form = {
        "grant_type": "authorization_code",
        "code": redirect.params["code"],
        "redirect_uri": REDIRECT_URI,
        "code_verifier": str(flow.code_verifier),
    }
    async with aiohttp.ClientSession() as session:
        bad = {"Authorization": aiohttp.encode_basic_auth(CLIENT_ID, "wrong")}
        async with session.post(google.token_uri, data=form, headers=bad) as response:
            assert response.status == 401
            assert (await response.json())["error"] == "invalid_client"
        form["redirect_uri"] = "http://127.0.0.1:8080/elsewhere"
        good = {"Authorization": aiohttp.encode_basic_auth(CLIENT_ID, CLIENT_SECRET)}
        async with session.post(google.token_uri, data=form, headers=good) as response:
            assert response.status == 400
            assert (await response.json())["error"] == "redirect_uri_mismatch"


async def test_refresh_token_only_when_consent_was_shown(google: FakeGoogle) -> None:
    google.set_consent(google.add_account("a@example.com"))
    first = await connect(google, prompt="select_account")
    assert "refresh_token" in first
    again = await connect(google, prompt="select_account")
    assert "refresh_token" not in again
    forced = await connect(google, prompt="consent")
    assert "refresh_token" in forced


async def test_include_granted_scopes_adds_earlier_grants(google: FakeGoogle) -> None:
    google.set_consent(google.add_account("a@example.com"))
    flow = new_flow(google, ["openid", EMAIL])
    await browse(consent_url(flow))
    calendar_only = new_flow(google, [CALENDAR])
    redirect = await browse(consent_url(calendar_only))
    assert set(redirect.params["scope"].split()) == {"openid", EMAIL, CALENDAR}
    separate = new_flow(google, [CALENDAR])
    redirect = await browse(consent_url(separate, include_granted_scopes="false"))
    assert redirect.params["scope"] == CALENDAR


async def test_refresh_with_google_auth_and_testing_mode_expiry(
    google: FakeGoogle, wall_clock: ManualClock
) -> None:
    google.testing_mode = True
    google.set_consent(google.add_account("a@example.com"))
    token = await connect(google)
    creds = credentials(google, token)
    request = AuthRequest()
    await asyncio.to_thread(creds.refresh, request)
    assert creds.token != token["access_token"]
    wall_clock.advance(timedelta(days=7))
    with pytest.raises(RefreshError, match="Token has been expired or revoked"):
        await asyncio.to_thread(creds.refresh, request)


async def test_revoke_kills_the_grant_and_unknown_token_is_invalid(google: FakeGoogle) -> None:
    google.set_consent(google.add_account("a@example.com"))
    token = await connect(google)
    async with aiohttp.ClientSession() as session:
        form = {"token": token["access_token"]}
        async with session.post(google.revoke_uri, data=form) as response:
            assert response.status == 200
        async with session.post(google.revoke_uri, data=form) as response:
            assert response.status == 400
            assert await response.json() == {
                "error": "invalid_token",
                "error_description": "Token expired or revoked",
            }
    creds = credentials(google, token)
    with pytest.raises(RefreshError, match="invalid_grant"):
        await asyncio.to_thread(creds.refresh, AuthRequest())


async def test_userinfo_and_account_removal(google: FakeGoogle) -> None:
    alice = google.add_account("alice@example.com", name="Alice")
    google.set_consent(alice)
    token = await connect(google, ["openid", EMAIL, PROFILE])
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    async with aiohttp.ClientSession() as session:
        async with session.get(google.userinfo_uri, headers=headers) as response:
            info = await response.json()
        assert (info["email"], info["name"]) == ("alice@example.com", "Alice")
        google.revoke_account(alice)
        async with session.get(google.userinfo_uri, headers=headers) as response:
            assert response.status == 401


async def test_injected_token_endpoint_failure(google: FakeGoogle) -> None:
    google.set_consent(google.add_account("a@example.com"))
    token = await connect(google)
    google.fail_next("oauth.token", 400, reason="invalid_request")
    creds = credentials(google, token)
    with pytest.raises(RefreshError, match="invalid_request"):
        await asyncio.to_thread(creds.refresh, AuthRequest())
    assert google.calls_of("oauth.token")[-1].status == 400
    # google-auth retries a token endpoint 5xx by itself; one injected 503 goes unnoticed.
    google.fail_next("oauth.token", 503)
    await asyncio.to_thread(creds.refresh, AuthRequest())
    assert [c.status for c in google.calls_of("oauth.token")][-2:] == [503, 200]
