"""Free appointment slots: working hours minus bookings minus external busy time.

Pipeline (pure, no I/O), per staff member:

1. For each local date of the horizon, take the date's working ranges (override, else weekly)
   and turn their wall-clock ends into UTC instants in the business zone (DST rule in
   `bot.domain.schedule`). Zone lookups happen per *date*, not per slot or per staff.
2. Candidate starts are ``range_start + k * slot_step`` (absolute time, so a range spanning a
   DST change keeps an even step). The appointment ``[s, s + duration)`` must lie inside that
   one range, ``s >= now + min_notice``, and only dates ``today .. today + horizon_days - 1``
   (``today`` = now's date in the zone) are built, so nothing lies past the horizon.
3. The new booking blocks ``[s - buffer_before, s + duration + buffer_after)``; that window
   must not overlap any existing booking's blocked window ``[start - buffer_before,
   end + buffer_after)`` nor any external busy interval (no buffers). Buffers may reach
   outside working hours.

How it stays fast in pure Python: inputs carry their integer epoch-second spans (computed once
when the value is built); each busy ``[a, b)`` becomes the open set of *forbidden starts*
``(a - duration - buffer_after, b + buffer_before)``; one sort, then one sweep with a pointer
over the ranges and the forbidden sets emits runs of free starts with ``range(...)``. Work is
O(ranges + busy + log), not slots x busy. Datetimes are made only at the end, once per distinct
instant across all staff, which is what keeps "anyone available" (a union over staff) cheap.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from itertools import chain
from typing import TypeVar
from zoneinfo import ZoneInfo

from bot.domain.schedule import DAY_SECONDS, StaffSchedule, wall_clock_epoch
from bot.domain.timespan import (
    EpochSpan,
    Interval,
    epoch_ceil,
    epoch_floor,
    from_epoch,
    require_aware,
    whole_seconds,
)

K = TypeVar("K", bound=Hashable)

_ONE_DAY = timedelta(days=1)
_ONE_SECOND = timedelta(seconds=1)


@dataclass(frozen=True, slots=True)
class ServiceTiming:
    """How long a service takes and the buffers it needs (all whole seconds, buffers >= 0)."""

    duration: timedelta
    buffer_before: timedelta = timedelta(0)
    buffer_after: timedelta = timedelta(0)
    seconds: tuple[int, int, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        length = whole_seconds(self.duration, "duration")
        before = whole_seconds(self.buffer_before, "buffer_before")
        after = whole_seconds(self.buffer_after, "buffer_after")
        if length <= 0:
            raise ValueError(f"duration must be positive, got {self.duration}")
        if before < 0 or after < 0:
            raise ValueError("buffers must not be negative")
        object.__setattr__(self, "seconds", (length, before, after))


@dataclass(frozen=True, slots=True)
class BookingPolicy:
    """Business-wide rules: zone, slot grid step, minimum notice and horizon in local days."""

    tz: ZoneInfo
    slot_step: timedelta
    min_notice: timedelta = timedelta(0)
    horizon_days: int = 30
    step_seconds: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        step = whole_seconds(self.slot_step, "slot_step")
        if step <= 0:
            raise ValueError(f"slot_step must be positive, got {self.slot_step}")
        if self.min_notice < timedelta(0):
            raise ValueError("min_notice must not be negative")
        if self.horizon_days < 1:
            raise ValueError(f"horizon_days must be at least 1, got {self.horizon_days}")
        object.__setattr__(self, "step_seconds", step)


@dataclass(frozen=True, slots=True)
class BusyBooking:
    """An existing booking; it blocks ``[start - buffer_before, end + buffer_after)``."""

    start: datetime
    end: datetime
    buffer_before: timedelta = timedelta(0)
    buffer_after: timedelta = timedelta(0)
    blocked_span: EpochSpan = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        require_aware(self.start, "BusyBooking.start")
        require_aware(self.end, "BusyBooking.end")
        if not self.start < self.end:
            raise ValueError(f"BusyBooking needs start < end, got {self.start} >= {self.end}")
        if self.buffer_before < timedelta(0) or self.buffer_after < timedelta(0):
            raise ValueError("buffers must not be negative")
        span = (
            epoch_floor(self.start - self.buffer_before),
            epoch_ceil(self.end + self.buffer_after),
        )
        object.__setattr__(self, "blocked_span", span)

    @property
    def blocked(self) -> Interval:
        """The window this booking keeps others out of, buffers included."""
        return Interval(self.start - self.buffer_before, self.end + self.buffer_after)


@dataclass(frozen=True, slots=True)
class StaffAgenda:
    """One staff member's inputs for a multi-staff query."""

    schedule: StaffSchedule
    bookings: tuple[BusyBooking, ...] = ()
    external_busy: tuple[Interval, ...] = ()


class _DayGrid:
    """The query's local dates and the epoch of each one's local midnight (one zone pass)."""

    __slots__ = ("days", "mids", "plain", "tz", "weekdays")

    def __init__(self, tz: ZoneInfo, first: date, count: int) -> None:
        self.tz = tz
        self.days = [first + timedelta(days=index) for index in range(count)]
        self.weekdays = [day.weekday() for day in self.days]
        self.mids = [wall_clock_epoch(first + timedelta(days=i), 0, tz) for i in range(count + 1)]
        # A day whose midnights are exactly 24 h apart has one UTC offset (no transition).
        self.plain = [self.mids[i + 1] - self.mids[i] == DAY_SECONDS for i in range(count)]

    def epoch(self, index: int, seconds: int) -> int:
        """Epoch of wall-clock `seconds` on day `index`."""
        if self.plain[index]:
            return self.mids[index] + seconds
        return wall_clock_epoch(self.days[index], seconds, self.tz)


@dataclass(frozen=True, slots=True)
class _Plan:
    grid: _DayGrid
    earliest: int  # first allowed slot start (notice, window)
    before_end: int | None  # slot starts must be < this (window), if set
    step: int
    length: int
    lead: int  # forbidden starts begin after busy.start - lead
    trail: int  # ... and end before busy.end + trail


def _plan(
    service: ServiceTiming, policy: BookingPolicy, now: datetime, window: Interval | None
) -> _Plan:
    require_aware(now, "now")
    tz = policy.tz
    today = now.astimezone(tz).date()
    first, stop = today, today + timedelta(days=policy.horizon_days)
    earliest = epoch_ceil(now + policy.min_notice)
    before_end = None
    if window is not None:
        earliest = max(earliest, epoch_ceil(window.start))
        before_end = window.epoch_span[1]
        first = max(first, window.start.astimezone(tz).date() - _ONE_DAY)
        stop = min(stop, window.end.astimezone(tz).date() + 2 * _ONE_DAY)
    length, buffer_before, buffer_after = service.seconds
    return _Plan(
        grid=_DayGrid(tz, first, max(0, (stop - first).days)),
        earliest=earliest,
        before_end=before_end,
        step=policy.step_seconds,
        length=length,
        lead=length + buffer_after,
        trail=buffer_before,
    )


def _staff_slots(
    schedule: StaffSchedule,
    bookings: Iterable[BusyBooking],
    external_busy: Iterable[Interval],
    plan: _Plan,
) -> list[tuple[int, list[int]]]:
    """Free slot starts (epoch seconds) per day index, for days that have any."""
    spans = [booking.blocked_span for booking in bookings]
    spans.extend(interval.epoch_span for interval in external_busy)
    spans.sort()
    lead, trail = plan.lead, plan.trail
    # Start s is forbidden by busy [a, b) iff a - lead < s < b + trail. The lows are sorted;
    # the highs need not be (nested spans), which the sweep below tolerates.
    f_low = [low - lead for low, _ in spans]
    f_high = [high + trail for _, high in spans]
    count, j = len(spans), 0
    step, length, earliest, before_end = plan.step, plan.length, plan.earliest, plan.before_end
    grid = plan.grid
    mids, plain, weekdays = grid.mids, grid.plain, grid.weekdays
    overrides, weekly = schedule.overrides, schedule.weekly.days
    result: list[tuple[int, list[int]]] = []
    for index, day in enumerate(grid.days):
        ranges = overrides.get(day)
        if ranges is None:
            ranges = weekly[weekdays[index]]
        if not ranges:
            continue
        slots: list[int] = []
        for item in ranges:
            if plain[index]:
                base = mids[index]
                range_start, range_end = base + item.start_seconds, base + item.end_seconds
            else:
                range_start = grid.epoch(index, item.start_seconds)
                range_end = grid.epoch(index, item.end_seconds)
            last = range_end - length  # latest start that still fits the range
            if before_end is not None and last >= before_end:
                last = before_end - 1
            s = range_start
            if s < earliest:
                s -= ((s - earliest) // step) * step  # first grid point >= earliest
            while s <= last:
                while j < count and f_high[j] <= s:
                    j += 1
                if j == count:
                    slots.extend(range(s, last + 1, step))
                    break
                low = f_low[j]
                if s <= low:  # free up to and including `low`
                    stop = low if low < last else last
                    slots.extend(range(s, stop + 1, step))
                    s += ((stop - s) // step + 1) * step
                else:  # inside a forbidden set: jump to the first grid point at/after its end
                    s -= ((s - f_high[j]) // step) * step
        if slots:
            result.append((index, slots))
    return result


def _datetimes(lists: Iterable[list[int]]) -> dict[int, datetime]:
    """One aware UTC datetime per distinct epoch second across `lists`."""
    distinct: set[int] = set()
    for values in lists:
        distinct.update(values)
    return {value: from_epoch(value) for value in distinct}


def free_slots(
    *,
    schedule: StaffSchedule,
    service: ServiceTiming,
    policy: BookingPolicy,
    now: datetime,
    bookings: Iterable[BusyBooking],
    external_busy: Iterable[Interval],
    window: Interval | None = None,
) -> list[datetime]:
    """Sorted aware-UTC starts of every free slot for one staff member (optionally in `window`)."""
    plan = _plan(service, policy, now, window)
    days = _staff_slots(schedule, bookings, external_busy, plan)
    return list(map(from_epoch, chain.from_iterable(values for _, values in days)))


def free_slots_by_day(
    *,
    schedule: StaffSchedule,
    service: ServiceTiming,
    policy: BookingPolicy,
    now: datetime,
    bookings: Iterable[BusyBooking],
    external_busy: Iterable[Interval],
    window: Interval | None = None,
) -> dict[date, list[datetime]]:
    """Free slot starts grouped by local date, only dates that have at least one, in order."""
    plan = _plan(service, policy, now, window)
    days = _staff_slots(schedule, bookings, external_busy, plan)
    return {plan.grid.days[index]: [from_epoch(v) for v in values] for index, values in days}


def is_slot_free(
    *,
    schedule: StaffSchedule,
    service: ServiceTiming,
    policy: BookingPolicy,
    now: datetime,
    bookings: Iterable[BusyBooking],
    external_busy: Iterable[Interval],
    start: datetime,
) -> bool:
    """True if `start` is one of the slots `free_slots` would offer right now (confirm re-check)."""
    require_aware(start, "start")
    if epoch_floor(start) != epoch_ceil(start):
        return False  # off the whole-second grid, so never a slot
    plan = _plan(service, policy, now, Interval(start, start + _ONE_SECOND))
    return bool(_staff_slots(schedule, bookings, external_busy, plan))


def free_slots_per_staff(
    *,
    staff: Mapping[K, StaffAgenda],
    service: ServiceTiming,
    policy: BookingPolicy,
    now: datetime,
    window: Interval | None = None,
) -> dict[K, list[datetime]]:
    """Sorted free slot starts of each staff member; equal instants share one datetime."""
    plan = _plan(service, policy, now, window)
    found = {
        key: list(
            chain.from_iterable(
                values
                for _, values in _staff_slots(
                    agenda.schedule, agenda.bookings, agenda.external_busy, plan
                )
            )
        )
        for key, agenda in staff.items()
    }
    made = _datetimes(found.values())
    return {key: list(map(made.__getitem__, values)) for key, values in found.items()}


def anyone_free_slots_by_day(
    *,
    staff: Mapping[K, StaffAgenda],
    service: ServiceTiming,
    policy: BookingPolicy,
    now: datetime,
    window: Interval | None = None,
) -> dict[date, dict[datetime, tuple[K, ...]]]:
    """ "Anyone available": per local date, each slot free for someone -> who (in `staff` order)."""
    plan = _plan(service, policy, now, window)
    who: dict[int, dict[int, list[K]]] = {}
    for key, agenda in staff.items():
        for index, values in _staff_slots(
            agenda.schedule, agenda.bookings, agenda.external_busy, plan
        ):
            day = who.setdefault(index, {})
            for value in values:
                holders = day.get(value)
                if holders is None:
                    day[value] = [key]
                else:
                    holders.append(key)
    result: dict[date, dict[datetime, tuple[K, ...]]] = {}
    for index in sorted(who):
        day = who[index]
        result[plan.grid.days[index]] = {
            from_epoch(value): tuple(day[value]) for value in sorted(day)
        }
    return result


def anyone_free_slots(
    *,
    staff: Mapping[K, StaffAgenda],
    service: ServiceTiming,
    policy: BookingPolicy,
    now: datetime,
    window: Interval | None = None,
) -> dict[datetime, tuple[K, ...]]:
    """ "Anyone available": every slot free for at least one staff member -> who, sorted by time."""
    by_day = anyone_free_slots_by_day(
        staff=staff, service=service, policy=policy, now=now, window=window
    )
    return {start: holders for slots in by_day.values() for start, holders in slots.items()}
