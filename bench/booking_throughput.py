"""End-to-end booking throughput through the real PTB Application and the Telegram emulator.

Run: `python -m bench.booking_throughput [--customers 50] [--rounds 2] [--capped-rate 30]`

The bot runs as deployed, in its own process (`bookbot run`, configured through the
environment), against the Telegram emulator; the emulator and the simulated customers run
in this process, like Telegram's servers and its users would.

1. Baseline: a bare PTB bot (bench/echo_bot.py, same HTTP pool) answering every /start with
   one message, same emulator and concurrency: updates per second. It runs twice: as stock
   PTB (httpx, the target's baseline) and on bookbot's own transport (aiohttp), so the
   report also shows how much of the ratio the transport accounts for.
2. bookbot with the shipped settings (no overall cap on messages): each customer books whole
   appointments through the chat (service, staff, day, time, contact, confirm): bookings
   per second and updates per second, plus the p50/p95 latency of the Confirm step
   (press -> .ics sent).
3. The same with TELEGRAM_MAX_MESSAGES_PER_SECOND=30 (`--capped-rate`; the default before
   issue 7), to show what an overall cap does to replies: PTB's AIORateLimiter counts every
   call with a chat_id, edits and answers included.
Prints the figures and the ratios bookbot/baseline (target >= 0.5). No asserts on time.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from bench.studio import business_file
from bot.config import Settings
from tests.e2e.harness import buttons, load_business
from tests.fakes.telegram import FakeTelegram, FakeUser

JSON = dict[str, Any]
STAFF = 10  # a busy studio: customers compete for the same staff and times
# What a fresh install runs with (not whatever a .env in the working directory says).
SHIPPED_RATE = str(Settings.model_fields["telegram_max_messages_per_second"].default)


async def _tap(tg: FakeTelegram, user: FakeUser, message: JSON, text: str) -> JSON:
    mark = tg.mark()
    await tg.press(user, message, text=text)
    return await tg.next_message(user.id, since=mark, timeout=60)


async def _say(tg: FakeTelegram, user: FakeUser, text: str) -> JSON:
    mark = tg.mark()
    await tg.send_text(user, text)
    return await tg.next_message(user.id, since=mark, timeout=60)


async def _past_taken(tg: FakeTelegram, user: FakeUser, message: JSON) -> tuple[JSON, int]:
    """While the bot says "just taken", take the first alternative it offers; returns the
    first other message and how many presses that took."""
    taps = 0
    while "just taken" in message.get("text", ""):
        alternatives = [b for b in buttons(message) if b != "🗓 Pick another day"]
        message = await _tap(tg, user, message, alternatives[0])
        taps += 1
    return message, taps


async def one_booking(
    tg: FakeTelegram, user: FakeUser, staff_name: str, pick: int, first: bool
) -> tuple[int, float]:
    """Book the `pick`-th free time of the first free day; on "just taken", take the first
    alternative offered. Returns (updates sent, latency of the successful Confirm)."""
    updates = 0
    menu = await _say(tg, user, "/start")
    staff = await _tap(tg, user, menu, "Cut · 30 min · 10.00 EUR")
    week = await _tap(tg, user, staff, staff_name)
    day = next(b for b in buttons(week) if b.isdigit())
    slots = await _tap(tg, user, week, day)
    times = [b for b in buttons(slots) if ":" in b]
    after_slot = await _tap(tg, user, slots, times[min(pick, len(times) - 1)])
    updates += 5
    after_slot, taps = await _past_taken(tg, user, after_slot)
    updates += taps
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
    while True:
        mark = tg.mark()
        started = time.perf_counter()
        await tg.press(user, summary, text="✅ Confirm booking")
        updates += 1
        outcome = await tg.wait_for(
            ("sendDocument", "editMessageText"),
            chat_id=user.id,
            since=mark,
            timeout=60,
            predicate=lambda c: (
                c.method == "sendDocument" or "just taken" in str(c.params.get("text", ""))
            ),
        )
        if outcome.method == "sendDocument":
            return updates, time.perf_counter() - started
        summary, taps = await _past_taken(tg, user, outcome.result)
        updates += taps


@asynccontextmanager
async def bot_process(
    tg: FakeTelegram, args: list[str], env: dict[str, str], *, webhook: bool = False
) -> AsyncIterator[None]:
    """A bot in its own process, polling the emulator until the block ends."""
    full_env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": tg.token,
        "TELEGRAM_API_BASE_URL": tg.base_url,
        "TELEGRAM_POLL_TIMEOUT": "2",
        "TELEGRAM_MAX_MESSAGES_PER_SECOND": SHIPPED_RATE,
        "LOG_LEVEL": "WARNING",
        "WEB_PORT": "0",
        **env,
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, *args, env=full_env, stdin=asyncio.subprocess.DEVNULL
    )
    try:
        if webhook:
            await tg.wait_for("setWebhook", since=0, timeout=60)
        else:
            await tg.wait_long_poll(timeout=60)
        yield
    finally:
        process.terminate()
        await process.wait()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def run_bookbot(
    customers: int, rounds: int, webhook: bool = False, rate: str = SHIPPED_RATE
) -> tuple[float, float, list[float], int]:
    """Bookings/s, updates/s and confirm latencies of bookbot (`bookbot run` subprocess),
    with TELEGRAM_MAX_MESSAGES_PER_SECOND = `rate` (the shipped default unless told)."""
    env = {"TELEGRAM_MAX_MESSAGES_PER_SECOND": rate}
    if webhook:
        port = _free_port()
        env |= {
            "TELEGRAM_WEBHOOK": "true",
            "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
            "WEB_PORT": str(port),
        }
    with tempfile.TemporaryDirectory() as folder:
        db_path = Path(folder) / "bench.db"
        await load_business(db_path, business_file(Path(folder), STAFF))
        env["DATABASE_PATH"] = str(db_path)
        async with (
            FakeTelegram() as tg,
            bot_process(tg, ["-m", "bot", "run"], env, webhook=webhook),
        ):
            users = [tg.user(10_000 + i, first_name=f"C{i}") for i in range(customers)]

            async def customer(i: int) -> tuple[int, list[float]]:
                total, lat = 0, []
                for r in range(rounds):
                    pick = i // STAFF + r * (customers // STAFF + 1)
                    n, latency = await one_booking(
                        tg, users[i], f"Staff {i % STAFF:02d}", pick, r == 0
                    )
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


async def run_baseline(
    customers: int, per_customer: int, webhook: bool = False, transport: str = "httpx"
) -> float:
    """Updates/s of the bare echo bot, same emulator, concurrency and update delivery."""
    env = {"ECHO_TRANSPORT": transport}
    if webhook:
        env |= {"ECHO_WEBHOOK_PORT": str(_free_port()), "ECHO_WEBHOOK_SECRET": "bench-secret"}
    async with (
        FakeTelegram() as tg,
        bot_process(tg, ["-m", "bench.echo_bot"], env, webhook=webhook),
    ):
        users = [tg.user(20_000 + i) for i in range(customers)]

        async def customer(user: FakeUser) -> None:
            for _ in range(per_customer):
                await _say(tg, user, "/start")

        started = time.perf_counter()
        await asyncio.gather(*(customer(u) for u in users))
        elapsed = time.perf_counter() - started
    return customers * per_customer / elapsed


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def main(
    customers: int, rounds: int, repeats: int, webhook: bool, capped_rate: float
) -> None:
    """Alternate baseline and bookbot runs (so drift hits both), print each and the medians."""
    capped = f"{capped_rate:g}"
    capped_rates: list[float] = []
    capped_latencies: list[float] = []
    baselines: list[float] = []
    same_transport: list[float] = []
    rates: list[float] = []
    bookings_per_second: list[float] = []
    latencies: list[float] = []
    for repeat in range(1, repeats + 1):
        baseline = await run_baseline(customers, per_customer=20, webhook=webhook)
        echo_aiohttp = await run_baseline(
            customers, per_customer=20, webhook=webhook, transport="aiohttp"
        )
        per_second, update_rate, confirm, bookings = await run_bookbot(
            customers, rounds, webhook=webhook
        )
        if capped_rate:
            _, capped_update_rate, capped_confirm, _ = await run_bookbot(
                customers, rounds, webhook=webhook, rate=capped
            )
            capped_rates.append(capped_update_rate)
            capped_latencies += capped_confirm
            print(
                f"run {repeat}: bookbot capped at {capped} messages/s: "
                f"{capped_update_rate:6.1f} updates/s"
            )
        baselines.append(baseline)
        same_transport.append(echo_aiohttp)
        rates.append(update_rate)
        bookings_per_second.append(per_second)
        latencies += confirm
        print(
            f"run {repeat}: baseline {baseline:6.1f} updates/s (on aiohttp {echo_aiohttp:6.1f}) | "
            f"bookbot {update_rate:6.1f} updates/s, {per_second:5.2f} bookings/s "
            f"({bookings} bookings) | ratio {update_rate / baseline:4.2f}"
        )
    ratio = statistics.median(rates) / statistics.median(baselines)
    mode = "webhook" if webhook else "long polling"
    print(
        f"updates by {mode}; customers: {customers}, bookings per run: {customers * rounds}, "
        f"runs: {repeats}"
    )
    print(
        f"baseline (stock PTB /start echo), median: {statistics.median(baselines):8.1f} updates/s"
    )
    print(
        f"same echo on bookbot's transport, median: "
        f"{statistics.median(same_transport):8.1f} updates/s"
    )
    print(
        f"bookbot (whole bookings), median:         {statistics.median(rates):8.1f} updates/s, "
        f"{statistics.median(bookings_per_second):6.2f} bookings/s  "
        f"(shipped default: TELEGRAM_MAX_MESSAGES_PER_SECOND={SHIPPED_RATE})"
    )
    print(
        f"ratio of medians bookbot/baseline: {ratio:6.2f}  "
        f"(target >= 0.50: {'PASS' if ratio >= 0.5 else 'FAIL'})"
    )
    print(
        f"ratio of medians bookbot/same-transport echo: "
        f"{statistics.median(rates) / statistics.median(same_transport):6.2f}"
    )
    print(
        f"confirm latency, all runs:        p50 {statistics.median(latencies) * 1000:6.0f} ms, "
        f"p95 {_pct(latencies, 0.95) * 1000:6.0f} ms"
    )
    if capped_rates:
        print(
            f"bookbot capped at {capped} messages/s, median: "
            f"{statistics.median(capped_rates):8.1f} updates/s; confirm latency "
            f"p50 {statistics.median(capped_latencies) * 1000:6.0f} ms, "
            f"p95 {_pct(capped_latencies, 0.95) * 1000:6.0f} ms"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument(
        "--mode", choices=("polling", "webhook"), default="polling", help="update delivery"
    )
    parser.add_argument(
        "--capped-rate",
        type=float,
        default=30,
        help="also run bookbot with TELEGRAM_MAX_MESSAGES_PER_SECOND at this cap (0: skip)",
    )
    options = parser.parse_args()
    asyncio.run(
        main(
            options.customers,
            options.rounds,
            options.repeats,
            options.mode == "webhook",
            options.capped_rate,
        )
    )
