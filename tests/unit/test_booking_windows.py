"""The overlap and window queries bound their index range on both sides (so they never walk a
staff member's history) and still answer exactly what a scan of every booking would.

A seeded random walk books, moves and cancels bookings of every length the bot allows, near
and far in the past and future, and checks each answer against a plain Python model.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from bot.ids import new_booking_id
from storage.bookings import (
    MAX_BLOCKED_SECONDS,
    Booked,
    BookingRepository,
    Changed,
    SlotTaken,
)
from storage.catalog import CatalogRepository
from storage.customers import CustomerRepository
from storage.db import Database
from storage.records import CustomerDetails, NewBooking

ORIGIN = datetime(2030, 1, 7, tzinfo=UTC)  # the model's "now"; any date works
MIN = timedelta(minutes=1)


@dataclass
class Stored:
    """The model's copy of one booking."""

    id: str
    staff_id: int
    customer_id: int
    start: datetime
    end: datetime
    blocked: tuple[int, int]
    confirmed: bool = True


def seconds(moment: datetime) -> int:
    return int(moment.timestamp())


def meets(item: Stored, start: int, end: int) -> bool:
    return item.confirmed and item.blocked[0] < end and item.blocked[1] > start


def random_booking(rng: random.Random) -> tuple[datetime, datetime, datetime, datetime]:
    """A booking anywhere from a year back to a month ahead, of any length the bot allows
    (5 minutes to 24 hours, buffers up to 4 hours each side)."""
    start = ORIGIN + rng.randrange(-365 * 288, 30 * 288) * 5 * MIN
    length = rng.choice((5, 30, 60, 90, 600, 24 * 60)) * MIN
    before, after = rng.choice((0, 15, 240)) * MIN, rng.choice((0, 10, 240)) * MIN
    return start - before, start, start + length, start + length + after


async def test_queries_match_a_scan_of_every_booking(salon_db: Database) -> None:
    rng = random.Random(20301)  # noqa: S311 - a reproducible walk, not a secret
    repo = BookingRepository(salon_db)
    service = (await CatalogRepository(salon_db).active_services())[0]
    staff_ids = [s.id for s in await CatalogRepository(salon_db).staff_for_service(service.id)]
    customers = [
        await CustomerRepository(salon_db).save(
            telegram_user_id=100 + n, name=f"C{n}", phone=None, email=None, now=ORIGIN
        )
        for n in range(3)
    ]
    model: list[Stored] = []

    def taken(staff_id: int, start: int, end: int, ignore: str | None = None) -> bool:
        return any(meets(b, start, end) for b in model if b.staff_id == staff_id and b.id != ignore)

    for _ in range(1500):
        staff_id = rng.choice(staff_ids)
        blocked_start, start, end, blocked_end = random_booking(rng)
        span = (seconds(blocked_start), seconds(blocked_end))
        action = rng.random()
        if action < 0.7 or not model:
            customer = rng.choice(customers)
            new = NewBooking(
                id=new_booking_id(),
                customer=CustomerDetails(
                    telegram_user_id=customer.telegram_user_id,
                    name=customer.name,
                    phone=None,
                    email=None,
                ),
                staff_ids=(staff_id,),
                service_id=service.id,
                start=start,
                end=end,
                blocked_start=blocked_start,
                blocked_end=blocked_end,
                price_minor=0,
                currency="EUR",
                request_key=None,
            )
            result = await repo.try_book(new, now=ORIGIN, origin="customer")
            assert isinstance(result, SlotTaken) == taken(staff_id, *span)
            if isinstance(result, Booked):
                model.append(Stored(new.id, staff_id, customer.id, start, end, span))
        elif action < 0.85:
            moved = rng.choice(model)
            moved_result = await repo.reschedule(
                moved.id,
                customer_id=None,
                start=start,
                end=end,
                blocked_start=blocked_start,
                blocked_end=blocked_end,
                now=ORIGIN,
                origin="customer",
            )
            if moved.confirmed:
                expect_taken = taken(moved.staff_id, *span, ignore=moved.id)
                assert isinstance(moved_result, SlotTaken) == expect_taken
                if isinstance(moved_result, Changed):
                    moved.start, moved.end, moved.blocked = start, end, span
        else:
            cancelled = rng.choice(model)
            await repo.cancel(cancelled.id, customer_id=None, now=ORIGIN, origin="customer")
            cancelled.confirmed = False

    assert len([b for b in model if b.confirmed]) > 300  # the walk built a real history
    for _ in range(300):
        ids = rng.sample(staff_ids, rng.randint(1, len(staff_ids)))
        first = ORIGIN + rng.randrange(-400 * 24, 40 * 24) * 60 * MIN
        last = first + rng.choice((1, 30, 60 * 24, 60 * 48, 60 * 24 * 30)) * MIN
        span = (seconds(first), seconds(last))
        ignore = rng.choice([None, rng.choice(model).id])
        found = await repo.blocked_times(ids, first, last, ignore_booking=ignore)
        assert set(found.spans) == set(found.starts) == set(ids)
        for staff_id in ids:
            expected = sorted(
                (seconds(b.start), b.blocked)
                for b in model
                if b.staff_id == staff_id and b.id != ignore and meets(b, *span)
            )
            assert sorted(zip(found.starts[staff_id], found.spans[staff_id], strict=True)) == (
                expected
            )
    for customer in customers:
        for offset in range(-3, 4):
            now = ORIGIN + offset * 9 * 60 * MIN
            upcoming = await repo.upcoming_for_customer(customer.id, now)
            mine = [b for b in model if b.customer_id == customer.id and b.confirmed]
            expected_ids = [b.id for b in sorted(mine, key=lambda b: b.start) if b.end > now]
            assert [b.id for b in upcoming] == expected_ids


async def test_a_window_longer_than_the_bound_is_refused(salon_db: Database) -> None:
    repo = BookingRepository(salon_db)
    service = (await CatalogRepository(salon_db).active_services())[0]
    staff = (await CatalogRepository(salon_db).staff_for_service(service.id))[0]
    customer = CustomerDetails(telegram_user_id=7, name="C", phone=None, email=None)
    end = ORIGIN + timedelta(seconds=MAX_BLOCKED_SECONDS + 1)
    new = NewBooking(
        id=new_booking_id(),
        customer=customer,
        staff_ids=(staff.id,),
        service_id=service.id,
        start=ORIGIN,
        end=end,
        blocked_start=ORIGIN,
        blocked_end=end,
        price_minor=0,
        currency="EUR",
        request_key=None,
    )
    with pytest.raises(ValueError, match="at most"):
        await repo.try_book(new, now=ORIGIN, origin="customer")
    nothing = await repo.blocked_times([staff.id], ORIGIN - timedelta(days=9), end)
    assert nothing.spans == {staff.id: []}
