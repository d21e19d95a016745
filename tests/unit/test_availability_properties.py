"""Property-based tests of the availability engine against invariants and a reference model.

The reference is deliberately simple and independent of the engine: datetimes and
`Interval.overlaps` only, wall-clock times found by scanning minute by minute through a DST
gap, every candidate slot checked against every busy interval.

Everything goes through `find_free_slots` and the `FreeSlots` accessors, the path the booking
service runs (`bot/availability.py`): one staff member, or several for "anyone available".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.domain.availability import (
    BookingPolicy,
    FreeSlots,
    ServiceTiming,
    StaffAgenda,
    find_free_slots,
)
from bot.domain.schedule import StaffSchedule, TimeRange, WeeklyHours
from bot.domain.timespan import Interval

ZONES = [
    ZoneInfo(key)
    for key in (
        "UTC",
        "Europe/Helsinki",
        "America/New_York",
        "Australia/Lord_Howe",  # 30-minute DST shift
        "America/Santiago",  # changes at midnight: local midnight can be missing
    )
]


def _change_days(tz: ZoneInfo) -> list[date]:
    """Dates of 2025-2026 on which (or just before which) the zone's UTC offset changes."""
    found = []
    day = date(2025, 1, 1)
    while day < date(2027, 1, 1):
        today = datetime.combine(day, time(12), tzinfo=tz).utcoffset()
        tomorrow = datetime.combine(day + timedelta(days=1), time(12), tzinfo=tz).utcoffset()
        if today != tomorrow:
            found += [day, day + timedelta(days=1)]
        day += timedelta(days=1)
    return found


# Examples land on or next to DST changes often, so those days get real coverage.
CHANGE_DAYS = {tz.key: _change_days(tz) for tz in ZONES}
MIN = timedelta(minutes=1)
MICRO = timedelta(microseconds=1)


@dataclass(frozen=True)
class Case:
    """One generated query."""

    schedule: StaffSchedule
    service: ServiceTiming
    policy: BookingPolicy
    now: datetime
    bookings: tuple[Interval, ...]  # the time existing bookings block, buffers included
    external: tuple[Interval, ...]


def _minute_time(minute: int) -> time:
    return time(0) if minute == 1440 else time(minute // 60, minute % 60)


@st.composite
def day_ranges(draw: st.DrawFn) -> tuple[TimeRange, ...]:
    """0-3 disjoint ranges on a 10-minute grid (touching allowed, 24:00 allowed)."""
    marks = sorted(draw(st.sets(st.integers(0, 144), max_size=6)))
    if len(marks) % 2:
        marks = marks[:-1]
    return tuple(
        TimeRange(_minute_time(10 * a), _minute_time(10 * b))
        for a, b in zip(marks[::2], marks[1::2], strict=True)
    )


@st.composite
def cases(draw: st.DrawFn) -> Case:
    tz = draw(st.sampled_from(ZONES))
    horizon = draw(st.integers(1, 4))
    near_change = st.sampled_from(CHANGE_DAYS[tz.key] or [date(2026, 1, 1)])
    today = draw(near_change | st.dates(date(2025, 1, 1), date(2026, 12, 31))) - timedelta(
        days=draw(st.integers(0, horizon - 1))
    )
    weekly = WeeklyHours(tuple(draw(day_ranges()) for _ in range(7)))
    override_days = draw(st.sets(st.integers(-1, horizon), max_size=3))
    overrides = {today + timedelta(days=i): draw(day_ranges()) for i in override_days}
    local_now = datetime.combine(today, time(0)) + timedelta(
        seconds=draw(st.integers(0, 86_399)), microseconds=draw(st.integers(0, 999_999))
    )
    now = local_now.replace(tzinfo=tz).astimezone(UTC)
    if now.astimezone(tz).date() != today:  # a wall time in a gap may land on another date
        now = datetime.combine(today, time(12), tzinfo=tz).astimezone(UTC)
    origin = datetime.combine(today, time(0), tzinfo=tz).astimezone(UTC)

    def busy_span() -> tuple[datetime, datetime]:
        # Mostly on the 5-minute grid, so busy edges often touch candidate slots exactly.
        days = horizon + 2
        if draw(st.integers(0, 4)):
            start = origin + draw(st.integers(-288, days * 288)) * 5 * MIN
            length = draw(st.integers(1, 4) | st.integers(1, 48)) * 5 * MIN
        else:
            start = origin + draw(st.integers(-1440, days * 1440)) * MIN
            start += draw(st.integers(1, 59_999_999)) * timedelta(microseconds=1)
            length = draw(st.integers(1, 240)) * MIN
        return start, start + length

    bookings = []
    for _ in range(draw(st.integers(0, 8))):
        start, end = busy_span()
        before, after = draw(st.integers(0, 30)), draw(st.integers(0, 30))
        bookings.append(Interval(start - before * MIN, end + after * MIN))
    external = []
    for _ in range(draw(st.integers(0, 4))):
        start, end = busy_span()
        external.append(Interval(start, end))
    return Case(
        schedule=StaffSchedule(weekly, overrides),
        service=ServiceTiming(
            draw(st.integers(1, 4) | st.integers(1, 36)) * 5 * MIN,
            draw(st.integers(0, 6)) * 5 * MIN,
            draw(st.integers(0, 6)) * 5 * MIN,
        ),
        policy=BookingPolicy(
            tz, draw(st.integers(1, 24)) * 5 * MIN, draw(st.integers(0, 600)) * MIN, horizon
        ),
        now=now,
        bookings=tuple(bookings),
        external=tuple(external),
    )


def agenda(case: Case) -> StaffAgenda:
    """The case as the engine gets it: bookings' windows in whole seconds, as storage has
    them (rounded outwards: a window that only touches part of a second blocks it)."""
    return StaffAgenda(case.schedule, tuple(b.epoch_span for b in case.bookings), case.external)


def query(case: Case, window: Interval | None = None) -> FreeSlots[int]:
    """The engine's answer for the case's one staff member."""
    return find_free_slots(
        staff={7: agenda(case)},
        service=case.service,
        policy=case.policy,
        now=case.now,
        window=window,
    )


def run(case: Case, window: Interval | None = None) -> list[datetime]:
    """Every free start of the case, in order."""
    found = query(case, window)
    return [start for day in found.days() for start in found.on(day)]


def ref_wall(day: date, seconds: int, tz: ZoneInfo) -> datetime:
    """First instant whose local clock shows `day` + `seconds` or later (by brute force)."""
    naive = datetime.combine(day, time(0)) + timedelta(seconds=seconds)
    exact = []
    for fold in (0, 1):
        moment = naive.replace(tzinfo=tz, fold=fold).astimezone(UTC)
        if moment.astimezone(tz).replace(tzinfo=None) == naive:
            exact.append(moment)
    if exact:
        return min(exact)
    moment = min(naive.replace(tzinfo=tz, fold=f).astimezone(UTC) for f in (0, 1))
    while moment.astimezone(tz).replace(tzinfo=None) < naive:
        moment += MIN  # tzdata changes happen on whole minutes
    return moment


def ref_working(case: Case, day: date) -> list[Interval]:
    tz = case.policy.tz
    result = []
    for item in case.schedule.ranges_on(day):
        start = ref_wall(day, item.start_seconds, tz)
        end = ref_wall(day, item.end_seconds, tz)
        if start < end:
            result.append(Interval(start, end))
    return result


def reference(case: Case, window: Interval | None = None) -> list[datetime]:
    """The obvious algorithm: every grid point of every range against every busy interval."""
    tz, service, policy = case.policy.tz, case.service, case.policy
    today = case.now.astimezone(tz).date()
    blocked = list(case.bookings + case.external)
    slots = []
    for offset in range(policy.horizon_days):
        for span in ref_working(case, today + timedelta(days=offset)):
            start = span.start
            while start + service.duration <= span.end:
                mine = Interval(
                    start - service.buffer_before,
                    start + service.duration + service.buffer_after,
                )
                if (
                    start >= case.now + policy.min_notice
                    and (window is None or window.contains(start))
                    and not any(mine.overlaps(other) for other in blocked)
                ):
                    slots.append(start)
                start += policy.slot_step
    return slots


COMMON = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@COMMON
@given(cases())
def test_matches_reference(case: Case) -> None:
    assert run(case) == reference(case)


@COMMON
@given(cases(), st.integers(-600, 5 * 1440), st.integers(1, 2 * 1440))
def test_window_matches_reference(case: Case, start: int, length: int) -> None:
    origin = case.now.replace(second=0, microsecond=0)
    window = Interval(origin + start * MIN, origin + (start + length) * MIN)
    assert run(case, window) == reference(case, window)


@COMMON
@given(cases())
def test_invariants(case: Case) -> None:
    tz, service, policy = case.policy.tz, case.service, case.policy
    slots = run(case)
    today = case.now.astimezone(tz).date()
    last_day = today + timedelta(days=policy.horizon_days - 1)
    horizon_end = ref_wall(last_day, 86_400, tz)
    blocked = list(case.bookings + case.external)
    assert all(earlier < later for earlier, later in pairwise(slots))  # sorted, unique
    for start in slots:
        assert start.tzinfo is UTC
        end = start + service.duration
        mine = Interval(start - service.buffer_before, end + service.buffer_after)
        assert not any(mine.overlaps(other) for other in blocked)
        assert start >= case.now + policy.min_notice
        assert end <= horizon_end
        # Back to local time: its date is in the horizon and it sits inside one working range.
        day = start.astimezone(tz).date()
        assert today <= day <= last_day
        appointment = Interval(start, end)
        assert any(span.covers(appointment) for span in ref_working(case, day))
        day_start, day_end = ref_wall(day, 0, tz), ref_wall(day, 86_400, tz)
        if day_start.astimezone(tz).utcoffset() == day_end.astimezone(tz).utcoffset():
            # No clock change that day: plain wall-clock comparison must agree too.
            wall_start = start.astimezone(tz).replace(tzinfo=None)
            wall_end = end.astimezone(tz).replace(tzinfo=None)
            midnight = datetime.combine(day, time(0))
            assert any(
                midnight + timedelta(seconds=item.start_seconds) <= wall_start
                and wall_end <= midnight + timedelta(seconds=item.end_seconds)
                for item in case.schedule.ranges_on(day)
            )


@COMMON
@given(cases(), st.data())
def test_the_service_accessors_agree(case: Case, data: st.DataObject) -> None:
    """days (the day list), on (a day's times, also asked with the day as the window),
    staff_free_at (the confirm re-check) and nearest (the alternatives) agree."""
    found = query(case)
    slots = run(case)
    by_day = {day: found.on(day) for day in found.days()}
    assert [s for day_slots in by_day.values() for s in day_slots] == slots
    assert all(day_slots for day_slots in by_day.values())
    for day, day_slots in by_day.items():
        assert {s.astimezone(case.policy.tz).date() for s in day_slots} == {day}
        assert set(day_slots.values()) == {(7,)}
    if slots:
        assert found.staff_free_at(data.draw(st.sampled_from(slots))) == (7,)
    probe = case.now.replace(second=0, microsecond=0) + data.draw(st.integers(0, 4 * 288)) * 5 * MIN
    assert found.staff_free_at(probe) == ((7,) if probe in slots else ())
    assert found.staff_free_at(probe + timedelta(microseconds=1)) == ()
    count = data.draw(st.integers(1, 5))
    for wanted in (probe, probe + data.draw(st.integers(-2_000_000, 2_000_000)) * MICRO):
        expected = sorted(sorted(slots, key=lambda s: (abs(s - wanted), s))[:count])
        assert found.nearest(wanted, count) == expected
    for day in {s.astimezone(case.policy.tz).date() for s in slots} | {probe.date()}:
        window = Interval(
            datetime.combine(day, time(0), case.policy.tz),
            datetime.combine(day + timedelta(days=1), time(0), case.policy.tz),
        )
        assert query(case, window).on(day) == by_day.get(day, {})  # the slot list asks so


@settings(max_examples=100, deadline=None)
@given(st.lists(cases(), min_size=1, max_size=4), st.data())
def test_anyone_available_is_the_union(staff_cases: list[Case], data: st.DataObject) -> None:
    first = staff_cases[0]
    staff = {number: agenda(case) for number, case in enumerate(staff_cases)}
    same_query = [
        Case(c.schedule, first.service, first.policy, first.now, c.bookings, c.external)
        for c in staff_cases
    ]
    found = find_free_slots(staff=staff, service=first.service, policy=first.policy, now=first.now)
    anyone = {start: who for day in found.days() for start, who in found.on(day).items()}
    expected: dict[datetime, list[int]] = {}
    for number, case in enumerate(same_query):
        for start in run(case):
            expected.setdefault(start, []).append(number)
    assert list(anyone) == sorted(expected)
    assert {start: list(who) for start, who in anyone.items()} == expected
    for start, who in anyone.items():
        assert found.staff_free_at(start) == who
    tz = first.policy.tz
    assert found.days() == sorted({start.astimezone(tz).date() for start in expected})
    wanted = first.now + data.draw(st.integers(0, 5 * 1440)) * MIN
    nearest = sorted(expected, key=lambda s: (abs(s - wanted), s))[:3]
    assert found.nearest(wanted, 3) == sorted(nearest)
