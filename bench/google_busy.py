"""Google busy time: Google calls per completed booking, and the Confirm step's latency.

Run: `python -m bench.google_busy [--customers 200] [--gaps 30,120] [--confirms 40]`

The real bot (BotRuntime in this process: PTB Application, SQLite, web server, aiogoogle)
runs against the Telegram and Google emulators on a manual clock. A 3-staff studio (open
08:00-20:00 every day, 30-day horizon); each staff member connected Google through the
invite, the consent screen and the calendar picker, with busy blocks in their primary
calendar over the horizon.

1. Calls per completed booking. `--customers` customers arrive one after another, the gaps
   between arrivals drawn from an exponential distribution with mean `--gaps` seconds of
   the bot's clock (one run per mean). Each browses as people do, a few seconds of thought
   between taps: services, a staff member (a quarter choose "Anyone available"), a day,
   its times, often "« Other days" and another day, a time, name, Confirm; on "just taken"
   the first alternative offered. Customers overlap in time; their taps are applied in the
   order of the clock. Every request the Google emulator answered during the customers'
   phase is counted by kind (`google.calls`): free/busy queries with the token refreshes
   they need, event writes (one per booking), and the syncs Google's notifications start.
   Target: <= 2 calls per completed booking. Run on a bot polling Google and on one with
   push channels (the busy cache then lives GOOGLE_BUSY_PUSH_CACHE_SECONDS, and Confirm
   trusts it).
2. Confirm latency (press Confirm -> the confirmation's .ics sent), `--confirms` bookings one
   after another, after browsing: with no Google latency (the baseline of this run), with
   300 ms injected on every Google call (no push: Confirm re-fetches free/busy; target p95 <
   450 ms), and with 300 ms on a bot with Google push channels (on its loopback address):
   the incremental sync opens them and marks each staff member push-fresh, so Confirm answers
   from the busy cache; target < 100 ms. Each of the three runs on a fresh bot.
Prints figures and ratios; no asserts.
"""

from __future__ import annotations

import argparse
import asyncio
import heapq
import itertools
import logging
import random
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from bench.studio import business_file
from bot.app import BotRuntime
from bot.clock import ManualClock
from tests.e2e.flows import say, tap
from tests.e2e.google_harness import (
    consent_url_of,
    free_port,
    google_settings,
    invite_link,
    open_consent,
    visit,
)
from tests.e2e.harness import ADMIN_ID, buttons, load_business, running_bot
from tests.e2e.outbox_harness import drained, until
from tests.fakes.google import FakeGoogle
from tests.fakes.telegram import FakeTelegram, FakeUser
from tests.week import MONDAY_MORNING

JSON = dict[str, Any]
STAFF = 3
SERVICE = "Cut · 30 min · 10.00 EUR"
LATENCY = 0.3


class SimClock:
    """Runs actors one at a time in the order of the bot's (manual) clock."""

    def __init__(self, clock: ManualClock) -> None:
        self.clock = clock
        self._queue: list[tuple[float, int, asyncio.Future[None]]] = []
        self._seq = itertools.count()
        self._idle: asyncio.Event = asyncio.Event()
        self._t0 = clock.now()

    def _at(self) -> float:
        return (self.clock.now() - self._t0).total_seconds()

    async def sleep(self, seconds: float) -> None:
        """Give way; continue when the clock reaches now + seconds."""
        wake: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._queue, (self._at() + seconds, next(self._seq), wake))
        self._idle.set()
        await wake

    async def run(self, actors: list[Callable[[], Awaitable[None]]]) -> None:
        """Start every actor (each begins with `sleep`) and drive the clock."""

        async def wrapped(actor: Callable[[], Awaitable[None]]) -> None:
            try:
                await actor()
            finally:
                self._idle.set()

        tasks = [asyncio.create_task(wrapped(a)) for a in actors]
        await asyncio.sleep(0)
        while not all(t.done() for t in tasks):
            while not self._queue and not all(t.done() for t in tasks):
                self._idle.clear()
                await self._idle.wait()
            if not self._queue:
                break
            at, _, wake = heapq.heappop(self._queue)
            self.clock.set(self._t0 + timedelta(seconds=at))
            self._idle.clear()
            wake.set_result(None)
            await self._idle.wait()  # the actor's action is done when it sleeps or ends
        for task in tasks:
            await task


async def connect_staff(tg: FakeTelegram, google: FakeGoogle, index: int) -> None:
    """Staff member `index` links Telegram and Google and picks calendars (primary blocks)."""
    admin = tg.user(ADMIN_ID, first_name="Boss")
    user = tg.user(500 + index, first_name=f"Staff{index}")
    account = google.add_account(f"staff{index}@example.com", time_zone="Europe/Helsinki")
    payload = await invite_link(tg, admin, f"Staff {index:02d}")
    welcome = await say(tg, user, f"/start {payload}")
    google.set_consent(account)
    callback = await open_consent(consent_url_of(welcome))
    mark = tg.mark()
    await visit(callback)
    told = await tg.next_message(user.id, since=mark, timeout=30)
    picker = await tap(tg, user, told, "📅 Choose calendars")
    blocking = await tap(tg, user, picker, "➕ New calendar “Bench bookings”")
    await tap(tg, user, blocking, "💾 Save")
    rng = random.Random(index)
    for day in range(31):  # a couple of busy hours a day in the staff member's own calendar
        for _ in range(2):
            start = MONDAY_MORNING + timedelta(days=day, hours=rng.randrange(1, 11))
            google.user_add_event(account.email, start, start + timedelta(hours=1))


async def press_confirm(tg: FakeTelegram, user: FakeUser, summary: JSON) -> tuple[bool, JSON]:
    """Press Confirm: (True, _) when booked, (False, the 'just taken' message) otherwise."""
    mark = tg.mark()
    await tg.press(user, summary, text="✅ Confirm booking")
    outcome = await tg.wait_for(
        ("sendDocument", "editMessageText", "sendMessage"),
        chat_id=user.id,
        since=mark,
        timeout=60,
        predicate=lambda c: (
            c.method == "sendDocument" or "just taken" in str(c.params.get("text", ""))
        ),
    )
    return outcome.method == "sendDocument", outcome.result


async def browse_and_book(
    tg: FakeTelegram, user: FakeUser, rng: random.Random, think: Callable[[], Awaitable[None]]
) -> bool:
    """One customer, as people browse: True if they ended up booked."""
    menu = await say(tg, user, "/start")
    await think()
    staff_screen = await tap(tg, user, menu, SERVICE)
    await think()
    names = ["✨ Anyone available", *(f"Staff {i:02d}" for i in range(STAFF))]
    choice = names[0] if rng.random() < 0.25 else rng.choice(names[1:])
    week = await tap(tg, user, staff_screen, choice)
    times_screen: JSON | None = None
    for _ in range(rng.choice((1, 2, 2, 3))):  # looks at one to three days
        if times_screen is not None:
            await think()
            week = await tap(tg, user, times_screen, "« Other days")
        await think()
        days = [b for b in buttons(week) if b.isdigit()]
        times_screen = await tap(tg, user, week, rng.choice(days[:5]))
    assert times_screen is not None
    times = [b for b in buttons(times_screen) if ":" in b]
    if not times:
        return False
    await think()
    after = await tap(tg, user, times_screen, rng.choice(times))
    while "just taken" in after.get("text", ""):
        after = await tap(tg, user, after, next(b for b in buttons(after) if ":" in b))
    await think()
    await tap(tg, user, after, f"Use “{user.first_name}”")
    await think()
    mark = tg.mark()
    await tg.send_text(user, "Skip")
    summary = await tg.next_message(
        user.id, since=mark, timeout=60, predicate=lambda m: "check your booking" in m["text"]
    )
    for _ in range(5):
        await think()
        booked, outcome = await press_confirm(tg, user, summary)
        if booked:
            return True
        offered = [b for b in buttons(outcome) if ":" in b]
        if not offered:
            return False
        summary = await tap(tg, user, outcome, offered[0])
    return False


async def with_bot(
    job: Callable[[FakeTelegram, FakeGoogle, BotRuntime, ManualClock], Awaitable[Any]],
    *,
    push: bool = False,
) -> Any:
    """A fresh studio, bot and emulators, every staff member connected; runs `job`. With
    `push`, the bot opens Google push channels (on its loopback address, as its setting
    allows) in a first sync cycle, as it does when PUBLIC_BASE_URL is https."""
    clock = ManualClock(MONDAY_MORNING)
    with tempfile.TemporaryDirectory() as folder:
        db_path = Path(folder) / "bench.db"
        await load_business(db_path, business_file(Path(folder), STAFF))
        async with FakeTelegram() as tg, FakeGoogle(clock=clock) as google:
            settings = google_settings(tg, google, db_path, free_port()).model_copy(
                # No periodic poll during the run (real seconds; the clock is simulated).
                update={
                    "google_push_allow_http_loopback": push,
                    "google_sync_interval_seconds": 3600,
                }
            )
            google.register_redirect_uri(settings.oauth_redirect_uri)
            async with running_bot(settings, clock) as runtime:
                for i in range(STAFF):
                    await connect_staff(tg, google, i)
                if push:
                    assert runtime.pull is not None
                    await runtime.pull.run_once()
                return await job(tg, google, runtime, clock)


KINDS = {
    "calendar.freebusy.query": "free/busy",
    "oauth.token": "free/busy",  # token refreshes: the reads need them
    "calendar.events.insert": "writes",
    "calendar.events.patch": "writes",
    "calendar.events.delete": "writes",
    "calendar.events.get": "writes",  # the worker's re-read on 412
    "calendar.events.list": "sync",
    "calendar.events.watch": "sync",
    "calendar.channels.stop": "sync",
}


async def calls_per_booking(
    customers: int, gap: float, push: bool
) -> tuple[int, dict[str, int], float]:
    """(completed bookings, Google calls by kind, simulated minutes), on a bot polling Google
    or (`push`) with push channels on every staff calendar. Every booking's event is written
    before counting stops; the periodic polls of an idle calendar are not counted (their cost
    is `bench.google_pull`'s idle-cycle figure), the syncs that notifications start are."""

    async def job(
        tg: FakeTelegram, google: FakeGoogle, runtime: BotRuntime, clock: ManualClock
    ) -> tuple[int, dict[str, int], float]:
        sim = SimClock(clock)
        rng = random.Random(7)
        arrivals = list(itertools.accumulate(rng.expovariate(1 / gap) for _ in range(customers)))
        before = len(google.calls)
        booked = 0

        def actor(i: int) -> Callable[[], Awaitable[None]]:
            own = random.Random(1000 + i)

            async def think() -> None:
                await sim.sleep(own.uniform(3, 15))

            async def run() -> None:
                nonlocal booked
                await sim.sleep(arrivals[i])
                user = tg.user(20_000 + i, first_name=f"C{i}")
                if await browse_and_book(tg, user, own, think):
                    booked += 1

            return run

        began = clock.now()
        await sim.run([actor(i) for i in range(customers)])
        minutes = (clock.now() - began).total_seconds() / 60
        await until(lambda: drained(runtime), within=120, what="the outbox to drain")
        await google.drain_push()
        assert runtime.pull is not None
        await runtime.pull.run_once()  # waits for the syncs notifications started
        kinds: dict[str, int] = {}
        for call in google.calls[before:]:
            kind = KINDS.get(call.method_id, call.method_id)
            kinds[kind] = kinds.get(kind, 0) + 1
        return booked, kinds, minutes

    result: tuple[int, dict[str, int], float] = await with_bot(job, push=push)
    return result


async def confirm_latencies(confirms: int) -> dict[str, list[float]]:
    """Confirm latencies (seconds) without Google latency, with 300 ms, and with 300 ms on a
    bot whose push channels keep the busy cache current."""
    runs = (
        ("no Google latency", 0.0, False),
        ("300 ms, no push", LATENCY, False),
        ("300 ms, push channels", LATENCY, True),
    )
    found: dict[str, list[float]] = {}
    for label, latency, push in runs:

        async def job(
            tg: FakeTelegram,
            google: FakeGoogle,
            runtime: BotRuntime,
            clock: ManualClock,
            latency: float = latency,
            push: bool = push,
        ) -> list[float]:
            assert runtime.services is not None
            busy = runtime.services.busy_time
            booking = runtime.services.booking
            cut = (await booking.active_services())[0]
            staff_ids = [s.id for s in await booking.staff_for(cut.id)]
            # The bot marks staff push-fresh itself once channels watch all their calendars.
            assert all(busy.is_push_fresh(sid) for sid in staff_ids) is push
            google.set_latency(latency)
            timings: list[float] = []
            for i in range(confirms):
                user = tg.user(40_000 + i, first_name=f"L{i}")
                menu = await say(tg, user, "/start")
                week = await tap(tg, user, await tap(tg, user, menu, SERVICE), "Staff 00")
                days = [b for b in buttons(week) if b.isdigit()]
                times_screen = await tap(tg, user, week, days[i % len(days)])
                times = [b for b in buttons(times_screen) if ":" in b]
                after = await tap(tg, user, times_screen, times[len(times) // 2])
                await tap(tg, user, after, f"Use “{user.first_name}”")
                mark = tg.mark()
                await tg.send_text(user, "Skip")
                summary = await tg.next_message(
                    user.id,
                    since=mark,
                    timeout=60,
                    predicate=lambda m: "check your booking" in m["text"],
                )
                started = time.perf_counter()
                booked, _ = await press_confirm(tg, user, summary)
                if booked:
                    timings.append(time.perf_counter() - started)
            google.set_latency(0.0)
            return timings

        found[label] = await with_bot(job, push=push)
    return found


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) >= 2 else values[0]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=200)
    parser.add_argument("--gaps", default="30,120", help="mean seconds between arrivals")
    parser.add_argument("--confirms", type=int, default=40)
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)

    print(f"Google calls per completed booking ({args.customers} customers, {STAFF} staff):")
    for push in (False, True):
        for gap in (float(g) for g in args.gaps.split(",")):
            booked, kinds, minutes = await calls_per_booking(args.customers, gap, push)
            per = {k: v / booked for k, v in kinds.items()} if booked else {}
            print(
                f"  {'push channels' if push else 'polling':13s} mean arrival gap {gap:5.0f} s "
                f"({minutes:5.0f} min simulated): {booked} booked; per booking: "
                f"free/busy (+ token refreshes) {per.get('free/busy', 0):.2f} (target <= 2), "
                f"event writes {per.get('writes', 0):.2f}, syncs {per.get('sync', 0):.2f}, "
                f"all {sum(per.values()):.2f}"
            )

    print(f"Confirm step (press -> .ics sent), {args.confirms} bookings each:")
    found = await confirm_latencies(args.confirms)
    base = p95(found["no Google latency"])
    for label, values in found.items():
        print(
            f"  {label:20s}: n={len(values)} p50 {statistics.median(values) * 1000:5.0f} ms, "
            f"p95 {p95(values) * 1000:5.0f} ms, p95 / baseline p95 = {p95(values) / base:.2f}"
        )
    print("  targets: p95 < 450 ms with 300 ms Google latency and no push; < 100 ms with push")


if __name__ == "__main__":
    asyncio.run(main())
