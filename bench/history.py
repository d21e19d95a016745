"""Does history slow the booking steps? ``python -m bench.history [--past 100000] [--rounds 200]``

Two SQLite databases with the same studio (bench/studio.py: 10 staff, open 08:00-20:00 every
day, a 30-minute service, 30-day horizon) and the same customers: one without bookings, one
with `--past` bookings in the past (about 16 a day per staff member going back in time, 5 %
of them cancelled, spread over 2,000 customers), written through `BookingRepository` as the
bot writes them (booking, history and outbox rows).

Then the bot's own code, `BookingService` on each database with the same clock, runs the
steps of a booking, alternating between the two databases in a random order every round:

* day list     `free_days(service, anyone)`, and for one staff member;
* slot list    `free_slots(service, anyone, day)`;
* confirm      `book(...)` of a free time by a customer who has booked before.

Both databases receive the same new bookings, so they differ only by the past. Prints the
median and p95 of each step on each database and the ratio of medians history/empty (target
<= 1.1). Never asserts on time.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import random
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from bench.studio import business_file
from bot.booking import BookingService, Contact
from bot.clock import ManualClock
from bot.ids import new_booking_id
from bot.setup_file import load_setup_file
from storage.bookings import Booked, BookingRepository
from storage.catalog import CatalogRepository
from storage.customers import CustomerRepository
from storage.db import Database
from storage.migrate import migrate
from storage.records import CustomerDetails, NewBooking
from storage.settings_store import SettingsRepository

NOW = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)  # a Monday morning, 08:00 in Helsinki
STAFF = 10
CUSTOMERS = 2_000
PER_DAY = 16  # past bookings per staff member per day, of the 24 half hours
TARGET_RATIO = 1.1
STEPS = ("day list, anyone", "day list, one staff", "slot list, anyone", "confirm")


async def open_studio(folder: Path, name: str) -> tuple[Database, BookingService]:
    """A migrated database with the studio and its customers, and the bot's service on it."""
    db = await Database.open(folder / f"{name}.db")
    await migrate(db)
    await load_setup_file(business_file(folder, STAFF), db, default_timezone="UTC")
    customers = CustomerRepository(db)
    for n in range(CUSTOMERS):
        await customers.save(
            telegram_user_id=1_000 + n, name=f"Customer {n}", phone=None, email=None, now=NOW
        )
    service = BookingService(
        catalog=CatalogRepository(db),
        customers=customers,
        bookings=BookingRepository(db),
        settings=SettingsRepository(db),
        clock=ManualClock(NOW),
        default_timezone="UTC",
    )
    return db, service


async def write_history(service: BookingService, count: int, rng: random.Random) -> float:
    """`count` past bookings through the repository, newest day first; returns seconds."""
    began = time.perf_counter()
    cut = (await service.active_services())[0]
    staff = await service.staff_for(cut.id)
    tz = (await service.business()).tz
    customers = [
        found for n in range(CUSTOMERS) if (found := await service.customer(1_000 + n)) is not None
    ]
    today = NOW.astimezone(tz).date()
    written, day = 0, today
    while written < count:
        day -= timedelta(days=1)
        opening = datetime.combine(day, datetime.min.time(), tz) + timedelta(hours=8)
        for member in staff:
            for half_hour in sorted(rng.sample(range(24), PER_DAY)):
                if written == count:
                    break
                start = (opening + half_hour * timedelta(minutes=30)).astimezone(UTC)
                customer = rng.choice(customers)
                made = start - timedelta(days=rng.randint(1, 20))
                new = NewBooking(
                    id=new_booking_id(),
                    customer=CustomerDetails(
                        telegram_user_id=customer.telegram_user_id,
                        name=customer.name,
                        phone=None,
                        email=None,
                    ),
                    staff_ids=(member.id,),
                    service_id=cut.id,
                    start=start,
                    end=start + cut.duration,
                    blocked_start=start - cut.buffer_before,
                    blocked_end=start + cut.duration + cut.buffer_after,
                    price_minor=cut.price_minor,
                    currency=cut.currency,
                    request_key=None,
                )
                result = await service.bookings.try_book(new, now=made, origin="customer")
                assert isinstance(result, Booked)
                if rng.random() < 0.05:
                    await service.bookings.cancel(
                        new.id, customer_id=None, now=made, origin="customer"
                    )
                written += 1
    return time.perf_counter() - began


async def timed(action: Callable[[], Awaitable[object]]) -> tuple[float, object]:
    """Seconds one awaited call takes, and what it returned."""
    gc.collect()
    began = time.perf_counter()
    result = await action()
    return time.perf_counter() - began, result


async def one_round(
    service: BookingService, round_number: int, day: date, times: dict[str, list[float]]
) -> None:
    """The steps of one booking on one database, each timed."""
    cut = (await service.active_services())[0]
    staff = await service.staff_for(cut.id)
    seconds, _ = await timed(lambda: service.free_days(cut.id, None))
    times["day list, anyone"].append(seconds)
    member = staff[round_number % len(staff)]
    seconds, _ = await timed(lambda: service.free_days(cut.id, member.id))
    times["day list, one staff"].append(seconds)
    seconds, slots = await timed(lambda: service.free_slots(cut.id, None, day))
    times["slot list, anyone"].append(seconds)
    assert isinstance(slots, list)
    assert slots, "the day filled up: use fewer rounds"
    number = round_number * 7 % CUSTOMERS  # a customer who may have booked in the past
    contact = Contact(
        telegram_user_id=1_000 + number, name=f"Customer {number}", phone=None, email=None
    )
    seconds, outcome = await timed(
        lambda: service.book(
            contact=contact,
            service_id=cut.id,
            staff_id=None,
            start=slots[round_number % len(slots)],
            request_key=f"round-{round_number}",
        )
    )
    times["confirm"].append(seconds)
    assert isinstance(outcome, Booked), outcome


def p95(values: list[float]) -> float:
    """Nearest-rank 95th percentile."""
    ordered = sorted(values)
    return ordered[max(0, -(-95 * len(ordered) // 100) - 1)]


async def main(past: int, rounds: int) -> None:
    """Build both databases, run the rounds, print figures and ratios."""
    rng = random.Random(11)
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        empty_db, empty = await open_studio(folder, "empty")
        history_db, history = await open_studio(folder, "history")
        try:
            took = await write_history(history, past, rng)
            print(f"history: {past} past bookings written in {took:.0f} s (not timed below)")
            tz = (await empty.business()).tz
            # Rounds book from tomorrow on: the day list and the slot list stay busy alike.
            day = NOW.astimezone(tz).date() + timedelta(days=1)
            results: dict[str, dict[str, list[float]]] = {
                label: {step: [] for step in STEPS} for label in ("empty", "history")
            }
            for round_number in range(rounds):
                order = [("empty", empty), ("history", history)]
                rng.shuffle(order)
                for label, service in order:
                    await one_round(
                        service,
                        round_number,
                        day + timedelta(days=round_number % 5),
                        results[label],
                    )
        finally:
            await empty_db.close()
            await history_db.close()
    print(f"rounds: {rounds}, each database, order shuffled every round")
    print(f"{'step':<22}{'empty p50/p95 ms':>20}{'history p50/p95 ms':>22}{'ratio':>8}")
    verdicts = []
    for step in STEPS:
        a, b = results["empty"][step], results["history"][step]
        ratio = statistics.median(b) / statistics.median(a)
        verdicts.append(ratio <= TARGET_RATIO)
        print(
            f"{step:<22}{statistics.median(a) * 1e3:11.2f} /{p95(a) * 1e3:7.2f}"
            f"{statistics.median(b) * 1e3:13.2f} /{p95(b) * 1e3:7.2f}{ratio:8.2f}"
        )
    print(
        f"ratio of medians history/empty <= {TARGET_RATIO}: "
        f"{'PASS' if all(verdicts) else 'FAIL'} ({sum(verdicts)} of {len(verdicts)} steps)"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--past", type=int, default=100_000, help="past bookings to write")
    parser.add_argument("--rounds", type=int, default=200, help="timed rounds per database")
    options = parser.parse_args()
    asyncio.run(main(options.past, options.rounds))
