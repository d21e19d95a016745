"""Helpers for the Google -> bot tests and benchmark: Anna connects with her primary calendar
as destination, a customer books, and the booking's event is written as the outbox worker
would write it."""

from __future__ import annotations

from bot.app import BotRuntime
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
    saved = await tap(tg, staff, blocking, "💾 Save")
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
    """Stand in for the outbox worker (it lands separately): the booking's event is written
    with the booking id as event id and a private property naming it, the etag recorded and
    the outbox row marked delivered."""
    assert bot.services is not None and bot.db is not None
    assert bot.services is not None
    staff_calendars = await bot.services.staff_link.links.calendars(booking.staff_id)
    calendar_id = next(c.calendar_id for c in staff_calendars if c.is_destination)
    stored = {e["id"]: e for e in google.events(calendar_id)}.get(booking.id)
    if stored is None:
        session = await bot.services.google_accounts.session(booking.staff_id)
        body = {
            "id": booking.id,
            "summary": f"{booking.service_name} – {booking.customer_name}",
            "start": {"dateTime": booking.start.isoformat()},
            "end": {"dateTime": booking.end.isoformat()},
            "extendedProperties": {"private": {"bookbot_booking_id": booking.id}},
        }
        event = await session.call(lambda cal, tokens: cal.insert_event(tokens, calendar_id, body))
        etag = event.etag
    else:
        etag = str(stored["etag"])
    await bot.services.booking.bookings.record_event(booking.id, calendar_id=calendar_id, etag=etag)
    async with bot.db.transaction() as tx:
        await tx.execute(
            "UPDATE outbox SET delivered_at = 1 WHERE booking_id = ? AND delivered_at IS NULL",
            (booking.id,),
        )
