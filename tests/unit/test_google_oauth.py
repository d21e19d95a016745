"""GoogleOAuth against the FakeGoogle emulator over HTTP: consent URL, exchange, revoke."""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import socket
from collections.abc import AsyncIterator
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from bot.clock import ManualClock
from bot.config import Settings
from bot.crypto import generate_key
from bot.google import scopes
from bot.google.calendar import GoogleCalendar, calendar_api
from bot.google.errors import (
    AuthRevoked,
    BadRequest,
    GoogleError,
    InvalidClient,
    RateLimited,
    Transient,
)
from bot.google.oauth import (
    ConsentStart,
    GoogleOAuth,
    GrantedTokens,
    id_token_claims,
    is_loopback,
)
from bot.google.scopes import missing_features
from tests.fakes.google import FakeGoogle
from tests.unit.fake_google_support import browse

CLIENT_ID = "1234-bookbot.apps.googleusercontent.com"
CLIENT_SECRET = "GOCSPX-emulated"
REDIRECT_URI = "http://127.0.0.1:8080/oauth2/callback"
OAUTHLIB_SWITCHES = ("OAUTHLIB_INSECURE_TRANSPORT", "OAUTHLIB_RELAX_TOKEN_SCOPE")


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No oauthlib switches at the start; whatever the code sets is undone afterwards."""
    for name in OAUTHLIB_SWITCHES:
        monkeypatch.setenv(name, "placeholder")
        monkeypatch.delenv(name)


@pytest.fixture
async def google(clock: ManualClock, clean_env: None) -> AsyncIterator[FakeGoogle]:
    async with FakeGoogle(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, clock=clock) as fake:
        fake.register_redirect_uri(REDIRECT_URI)
        yield fake


def make_oauth(google: FakeGoogle, clock: ManualClock, **overrides: object) -> GoogleOAuth:
    """GoogleOAuth aimed at the emulator."""
    options: dict[str, object] = {
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "auth_uri": google.auth_uri,
        "token_uri": google.token_uri,
        "revoke_uri": google.revoke_uri,
        "redirect_uri": REDIRECT_URI,
        "clock": clock,
    }
    options.update(overrides)
    return GoogleOAuth(**options)  # type: ignore[arg-type]


async def consent(oauth: GoogleOAuth, state: str = "state-123") -> tuple[str, ConsentStart]:
    """The browser opens the consent URL; read code and state off the redirect."""
    start = oauth.start_consent(state)
    redirect = await browse(start.url)
    assert redirect.status == 302
    assert redirect.location is not None
    assert redirect.location.startswith(REDIRECT_URI + "?")
    assert redirect.params["state"] == state
    return redirect.params["code"], start


def free_port() -> int:
    """A local port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_consent_url_carries_pkce_s256_offline_consent_and_state(
    google: FakeGoogle, clock: ManualClock
) -> None:
    start = make_oauth(google, clock).start_consent("opaque-state")
    parts = urlsplit(start.url)
    assert start.url.startswith(google.auth_uri + "?")
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert query["response_type"] == "code"
    assert query["client_id"] == CLIENT_ID
    assert query["redirect_uri"] == REDIRECT_URI
    assert query["state"] == "opaque-state"
    assert query["access_type"] == "offline"
    assert query["prompt"] == "consent"
    assert query["include_granted_scopes"] == "true"
    assert set(query["scope"].split()) == set(scopes.REQUESTED)
    assert query["code_challenge_method"] == "S256"
    digest = hashlib.sha256(start.code_verifier.encode()).digest()
    assert query["code_challenge"] == base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    assert 43 <= len(start.code_verifier) <= 128
    other = make_oauth(google, clock).start_consent("opaque-state")
    assert other.code_verifier != start.code_verifier


async def test_full_round_trip_gives_tokens_email_scopes_and_expiry(
    google: FakeGoogle, clock: ManualClock
) -> None:
    alice = google.add_account("alice@example.com", name="Alice")
    google.set_consent(alice)
    oauth = make_oauth(google, clock)
    code, start = await consent(oauth)
    tokens = await oauth.exchange(code, start.code_verifier)
    assert tokens.email == "alice@example.com"
    assert tokens.refresh_token is not None
    assert tokens.access_token
    assert tokens.scopes == frozenset(scopes.REQUESTED)
    assert tokens.expiry == clock.now() + timedelta(seconds=3599)
    assert missing_features(tokens.scopes) == []
    assert GrantedTokens.from_json(tokens.to_json()) == tokens


async def test_granular_consent_returns_fewer_scopes_and_names_what_is_missing(
    google: FakeGoogle, clock: ManualClock
) -> None:
    bob = google.add_account("bob@example.com")
    google.set_consent(bob, grant=[scopes.EVENTS])
    oauth = make_oauth(google, clock)
    code, start = await consent(oauth)
    tokens = await oauth.exchange(code, start.code_verifier)
    assert tokens.scopes == frozenset({scopes.OPENID, scopes.EMAIL, scopes.EVENTS})
    assert tokens.email == "bob@example.com"
    missing = missing_features(tokens.scopes)
    assert missing == [
        "see when you are busy in Google Calendar",
        "list your calendars so you can choose which ones to use",
        "create a separate calendar just for bookings",
    ]


async def test_reused_code_is_refused(google: FakeGoogle, clock: ManualClock) -> None:
    alice = google.add_account("alice@example.com")
    google.set_consent(alice)
    oauth = make_oauth(google, clock)
    code, start = await consent(oauth)
    await oauth.exchange(code, start.code_verifier)
    with pytest.raises(AuthRevoked) as caught:
        await oauth.exchange(code, start.code_verifier)
    assert caught.value.reason == "invalid_grant"
    assert code not in str(caught.value)


async def test_wrong_code_verifier_is_refused(google: FakeGoogle, clock: ManualClock) -> None:
    alice = google.add_account("alice@example.com")
    google.set_consent(alice)
    oauth = make_oauth(google, clock)
    code, _start = await consent(oauth)
    other = oauth.start_consent("another-state")
    with pytest.raises(AuthRevoked, match="Invalid code verifier"):
        await oauth.exchange(code, other.code_verifier)


async def test_wrong_client_secret_is_invalid_client(
    google: FakeGoogle, clock: ManualClock
) -> None:
    alice = google.add_account("alice@example.com")
    google.set_consent(alice)
    code, start = await consent(make_oauth(google, clock))
    wrong = make_oauth(google, clock, client_secret="not-the-secret")
    with pytest.raises(InvalidClient):
        await wrong.exchange(code, start.code_verifier)


async def test_token_endpoint_failures_map_to_transient_and_rate_limited(
    google: FakeGoogle, clock: ManualClock
) -> None:
    alice = google.add_account("alice@example.com")
    google.set_consent(alice)
    oauth = make_oauth(google, clock)
    code, start = await consent(oauth)
    google.fail_next("oauth.token", 503, retry_after=3)
    with pytest.raises(Transient) as transient:
        await oauth.exchange(code, start.code_verifier)
    assert transient.value.retry_after == 3.0
    google.fail_next("oauth.token", 429, retry_after=12)
    with pytest.raises(RateLimited) as limited:
        await oauth.exchange(code, start.code_verifier)
    assert limited.value.retry_after == 12.0
    tokens = await oauth.exchange(code, start.code_verifier)  # the code was never spent
    assert tokens.email == "alice@example.com"


async def test_unreachable_token_endpoint_is_transient(
    google: FakeGoogle, clock: ManualClock
) -> None:
    oauth = make_oauth(google, clock, token_uri=f"http://127.0.0.1:{free_port()}/token")
    with pytest.raises(Transient):
        await oauth.exchange("4/0Acode", "v" * 64)


async def test_email_falls_back_to_the_primary_calendar_id(
    google: FakeGoogle, clock: ManualClock
) -> None:
    carol = google.add_account("carol@example.com")
    google.set_consent(carol)

    async def ignore(tokens: GrantedTokens) -> None:
        return None

    calendar = GoogleCalendar(
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        token_uri=google.token_uri,
        api_root_url=google.api_root_url,
        clock=clock,
        on_refresh=ignore,
    )
    try:
        oauth = make_oauth(
            google,
            clock,
            scopes=[scopes.EVENTS, scopes.CALENDAR_LIST],
            email_lookup=calendar.primary_calendar_id,
        )
        code, start = await consent(oauth)
        tokens = await oauth.exchange(code, start.code_verifier)
    finally:
        await calendar.close()
    assert tokens.email == "carol@example.com"
    assert scopes.OPENID not in tokens.scopes


async def test_no_email_and_no_lookup_is_an_error(google: FakeGoogle, clock: ManualClock) -> None:
    carol = google.add_account("carol@example.com")
    google.set_consent(carol)
    oauth = make_oauth(google, clock, scopes=[scopes.EVENTS])
    code, start = await consent(oauth)
    with pytest.raises(GoogleError, match="e-mail"):
        await oauth.exchange(code, start.code_verifier)


async def test_revoke_ends_the_grant_and_a_second_revoke_is_fine(
    google: FakeGoogle, clock: ManualClock
) -> None:
    alice = google.add_account("alice@example.com")
    google.set_consent(alice)
    oauth = make_oauth(google, clock)
    code, start = await consent(oauth)
    tokens = await oauth.exchange(code, start.code_verifier)
    assert tokens.refresh_token is not None
    await oauth.revoke(tokens.refresh_token)
    await oauth.revoke(tokens.refresh_token)  # already revoked: 400 invalid_token, done
    assert [c.status for c in google.calls_of("oauth.revoke")] == [200, 400]
    google.fail_next("oauth.revoke", 503)
    with pytest.raises(Transient):
        await oauth.revoke(tokens.access_token)


def test_plain_http_only_on_loopback(clean_env: None, clock: ManualClock) -> None:
    def build(base: str) -> GoogleOAuth:
        return GoogleOAuth(
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            auth_uri=base + "/auth",
            token_uri=base + "/token",
            revoke_uri=base + "/revoke",
            redirect_uri=REDIRECT_URI,
            clock=clock,
        )

    with pytest.raises(ValueError, match="https"):
        build("http://oauth.example.com")
    build("https://oauth2.googleapis.com")
    assert "OAUTHLIB_INSECURE_TRANSPORT" not in os.environ
    assert os.environ["OAUTHLIB_RELAX_TOKEN_SCOPE"] == "1"
    build("http://127.0.0.1:9999")
    assert os.environ["OAUTHLIB_INSECURE_TRANSPORT"] == "1"
    assert is_loopback("http://localhost:1/x")
    assert is_loopback("http://[::1]:8080/")
    assert is_loopback("http://127.0.0.2/")
    assert not is_loopback("http://127.0.0.1.example.com/")
    assert not is_loopback("http://10.0.0.1/")


async def test_from_settings_builds_a_working_client(
    google: FakeGoogle, clock: ManualClock
) -> None:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        google_client_id=CLIENT_ID,
        google_client_secret=CLIENT_SECRET,  # type: ignore[arg-type]
        token_encryption_key=generate_key(),  # type: ignore[arg-type]
        public_base_url="http://127.0.0.1:8080",
        google_oauth_auth_uri=google.auth_uri,
        google_oauth_token_uri=google.token_uri,
        google_oauth_revoke_uri=google.revoke_uri,
        google_api_root_url=google.api_root_url,
    )
    alice = google.add_account("alice@example.com")
    google.set_consent(alice)
    oauth = GoogleOAuth.from_settings(settings, clock=clock)
    code, start = await consent(oauth)
    assert (await oauth.exchange(code, start.code_verifier)).email == "alice@example.com"


def test_id_token_claims_rejects_garbage() -> None:
    with pytest.raises(BadRequest):
        id_token_claims("not-a-jwt")
    payload = base64.urlsafe_b64encode(json.dumps({"aud": "x"}).encode()).rstrip(b"=")
    assert id_token_claims(f"e30.{payload.decode()}.sig") == {"aud": "x"}


async def test_tokens_never_reach_repr_str_or_logs(
    google: FakeGoogle, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    alice = google.add_account("alice@example.com")
    google.set_consent(alice)
    oauth = make_oauth(google, clock)
    code, start = await consent(oauth)
    tokens = await oauth.exchange(code, start.code_verifier)
    refreshed: list[GrantedTokens] = []

    async def keep(new: GrantedTokens) -> None:
        refreshed.append(new)

    calendar = GoogleCalendar(
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        token_uri=google.token_uri,
        api_root_url=google.api_root_url,
        clock=clock,
        on_refresh=keep,
    )
    try:
        google.expire_access_tokens()
        await calendar.list_calendars(tokens)
        google.revoke_account(alice)
        with pytest.raises(AuthRevoked) as revoked:
            await calendar.list_calendars(tokens)
    finally:
        await calendar.close()
    assert refreshed
    secrets = [
        tokens.access_token,
        tokens.refresh_token or "missing",
        refreshed[0].access_token,
        start.code_verifier,
        CLIENT_SECRET,
    ]
    shown = [
        repr(tokens),
        str(tokens),
        repr(refreshed[0]),
        repr(start),
        str(start),
        repr(oauth),
        repr(calendar),
        str(revoked.value),
        repr(revoked.value),
        caplog.text,
    ]
    assert "alice@example.com" in repr(tokens)
    for secret in secrets:
        for text in shown:
            assert secret not in text


def test_scope_aliases_are_normalised() -> None:
    assert scopes.normalize("openid email profile") == {
        scopes.OPENID,
        scopes.EMAIL,
        scopes.PROFILE,
    }
    assert missing_features(["email", scopes.CALENDAR]) == []
    assert missing_features([]) == [f.description for f in scopes.FEATURES]


def test_every_feature_scope_is_accepted_by_the_method_it_enables() -> None:
    doc = calendar_api("https://www.googleapis.com/").discovery_document
    methods = {
        "add your bookings to your Google Calendar": ("events", "insert"),
        "see when you are busy in Google Calendar": ("freebusy", "query"),
        "list your calendars so you can choose which ones to use": ("calendarList", "list"),
        "create a separate calendar just for bookings": ("calendars", "insert"),
    }
    for feature in scopes.FEATURES:
        if feature.description not in methods:
            continue
        resource, method = methods[feature.description]
        accepted = set(doc["resources"][resource]["methods"][method]["scopes"])
        assert feature.enabled_by <= accepted, feature.description
    requested_calendar = set(scopes.REQUESTED) - {scopes.OPENID, scopes.EMAIL}
    assert requested_calendar <= set(doc["auth"]["oauth2"]["scopes"])
