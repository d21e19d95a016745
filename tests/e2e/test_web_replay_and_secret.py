"""The bot's web endpoints against replays and odd bytes: a used OAuth state answers the
browser but never messages the staff member again; a webhook secret header that is not
UTF-8 is refused with 403, like any wrong secret."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import aiohttp
import pytest

from bot.app import BotRuntime
from bot.clock import ManualClock
from tests.conftest import SALON
from tests.e2e.flows import say
from tests.e2e.google_harness import (
    consent_url_of,
    free_port,
    invite_link,
    open_consent,
    visit,
)
from tests.e2e.harness import ADMIN_ID, bot_settings, load_business, running_bot
from tests.e2e.notify_harness import queue_drained
from tests.fakes.google import Account, FakeGoogle
from tests.fakes.telegram import FakeTelegram, FakeUser

REPLAYS = 3


@pytest.fixture
def anna_google(google: FakeGoogle) -> Account:
    return google.add_account("anna@example.com", name="Anna")


async def _linked_staff(tg: FakeTelegram) -> tuple[FakeUser, dict[str, object]]:
    """Anna, linked through an admin's invite; and the bot's message with her sign-in link."""
    admin = tg.user(ADMIN_ID, first_name="Boss")
    staff = tg.user(870, first_name="Anna")
    welcome = await say(tg, staff, f"/start {await invite_link(tg, admin, 'Anna')}")
    return staff, welcome


def _messages_to(tg: FakeTelegram, user: FakeUser, since: int) -> list[str]:
    return [
        str(call.params.get("text")) for call in tg.calls("sendMessage", chat_id=user.id)[since:]
    ]


async def _replay(url: str) -> None:
    """Open a used callback URL again, as a browser's back button or an attacker would."""
    for _ in range(REPLAYS):
        page = await visit(url)
        assert page.status == 400 and "already used" in page.page


async def test_a_replayed_refusal_tells_the_staff_member_once(
    tg: FakeTelegram, google: FakeGoogle, gbot: BotRuntime, anna_google: Account
) -> None:
    staff, welcome = await _linked_staff(tg)
    google.set_consent(anna_google, deny=True)
    denied_url = await open_consent(consent_url_of(welcome))
    before = len(tg.calls("sendMessage", chat_id=staff.id))

    first = await visit(denied_url)
    assert first.status == 400 and "declined" in first.page
    # The bot queues its message before it answers the browser; the queue then sends it.
    await _replay(denied_url)
    await queue_drained(gbot)

    told = _messages_to(tg, staff, before)
    assert len(told) == 1 and "declined" in told[0], told


async def test_a_replayed_expired_state_tells_the_staff_member_once(
    tg: FakeTelegram,
    google: FakeGoogle,
    gbot: BotRuntime,
    anna_google: Account,
    clock: ManualClock,
) -> None:
    staff, welcome = await _linked_staff(tg)
    google.set_consent(anna_google)
    callback_url = await open_consent(consent_url_of(welcome))
    clock.advance(timedelta(minutes=11))
    before = len(tg.calls("sendMessage", chat_id=staff.id))

    first = await visit(callback_url)
    assert first.status == 400 and "expired" in first.page
    await _replay(callback_url)
    await queue_drained(gbot)

    told = _messages_to(tg, staff, before)
    assert len(told) == 1 and "expired" in told[0], told


async def test_a_replayed_success_sends_nothing_more(
    tg: FakeTelegram, google: FakeGoogle, gbot: BotRuntime, anna_google: Account
) -> None:
    staff, welcome = await _linked_staff(tg)
    google.set_consent(anna_google)
    callback_url = await open_consent(consent_url_of(welcome))
    before = len(tg.calls("sendMessage", chat_id=staff.id))

    first = await visit(callback_url)
    assert first.status == 200 and "Connected as anna@example.com" in first.page
    await _replay(callback_url)
    await queue_drained(gbot)

    told = _messages_to(tg, staff, before)
    assert len(told) == 1 and "connected as <b>anna@example.com</b>" in told[0], told


@pytest.fixture
async def webhook_bot(
    tg: FakeTelegram, db_path: Path, clock: ManualClock
) -> AsyncIterator[BotRuntime]:
    """The bot receiving updates by webhook."""
    await load_business(db_path, SALON)
    port = free_port()
    settings = bot_settings(
        tg,
        db_path,
        telegram_webhook=True,
        public_base_url=f"http://127.0.0.1:{port}",
        web_port=port,
    )
    async with running_bot(settings, clock) as runtime:
        yield runtime


async def _post_raw(url: str, secret_header: bytes) -> bytes:
    """POST an update with the secret header given as raw bytes; the response's status line."""
    parts = urlsplit(url)
    assert parts.hostname is not None and parts.port is not None
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    body = b'{"update_id": 1}'
    writer.write(
        b"POST " + parts.path.encode() + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: application/json\r\nConnection: close\r\n"
        b"X-Telegram-Bot-Api-Secret-Token: " + secret_header + b"\r\n"
        b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
    )
    await writer.drain()
    try:
        return await reader.readline()
    finally:
        writer.close()
        await writer.wait_closed()


@pytest.mark.parametrize(
    "secret_header",
    [b"\xff\xfe\xfd", b"caf\xe9", b"\xc3\x28", "sécret".encode(), b""],
    ids=["invalid-utf8", "latin1", "broken-sequence", "valid-utf8-non-ascii", "empty"],
)
async def test_a_secret_header_that_is_not_the_secret_is_403(
    tg: FakeTelegram, webhook_bot: BotRuntime, secret_header: bytes
) -> None:
    status_line = await _post_raw(webhook_bot.settings.webhook_url, secret_header)
    assert status_line.startswith(b"HTTP/1.1 403 "), status_line
    ann = tg.user(904, first_name="Ann")
    assert "Pick a service" in (await say(tg, ann, "/start"))["text"]  # the bot carries on


async def test_the_running_bot_names_no_server_version(webhook_bot: BotRuntime) -> None:
    assert webhook_bot.web is not None and webhook_bot.web.bound_port is not None
    base = f"http://127.0.0.1:{webhook_bot.web.bound_port}"
    async with aiohttp.ClientSession() as browser:
        for path in ("/healthz", "/oauth2/callback?state=x&error=access_denied", "/telegram"):
            async with browser.get(base + path) as response:
                assert response.headers.getall("Server") == ["bookbot"], path
