"""The runtime through the real bot: PTB's default zone is the business's stored zone, and a
part that cannot start leaves nothing running."""

from __future__ import annotations

import socket
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.app import BotRuntime
from bot.clock import ManualClock
from tests.conftest import SALON
from tests.e2e.flows import say
from tests.e2e.harness import bot_settings, load_business, running_bot
from tests.fakes.telegram import FakeTelegram


async def test_ptb_defaults_use_the_stored_business_zone(
    tg: FakeTelegram, db_path: Path, clock: ManualClock
) -> None:
    await load_business(db_path, SALON)  # the setup file says Europe/Helsinki
    settings = bot_settings(tg, db_path, business_timezone="America/New_York")
    async with running_bot(settings, clock) as runtime:
        assert runtime.app is not None
        assert runtime.app.bot.defaults is not None
        assert runtime.app.bot.defaults.tzinfo == ZoneInfo("Europe/Helsinki")


async def test_a_part_that_cannot_start_stops_the_others(
    tg: FakeTelegram, db_path: Path, clock: ManualClock
) -> None:
    await load_business(db_path, SALON)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        runtime = BotRuntime(bot_settings(tg, db_path, web_port=port), clock=clock)
        mark = tg.mark()
        with pytest.raises(OSError, match="in use"):
            await runtime.start()
    # The web server could not bind: polling never began, the Telegram part and storage closed.
    assert [c for c in tg.calls("getUpdates") if c.seq > mark] == []
    assert runtime.db is None and runtime.services is None
    await runtime.stop()  # stopping after a failed start is harmless
    # The same database and emulator serve a bot that starts normally afterwards.
    async with running_bot(bot_settings(tg, db_path), clock):
        customer = tg.user(870, first_name="Ann")
        reply = await say(tg, customer, "/start")
        assert "Haircut" in str(reply)
