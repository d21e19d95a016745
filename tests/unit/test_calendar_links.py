"""Tests for bot.domain.calendar_links: the Google Calendar add-event URL."""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime, timedelta, timezone
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.calendar_links import (
    ELLIPSIS,
    MAX_LOCATION_ENCODED,
    MAX_TITLE_ENCODED,
    MAX_URL_LENGTH,
    google_calendar_url,
)

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
START = datetime(2024, 6, 3, 14, 30, tzinfo=UTC)
END = START + timedelta(hours=1)


def _fields(url: str) -> dict[str, str]:
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == (
        "https",
        "calendar.google.com",
        "/calendar/render",
    )
    assert parts.fragment == ""
    query = parse_qs(parts.query, keep_blank_values=True, strict_parsing=True)
    assert all(len(values) == 1 for values in query.values()), query
    return {key: values[0] for key, values in query.items()}


def test_exact_fields_round_trip() -> None:
    url = google_calendar_url(
        title="Haircut & beard #2",
        start=START,
        end=END,
        details="Line one\nLine two: 50% off = great?",
        location="Straße 1, Köln",
    )
    assert _fields(url) == {
        "action": "TEMPLATE",
        "text": "Haircut & beard #2",
        "dates": "20240603T143000Z/20240603T153000Z",
        "details": "Line one\nLine two: 50% off = great?",
        "location": "Straße 1, Köln",
    }


def test_url_is_plain_ascii_with_special_characters_encoded() -> None:
    url = google_calendar_url(
        title="Стрижка & укладка", start=START, end=END, details="a\nb#c", location="x+y"
    )
    assert url.isascii()
    assert " " not in url
    assert "\n" not in url
    assert url.count("#") == 0
    assert url.count("&") == 4  # the separators only
    assert "%0A" in url  # newline
    assert "%2B" in url  # a literal plus, not a space


def test_parameter_order_and_spaces_as_percent20() -> None:
    url = google_calendar_url(title="a b", start=START, end=END, details="d", location="l")
    assert url == (
        "https://calendar.google.com/calendar/render?action=TEMPLATE&text=a%20b"
        "&dates=20240603T143000Z/20240603T153000Z&details=d&location=l"
    )


def test_empty_details_and_location_are_omitted() -> None:
    fields = _fields(google_calendar_url(title="x", start=START, end=END))
    assert set(fields) == {"action", "text", "dates"}


def test_non_utc_input_is_converted_to_utc() -> None:
    start = datetime(2024, 6, 3, 16, 30, tzinfo=BERLIN)  # CEST, UTC+2
    url = google_calendar_url(title="x", start=start, end=start + timedelta(minutes=45))
    assert _fields(url)["dates"] == "20240603T143000Z/20240603T151500Z"


def test_fixed_offset_zone() -> None:
    tz = timezone(timedelta(hours=5, minutes=30))
    start = datetime(2024, 1, 1, 0, 15, tzinfo=tz)
    url = google_calendar_url(title="x", start=start, end=start + timedelta(hours=1))
    assert _fields(url)["dates"] == "20231231T184500Z/20231231T194500Z"


@pytest.mark.parametrize(
    ("local_start", "local_end", "expected"),
    [
        # Berlin spring forward 2024-03-31 02:00 -> 03:00: 01:30 CET to 03:30 CEST is one hour.
        (
            datetime(2024, 3, 31, 1, 30, tzinfo=BERLIN),
            datetime(2024, 3, 31, 3, 30, tzinfo=BERLIN),
            "20240331T003000Z/20240331T013000Z",
        ),
        # Berlin fall back 2024-10-27 03:00 -> 02:00: first 02:30 (CEST) vs second (CET).
        (
            datetime(2024, 10, 27, 2, 30, tzinfo=BERLIN),
            datetime(2024, 10, 27, 2, 30, fold=1, tzinfo=BERLIN),
            "20241027T003000Z/20241027T013000Z",
        ),
        # New York spring forward 2024-03-10: 10:00 EDT is 14:00 UTC.
        (
            datetime(2024, 3, 10, 10, 0, tzinfo=NEW_YORK),
            datetime(2024, 3, 10, 11, 0, tzinfo=NEW_YORK),
            "20240310T140000Z/20240310T150000Z",
        ),
        # New York fall back 2024-11-03: 10:00 EST is 15:00 UTC.
        (
            datetime(2024, 11, 3, 10, 0, tzinfo=NEW_YORK),
            datetime(2024, 11, 3, 10, 30, tzinfo=NEW_YORK),
            "20241103T150000Z/20241103T153000Z",
        ),
    ],
)
def test_dst_days_render_the_right_utc(
    local_start: datetime, local_end: datetime, expected: str
) -> None:
    url = google_calendar_url(title="x", start=local_start, end=local_end)
    assert _fields(url)["dates"] == expected


def test_naive_datetimes_are_rejected() -> None:
    naive = datetime(2024, 6, 3, 14, 30)  # noqa: DTZ001
    with pytest.raises(ValueError, match="aware"):
        google_calendar_url(title="x", start=naive, end=END)
    with pytest.raises(ValueError, match="aware"):
        google_calendar_url(title="x", start=START, end=naive)


def test_end_before_start_is_rejected() -> None:
    with pytest.raises(ValueError, match="before"):
        google_calendar_url(title="x", start=END, end=START)


def test_long_details_are_truncated_with_ellipsis_at_a_word() -> None:
    details = " ".join(f"word{i}" for i in range(2000))
    url = google_calendar_url(title="Massage", start=START, end=END, details=details)
    assert len(url) <= MAX_URL_LENGTH
    got = _fields(url)["details"]
    assert got.endswith(ELLIPSIS)
    kept = got.removesuffix(ELLIPSIS)
    assert details.startswith(kept)
    assert details[len(kept)] == " "  # cut at a word boundary, not inside a word
    assert len(url) > MAX_URL_LENGTH - 60  # the budget is actually used


def test_long_non_ascii_details_fit_and_keep_whole_characters() -> None:
    details = "🙂ё" * 3000
    url = google_calendar_url(title="x", start=START, end=END, details=details)
    assert len(url) <= MAX_URL_LENGTH
    got = _fields(url)["details"]
    assert got.endswith(ELLIPSIS)
    assert details.startswith(got.removesuffix(ELLIPSIS))


def test_combining_accent_is_not_split_from_its_letter() -> None:
    details = "e\u0301" * 2000  # "é" as e + combining acute
    got = _fields(google_calendar_url(title="x", start=START, end=END, details=details))["details"]
    kept = got.removesuffix(ELLIPSIS)
    assert kept.endswith("e\u0301")


def test_huge_title_and_location_still_fit() -> None:
    url = google_calendar_url(
        title="T" * 5000, start=START, end=END, details="D" * 5000, location="Ж" * 5000
    )
    assert len(url) <= MAX_URL_LENGTH
    fields = _fields(url)
    for key in ("text", "details", "location"):
        assert fields[key].endswith(ELLIPSIS), key
    assert len(fields["details"]) > 100  # details still get a useful share


def test_text_is_tidied() -> None:
    url = google_calendar_url(
        title="Cut\r\nand dry", start=START, end=END, details="a\r\nb\rc\x00d\x1be\tf"
    )
    fields = _fields(url)
    assert fields["text"] == "Cut and dry"
    assert fields["details"] == "a\nb\ncd" + "e\tf"


# Text as a user could type it: anything but control characters and lone surrogates.
typed_text = st.text(st.characters(exclude_categories=("Cc", "Cs")), max_size=3000)


@given(title=typed_text, details=typed_text, location=typed_text)
def test_round_trip_modulo_truncation(title: str, details: str, location: str) -> None:
    url = google_calendar_url(title=title, start=START, end=END, details=details, location=location)
    assert len(url) <= MAX_URL_LENGTH
    assert url.isascii()
    fields = _fields(url)
    for key, sent in (("text", title), ("details", details), ("location", location)):
        got = fields.get(key, "")
        if got == sent:
            continue
        # Only truncation may change a value: a prefix of the input plus the ellipsis.
        assert got.endswith(ELLIPSIS), (key, sent, got)
        assert sent.startswith(got.removesuffix(ELLIPSIS)), key
        assert len(got) <= len(sent)
    # Worst case one character of UTF-8 is three characters encoded; below every cap no cut.
    worst = {key: len(sent.encode()) * 3 for key, sent in (("t", title), ("l", location))}
    total = worst["t"] + worst["l"] + len(details.encode()) * 3
    if worst["t"] <= MAX_TITLE_ENCODED and worst["l"] <= MAX_LOCATION_ENCODED and total < 1800:
        assert fields["text"] == title
        assert fields.get("details", "") == details
        assert fields.get("location", "") == location


@given(details=st.text(max_size=300))
def test_arbitrary_text_never_breaks_the_url(details: str) -> None:
    url = google_calendar_url(title="x", start=START, end=END, details=details)
    assert url.isascii()
    got = _fields(url).get("details", "")
    unified = details.replace("\r\n", "\n").replace("\r", "\n")
    assert got == "".join(ch for ch in unified if ch in "\n\t" or unicodedata.category(ch) != "Cc")
