"""The outbox under a faulty Google: 200 bookings (some cancelled) for two staff members while
the emulator fails 30% of Calendar calls with 429 (Retry-After), 403 rateLimitExceeded, 500,
503, timeouts and writes that land but answer 503. After the outbox drains: exactly one event
per active booking, at its time, none for cancelled ones, nothing else in the calendars.

Bookings are made through `BookingService` (the Telegram path would only make this slower);
the worker, aiogoogle and the emulator are the real ones. The clock is advanced to pass the
backoff delays."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.app import BotRuntime
from bot.booking import Contact
from bot.clock import ManualClock
from storage.bookings import Booked, Changed
from storage.outbox import OutboxQueue
from storage.records import BookingRecord
from tests.e2e.harness import ADMIN_ID
from tests.e2e.outbox_harness import connect_staff, drained, outbox_bot, prepare_business
from tests.fakes.google import FakeGoogle, Fault
from tests.fakes.telegram import FakeTelegram

BOOKINGS = 200
CLIENT_TIMEOUT = 0.3
MIX = [
    Fault(429, None, 20, 1),  # Retry-After: 20 s
    Fault(403, "rateLimitExceeded", None, 1),
    Fault(500, None, None, 1),
    Fault(503, None, None, 1),
    Fault(503, None, None, 1, hang=1.0),  # the client times out; nothing applied
    Fault(503, None, None, 1, applied=True),  # the write lands, the answer is 503
    Fault(503, None, None, 1, applied=True, hang=1.0),  # lands, the client times out
]


def utc(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).astimezone(UTC)


async def _book_many(bot: BotRuntime) -> list[BookingRecord]:
    """BOOKINGS bookings, one customer each, over both staff members' free slots."""
    assert bot.services is not None
    service = bot.services.booking
    services = {s.name: s for s in await service.active_services()}
    staff = {s.name: s for s in await service.catalog.all_staff()}
    plans = [(services["Beard & <trim>"], staff["Anna"]), (services["Haircut"], staff["Ben"])]
    starts: list[tuple[int, int, datetime]] = []
    for offered, member in plans:
        for day in await service.free_days(offered.id, member.id):
            for start in await service.free_slots(offered.id, member.id, day):
                starts.append((offered.id, member.id, start))
    assert len(starts) >= BOOKINGS
    booked = []
    for n, (service_id, staff_id, start) in enumerate(starts[::2][:BOOKINGS]):
        outcome = await service.book(
            contact=Contact(
                telegram_user_id=10_000 + n, name=f"Customer {n}", phone=None, email=None
            ),
            service_id=service_id,
            staff_id=staff_id,
            start=start,
            request_key=None,
        )
        assert isinstance(outcome, Booked), outcome
        booked.append(outcome.booking)
    return booked


async def test_two_hundred_bookings_through_a_faulty_google_land_exactly_once(
    tg: FakeTelegram, google: FakeGoogle, db_path: Path, clock: ManualClock
) -> None:
    await prepare_business(db_path, {"horizon_days": 60})
    accounts = {
        "Anna": google.add_account("anna@example.com", name="Anna"),
        "Ben": google.add_account("ben@example.com", name="Ben"),
    }
    async with outbox_bot(
        tg, google, db_path, clock, google_request_timeout_seconds=CLIENT_TIMEOUT
    ) as bot:
        assert bot.services is not None
        admin = tg.user(ADMIN_ID, first_name="Boss")
        for n, (name, account) in enumerate(accounts.items()):
            await connect_staff(tg, google, admin, name, tg.user(890 + n, first_name=name), account)
        google.fail_randomly(0.3, MIX, prefix="calendar.events.", seed=8)

        booked = await _book_many(bot)
        cancelled = set()
        later = [b for b in booked if b.start - clock.now() > timedelta(days=2)]
        for booking in later[::5]:
            outcome = await bot.services.booking.cancel(booking.customer_telegram_id, booking.id)
            assert isinstance(outcome, Changed)
            cancelled.add(booking.id)
        assert len(cancelled) >= 30

        loop = asyncio.get_running_loop()
        deadline = loop.time() + 45
        while not await drained(bot):
            assert loop.time() < deadline, "the outbox did not drain"
            clock.advance(timedelta(minutes=2))  # past backoff delays (and Retry-After)
            await asyncio.sleep(0.05)

        faults = [c for c in google.calls if c.method_id.startswith("calendar.events.")]
        statuses = {c.status for c in faults}
        assert {429, 403, 500, 503} <= statuses  # the faults really happened
        assert sum(c.status >= 400 for c in faults) > 50
        inserts = google.calls_of("calendar.events.insert")
        assert any(c.status == 409 for c in inserts)  # landed-then-failed inserts were adopted
        active = {b.id: b for b in booked if b.id not in cancelled}
        live: dict[str, dict[str, object]] = {}
        for calendar in ("anna@example.com", "ben@example.com"):
            for event in google.events(calendar):
                if event.get("status") == "cancelled":
                    continue
                assert event["id"] not in live, f"duplicate event {event['id']}"
                live[str(event["id"])] = event
        assert set(live) == set(active)  # one per active booking, none for cancelled ones
        for booking_id, event in live.items():
            booking = active[booking_id]
            start = event["start"]
            assert isinstance(start, dict)
            assert utc(start["dateTime"]) == booking.start
            calendar = "anna@example.com" if booking.staff_name == "Anna" else "ben@example.com"
            assert booking_id in {e["id"] for e in google.events(calendar)}
        assert await OutboxQueue(bot.services.db).dead_letters() == []
