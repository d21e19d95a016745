"""Draining a burst for one staff member under Google's per-user quota:
``python -m bench.outbox_drain [--changes 1000] [--quota 50]``.

The real bot (in this process, on the system clock) with the Google emulator enforcing a
per-user quota of ``--quota`` requests per second (403 ``userRateLimitExceeded`` beyond it,
as Google answers). One staff member connects; ``--changes`` bookings are queued while the
bot's own worker sleeps; then an `OutboxWorker` over the same services drains them.

Runs, each from the same queued state (a fresh database and calendar):
* paced: ``GOOGLE_REQUESTS_PER_SECOND`` = 95% of the quota (what an admin sets for a known
  quota; the shipped default of 5/s is far below Google's real per-user quota);
* baseline: pacing effectively off (1000/s): the burst runs into the quota and retries.
Figures: drain time against the quota's minimum (changes / quota; target within 15%), the
count of rate-limit answers (target <= 1), and the events written (must equal the changes).
Prints figures; never asserts on time.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import tempfile
import time
from pathlib import Path

from bot.app import BotRuntime
from bot.booking import Contact
from bot.clock import SystemClock
from bot.notices import NoNotices
from bot.sync.outbox_worker import OutboxWorker
from storage.bookings import Booked
from storage.outbox import OutboxRepository
from tests.e2e.google_harness import free_port, google_settings
from tests.e2e.harness import ADMIN_ID
from tests.e2e.outbox_harness import connect_staff, prepare_business
from tests.fakes.google import FakeGoogle
from tests.fakes.telegram import FakeTelegram

CALENDAR = "anna@example.com"


async def _queue(runtime: BotRuntime, changes: int) -> None:
    assert runtime.services is not None
    service = runtime.services.booking
    beard = next(s for s in await service.active_services() if s.name.startswith("Beard"))
    anna = (await service.catalog.staff_by_name("Anna"))[0]
    made = 0
    for day in await service.free_days(beard.id, anna.id):
        for start in await service.free_slots(beard.id, anna.id, day):
            outcome = await service.book(
                contact=Contact(
                    telegram_user_id=30_000 + made, name=f"C{made}", phone=None, email=None
                ),
                service_id=beard.id,
                staff_id=anna.id,
                start=start,
                request_key=None,
            )
            assert isinstance(outcome, Booked)
            made += 1
            if made == changes:
                return
    raise SystemExit(f"only {made} free slots; ask for fewer changes")


async def run(changes: int, quota: int, rate: float, give_up: float) -> tuple[float, int, int, int]:
    """(drain seconds, rate-limit answers, calendar calls, events written), stopping after
    `give_up` seconds if the outbox has not drained by then."""
    with tempfile.TemporaryDirectory() as folder:
        db_path = Path(folder) / "drain.db"
        await prepare_business(db_path, {"horizon_days": 366, "min_notice_minutes": 0})
        clock = SystemClock()
        async with FakeTelegram() as tg, FakeGoogle(clock=clock) as google:
            settings = google_settings(tg, google, db_path, free_port()).model_copy(
                update={"outbox_poll_seconds": 3600.0, "google_requests_per_second": rate}
            )
            google.register_redirect_uri(settings.oauth_redirect_uri)
            account = google.add_account(CALENDAR, name="Anna")
            runtime = BotRuntime(settings, clock=clock)
            await runtime.start()
            try:
                assert runtime.services is not None
                admin = tg.user(ADMIN_ID, first_name="Boss")
                staff = tg.user(900, first_name="Anna")
                await connect_staff(tg, google, admin, "Anna", staff, account)
                await _queue(runtime, changes)
                google.set_user_rate_limit(quota)
                calls_before = len(google.calls)
                worker = OutboxWorker.from_services(runtime.services, NoNotices())
                outbox = OutboxRepository(runtime.services.db)
                started = time.perf_counter()
                await worker.start()
                while await outbox.pending() and time.perf_counter() - started < give_up:  # noqa: ASYNC110
                    await asyncio.sleep(0.05)
                elapsed = time.perf_counter() - started
                await worker.stop()
                calls = google.calls[calls_before:]
                limited = sum(c.status in (403, 429) for c in calls)
                written = len(google.events(CALENDAR))
                return elapsed, limited, len(calls), written
            finally:
                await runtime.stop()


async def main(changes: int, quota: int) -> None:
    minimum = changes / quota
    print(f"{changes} queued changes for one staff member; emulated quota {quota} requests/s")
    print(f"quota's minimum drain time: {minimum:.1f} s")
    give_up = 3 * minimum + 10
    for label, rate in (("paced at 95% of the quota", quota * 0.95), ("unpaced baseline", 1000.0)):
        elapsed, limited, calls, written = await run(changes, quota, rate, give_up)
        drained = "" if written == changes else f" (stopped after {give_up:.0f} s: not drained)"
        print(
            f"{label:26}: {elapsed:6.1f} s = {elapsed / minimum:4.2f} x minimum "
            f"(target <= 1.15), rate-limit answers {limited} (target <= 1), "
            f"calls {calls}, events written {written}/{changes}{drained}"
        )


if __name__ == "__main__":
    logging.basicConfig(level=logging.ERROR)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=1000)
    parser.add_argument("--quota", type=int, default=50)
    args = parser.parse_args()
    asyncio.run(main(args.changes, args.quota))
