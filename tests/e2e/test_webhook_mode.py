"""Webhook mode: Telegram POSTs updates to /telegram with the secret token; button presses
are answered in the webhook reply; polling stays the default."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from bot.app import BotRuntime
from bot.clock import ManualClock
from tests.conftest import SALON
from tests.e2e.flows import confirm, reach_summary, say
from tests.e2e.google_harness import free_port
from tests.e2e.harness import bot_settings, load_business, running_bot
from tests.fakes.telegram import FakeTelegram
from tests.week import TUESDAY, day_and_time


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


async def test_booking_over_webhook(tg: FakeTelegram, webhook_bot: BotRuntime) -> None:
    registered = tg.calls("setWebhook")
    assert len(registered) == 1
    params = registered[0].params
    assert params["url"] == webhook_bot.settings.webhook_url
    assert len(str(params["secret_token"])) >= 32
    assert not tg.calls("getUpdates")

    ann = tg.user(901, first_name="Ann")
    confirmation = await confirm(tg, ann, await reach_summary(tg, ann, email=None))
    assert day_and_time(TUESDAY, "13:00") in confirmation["text"]
    for query_call in tg.calls("answerCallbackQuery", chat_id=ann.id):
        assert query_call.ok


async def test_webhook_refuses_requests_without_the_secret(
    tg: FakeTelegram, webhook_bot: BotRuntime
) -> None:
    update = {"update_id": 1, "message": {"message_id": 1, "date": 0, "chat": {"id": 1}}}
    async with aiohttp.ClientSession() as session:
        async with session.post(webhook_bot.settings.webhook_url, json=update) as response:
            assert response.status == 403
        headers = {"X-Telegram-Bot-Api-Secret-Token": "guess"}
        async with session.post(
            webhook_bot.settings.webhook_url, json=update, headers=headers
        ) as response:
            assert response.status == 403


async def test_malformed_update_is_acknowledged_and_the_bot_carries_on(
    tg: FakeTelegram, webhook_bot: BotRuntime, caplog: pytest.LogCaptureFixture
) -> None:
    secret = str(tg.calls("setWebhook")[0].params["secret_token"])
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret}
    async with aiohttp.ClientSession() as session:
        for body in ({"update_id": 7, "message": "nonsense"}, ["not", "an", "update"]):
            async with session.post(
                webhook_bot.settings.webhook_url, json=body, headers=headers
            ) as response:
                assert response.status in (200, 400)
    assert "could not be read" in caplog.text
    ann = tg.user(903)
    assert "Pick a service" in (await say(tg, ann, "/start"))["text"]


async def test_stale_buttons_still_get_their_toast_over_webhook(
    tg: FakeTelegram, webhook_bot: BotRuntime
) -> None:
    eve = tg.user(902, first_name="Eve")
    menu = await say(tg, eve, "/start")
    query = await tg.press_raw(eve, menu["message_id"], "zz:1")
    answer = await tg.callback_answer(query)
    assert answer.params.get("text") == "This button has expired."
