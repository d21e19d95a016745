"""Tests for bot.domain.availability (and schedule types): slots on ordinary days."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.domain.availability import (
    BookingPolicy,
    FreeSlots,
    ServiceTiming,
    StaffAgenda,
    find_free_slots,
)
from bot.domain.schedule import (
    DateOverride,
    StaffSchedule,
    TimeRange,
    WeeklyHours,
    working_intervals,
)
from bot.domain.timespan import EpochSpan, Interval

TZ = ZoneInfo("Europe/Helsinki")
MONDAY = date(2026, 5, 4)
MIN = timedelta(minutes=1)


def local(day: date, hhmm: str) -> datetime:
    """An aware local datetime on `day` at "HH:MM" in the test zone."""
    return datetime.combine(day, time.fromisoformat(hhmm), tzinfo=TZ)


def hours(*pairs: str) -> tuple[TimeRange, ...]:
    """Ranges from "HH:MM-HH:MM" strings."""
    result = []
    for pair in pairs:
        start, end = pair.split("-")
        result.append(TimeRange(time.fromisoformat(start), time.fromisoformat(end)))
    return tuple(result)


def every_day(*pairs: str) -> StaffSchedule:
    return StaffSchedule(WeeklyHours.from_mapping(dict.fromkeys(range(7), hours(*pairs))))


def clock(slots: Iterable[datetime]) -> list[str]:
    """Slots as local "HH:MM" strings."""
    return [slot.astimezone(TZ).strftime("%H:%M") for slot in slots]


def clock_s(slots: Iterable[datetime]) -> list[str]:
    """Slots as local "HH:MM:SS" strings."""
    return [slot.astimezone(TZ).strftime("%H:%M:%S") for slot in slots]


def one_staff(
    *,
    schedule: StaffSchedule,
    service: ServiceTiming,
    policy: BookingPolicy,
    now: datetime,
    bookings: Iterable[EpochSpan],
    external_busy: Iterable[Interval],
    window: Interval | None = None,
) -> FreeSlots[int]:
    """The engine's answer for a single staff member (as when a customer picks one)."""
    agenda = StaffAgenda(schedule, tuple(bookings), tuple(external_busy))
    return find_free_slots(
        staff={1: agenda}, service=service, policy=policy, now=now, window=window
    )


def starts(found: FreeSlots[int]) -> list[datetime]:
    """Every free start, in order."""
    return [start for day in found.days() for start in found.on(day)]


def slots_on(
    day: date,
    schedule: StaffSchedule,
    *,
    duration: int = 60,
    step: int = 30,
    before: int = 0,
    after: int = 0,
    notice: int = 0,
    horizon: int = 1,
    now: datetime | None = None,
    bookings: Iterable[EpochSpan] = (),
    external: Iterable[Interval] = (),
) -> list[str]:
    """Local "HH:MM" free slots of `day` (now defaults to that day's local midnight)."""
    found = one_staff(
        schedule=schedule,
        service=ServiceTiming(duration * MIN, before * MIN, after * MIN),
        policy=BookingPolicy(TZ, step * MIN, notice * MIN, horizon),
        now=now or local(day, "00:00"),
        bookings=bookings,
        external_busy=external,
    )
    return clock(found.on(day))


def booking(day: date, start: str, end: str, before: int = 0, after: int = 0) -> EpochSpan:
    """The time an existing booking blocks, its buffers included, as storage keeps it."""
    return Interval(local(day, start) - before * MIN, local(day, end) + after * MIN).epoch_span


def test_several_ranges_a_day_and_no_slot_across_the_lunch_gap() -> None:
    schedule = every_day("13:00-15:00", "09:00-11:00")  # given out of order on purpose
    assert slots_on(MONDAY, schedule) == [
        "09:00",
        "09:30",
        "10:00",
        "13:00",
        "13:30",
        "14:00",
    ]


def test_touching_ranges_stay_separate_ranges() -> None:
    schedule = every_day("09:00-10:00", "10:00-11:00")
    assert slots_on(MONDAY, schedule, duration=60, step=30) == ["09:00", "10:00"]


def test_duration_not_dividing_the_range() -> None:
    schedule = every_day("09:00-10:00")
    assert slots_on(MONDAY, schedule, duration=25, step=25) == ["09:00", "09:25"]
    assert slots_on(MONDAY, schedule, duration=40, step=15) == ["09:00", "09:15"]
    assert slots_on(MONDAY, schedule, duration=61, step=15) == []


def test_grid_is_anchored_at_each_range_start() -> None:
    schedule = every_day("09:10-10:00", "10:20-11:00")
    assert slots_on(MONDAY, schedule, duration=20, step=15) == [
        "09:10",
        "09:25",
        "09:40",
        "10:20",
        "10:35",
    ]


def test_midnight_end_means_end_of_day() -> None:
    schedule = every_day("22:00-00:00")
    assert slots_on(MONDAY, schedule, duration=60, step=60) == ["22:00", "23:00"]
    whole_day = every_day("00:00-00:00")
    assert len(slots_on(MONDAY, whole_day, duration=60, step=60)) == 24


def test_override_day_off_and_special_hours() -> None:
    tuesday, wednesday = MONDAY + timedelta(days=1), MONDAY + timedelta(days=2)
    schedule = StaffSchedule.build(
        WeeklyHours.from_mapping(dict.fromkeys(range(7), hours("09:00-11:00"))),
        [DateOverride(tuesday, ()), DateOverride(wednesday, hours("15:00-16:30"))],
    )
    found = one_staff(
        schedule=schedule,
        service=ServiceTiming(60 * MIN),
        policy=BookingPolicy(TZ, 30 * MIN, timedelta(0), 4),
        now=local(MONDAY, "00:00"),
        bookings=[],
        external_busy=[],
    )
    assert found.days() == [MONDAY, wednesday, MONDAY + timedelta(days=3)]
    assert clock(found.on(wednesday)) == ["15:00", "15:30"]
    assert clock(found.on(MONDAY)) == ["09:00", "09:30", "10:00"]
    assert found.on(tuesday) == {}


def test_weekly_hours_by_weekday() -> None:
    schedule = StaffSchedule(WeeklyHours.from_mapping({0: hours("09:00-10:00")}))
    assert slots_on(MONDAY, schedule) == ["09:00"]
    assert slots_on(MONDAY + timedelta(days=1), schedule) == []


def test_half_open_edges_without_buffers() -> None:
    schedule = every_day("09:00-12:00")
    ends_at_ten = booking(MONDAY, "09:00", "10:00")
    assert slots_on(MONDAY, schedule, bookings=[ends_at_ten]) == ["10:00", "10:30", "11:00"]
    starts_at_ten = booking(MONDAY, "10:00", "11:00")
    assert slots_on(MONDAY, schedule, bookings=[starts_at_ten]) == ["09:00", "11:00"]


def test_buffers_on_both_sides() -> None:
    schedule = every_day("09:00-13:00")
    # Existing 10:30-11:00 with its own 15 min before and after: blocks 10:15-11:15.
    existing = booking(MONDAY, "10:30", "11:00", before=15, after=15)
    # New: 30 min, 10 min before and 5 after -> blocks [s-10, s+35).
    found = slots_on(MONDAY, schedule, duration=30, step=5, before=10, after=5, bookings=[existing])
    assert "09:40" in found  # blocks 09:30-10:15, touches 10:15
    assert "09:45" not in found
    assert "11:20" not in found  # blocks from 11:10
    assert "11:25" in found  # blocks from 11:15, touches
    assert found[0] == "09:00"  # buffer_before may reach outside working hours
    assert found[-1] == "12:30"  # buffer_after may too: blocks until 13:05


def test_short_booking_between_grid_points_hides_only_what_it_overlaps() -> None:
    schedule = every_day("09:00-12:00")
    short = booking(MONDAY, "09:20", "09:30")
    assert slots_on(MONDAY, schedule, duration=10, step=60, bookings=[short]) == [
        "09:00",
        "10:00",
        "11:00",
    ]
    assert slots_on(MONDAY, schedule, duration=25, step=60, bookings=[short]) == [
        "10:00",
        "11:00",
    ]


def test_appointment_must_fit_the_range_to_the_second() -> None:
    schedule = every_day("09:00-10:00")
    found = starts(
        one_staff(
            schedule=schedule,
            service=ServiceTiming(timedelta(minutes=59, seconds=59)),
            policy=BookingPolicy(TZ, timedelta(seconds=1), timedelta(0), 1),
            now=local(MONDAY, "00:00"),
            bookings=[],
            external_busy=[],
        )
    )
    assert found == [local(MONDAY, "09:00"), local(MONDAY, "09:00") + timedelta(seconds=1)]


def test_sub_second_busy_edges_are_exact() -> None:
    edge = local(MONDAY, "09:30") + timedelta(milliseconds=500)
    found = starts(
        one_staff(
            schedule=every_day("09:29-09:32"),
            service=ServiceTiming(timedelta(seconds=1)),
            policy=BookingPolicy(TZ, timedelta(seconds=1), timedelta(0), 1),
            now=local(MONDAY, "00:00"),
            bookings=[Interval(edge, edge + timedelta(seconds=1)).epoch_span],
            external_busy=[Interval(edge + timedelta(seconds=30), edge + timedelta(seconds=31))],
        )
    )
    taken = set(local(MONDAY, "09:29") + n * timedelta(seconds=1) for n in range(180)) - set(found)
    assert sorted(clock_s(taken)) == ["09:30:00", "09:30:01", "09:30:30", "09:30:31"]


def test_existing_booking_buffers_outside_hours_still_block() -> None:
    schedule = every_day("09:00-12:00")
    early = booking(MONDAY, "08:00", "08:50", after=20)  # blocks until 09:10
    assert slots_on(MONDAY, schedule, step=10, bookings=[early])[0] == "09:10"


def test_external_busy_has_no_buffers_of_its_own() -> None:
    schedule = every_day("09:00-12:00")
    busy = Interval(local(MONDAY, "10:00"), local(MONDAY, "10:30"))
    assert slots_on(MONDAY, schedule, duration=30, step=30, external=[busy]) == [
        "09:00",
        "09:30",
        "10:30",
        "11:00",
        "11:30",
    ]
    assert slots_on(MONDAY, schedule, duration=30, step=30, after=1, external=[busy]) == [
        "09:00",
        "10:30",
        "11:00",
        "11:30",
    ]


def test_overlapping_and_nested_busy_intervals() -> None:
    schedule = every_day("09:00-17:00")
    busy = [
        booking(MONDAY, "09:00", "13:00"),
        booking(MONDAY, "10:00", "11:00"),  # nested inside the first
        booking(MONDAY, "12:30", "14:00"),
    ]
    external = [Interval(local(MONDAY, "13:30"), local(MONDAY, "15:00"))]
    assert slots_on(MONDAY, schedule, bookings=busy, external=external) == [
        "15:00",
        "15:30",
        "16:00",
    ]


def test_min_notice_and_grid() -> None:
    schedule = every_day("09:00-12:00")
    now = local(MONDAY, "08:05")
    assert slots_on(MONDAY, schedule, step=15, notice=120, now=now)[0] == "10:15"
    assert slots_on(MONDAY, schedule, step=15, notice=115, now=now)[0] == "10:00"
    at_second = local(MONDAY, "09:00") + timedelta(microseconds=1)
    assert slots_on(MONDAY, schedule, step=30, now=at_second)[0] == "09:30"


def test_horizon_covers_today_and_the_next_days_only() -> None:
    schedule = every_day("09:00-10:00")
    now = local(MONDAY, "23:30")  # late evening still counts today as the first day
    found = starts(
        one_staff(
            schedule=schedule,
            service=ServiceTiming(60 * MIN),
            policy=BookingPolicy(TZ, 30 * MIN, timedelta(0), 3),
            now=now,
            bookings=[],
            external_busy=[],
        )
    )
    assert [slot.astimezone(TZ).date() for slot in found] == [
        MONDAY + timedelta(days=1),
        MONDAY + timedelta(days=2),
    ]
    assert found[-1] + timedelta(hours=1) <= local(MONDAY + timedelta(days=3), "00:00")


def test_today_is_the_local_date_of_now() -> None:
    schedule = every_day("09:00-10:00")
    now = datetime(2026, 5, 4, 22, 30, tzinfo=UTC)  # 01:30 on Tuesday in Helsinki
    found = starts(
        one_staff(
            schedule=schedule,
            service=ServiceTiming(60 * MIN),
            policy=BookingPolicy(TZ, 60 * MIN, timedelta(0), 1),
            now=now,
            bookings=[],
            external_busy=[],
        )
    )
    assert found == [local(MONDAY + timedelta(days=1), "09:00")]


def test_window_limits_slot_starts() -> None:
    next_monday = MONDAY + timedelta(days=7)
    found = starts(
        one_staff(
            schedule=every_day("09:00-12:00"),
            service=ServiceTiming(60 * MIN),
            policy=BookingPolicy(TZ, 30 * MIN, timedelta(0), 30),
            now=local(MONDAY, "00:00"),
            bookings=[],
            external_busy=[],
            window=Interval(local(next_monday, "09:30"), local(next_monday, "10:30")),
        )
    )
    assert found == [local(next_monday, "09:30"), local(next_monday, "10:00")]
    just_after = local(next_monday, "09:30") + timedelta(microseconds=1)
    found = starts(
        one_staff(
            schedule=every_day("09:00-12:00"),
            service=ServiceTiming(60 * MIN),
            policy=BookingPolicy(TZ, 30 * MIN, timedelta(0), 30),
            now=local(MONDAY, "00:00"),
            bookings=[],
            external_busy=[],
            window=Interval(just_after, local(next_monday, "10:00") + timedelta(microseconds=1)),
        )
    )
    assert found == [local(next_monday, "10:00")]  # [start, end) with sub-second edges


def test_results_are_aware_utc_and_sorted() -> None:
    found = starts(
        one_staff(
            schedule=every_day("09:00-12:00", "13:00-17:00"),
            service=ServiceTiming(45 * MIN),
            policy=BookingPolicy(TZ, 15 * MIN, timedelta(0), 7),
            now=local(MONDAY, "10:07"),
            bookings=[booking(MONDAY, "13:00", "14:00")],
            external_busy=[],
        )
    )
    assert found == sorted(set(found))
    assert all(slot.tzinfo is UTC for slot in found)


def test_staff_free_at_matches_the_offer() -> None:
    found = one_staff(
        schedule=every_day("09:00-12:00"),
        service=ServiceTiming(60 * MIN),
        policy=BookingPolicy(TZ, 30 * MIN, 60 * MIN, 2),
        now=local(MONDAY, "08:30"),
        bookings=[booking(MONDAY, "10:30", "11:00")],
        external_busy=[],
    )

    def free(start: datetime) -> bool:
        return found.staff_free_at(start) == (1,)

    assert free(local(MONDAY, "09:30"))
    assert not free(local(MONDAY, "09:00"))  # notice
    assert not free(local(MONDAY, "10:00"))  # booked
    assert not free(local(MONDAY, "09:45"))  # off the grid
    assert free(local(MONDAY, "11:00"))
    assert not free(local(MONDAY, "11:00") + timedelta(microseconds=5))
    assert free(local(MONDAY + timedelta(days=1), "11:00"))
    assert not free(local(MONDAY + timedelta(days=2), "09:00"))  # past the horizon


def test_naive_datetimes_are_refused() -> None:
    naive = datetime(2026, 5, 4, 9)  # noqa: DTZ001
    with pytest.raises(ValueError, match="aware"):
        Interval(naive, naive + MIN)
    with pytest.raises(ValueError, match="aware"):
        starts(
            one_staff(
                schedule=every_day("09:00-10:00"),
                service=ServiceTiming(60 * MIN),
                policy=BookingPolicy(TZ, 30 * MIN),
                now=naive,
                bookings=[],
                external_busy=[],
            )
        )


def test_value_validation() -> None:
    with pytest.raises(ValueError, match="start < end"):
        TimeRange(time(10), time(9))
    with pytest.raises(ValueError, match="whole seconds"):
        TimeRange(time(9, 0, 0, 5), time(10))
    with pytest.raises(ValueError, match="overlapping"):
        WeeklyHours.from_mapping({0: hours("09:00-11:00", "10:00-12:00")})
    with pytest.raises(ValueError, match="weekday"):
        WeeklyHours.from_mapping({7: hours("09:00-11:00")})
    with pytest.raises(ValueError, match="positive"):
        ServiceTiming(timedelta(0))
    with pytest.raises(ValueError, match="whole number"):
        ServiceTiming(timedelta(seconds=1.5))
    with pytest.raises(ValueError, match="negative"):
        ServiceTiming(MIN, buffer_before=-MIN)
    with pytest.raises(ValueError, match="positive"):
        BookingPolicy(TZ, timedelta(0))
    with pytest.raises(ValueError, match="horizon"):
        BookingPolicy(TZ, MIN, timedelta(0), 0)
    with pytest.raises(ValueError, match="overlapping"):
        StaffSchedule(WeeklyHours.from_mapping({}), {MONDAY: hours("09:00-11:00", "10:00-12:00")})
    with pytest.raises(ValueError, match="start < end"):
        find_free_slots(
            staff={1: StaffAgenda(every_day("09:00-10:00"), ((1_800_000_000, 1_800_000_000),))},
            service=ServiceTiming(60 * MIN),
            policy=BookingPolicy(TZ, 30 * MIN),
            now=local(MONDAY, "00:00"),
        )


def test_many_staff_and_anyone_available() -> None:
    service = ServiceTiming(60 * MIN)
    policy = BookingPolicy(TZ, 60 * MIN, timedelta(0), 2)
    now = local(MONDAY, "00:00")
    tuesday = MONDAY + timedelta(days=1)
    staff = {
        "ann": StaffAgenda(every_day("09:00-12:00"), (booking(MONDAY, "09:00", "10:00"),)),
        "bob": StaffAgenda(
            every_day("10:00-13:00"),
            external_busy=(Interval(local(MONDAY, "11:00"), local(MONDAY, "12:00")),),
        ),
        "cat": StaffAgenda(
            StaffSchedule(WeeklyHours.from_mapping({0: hours("09:00-10:00")})),
            (booking(MONDAY, "09:00", "10:00"),),
        ),
    }
    found = find_free_slots(staff=staff, service=service, policy=policy, now=now)
    for key, agenda in staff.items():
        alone = find_free_slots(staff={key: agenda}, service=service, policy=policy, now=now)
        assert [s for s, who in found.on(MONDAY).items() if key in who] == list(alone.on(MONDAY))
    assert {clock([start])[0]: who for start, who in found.on(MONDAY).items()} == {
        "10:00": ("ann", "bob"),
        "11:00": ("ann",),
        "12:00": ("bob",),
    }
    assert found.days() == [MONDAY, tuesday]  # cat works Mondays only, and is booked
    assert clock(found.on(tuesday)) == ["09:00", "10:00", "11:00", "12:00"]
    assert found.on(tuesday)[local(tuesday, "10:00")] == ("ann", "bob")  # staff order kept
    assert found.on(MONDAY + timedelta(days=2)) == {}  # past the horizon


def test_nearest_free_starts_for_anyone() -> None:
    staff = {
        1: StaffAgenda(every_day("09:00-10:00")),
        2: StaffAgenda(every_day("11:00-12:00"), (booking(MONDAY, "11:00", "12:00"),)),
    }
    found = find_free_slots(
        staff=staff,
        service=ServiceTiming(30 * MIN),
        policy=BookingPolicy(TZ, 30 * MIN, timedelta(0), 2),
        now=local(MONDAY, "00:00"),
    )
    tuesday = MONDAY + timedelta(days=1)
    # Monday 09:00, 09:30; Tuesday 09:00, 09:30, 11:00, 11:30.
    assert clock_days(found.nearest(local(MONDAY, "11:00"), 3)) == [
        "04 09:00",
        "04 09:30",
        "05 09:00",
    ]
    # 10:15 is 45 min from 09:30 and from 11:00: the earlier one wins the tie.
    assert clock_days(found.nearest(local(tuesday, "10:15"), 1)) == ["05 09:30"]
    assert clock_days(found.nearest(local(tuesday, "10:15"), 2)) == ["05 09:30", "05 11:00"]
    half_second = timedelta(milliseconds=500)
    assert clock_days(found.nearest(local(tuesday, "10:15") + half_second, 1)) == ["05 11:00"]
    assert clock_days(found.nearest(local(tuesday, "10:15") - half_second, 1)) == ["05 09:30"]
    assert len(found.nearest(local(MONDAY, "09:00"), 99)) == 6
    assert all(s.tzinfo is UTC for s in found.nearest(local(MONDAY, "09:00"), 99))
    nobody: FreeSlots[int] = find_free_slots(
        staff={},
        service=ServiceTiming(30 * MIN),
        policy=BookingPolicy(TZ, 30 * MIN),
        now=local(MONDAY, "00:00"),
    )
    assert nobody.nearest(local(MONDAY, "09:00"), 3) == []
    assert nobody.days() == []
    assert nobody.on(MONDAY) == {}


def clock_days(slots: Iterable[datetime]) -> list[str]:
    """Slots as local "DD HH:MM" strings."""
    return [slot.astimezone(TZ).strftime("%d %H:%M") for slot in slots]


def test_working_intervals_helper() -> None:
    spans = working_intervals(every_day("09:00-12:00", "13:00-14:00"), MONDAY, 2, TZ)
    assert [(span.start.astimezone(TZ).strftime("%d %H:%M"), span.duration) for span in spans] == [
        ("04 09:00", timedelta(hours=3)),
        ("04 13:00", timedelta(hours=1)),
        ("05 09:00", timedelta(hours=3)),
        ("05 13:00", timedelta(hours=1)),
    ]
