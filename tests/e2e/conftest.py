"""Fixtures for end-to-end tests: the Telegram emulator and the real bot with the test salon."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import BotRuntime
from bot.clock import ManualClock
from tests.conftest import SALON
from tests.e2e.harness import bot_settings, load_business, running_bot
from tests.fakes.telegram import FakeTelegram


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    """The Telegram Bot API emulator."""
    async with FakeTelegram() as fake:
        yield fake
    assert not fake.internal_errors, fake.internal_errors


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """Where the bot's database lives for this test."""
    return tmp_path / "bookbot.db"


@pytest.fixture
async def bot(tg: FakeTelegram, db_path: Path, clock: ManualClock) -> AsyncIterator[BotRuntime]:
    """The real bot, running against the emulator with the test salon loaded."""
    await load_business(db_path, SALON)
    async with running_bot(bot_settings(tg, db_path), clock) as runtime:
        yield runtime
