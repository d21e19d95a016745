"""Storage compares blocked windows (time plus buffers), half-open, when it inserts a booking.

`BookingRepository.try_book` is the last check against double booking, inside the write
transaction: a booking that leaves another one's appointment alone but reaches into its
buffer before or after (or whose own buffer reaches into the other's window) is refused;
one that only touches the other's blocked window is stored.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

import pytest

from bot.clock import ManualClock
from bot.ids import new_booking_id
from storage.bookings import Booked, BookingRepository, BookResult, SlotTaken
from storage.db import Database
from storage.records import CustomerDetails, NewBooking
from tests.unit.test_booking_service import ids, make_service
from tests.week import TUESDAY
from tests.week import helsinki as at

NONE = timedelta(0)
# The booking already there: Tue 13:00-14:00 with 15 min before and 30 min after, so it
# blocks 12:45-14:30 (Helsinki time) for its staff member.
EXISTING_START, EXISTING_END = at(TUESDAY, 13), at(TUESDAY, 14)
EXISTING_BEFORE, EXISTING_AFTER = timedelta(minutes=15), timedelta(minutes=30)
SECOND = timedelta(seconds=1)

TryBook = Callable[[datetime, datetime, timedelta, timedelta], Awaitable[BookResult]]


@pytest.fixture
async def try_book(salon_db: Database, clock: ManualClock) -> TryBook:
    """Books for Anna through the repository alone; the existing booking is already stored."""
    service = make_service(salon_db, clock)
    cut, _, anna, _ = await ids(service)
    customer = CustomerDetails(telegram_user_id=1, name="Ann", phone=None, email=None)
    repository = BookingRepository(salon_db)

    async def book(
        start: datetime, end: datetime, before: timedelta, after: timedelta
    ) -> BookResult:
        new = NewBooking(
            id=new_booking_id(),
            customer=customer,
            staff_ids=(anna,),
            service_id=cut,
            start=start,
            end=end,
            blocked_start=start - before,
            blocked_end=end + after,
            price_minor=4500,
            currency="EUR",
            request_key=None,
        )
        return await repository.try_book(new, now=clock.now(), origin="customer")

    existing = await book(EXISTING_START, EXISTING_END, EXISTING_BEFORE, EXISTING_AFTER)
    assert isinstance(existing, Booked)
    return book


async def _stored(db: Database) -> list[tuple[int, int]]:
    async with db.reader.execute(
        "SELECT start_utc, end_utc FROM bookings WHERE status = 'confirmed' ORDER BY start_utc"
    ) as cur:
        return [(r[0], r[1]) for r in await cur.fetchall()]


@pytest.mark.parametrize(
    ("start", "end", "before", "after"),
    [
        # The new appointment lies wholly inside the existing one's buffer before.
        pytest.param(at(TUESDAY, 12, 45), at(TUESDAY, 13), NONE, NONE, id="in-buffer-before"),
        # It starts exactly when the existing appointment ends, inside its buffer after.
        pytest.param(at(TUESDAY, 14), at(TUESDAY, 14, 30), NONE, NONE, id="in-buffer-after"),
        # Ends one second into the buffer before / starts one second before the buffer ends.
        pytest.param(
            at(TUESDAY, 12), at(TUESDAY, 12, 45) + SECOND, NONE, NONE, id="1s-into-buffer-before"
        ),
        pytest.param(
            at(TUESDAY, 14, 30) - SECOND, at(TUESDAY, 15), NONE, NONE, id="1s-into-buffer-after"
        ),
        # The new booking's own buffers reach into the existing buffers (times 30 min apart).
        pytest.param(
            at(TUESDAY, 11, 30),
            at(TUESDAY, 12, 30),
            NONE,
            timedelta(minutes=20),
            id="own-buffer-after-meets-buffer-before",
        ),
        pytest.param(
            at(TUESDAY, 15),
            at(TUESDAY, 16),
            timedelta(minutes=45),
            NONE,
            id="own-buffer-before-meets-buffer-after",
        ),
    ],
)
async def test_overlapping_only_a_buffer_is_refused(
    try_book: TryBook,
    salon_db: Database,
    start: datetime,
    end: datetime,
    before: timedelta,
    after: timedelta,
) -> None:
    assert not (start < EXISTING_END and end > EXISTING_START)  # the appointments don't overlap
    stored = await _stored(salon_db)
    assert isinstance(await try_book(start, end, before, after), SlotTaken)
    assert await _stored(salon_db) == stored
    assert len(await BookingRepository(salon_db).pending_outbox()) == 1


@pytest.mark.parametrize(
    ("start", "end", "before", "after"),
    [
        pytest.param(
            at(TUESDAY, 12), at(TUESDAY, 12, 45), NONE, NONE, id="ends-where-buffer-before-starts"
        ),
        pytest.param(
            at(TUESDAY, 14, 30), at(TUESDAY, 15), NONE, NONE, id="starts-where-buffer-after-ends"
        ),
        pytest.param(
            at(TUESDAY, 11, 30),
            at(TUESDAY, 12, 30),
            NONE,
            timedelta(minutes=15),
            id="own-buffer-after-ends-where-buffer-before-starts",
        ),
        pytest.param(
            at(TUESDAY, 15),
            at(TUESDAY, 16),
            timedelta(minutes=30),
            NONE,
            id="own-buffer-before-starts-where-buffer-after-ends",
        ),
    ],
)
async def test_touching_the_blocked_window_is_accepted(
    try_book: TryBook,
    salon_db: Database,
    start: datetime,
    end: datetime,
    before: timedelta,
    after: timedelta,
) -> None:
    result = await try_book(start, end, before, after)
    assert isinstance(result, Booked)
    assert (result.booking.blocked_start, result.booking.blocked_end) == (
        start - before,
        end + after,
    )
    assert len(await _stored(salon_db)) == 2
    assert len(await BookingRepository(salon_db).pending_outbox()) == 2
