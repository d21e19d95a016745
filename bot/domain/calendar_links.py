"""Add-to-calendar links: the Google Calendar "render?action=TEMPLATE" URL for a booking.

The URL carries the event in query parameters (``text``, ``dates``, ``details``,
``location``); ``dates`` is ``YYYYMMDDTHHMMSSZ/YYYYMMDDTHHMMSSZ`` in UTC, so the reader's
calendar shows it in their own zone. Every value is percent-encoded as UTF-8 (``%20`` for
spaces), so non-ASCII text, newlines, ``&``, ``#`` and ``=`` survive the trip.

The link is meant for a Telegram URL button. Telegram documents no maximum for button URLs,
so we keep the whole URL within :data:`MAX_URL_LENGTH` (2000 characters, the common
conservative limit for URLs that every browser and proxy accepts). To stay within it, the
title is cut to :data:`MAX_TITLE_ENCODED` and the location to :data:`MAX_LOCATION_ENCODED`
encoded characters, and the details get whatever room is left. A cut value ends in
:data:`ELLIPSIS`, preferably at a word boundary.

Text is also tidied before encoding: ``\\r\\n`` and ``\\r`` become ``\\n``, other control
characters (except tab) are dropped, and newlines in the title become spaces.
"""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime
from urllib.parse import quote

__all__ = [
    "ELLIPSIS",
    "GOOGLE_RENDER_URL",
    "MAX_LOCATION_ENCODED",
    "MAX_TITLE_ENCODED",
    "MAX_URL_LENGTH",
    "google_calendar_url",
]

GOOGLE_RENDER_URL = "https://calendar.google.com/calendar/render"
MAX_URL_LENGTH = 2000
MAX_TITLE_ENCODED = 600
MAX_LOCATION_ENCODED = 400
ELLIPSIS = "…"

_WORD_BREAK_WINDOW = 30  # look this many characters back for a space to cut at
_KEPT_CONTROLS = frozenset("\n\t")


def google_calendar_url(
    *,
    title: str,
    start: datetime,
    end: datetime,
    details: str = "",
    location: str = "",
) -> str:
    """Build a Google Calendar "add event" URL, at most MAX_URL_LENGTH characters long."""
    start_utc = _to_utc(start, "start")
    end_utc = _to_utc(end, "end")
    if end_utc < start_utc:
        raise ValueError("end must not be before start")

    clean_title = _tidy(title).replace("\n", " ")
    prefix = (
        f"{GOOGLE_RENDER_URL}?action=TEMPLATE"
        f"&text={_truncate_encoded(clean_title, MAX_TITLE_ENCODED)}"
        f"&dates={_stamp(start_utc)}/{_stamp(end_utc)}"
    )
    clean_location = _tidy(location)
    location_part = ""
    if clean_location:
        location_part = f"&location={_truncate_encoded(clean_location, MAX_LOCATION_ENCODED)}"
    details_part = ""
    clean_details = _tidy(details)
    if clean_details:
        budget = MAX_URL_LENGTH - len(prefix) - len(location_part) - len("&details=")
        encoded = _truncate_encoded(clean_details, budget)
        if encoded:
            details_part = f"&details={encoded}"
    return prefix + details_part + location_part


def _to_utc(moment: datetime, name: str) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime")
    return moment.astimezone(UTC)


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y%m%dT%H%M%SZ")


def _tidy(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return "".join(
        ch for ch in text if ch in _KEPT_CONTROLS or unicodedata.category(ch) not in ("Cc", "Cs")
    )


def _encode(text: str) -> str:
    return quote(text, safe="", encoding="utf-8", errors="strict")


def _truncate_encoded(text: str, budget: int) -> str:
    """Percent-encode text, cutting it (with an ellipsis) so the result fits in budget."""
    encoded = _encode(text)
    if len(encoded) <= budget:
        return encoded
    room = budget - len(_encode(ELLIPSIS))
    if room <= 0:
        return ""
    cut = 0
    used = 0
    for ch in text:
        size = len(_encode(ch))
        if used + size > room:
            break
        used += size
        cut += 1
    while 0 < cut < len(text) and unicodedata.combining(text[cut]):
        cut -= 1  # never strip an accent off its letter
    head = text[:cut]
    space = max(head.rfind(" "), head.rfind("\n"), head.rfind("\t"))
    if space > 0 and cut - space <= _WORD_BREAK_WINDOW:
        head = head[:space]
    head = head.rstrip()
    return _encode(head + ELLIPSIS)
