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
   must not overlap any existing booking's blocked window (``[start - its buffer_before,
   end + its buffer_after)``, given in whole epoch seconds) nor any external busy interval
   (no buffers). Buffers may reach outside working hours.

How it stays fast in pure Python: inputs are integer epoch-second spans (bookings' windows as
stored, an `Interval` computes its own once when it is built); each busy ``[a, b)`` becomes
the open set of *forbidden starts*
``(a - duration - buffer_after, b + buffer_before)``; one sort, then one sweep with a pointer
over the ranges and the forbidden sets emits runs of free starts with ``range(...)``. Work is
O(ranges + busy + log), not slots x busy. The result (`FreeSlots`) keeps epoch seconds and
makes datetimes only for what is asked (a day's times, once per distinct instant).

`find_free_slots` is the one entry point: the booking service calls it for one staff member
or for "anyone available" (the union over staff), and `bench/availability.py` times it.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from heapq import nsmallest
from typing import Generic, TypeVar
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
_ONE_MICROSECOND = timedelta(microseconds=1)
_MICROS = 1_000_000  # microseconds a second: `nearest` compares exactly, to the microsecond


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
class StaffAgenda:
    """One staff member's inputs: working hours, the time their bookings block, and busy
    time elsewhere (their calendars).

    `blocked` holds each existing booking's window, buffers included, as whole epoch seconds
    ``(start, end)`` with start < end, the way storage keeps it: availability reads
    thousands of them per query, and turning each into datetimes and back cost more than
    finding the slots. `find_free_slots` refuses a span with start >= end.
    """

    schedule: StaffSchedule
    blocked: Sequence[EpochSpan] = ()
    external_busy: Sequence[Interval] = ()


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


def _staff_slots(agenda: StaffAgenda, plan: _Plan) -> dict[int, list[int]]:
    """Free slot starts (epoch seconds) per day index, for days that have any."""
    spans = list(agenda.blocked)
    # Checked here rather than when the agenda is built: one pass over the spans fewer.
    if any(start >= end for start, end in spans):
        raise ValueError("a blocked span needs start < end")
    spans.extend(interval.epoch_span for interval in agenda.external_busy)
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
    overrides, weekly = agenda.schedule.overrides, agenda.schedule.weekly.days
    result: dict[int, list[int]] = {}
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
            result[index] = slots
    return result


class FreeSlots(Generic[K]):
    """The free appointment starts of each staff member, as `find_free_slots` found them.

    They are kept as epoch seconds per local day, and datetimes are made only for what a
    caller asks for: the list of free days needs none, a day's times only that day's.
    "Anyone available" is the union over staff; who is free at a start keeps staff order.
    """

    __slots__ = ("_days", "_index", "_per_staff", "_tz")

    def __init__(self, grid: _DayGrid, per_staff: dict[K, dict[int, list[int]]]) -> None:
        self._days = grid.days
        self._tz = grid.tz
        self._index = {day: index for index, day in enumerate(grid.days)}
        self._per_staff = per_staff

    def days(self) -> list[date]:
        """Local dates on which at least one staff member has a free start, in order."""
        found: set[int] = set()
        for per_day in self._per_staff.values():
            found.update(per_day)
        return [self._days[index] for index in sorted(found)]

    def on(self, day: date) -> dict[datetime, tuple[K, ...]]:
        """The free starts of a local date in time order, each with who is free then."""
        index = self._index.get(day)
        if index is None:
            return {}
        who: dict[int, list[K]] = {}
        for key, per_day in self._per_staff.items():
            for value in per_day.get(index, ()):
                holders = who.get(value)
                if holders is None:
                    who[value] = [key]
                else:
                    holders.append(key)
        return {from_epoch(value): tuple(who[value]) for value in sorted(who)}

    def staff_free_at(self, start: datetime) -> tuple[K, ...]:
        """Who can take an appointment starting at `start`, in staff order (empty: nobody)."""
        require_aware(start, "start")
        second = epoch_floor(start)
        if second != epoch_ceil(start):
            return ()  # off the whole-second grid, so never a slot
        index = self._index.get(start.astimezone(self._tz).date())
        if index is None:
            return ()
        found = []
        for key, per_day in self._per_staff.items():
            values = per_day.get(index, ())
            at = bisect_left(values, second)
            if at < len(values) and values[at] == second:
                found.append(key)
        return tuple(found)

    def nearest(self, wanted: datetime, count: int) -> list[datetime]:
        """The `count` free starts (for anyone) closest to `wanted`, in time order; of two
        equally close, the earlier one."""
        second = epoch_floor(wanted)
        target = second * _MICROS + (wanted - from_epoch(second)) // _ONE_MICROSECOND
        union: set[int] = set()
        for per_day in self._per_staff.values():
            for values in per_day.values():
                union.update(values)
        closest = nsmallest(count, union, key=lambda value: (abs(value * _MICROS - target), value))
        return [from_epoch(value) for value in sorted(closest)]


def find_free_slots(
    *,
    staff: Mapping[K, StaffAgenda],
    service: ServiceTiming,
    policy: BookingPolicy,
    now: datetime,
    window: Interval | None = None,
) -> FreeSlots[K]:
    """The free slots of every staff member in `staff` (one member for a chosen person,
    several for "anyone available"), optionally only starts inside `window`."""
    plan = _plan(service, policy, now, window)
    return FreeSlots(
        plan.grid,
        {key: _staff_slots(agenda, plan) for key, agenda in staff.items()},
    )
