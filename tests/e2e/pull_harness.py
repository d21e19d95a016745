"""Helpers for the Google -> bot tests and benchmark: Anna connects with her primary calendar
as destination, a customer books, and the bot's outbox worker writes the booking's event."""

from __future__ import annotations

import asyncio

from bot.app import BotRuntime
from storage.outbox import OutboxRepository
from storage.records import BookingRecord
from tests.e2e.flows import confirm, reach_summary, say, tap
from tests.e2e.google_harness import consent_url_of, invite_link, open_consent, visit
from tests.e2e.harness import ADMIN_ID
from tests.fakes.google import Account, FakeGoogle
from tests.fakes.telegram import FakeTelegram, FakeUser

ANNA_CAL = "anna@example.com"


async def connect_anna(tg: FakeTelegram, google: FakeGoogle, account: Account) -> FakeUser:
    """Anna is invited, signs in with Google and makes her primary calendar the destination."""
    return await connect_staff(tg, google, account, name="Anna", user_id=801)


async def connect_staff(
    tg: FakeTelegram, google: FakeGoogle, account: Account, *, name: str, user_id: int
) -> FakeUser:
    """A staff member is invited, signs in with `account` and makes its primary calendar the
    destination."""
    admin = tg.user(ADMIN_ID, first_name="Boss")
    staff = tg.user(user_id, first_name=name)
    welcome = await say(tg, staff, f"/start {await invite_link(tg, admin, name)}")
    google.set_consent(account)
    callback_url = await open_consent(consent_url_of(welcome))
    mark = tg.mark()
    await visit(callback_url)
    told = await tg.next_message(staff.id, since=mark)
    picker = await tap(tg, staff, told, "📅 Choose calendars")
    blocking = await tap(tg, staff, picker, f"📅 {account.email} (primary)")
    saved = await tap(tg, staff, blocking, "💾 Save the calendars")
    assert "Saved" in saved["text"]
    return staff


async def book(
    tg: FakeTelegram, bot: BotRuntime, customer: FakeUser, time: str, staff: str = "Anna"
) -> BookingRecord:
    """The customer books a Haircut on the test week's Tuesday at `time` with `staff`."""
    await confirm(tg, customer, await reach_summary(tg, customer, staff=staff, time=time))
    assert bot.services is not None
    (booking,) = await bot.services.booking.upcoming(customer.id)
    return booking


async def deliver(bot: BotRuntime, google: FakeGoogle, booking: BookingRecord) -> None:
    """Wait until the bot's outbox worker wrote the booking's event to the staff member's
    destination calendar and recorded its etag (no write of the booking left to deliver)."""
    assert bot.services is not None
    outbox = OutboxRepository(bot.services.db)
    for _ in range(400):
        current = await bot.services.booking.bookings.get(booking.id)
        waiting = [e for e in await outbox.pending() if e.booking_id == booking.id]
        if current is not None and current.event_etag is not None and not waiting:
            calendar_id = current.event_calendar_id
            assert calendar_id is not None
            assert booking.id in {e["id"] for e in google.events(calendar_id)}
            return
        await asyncio.sleep(0.025)
    raise AssertionError(f"the outbox worker did not write booking {booking.id}")
