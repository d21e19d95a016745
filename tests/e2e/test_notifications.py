"""Reminders, staff messages, agendas and the crash-safe confirmation, end to end: the real
bot against the Telegram emulator, the clock moved through the seam, restarts in between.

Telegram's limits as the emulator enforces them: about one message a second per chat and
about 30 a second overall for bulk notifications, beyond which it answers 429 with
`retry_after` (https://core.telegram.org/bots/faq#my-bot-is-hitting-limits-how-do-i-avoid-this,
https://core.telegram.org/bots/api#responseparameters); a user who blocked the bot gets 403.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import date, timedelta
from pathlib import Path

import pytest

from bot.app import BotRuntime
from bot.clock import ManualClock
from bot.config import Settings
from storage.db import Database
from tests.conftest import SALON
from tests.e2e.flows import WAIT, confirm, reach_summary, say, tap
from tests.e2e.harness import bot_settings, buttons, load_business, running_bot
from tests.e2e.notify_harness import delivered, link_staff, store_bookings
from tests.fakes.telegram import FakeTelegram
from tests.week import MONDAY, TUESDAY, WEDNESDAY, day_button, helsinki

ANNA_CHAT = 7001
REMINDER = "Reminder"

# PTB reads RetryAfter.retry_after, which warns about its future timedelta type.
pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")


def _settings(tg: FakeTelegram, db_path: Path, **overrides: object) -> Settings:
    return bot_settings(tg, db_path, notify_poll_seconds=0.2, **overrides)


@pytest.fixture
async def nbot(tg: FakeTelegram, db_path: Path, clock: ManualClock) -> AsyncIterator[BotRuntime]:
    """The bot with the test salon, looking at its queue five times a second."""
    await load_business(db_path, SALON)
    async with running_bot(_settings(tg, db_path), clock) as runtime:
        yield runtime


async def _quiet(tg: FakeTelegram, chat_id: int, marker: str, since: int) -> None:
    """Several dispatcher ticks pass and nothing with `marker` reached the chat."""
    await asyncio.sleep(1.0)
    assert delivered(tg, marker, since=since)[chat_id] == 0


async def _state(bot: BotRuntime, key: str, expected: str) -> None:
    """Wait until the queue row `key` is in state `expected`."""
    assert bot.services is not None
    for _ in range(600):
        if await bot.services.notifications.state(key) == expected:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{key} is {await bot.services.notifications.state(key)}, not {expected}")


async def test_reminders_come_at_the_offsets_and_follow_a_reschedule(
    tg: FakeTelegram, nbot: BotRuntime, clock: ManualClock
) -> None:
    ann = tg.user(801, first_name="Ann")
    await confirm(tg, ann, await reach_summary(tg, ann))  # Haircut, Tuesday 13:00, Anna
    mark = tg.mark()
    clock.set(helsinki(MONDAY, 12, 59))
    await _quiet(tg, ann.id, REMINDER, mark)
    clock.set(helsinki(MONDAY, 13))  # 24 hours before
    reminder = await tg.next_message(
        ann.id, since=mark, predicate=lambda m: REMINDER in m.get("text", ""), timeout=WAIT
    )
    assert "Haircut with Anna" in reminder["text"] and "13:00 (Helsinki time)" in reminder["text"]
    assert buttons(reminder) == ["🔁 Reschedule", "❌ Cancel"]
    # The Reschedule button opens the move flow of /mybookings.
    week = await tap(tg, ann, reminder, "🔁 Reschedule")
    assert "pick a new day" in week["text"]
    times = await tap(tg, ann, week, day_button(WEDNESDAY))
    ask = await tap(tg, ann, times, "15:00")
    moved = await tap(tg, ann, ask, "✅ Yes, move it")
    assert "moved" in moved["text"]
    # The old 2-hour reminder (Tuesday 11:00) is gone; the new time has its own reminders.
    mark = tg.mark()
    clock.set(helsinki(TUESDAY, 11))
    await _quiet(tg, ann.id, REMINDER, mark)
    clock.set(helsinki(TUESDAY, 15))
    again = await tg.next_message(
        ann.id, since=mark, predicate=lambda m: REMINDER in m.get("text", ""), timeout=WAIT
    )
    assert "15:00 (Helsinki time)" in again["text"] and "Wed" in again["text"]
    # 2 hours before: inside the 24-hour cutoff, so the message says to call instead.
    mark = tg.mark()
    clock.set(helsinki(WEDNESDAY, 13))
    last = await tg.next_message(
        ann.id, since=mark, predicate=lambda m: REMINDER in m.get("text", ""), timeout=WAIT
    )
    assert "no longer be changed" in last["text"]
    assert buttons(last) == ["📋 My bookings"]
    assert delivered(tg, REMINDER)[ann.id] == 3
    # The confirmation was the reply (an edit of the summary): the queue's fallback never sent
    # one of its own.
    assert delivered(tg, "booked!")[ann.id] == 0


async def test_a_booking_cancelled_from_a_reminder_gets_no_more_reminders(
    tg: FakeTelegram, nbot: BotRuntime, clock: ManualClock
) -> None:
    ann = tg.user(802, first_name="Ann")
    await confirm(tg, ann, await reach_summary(tg, ann))
    mark = tg.mark()
    clock.set(helsinki(MONDAY, 13))
    reminder = await tg.next_message(
        ann.id, since=mark, predicate=lambda m: REMINDER in m.get("text", ""), timeout=WAIT
    )
    ask = await tap(tg, ann, reminder, "❌ Cancel")
    done = await tap(tg, ann, ask, "Yes, cancel it")
    assert "cancelled" in done["text"]
    mark = tg.mark()
    clock.set(helsinki(TUESDAY, 11, 30))
    await _quiet(tg, ann.id, REMINDER, mark)
    assert nbot.services is not None
    counts = await nbot.services.notifications.counts()
    assert counts.open == 0 and counts.dropped.get("replanned") == 1


async def test_staff_hear_of_new_moved_and_cancelled_bookings_and_use_agenda(
    tg: FakeTelegram, db_path: Path, clock: ManualClock
) -> None:
    await load_business(db_path, SALON)
    await link_staff(db_path, "Anna", ANNA_CHAT, clock)
    anna = tg.user(ANNA_CHAT, first_name="Anna")
    async with running_bot(_settings(tg, db_path), clock):
        await say(tg, anna, "/help")  # Anna has started the bot
        ann = tg.user(803, first_name="Ann")
        mark = tg.mark()
        await confirm(tg, ann, await reach_summary(tg, ann))
        new = await tg.next_message(
            anna, since=mark, predicate=lambda m: "New booking" in m.get("text", ""), timeout=WAIT
        )
        text = new["text"]
        assert "Haircut" in text and "13:00 (Helsinki time)" in text
        assert "Customer: Ann" in text and "+358401234567" in text and "ann@example.com" in text
        assert "Made by the customer." in text

        # /agenda: today is empty, tomorrow has Ann's haircut with her contact.
        today = await say(tg, anna, "/agenda")
        assert "No bookings." in today["text"]
        assert buttons(today)[:3] == ["Today", "Tomorrow", "This week"]
        tomorrow = await tap(tg, anna, today, "Tomorrow")
        assert "Haircut" in tomorrow["text"] and "Ann" in tomorrow["text"]
        week = await tap(tg, anna, tomorrow, "This week")
        assert week["text"].count("No bookings.") == 6  # Monday to Sunday but Tuesday

        # Ann cancels in /mybookings: Anna is told.
        mark = tg.mark()
        mine = await say(tg, ann, "/mybookings")
        details = await tap(tg, ann, mine, buttons(mine)[0])
        ask = await tap(tg, ann, details, "✖ Cancel booking")
        await tap(tg, ann, ask, "Yes, cancel it")
        cancelled = await tg.next_message(
            anna, since=mark, predicate=lambda m: "cancelled" in m.get("text", ""), timeout=WAIT
        )
        assert "Haircut" in cancelled["text"]


async def test_daily_agenda_choices_and_a_late_agenda_after_downtime(
    tg: FakeTelegram, db_path: Path, clock: ManualClock
) -> None:
    await load_business(db_path, SALON)
    anna_id = await link_staff(db_path, "Anna", ANNA_CHAT, clock)
    anna = tg.user(ANNA_CHAT, first_name="Anna")
    ann = tg.user(804, first_name="Ann")
    settings = _settings(tg, db_path)
    async with running_bot(settings, clock) as bot:
        await say(tg, anna, "/help")
        await confirm(tg, ann, await reach_summary(tg, ann))  # Tuesday 13:00
        # Tuesday 08:00 (the default): Anna's agenda with the booking.
        mark = tg.mark()
        clock.set(helsinki(TUESDAY, 8))
        agenda = await tg.next_message(
            anna, since=mark, predicate=lambda m: "Good morning" in m.get("text", ""), timeout=WAIT
        )
        assert "1 booking today" in agenda["text"] and "Ann" in agenda["text"]
        # She wants it at 09:00, only on days with bookings.
        screen = await say(tg, anna, "/agenda")
        choices = await tap(tg, anna, screen, "⚙️ Daily agenda")
        assert "every day at 08:00" in choices["text"]
        choices = await tap(tg, anna, choices, "09:00")
        choices = await tap(tg, anna, choices, "Only when I have bookings")
        assert (
            "09:00" in choices["text"] and "only on days when you have bookings" in choices["text"]
        )
        # Wednesday has no booking of hers: nothing at 09:00.
        wednesday = f"agenda:{anna_id}:{WEDNESDAY.isoformat()}"
        await _state(bot, wednesday, "open")  # queued again under the new choice
        mark = tg.mark()
        clock.set(helsinki(WEDNESDAY, 9, 5))
        await _quiet(tg, anna.id, "Good morning", mark)
        assert bot.services is not None
        assert await bot.services.notifications.state(wednesday) == "dropped:no bookings"
        # Back to every day; then the bot is down over Thursday's 09:00.
        await tap(tg, anna, choices, "Every day")
        await asyncio.sleep(0.5)
    mark = tg.mark()
    clock.set(helsinki(TUESDAY + timedelta(days=2), 11))  # Thursday 11:00
    async with running_bot(settings, clock):
        late = await tg.next_message(
            anna, since=mark, predicate=lambda m: "Good morning" in m.get("text", ""), timeout=WAIT
        )
        assert "0 bookings today" in late["text"]
    # Down again until Saturday: Friday's agenda is not sent on Saturday (its day is over).
    mark = tg.mark()
    clock.set(helsinki(TUESDAY + timedelta(days=4), 7))  # Saturday 07:00
    async with running_bot(settings, clock):
        await _quiet(tg, anna.id, "Good morning", mark)
        assert delivered(tg, "Good morning")[anna.id] == 2


async def test_a_booking_stored_before_a_crash_is_confirmed_after_the_restart(
    tg: FakeTelegram, db_path: Path, clock: ManualClock
) -> None:
    await load_business(db_path, SALON)
    ann = tg.user(805, first_name="Ann")
    ann.started = True  # she pressed Confirm; the bot stored the booking and crashed
    db = await Database.open(db_path)
    try:
        (booking,) = await store_bookings(
            db,
            [(ann.id, 1, helsinki(TUESDAY, 13))],
            service_id=1,
            duration=timedelta(hours=1),
            now=clock.now(),
            origin="customer",
        )
    finally:
        await db.close()
    async with running_bot(_settings(tg, db_path), clock):
        await _quiet(tg, ann.id, "booked!", 0)  # the reply may still be on its way
        clock.advance(timedelta(seconds=61))
        message = await tg.next_message(
            ann, since=0, predicate=lambda m: "booked!" in m.get("text", ""), timeout=WAIT
        )
        assert "Haircut" in message["text"]
        assert "📅 Add to Google Calendar" in buttons(message)
        await tg.wait_for("sendDocument", chat_id=ann.id, since=0, timeout=WAIT)
        assert tg.documents(ann.id)[0].file_name is not None
        assert booking.id  # the same booking, confirmed once
        clock.advance(timedelta(minutes=5))
        await _quiet(tg, ann.id, "booked!", tg.mark())
        assert delivered(tg, "booked!")[ann.id] == 1


async def test_a_batch_survives_a_429_storm_a_restart_and_blocked_users(
    tg: FakeTelegram, db_path: Path, clock: ManualClock
) -> None:
    """40 reminders due at once with the emulator enforcing 10 a second overall: a storm of
    429s, a stop in the middle, two customers who blocked the bot. Every other customer gets
    their reminder exactly once; a blocked one who writes again gets the next one."""
    await load_business(db_path, SALON)
    tg.telegram_limits(global_per_second=10)
    customers = [tg.user(9100 + i, first_name=f"C{i}") for i in range(40)]
    for customer in customers:
        customer.started = True
    db = await Database.open(db_path)
    try:
        # Haircuts on Tuesday every 30 minutes from 00:00 for Anna and Ben (stored directly).
        slots = [
            (c.id, 1 + i % 2, helsinki(TUESDAY, 0) + timedelta(minutes=30 * (i // 2)))
            for i, c in enumerate(customers)
        ]
        # Stored on Sunday, so every 24-hour reminder was still ahead then.
        sunday = helsinki(MONDAY - timedelta(days=1), 12)
        await store_bookings(db, slots, service_id=2, duration=timedelta(minutes=30), now=sunday)
    finally:
        await db.close()
    blocked = customers[:2]
    for customer in blocked:
        tg.block(customer)
    settings = _settings(tg, db_path, notify_messages_per_second=8)
    # Monday 21:00: the 24-hour reminders of all 40 are due (Tuesday 00:00 to 09:30).
    clock.set(helsinki(MONDAY, 21))
    tg.inject_error("sendMessage", 429, retry_after=1, times=5)
    async with running_bot(settings, clock):
        for _ in range(400):
            if sum(delivered(tg, REMINDER).values()) >= 15:
                break
            await asyncio.sleep(0.05)
    stopped_at = sum(delivered(tg, REMINDER).values())
    assert 15 <= stopped_at < 38, stopped_at  # stopped in the middle of the batch
    async with running_bot(settings, clock) as bot:
        for _ in range(600):
            if sum(delivered(tg, REMINDER).values()) >= 38:
                break
            await asyncio.sleep(0.05)
        got = delivered(tg, REMINDER)
        assert {c.id: got[c.id] for c in customers[2:]} == {c.id: 1 for c in customers[2:]}
        assert all(got[c.id] == 0 for c in blocked)
        assert [c.error_code for c in tg.calls("sendMessage")].count(429) >= 5
        assert bot.services is not None
        # The blocked ones were tried once each, then skipped.
        refused = [c for c in tg.calls("sendMessage") if c.error_code == 403]
        assert sorted(c.chat_id or 0 for c in refused) == sorted(c.id for c in blocked)
        assert blocked[0].id in bot.services.blocked_chats
        # One of them writes again: marked no more, and their 2-hour reminder arrives.
        await say(tg, blocked[0], "/start")
        assert blocked[0].id not in bot.services.blocked_chats
        mark = tg.mark()
        clock.set(helsinki(MONDAY, 22))  # 2 hours before Tuesday 00:00
        await tg.next_message(
            blocked[0], since=mark, predicate=lambda m: REMINDER in m.get("text", ""), timeout=WAIT
        )


def _last_sunday(year: int, month: int) -> date:
    day = date(year, month + 1, 1) - timedelta(days=1)
    return day - timedelta(days=(day.weekday() + 1) % 7)


@pytest.mark.parametrize("month", [3, 10], ids=["spring forward", "fall back"])
async def test_the_daily_agenda_stays_at_eight_local_on_dst_days(
    tg: FakeTelegram, db_path: Path, month: int
) -> None:
    # Europe/Helsinki changes its clocks on the last Sunday of March and of October.
    change = _last_sunday(MONDAY.year + 1, month)
    clock = ManualClock(helsinki(change - timedelta(days=1), 12))
    await load_business(db_path, SALON)
    anna_id = await link_staff(db_path, "Anna", ANNA_CHAT, clock)
    anna = tg.user(ANNA_CHAT, first_name="Anna")
    async with running_bot(_settings(tg, db_path), clock) as bot:
        await say(tg, anna, "/help")
        assert bot.services is not None
        key = f"agenda:{anna_id}:{change.isoformat()}"
        await _state(bot, key, "open")
        mark = tg.mark()
        clock.set(helsinki(change, 7, 59))
        await _quiet(tg, anna.id, "Good morning", mark)
        clock.set(helsinki(change, 8))
        await tg.next_message(
            anna, since=mark, predicate=lambda m: "Good morning" in m.get("text", ""), timeout=WAIT
        )
        # 08:00 local is another UTC hour than the day before: the wall clock was kept.
        before = helsinki(change - timedelta(days=1), 8)
        assert helsinki(change, 8) - before != timedelta(days=1)
