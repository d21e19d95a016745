"""Typed settings values: lenient reading, strict checks, precise errors."""

from __future__ import annotations

from datetime import date

import pytest

from handlers.i18n import texts_for
from handlers.settings import parse

T = texts_for("en")
TODAY = date(2026, 11, 23)  # a fixed date: these parsers take "today" as an argument


@pytest.mark.parametrize(
    ("text", "minutes"),
    [
        ("45m", 45),
        ("1h30", 90),
        ("1h 30m", 90),
        ("90", 90),
        ("1:30", 90),
        ("1.5h", 90),
        ("2h", 120),
        ("1d", 1440),
        ("45 min", 45),
        ("0", 0),
    ],
)
def test_durations(text: str, minutes: int) -> None:
    assert parse.duration_minutes(T, text, least=0, most=2000) == minutes


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("soon", "“soon” is not a duration"),
        ("1.25m", "is not a duration"),
        ("3m", "too short: at least 5 min"),
        ("25h", "too long: at most 1 d"),
    ],
)
def test_duration_errors(text: str, error: str) -> None:
    with pytest.raises(ValueError, match=error):
        parse.duration_minutes(T, text, least=5, most=1440)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("25", ("25.00", None)),
        ("25.50", ("25.50", None)),
        ("25,50", ("25.50", None)),
        ("25.5 usd", ("25.50", "USD")),
        ("JPY 1200", ("1200", "JPY")),
        ("0", ("0.00", None)),
    ],
)
def test_prices(text: str, expected: tuple[str, str | None]) -> None:
    assert parse.price(T, text, "EUR") == expected


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("€25", "is not a price"),
        ("25,505", "thousands or decimals"),
        ("25.505", "EUR has 2 decimals"),
        ("12 ABC", "not a currency code"),
        ("2000000000", "more than"),
        ("-5", "is not a price"),
    ],
)
def test_price_errors(text: str, error: str) -> None:
    with pytest.raises(ValueError, match=error):
        parse.price(T, text, "EUR")


@pytest.mark.parametrize(
    ("text", "ranges"),
    [
        ("09:00-13:00, 14:00-18:00", ["09:00-13:00", "14:00-18:00"]),
        ("9-17", ["09:00-17:00"]),
        ("14-18 9-13", ["09:00-13:00", "14:00-18:00"]),
        ("9.30–12", ["09:30-12:00"]),
        ("18:00-24:00", ["18:00-24:00"]),
        ("off", []),
        ("Closed", []),
    ],
)
def test_hours(text: str, ranges: list[str]) -> None:
    assert parse.day_ranges(T, text) == ranges


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("17-9", "ends before it starts"),
        ("9-13, 12-15", "overlap"),
        ("9-25", "not a time"),
        ("9:75-10", "not a time"),
        ("nine to five", "not a time"),
        ("9", "not a range"),
    ],
)
def test_hours_errors(text: str, error: str) -> None:
    with pytest.raises(ValueError, match=error):
        parse.day_ranges(T, text)


@pytest.mark.parametrize(
    ("text", "first", "last"),
    [
        ("2026-12-24", date(2026, 12, 24), date(2026, 12, 24)),
        ("24.12.", date(2026, 12, 24), date(2026, 12, 24)),
        ("24.12.2026", date(2026, 12, 24), date(2026, 12, 24)),
        ("1.1.", date(2027, 1, 1), date(2027, 1, 1)),
        ("24.12.-26.12.", date(2026, 12, 24), date(2026, 12, 26)),
        ("2026-12-30 - 2027-01-02", date(2026, 12, 30), date(2027, 1, 2)),
    ],
)
def test_dates(text: str, first: date, last: date) -> None:
    assert parse.date_range(T, text, TODAY) == (first, last)


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("2026-02-30", "not a date in the calendar"),
        ("yesterday", "is not a date"),
        ("2026-11-01", "is in the past"),
        ("26.12.-24.12.", "ends before it starts"),
        ("2026-12-24 - 2028-01-01", "At most a year"),
    ],
)
def test_date_errors(text: str, error: str) -> None:
    with pytest.raises(ValueError, match=error):
        parse.date_range(T, text, TODAY)


def test_time_zones_with_suggestions() -> None:
    assert parse.time_zone(T, "europe/helsinki") == "Europe/Helsinki"
    assert parse.time_zone(T, "Helsinki") == "Europe/Helsinki"
    assert parse.time_zone(T, "new york") == "America/New_York"
    with pytest.raises(ValueError, match="Did you mean Europe/Helsinki"):
        parse.time_zone(T, "Helsinky")
    with pytest.raises(ValueError, match="Write an IANA name"):
        parse.time_zone(T, "Mars/Olympus")


def test_templates_refuse_unknown_placeholders() -> None:
    assert parse.template(T, "{service}: {customer_name}") == "{service}: {customer_name}"
    with pytest.raises(ValueError, match=r"\{client\} is not a placeholder"):
        parse.template(T, "{client}")
    with pytest.raises(ValueError, match=r"Write \{\{ and \}\}"):
        parse.template(T, "{service")
