"""End-to-end booking throughput through the real PTB Application and the Telegram emulator.

Run: `python -m bench.booking_throughput [--customers 50] [--rounds 2]`

1. Baseline: a bare PTB Application that answers every /start with one message, driven by
   the same emulator and concurrency: updates per second.
2. bookbot: each customer books whole appointments through the chat (service, staff, day,
   time, contact, confirm): bookings per second and updates per second, plus the p50/p95
   latency of the Confirm step (press -> confirmation sent).
Prints the figures and the ratio bookbot/baseline (target >= 0.5). No asserts on time.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from telegram import Update
from telegram.ext import ApplicationBuilder, CommandHandler, ContextTypes

from bot.app import HTTP_POOL_SIZE
from bot.clock import ManualClock
from tests.conftest import MONDAY_MORNING
from tests.e2e.harness import bot_settings, buttons, load_business, running_bot
from tests.fakes.telegram import FakeTelegram, FakeUser

JSON = dict[str, Any]
STAFF_PER_RUN = 50


def business_file(folder: Path, staff: int) -> Path:
    """A business with one staff member per concurrent customer, so nobody collides."""
    lines = [
        "[business]",
        'name = "Bench"',
        'timezone = "Europe/Helsinki"',
        "horizon_days = 30",
        "min_notice_minutes = 0",
        "slot_step_minutes = 30",
        'ask_phone = "optional"',
        'ask_email = "no"',
        "",
        "[[services]]",
        'id = "cut"',
        'name = "Cut"',
        "duration_minutes = 30",
        "price = 1000",
    ]
    for i in range(staff):
        lines += [
            "",
            "[[staff]]",
            f'id = "s{i}"',
            f'name = "Staff {i:02d}"',
            'services = ["cut"]',
            "[staff.hours]",
            *(f'{d} = ["08:00-20:00"]' for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")),
        ]
    path = folder / "bench.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


async def _tap(tg: FakeTelegram, user: FakeUser, message: JSON, text: str) -> JSON:
    mark = tg.mark()
    await tg.press(user, message, text=text)
    return await tg.next_message(user.id, since=mark, timeout=60)


async def _say(tg: FakeTelegram, user: FakeUser, text: str) -> JSON:
    mark = tg.mark()
    await tg.send_text(user, text)
    return await tg.next_message(user.id, since=mark, timeout=60)


async def one_booking(
    tg: FakeTelegram, user: FakeUser, staff_name: str, first: bool
) -> tuple[int, float]:
    """Book the first free slot with one staff member; returns (updates sent, confirm latency)."""
    updates = 0
    menu = await _say(tg, user, "/start")
    staff = await _tap(tg, user, menu, "Cut · 30 min · 10.00 EUR")
    week = await _tap(tg, user, staff, staff_name)
    day = next(b for b in buttons(week) if b.isdigit())
    slots = await _tap(tg, user, week, day)
    time_button = buttons(slots)[0]
    after_slot = await _tap(tg, user, slots, time_button)
    updates += 5
    if first:
        await _tap(tg, user, after_slot, f"Use “{user.first_name}”")
        mark = tg.mark()
        await tg.send_text(user, "Skip")
        summary = await tg.next_message(
            user.id, since=mark, timeout=60, predicate=lambda m: "check your booking" in m["text"]
        )
        updates += 2
    else:
        summary = after_slot
    mark = tg.mark()
    started = time.perf_counter()
    await tg.press(user, summary, text="✅ Confirm booking")
    await tg.wait_for("sendDocument", chat_id=user.id, since=mark, timeout=60)
    latency = time.perf_counter() - started
    return updates + 1, latency


async def run_bookbot(customers: int, rounds: int) -> tuple[float, float, list[float], int]:
    """Bookings/s, updates/s and confirm latencies of bookbot."""
    with tempfile.TemporaryDirectory() as folder:
        db_path = Path(folder) / "bench.db"
        await load_business(db_path, business_file(Path(folder), max(customers, 1)))
        async with FakeTelegram() as tg:
            settings = bot_settings(tg, db_path)
            async with running_bot(settings, ManualClock(MONDAY_MORNING)):
                users = [tg.user(10_000 + i, first_name=f"C{i}") for i in range(customers)]

                async def customer(i: int) -> tuple[int, list[float]]:
                    total, lat = 0, []
                    for r in range(rounds):
                        n, latency = await one_booking(tg, users[i], f"Staff {i:02d}", r == 0)
                        total += n
                        lat.append(latency)
                    return total, lat

                started = time.perf_counter()
                results = await asyncio.gather(*(customer(i) for i in range(customers)))
                elapsed = time.perf_counter() - started
    updates = sum(r[0] for r in results)
    latencies = [x for r in results for x in r[1]]
    bookings = customers * rounds
    return bookings / elapsed, updates / elapsed, latencies, bookings


async def run_baseline(customers: int, per_customer: int) -> float:
    """Updates/s of a bare PTB Application echoing /start, same emulator and concurrency."""

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_chat is not None
        await context.bot.send_message(update.effective_chat.id, "Hello!")

    async with FakeTelegram() as tg:
        app = (
            ApplicationBuilder()
            .token(tg.token)
            .base_url(tg.base_url)
            .concurrent_updates(512)
            .connection_pool_size(HTTP_POOL_SIZE)
            .pool_timeout(30)
            .build()
        )
        app.add_handler(CommandHandler("start", echo))
        async with app:
            await app.start()
            assert app.updater is not None
            await app.updater.start_polling(timeout=2, poll_interval=0)
            users = [tg.user(20_000 + i) for i in range(customers)]

            async def customer(user: FakeUser) -> None:
                for _ in range(per_customer):
                    await _say(tg, user, "/start")

            started = time.perf_counter()
            await asyncio.gather(*(customer(u) for u in users))
            elapsed = time.perf_counter() - started
            await app.updater.stop()
            await app.stop()
    return customers * per_customer / elapsed


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def main(customers: int, rounds: int) -> None:
    """Measure and print."""
    baseline = await run_baseline(customers, per_customer=8)
    per_second, update_rate, latencies, bookings = await run_bookbot(customers, rounds)
    ratio = update_rate / baseline
    print(f"customers: {customers}, bookings: {bookings}")
    print(f"baseline (/start echo):    {baseline:8.1f} updates/s")
    print(f"bookbot (whole bookings):  {update_rate:8.1f} updates/s, {per_second:6.2f} bookings/s")
    print(
        f"ratio bookbot/baseline:    {ratio:8.2f}  "
        f"(target >= 0.50: {'PASS' if ratio >= 0.5 else 'FAIL'})"
    )
    print(
        f"confirm latency:           p50 {statistics.median(latencies) * 1000:6.0f} ms, "
        f"p95 {_pct(latencies, 0.95) * 1000:6.0f} ms"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=STAFF_PER_RUN)
    parser.add_argument("--rounds", type=int, default=2)
    options = parser.parse_args()
    asyncio.run(main(options.customers, options.rounds))
