"""Crash: the bot process (`python -m bot run`) is killed with SIGKILL at random moments while
it delivers the outbox, and started again; after the last start drains the outbox, exactly one
event per active booking is in the staff calendar, none for cancelled ones, nothing twice.

The bookings are made first by an in-process bot whose worker is asleep (a long poll
interval), so every delivery happens in the processes that get killed. Everything runs on the
system clock: a killed worker's lease (OUTBOX_LEASE_SECONDS=2) ends in real time."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sys
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from bot.app import BotRuntime, build_services
from bot.booking import Contact
from bot.clock import SystemClock
from bot.notices import NoNotices
from storage.bookings import Booked, Changed
from storage.db import Database
from storage.outbox import OutboxRepository
from tests.e2e.google_harness import free_port, google_settings
from tests.e2e.harness import ADMIN_ID
from tests.e2e.outbox_harness import connect_staff, prepare_business
from tests.fakes.google import FakeGoogle
from tests.fakes.telegram import FakeTelegram

BOOKINGS = 60
KILLS = 4
CALENDAR = "anna@example.com"


@pytest.fixture
async def google() -> AsyncIterator[FakeGoogle]:
    async with FakeGoogle(
        client_id="bookbot-test.apps.googleusercontent.com", clock=SystemClock()
    ) as fake:
        yield fake


async def _seed(tg: FakeTelegram, google: FakeGoogle, db_path: Path) -> tuple[set[str], set[str]]:
    """Anna connects; BOOKINGS bookings are made and some cancelled; nothing delivered yet."""
    port = free_port()
    settings = google_settings(tg, google, db_path, port).model_copy(
        update={"outbox_poll_seconds": 3600.0}
    )
    google.register_redirect_uri(settings.oauth_redirect_uri)
    account = google.add_account(CALENDAR, name="Anna")
    runtime = BotRuntime(settings, clock=SystemClock())
    await runtime.start()
    try:
        admin = tg.user(ADMIN_ID, first_name="Boss")
        await connect_staff(tg, google, admin, "Anna", tg.user(895, first_name="Anna"), account)
    finally:
        await runtime.stop()
    # The bookings are made through the booking service alone: no bot runs, so no worker
    # delivers anything before the bot process that is killed starts.
    clock = SystemClock()
    db = await Database.open(db_path)
    services = build_services(settings, db, clock, NoNotices())
    try:
        service = services.booking
        beard = next(s for s in await service.active_services() if s.name.startswith("Beard"))
        anna = (await service.catalog.staff_by_name("Anna"))[0]
        starts = [
            start
            for day in await service.free_days(beard.id, anna.id)
            for start in await service.free_slots(beard.id, anna.id, day)
        ]
        later = [s for s in starts if s - clock.now() > timedelta(days=2)]
        active, cancelled = set(), set()
        for n, start in enumerate(later[::2][:BOOKINGS]):
            outcome = await service.book(
                contact=Contact(telegram_user_id=20_000 + n, name=f"C{n}", phone=None, email=None),
                service_id=beard.id,
                staff_id=anna.id,
                start=start,
                request_key=None,
            )
            assert isinstance(outcome, Booked)
            booking = outcome.booking
            if n % 4 == 3:
                assert isinstance(await service.cancel(20_000 + n, booking.id), Changed)
                cancelled.add(booking.id)
            else:
                active.add(booking.id)
        assert google.calls_of("calendar.events.insert") == []
        env = {
            "TELEGRAM_BOT_TOKEN": tg.token,
            "TELEGRAM_API_BASE_URL": tg.base_url,
            "TELEGRAM_POLL_TIMEOUT": "1",
            "DATABASE_PATH": str(db_path),
            "ADMIN_IDS": str(ADMIN_ID),
            "GOOGLE_CLIENT_ID": google.client_id,
            "GOOGLE_CLIENT_SECRET": google.client_secret,
            "TOKEN_ENCRYPTION_KEY": settings.token_encryption_key.get_secret_value()
            if settings.token_encryption_key
            else "",
            "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
            "WEB_PORT": str(port),
            "GOOGLE_OAUTH_AUTH_URI": google.auth_uri,
            "GOOGLE_OAUTH_TOKEN_URI": google.token_uri,
            "GOOGLE_OAUTH_REVOKE_URI": google.revoke_uri,
            "GOOGLE_API_ROOT_URL": google.api_root_url,
            "OUTBOX_POLL_SECONDS": "0.05",
            "OUTBOX_LEASE_SECONDS": "2",
            "GOOGLE_REQUESTS_PER_SECOND": "40",
            "LOG_LEVEL": "WARNING",
        }
        _ENV.clear()
        _ENV.update(env)
    finally:
        await services.google_accounts.close()
        await services.busy_time.close()
        await db.close()
    return active, cancelled


_ENV: dict[str, str] = {}


async def _start_bot() -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        env={**os.environ, **_ENV},
        stdin=asyncio.subprocess.DEVNULL,
    )


def _event_calls(google: FakeGoogle) -> int:
    return sum(c.method_id.startswith("calendar.events.") for c in google.calls)


async def _pending(db_path: Path) -> int:
    db = await Database.open(db_path)
    try:
        return len(await OutboxRepository(db).pending())
    finally:
        await db.close()


async def test_sigkill_while_delivering_never_duplicates_or_loses_an_event(
    tg: FakeTelegram, google: FakeGoogle, db_path: Path
) -> None:
    await prepare_business(db_path, {"horizon_days": 60})
    active, cancelled = await _seed(tg, google, db_path)
    google.set_latency(0.02)  # each call takes a moment: kills land mid-delivery
    rng = random.Random(7)  # noqa: S311 - random kill moments, reproducible
    loop = asyncio.get_running_loop()
    kills = 0
    for _ in range(KILLS):
        before = _event_calls(google)
        target = before + rng.randint(3, 12)
        process = await _start_bot()
        deadline = loop.time() + 30
        while _event_calls(google) < target and process.returncode is None:
            assert loop.time() < deadline, "the bot delivered nothing"
            await asyncio.sleep(0.005)
        await asyncio.sleep(rng.uniform(0, 0.05))
        if process.returncode is None:
            process.send_signal(signal.SIGKILL)
            kills += 1
        await process.wait()
    assert kills == KILLS
    assert await _pending(db_path) > 0  # the kills left work for the last start

    process = await _start_bot()
    try:
        deadline = loop.time() + 60
        while await _pending(db_path):
            assert loop.time() < deadline, "the outbox did not drain"
            await asyncio.sleep(0.1)
    finally:
        process.terminate()
        await process.wait()

    events = google.events(CALENDAR)
    live = [e["id"] for e in events if e.get("status") != "cancelled"]
    assert len(live) == len(set(live))  # nothing twice
    assert set(live) == active  # one per active booking, none for cancelled ones
    assert not set(live) & cancelled
