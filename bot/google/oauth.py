"""Google OAuth 2.0 for staff accounts: consent URL (state + PKCE), code exchange, revocation.

Built on google-auth-oauthlib's ``Flow`` (requests + oauthlib underneath):
- PKCE S256 is on by default: ``start_consent`` returns the generated ``code_verifier``, which
  the caller stores server-side with the state and hands back to ``exchange``;
- granular consent may grant fewer scopes than asked: oauthlib is told not to raise on a scope
  change (``OAUTHLIB_RELAX_TOKEN_SCOPE``) and the granted scopes are read from the response;
- oauthlib refuses plain-http endpoints unless ``OAUTHLIB_INSECURE_TRANSPORT`` is set: it is set
  only when the configured endpoints are on a loopback host (an emulator), and a plain-http
  public endpoint is refused outright at construction;
- requests-oauthlib logs whole token responses at DEBUG: its loggers are held at INFO.
Errors come out as :mod:`bot.google.errors`.
"""

from __future__ import annotations

import asyncio
import base64
import ipaddress
import json
import logging
import os
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import aiohttp
import requests
from google_auth_oauthlib.flow import Flow
from oauthlib.oauth2.rfc6749.errors import OAuth2Error  # type: ignore[import-untyped]

from bot.clock import Clock
from bot.google import scopes as scope_names
from bot.google.errors import BadRequest, GoogleError, Transient, from_http

if TYPE_CHECKING:
    from bot.config import Settings

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 30.0
_LIBRARY_LOGGERS = ("requests_oauthlib", "oauthlib")

EmailLookup = Callable[["GrantedTokens"], Awaitable[str]]
"""Finds the account's e-mail when the id_token has none (the primary calendar's id)."""


@dataclass(frozen=True, slots=True)
class ConsentStart:
    """A consent URL and the PKCE verifier to keep server-side with its state."""

    url: str
    code_verifier: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class GrantedTokens:
    """One account's tokens and what they allow; the repr never shows a token."""

    access_token: str = field(repr=False)
    refresh_token: str | None = field(repr=False)
    expiry: datetime
    scopes: frozenset[str]
    email: str

    def __post_init__(self) -> None:
        if self.expiry.tzinfo is None or self.expiry.utcoffset() is None:
            raise ValueError("GrantedTokens.expiry must be an aware datetime")
        object.__setattr__(self, "expiry", self.expiry.astimezone(UTC))
        object.__setattr__(self, "scopes", frozenset(self.scopes))

    def expires_within(self, now: datetime, margin: timedelta) -> bool:
        """Whether the access token is expired or expires within `margin` of `now`."""
        return self.expiry - now <= margin

    def to_json(self) -> str:
        """Serialise for encrypted storage."""
        return json.dumps(
            {
                "v": 1,
                "access_token": self.access_token,
                "refresh_token": self.refresh_token,
                "expiry": self.expiry.isoformat(),
                "scopes": sorted(self.scopes),
                "email": self.email,
            }
        )

    @classmethod
    def from_json(cls, text: str | bytes) -> GrantedTokens:
        """The inverse of `to_json`; ValueError on anything else."""
        try:
            data = json.loads(text)
            refresh = data["refresh_token"]
            return cls(
                access_token=str(data["access_token"]),
                refresh_token=None if refresh is None else str(refresh),
                expiry=datetime.fromisoformat(data["expiry"]),
                scopes=frozenset(str(s) for s in data["scopes"]),
                email=str(data["email"]),
            )
        except (ValueError, KeyError, TypeError) as err:
            raise ValueError("stored Google tokens are malformed") from err


def is_loopback(uri: str) -> bool:
    """Whether the URI's host is a loopback address (127.0.0.0/8, ::1, localhost)."""
    host = urlsplit(uri).hostname
    if host is None:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_transport(uris: Mapping[str, str]) -> bool:
    """True if a loopback endpoint is plain http; ValueError for a plain-http public one."""
    insecure = False
    for name, uri in uris.items():
        scheme = urlsplit(uri).scheme
        if scheme == "https":
            continue
        if scheme == "http" and is_loopback(uri):
            insecure = True
            continue
        raise ValueError(f"{name} must be an https URL (plain http only on a loopback host)")
    return insecure


def id_token_claims(id_token: str) -> dict[str, Any]:
    """The claims of an id_token taken straight from the token endpoint's response."""
    # The signature is not checked: OpenID Connect Core 1.0 §3.1.3.7 (6) allows TLS server
    # validation in place of the signature when the ID Token is received directly from the
    # Token Endpoint, which is the only way this function is used. `aud` is still checked.
    parts = id_token.split(".")
    if len(parts) != 3:
        raise BadRequest("the id_token is not a JWT")
    try:
        payload = base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4))
        claims = json.loads(payload)
    except ValueError as err:
        raise BadRequest("the id_token payload is not JSON") from err
    if not isinstance(claims, dict):
        raise BadRequest("the id_token payload is not an object")
    return claims


class GoogleOAuth:
    """Consent URLs, code exchange and revocation for one OAuth client."""

    def __init__(
        self,
        *,
        client_id: str,
        client_secret: str,
        auth_uri: str,
        token_uri: str,
        revoke_uri: str,
        redirect_uri: str,
        clock: Clock,
        scopes: Iterable[str] = scope_names.REQUESTED,
        email_lookup: EmailLookup | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        self._insecure = check_transport(
            {
                "GOOGLE_OAUTH_AUTH_URI": auth_uri,
                "GOOGLE_OAUTH_TOKEN_URI": token_uri,
                "GOOGLE_OAUTH_REVOKE_URI": revoke_uri,
            }
        )
        self._client_id = client_id
        self._config = {
            "web": {
                "client_id": client_id,
                "client_secret": client_secret,
                "auth_uri": auth_uri,
                "token_uri": token_uri,
                "redirect_uris": [redirect_uri],
            }
        }
        self._revoke_uri = revoke_uri
        self._redirect_uri = redirect_uri
        self._clock = clock
        self._scopes = tuple(scopes)
        self._email_lookup = email_lookup
        self._timeout = timeout
        self._configure_oauthlib()

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        clock: Clock,
        email_lookup: EmailLookup | None = None,
    ) -> GoogleOAuth:
        """The client configured by GOOGLE_* settings."""
        if not settings.google_client_id or settings.google_client_secret is None:
            raise ValueError("GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET are not set")
        return cls(
            client_id=settings.google_client_id,
            client_secret=settings.google_client_secret.get_secret_value(),
            auth_uri=settings.google_oauth_auth_uri,
            token_uri=settings.google_oauth_token_uri,
            revoke_uri=settings.google_oauth_revoke_uri,
            redirect_uri=settings.oauth_redirect_uri,
            clock=clock,
            email_lookup=email_lookup,
        )

    def __repr__(self) -> str:
        return f"GoogleOAuth(client_id={self._client_id!r})"

    def _configure_oauthlib(self) -> None:
        """Set oauthlib's process-wide switches (idempotent; re-checked before each use)."""
        os.environ["OAUTHLIB_RELAX_TOKEN_SCOPE"] = "1"  # noqa: S105 - a switch, not a secret
        if self._insecure:
            os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = "1"
        for name in _LIBRARY_LOGGERS:
            library_log = logging.getLogger(name)
            if library_log.getEffectiveLevel() < logging.INFO:
                library_log.setLevel(logging.INFO)

    def _flow(self, code_verifier: str | None = None) -> Any:
        return Flow.from_client_config(
            self._config,
            scopes=list(self._scopes),
            redirect_uri=self._redirect_uri,
            code_verifier=code_verifier,
            autogenerate_code_verifier=code_verifier is None,
        )

    def start_consent(self, state: str) -> ConsentStart:
        """A consent URL asking for offline access with PKCE S256, and its code verifier."""
        self._configure_oauthlib()
        flow = self._flow()
        url, _state = flow.authorization_url(
            state=state,
            access_type="offline",
            prompt="consent",
            include_granted_scopes="true",
        )
        return ConsentStart(url=str(url), code_verifier=str(flow.code_verifier))

    async def exchange(self, code: str, code_verifier: str) -> GrantedTokens:
        """Trade an authorization code (and its PKCE verifier) for tokens."""
        token = await asyncio.to_thread(self._fetch_token, code, code_verifier)
        return await self._granted(token)

    def _fetch_token(self, code: str, code_verifier: str) -> Mapping[str, Any]:
        """The blocking token request (runs in a worker thread)."""
        self._configure_oauthlib()
        flow = self._flow(code_verifier)
        flow.oauth2session.register_compliance_hook("access_token_response", self._check)
        try:
            token: Mapping[str, Any] = flow.fetch_token(code=code, timeout=self._timeout)
        except GoogleError:
            raise
        except requests.RequestException as err:
            raise Transient(f"cannot reach Google's token endpoint ({type(err).__name__})") from err
        except Warning as err:  # scope changed and OAUTHLIB_RELAX_TOKEN_SCOPE was unset meanwhile
            changed = getattr(err, "token", None)
            if not isinstance(changed, Mapping):
                raise
            token = changed
        except OAuth2Error as err:  # a 200 answer oauthlib cannot use (e.g. no access_token)
            raise BadRequest(f"unusable token response ({type(err).__name__})") from err
        return token

    def _check(self, response: requests.Response) -> requests.Response:
        """Compliance hook: turn an error answer into our error before oauthlib parses it."""
        if response.status_code >= 400:
            try:
                body: object = response.json()
            except ValueError:
                body = None
            raise from_http(
                response.status_code, body, headers=response.headers, now=self._clock.now()
            )
        return response

    async def _granted(self, token: Mapping[str, Any]) -> GrantedTokens:
        access = token.get("access_token")
        if not isinstance(access, str) or not access:
            raise BadRequest("the token response has no access_token")
        refresh = token.get("refresh_token")
        granted = token.get("scope")
        tokens = GrantedTokens(
            access_token=access,
            refresh_token=refresh if isinstance(refresh, str) and refresh else None,
            expiry=self._clock.now() + timedelta(seconds=float(token.get("expires_in", 3600))),
            scopes=scope_names.normalize(self._scopes if granted is None else granted),
            email="",
        )
        id_token = token.get("id_token")
        email = self._email_from(id_token) if isinstance(id_token, str) else None
        if email is None and self._email_lookup is not None:
            email = await self._email_lookup(tokens)
        if not email:
            raise GoogleError("Google did not say which account was connected (no e-mail)")
        return replace(tokens, email=email)

    def _email_from(self, id_token: str) -> str | None:
        claims = id_token_claims(id_token)
        audience = claims.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if self._client_id not in audiences:
            raise BadRequest("the id_token was issued to another client")
        email = claims.get("email")
        if not isinstance(email, str) or claims.get("email_verified") is False:
            return None
        return email

    async def revoke(self, token: str) -> None:
        """Revoke a token (and with it the whole grant); already revoked counts as done."""
        timeout = aiohttp.ClientTimeout(total=self._timeout)
        try:
            async with (
                aiohttp.ClientSession(timeout=timeout) as session,
                session.post(self._revoke_uri, data={"token": token}) as response,
            ):
                status, headers = response.status, response.headers
                body = await _json_or_none(response)
        except (aiohttp.ClientError, TimeoutError) as err:
            raise Transient(
                f"cannot reach Google's revoke endpoint ({type(err).__name__})"
            ) from err
        if status == 200:
            return
        if status == 400 and isinstance(body, dict) and body.get("error") == "invalid_token":
            log.info("token was already revoked or expired")
            return
        raise from_http(status, body, headers=headers, now=self._clock.now())


async def _json_or_none(response: aiohttp.ClientResponse) -> object:
    try:
        return await response.json(content_type=None)
    except ValueError:
        return None
