"""Tests for bot.domain.ics: .ics files parsed back with icalendar."""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from icalendar import Calendar

from bot.domain.ics import PRODID, IcsEvent, booking_ics, ics_filename

BERLIN = ZoneInfo("Europe/Berlin")
STAMP = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)


def _event(**overrides: Any) -> IcsEvent:
    fields: dict[str, Any] = {
        "uid": "b-42@bookbot.example",
        "sequence": 0,
        "start": datetime(2024, 6, 3, 16, 30, tzinfo=BERLIN),
        "end": datetime(2024, 6, 3, 17, 30, tzinfo=BERLIN),
        "summary": "Haircut",
        "description": "With Anna",
        "location": "Main St 1",
        "organizer_name": "Barber Shop",
        "dtstamp": STAMP,
    }
    fields.update(overrides)
    return IcsEvent(**fields)


def _parse(data: bytes) -> tuple[Any, Any]:
    calendar = Calendar.from_ical(data)
    events = calendar.walk("VEVENT")
    assert len(events) == 1
    return calendar, events[0]


def test_publish_round_trip() -> None:
    data = booking_ics(_event(url="https://t.me/bookbot?start=b42"), method="PUBLISH")
    assert data.startswith(b"BEGIN:VCALENDAR\r\n")
    assert data.endswith(b"END:VCALENDAR\r\n")
    calendar, event = _parse(data)
    assert str(calendar["PRODID"]) == PRODID
    assert str(calendar["VERSION"]) == "2.0"
    assert str(calendar["METHOD"]) == "PUBLISH"
    assert str(event["UID"]) == "b-42@bookbot.example"
    assert event.decoded("SEQUENCE") == 0
    assert str(event["STATUS"]) == "CONFIRMED"
    assert str(event["SUMMARY"]) == "Haircut"
    assert str(event["DESCRIPTION"]) == "With Anna"
    assert str(event["LOCATION"]) == "Main St 1"
    assert str(event["URL"]) == "https://t.me/bookbot?start=b42"
    assert event.decoded("DTSTAMP") == STAMP


def test_times_are_written_in_utc() -> None:
    data = booking_ics(_event(), method="PUBLISH")
    _, event = _parse(data)
    assert event.decoded("DTSTART") == datetime(2024, 6, 3, 14, 30, tzinfo=UTC)
    assert event.decoded("DTSTART").utcoffset() == timedelta(0)
    assert b"\r\nDTSTART:20240603T143000Z\r\n" in data
    assert b"\r\nDTEND:20240603T153000Z\r\n" in data
    assert b"TZID" not in data
    assert b"VTIMEZONE" not in data


@pytest.mark.parametrize(
    ("start", "end", "dtstart", "dtend"),
    [
        # Spring forward in Berlin: 01:30 CET -> 03:30 CEST is one real hour.
        (
            datetime(2024, 3, 31, 1, 30, tzinfo=BERLIN),
            datetime(2024, 3, 31, 3, 30, tzinfo=BERLIN),
            b"20240331T003000Z",
            b"20240331T013000Z",
        ),
        # Fall back: the first 02:30 is CEST (00:30Z), the repeated one CET (01:30Z).
        (
            datetime(2024, 10, 27, 2, 30, tzinfo=BERLIN),
            datetime(2024, 10, 27, 2, 30, fold=1, tzinfo=BERLIN),
            b"20241027T003000Z",
            b"20241027T013000Z",
        ),
    ],
)
def test_dst_day_bookings(start: datetime, end: datetime, dtstart: bytes, dtend: bytes) -> None:
    data = booking_ics(_event(start=start, end=end), method="REQUEST")
    assert b"\r\nDTSTART:" + dtstart + b"\r\n" in data
    assert b"\r\nDTEND:" + dtend + b"\r\n" in data
    _, event = _parse(data)
    assert event.decoded("DTEND") - event.decoded("DTSTART") == timedelta(hours=1)


def test_text_escaping_of_commas_semicolons_newlines_backslashes() -> None:
    summary = "Cut, wash; dry"
    description = "Line 1\nLine 2, with; stuff \\ done"
    data = booking_ics(_event(summary=summary, description=description), method="PUBLISH")
    assert b"SUMMARY:Cut\\, wash\\; dry\r\n" in data
    unfolded = data.replace(b"\r\n ", b"")
    assert b"DESCRIPTION:Line 1\\nLine 2\\, with\\; stuff \\\\ done\r\n" in unfolded
    _, event = _parse(data)
    assert str(event["SUMMARY"]) == summary
    assert str(event["DESCRIPTION"]) == description


def test_carriage_returns_and_controls_are_tidied() -> None:
    data = booking_ics(_event(description="a\r\nb\rc\x00d\x07e\tf"), method="PUBLISH")
    assert b"\x00" not in data
    assert b"\x07" not in data
    _, event = _parse(data)
    assert str(event["DESCRIPTION"]) == "a\nb\ncde\tf"


def test_long_lines_are_folded_at_75_octets() -> None:
    data = booking_ics(_event(description="ü" * 500), method="PUBLISH")
    for line in data.split(b"\r\n"):
        assert len(line) <= 75
        line.decode("utf-8")  # folding never splits a multi-byte character
    _, event = _parse(data)
    assert str(event["DESCRIPTION"]) == "ü" * 500


def test_organizer_has_business_name_and_fallback_address() -> None:
    _, event = _parse(booking_ics(_event(organizer_name='Bob\'s "Cuts", Ltd'), method="REQUEST"))
    organizer = event["ORGANIZER"]
    assert str(organizer) == "mailto:noreply@bookbot.example"
    assert organizer.params["CN"] == 'Bob\'s "Cuts", Ltd'


def test_organizer_email_when_given() -> None:
    event = _event(organizer_email="desk@barber.example")
    _, parsed = _parse(booking_ics(event, method="REQUEST"))
    assert str(parsed["ORGANIZER"]) == "mailto:desk@barber.example"


def test_reschedule_then_cancel_keeps_uid_and_raises_sequence() -> None:
    booked = _event()
    moved = dataclasses.replace(
        booked,
        sequence=1,
        start=booked.start + timedelta(days=1),
        end=booked.end + timedelta(days=1),
        dtstamp=STAMP + timedelta(hours=1),
    )
    cancelled = dataclasses.replace(
        moved, sequence=2, status="CANCELLED", dtstamp=STAMP + timedelta(hours=2)
    )
    parsed = [
        _parse(booking_ics(booked, method="REQUEST")),
        _parse(booking_ics(moved, method="REQUEST")),
        _parse(booking_ics(cancelled, method="CANCEL")),
    ]
    assert {str(event["UID"]) for _, event in parsed} == {"b-42@bookbot.example"}
    assert [event.decoded("SEQUENCE") for _, event in parsed] == [0, 1, 2]
    assert [str(calendar["METHOD"]) for calendar, _ in parsed] == ["REQUEST", "REQUEST", "CANCEL"]
    assert [str(event["STATUS"]) for _, event in parsed] == ["CONFIRMED", "CONFIRMED", "CANCELLED"]
    assert parsed[1][1].decoded("DTSTART") == datetime(2024, 6, 4, 14, 30, tzinfo=UTC)


def test_cancel_requires_cancelled_status() -> None:
    with pytest.raises(ValueError, match="CANCELLED"):
        booking_ics(_event(), method="CANCEL")
    with pytest.raises(ValueError, match="CONFIRMED"):
        booking_ics(_event(status="CANCELLED"), method="REQUEST")
    # A published, cancelled event is legitimate (a feed showing it as cancelled).
    _, event = _parse(booking_ics(_event(status="CANCELLED"), method="PUBLISH"))
    assert str(event["STATUS"]) == "CANCELLED"


def test_output_is_deterministic() -> None:
    assert booking_ics(_event(), method="PUBLISH") == booking_ics(_event(), method="PUBLISH")


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"start": datetime(2024, 6, 3, 16, 30)}, "aware"),  # noqa: DTZ001
        ({"dtstamp": datetime(2024, 6, 3, 16, 30)}, "aware"),  # noqa: DTZ001
        ({"end": datetime(2024, 6, 3, 16, 30, tzinfo=BERLIN)}, "after"),
        ({"sequence": -1}, "negative"),
        ({"uid": ""}, "uid"),
        ({"uid": "a\nb@x"}, "uid"),
        ({"status": "TENTATIVE"}, "status"),
        ({"url": "https://x.example/a b"}, "url"),
    ],
)
def test_invalid_events_are_rejected(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        _event(**overrides)


def test_event_is_frozen() -> None:
    event = _event()
    with pytest.raises(dataclasses.FrozenInstanceError):
        event.sequence = 3  # type: ignore[misc]


# Text as typed: anything but control characters (newline and tab allowed) and surrogates.
typed_text = st.text(
    st.one_of(st.characters(exclude_categories=("Cc", "Cs")), st.sampled_from('\n\t,;\\:"')),
    max_size=300,
)


@given(summary=typed_text, description=typed_text, location=typed_text)
# A literal backslash-N: icalendar's own escaping would turn it into a newline.
@example(summary="C:\\Nora", description="\\N\\n\\,", location="a\\;b\\")
def test_text_round_trips(summary: str, description: str, location: str) -> None:
    data = booking_ics(
        _event(summary=summary, description=description, location=location), method="PUBLISH"
    )
    _, event = _parse(data)
    assert str(event["SUMMARY"]) == summary
    assert str(event.get("DESCRIPTION", "")) == description
    assert str(event.get("LOCATION", "")) == location
    assert all(len(line) <= 75 for line in data.split(b"\r\n"))


def test_filename_is_safe_ascii() -> None:
    start = datetime(2024, 3, 31, 14, 5, tzinfo=BERLIN)
    assert ics_filename("Haircut & Beard", start) == "haircut-beard-2024-03-31-1405.ics"
    assert ics_filename("Café Crème", start) == "cafe-creme-2024-03-31-1405.ics"
    assert ics_filename("../../etc/passwd", start) == "etc-passwd-2024-03-31-1405.ics"
    assert ics_filename("Стрижка", start) == "booking-2024-03-31-1405.ics"
    assert ics_filename("", start) == "booking-2024-03-31-1405.ics"


@given(summary=st.text(max_size=500))
def test_filename_never_has_path_characters(summary: str) -> None:
    name = ics_filename(summary, datetime(2024, 1, 2, 3, 4, tzinfo=UTC))
    assert re.fullmatch(r"[a-z0-9][a-z0-9-]{0,39}-2024-01-02-0304\.ics", name), name


def test_filename_rejects_naive_start() -> None:
    with pytest.raises(ValueError, match="aware"):
        ics_filename("x", datetime(2024, 1, 2, 3, 4))  # noqa: DTZ001


def test_reminders_ride_along_with_a_confirmed_event_only() -> None:
    from datetime import timedelta

    before = (timedelta(days=1), timedelta(hours=1))
    _, event = _parse(
        booking_ics(_event(alarms=before, alarm_text="Reminder: Haircut"), method="PUBLISH")
    )
    alarms = event.walk("VALARM")
    assert [a.decoded("TRIGGER") for a in alarms] == [-before[0], -before[1]]
    assert {str(a["ACTION"]) for a in alarms} == {"DISPLAY"}
    assert {str(a["DESCRIPTION"]) for a in alarms} == {"Reminder: Haircut"}
    cancelled = _event(alarms=before, status="CANCELLED")
    _, event = _parse(booking_ics(cancelled, method="CANCEL"))
    assert event.walk("VALARM") == []
    with pytest.raises(ValueError, match="before the start"):
        _event(alarms=(timedelta(hours=-1),))
