"""The outbox worker through the running bot and the Google emulator: bookings reach the staff
member's calendar exactly once with the business's content, reschedules patch the same event,
cancels delete it, coalescing, 409 adoption, revoked access, dead letters."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.app import BotRuntime
from bot.clock import ManualClock
from bot.sync.event_content import OWNER_KEY
from storage.outbox import OutboxQueue
from storage.records import BookingRecord
from tests.e2e.flows import confirm, reach_summary, say, tap
from tests.e2e.harness import ADMIN_ID
from tests.e2e.outbox_harness import (
    connect_staff,
    drained,
    outbox_bot,
    prepare_business,
    until,
)
from tests.fakes.google import Account, FakeGoogle
from tests.fakes.telegram import FakeTelegram, FakeUser
from tests.week import TUESDAY, short_day_and_time

ANNA_CAL = "anna@example.com"
TEMPLATES = {
    "event_title": "{service} for {customer_name} ({booking_ref})",
    "event_description": "Phone: {customer_phone}\nMail: {customer_email}\nPrice: {price}\n"
    "Notes: {notes}",
    "event_meet": True,
    "event_invite_customer": True,
    "event_send_updates": "all",
}


@pytest.fixture
async def google(clock: ManualClock) -> AsyncIterator[FakeGoogle]:
    async with FakeGoogle(client_id="bookbot-test.apps.googleusercontent.com", clock=clock) as fake:
        yield fake


@pytest.fixture
def anna_google(google: FakeGoogle) -> Account:
    return google.add_account("anna@example.com", name="Anna")


@pytest.fixture
def admin(tg: FakeTelegram) -> FakeUser:
    return tg.user(ADMIN_ID, first_name="Boss")


def ours(google: FakeGoogle, calendar_id: str = ANNA_CAL) -> list[dict[str, Any]]:
    """Live events in the calendar."""
    return [e for e in google.events(calendar_id) if e.get("status") != "cancelled"]


def utc(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).astimezone(UTC)


async def only_booking(bot: BotRuntime, user: FakeUser) -> BookingRecord:
    assert bot.services is not None
    (booking,) = await bot.services.booking.upcoming(user.id)
    return booking


async def test_booking_reaches_calendar_once_then_moves_and_is_deleted(
    tg: FakeTelegram,
    google: FakeGoogle,
    anna_google: Account,
    admin: FakeUser,
    db_path: Path,
    clock: ManualClock,
) -> None:
    await prepare_business(db_path, TEMPLATES)
    async with outbox_bot(tg, google, db_path, clock) as bot:
        anna = tg.user(871, first_name="Anna")
        await connect_staff(tg, google, admin, "Anna", anna, anna_google)
        ann = tg.user(872, first_name="Ann")
        await confirm(tg, ann, await reach_summary(tg, ann, time="09:00"))
        booking = await only_booking(bot, ann)
        await until(lambda: drained(bot), what="the create to be delivered")

        (event,) = ours(google)
        assert event["id"] == booking.id
        assert event["extendedProperties"]["private"] == {OWNER_KEY: booking.id}
        assert utc(event["start"]["dateTime"]) == booking.start
        assert utc(event["end"]["dateTime"]) == booking.end
        assert event["location"] == "Main street 1"
        assert event["summary"] == f"Haircut for Ann ({booking.id})"
        assert event["description"].startswith("Phone: +358401234567\nMail: ann@example.com")
        assert "Notes" not in event["description"]  # empty placeholder: line dropped
        assert [a["email"] for a in event["attendees"]] == ["ann@example.com"]
        meet = event["hangoutLink"]
        assert meet.startswith("https://meet.google.com/")
        (insert,) = google.calls_of("calendar.events.insert")
        assert insert.params["sendUpdates"] == "all"
        assert insert.params["conferenceDataVersion"] == "1"
        stored = await bot.services.booking.bookings.get(booking.id) if bot.services else None
        assert stored is not None and stored.event_calendar_id == ANNA_CAL
        assert stored.event_etag == event["etag"]
        assert bot.services is not None
        assert await OutboxQueue(bot.services.db).meet_url(booking.id) == meet

        # The customer moves it by an hour: the same event is patched with If-Match.
        moved = await bot.services.booking.reschedule(
            ann.id, booking.id, booking.start + timedelta(hours=1)
        )
        assert type(moved).__name__ == "Changed"
        await until(lambda: drained(bot), what="the reschedule to be delivered")
        (event,) = ours(google)
        assert event["id"] == booking.id
        assert utc(event["start"]["dateTime"]) == booking.start + timedelta(hours=1)
        assert event["hangoutLink"] == meet  # Meet kept
        (patch,) = google.calls_of("calendar.events.patch")
        assert patch.status == 200 and patch.headers.get("If-Match") == stored.event_etag
        assert len(google.calls_of("calendar.events.insert")) == 1

        # Then cancels in Telegram: the event is deleted.
        listing = await say(tg, ann, "/mybookings")
        details = await tap(tg, ann, listing, f"{short_day_and_time(TUESDAY, '10:00')} · Haircut")
        ask = await tap(tg, ann, details, "✖ Cancel booking")
        await tap(tg, ann, ask, "Yes, cancel it")
        await until(lambda: drained(bot), what="the cancel to be delivered")
        assert ours(google) == []
        (delete,) = google.calls_of("calendar.events.delete")
        assert delete.status == 204


async def test_created_then_cancelled_before_delivery_sends_nothing(
    tg: FakeTelegram,
    google: FakeGoogle,
    anna_google: Account,
    admin: FakeUser,
    db_path: Path,
    clock: ManualClock,
) -> None:
    await prepare_business(db_path)
    # Anna is not connected yet: her rows wait (parked, not failed).
    async with outbox_bot(tg, google, db_path, clock) as bot:
        ann = tg.user(873, first_name="Ann")
        await confirm(tg, ann, await reach_summary(tg, ann, time="09:00"))
        kept = await only_booking(bot, ann)
        bob = tg.user(874, first_name="Bob")
        await confirm(tg, bob, await reach_summary(tg, bob, time="11:00", email=None))
        gone = await only_booking(bot, bob)
        assert bot.services is not None
        await bot.services.booking.cancel(bob.id, gone.id)
        assert len(await bot.services.booking.bookings.pending_outbox()) == 3

        anna = tg.user(875, first_name="Anna")
        await connect_staff(tg, google, admin, "Anna", anna, anna_google)
        await until(lambda: drained(bot), what="the parked rows to flush")
        assert [e["id"] for e in ours(google)] == [kept.id]
        assert len(google.calls_of("calendar.events.insert")) == 1
        assert google.calls_of("calendar.events.delete") == []
        assert all(c.params.get("eventId") != gone.id for c in google.calls)


async def test_insert_applied_then_503_is_adopted_not_duplicated(
    tg: FakeTelegram,
    google: FakeGoogle,
    anna_google: Account,
    admin: FakeUser,
    db_path: Path,
    clock: ManualClock,
) -> None:
    await prepare_business(db_path)
    async with outbox_bot(tg, google, db_path, clock) as bot:
        anna = tg.user(876, first_name="Anna")
        await connect_staff(tg, google, admin, "Anna", anna, anna_google)
        google.fail_next("calendar.events.insert", 503, applied=True)
        ann = tg.user(877, first_name="Ann")
        await confirm(tg, ann, await reach_summary(tg, ann, time="09:00"))
        booking = await only_booking(bot, ann)
        await until(lambda: _attempted(google, "calendar.events.insert"), what="the first insert")
        assert [e["id"] for e in ours(google)] == [booking.id]  # it landed, answer was 503
        clock.advance(timedelta(minutes=5))  # past the backoff
        await until(lambda: drained(bot), what="the retry")
        inserts = google.calls_of("calendar.events.insert")
        assert [c.status for c in inserts] == [503, 409]
        assert len(google.calls_of("calendar.events.get")) == 1
        assert [e["id"] for e in ours(google)] == [booking.id]
        assert bot.services is not None
        stored = await bot.services.booking.bookings.get(booking.id)
        assert stored is not None and stored.event_etag == ours(google)[0]["etag"]


async def _attempted(google: FakeGoogle, method: str) -> bool:
    return bool(google.calls_of(method))
