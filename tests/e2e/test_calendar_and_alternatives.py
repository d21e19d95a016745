"""The week calendar pages by whole weeks inside the horizon and hides fully booked days; a
slot taken under the customer's feet is answered with the nearest free times."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from bot.app import BotRuntime
from bot.booking import BookingService, Contact
from bot.clock import ManualClock
from handlers import callbacks as cb
from storage.bookings import Booked
from storage.records import ServiceRecord, StaffRecord
from tests.e2e.flows import JSON, confirm, reach_step, reach_summary, tap, tap_time
from tests.e2e.harness import button_callbacks, keyboard_rows
from tests.fakes.telegram import FakeTelegram
from tests.week import (
    FRIDAY,
    HELSINKI,
    MONDAY,
    SATURDAY,
    THURSDAY,
    TUESDAY,
    WEDNESDAY,
    day_and_time,
    day_button,
    helsinki,
    short_day,
    short_day_and_time,
)

WEEKDAYS = ["Mo", "Tu", "We", "Th", "Fr", "Sa", "Su"]
# Wednesday 08:00 in Helsinki: the 14-day horizon ends on Tuesday two weeks later.
WEDNESDAY_MORNING = helsinki(WEDNESDAY, 8)
TUESDAY_1300 = helsinki(TUESDAY, 13)
NEXT_MONDAY = MONDAY + timedelta(weeks=1)
MONDAY_AFTER = MONDAY + timedelta(weeks=2)


def _picks(week: JSON) -> list[date]:
    """The days the day buttons pick, each labelled with its weekday and day ('Tu 24')."""
    picks = []
    for row in keyboard_rows(week):
        for b in row:
            data = cb.parse(b["callback_data"])
            if isinstance(data, cb.PickDay):
                assert b["text"] == day_button(data.day)
                picks.append(data.day)
    return picks


def _calendar(week: JSON) -> list[date | None]:
    """Per weekday of the shown week: the date its button picks, or None if not pickable
    (a day without free times has no button at all)."""
    monday = _monday(week)
    picks = set(_picks(week))
    days = [monday + timedelta(days=i) for i in range(7)]
    return [d if d in picks else None for d in days]


def _monday(week: JSON) -> date:
    """The Monday of the shown week, checked against every pickable day and the heading."""
    mondays = {d - timedelta(days=d.weekday()) for d in _picks(week)}
    assert len(mondays) == 1, mondays
    monday = mondays.pop()
    assert f"week of {short_day(monday)}, {monday.year}" in week["text"]
    return monday


def _nav(week: JSON) -> list[str]:
    labels = [b["text"] for row in keyboard_rows(week) for b in row]
    return [label for label in labels if label in ("◀ Earlier week", "Later week ▶")]


def _booking(bot: BotRuntime) -> BookingService:
    assert bot.services is not None
    return bot.services.booking


async def _haircut_and(bot: BotRuntime, staff_name: str) -> tuple[ServiceRecord, StaffRecord]:
    booking = _booking(bot)
    cut = next(s for s in await booking.active_services() if s.slug == "cut")
    member = next(s for s in await booking.staff_for(cut.id) if s.name == staff_name)
    return cut, member


async def test_week_paging_moves_by_a_week_and_stays_in_the_horizon(
    tg: FakeTelegram, bot: BotRuntime, clock: ManualClock
) -> None:
    clock.set(WEDNESDAY_MORNING)
    today = WEDNESDAY
    last_day = today + timedelta(days=13)  # horizon_days = 14, today included
    ann = tg.user(801)
    first = await reach_step(tg, ann, "day")  # Haircut with Anna: Monday to Friday
    assert _monday(first) == MONDAY
    # Monday and Tuesday are past; Saturday and Sunday Anna does not work.
    assert _calendar(first) == [None, None, WEDNESDAY, THURSDAY, FRIDAY, None, None]
    assert _nav(first) == ["Later week ▶"]

    second = await tap(tg, ann, first, "Later week ▶")
    assert _monday(second) == NEXT_MONDAY
    assert _calendar(second) == [NEXT_MONDAY + timedelta(days=i) for i in range(5)] + [None] * 2
    assert _nav(second) == ["◀ Earlier week", "Later week ▶"]

    third = await tap(tg, ann, second, "Later week ▶")
    assert _monday(third) == MONDAY_AFTER
    # Anna works Wednesday to Friday too, but those days are past the horizon.
    assert _calendar(third) == [MONDAY_AFTER, MONDAY_AFTER + timedelta(days=1)] + [None] * 5
    assert _nav(third) == ["◀ Earlier week"]
    for week in (first, second, third):
        assert all(today <= d <= last_day for d in _calendar(week) if d is not None)

    back = await tap(tg, ann, third, "◀ Earlier week")
    assert _monday(back) == NEXT_MONDAY
    assert _calendar(back) == _calendar(second) and _nav(back) == _nav(second)
    back = await tap(tg, ann, back, "◀ Earlier week")
    assert _monday(back) == MONDAY
    assert _calendar(back) == _calendar(first) and _nav(back) == _nav(first)


async def test_fully_booked_day_is_not_pickable(tg: FakeTelegram, bot: BotRuntime) -> None:
    ann = tg.user(802)
    staff_screen = await reach_step(tg, ann, "staff")
    week = await tap(tg, ann, staff_screen, "✨ Anyone available")
    assert _calendar(week) == [MONDAY, TUESDAY, WEDNESDAY, THURSDAY, FRIDAY, SATURDAY, None]

    # Book every Haircut Ben (the only one working on Saturday) still has that day.
    booking = _booking(bot)
    cut, ben = await _haircut_and(bot, "Ben")
    booked = 0
    while slots := await booking.free_slots(cut.id, ben.id, SATURDAY):
        outcome = await booking.book(
            contact=Contact(telegram_user_id=7000 + booked, name="Walk-in", phone=None, email=None),
            service_id=cut.id,
            staff_id=ben.id,
            start=slots[0],
            request_key=None,
        )
        assert isinstance(outcome, Booked)
        booked += 1
    assert booked == 3  # 10:00, 11:30 and 13:00: one hour plus 30 minutes' buffer each
    assert SATURDAY not in await booking.free_days(cut.id, None)

    # Saturday's button still on screen redraws the week, saying that the day filled up.
    week = await tap(tg, ann, week, day_button(SATURDAY))
    assert "no free times any more" in week["text"] and "Pick a day" in week["text"]
    assert _calendar(week) == [MONDAY, TUESDAY, WEDNESDAY, THURSDAY, FRIDAY, None, None]

    staff_screen = await tap(tg, ann, week, "« Back to staff")
    bens_week = await tap(tg, ann, staff_screen, "Ben")
    # Wednesday is Ben's day off; Saturday is now fully booked.
    assert _calendar(bens_week) == [MONDAY, TUESDAY, None, THURSDAY, FRIDAY, None, None]


def _label(start: datetime) -> str:
    local = start.astimezone(HELSINKI)
    return short_day_and_time(local.date(), f"{local:%H:%M}")


def _offered(taken: JSON, service_id: int, staff_id: int) -> list[datetime]:
    """The start times of the alternative buttons under a 'just taken' message."""
    picks = [c for c in button_callbacks(taken) if isinstance(c, cb.PickSlot)]
    assert all((p.service_id, p.staff.staff_id) == (service_id, staff_id) for p in picks), picks
    labels = [b["text"] for row in keyboard_rows(taken) for b in row]
    assert labels[-1] == "🗓 Pick another day"
    assert labels[:-1] == [_label(p.start) for p in picks]
    return [p.start for p in picks]


async def _assert_nearest(
    bot: BotRuntime, offered: list[datetime], service_id: int, staff_id: int, wanted: datetime
) -> None:
    """`offered` are three free slots, in time order, none farther from `wanted` than any other
    free slot in the horizon."""
    booking = _booking(bot)
    free = [
        s
        for day in await booking.free_days(service_id, staff_id)
        for s in await booking.free_slots(service_id, staff_id, day)
    ]
    assert wanted not in free
    assert len(offered) == 3 and offered == sorted(offered)
    assert set(offered) <= set(free)
    farthest_offered = max(abs(s - wanted) for s in offered)
    nearest_left_out = min(abs(s - wanted) for s in free if s not in offered)
    assert farthest_offered <= nearest_left_out


# Anna works 09-12 and 13-17; a Haircut is one hour plus 30 minutes' buffer after. With 13:00
# taken (blocked until 14:30) the nearest free starts are 14:30 (1.5 h after) and 11:00 and
# 15:00 (2 h either side), not the first times of the day nor the next times after 13:00.
NEAREST_TO_1300 = [short_day_and_time(TUESDAY, hhmm) for hhmm in ("11:00", "14:30", "15:00")]


async def test_slot_taken_at_confirm_offers_the_nearest_free_times(
    tg: FakeTelegram, bot: BotRuntime
) -> None:
    ann = tg.user(803, first_name="Ann")
    bob = tg.user(804, first_name="Bob")
    anns_summary = await reach_summary(tg, ann, email=None)
    bobs_summary = await reach_summary(tg, bob, email=None)
    await confirm(tg, ann, anns_summary)

    mark = tg.mark()
    await tg.press(bob, bobs_summary, text="✅ Confirm booking")
    taken = await tg.next_message(bob.id, since=mark, predicate=lambda m: "just taken" in m["text"])
    cut, anna = await _haircut_and(bot, "Anna")
    offered = _offered(taken, cut.id, anna.id)
    assert [_label(s) for s in offered] == NEAREST_TO_1300
    await _assert_nearest(bot, offered, cut.id, anna.id, TUESDAY_1300)

    summary = await tap(tg, bob, taken, short_day_and_time(TUESDAY, "11:00"))
    assert "check your booking" in summary["text"]
    assert day_and_time(TUESDAY, "11:00") in summary["text"]


async def test_slot_taken_while_choosing_offers_the_nearest_free_times(
    tg: FakeTelegram, bot: BotRuntime
) -> None:
    ann = tg.user(805, first_name="Ann")
    bob = tg.user(806, first_name="Bob")
    bobs_times = await reach_step(tg, bob, "time")
    await confirm(tg, ann, await reach_summary(tg, ann, email=None))

    taken = await tap_time(tg, bob, bobs_times, "13:00")
    assert "just taken" in taken["text"]
    cut, anna = await _haircut_and(bot, "Anna")
    offered = _offered(taken, cut.id, anna.id)
    assert [_label(s) for s in offered] == NEAREST_TO_1300
    await _assert_nearest(bot, offered, cut.id, anna.id, TUESDAY_1300)
