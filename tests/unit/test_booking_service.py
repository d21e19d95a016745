"""The booking service over a real SQLite database: slots, booking, races, cancel, move."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from bot.booking import (
    BookingService,
    Contact,
    SlotUnavailable,
    TooLate,
    Unavailable,
    UnknownBooking,
)
from bot.clock import ManualClock
from bot.domain.timespan import Interval
from storage.bookings import (
    AlreadyBooked,
    Booked,
    BookingRepository,
    Changed,
    NotActive,
)
from storage.catalog import CatalogRepository
from storage.customers import CustomerRepository
from storage.db import Database
from storage.settings_store import SettingsRepository
from tests.week import HELSINKI as ZONE
from tests.week import MONDAY, SATURDAY, TUESDAY, WEDNESDAY
from tests.week import helsinki as at


class FixedBusy:
    """External busy time for tests (what Google free/busy will provide)."""

    def __init__(self, busy: dict[int, list[Interval]]) -> None:
        self._busy = busy

    async def busy(
        self,
        staff_ids: object,
        start: datetime,
        end: datetime,
        *,
        fresh: bool = False,
        any_age: bool = False,
    ) -> dict[int, list[Interval]]:
        return self._busy


def make_service(
    db: Database, clock: ManualClock, external: FixedBusy | None = None
) -> BookingService:
    return BookingService(
        catalog=CatalogRepository(db),
        customers=CustomerRepository(db),
        bookings=BookingRepository(db),
        settings=SettingsRepository(db),
        clock=clock,
        default_timezone="UTC",
        external_busy=external,
    )


def contact(user: int, name: str = "Ann") -> Contact:
    return Contact(telegram_user_id=user, name=name, phone=None, email=None)


async def ids(service: BookingService) -> tuple[int, int, int, int]:
    services = await service.active_services()
    cut, beard = services[0].id, services[1].id
    staff = await service.staff_for(cut)
    return cut, beard, staff[0].id, staff[1].id


async def test_slots_follow_hours_notice_and_buffers(
    salon_db: Database, clock: ManualClock
) -> None:
    service = make_service(salon_db, clock)
    cut, _, anna, _ = await ids(service)
    slots = await service.free_slots(cut, anna, TUESDAY)
    local = [s.astimezone(ZONE).strftime("%H:%M") for s in slots]
    # 60 min service: 09:00-11:00 before lunch, 13:00-16:00 after (half-hour steps).
    assert local == [
        "09:00",
        "09:30",
        "10:00",
        "10:30",
        "11:00",
        "13:00",
        "13:30",
        "14:00",
        "14:30",
        "15:00",
        "15:30",
        "16:00",
    ]
    booked = await service.book(
        contact=contact(1), service_id=cut, staff_id=anna, start=at(TUESDAY, 10), request_key=None
    )
    assert isinstance(booked, Booked)
    after = [
        s.astimezone(ZONE).strftime("%H:%M") for s in await service.free_slots(cut, anna, TUESDAY)
    ]
    # The booking blocks 10:00-11:30 (30 min buffer after); a new cut blocks its own hour + 30.
    assert "09:00" not in after and "10:00" not in after and "11:00" not in after
    assert "11:30" not in after  # would end 12:30, past the lunch break
    assert after[:2] == ["13:00", "13:30"]


async def test_today_respects_minimum_notice(salon_db: Database, clock: ManualClock) -> None:
    service = make_service(salon_db, clock)
    cut, _, anna, _ = await ids(service)
    clock.set(at(MONDAY, 9, 10))
    slots = await service.free_slots(cut, anna, MONDAY)
    assert min(slots) >= clock.now() + timedelta(minutes=60)


async def test_external_busy_blocks_slots(salon_db: Database, clock: ManualClock) -> None:
    plain = make_service(salon_db, clock)
    cut, _, anna, _ = await ids(plain)
    busy = FixedBusy({anna: [Interval(at(TUESDAY, 13), at(TUESDAY, 15))]})
    service = make_service(salon_db, clock, busy)
    local = [
        s.astimezone(ZONE).strftime("%H:%M") for s in await service.free_slots(cut, anna, TUESDAY)
    ]
    assert "13:00" not in local and "14:30" not in local
    assert "15:00" in local


async def test_fifty_concurrent_bookings_of_one_slot_book_once(
    salon_db: Database, clock: ManualClock
) -> None:
    service = make_service(salon_db, clock)
    cut, _, anna, _ = await ids(service)
    start = at(TUESDAY, 13)
    results = await asyncio.gather(
        *(
            service.book(
                contact=contact(100 + i),
                service_id=cut,
                staff_id=anna,
                start=start,
                request_key=f"k{i}",
            )
            for i in range(50)
        )
    )
    booked = [r for r in results if isinstance(r, Booked)]
    refused = [r for r in results if isinstance(r, SlotUnavailable)]
    assert len(booked) == 1 and len(refused) == 49
    assert all(r.alternatives and start not in r.alternatives for r in refused)
    async with salon_db.reader.execute(
        "SELECT count(*) FROM bookings WHERE status = 'confirmed'"
    ) as cur:
        assert (await cur.fetchone())[0] == 1  # type: ignore[index]
    assert len(await BookingRepository(salon_db).pending_outbox()) == 1


async def test_repeated_confirm_is_idempotent(salon_db: Database, clock: ManualClock) -> None:
    service = make_service(salon_db, clock)
    cut, _, anna, _ = await ids(service)
    kwargs = dict(contact=contact(1), service_id=cut, staff_id=anna, start=at(TUESDAY, 9))
    first = await service.book(request_key="same", **kwargs)  # type: ignore[arg-type]
    second = await service.book(request_key="same", **kwargs)  # type: ignore[arg-type]
    assert isinstance(first, Booked) and isinstance(second, AlreadyBooked)
    assert first.booking.id == second.booking.id


async def test_anyone_assigns_least_busy_staff_with_stable_tie_break(
    salon_db: Database, clock: ManualClock
) -> None:
    service = make_service(salon_db, clock)
    cut, _, anna, ben = await ids(service)
    first = await service.book(
        contact=contact(1), service_id=cut, staff_id=None, start=at(TUESDAY, 10), request_key=None
    )
    assert isinstance(first, Booked) and first.booking.staff_id == anna  # tie -> first in order
    second = await service.book(
        contact=contact(2), service_id=cut, staff_id=None, start=at(TUESDAY, 14), request_key=None
    )
    assert isinstance(second, Booked) and second.booking.staff_id == ben  # Anna has one already
    third = await service.book(
        contact=contact(3), service_id=cut, staff_id=None, start=at(TUESDAY, 10), request_key=None
    )
    assert isinstance(third, Booked) and third.booking.staff_id == ben  # Anna is taken at 10


async def test_anyone_day_off_and_single_staff_day(salon_db: Database, clock: ManualClock) -> None:
    service = make_service(salon_db, clock)
    cut, _, _, _ = await ids(service)
    local = [  # Wednesday is Ben's day off: only Anna's hours
        s.astimezone(ZONE).strftime("%H:%M") for s in await service.free_slots(cut, None, WEDNESDAY)
    ]
    assert local[0] == "09:00" and local[-1] == "16:00" and "17:00" not in local
    assert [  # only Ben works on Saturdays
        s.astimezone(ZONE).strftime("%H:%M") for s in await service.free_slots(cut, None, SATURDAY)
    ] == ["10:00", "10:30", "11:00", "11:30", "12:00", "12:30", "13:00"]


async def test_free_days_cover_horizon_only(salon_db: Database, clock: ManualClock) -> None:
    service = make_service(salon_db, clock)
    cut, _, anna, _ = await ids(service)
    days = await service.free_days(cut, anna)
    assert days[0] == MONDAY
    assert max(days) <= MONDAY + timedelta(days=13)
    assert all(d.weekday() < 5 for d in days)


async def test_cancel_respects_ownership_and_cutoff(salon_db: Database, clock: ManualClock) -> None:
    service = make_service(salon_db, clock)
    cut, _, anna, _ = await ids(service)
    booked = await service.book(
        contact=contact(1), service_id=cut, staff_id=anna, start=at(TUESDAY, 15), request_key=None
    )
    assert isinstance(booked, Booked)
    booking_id = booked.booking.id
    assert isinstance(await service.cancel(2, booking_id), UnknownBooking)  # someone else's booking
    assert await service.upcoming(2) == []
    clock.set(at(TUESDAY, 15) - timedelta(hours=23))
    too_late = await service.cancel(1, booking_id)
    assert isinstance(too_late, TooLate) and too_late.cutoff == timedelta(hours=24)
    clock.set(at(TUESDAY, 15) - timedelta(hours=25))
    done = await service.cancel(1, booking_id)
    assert isinstance(done, Changed) and done.booking.status == "cancelled"
    assert done.booking.sequence == 1
    assert isinstance(await service.cancel(1, booking_id), NotActive)
    history = await service.bookings.history(booking_id)
    assert [h.action for h in history] == ["created", "cancelled"]
    assert await service.bookings.pending_outbox() == [
        (booking_id, "upsert"),
        (booking_id, "delete"),
    ]


async def test_reschedule_moves_within_own_free_time(
    salon_db: Database, clock: ManualClock
) -> None:
    service = make_service(salon_db, clock)
    cut, _, anna, _ = await ids(service)
    mine = await service.book(
        contact=contact(1), service_id=cut, staff_id=anna, start=at(TUESDAY, 13), request_key=None
    )
    other = await service.book(
        contact=contact(2), service_id=cut, staff_id=anna, start=at(TUESDAY, 15), request_key=None
    )
    assert isinstance(mine, Booked) and isinstance(other, Booked)
    # Moving by 30 minutes overlaps only the booking itself, which must not block the move.
    moved = await service.reschedule(1, mine.booking.id, at(TUESDAY, 13, 30))
    assert isinstance(moved, Changed)
    assert moved.booking.start == at(TUESDAY, 13, 30) and moved.booking.sequence == 1
    clash = await service.reschedule(1, mine.booking.id, at(TUESDAY, 15))
    assert isinstance(clash, SlotUnavailable) and at(TUESDAY, 15) not in clash.alternatives
    assert isinstance(await service.reschedule(2, mine.booking.id, at(TUESDAY, 9)), UnknownBooking)


async def test_inactive_service_cannot_be_booked(salon_db: Database, clock: ManualClock) -> None:
    service = make_service(salon_db, clock)
    cut, _, anna, _ = await ids(service)
    async with salon_db.transaction() as tx:
        await tx.execute("UPDATE services SET active = 0 WHERE id = ?", (cut,))
    result = await service.book(
        contact=contact(1), service_id=cut, staff_id=anna, start=at(TUESDAY, 9), request_key=None
    )
    assert isinstance(result, Unavailable)
