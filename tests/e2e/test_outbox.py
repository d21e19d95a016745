"""The outbox through the running bot: a customer's booking and cancel each queue one Google
write with their origin; a change that came from Google (applied as the sync worker will
apply it, through the bot's own repository) queues none."""

from __future__ import annotations

from datetime import timedelta

from bot.app import BotRuntime
from storage.bookings import Changed
from storage.outbox import OutboxRepository
from tests.e2e.flows import confirm, reach_summary, say, tap
from tests.fakes.telegram import FakeTelegram
from tests.week import TUESDAY, short_day_and_time


async def test_google_changes_are_not_written_back(tg: FakeTelegram, bot: BotRuntime) -> None:
    assert bot.services is not None
    ann = tg.user(601, first_name="Ann")
    await confirm(tg, ann, await reach_summary(tg, ann, time="09:00"))
    repository = bot.services.booking.bookings
    (booking,) = await bot.services.booking.upcoming(ann.id)
    outbox = OutboxRepository(bot.services.db)
    assert [(e.booking_id, e.action, e.origin) for e in await outbox.pending()] == [
        (booking.id, "upsert", "customer")
    ]

    # The staff member moved the event in Google Calendar by an hour.
    hour = timedelta(hours=1)
    moved = await repository.reschedule(
        booking.id,
        customer_id=None,
        start=booking.start + hour,
        end=booking.end + hour,
        blocked_start=booking.blocked_start + hour,
        blocked_end=booking.blocked_end + hour,
        now=bot.clock.now(),
        origin="google",
    )
    assert isinstance(moved, Changed)
    assert len(await outbox.pending()) == 1  # nothing to write back

    listing = await say(tg, ann, "/mybookings")
    assert "10:00" in listing["text"]  # the customer sees Google's time
    details = await tap(tg, ann, listing, f"{short_day_and_time(TUESDAY, '10:00')} · Haircut")
    ask = await tap(tg, ann, details, "✖ Cancel booking")
    done = await tap(tg, ann, ask, "Yes, cancel it")
    assert "cancelled" in done["text"].lower()
    assert [(e.action, e.origin) for e in await outbox.pending()] == [
        ("upsert", "customer"),
        ("delete", "customer"),
    ]
    history = await repository.history(booking.id)
    assert [(h.origin, h.action) for h in history] == [
        ("customer", "created"),
        ("google", "rescheduled"),
        ("customer", "cancelled"),
    ]
