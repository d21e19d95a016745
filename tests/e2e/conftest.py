"""Fixtures for end-to-end tests: the Telegram and Google emulators, and the real bot with the
test salon (without and with Google configured)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import BotRuntime
from bot.clock import ManualClock
from tests.conftest import SALON
from tests.e2e.google_harness import free_port, google_settings
from tests.e2e.harness import bot_settings, load_business, running_bot
from tests.fakes.google import FakeGoogle
from tests.fakes.telegram import FakeTelegram

GOOGLE_CLIENT_ID = "bookbot-test.apps.googleusercontent.com"


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


@pytest.fixture
async def google(clock: ManualClock) -> AsyncIterator[FakeGoogle]:
    """The Google emulator sharing the bot's clock."""
    async with FakeGoogle(client_id=GOOGLE_CLIENT_ID, clock=clock) as fake:
        yield fake


@pytest.fixture
async def gbot(
    tg: FakeTelegram, google: FakeGoogle, db_path: Path, clock: ManualClock
) -> AsyncIterator[BotRuntime]:
    """The real bot with the test salon and Google pointed at the emulator."""
    await load_business(db_path, SALON)
    settings = google_settings(tg, google, db_path, free_port())
    google.register_redirect_uri(settings.oauth_redirect_uri)
    async with running_bot(settings, clock) as runtime:
        yield runtime
