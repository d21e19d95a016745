"""Drive ``FakeGoogle`` with Google's own clients, for the emulator's fidelity tests.

Two independent clients meet the emulator: google-api-python-client (httplib2) with google-auth
credentials, and aiogoogle; OAuth goes through google-auth-oauthlib's ``Flow`` (requests), run in
a thread because the emulator serves on the test's event loop.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiohttp
from aiogoogle.auth.creds import ClientCreds, UserCreds
from aiogoogle.client import Aiogoogle
from aiogoogle.excs import HTTPError as AiogoogleHTTPError
from aiogoogle.resource import GoogleAPI
from google.oauth2.credentials import Credentials
from google_auth_oauthlib.flow import Flow
from googleapiclient.discovery import build_from_document
from googleapiclient.errors import HttpError

from tests.fakes.google import FakeGoogle

CLIENT_ID = "1234-bookbot.apps.googleusercontent.com"
CLIENT_SECRET = "GOCSPX-emulated"
REDIRECT_URI = "http://127.0.0.1:8080/oauth2/callback"
CALENDAR = "https://www.googleapis.com/auth/calendar"
EVENTS = "https://www.googleapis.com/auth/calendar.events"
READONLY = "https://www.googleapis.com/auth/calendar.readonly"
EMAIL = "https://www.googleapis.com/auth/userinfo.email"
PROFILE = "https://www.googleapis.com/auth/userinfo.profile"
SCOPES = ["openid", EMAIL, CALENDAR]


@dataclass
class Redirect:
    """Where the consent screen sent the browser."""

    status: int
    location: str | None
    text: str

    @property
    def params(self) -> dict[str, str]:
        """The redirect's query parameters."""
        assert self.location is not None
        return {k: v[0] for k, v in parse_qs(urlsplit(self.location).query).items()}


async def browse(url: str) -> Redirect:
    """A browser GETs the consent URL; no redirect following."""
    async with (
        aiohttp.ClientSession() as browser,
        browser.get(url, allow_redirects=False) as response,
    ):
        return Redirect(response.status, response.headers.get("Location"), await response.text())


def new_flow(google: FakeGoogle, scopes: list[str] | None = None) -> Flow:
    """A google-auth-oauthlib Flow configured for the emulator (PKCE on by default)."""
    return Flow.from_client_config(
        google.client_config(), scopes=scopes or SCOPES, redirect_uri=REDIRECT_URI
    )


def consent_url(flow: Flow, **kwargs: str) -> str:
    """The consent URL with the bot's parameters (overridable)."""
    params = {"access_type": "offline", "prompt": "consent", "include_granted_scopes": "true"}
    params.update(kwargs)
    url, _state = flow.authorization_url(**params)
    return str(url)


async def connect(google: FakeGoogle, scopes: list[str] | None = None, **kwargs: str) -> Any:
    """Run the whole consent + code exchange; return the token dict."""
    flow = new_flow(google, scopes)
    redirect = await browse(consent_url(flow, **kwargs))
    code = redirect.params["code"]
    return await asyncio.to_thread(flow.fetch_token, code=code)


def credentials(google: FakeGoogle, token: dict[str, Any]) -> Credentials:
    """google-auth user credentials for a token response."""
    return Credentials(  # type: ignore[no-untyped-call]
        token=token["access_token"],
        refresh_token=token.get("refresh_token"),
        token_uri=google.token_uri,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        scopes=token["scope"] if isinstance(token["scope"], list) else token["scope"].split(),
    )


def discovery_service(google: FakeGoogle, creds: Credentials) -> Any:
    """google-api-python-client's Calendar service aimed at the emulator."""
    return build_from_document(google.discovery_document(), credentials=creds)


async def execute(request: Any) -> Any:
    """Run a googleapiclient request off the event loop."""
    return await asyncio.to_thread(request.execute)


async def http_error(request: Any) -> tuple[int, dict[str, Any], Any]:
    """Execute a request that must fail: (status, error JSON, response headers)."""
    try:
        await execute(request)
    except HttpError as err:
        return err.resp.status, json.loads(err.content), err.resp
    raise AssertionError("request did not fail")


def aiogoogle_client(google: FakeGoogle, token: dict[str, Any]) -> Aiogoogle:
    """aiogoogle with user credentials and the emulator's token endpoint."""
    expires = datetime.now(UTC).replace(tzinfo=None) + timedelta(seconds=token["expires_in"])
    user = UserCreds(  # type: ignore[no-untyped-call]
        access_token=token["access_token"],
        refresh_token=token.get("refresh_token"),
        expires_at=expires.isoformat(),
    )
    client = ClientCreds(  # type: ignore[no-untyped-call]
        client_id=CLIENT_ID, client_secret=CLIENT_SECRET, scopes=SCOPES
    )
    aiogoogle = Aiogoogle(user_creds=user, client_creds=client)
    aiogoogle.oauth2.openid_configs = google.openid_configuration()
    return aiogoogle


def aiogoogle_api(google: FakeGoogle) -> GoogleAPI:
    """aiogoogle's Calendar API from the rewritten discovery document."""
    return GoogleAPI(google.discovery_document())  # type: ignore[no-untyped-call]


async def as_user(aiogoogle: Aiogoogle, request: Any, *, full_res: bool = False) -> Any:
    """``aiogoogle.as_user`` (typed for mypy)."""
    return await aiogoogle.as_user(request, full_res=full_res)  # type: ignore[no-untyped-call]


async def aiogoogle_error(aiogoogle: Aiogoogle, request: Any) -> tuple[int, Any]:
    """Send an aiogoogle request that must fail: (status, error JSON)."""
    try:
        await as_user(aiogoogle, request)
    except AiogoogleHTTPError as err:
        if err.res is None:
            raise
        return err.res.status_code, err.res.json
    raise AssertionError("request did not fail")


def moment(hours: float, base: datetime | None = None) -> datetime:
    """A fixed test moment: 2030-03-04 09:00 UTC plus ``hours``."""
    start = base or datetime(2030, 3, 4, 9, 0, tzinfo=UTC)
    return start + timedelta(hours=hours)


def rfc(value: datetime) -> str:
    """RFC 3339 for request bodies."""
    return value.astimezone(UTC).isoformat()
