"""Working hours in local wall-clock time, and how a wall-clock time on a date becomes an instant.

A staff member's hours are a `WeeklyHours` template (several `TimeRange` per weekday) plus
date overrides (a day off, or special hours replacing the weekly ones), bundled as
`StaffSchedule`. Times of day are whole seconds with no tzinfo; the business zone is applied
per date by `wall_clock_epoch`, which is where daylight-saving time is handled.

DST rule (one rule for range starts and ends alike): the wall-clock time ``W`` on date ``D``
is the **first instant at which the local clock shows ``D W`` or later**.

* An ordinary time maps to its only instant.
* An ambiguous time (the repeated hour when clocks go back) maps to its first occurrence,
  so 00:00-03:00 on a fall-back day lasts four real hours and includes the repeated hour.
* A nonexistent time (skipped when clocks go forward) maps to the instant of the jump, so
  02:30-05:00 in New York on the spring-forward day starts at 03:00 EDT; a range lying wholly
  inside the gap becomes empty.

The mapping never goes backwards as ``W`` grows, so ranges that were ordered and disjoint in
wall-clock time stay ordered and disjoint as instants, and touching ranges stay touching.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from itertools import pairwise
from types import MappingProxyType
from zoneinfo import ZoneInfo

from bot.domain.timespan import Interval, from_epoch

DAY_SECONDS = 86_400
_NAIVE_EPOCH = datetime(1970, 1, 1)  # noqa: DTZ001 - wall-clock arithmetic, no zone on purpose
_SECOND = timedelta(seconds=1)


def _seconds_of_day(moment: time, what: str) -> int:
    if moment.tzinfo is not None:
        raise ValueError(f"{what} is a wall-clock time and must not carry tzinfo")
    if moment.microsecond:
        raise ValueError(f"{what} must be whole seconds, got {moment!r}")
    return moment.hour * 3600 + moment.minute * 60 + moment.second


@dataclass(frozen=True, slots=True)
class TimeRange:
    """A wall-clock range ``[start, end)`` within one day; ``end == time(0)`` means 24:00."""

    start: time
    end: time
    start_seconds: int = field(init=False, repr=False, compare=False)
    end_seconds: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        begin = _seconds_of_day(self.start, "TimeRange.start")
        finish = _seconds_of_day(self.end, "TimeRange.end") or DAY_SECONDS
        if begin >= finish:
            raise ValueError(f"TimeRange needs start < end, got {self.start}-{self.end}")
        object.__setattr__(self, "start_seconds", begin)
        object.__setattr__(self, "end_seconds", finish)


def normalize_ranges(ranges: Iterable[TimeRange]) -> tuple[TimeRange, ...]:
    """The ranges sorted by start; ValueError if two of them overlap (touching is fine)."""
    ordered = tuple(sorted(ranges, key=lambda item: item.start_seconds))
    for before, after in pairwise(ordered):
        if after.start_seconds < before.end_seconds:
            raise ValueError(f"overlapping time ranges: {before} and {after}")
    return ordered


@dataclass(frozen=True, slots=True)
class WeeklyHours:
    """Working ranges per weekday: ``days[0]`` is Monday ... ``days[6]`` Sunday."""

    days: tuple[tuple[TimeRange, ...], ...]

    def __post_init__(self) -> None:
        if len(self.days) != 7:
            raise ValueError(f"WeeklyHours needs 7 days, got {len(self.days)}")
        object.__setattr__(self, "days", tuple(normalize_ranges(day) for day in self.days))

    @classmethod
    def from_mapping(cls, by_weekday: Mapping[int, Iterable[TimeRange]]) -> WeeklyHours:
        """Build from ``{weekday: ranges}`` (0=Mon..6=Sun); missing weekdays are days off."""
        for weekday in by_weekday:
            if weekday not in range(7):
                raise ValueError(f"weekday must be 0..6, got {weekday}")
        return cls(tuple(tuple(by_weekday.get(weekday, ())) for weekday in range(7)))

    def ranges_for(self, weekday: int) -> tuple[TimeRange, ...]:
        """The ranges of a weekday (0=Mon..6=Sun)."""
        return self.days[weekday]


@dataclass(frozen=True, slots=True)
class DateOverride:
    """Hours for one date replacing the weekly ones; empty `ranges` means a day off."""

    day: date
    ranges: tuple[TimeRange, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "ranges", normalize_ranges(self.ranges))


@dataclass(frozen=True, slots=True)
class StaffSchedule:
    """A staff member's weekly hours plus per-date overrides (read-only after construction)."""

    weekly: WeeklyHours
    overrides: Mapping[date, tuple[TimeRange, ...]] = field(
        default_factory=lambda: MappingProxyType({}), hash=False
    )

    def __post_init__(self) -> None:
        frozen = {day: normalize_ranges(ranges) for day, ranges in self.overrides.items()}
        object.__setattr__(self, "overrides", MappingProxyType(frozen))

    @classmethod
    def build(cls, weekly: WeeklyHours, overrides: Iterable[DateOverride] = ()) -> StaffSchedule:
        """Build from `DateOverride` records; a later record for the same date wins."""
        return cls(weekly, {item.day: item.ranges for item in overrides})

    def ranges_on(self, day: date) -> tuple[TimeRange, ...]:
        """The wall-clock ranges that apply on `day` (override first, else the weekly ones)."""
        special = self.overrides.get(day)
        return special if special is not None else self.weekly.days[day.weekday()]


def _wall_of(epoch: int, tz: ZoneInfo) -> int:
    """Local wall-clock reading of an instant, as seconds since the naive epoch."""
    local = from_epoch(epoch).astimezone(tz).replace(tzinfo=None)
    return (local - _NAIVE_EPOCH) // _SECOND


def wall_clock_epoch(day: date, seconds: int, tz: ZoneInfo) -> int:
    """Epoch seconds of wall-clock `seconds` (0..86400) on `day` in `tz`, by the module's rule."""
    naive = datetime(day.year, day.month, day.day) + timedelta(seconds=seconds)  # noqa: DTZ001
    wall = (naive - _NAIVE_EPOCH) // _SECOND
    candidates = []
    for fold in (0, 1):
        offset = naive.replace(fold=fold, tzinfo=tz).utcoffset()
        if offset is None:  # never for a ZoneInfo; keeps the types honest
            raise ValueError(f"{tz!r} gives no UTC offset for {naive}")
        candidates.append(wall - offset // _SECOND)
    if candidates[0] == candidates[1]:
        return candidates[0]  # fold makes no difference: neither ambiguous nor nonexistent
    valid = [moment for moment in candidates if _wall_of(moment, tz) == wall]
    if valid:
        return min(valid)
    # Nonexistent: the clock jumps over `wall` between the two candidates; find the jump.
    low, high = min(candidates), max(candidates)
    while high - low > 1:
        middle = (low + high) // 2
        if _wall_of(middle, tz) >= wall:
            high = middle
        else:
            low = middle
    return high


def wall_clock_instant(day: date, moment: time, tz: ZoneInfo) -> datetime:
    """The aware UTC instant of wall-clock `moment` on `day` in `tz` (``time(0)`` = start)."""
    return from_epoch(wall_clock_epoch(day, _seconds_of_day(moment, "moment"), tz))


def working_intervals(
    schedule: StaffSchedule, first: date, days: int, tz: ZoneInfo
) -> list[Interval]:
    """The schedule's working ranges on `days` dates from `first`, as UTC intervals in order."""
    result: list[Interval] = []
    for index in range(days):
        day = first + timedelta(days=index)
        for item in schedule.ranges_on(day):
            begin = wall_clock_epoch(day, item.start_seconds, tz)
            finish = wall_clock_epoch(day, item.end_seconds, tz)
            if begin < finish:
                result.append(Interval(from_epoch(begin), from_epoch(finish)))
    return result
