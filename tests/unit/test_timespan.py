"""Tests for bot.domain.timespan: half-open intervals, merge, subtract, epoch rounding."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.timespan import (
    Interval,
    epoch_ceil,
    epoch_floor,
    from_epoch,
    merge,
    subtract,
    whole_seconds,
)

T0 = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def iv(start: float, end: float) -> Interval:
    return Interval(at(start), at(end))


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        Interval(datetime(2026, 5, 4, 9), T0)  # noqa: DTZ001
    with pytest.raises(ValueError, match="aware"):
        Interval(T0, datetime(2026, 5, 4, 10))  # noqa: DTZ001
    with pytest.raises(ValueError, match="aware"):
        iv(0, 10).contains(datetime(2026, 5, 4, 9, 5))  # noqa: DTZ001


def test_start_must_precede_end() -> None:
    with pytest.raises(ValueError, match="start < end"):
        iv(10, 10)
    with pytest.raises(ValueError, match="start < end"):
        iv(10, 5)


def test_half_open_contains_and_touching_does_not_overlap() -> None:
    span = iv(0, 60)
    assert span.contains(at(0))
    assert span.contains(at(59.99))
    assert not span.contains(at(60))
    assert not span.overlaps(iv(60, 90))
    assert not iv(60, 90).overlaps(span)
    assert span.overlaps(iv(59, 61))
    assert span.overlaps(iv(-10, 1))
    assert span.overlaps(iv(10, 20))
    assert span.covers(iv(10, 20))
    assert span.covers(span)
    assert not span.covers(iv(10, 61))
    assert span.duration == timedelta(hours=1)


def test_intersection() -> None:
    assert iv(0, 60).intersection(iv(30, 90)) == iv(30, 60)
    assert iv(0, 60).intersection(iv(60, 90)) is None


def test_equal_instants_in_different_zones_are_equal() -> None:
    helsinki = ZoneInfo("Europe/Helsinki")
    local = Interval(T0.astimezone(helsinki), at(30).astimezone(helsinki))
    assert local == iv(0, 30)
    assert local.epoch_span == iv(0, 30).epoch_span


def test_merge_fuses_overlapping_and_touching_and_sorts() -> None:
    merged = merge([iv(50, 60), iv(0, 10), iv(5, 20), iv(20, 30), iv(40, 45), iv(41, 42)])
    assert merged == [iv(0, 30), iv(40, 45), iv(50, 60)]
    assert merge([]) == []


def test_subtract_cuts_holes() -> None:
    assert subtract(iv(0, 100), [iv(10, 20), iv(15, 30), iv(90, 120), iv(-5, 1)]) == [
        iv(1, 10),
        iv(30, 90),
    ]
    assert subtract(iv(0, 10), [iv(10, 20)]) == [iv(0, 10)]
    assert subtract(iv(0, 10), [iv(-1, 11)]) == []
    assert subtract([iv(0, 10), iv(20, 30)], [iv(5, 25)]) == [iv(0, 5), iv(25, 30)]


def test_epoch_rounding_is_exact() -> None:
    moment = datetime(2026, 5, 4, 9, 0, 0, 999_999, tzinfo=UTC)
    whole = int(datetime(2026, 5, 4, 9, tzinfo=UTC).timestamp())
    assert epoch_floor(moment) == whole
    assert epoch_ceil(moment) == whole + 1
    assert epoch_floor(T0) == epoch_ceil(T0) == whole
    assert from_epoch(whole) == T0
    assert from_epoch(whole).tzinfo is UTC
    assert Interval(moment, moment + timedelta(microseconds=1)).epoch_span == (whole, whole + 1)
    offset = timezone(timedelta(hours=-3, minutes=-30))
    assert epoch_floor(T0.astimezone(offset)) == whole


def test_whole_seconds() -> None:
    assert whole_seconds(timedelta(minutes=2), "x") == 120
    with pytest.raises(ValueError, match="whole number of seconds"):
        whole_seconds(timedelta(milliseconds=1500), "x")


minutes = st.integers(min_value=0, max_value=300)
intervals = st.builds(lambda start, length: iv(start, start + length), minutes, st.integers(1, 60))


def covered(spans: list[Interval], minute: float) -> bool:
    return any(span.contains(at(minute)) for span in spans)


@given(st.lists(intervals, max_size=12))
def test_merge_properties(spans: list[Interval]) -> None:
    merged = merge(spans)
    for before, after in pairwise(merged):
        assert before.end < after.start  # disjoint and not even touching
    for half_minute in range(0, 2 * 362):
        assert covered(merged, half_minute / 2) == covered(spans, half_minute / 2)


@given(intervals, st.lists(intervals, max_size=8))
def test_subtract_properties(base: Interval, holes: list[Interval]) -> None:
    rest = subtract(base, holes)
    for before, after in pairwise(rest):
        assert before.end < after.start
    for piece in rest:
        assert base.covers(piece)
    for half_minute in range(0, 2 * 362):
        expected = covered([base], half_minute / 2) and not covered(holes, half_minute / 2)
        assert covered(rest, half_minute / 2) == expected
