"""Half-open time intervals over aware datetimes, and the integer-seconds view of them.

`Interval` is ``[start, end)``: it contains ``start`` and not ``end``, so two intervals that
touch (one ends when the other starts) do not overlap. Naive datetimes are refused everywhere.

The availability engine does its arithmetic on integer POSIX seconds ("epoch seconds"). Every
`Interval` therefore carries `epoch_span`: its start rounded down and its end rounded up to
whole seconds. When all the other quantities are whole seconds (slot grid, durations, buffers)
that rounding is exact for half-open overlap tests: for integers ``s < e``,
``[s, e)`` overlaps ``[a, b)`` if and only if it overlaps ``[floor(a), ceil(b))``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

EpochSpan = tuple[int, int]
"""A half-open ``[start, end)`` range of integer POSIX seconds."""

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_SECOND = timedelta(seconds=1)


def require_aware(moment: datetime, what: str = "datetime") -> None:
    """Raise ValueError unless `moment` is an aware datetime."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{what} must be an aware datetime, got naive {moment!r}")


def epoch_floor(moment: datetime) -> int:
    """Whole POSIX seconds at or before an aware `moment` (exact, no float rounding)."""
    require_aware(moment)
    return (moment - _EPOCH) // _SECOND


def epoch_ceil(moment: datetime) -> int:
    """Whole POSIX seconds at or after an aware `moment` (exact, no float rounding)."""
    require_aware(moment)
    return -((_EPOCH - moment) // _SECOND)


def from_epoch(seconds: int) -> datetime:
    """The aware UTC datetime of integer POSIX `seconds`."""
    return _EPOCH + _SECOND * seconds


def whole_seconds(delta: timedelta, what: str) -> int:
    """`delta` as an int of seconds; ValueError if it has a fractional second."""
    seconds, rest = divmod(delta, _SECOND)
    if rest:
        raise ValueError(f"{what} must be a whole number of seconds, got {delta!r}")
    return int(seconds)


@dataclass(frozen=True, slots=True)
class Interval:
    """A half-open span of time ``[start, end)`` between two aware datetimes, start < end."""

    start: datetime
    end: datetime
    epoch_span: EpochSpan = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        require_aware(self.start, "Interval.start")
        require_aware(self.end, "Interval.end")
        if not self.start < self.end:
            raise ValueError(f"Interval needs start < end, got {self.start} >= {self.end}")
        object.__setattr__(self, "epoch_span", (epoch_floor(self.start), epoch_ceil(self.end)))

    @property
    def duration(self) -> timedelta:
        """Length of the interval."""
        return self.end - self.start

    def contains(self, moment: datetime) -> bool:
        """True if `moment` is in ``[start, end)``."""
        require_aware(moment)
        return self.start <= moment < self.end

    def covers(self, other: Interval) -> bool:
        """True if `other` lies entirely inside this interval."""
        return self.start <= other.start and other.end <= self.end

    def overlaps(self, other: Interval) -> bool:
        """True if the two intervals share at least one instant (touching is not overlapping)."""
        return self.start < other.end and other.start < self.end

    def intersection(self, other: Interval) -> Interval | None:
        """The common part of the two intervals, or None if they do not overlap."""
        if not self.overlaps(other):
            return None
        return Interval(max(self.start, other.start), min(self.end, other.end))


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """Sorted, disjoint intervals covering the same time; overlapping or touching ones fuse."""
    ordered = sorted(intervals, key=lambda item: (item.start, item.end))
    merged: list[Interval] = []
    for item in ordered:
        if merged and item.start <= merged[-1].end:
            last = merged[-1]
            if item.end > last.end:
                merged[-1] = Interval(last.start, item.end)
        else:
            merged.append(item)
    return merged


def subtract(base: Interval | Iterable[Interval], holes: Iterable[Interval]) -> list[Interval]:
    """The parts of `base` not covered by any of `holes`, sorted and disjoint."""
    pieces = merge([base] if isinstance(base, Interval) else base)
    cuts = merge(holes)
    result: list[Interval] = []
    j = 0
    for piece in pieces:
        cursor = piece.start
        while j < len(cuts) and cuts[j].end <= cursor:
            j += 1
        k = j
        while k < len(cuts) and cuts[k].start < piece.end:
            if cuts[k].start > cursor:
                result.append(Interval(cursor, cuts[k].start))
            cursor = max(cursor, cuts[k].end)
            k += 1
        if cursor < piece.end:
            result.append(Interval(cursor, piece.end))
    return result
