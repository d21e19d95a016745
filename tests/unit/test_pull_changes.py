"""`bot.sync.changes`: an unreadable event is skipped (never raised), events not ours or of
another staff member change nothing, a stretched event is refused gracefully, a deleted event
cancels with origin google (no outbox row), and an undelivered own change wins."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.booking import BookingService
from bot.clock import ManualClock
from bot.google.calendar import parse_event
from bot.sync.changes import ChangeApplier, booking_id_of
from bot.sync.event_content import OWNER_KEY
from storage.bookings import Booked
from storage.db import Database
from storage.outbox import OutboxRepository
from storage.records import BookingRecord
from storage.sync_state import SyncStateRepository
from tests.unit.test_booking_service import contact, ids, make_service
from tests.week import TUESDAY
from tests.week import helsinki as at

CAL = "anna@example.com"


def _event(booking_id: str, start: str, end: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": booking_id,
        "etag": '"2"',
        "start": {"dateTime": start},
        "end": {"dateTime": end},
        **extra,
    }


async def _booked(
    salon_db: Database, clock: ManualClock
) -> tuple[BookingService, BookingRecord, int]:
    service = make_service(salon_db, clock)
    cut, _, anna, _ = await ids(service)
    result = await service.book(
        contact=contact(1), service_id=cut, staff_id=anna, start=at(TUESDAY, 13), request_key=None
    )
    assert isinstance(result, Booked)
    async with salon_db.transaction() as tx:  # as if the outbox worker delivered it
        await tx.execute("UPDATE outbox SET delivered_at = 1")
    return service, result.booking, anna


async def test_odd_events_are_skipped_and_foreign_ones_change_nothing(
    salon_db: Database, clock: ManualClock
) -> None:
    service, booking, anna = await _booked(salon_db, clock)
    applier = ChangeApplier(bookings=service.bookings, state=SyncStateRepository(salon_db))
    now = clock.now()
    odd: list[dict[str, Any]] = [
        {},  # no id
        {"id": booking.id, "start": {"dateTime": "not a time"}, "end": {"dateTime": "x"}},
        {"id": booking.id, "start": "2026", "end": None},
        _event(booking.id, at(TUESDAY, 15).isoformat(), at(TUESDAY, 14).isoformat()),  # ends first
    ]
    for resource in odd:
        applied = await applier.apply(resource, staff_id=anna, calendar_id=CAL, now=now)
        assert applied.outcome == "skipped", resource
    foreign = _event("somebodyelse1", at(TUESDAY, 9).isoformat(), at(TUESDAY, 10).isoformat())
    assert (await applier.apply(foreign, staff_id=anna, calendar_id=CAL, now=now)).outcome == (
        "not_ours"
    )
    moved = _event(booking.id, at(TUESDAY, 15).isoformat(), at(TUESDAY, 16).isoformat())
    other_staff = anna + 1
    assert (await applier.apply(moved, staff_id=other_staff, calendar_id=CAL, now=now)).outcome == (
        "not_ours"
    )
    stretched = _event(
        booking.id, at(TUESDAY, 15).isoformat(), (at(TUESDAY, 15) + timedelta(hours=72)).isoformat()
    )
    assert (await applier.apply(stretched, staff_id=anna, calendar_id=CAL, now=now)).outcome == (
        "skipped"
    )
    unchanged = await service.bookings.get(booking.id)
    assert unchanged is not None and unchanged.start == booking.start


async def test_deleted_event_cancels_without_writing_back(
    salon_db: Database, clock: ManualClock
) -> None:
    service, booking, anna = await _booked(salon_db, clock)
    applier = ChangeApplier(bookings=service.bookings, state=SyncStateRepository(salon_db))
    deleted = {"id": booking.id, "etag": '"3"', "status": "cancelled"}
    applied = await applier.apply(deleted, staff_id=anna, calendar_id=CAL, now=clock.now())
    assert applied.outcome == "cancelled"
    assert applied.booking is not None and applied.booking.status == "cancelled"
    assert await OutboxRepository(salon_db).pending() == []
    again = await applier.apply(deleted, staff_id=anna, calendar_id=CAL, now=clock.now())
    assert again.outcome == "unchanged"


async def test_undelivered_own_change_wins_and_own_etag_is_no_change(
    salon_db: Database, clock: ManualClock
) -> None:
    service, booking, anna = await _booked(salon_db, clock)
    state = SyncStateRepository(salon_db)
    applier = ChangeApplier(bookings=service.bookings, state=state)
    await service.bookings.record_event(booking.id, calendar_id=CAL, etag='"own"')
    ours = _event(
        booking.id, at(TUESDAY, 15).isoformat(), at(TUESDAY, 16).isoformat(), etag='"own"'
    )
    assert (await applier.apply(ours, staff_id=anna, calendar_id=CAL, now=clock.now())).outcome == (
        "unchanged"
    )
    # The customer cancels; before the outbox delivers it, Google still shows the event moved.
    await service.bookings.cancel(booking.id, customer_id=None, now=clock.now(), origin="customer")
    assert await state.undelivered_writes(booking.id) == 1
    stale = _event(booking.id, at(TUESDAY, 15).isoformat(), at(TUESDAY, 16).isoformat())
    assert (
        await applier.apply(stale, staff_id=anna, calendar_id=CAL, now=clock.now())
    ).outcome == ("unchanged")


def test_booking_is_named_by_private_property_or_event_id() -> None:
    start, end = at(TUESDAY, 13).isoformat(), (at(TUESDAY, 13) + timedelta(hours=1)).isoformat()
    named = parse_event(
        _event("abc12", start, end, extendedProperties={"private": {OWNER_KEY: "xyz99"}})
    )
    assert booking_id_of(named) == "xyz99"
    assert booking_id_of(parse_event(_event("abc12", start, end))) == "abc12"


async def test_a_cancelled_copy_in_another_calendar_cancels_nothing(
    salon_db: Database, clock: ManualClock
) -> None:
    service, booking, anna = await _booked(salon_db, clock)
    applier = ChangeApplier(bookings=service.bookings, state=SyncStateRepository(salon_db))
    # The event was moved to Anna's new destination; events.move left a cancelled copy behind.
    await service.bookings.record_event(booking.id, calendar_id="new@group", etag='"9"')
    copy = {"id": booking.id, "etag": '"10"', "status": "cancelled"}
    applied = await applier.apply(copy, staff_id=anna, calendar_id=CAL, now=clock.now())
    assert applied.outcome == "not_ours"
    kept = await service.bookings.get(booking.id)
    assert kept is not None and kept.status == "confirmed"
    applied = await applier.apply(copy, staff_id=anna, calendar_id="new@group", now=clock.now())
    assert applied.outcome == "cancelled"


async def test_the_restored_event_of_a_cancelled_booking_is_the_staff_members_own_time(
    salon_db: Database, clock: ManualClock
) -> None:
    service, booking, anna = await _booked(salon_db, clock)
    applier = ChangeApplier(bookings=service.bookings, state=SyncStateRepository(salon_db))
    start, end = booking.start.isoformat(), booking.end.isoformat()
    deleted = _event(booking.id, start, end, status="cancelled")
    now = clock.now()
    assert (await applier.apply(deleted, staff_id=anna, calendar_id=CAL, now=now)).outcome == (
        "cancelled"
    )
    # Anna restores the event in Google: it blocks her time (the busy-time cache must hear of
    # it), but the booking stays cancelled.
    restored = _event(booking.id, start, end, etag='"3"')
    applied = await applier.apply(restored, staff_id=anna, calendar_id=CAL, now=now)
    assert applied.outcome == "not_ours"
    kept = await service.bookings.get(booking.id)
    assert kept is not None and not kept.is_active
