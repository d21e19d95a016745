"""The bot with Google configured and the outbox worker polling fast, plus helpers to connect
a staff member and to wait for the worker."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from bot.app import BotRuntime
from bot.clock import ManualClock
from storage.db import Database
from storage.outbox import OutboxRepository
from storage.settings_store import SettingsRepository
from tests.conftest import SALON
from tests.e2e.flows import say
from tests.e2e.google_harness import (
    consent_url_of,
    free_port,
    google_settings,
    invite_link,
    open_consent,
    visit,
)
from tests.e2e.harness import load_business, running_bot
from tests.fakes.google import Account, FakeGoogle
from tests.fakes.telegram import FakeTelegram, FakeUser

FAST_OUTBOX: dict[str, Any] = {"outbox_poll_seconds": 0.02, "google_requests_per_second": 1000.0}


async def prepare_business(db_path: Path, business: Mapping[str, object] | None = None) -> None:
    """The test salon, with extra `business.*` settings."""
    await load_business(db_path, SALON)
    if business:
        db = await Database.open(db_path)
        try:
            await SettingsRepository(db).put_many({f"business.{k}": v for k, v in business.items()})
        finally:
            await db.close()


@asynccontextmanager
async def outbox_bot(
    tg: FakeTelegram,
    google: FakeGoogle,
    db_path: Path,
    clock: ManualClock,
    **overrides: Any,
) -> AsyncIterator[BotRuntime]:
    """The bot with Google pointed at the emulator and a fast-polling outbox worker."""
    port = free_port()
    settings = google_settings(tg, google, db_path, port).model_copy(
        update={**FAST_OUTBOX, **overrides}
    )
    google.register_redirect_uri(settings.oauth_redirect_uri)
    async with running_bot(settings, clock) as runtime:
        yield runtime


async def connect_staff(
    tg: FakeTelegram,
    google: FakeGoogle,
    admin: FakeUser,
    name: str,
    user: FakeUser,
    account: Account,
) -> None:
    """The admin invites `name`, who opens the link and signs in with `account`."""
    payload = await invite_link(tg, admin, name)
    welcome = await say(tg, user, f"/start {payload}")
    google.set_consent(account)
    callback_url = await open_consent(consent_url_of(welcome))
    mark = tg.mark()
    await visit(callback_url)
    await tg.next_message(user.id, since=mark)


async def until(
    check: Callable[[], Awaitable[bool]], *, within: float = 20.0, what: str = "condition"
) -> None:
    """Wait until `check()` holds (the worker runs on its own task)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not await check():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


async def drained(bot: BotRuntime) -> bool:
    """Whether every outbox row was delivered."""
    assert bot.services is not None
    return not await OutboxRepository(bot.services.db).pending()
