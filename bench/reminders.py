"""10,000 reminders due in the same minute under Telegram's limits:
``python -m bench.reminders [--reminders 10000] [--others 2]``.

The real bot (in this process) against the Telegram emulator enforcing Telegram's limits:
at most 30 messages a second overall and 1 a second per chat, 429 with `retry_after` beyond
(https://core.telegram.org/bots/faq#my-bot-is-hitting-limits-how-do-i-avoid-this). The
business has one staff member per reminder, each with one booking starting within the same
minute, stored three hours ahead (as the booking service stores them: booking, change row),
so the planner queues exactly one 2-hour reminder per booking (their 24-hour ones had already
passed) and all of them fall due in one minute. The clock is a manual one, moved through the
seam; the sending itself runs on real time.

Figures, from one run:
* planning: time to expand the 10,000 booking changes into reminders (before the minute);
* total: from the moment the minute is reached to the last reminder accepted, against the
  limit's minimum (reminders / 30 per second; target within 10%);
* delivered and duplicates: every customer exactly once (must be all and 0);
* replies: `--others` other customers send /help every two seconds, first while the bot is
  idle, then during the batch; p50/p95 of their reply latency in both phases (the baseline is
  the same run's idle latency), and the 429s the emulator answered.
Prints figures; never asserts on time.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.app import BotRuntime
from bot.clock import ManualClock
from storage.catalog import CatalogRepository, ServiceSpec, StaffSpec
from storage.db import Database
from storage.migrate import migrate
from storage.settings_store import SettingsRepository
from tests.e2e.harness import bot_settings
from tests.e2e.notify_harness import delivered, store_bookings
from tests.fakes.telegram import FakeTelegram

GLOBAL_LIMIT = 30  # Telegram's bulk limit, messages a second
REMINDER = "Reminder"
START = datetime(2030, 3, 4, 12, 0, tzinfo=UTC)  # the bookings start in this minute


async def _prepare(db_path: Path, reminders: int, first_chat: int) -> None:
    db = await Database.open(db_path)
    try:
        await migrate(db)
        await SettingsRepository(db).put_many(
            {"business.name": "Bench", "business.timezone": "UTC"}
        )
        catalog = CatalogRepository(db)
        await catalog.apply_setup(
            [
                ServiceSpec(
                    slug="visit",
                    name="Visit",
                    description="",
                    duration_min=30,
                    price_minor=0,
                    currency="EUR",
                    buffer_before_min=0,
                    buffer_after_min=0,
                    position=0,
                )
            ],
            [
                StaffSpec(
                    slug=f"s{i}",
                    name=f"Staff {i}",
                    service_slugs=("visit",),
                    weekly=(),
                    overrides=(),
                    position=i,
                )
                for i in range(reminders)
            ],
        )
        staff = await catalog.all_staff()
        service = (await catalog.active_services())[0]
        step = timedelta(seconds=60 / reminders)
        slots = [(first_chat + i, member.id, START + i * step) for i, member in enumerate(staff)]
        await store_bookings(
            db,
            slots,
            service_id=service.id,
            duration=timedelta(minutes=30),
            now=START - timedelta(hours=3),
        )
    finally:
        await db.close()


async def _ask(tg: FakeTelegram, chat: int, latencies: list[float]) -> None:
    mark = tg.mark()
    began = time.perf_counter()
    await tg.send_text(chat, "/help")
    await tg.next_message(chat, since=mark, timeout=60)
    latencies.append(time.perf_counter() - began)


async def _others(
    tg: FakeTelegram, chats: list[int], latencies: list[float], stop: asyncio.Event
) -> None:
    """Each chat sends /help every two seconds until `stop` (staggered)."""

    async def one(chat: int, offset: float) -> None:
        await asyncio.sleep(offset)
        while not stop.is_set():
            await _ask(tg, chat, latencies)
            await asyncio.sleep(2.0)

    await asyncio.gather(*(one(c, 2.0 * i / len(chats)) for i, c in enumerate(chats)))


def _p(values: list[float], q: float) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


async def main(reminders: int, others: int, idle_seconds: float) -> None:
    first_chat = 1_000_000
    with tempfile.TemporaryDirectory() as folder:
        db_path = Path(folder) / "reminders.db"
        began = time.perf_counter()
        await _prepare(db_path, reminders, first_chat)
        print(f"{reminders} staff and bookings stored in {time.perf_counter() - began:.1f} s")
        clock = ManualClock(START - timedelta(hours=2, minutes=1))
        async with FakeTelegram() as tg:
            tg.telegram_limits(global_per_second=GLOBAL_LIMIT)
            for i in range(reminders):
                tg.user(first_chat + i, first_name=f"C{i}").started = True
            other_chats = [tg.user(500 + i, first_name=f"Other{i}").id for i in range(others)]
            runtime = BotRuntime(bot_settings(tg, db_path, notify_poll_seconds=0.5), clock=clock)
            began = time.perf_counter()
            await runtime.start()
            try:
                assert runtime.services is not None
                queue = runtime.services.notifications
                while (await queue.counts()).open < reminders:  # noqa: ASYNC110
                    await asyncio.sleep(0.2)
                print(
                    f"planning: {reminders} reminders queued in {time.perf_counter() - began:.1f} s"
                )

                idle: list[float] = []
                stop = asyncio.Event()
                talking = asyncio.create_task(_others(tg, other_chats, idle, stop))
                await asyncio.sleep(idle_seconds)
                stop.set()
                await talking

                busy: list[float] = []
                stop = asyncio.Event()
                mark = tg.mark()
                started = time.perf_counter()
                clock.set(START - timedelta(hours=2) + timedelta(seconds=60))
                talking = asyncio.create_task(_others(tg, other_chats, busy, stop))
                # Count new calls only (scanning the whole journal each time would stall the
                # event loop the bot and the emulator share).
                seen, count = mark, 0
                while count < reminders:
                    await asyncio.sleep(0.05)
                    calls = tg.log.calls
                    for call in calls[seen:]:
                        text = str(call.params.get("text"))
                        count += call.method == "sendMessage" and call.ok and REMINDER in text
                    seen = len(calls)
                    if time.perf_counter() - started > 4 * reminders / GLOBAL_LIMIT + 60:
                        print("gave up waiting")
                        break
                total = time.perf_counter() - started
                stop.set()
                await talking
                await asyncio.sleep(2.0)  # anything sent twice would show now
                got = delivered(tg, REMINDER, since=mark)
                limited = [c for c in tg.calls() if c.seq > mark and c.error_code == 429]
                reply_429 = [c for c in limited if c.chat_id in other_chats]
            finally:
                await runtime.stop()
        minimum = reminders / GLOBAL_LIMIT
        budget = runtime.settings.notify_messages_per_second
        print(
            f"total: {total:.1f} s for {reminders} reminders = {total / minimum:.3f} x the limit's "
            f"minimum of {minimum:.1f} s (target <= 1.10; the bulk budget is {budget:g}/s, "
            f"leaving the rest of {GLOBAL_LIMIT}/s to replies)"
        )
        twice = sum(1 for n in got.values() if n > 1)
        print(
            f"delivered: {sum(1 for n in got.values() if n >= 1)}/{reminders} customers, "
            f"sent twice: {twice}, 429 answers: {len(limited)} ({len(reply_429)} of them replies)"
        )
        print(
            f"replies of {others} other chats: idle p50 {_p(idle, 50) * 1000:.0f} ms / "
            f"p95 {_p(idle, 95) * 1000:.0f} ms ({len(idle)} replies); during the batch "
            f"p50 {_p(busy, 50) * 1000:.0f} ms / p95 {_p(busy, 95) * 1000:.0f} ms "
            f"({len(busy)} replies); p95 ratio {_p(busy, 95) / _p(idle, 95):.2f}"
        )


if __name__ == "__main__":
    logging.basicConfig(level=logging.ERROR)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reminders", type=int, default=10_000)
    parser.add_argument("--others", type=int, default=2)
    parser.add_argument("--idle-seconds", type=float, default=20.0)
    args = parser.parse_args()
    asyncio.run(main(args.reminders, args.others, args.idle_seconds))
