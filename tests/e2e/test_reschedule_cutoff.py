"""Past the cancellation cutoff a booking cannot be moved: not offered, not by old buttons.

The customer walks the reschedule screens while it is still allowed and keeps every button;
once the clock is past the cutoff the Reschedule button is gone, the service answers TooLate,
and each kept (or forged) reschedule button is refused with the cutoff explanation while the
booking, its history and its outbox stay exactly as they were.
"""

from __future__ import annotations

from datetime import timedelta

from bot.app import BotRuntime
from bot.booking import TooLate
from bot.clock import ManualClock
from storage.bookings import HistoryEntry
from storage.records import BookingRecord
from tests.e2e.flows import JSON, confirm, reach_summary, say, tap, tap_time
from tests.e2e.harness import button_data, buttons
from tests.fakes.telegram import FakeTelegram, FakeUser
from tests.week import THURSDAY, TUESDAY, WEDNESDAY, day_button, helsinki, short_day_and_time

CUTOFF_TEXT = "up to 24 h before they start"
BOOKED = helsinki(TUESDAY, 13)
DETAILS = f"{short_day_and_time(TUESDAY, '13:00')} · Haircut"
WEDNESDAY_15 = helsinki(WEDNESDAY, 15)  # free for Anna
THURSDAY_10 = helsinki(THURSDAY, 10)  # on no screen Ann saw


async def _state(
    bot: BotRuntime, booking_id: str
) -> tuple[BookingRecord | None, list[HistoryEntry], list[tuple[str, str]]]:
    assert bot.services is not None
    bookings = bot.services.booking.bookings
    return (
        await bookings.get(booking_id),
        await bookings.history(booking_id),
        await bookings.pending_outbox(),
    )


async def _keep_buttons_then_pass_cutoff(
    tg: FakeTelegram, bot: BotRuntime, clock: ManualClock, ann: FakeUser
) -> tuple[BookingRecord, dict[str, str]]:
    """Book Tuesday 13:00, walk a move to its last step keeping every button, pass the cutoff."""
    assert bot.services is not None
    await confirm(tg, ann, await reach_summary(tg, ann, email=None))
    (booking,) = await bot.services.booking.upcoming(ann.id)
    details = await tap(tg, ann, await say(tg, ann, "/mybookings"), DETAILS)
    kept = {"reschedule": button_data(details, "🔁 Reschedule")}
    week = await tap(tg, ann, details, "🔁 Reschedule")
    kept["day"] = button_data(week, day_button(WEDNESDAY))
    slots = await tap(tg, ann, week, day_button(WEDNESDAY))
    kept["time"] = button_data(slots, "15:00")
    ask = await tap_time(tg, ann, slots, "15:00")
    kept["yes"] = button_data(ask, "✅ Yes, move it")
    # A move confirmation forged for a time no screen offered.
    kept["forged"] = f"move:{booking.id}:{int(THURSDAY_10.timestamp())}"
    mark = tg.mark()
    clock.set(BOOKED - timedelta(hours=13))
    # The 24-hour reminder, due meanwhile, arrives first (it is not a reply to anything).
    await tg.next_message(ann.id, since=mark, predicate=lambda m: "Reminder" in m.get("text", ""))
    return booking, kept


async def _press(tg: FakeTelegram, ann: FakeUser, data: str) -> JSON:
    """Press callback data on a fresh message (so each answer is a new edit); the bot's answer."""
    screen = await say(tg, ann, "/mybookings")
    mark = tg.mark()
    query = await tg.press_raw(ann, screen["message_id"], data)
    assert (await tg.callback_answer(query)).ok, data
    return await tg.next_message(ann.id, since=mark)


def _refused(reply: JSON) -> bool:
    """The cutoff is explained and nothing leads on towards a move."""
    offers = any(b[:2].isdigit() or b.startswith("✅") for b in buttons(reply))
    return CUTOFF_TEXT in reply["text"] and not offers


async def test_reschedule_refused_past_cutoff(
    tg: FakeTelegram, bot: BotRuntime, clock: ManualClock
) -> None:
    assert bot.services is not None
    service = bot.services.booking
    ann = tg.user(720)
    booking, kept = await _keep_buttons_then_pass_cutoff(tg, bot, clock, ann)
    before = await _state(bot, booking.id)
    documents = len(tg.documents(ann.id))

    details = await tap(tg, ann, await say(tg, ann, "/mybookings"), DETAILS)
    assert CUTOFF_TEXT in details["text"]
    # "contact us" comes with the business's contact from the setup file
    assert "☎️ Contact us: +358 9 123 4567 · @test_salon" in details["text"]
    assert "🔁 Reschedule" not in buttons(details)
    for step in ("reschedule", "yes", "forged"):
        reply = await _press(tg, ann, kept[step])
        assert _refused(reply), (step, reply["text"], buttons(reply))

    # The slot itself is free, so only the cutoff stands in the way.
    free = await service.free_slots(
        booking.service_id, booking.staff_id, WEDNESDAY_15.date(), ignore_booking=booking.id
    )
    assert WEDNESDAY_15 in free
    too_late = await service.reschedule(ann.id, booking.id, WEDNESDAY_15)
    assert isinstance(too_late, TooLate) and too_late.cutoff == timedelta(hours=24)

    assert await _state(bot, booking.id) == before
    assert len(tg.documents(ann.id)) == documents


async def test_kept_day_and_time_buttons_refused_past_cutoff(
    tg: FakeTelegram, bot: BotRuntime, clock: ManualClock
) -> None:
    ann = tg.user(721)
    booking, kept = await _keep_buttons_then_pass_cutoff(tg, bot, clock, ann)
    before = await _state(bot, booking.id)
    replies = {step: await _press(tg, ann, kept[step]) for step in ("day", "time")}
    assert await _state(bot, booking.id) == before
    assert all(_refused(r) for r in replies.values()), {
        step: (r["text"], buttons(r)) for step, r in replies.items()
    }


async def test_time_taken_meanwhile_shows_the_day_again(tg: FakeTelegram, bot: BotRuntime) -> None:
    """Before the cutoff: a kept time button whose slot someone else booked since."""
    ann, bob = tg.user(722), tg.user(723, first_name="Bob")
    await confirm(tg, ann, await reach_summary(tg, ann, email=None))
    details = await tap(tg, ann, await say(tg, ann, "/mybookings"), DETAILS)
    slots = await tap(tg, ann, await tap(tg, ann, details, "🔁 Reschedule"), day_button(WEDNESDAY))
    kept_time = button_data(slots, "15:00")
    await confirm(
        tg, bob, await reach_summary(tg, bob, day=day_button(WEDNESDAY), time="15:00", email=None)
    )

    reply = await _press(tg, ann, kept_time)
    assert "15:00" in reply["text"] and "is not free any more" in reply["text"]
    assert "15:00" not in buttons(reply) and "09:00" in buttons(reply)
    assert "✅ Yes, move it" not in buttons(reply)
