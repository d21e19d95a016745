"""OAuth 2.0 half of the Google emulator: consent screen, token, revoke and userinfo endpoints.

Follows "Using OAuth 2.0 for Web Server Applications"
(https://developers.google.com/identity/protocols/oauth2/web-server):
- ``GET /o/oauth2/auth`` validates ``client_id`` (unknown: 401 ``invalid_client`` error page) and
  ``redirect_uri`` (unregistered: 400 ``redirect_uri_mismatch`` page), never redirecting on those;
  then plays the consent screen the test configured and redirects with ``code``/``state``/
  ``scope`` or ``error=access_denied``. Granular consent may grant a subset of the scopes
  (#handlingresponse); ``include_granted_scopes=true`` adds earlier grants (#incrementalAuth).
- ``POST /token`` exchanges codes (single use, 10 minutes, bound to client, redirect_uri and
  the PKCE challenge of RFC 7636) and refresh tokens. A refresh token is returned only when the
  user saw the consent screen with ``access_type=offline`` (#offline). A second use of a code
  is refused and revokes what the code issued (RFC 6749 §4.1.2). Refresh tokens of a project in
  "Testing" publishing status expire after 7 days
  (https://developers.google.com/identity/protocols/oauth2#expiration).
- ``POST /revoke`` (#tokenrevoke) removes the app's grant: every token of it.
Errors use the token endpoint's JSON ``{"error", "error_description"}``; the strings are the
ones Google is seen to send (e.g. "Token has been expired or revoked.", "Missing code
verifier.", ``redirect_uri_mismatch`` for a code redeemed with another redirect URI).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import unquote_plus

from aiohttp import web
from yarl import URL

from tests.fakes.google_http import Call, FaultPlan, error_page, oauth_error
from tests.fakes.google_idtoken import ISSUER, IdTokenSigner, b64url
from tests.fakes.google_store import SCOPE_PREFIX, Account, GoogleStore

ACCESS_TOKEN_LIFETIME = 3599
CODE_LIFETIME = timedelta(minutes=10)
TESTING_REFRESH_LIFETIME = timedelta(days=7)
EMAIL_SCOPE = SCOPE_PREFIX + "userinfo.email"
PROFILE_SCOPE = SCOPE_PREFIX + "userinfo.profile"
SIGN_IN_SCOPES = frozenset({"openid", EMAIL_SCOPE, PROFILE_SCOPE})
_ALIASES = {"email": EMAIL_SCOPE, "profile": PROFILE_SCOPE}


def normalize_scope(scope: str) -> str:
    """Google's spelling of a scope (``email`` -> the userinfo.email URL, as it answers)."""
    return _ALIASES.get(scope, scope)


def normalize_scopes(scopes: Any) -> frozenset[str]:
    """A set of normalised scopes from a space-separated string or an iterable."""
    items = scopes.split() if isinstance(scopes, str) else list(scopes)
    return frozenset(normalize_scope(s) for s in items)


@dataclass
class Consent:
    """What the signed-in user will do on the next consent screen."""

    account: Account
    grant: frozenset[str] | None
    deny: bool


@dataclass
class AuthCode:
    """An authorization code and everything it is bound to."""

    code: str
    client_id: str
    redirect_uri: str
    account: Account
    scopes: frozenset[str]
    challenge: str | None
    method: str
    issued_at: datetime
    offline: bool
    used: bool = False
    issued: list[str] = field(default_factory=list)


@dataclass
class RefreshToken:
    """A refresh token of one grant."""

    token: str
    client_id: str
    account: Account
    scopes: frozenset[str]
    issued_at: datetime
    expires_at: datetime | None
    revoked: bool = False


@dataclass
class AccessToken:
    """A bearer token for the Calendar API."""

    token: str
    client_id: str
    account: Account
    scopes: frozenset[str]
    expires_at: datetime
    refresh_token: str | None
    revoked: bool = False


class OAuthServer:
    """Google's authorization server, in memory."""

    def __init__(
        self,
        store: GoogleStore,
        client_id: str,
        client_secret: str,
        known_scopes: set[str],
        *,
        faults: FaultPlan,
        calls: list[Call],
    ) -> None:
        self.store = store
        self.clients = {client_id: client_secret}
        self.redirect_uris: set[str] = set()
        self.known_scopes = set(known_scopes) | SIGN_IN_SCOPES
        self.consent: Consent | None = None
        self.testing_mode = False
        self.codes: dict[str, AuthCode] = {}
        self.refresh_tokens: dict[str, RefreshToken] = {}
        self.access_tokens: dict[str, AccessToken] = {}
        self.grants: dict[tuple[str, str], frozenset[str]] = {}
        self.faults = faults
        self.calls = calls
        self.signer = IdTokenSigner()

    def add_routes(self, app: web.Application) -> None:
        """Register the OAuth endpoints."""
        app.router.add_get("/o/oauth2/auth", self.authorize)
        app.router.add_get("/o/oauth2/v2/auth", self.authorize)
        app.router.add_post("/token", self.token)
        app.router.add_post("/revoke", self.revoke)
        app.router.add_get("/oauth2/v3/userinfo", self.userinfo)
        app.router.add_get("/oauth2/v3/certs", self.certs)
        app.router.add_get("/oauth2/v1/certs", self.pem_certs)

    # -- test controls -----------------------------------------------------------------------

    def set_consent(self, account: Account, *, grant: Any = None, deny: bool = False) -> None:
        """Say who is signed in and what they do on the consent screen."""
        chosen = None if grant is None else normalize_scopes(grant)
        self.consent = Consent(account, chosen, deny)

    def revoke_account(self, account: Account) -> None:
        """The user removes the app's access in their Google Account settings."""
        for client_id in self.clients:
            self._revoke_grant(account.email, client_id)

    def expire_access_tokens(self) -> None:
        """Make every issued access token expired."""
        past = self.store.now() - timedelta(seconds=1)
        for token in self.access_tokens.values():
            token.expires_at = min(token.expires_at, past)

    def authenticate(self, bearer: str) -> AccessToken | None:
        """The live access token behind a bearer string, or None."""
        token = self.access_tokens.get(bearer)
        if token is None or token.revoked or token.expires_at <= self.store.now():
            return None
        return token

    # -- authorization endpoint ---------------------------------------------------------------

    async def authorize(self, request: web.Request) -> web.Response:
        """The consent screen: validate the request, then redirect with a code or an error."""
        response = self._authorize(request)
        self._log("oauth.authorize", dict(request.query), response.status)
        return response

    def _authorize(self, request: web.Request) -> web.Response:
        q = request.query
        client_id = q.get("client_id", "")
        if client_id not in self.clients:
            return error_page(401, "invalid_client", "The OAuth client was not found.")
        redirect_uri = q.get("redirect_uri", "")
        if redirect_uri not in self.redirect_uris:
            return error_page(
                400,
                "redirect_uri_mismatch",
                f"The redirect URI in the request, {redirect_uri}, does not match the ones "
                "authorized for the OAuth client.",
            )
        if q.get("response_type") != "code":
            return error_page(400, "invalid_request", "Invalid response_type: only code.")
        requested = normalize_scopes(q.get("scope", ""))
        if not requested:
            return error_page(400, "invalid_request", "Missing required parameter: scope")
        unknown = sorted(requested - self.known_scopes)
        if unknown:
            detail = f"Some requested scopes were invalid: {unknown}"
            return error_page(400, "invalid_scope", detail)
        challenge = q.get("code_challenge")
        method = q.get("code_challenge_method", "plain" if challenge else "")
        if challenge is not None and method not in ("S256", "plain"):
            return error_page(400, "invalid_request", "Invalid code_challenge_method.")
        access_type = q.get("access_type", "online")
        if access_type not in ("online", "offline"):
            return error_page(400, "invalid_request", f"Invalid access_type: {access_type}")
        state = q.get("state")
        consent = self.consent
        if consent is None:
            return web.Response(
                text="<html><body>Sign in - Google Accounts</body></html>", content_type="text/html"
            )
        prompts = set(q.get("prompt", "").split())
        account = consent.account
        key = (account.email, client_id)
        earlier = self.grants.get(key, frozenset())
        if "none" in prompts:
            if not requested <= earlier:
                return self._redirect(redirect_uri, {"error": "consent_required", "state": state})
            granted, shown = requested, False
        elif "consent" in prompts or not requested <= earlier:
            if consent.deny:
                return self._redirect(redirect_uri, {"error": "access_denied", "state": state})
            chosen = requested if consent.grant is None else consent.grant
            granted = (requested & chosen) | (requested & SIGN_IN_SCOPES)
            shown = True
        else:
            granted, shown = requested, False
        if q.get("include_granted_scopes", "").lower() == "true":
            granted = granted | earlier
        self.grants[key] = earlier | granted
        code = AuthCode(
            code="4/0A" + secrets.token_urlsafe(40),
            client_id=client_id,
            redirect_uri=redirect_uri,
            account=account,
            scopes=granted,
            challenge=challenge,
            method=method,
            issued_at=self.store.now(),
            offline=shown and access_type == "offline",
        )
        self.codes[code.code] = code
        params = {
            "state": state,
            "code": code.code,
            "scope": " ".join(sorted(granted)),
            "authuser": "0",
            "prompt": "consent" if shown else "none",
        }
        return self._redirect(redirect_uri, params)

    @staticmethod
    def _redirect(redirect_uri: str, params: dict[str, str | None]) -> web.Response:
        query = {k: v for k, v in params.items() if v is not None}
        location = URL(redirect_uri).update_query(query)
        return web.Response(status=302, headers={"Location": str(location)})

    # -- token endpoint ----------------------------------------------------------------------

    async def token(self, request: web.Request) -> web.Response:
        """Exchange a code or a refresh token for tokens (RFC 6749 §4.1.3, §6)."""
        await asyncio.sleep(self.faults.latency("oauth.token"))
        form = await request.post()
        fields = {k: str(v) for k, v in form.items()}
        response = self._token(request, fields)
        self._log(
            "oauth.token", {k: v for k, v in fields.items() if k == "grant_type"}, response.status
        )
        return response

    def _token(self, request: web.Request, form: dict[str, str]) -> web.Response:
        fault = self.faults.take("oauth.token")
        if fault is not None:
            return fault.oauth_response()
        client_id, secret = form.get("client_id"), form.get("client_secret")
        header = request.headers.get("Authorization", "")
        if header.lower().startswith("basic "):
            try:
                raw = base64.b64decode(header[6:]).decode()
            except ValueError:
                return oauth_error(401, "invalid_client", "Unauthorized")
            user, _, password = raw.partition(":")
            client_id, secret = _form_unquote(user), _form_unquote(password)
        if client_id not in self.clients:
            return oauth_error(401, "invalid_client", "The OAuth client was not found.")
        if self.clients[client_id] != secret:
            return oauth_error(401, "invalid_client", "Unauthorized")
        grant_type = form.get("grant_type")
        if grant_type == "authorization_code":
            return self._exchange_code(client_id, form)
        if grant_type == "refresh_token":
            return self._refresh(client_id, form)
        return oauth_error(400, "unsupported_grant_type", f"Invalid grant_type: {grant_type}")

    def _exchange_code(self, client_id: str, form: dict[str, str]) -> web.Response:
        code = self.codes.get(form.get("code", ""))
        if code is None or code.client_id != client_id:
            return oauth_error(400, "invalid_grant", "Malformed auth code.")
        if code.used:
            for token in code.issued:
                self._revoke_token_family(token)
            return oauth_error(400, "invalid_grant", "Bad Request")
        if self.store.now() >= code.issued_at + CODE_LIFETIME:
            return oauth_error(400, "invalid_grant", "Bad Request")
        if form.get("redirect_uri") != code.redirect_uri:
            return oauth_error(400, "redirect_uri_mismatch", "Bad Request")
        verifier = form.get("code_verifier")
        if code.challenge is None:
            if verifier:
                return oauth_error(400, "invalid_grant", "code_verifier or verifier is not needed.")
        elif not verifier:
            return oauth_error(400, "invalid_grant", "Missing code verifier.")
        elif _pkce(verifier, code.method) != code.challenge:
            return oauth_error(400, "invalid_grant", "Invalid code verifier.")
        code.used = True
        now = self.store.now()
        refresh: RefreshToken | None = None
        if code.offline:
            expires = now + TESTING_REFRESH_LIFETIME if self.testing_mode else None
            refresh = RefreshToken(
                "1//0g" + secrets.token_urlsafe(60),
                client_id,
                code.account,
                code.scopes,
                now,
                expires,
            )
            self.refresh_tokens[refresh.token] = refresh
            code.issued.append(refresh.token)
        access = self._issue_access(
            client_id, code.account, code.scopes, refresh.token if refresh else None
        )
        code.issued.append(access.token)
        return self._token_response(access, refresh)

    def _refresh(self, client_id: str, form: dict[str, str]) -> web.Response:
        refresh = self.refresh_tokens.get(form.get("refresh_token", ""))
        if refresh is None or refresh.client_id != client_id:
            return oauth_error(400, "invalid_grant", "Bad Request")
        now = self.store.now()
        if refresh.revoked or (refresh.expires_at is not None and now >= refresh.expires_at):
            return oauth_error(400, "invalid_grant", "Token has been expired or revoked.")
        scopes = refresh.scopes
        if form.get("scope"):
            asked = normalize_scopes(form["scope"])
            if not asked <= refresh.scopes:
                return oauth_error(400, "invalid_scope", "Bad Request")
            scopes = asked
        access = self._issue_access(client_id, refresh.account, scopes, refresh.token)
        return self._token_response(access, None)

    def _issue_access(
        self, client_id: str, account: Account, scopes: frozenset[str], refresh: str | None
    ) -> AccessToken:
        token = AccessToken(
            "ya29.a0" + secrets.token_urlsafe(80),
            client_id,
            account,
            scopes,
            self.store.now() + timedelta(seconds=ACCESS_TOKEN_LIFETIME),
            refresh,
        )
        self.access_tokens[token.token] = token
        return token

    def _token_response(self, access: AccessToken, refresh: RefreshToken | None) -> web.Response:
        body: dict[str, Any] = {
            "access_token": access.token,
            "expires_in": ACCESS_TOKEN_LIFETIME,
            "scope": " ".join(sorted(access.scopes)),
            "token_type": "Bearer",
        }
        if refresh is not None:
            body["refresh_token"] = refresh.token
        if "openid" in access.scopes:
            body["id_token"] = self._id_token(access)
        return web.json_response(body, headers={"Cache-Control": "no-store"})

    def _id_token(self, access: AccessToken) -> str:
        now = int(self.store.now().timestamp())
        account = access.account
        claims: dict[str, Any] = {
            "iss": ISSUER,
            "azp": access.client_id,
            "aud": access.client_id,
            "sub": account.sub,
            "iat": now,
            "exp": now + 3600,
        }
        if EMAIL_SCOPE in access.scopes:
            claims.update(email=account.email, email_verified=True)
        if PROFILE_SCOPE in access.scopes:
            claims["name"] = account.name
        return self.signer.sign(claims)

    async def certs(self, request: web.Request) -> web.Response:
        """The JWKS that verifies the emulator's id_tokens."""
        return web.json_response(self.signer.jwks())

    async def pem_certs(self, request: web.Request) -> web.Response:
        """The same key as ``{kid: PEM certificate}`` (Google's v1 certs format)."""
        return web.json_response(self.signer.pem_certificates(self.store.now()))

    # -- revocation and userinfo -------------------------------------------------------------

    async def revoke(self, request: web.Request) -> web.Response:
        """Revoke a token, and with it the grant it belongs to."""
        await asyncio.sleep(self.faults.latency("oauth.revoke"))
        form = await request.post()
        token = str(form.get("token") or request.query.get("token") or "")
        response = self._revoke(token)
        self._log("oauth.revoke", {}, response.status)
        return response

    def _revoke(self, token: str) -> web.Response:
        fault = self.faults.take("oauth.revoke")
        if fault is not None:
            return fault.oauth_response()
        found: RefreshToken | AccessToken | None = self.refresh_tokens.get(token)
        if found is None:
            found = self.access_tokens.get(token)
        if found is None or found.revoked:
            return oauth_error(400, "invalid_token", "Token expired or revoked")
        if isinstance(found, AccessToken) and found.expires_at <= self.store.now():
            return oauth_error(400, "invalid_token", "Token expired or revoked")
        self._revoke_grant(found.account.email, found.client_id)
        return web.json_response({})

    def _revoke_grant(self, email: str, client_id: str) -> None:
        self.grants.pop((email, client_id), None)
        for refresh in self.refresh_tokens.values():
            if refresh.account.email == email and refresh.client_id == client_id:
                refresh.revoked = True
        for access in self.access_tokens.values():
            if access.account.email == email and access.client_id == client_id:
                access.revoked = True

    def _revoke_token_family(self, token: str) -> None:
        if token in self.refresh_tokens:
            self.refresh_tokens[token].revoked = True
            for access in self.access_tokens.values():
                if access.refresh_token == token:
                    access.revoked = True
        if token in self.access_tokens:
            self.access_tokens[token].revoked = True

    async def userinfo(self, request: web.Request) -> web.Response:
        """OpenID Connect userinfo for a bearer token."""
        header = request.headers.get("Authorization", "")
        token = self.authenticate(header[7:]) if header.startswith("Bearer ") else None
        if token is None:
            body = {"error": "invalid_request", "error_description": "Invalid Credentials"}
            return web.json_response(body, status=401)
        account = token.account
        info: dict[str, Any] = {"sub": account.sub}
        if EMAIL_SCOPE in token.scopes:
            info.update(email=account.email, email_verified=True)
        if PROFILE_SCOPE in token.scopes:
            info["name"] = account.name
        return web.json_response(info)

    def _log(self, method_id: str, params: dict[str, Any], status: int) -> None:
        self.calls.append(Call(method_id, params, status))


def _pkce(verifier: str, method: str) -> str:
    if method == "plain":
        return verifier
    return b64url(hashlib.sha256(verifier.encode("ascii")).digest())


def _form_unquote(value: str) -> str:
    return unquote_plus(value)
