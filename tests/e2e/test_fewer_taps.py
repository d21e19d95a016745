"""Fewer taps and no lost way: first and returning bookings counted action by action, Back on
every step, typed times and days, the time screen in parts, the cancellation policy on the
summary, and buttons of earlier messages of the same booking taking the customer back."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from bot.app import BotRuntime
from bot.clock import ManualClock
from handlers import callbacks as cb
from tests.e2e.flows import (
    HAIRCUT,
    JSON,
    WAIT,
    confirm,
    reach_step,
    reach_summary,
    say,
    tap,
    tap_time,
)
from tests.e2e.harness import button_callbacks, buttons
from tests.fakes.telegram import FakeTelegram, FakeUser
from tests.week import (
    MONDAY,
    SATURDAY,
    TUESDAY,
    day_and_time,
    day_button,
    helsinki,
    short_day_and_time,
)


@dataclass
class Customer:
    """A customer whose every message and button press is counted."""

    tg: FakeTelegram
    user: FakeUser
    actions: list[str] = field(default_factory=list)

    async def say(self, text: str) -> JSON:
        self.actions.append(f"type {text}")
        return await say(self.tg, self.user, text)

    async def tap(self, screen: JSON, label: str) -> JSON:
        self.actions.append(f"tap {label}")
        return await tap(self.tg, self.user, screen, label)

    async def share_contact(self, phone: str, predicate_text: str) -> JSON:
        self.actions.append("share contact")
        mark = self.tg.mark()
        await self.tg.send_contact(self.user, phone)
        return await self.tg.next_message(
            self.user.id,
            since=mark,
            predicate=lambda m: predicate_text in m.get("text", ""),
            timeout=WAIT,
        )

    async def confirm(self, summary: JSON) -> JSON:
        self.actions.append("tap ✅ Confirm booking")
        return await confirm(self.tg, self.user, summary)


def _first_available(screen: JSON) -> str:
    return next(label for label in buttons(screen) if label.startswith("⚡ First available: "))


async def test_first_booking_in_six_actions_and_returning_in_four(
    tg: FakeTelegram, bot: BotRuntime
) -> None:
    ann = Customer(tg, tg.user(9001, first_name="Ann", last_name="Smith"))
    menu = await ann.say("/start")
    staff = await ann.tap(menu, HAIRCUT)
    first = _first_available(staff)
    # The clock stands on Monday 08:00; an hour's notice makes 09:00 the first free time.
    assert first == f"⚡ First available: {short_day_and_time(MONDAY, '09:00')} (Helsinki time)"
    phone = await ann.tap(staff, first)
    assert "Share my contact" in phone["text"]
    email = await ann.share_contact("+358401234567", "e-mail")
    summary = await ann.tap(email, "Skip the e-mail")
    assert "👤 Ann Smith" in summary["text"]  # the name came with the contact
    assert day_and_time(MONDAY, "09:00") in summary["text"]
    confirmation = await ann.confirm(summary)
    assert "Ann Smith" in confirmation["text"] and "+358401234567" in confirmation["text"]
    assert len(ann.actions) <= 6, ann.actions
    texts = [m.get("text", "") for m in tg.messages(ann.user.id)]
    assert "Thanks!" not in texts  # no message that only says thanks
    # Four messages: the menu (edited into the staff choice), the phone question, the phone
    # number said back, the e-mail question (edited into the summary, then the confirmation);
    # and the .ics file.
    assert len(tg.calls("sendMessage", chat_id=ann.user.id)) == 4
    assert len(tg.calls("sendDocument", chat_id=ann.user.id)) == 1

    ann.actions.clear()
    menu = await ann.say("/start")
    staff = await ann.tap(menu, HAIRCUT)
    summary = await ann.tap(staff, _first_available(staff))
    assert "check your booking" in summary["text"] and "+358401234567" in summary["text"]
    await ann.confirm(summary)
    assert len(ann.actions) <= 4, ann.actions
    assert bot.services is not None
    assert len(await bot.services.booking.upcoming(ann.user.id)) == 2


async def test_back_on_every_step(tg: FakeTelegram, bot: BotRuntime) -> None:
    ann = tg.user(9002, first_name="Ann")
    week = await reach_step(tg, ann, "day")
    assert "Who would you like to see?" in (await tap(tg, ann, week, "« Back to staff"))["text"]
    staff = await reach_step(tg, ann, "staff")
    assert "What would you like" in (await tap(tg, ann, staff, "« Back to services"))["text"]
    times = await reach_step(tg, ann, "time")
    assert "Pick a day" in (await tap(tg, ann, times, "« Back to days"))["text"]

    await reach_step(tg, ann, "phone")
    assert tg.keyboard(ann.id) is not None
    mark = tg.mark()
    await tg.send_text(ann, "« Back to times")
    back = await tg.next_message(
        ann.id, since=mark, predicate=lambda m: "Free times on" in m["text"], timeout=WAIT
    )
    assert tg.keyboard(ann.id) is None  # the contact keyboard went away
    assert "13:00" in buttons(back) or any(b.startswith("Afternoon") for b in buttons(back))

    summary = await reach_summary(tg, ann)
    email = await tap(tg, ann, summary, "✉️ Change the e-mail")
    summary = await tap(tg, ann, email, "« Back to the summary")
    assert "check your booking" in summary["text"] and "ann@example.com" in summary["text"]
    name = await tap(tg, ann, summary, "✏️ Change the name")
    summary = await tap(tg, ann, name, "« Back to the summary")
    assert "check your booking" in summary["text"]

    # A new customer's e-mail step goes back to the phone step.
    bob = tg.user(9003, first_name="Bob")
    await reach_step(tg, bob, "phone")
    mark = tg.mark()
    await tg.send_contact(bob, "+358401234568")
    email = await tg.next_message(
        bob.id, since=mark, predicate=lambda m: "e-mail" in m["text"], timeout=WAIT
    )
    await tap(tg, bob, email, "« Back to the phone number")
    keyboard = tg.keyboard(bob.id)
    assert keyboard is not None and keyboard["keyboard"][0][0]["request_contact"] is True


async def test_the_summary_changes_day_time_and_staff(tg: FakeTelegram, bot: BotRuntime) -> None:
    ann = tg.user(9004, first_name="Ann")
    summary = await reach_summary(tg, ann, email=None)
    times = await tap(tg, ann, summary, "🕐 Change the time")
    assert "Free times on" in times["text"]
    summary = await tap(tg, ann, times, "14:30")  # the details are kept: straight back
    assert day_and_time(TUESDAY, "14:30") in summary["text"]
    week = await tap(tg, ann, summary, "🗓 Change the day")
    times = await tap(tg, ann, week, day_button(MONDAY + timedelta(days=3)))
    summary = await tap(tg, ann, times, "14:00")
    assert day_and_time(MONDAY + timedelta(days=3), "14:00") in summary["text"]
    staff = await tap(tg, ann, summary, "👩‍🔧 Change the staff member")
    week = await tap(tg, ann, staff, "Ben")
    times = await tap(tg, ann, week, day_button(SATURDAY))
    summary = await tap(tg, ann, times, "10:00")
    assert "with Ben" in summary["text"] and day_and_time(SATURDAY, "10:00") in summary["text"]
    confirmation = await confirm(tg, ann, summary)
    assert "Ben" in confirmation["text"]


async def test_an_earlier_message_of_the_booking_goes_back_to_its_step(
    tg: FakeTelegram, bot: BotRuntime
) -> None:
    ann = tg.user(9005, first_name="Ann")
    summary = await reach_summary(tg, ann, email=None)
    # The services list became the time list (each step edits it); it still works.
    times = tg.messages(ann.id)[1]  # after the /start the customer sent
    assert "Free times on" in times["text"] and summary["message_id"] != times["message_id"]
    summary = await tap(tg, ann, times, "11:00")
    assert day_and_time(TUESDAY, "11:00") in summary["text"]
    # An older summary's Confirm shows the current summary instead of booking the old choice.
    older = summary
    screen = await say(tg, ann, "/start")
    for label in (HAIRCUT, "Anna", day_button(TUESDAY)):
        screen = await tap(tg, ann, screen, label)
    newer = await tap_time(tg, ann, screen, "14:00")  # her details are known: the summary
    assert older["message_id"] != newer["message_id"]
    shown = await tap(tg, ann, older, "✅ Confirm booking")
    assert "check your booking" in shown["text"] and "expired" not in shown["text"]
    assert day_and_time(TUESDAY, "14:00") in shown["text"]
    assert bot.services is not None
    assert await bot.services.booking.upcoming(ann.id) == []
    await confirm(tg, ann, newer)


async def test_the_time_screen_shows_at_most_twelve_and_every_time_is_reachable(
    tg: FakeTelegram, bot: BotRuntime
) -> None:
    ann = tg.user(9006, first_name="Ann")
    staff = await reach_step(tg, ann, "staff")
    week = await tap(tg, ann, staff, "Ben")
    first = await tap(tg, ann, week, day_button(TUESDAY))  # Ben: 10:00-18:00, 16 start times
    assert bot.services is not None
    booking = bot.services.booking
    cut = next(s for s in await booking.active_services() if s.slug == "cut")
    ben = next(s for s in await booking.staff_for(cut.id) if s.name == "Ben")
    free = set(await booking.free_slots(cut.id, ben.id, TUESDAY))
    assert len(free) > 12
    parts = [c for c in button_callbacks(first) if isinstance(c, cb.DayPart)]
    assert parts
    seen: set[object] = set()
    for screen in [first, *[await tap(tg, ann, first, label) for label in _part_labels(first)]]:
        slots = [c.start for c in button_callbacks(screen) if isinstance(c, cb.PickSlot)]
        assert 0 < len(slots) <= 12
        seen |= set(slots)
    assert seen == free


def _part_labels(screen: JSON) -> list[str]:
    return [
        label for label in buttons(screen) if label.startswith(("Morning", "Afternoon", "Evening"))
    ]


async def test_typed_times_and_days(tg: FakeTelegram, bot: BotRuntime) -> None:
    ann = tg.user(9007, first_name="Ann")
    times = await reach_step(tg, ann, "time")  # Tuesday, Haircut with Anna
    not_free = await say(tg, ann, "12:15")
    assert "12:15 is not free" in not_free["text"] and "nearest free times" in not_free["text"]
    assert any(isinstance(c, cb.PickSlot) for c in button_callbacks(not_free))  # keyboard again
    nonsense = await say(tg, ann, "whenever")
    assert "type one like 11:00" in nonsense["text"]
    assert any(isinstance(c, cb.PickSlot) for c in button_callbacks(nonsense))
    phone = await say(tg, ann, "13")
    assert "phone" in phone["text"].lower()
    summary_start = await tap(tg, ann, times, "« Back to days")
    assert "Pick a day" in summary_start["text"]
    tomorrow = await say(tg, ann, "tomorrow")  # the clock stands on Monday
    assert f"Free times on Tuesday, {TUESDAY:%B} {TUESDAY.day}" in tomorrow["text"]
    await say(tg, ann, "/start")
    week = await reach_step(tg, ann, "day")
    friday = await say(tg, ann, "Friday")
    assert "Free times on Friday" in friday["text"]
    await tap(tg, ann, friday, "« Back to days")
    saturday = await say(tg, ann, f"{SATURDAY.day}.{SATURDAY.month}")  # Anna: not on Saturdays
    assert "no free times on Saturday" in saturday["text"] and "Pick a day" in saturday["text"]
    unknown = await say(tg, ann, "someday")
    assert "tomorrow" in unknown["text"] and day_button(TUESDAY) in buttons(unknown)
    assert week["text"]


async def test_the_summary_shows_the_cancellation_policy(
    tg: FakeTelegram, bot: BotRuntime, clock: ManualClock
) -> None:
    ann = tg.user(9008, first_name="Ann")
    summary = await reach_summary(tg, ann, email=None)  # Tuesday 13:00, a 24-hour cutoff
    assert f"Free cancellation until {short_day_and_time(MONDAY, '13:00')}." in summary["text"]
    clock.set(helsinki(MONDAY, 14))  # Tuesday 13:00 is now 23 hours away
    bob = tg.user(9009, first_name="Bob")
    late = await reach_summary(tg, bob, email=None)
    assert "less than 24 h away" in late["text"]
    assert "cannot be cancelled or changed here" in late["text"]
    assert "Free cancellation" not in late["text"]
