"""The real bot with Google configured, against FakeTelegram and FakeGoogle together."""

from __future__ import annotations

import re
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiohttp

from bot.config import Settings
from bot.crypto import generate_key
from tests.e2e.harness import bot_settings
from tests.fakes.google import FakeGoogle
from tests.fakes.telegram import FakeTelegram, FakeUser

JSON = dict[str, Any]
INVITE_LINK = re.compile(r"https://t\.me/\w+\?start=(connect_[A-Za-z0-9_-]+)")


def free_port() -> int:
    """A TCP port free right now on 127.0.0.1 (for the bot's redirect URI)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def google_settings(tg: FakeTelegram, google: FakeGoogle, db_path: Path, port: int) -> Settings:
    """Bot settings with Google pointed at the emulator."""
    return bot_settings(
        tg,
        db_path,
        google_client_id=google.client_id,
        google_client_secret=google.client_secret,
        token_encryption_key=generate_key(),
        public_base_url=f"http://127.0.0.1:{port}",
        web_port=port,
        google_oauth_auth_uri=google.auth_uri,
        google_oauth_token_uri=google.token_uri,
        google_oauth_revoke_uri=google.revoke_uri,
        google_api_root_url=google.api_root_url,
    )


@dataclass
class Callback:
    """What the browser saw at the bot's /oauth2/callback."""

    status: int
    page: str
    url: str


async def open_consent(consent_url: str) -> str:
    """Open the consent URL in a 'browser'; return where Google redirects (the callback URL)."""
    async with (
        aiohttp.ClientSession() as browser,
        browser.get(consent_url, allow_redirects=False) as response,
    ):
        assert response.status in (302, 303), await response.text()
        return str(response.headers["Location"])


async def visit(url: str) -> Callback:
    """GET a URL like a browser and keep the page."""
    async with aiohttp.ClientSession() as browser, browser.get(url) as response:
        return Callback(response.status, await response.text(), url)


def consent_url_of(message: JSON) -> str:
    """The 'Sign in with Google' URL of a bot message."""
    for row in (message.get("reply_markup") or {}).get("inline_keyboard", []):
        for b in row:
            if b["text"] == "🔐 Sign in with Google" or "Sign in with Google" in b["text"]:
                return str(b["url"])
    raise AssertionError(f"no sign-in button in {message}")


def query_of(url: str) -> dict[str, str]:
    """The query parameters of a URL (first values)."""
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


async def invite_link(tg: FakeTelegram, admin: FakeUser, staff_name: str) -> str:
    """The deep-link payload the admin gets from /invite."""
    mark = tg.mark()
    await tg.send_text(admin, f"/invite {staff_name}")
    reply = await tg.next_message(admin.id, since=mark)
    match = INVITE_LINK.search(reply["text"])
    assert match, reply["text"]
    return match.group(1)
