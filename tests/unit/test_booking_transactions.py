"""One transaction per use case: customer, booking, history and outbox together; the origin of
each change; no write back to Google for a change that came from Google; the active-bookings
cap under concurrency; the event columns and the per-calendar sync state."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import aiosqlite
import pytest

from bot.booking import BookingService, SlotUnavailable
from bot.business import BusinessSettings
from bot.clock import ManualClock
from bot.setup_file import SetupFileError, load_setup_file, read_setup_file
from storage.bookings import Booked, BookingRepository, Changed, TooManyBookings
from storage.db import Database
from storage.outbox import OutboxRepository
from storage.settings_store import SettingsRepository
from storage.sync_state import PushChannel, SyncStateRepository
from tests.conftest import SALON
from tests.unit.test_booking_service import contact, ids, make_service
from tests.week import TUESDAY, WEDNESDAY
from tests.week import helsinki as at


async def _count(db: Database, sql: str) -> int:
    async with db.reader.execute(sql) as cur:
        row = await cur.fetchone()
    assert row is not None
    return int(row[0])


async def _book(service: BookingService, user: int, hour: int, staff: int) -> object:
    cut, _, _, _ = await ids(service)
    return await service.book(
        contact=contact(user),
        service_id=cut,
        staff_id=staff,
        start=at(TUESDAY, hour),
        request_key=None,
    )


async def test_refused_booking_stores_no_customer(salon_db: Database, clock: ManualClock) -> None:
    service = make_service(salon_db, clock)
    _, _, anna, _ = await ids(service)
    assert isinstance(await _book(service, 1, 13, anna), Booked)
    taken = await _book(service, 2, 13, anna)
    assert isinstance(taken, SlotUnavailable)
    # The customer upsert belongs to the booking's transaction: nothing of user 2 is stored.
    assert await _count(salon_db, "SELECT count(*) FROM customers") == 1
    assert await service.customer(2) is None


async def test_contact_details_are_stored_with_the_booking(
    salon_db: Database, clock: ManualClock
) -> None:
    service = make_service(salon_db, clock)
    cut, _, anna, _ = await ids(service)
    first = await _book(service, 1, 9, anna)
    assert isinstance(first, Booked)
    changed = contact(1, name="Ann Smith")
    second = await service.book(
        contact=changed, service_id=cut, staff_id=anna, start=at(TUESDAY, 13), request_key=None
    )
    assert isinstance(second, Booked)
    assert second.booking.customer_name == "Ann Smith"
    assert second.booking.customer_id == first.booking.customer_id
    known = await service.customer(1)
    assert known is not None and known.name == "Ann Smith"


async def test_origin_is_recorded_and_google_changes_are_not_written_back(
    salon_db: Database, clock: ManualClock
) -> None:
    service = make_service(salon_db, clock)
    _, _, anna, _ = await ids(service)
    booked = await _book(service, 1, 9, anna)
    assert isinstance(booked, Booked)
    repository = BookingRepository(salon_db)
    moved = await repository.reschedule(
        booked.booking.id,
        customer_id=None,
        start=at(TUESDAY, 14),
        end=at(TUESDAY, 15),
        blocked_start=at(TUESDAY, 14),
        blocked_end=at(TUESDAY, 15, 30),
        now=clock.now(),
        origin="google",
    )
    assert isinstance(moved, Changed) and moved.booking.start == at(TUESDAY, 14)
    cancelled = await repository.cancel(
        booked.booking.id, customer_id=None, now=clock.now(), origin="admin", note="closed"
    )
    assert isinstance(cancelled, Changed)
    history = await repository.history(booked.booking.id)
    assert [(h.origin, h.action) for h in history] == [
        ("customer", "created"),
        ("google", "rescheduled"),
        ("admin", "cancelled"),
    ]
    pending = await OutboxRepository(salon_db).pending()
    assert [(e.action, e.origin) for e in pending] == [("upsert", "customer"), ("delete", "admin")]


async def test_outbox_refuses_a_google_origin_row_at_the_database(salon_db: Database) -> None:
    with pytest.raises(aiosqlite.IntegrityError):
        async with salon_db.transaction() as tx:
            await tx.execute(
                "INSERT INTO outbox (booking_id, action, origin, created_at, next_attempt_at) "
                "VALUES ('x', 'upsert', 'google', 0, 0)"
            )


async def test_cap_holds_under_concurrent_bookings(salon_db: Database, clock: ManualClock) -> None:
    await SettingsRepository(salon_db).put_many({"business.max_active_bookings": 2})
    service = make_service(salon_db, clock)
    _, _, anna, ben = await ids(service)
    # Six free slots (Anna 9, 13, 15; Ben 10, 13, 15), all wanted by one customer at once.
    wanted = [(anna, 9), (anna, 13), (anna, 15), (ben, 10), (ben, 13), (ben, 15)]
    results = await asyncio.gather(*(_book(service, 1, hour, staff) for staff, hour in wanted))
    booked = [r for r in results if isinstance(r, Booked)]
    refused = [r for r in results if isinstance(r, TooManyBookings)]
    assert len(booked) == 2 and len(refused) == 4
    assert all(r.limit == 2 for r in refused)
    assert len(await service.upcoming(1)) == 2
    # Another customer is not affected; a past booking no longer counts.
    assert isinstance(await _book(service, 2, 11, anna), Booked)
    clock.set(at(TUESDAY, 18))
    assert await service.upcoming(1) == []
    later = await service.book(
        contact=contact(1),
        service_id=(await ids(service))[0],
        staff_id=anna,
        start=at(WEDNESDAY, 9),
        request_key=None,
    )
    assert isinstance(later, Booked)


async def test_cancelled_booking_frees_a_place_under_the_cap(
    salon_db: Database, clock: ManualClock
) -> None:
    await SettingsRepository(salon_db).put_many({"business.max_active_bookings": 1})
    service = make_service(salon_db, clock)
    _, _, anna, _ = await ids(service)
    first = await _book(service, 1, 9, anna)
    assert isinstance(first, Booked)
    assert await _book(service, 1, 13, anna) == TooManyBookings(1)
    assert isinstance(await service.cancel(1, first.booking.id), Changed)
    assert isinstance(await _book(service, 1, 13, anna), Booked)


async def test_event_calendar_and_etag_survive_changes(
    salon_db: Database, clock: ManualClock
) -> None:
    service = make_service(salon_db, clock)
    _, _, anna, _ = await ids(service)
    booked = await _book(service, 1, 9, anna)
    assert isinstance(booked, Booked)
    assert (booked.booking.event_calendar_id, booked.booking.event_etag) == (None, None)
    repository = BookingRepository(salon_db)
    await repository.record_event(booked.booking.id, calendar_id="old@group", etag='"1"')
    cancelled = await service.cancel(1, booked.booking.id)
    assert isinstance(cancelled, Changed)
    assert cancelled.booking.event_calendar_id == "old@group"
    assert cancelled.booking.event_etag == '"1"'


async def test_sync_state_per_staff_calendar(salon_db: Database, clock: ManualClock) -> None:
    service = make_service(salon_db, clock)
    _, _, anna, ben = await ids(service)
    states = SyncStateRepository(salon_db)
    assert await states.get(anna, "cal") is None
    await states.save_sync_token(anna, "cal", "token-1", now=clock.now())
    expires = clock.now() + timedelta(days=7)
    await states.save_channel(
        anna,
        "cal",
        PushChannel(channel_id="ch", resource_id="res", expires_at=expires),
        now=clock.now(),
    )
    await states.save_sync_token(ben, "cal", "token-b", now=clock.now())
    anna_state = await states.get(anna, "cal")
    assert anna_state is not None
    assert (anna_state.sync_token, anna_state.channel_id, anna_state.resource_id) == (
        "token-1",
        "ch",
        "res",
    )
    assert anna_state.channel_expires_at == expires
    await states.save_sync_token(anna, "cal", None, now=clock.now())  # 410: sync fully next
    await states.save_channel(anna, "cal", None, now=clock.now())
    cleared = await states.get(anna, "cal")
    assert cleared is not None and cleared.sync_token is None and cleared.channel_id is None
    await states.forget(anna)
    assert [s.staff_id for s in await states.all()] == [ben]


async def test_cap_comes_from_the_setup_file(db: Database, tmp_path: Path) -> None:
    text = SALON.read_text("utf-8")
    assert "max_active_bookings" not in text
    await load_setup_file(SALON, db, default_timezone="UTC")
    stored = BusinessSettings.from_store(await SettingsRepository(db).all(), default_timezone="UTC")
    assert stored.max_active_bookings == 5  # the default
    capped = tmp_path / "capped.toml"
    capped.write_text(text.replace("[business]\n", "[business]\nmax_active_bookings = 3\n", 1))
    await load_setup_file(capped, db, default_timezone="UTC")
    stored = BusinessSettings.from_store(await SettingsRepository(db).all(), default_timezone="UTC")
    assert stored.max_active_bookings == 3
    for bad in ("0", "101", '"many"'):
        wrong = tmp_path / "wrong.toml"
        wrong.write_text(
            text.replace("[business]\n", f"[business]\nmax_active_bookings = {bad}\n", 1)
        )
        with pytest.raises(SetupFileError, match="max_active_bookings"):
            read_setup_file(wrong)
