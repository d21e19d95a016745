"""The booking service's one availability path (bot/availability.py): records in, slots out."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from bot.availability import compute, read_span
from bot.booking import BookingService, Contact
from bot.business import BusinessSettings
from bot.clock import ManualClock
from bot.domain.timespan import Interval
from storage.bookings import Booked, BookingRepository
from storage.catalog import CatalogRepository
from storage.customers import CustomerRepository
from storage.db import Database
from storage.records import BlockedTimes, HoursRow, ServiceRecord, StaffHours
from storage.settings_store import SettingsRepository

HOUR = timedelta(hours=1)


def booking_service(db: Database, clock: ManualClock) -> BookingService:
    return BookingService(
        catalog=CatalogRepository(db),
        customers=CustomerRepository(db),
        bookings=BookingRepository(db),
        settings=SettingsRepository(db),
        clock=clock,
        default_timezone="UTC",
    )


async def every_start(
    service: BookingService, service_id: int, staff_id: int | None
) -> list[datetime]:
    """All free starts of the horizon, as the day list and the slot lists show them."""
    days = await service.free_days(service_id, staff_id)
    return [s for day in days for s in await service.free_slots(service_id, staff_id, day)]


async def test_alternatives_are_the_nearest_free_starts(
    salon_db: Database, clock: ManualClock
) -> None:
    service = booking_service(salon_db, clock)
    cut = (await service.active_services())[0].id
    staff = [s.id for s in await service.staff_for(cut)]
    for staff_id in (None, *staff):
        every = await every_start(service, cut, staff_id)
        assert len(every) > 10
        for wanted in (every[0] - HOUR, every[len(every) // 2] + timedelta(minutes=7)):
            expected = sorted(sorted(every, key=lambda s: (abs(s - wanted), s))[:3])
            assert await service.alternatives(cut, staff_id, wanted) == expected
    assert await service.alternatives(10_000, None, clock.now()) == []


async def test_anyone_is_the_union_and_a_taken_start_is_gone(
    salon_db: Database, clock: ManualClock
) -> None:
    service = booking_service(salon_db, clock)
    cut = (await service.active_services())[0].id
    staff = [s.id for s in await service.staff_for(cut)]
    union = sorted({s for staff_id in staff for s in await every_start(service, cut, staff_id)})
    assert await every_start(service, cut, None) == union
    wanted = (await every_start(service, cut, staff[0]))[0]
    booked = await service.book(
        contact=Contact(telegram_user_id=5, name="Ann", phone=None, email=None),
        service_id=cut,
        staff_id=staff[0],
        start=wanted,
        request_key=None,
    )
    assert isinstance(booked, Booked)
    assert wanted not in await every_start(service, cut, staff[0])
    assert wanted not in await service.alternatives(cut, staff[0], wanted)


def test_compute_from_records() -> None:
    """Bookings and external busy time block their staff member only; bookings are counted
    per local day."""
    business = BusinessSettings(
        timezone="Europe/Helsinki", horizon_days=2, min_notice=timedelta(0), slot_step=HOUR
    )
    now = datetime(2026, 5, 4, 3, 0, tzinfo=UTC)  # Monday 06:00 in Helsinki (UTC+3)
    monday = date(2026, 5, 4)
    nine = datetime(2026, 5, 4, 6, 0, tzinfo=UTC)  # 09:00 local
    service = ServiceRecord(
        id=1,
        slug="cut",
        name="Cut",
        description="",
        duration=HOUR,
        price_minor=0,
        currency="EUR",
        buffer_before=timedelta(0),
        buffer_after=timedelta(0),
        active=True,
        position=0,
    )
    hours = {
        i: StaffHours(
            staff_id=i,
            weekly=tuple(HoursRow(weekday=d, start_minute=540, end_minute=720) for d in range(7)),
            overrides=(),
        )
        for i in (1, 2)
    }

    nine_second = int(nine.timestamp())
    # One-hour bookings with 30 minutes' buffer after them, as storage returns them.
    booked = BlockedTimes(
        spans={
            1: [(nine_second, nine_second + 5400)],
            2: [(nine_second + 3600, nine_second + 9000)],
        },
        starts={1: [nine_second], 2: [nine_second + 3600]},
    )
    external = {2: [Interval(nine + 2 * HOUR, nine + 3 * HOUR)]}
    span = read_span(business, service, now, None)
    assert span.window is None
    found = compute(
        service=service,
        business=business,
        span=span,
        now=now,
        staff_ids=[1, 2],
        hours=hours,
        booked=booked,
        external=external,
    )
    local = {
        s.astimezone(business.tz).strftime("%H:%M"): who for s, who in found.free.on(monday).items()
    }
    # Staff 1: 09:00 booked, its 30 min buffer keeps 10:00 out too. Staff 2: 10:00 booked
    # (buffer to 11:30), 11:00 busy elsewhere.
    assert local == {"09:00": (2,), "11:00": (1,)}
    assert found.free.days() == [monday, monday + timedelta(days=1)]
    assert (found.bookings_on(1, monday), found.bookings_on(2, monday)) == (1, 1)
    assert found.bookings_on(1, monday + timedelta(days=1)) == 0
    moving = compute(
        service=service,
        business=business,
        span=read_span(business, service, now, monday),
        now=now,
        staff_ids=[1],
        hours=hours,
        booked=BlockedTimes(spans={1: []}, starts={1: []}),
        external={},
    )
    assert list(moving.free.on(monday)) == [nine, nine + HOUR, nine + 2 * HOUR]
    assert moving.free.days() == [monday]  # a one-day query offers that day only
    assert moving.bookings_on(1, monday) == 0
