"""The time screen in parts and what people type for a time or a day."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from handlers.booking.times import PART_SIZE, day_parts, nearest, parse_day, parse_time, pick_time
from handlers.i18n import texts_for

HELSINKI = ZoneInfo("Europe/Helsinki")
MONDAY = date(2026, 11, 23)


def _slots(first: int, last: int, step: int = 30) -> list[datetime]:
    start = datetime(2026, 11, 24, first, tzinfo=HELSINKI)
    count = (last - first) * 60 // step
    return [(start + timedelta(minutes=step * i)).astimezone(UTC) for i in range(count)]


def test_a_short_day_is_one_part_and_a_long_one_is_split_by_period_and_page() -> None:
    t = texts_for("en")
    assert [(p.label, len(p.slots)) for p in day_parts(t, _slots(9, 15), HELSINKI)] == [("", 12)]
    parts = day_parts(t, _slots(7, 21, step=15), HELSINKI)  # 56 times
    assert all(0 < len(p.slots) <= PART_SIZE for p in parts)
    assert [s for p in parts for s in p.slots] == _slots(7, 21, step=15)
    assert [p.label for p in parts] == [
        "Morning from 07:00",
        "Morning from 10:00",
        "Afternoon from 12:00",
        "Afternoon from 15:00",
        "Evening from 17:00",
        "Evening from 20:00",
    ]
    assert [p.label for p in day_parts(texts_for("es"), _slots(9, 19), HELSINKI)] == [
        "Mañana",
        "Tarde",
        "Noche",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("11:00", time(11)),
        ("11", time(11)),
        ("9.30", time(9, 30)),
        ("14h30", time(14, 30)),
        ("9am", time(9)),
        ("2 pm", time(14)),
        ("12pm", time(12)),
        ("12 am", time(0)),
        (" 7:05 ", time(7, 5)),
    ],
)
def test_typed_times(text: str, expected: time) -> None:
    assert parse_time(text) == expected


@pytest.mark.parametrize("text", ["", "25:00", "11:60", "13pm", "noon", "11:5", "1100", "-1"])
def test_not_times(text: str) -> None:
    assert parse_time(text) is None


def test_a_typed_time_is_picked_or_the_nearest_are_offered() -> None:
    slots = _slots(9, 12) + _slots(13, 17)
    assert pick_time(time(13), slots, HELSINKI) == datetime(2026, 11, 24, 11, tzinfo=UTC)
    assert pick_time(time(12), slots, HELSINKI) is None
    near = [s.astimezone(HELSINKI).strftime("%H:%M") for s in nearest(time(12), slots, HELSINKI)]
    assert near == ["11:00", "11:30", "13:00"]  # 30 and 60 minutes away, in time order


@pytest.mark.parametrize(
    ("language", "text", "expected"),
    [
        ("en", "today", MONDAY),
        ("en", "Tomorrow", MONDAY + timedelta(days=1)),
        ("en", "friday", MONDAY + timedelta(days=4)),
        ("en", "Mon", MONDAY),  # today is a Monday: today, not next week
        ("en", "sunday", MONDAY + timedelta(days=6)),
        ("es", "mañana", MONDAY + timedelta(days=1)),
        ("es", "viernes", MONDAY + timedelta(days=4)),
        ("es", "friday", MONDAY + timedelta(days=4)),  # English works in every language
        ("ru", "завтра", MONDAY + timedelta(days=1)),
        ("ru", "пятница", MONDAY + timedelta(days=4)),
        ("fi", "huomenna", MONDAY + timedelta(days=1)),
        ("fi", "perjantai", MONDAY + timedelta(days=4)),
        ("en", "24.11", date(2026, 11, 24)),
        ("en", "24/11/2026", date(2026, 11, 24)),
        ("en", "2026-11-24", date(2026, 11, 24)),
        ("en", "1.1", date(2027, 1, 1)),  # already past this year: next year's
        ("en", "24.11.26", date(2026, 11, 24)),
    ],
)
def test_typed_days(language: str, text: str, expected: date) -> None:
    assert parse_day(texts_for(language), text, MONDAY) == expected


@pytest.mark.parametrize("text", ["", "someday", "31.02", "2026-13-01", "next week", "32.1"])
def test_not_days(text: str) -> None:
    assert parse_day(texts_for("en"), text, MONDAY) is None
