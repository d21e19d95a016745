"""Starts the real bot (BotRuntime: PTB Application, SQLite, web server) against FakeTelegram.

Nothing of bookbot is patched: the bot only learns the emulator's URL through the same
settings a self-hosted Bot API server would use.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from bot.app import BotRuntime
from bot.clock import ManualClock
from bot.config import Settings
from bot.setup_file import load_setup_file
from handlers import callbacks as cb
from storage.db import Database
from storage.migrate import migrate
from tests.fakes.telegram import FakeTelegram

ADMIN_ID = 9001
JSON = dict[str, Any]


def bot_settings(tg: FakeTelegram, db_path: Path, **overrides: Any) -> Settings:
    """Settings pointing the bot at the emulator, with a private database and free port."""
    values: dict[str, Any] = {
        "telegram_bot_token": tg.token,
        "telegram_api_base_url": tg.base_url,
        "telegram_api_file_url": tg.base_file_url,
        "database_path": db_path,
        "admin_ids": str(ADMIN_ID),
        "business_timezone": "Europe/Helsinki",
        "web_port": 0,
        "telegram_poll_timeout": 2,
        "telegram_max_messages_per_second": 0,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


async def load_business(db_path: Path, setup_file: Path) -> None:
    """Migrate and load a setup file, as `bookbot load-config` does."""
    db = await Database.open(db_path)
    try:
        await migrate(db)
        await load_setup_file(setup_file, db, default_timezone="UTC")
    finally:
        await db.close()


@asynccontextmanager
async def running_bot(settings: Settings, clock: ManualClock) -> AsyncIterator[BotRuntime]:
    """The bot running until the block ends."""
    runtime = BotRuntime(settings, clock=clock)
    await runtime.start()
    try:
        yield runtime
    finally:
        await runtime.stop()


def keyboard_rows(message: JSON) -> list[list[JSON]]:
    """The rows of inline buttons of a message (each button as Telegram sends it)."""
    markup = message.get("reply_markup") or {}
    return [list(row) for row in markup.get("inline_keyboard", [])]


def buttons(message: JSON) -> list[str]:
    """Texts of the inline buttons of a message."""
    return [b["text"] for row in keyboard_rows(message) for b in row]


def button_url(message: JSON, text: str) -> str:
    """The URL of a URL button."""
    for row in keyboard_rows(message):
        for b in row:
            if b["text"] == text:
                return str(b["url"])
    raise AssertionError(f"no URL button {text!r} in {buttons(message)}")


def button_data(message: JSON, text: str) -> str:
    """The callback data of a button, to press it again later (kept, stale or replayed)."""
    for row in keyboard_rows(message):
        for b in row:
            if b["text"] == text and "callback_data" in b:
                return str(b["callback_data"])
    raise AssertionError(f"no callback button {text!r} in {buttons(message)}")


def button_callbacks(message: JSON) -> list[cb.Callback | None]:
    """The parsed callback data of each callback button (None where it does not parse)."""
    return [
        cb.parse(b["callback_data"])
        for row in keyboard_rows(message)
        for b in row
        if "callback_data" in b
    ]
