"""The Bot API transport's timeouts carry no token: aiohttp's connection timeout quotes the
request URL (whose path holds the bot token), and a traceback of PTB's TimedOut (logged by
PTB's network loop and the bot's error handler) prints every chained cause."""

from __future__ import annotations

import asyncio
import traceback
from collections.abc import AsyncIterator

import pytest
from telegram import Bot
from telegram.error import TimedOut

from bot.telegram_http import AiohttpRequest
from tests.fakes.telegram import FakeTelegram


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as fake:
        yield fake


def _printed(error: BaseException) -> str:
    """The error as a log's traceback shows it, causes and contexts included."""
    return "".join(traceback.format_exception(error))


async def test_a_full_pool_timeout_shows_no_token(tg: FakeTelegram) -> None:
    request = AiohttpRequest(pool_size=1, pool_timeout=0.1, connect_timeout=0.1)
    async with Bot(tg.token, base_url=tg.base_url, request=request) as bot:
        tg.set_latency(1.0, "getMe")
        slow = asyncio.create_task(bot.get_me())
        await asyncio.sleep(0.05)
        with pytest.raises(TimedOut) as timed_out:
            await bot.get_me()
        await slow
    printed = _printed(timed_out.value)
    assert "every pooled connection" in printed
    assert tg.token not in printed and tg.token.split(":", 1)[1] not in printed


async def test_a_read_timeout_shows_no_token(tg: FakeTelegram) -> None:
    async with Bot(tg.token, base_url=tg.base_url, request=AiohttpRequest()) as bot:
        tg.set_latency(1.0, "getMe")
        with pytest.raises(TimedOut) as timed_out:
            await bot.get_me(read_timeout=0.1)
    printed = _printed(timed_out.value)
    assert tg.token not in printed and tg.token.split(":", 1)[1] not in printed
