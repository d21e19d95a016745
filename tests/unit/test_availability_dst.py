"""Daylight-saving days: slots keep their local times, no hour is duplicated or lost.

Transitions used (tzdata):
* America/New_York: 2025-03-09 and 2026-03-08 02:00 EST -> 03:00 EDT;
  2025-11-02 and 2026-11-01 02:00 EDT -> 01:00 EST.
* Europe/Helsinki: 2025-03-30 and 2026-03-29 03:00 EET -> 04:00 EEST;
  2025-10-26 and 2026-10-25 04:00 EEST -> 03:00 EET.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest

from bot.domain.availability import (
    BookingPolicy,
    ServiceTiming,
    StaffAgenda,
    find_free_slots,
)
from bot.domain.schedule import (
    StaffSchedule,
    TimeRange,
    WeeklyHours,
    wall_clock_instant,
    working_intervals,
)
from bot.domain.timespan import EpochSpan, Interval

NEW_YORK = ZoneInfo("America/New_York")
HELSINKI = ZoneInfo("Europe/Helsinki")
MIN = timedelta(minutes=1)

# zone, day, wall-clock hour at which the clocks jump, hours jumped (+1 spring, -1 fall)
TRANSITIONS = [
    (NEW_YORK, date(2025, 3, 9), 2, +1),
    (NEW_YORK, date(2025, 11, 2), 2, -1),
    (NEW_YORK, date(2026, 3, 8), 2, +1),
    (NEW_YORK, date(2026, 11, 1), 2, -1),
    (HELSINKI, date(2025, 3, 30), 3, +1),
    (HELSINKI, date(2025, 10, 26), 4, -1),
    (HELSINKI, date(2026, 3, 29), 3, +1),
    (HELSINKI, date(2026, 10, 25), 4, -1),
]
IDS = [f"{tz.key}-{day}" for tz, day, _, _ in TRANSITIONS]


def every_day(start: time, end: time) -> StaffSchedule:
    return StaffSchedule(
        WeeklyHours.from_mapping(dict.fromkeys(range(7), (TimeRange(start, end),)))
    )


def day_slots(
    tz: ZoneInfo,
    day: date,
    schedule: StaffSchedule,
    *,
    duration: int = 60,
    step: int = 60,
    bookings: tuple[EpochSpan, ...] = (),
) -> list[datetime]:
    """Free slots on `day` (now is local midnight two days before, horizon 5 days), asked the
    way the booking service asks: the whole horizon, and that one day."""
    now = datetime.combine(day - timedelta(days=2), time(0), tzinfo=tz)
    window = Interval(
        datetime.combine(day, time(0), tzinfo=tz),
        datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz),
    )
    whole, one_day = (
        find_free_slots(
            staff={1: StaffAgenda(schedule, bookings)},
            service=ServiceTiming(duration * MIN),
            policy=BookingPolicy(tz, step * MIN, timedelta(0), 5),
            now=now,
            window=span,
        )
        for span in (None, window)
    )
    assert whole.on(day) == one_day.on(day)
    assert all(whole.staff_free_at(slot) == (1,) for slot in whole.on(day))
    return list(whole.on(day))


def local_clock(tz: ZoneInfo, slots: list[datetime]) -> list[str]:
    return [slot.astimezone(tz).strftime("%H:%M%z") for slot in slots]


@pytest.mark.parametrize(("tz", "day", "jump_hour", "sign"), TRANSITIONS, ids=IDS)
def test_office_hours_keep_their_local_times_across_the_change(
    tz: ZoneInfo, day: date, jump_hour: int, sign: int
) -> None:
    schedule = every_day(time(9), time(17))
    for offset in (-1, 0, 1):
        slots = day_slots(tz, day + timedelta(days=offset), schedule)
        assert [s.astimezone(tz).strftime("%H:%M") for s in slots] == [
            f"{h:02d}:00" for h in range(9, 17)
        ]
        assert all(s.astimezone(tz).date() == day + timedelta(days=offset) for s in slots)
    before = day_slots(tz, day - timedelta(days=1), schedule)
    after = day_slots(tz, day + timedelta(days=1), schedule)
    # Same wall clock, so the UTC instants move by the change in offset.
    assert after[0] - before[0] == timedelta(days=2) - timedelta(hours=sign)


@pytest.mark.parametrize(("tz", "day", "jump_hour", "sign"), TRANSITIONS, ids=IDS)
def test_range_spanning_the_change_counts_real_hours(
    tz: ZoneInfo, day: date, jump_hour: int, sign: int
) -> None:
    schedule = every_day(time(0), time(8))
    slots = day_slots(tz, day, schedule)
    # Wall-clock 8 hours are 7 real hours in spring and 9 in autumn.
    assert len(slots) == 8 - sign
    assert len(set(slots)) == len(slots)
    gaps = {later - earlier for earlier, later in pairwise(slots)}
    assert gaps == {timedelta(hours=1)}  # the step is absolute time: no hole, no overlap
    assert slots[0] == datetime.combine(day, time(0), tzinfo=tz)
    assert slots[-1] + timedelta(hours=1) == datetime.combine(day, time(8), tzinfo=tz)
    hours_shown = [s.astimezone(tz).hour for s in slots]
    if sign > 0:
        assert jump_hour not in hours_shown  # that wall-clock hour does not exist
        assert hours_shown == [h for h in range(8) if h != jump_hour]
    else:
        repeated = jump_hour - 1
        assert hours_shown.count(repeated) == 2  # the repeated hour is offered twice ...
        first, second = (s for s in slots if s.astimezone(tz).hour == repeated)
        assert second - first == timedelta(hours=1)  # ... as two distinct instants
        assert first.astimezone(tz).utcoffset() != second.astimezone(tz).utcoffset()


def test_new_york_spring_forward_2026_exact_slots() -> None:
    slots = day_slots(NEW_YORK, date(2026, 3, 8), every_day(time(0), time(6)))
    assert local_clock(NEW_YORK, slots) == [
        "00:00-0500",
        "01:00-0500",
        "03:00-0400",
        "04:00-0400",
        "05:00-0400",
    ]


def test_new_york_fall_back_2026_exact_slots() -> None:
    slots = day_slots(NEW_YORK, date(2026, 11, 1), every_day(time(0), time(4)))
    assert local_clock(NEW_YORK, slots) == [
        "00:00-0400",
        "01:00-0400",
        "01:00-0500",
        "02:00-0500",
        "03:00-0500",
    ]
    assert [s.hour for s in slots] == [4, 5, 6, 7, 8]  # UTC hours: nothing duplicated


def test_helsinki_half_hour_grid_over_spring_forward_2026() -> None:
    slots = day_slots(HELSINKI, date(2026, 3, 29), every_day(time(2), time(5)), step=30)
    # 02:00 EET .. 05:00 EEST is two real hours; 03:00-03:59 does not exist.
    assert local_clock(HELSINKI, slots) == ["02:00+0200", "02:30+0200", "04:00+0300"]


def test_helsinki_fall_back_2026_exact_slots() -> None:
    slots = day_slots(HELSINKI, date(2026, 10, 25), every_day(time(2), time(5)), step=30)
    assert local_clock(HELSINKI, slots) == [
        "02:00+0300",
        "02:30+0300",
        "03:00+0300",
        "03:30+0300",
        "03:00+0200",
        "03:30+0200",
        "04:00+0200",
    ]


def test_nonexistent_range_start_begins_at_the_jump() -> None:
    day = date(2026, 3, 8)
    schedule = every_day(time(2, 30), time(5))
    slots = day_slots(NEW_YORK, day, schedule, duration=30, step=30)
    assert local_clock(NEW_YORK, slots) == ["03:00-0400", "03:30-0400", "04:00-0400", "04:30-0400"]
    inside_gap = every_day(time(2, 10), time(2, 50))
    assert day_slots(NEW_YORK, day, inside_gap, duration=10, step=10) == []
    assert working_intervals(inside_gap, day, 1, NEW_YORK) == []


def test_ambiguous_range_start_uses_the_first_occurrence() -> None:
    day = date(2026, 11, 1)
    assert wall_clock_instant(day, time(1, 30), NEW_YORK) == datetime(
        2026, 11, 1, 5, 30, tzinfo=UTC
    )
    spans = working_intervals(every_day(time(1, 30), time(3)), day, 1, NEW_YORK)
    assert [span.duration for span in spans] == [timedelta(hours=2, minutes=30)]


def test_touching_ranges_stay_touching_over_the_change() -> None:
    weekly = WeeklyHours.from_mapping(
        dict.fromkeys(range(7), (TimeRange(time(0), time(2, 30)), TimeRange(time(2, 30), time(6))))
    )
    for day in (date(2026, 3, 8), date(2026, 11, 1)):
        spans = working_intervals(StaffSchedule(weekly), day, 1, NEW_YORK)
        assert spans[0].end == spans[1].start
        assert spans[0].start == datetime.combine(day, time(0), tzinfo=NEW_YORK)
        assert spans[1].end == datetime.combine(day, time(6), tzinfo=NEW_YORK)


def test_booking_across_the_change_blocks_real_time() -> None:
    day = date(2026, 11, 1)
    start = datetime(2026, 11, 1, 5, 0, tzinfo=UTC)  # 01:00 EDT
    taken = Interval(start, start + timedelta(hours=2)).epoch_span  # until 02:00 EST
    slots = day_slots(NEW_YORK, day, every_day(time(0), time(4)), bookings=(taken,))
    assert local_clock(NEW_YORK, slots) == ["00:00-0400", "02:00-0500", "03:00-0500"]
