"""The test week: every date a test uses comes from here, so the suite passes on any date.

The week starts on the Monday in BOOKBOT_TEST_MONDAY (YYYY-MM-DD), 23 November 2026 by
default; moving it (years ahead, across a DST change) checks that nothing in the bot or the
tests mixes the fixed date with the wall clock. Times are written as Helsinki wall-clock times,
the test salon's zone, and the expected texts are spelled out here independently of the bot's
own formatting.
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

HELSINKI = ZoneInfo("Europe/Helsinki")


def _test_monday() -> date:
    day = date.fromisoformat(os.environ.get("BOOKBOT_TEST_MONDAY") or "2026-11-23")
    if day.weekday() != 0:
        raise ValueError(f"BOOKBOT_TEST_MONDAY={day} is not a Monday")
    return day


MONDAY = _test_monday()
TUESDAY = MONDAY + timedelta(days=1)
WEDNESDAY = MONDAY + timedelta(days=2)  # Ben's day off in the test salon
THURSDAY = MONDAY + timedelta(days=3)
FRIDAY = MONDAY + timedelta(days=4)
SATURDAY = MONDAY + timedelta(days=5)  # only Ben works on Saturdays


def helsinki(day: date, hh: int, mm: int = 0) -> datetime:
    """`hh:mm` on `day` in Helsinki, as a UTC datetime (the offset is the one of that day)."""
    return datetime.combine(day, time(hh, mm), tzinfo=HELSINKI).astimezone(UTC)


MONDAY_MORNING = helsinki(MONDAY, 8)

_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def short_day(day: date) -> str:
    """'Tue, Nov 24', the day as the bot's buttons and lists show it (in English)."""
    return f"{_WEEKDAYS[day.weekday()]}, {_MONTHS[day.month - 1]} {day.day}"


def day_and_time(day: date, hhmm: str) -> str:
    """'Tue, Nov 24, 2026, 13:00', a booking's time as the bot's messages write it."""
    return f"{short_day(day)}, {day.year}, {hhmm}"


def short_day_and_time(day: date, hhmm: str) -> str:
    """'Tue, Nov 24, 13:00', a time on a button."""
    return f"{short_day(day)}, {hhmm}"


def day_button(day: date) -> str:
    """'Tu 24', a day button of the day picker."""
    return f"{_WEEKDAYS[day.weekday()][:2]} {day.day}"
