"""Benchmark of Google -> bot changes: ``python -m bench.google_pull [--edits N] [--interval S]``.

The real bot (BotRuntime: PTB, SQLite, aiogoogle) runs against FakeTelegram and FakeGoogle on
127.0.0.1. Anna connects, a customer books with her, and the booking's event is written to
her calendar. Then Anna moves the event in "Google Calendar" (the emulator) N times and each
lag is timed from the edit to the customer's "moved" message:

* push (the bot's web server is the channel's address, http on loopback allowed): target
  <= 2 s; baseline: one events.list round trip to the emulator, timed in the same run;
* polling (no push; the sync ticker runs every ``--interval`` seconds): target <= interval +
  2 s;
* Google calls per idle sync cycle per staff member: 1 with polling, 0 with push.

Prints figures, ratios and PASS/FAIL; never asserts on time.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from bot.app import BotRuntime
from bot.clock import ManualClock
from tests.conftest import SALON
from tests.e2e.google_harness import free_port, google_settings
from tests.e2e.harness import load_business, running_bot
from tests.e2e.pull_harness import ANNA_CAL, book, connect_anna, deliver
from tests.fakes.google import Account, FakeGoogle
from tests.fakes.telegram import FakeTelegram
from tests.week import MONDAY_MORNING, TUESDAY, helsinki


async def _scenario(
    *, push: bool, edits: int, interval: float, report: Callable[[str], None]
) -> tuple[list[float], int, float]:
    """(lags in seconds, events.list calls of one idle cycle, one events.list round trip)."""
    clock = ManualClock(MONDAY_MORNING)
    with tempfile.TemporaryDirectory() as folder:
        db_path = Path(folder) / "bench.db"
        async with (
            FakeTelegram() as tg,
            FakeGoogle(client_id="bench.apps.googleusercontent.com", clock=clock) as google,
        ):
            account = google.add_account(ANNA_CAL, name="Anna")
            await load_business(db_path, SALON)
            port = free_port()
            settings = google_settings(tg, google, db_path, port).model_copy(
                update={
                    "google_push_allow_http_loopback": push,
                    "google_sync_interval_seconds": interval,
                }
            )
            google.register_redirect_uri(settings.oauth_redirect_uri)
            async with running_bot(settings, clock) as bot:
                return await _measure(bot, tg, google, account, edits, report)


async def _measure(
    bot: BotRuntime,
    tg: FakeTelegram,
    google: FakeGoogle,
    account: Account,
    edits: int,
    report: Callable[[str], None],
) -> tuple[list[float], int, float]:
    await connect_anna(tg, google, account)
    customer = tg.user(701, first_name="Ann")
    booking = await book(tg, bot, customer, "13:00")
    await deliver(bot, google, booking)
    pull = bot.pull
    assert pull is not None
    assert bot.services is not None
    await pull.run_once()  # first (full) sync, and the push channel when push is on
    await google.drain_push()

    before = len(google.calls_of("calendar.events.list"))
    await pull.run_once()
    idle_calls = len(google.calls_of("calendar.events.list")) - before

    session = await bot.services.google_accounts.session(booking.staff_id)
    started = time.perf_counter()
    now = bot.clock.now()
    await session.list_events(ANNA_CAL, time_min=now, time_max=now + timedelta(minutes=1))
    round_trip = time.perf_counter() - started

    lags = []
    for edit in range(edits):
        hour = 15 + edit % 3
        mark = tg.mark()
        started = time.perf_counter()
        google.user_update_event(
            ANNA_CAL, booking.id, start=helsinki(TUESDAY, hour), end=helsinki(TUESDAY, hour + 1)
        )
        await tg.wait_for(
            "sendMessage",
            chat_id=customer.id,
            since=mark,
            timeout=120,
            predicate=lambda c: "moved" in str(c.params.get("text", "")),
        )
        lags.append(time.perf_counter() - started)
        report(f"    edit {edit + 1}: {lags[-1] * 1000:.0f} ms")
        await asyncio.sleep(0.37 * (edit + 1) % 1.1)  # edits fall at varied points of a tick
    return lags, idle_calls, round_trip


def _line(name: str, lags: list[float], target: float) -> str:
    worst = max(lags)
    verdict = "PASS" if worst <= target else "FAIL"
    return (
        f"{name}: median {statistics.median(lags):.2f} s, max {worst:.2f} s, target <= "
        f"{target:.1f} s (max/target {worst / target:.2f}) {verdict}"
    )


async def main(edits: int, interval: float) -> None:
    print(f"Google -> bot lag, {edits} edits each (real bot, emulators on 127.0.0.1)")
    print("  push:")
    push_lags, push_idle, round_trip = await _scenario(
        push=True, edits=edits, interval=interval, report=print
    )
    print(f"  polling every {interval:.0f} s:")
    poll_lags, poll_idle, _ = await _scenario(
        push=False, edits=edits, interval=interval, report=print
    )
    print(f"baseline: one events.list round trip {round_trip * 1000:.1f} ms")
    print(
        _line("push", push_lags, 2.0)
        + f"; median/round trip {statistics.median(push_lags) / round_trip:.1f}x"
    )
    print(_line("polling", poll_lags, interval + 2.0))
    for name, calls, target in (("polling", poll_idle, 1), ("push", push_idle, 0)):
        verdict = "PASS" if calls <= target else "FAIL"
        print(
            f"Google calls per idle sync cycle per staff member, {name}: {calls} "
            f"(target {target}) {verdict}"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--edits", type=int, default=5)
    parser.add_argument("--interval", type=float, default=5.0)
    args = parser.parse_args()
    asyncio.run(main(args.edits, args.interval))
