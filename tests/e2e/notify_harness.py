"""Setting the stage for notification tests and the reminders benchmark: staff linked to
Telegram and bookings stored straight through the repositories (as the bot stores them),
and reading what the emulator delivered."""

from __future__ import annotations

import asyncio
import collections
import hashlib
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path

from bot.app import BotRuntime
from bot.clock import Clock
from bot.ids import new_booking_id
from storage.bookings import Booked, BookingRepository
from storage.catalog import CatalogRepository
from storage.db import Database
from storage.records import BookingRecord, CustomerDetails, NewBooking, Origin
from storage.staff_links import StaffLinkRepository
from tests.fakes.telegram import FakeTelegram


async def link_staff(db_path: Path, name: str, chat_id: int, clock: Clock) -> int:
    """Bind a staff member to a Telegram account, as an accepted /invite link does; the id."""
    db = await Database.open(db_path)
    try:
        staff = (await CatalogRepository(db).staff_by_name(name))[0]
        links = StaffLinkRepository(db)
        now = clock.now()
        token_hash = hashlib.sha256(f"invite-{name}".encode()).hexdigest()
        await links.add_invite(
            token_hash=token_hash,
            staff_id=staff.id,
            created_by=1,
            now=now,
            expires=now + timedelta(days=7),
        )
        await links.accept_invite(token_hash=token_hash, telegram_user_id=chat_id, now=now)
        return staff.id
    finally:
        await db.close()


async def store_bookings(
    db: Database,
    slots: Sequence[tuple[int, int, datetime]],
    *,
    service_id: int,
    duration: timedelta,
    now: datetime,
    origin: Origin = "admin",
) -> list[BookingRecord]:
    """Store one booking per (customer chat id, staff id, start), each in its own transaction
    with its change row, like the booking service does."""
    repo = BookingRepository(db)
    stored = []
    for chat_id, staff_id, start in slots:
        outcome = await repo.try_book(
            NewBooking(
                id=new_booking_id(),
                customer=CustomerDetails(
                    telegram_user_id=chat_id, name=f"Customer {chat_id}", phone=None, email=None
                ),
                staff_ids=(staff_id,),
                service_id=service_id,
                start=start,
                end=start + duration,
                blocked_start=start,
                blocked_end=start + duration,
                price_minor=0,
                currency="EUR",
                request_key=None,
            ),
            now=now,
            origin=origin,
        )
        assert isinstance(outcome, Booked), outcome
        stored.append(outcome.booking)
    return stored


def delivered(tg: FakeTelegram, marker: str, *, since: int = 0) -> collections.Counter[int]:
    """How many messages containing `marker` each chat received (accepted by the emulator)."""
    return collections.Counter(
        c.chat_id
        for c in tg.calls("sendMessage")
        if c.ok and c.seq > since and c.chat_id is not None and marker in str(c.params.get("text"))
    )


async def queue_drained(bot: BotRuntime, *, timeout: float = 30.0) -> None:  # noqa: ASYNC109
    """Wait until nothing due is left in the notification queue (every queued message that is
    due was sent or dropped)."""
    assert bot.services is not None
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while await bot.services.notifications.due_open(now=bot.services.clock.now()):
        if loop.time() > deadline:
            rows = await bot.services.db.reader.execute_fetchall(
                "SELECT dedupe_key, chat_id, due_at, attempts, claimed_until FROM notifications "
                "WHERE sent_at IS NULL AND dropped_at IS NULL"
            )
            raise AssertionError(
                f"the notification queue did not drain: {[tuple(r) for r in rows]}"
            )
        await asyncio.sleep(0.05)
