"""RFC 5545 calendar files (.ics) for a booking, built with the ``icalendar`` library.

One booking is one VEVENT whose UID never changes (e.g. ``f"{booking_id}@{domain}"``).
Each reschedule or cancellation sends the same UID with a higher SEQUENCE, so calendar apps
update the entry they already have instead of adding a second one; a file with
``METHOD:CANCEL``, ``STATUS:CANCELLED`` and a higher SEQUENCE removes it (RFC 5546 iTIP).

All times are written in UTC (``...Z``), so no VTIMEZONE is needed. DTSTAMP is passed in:
this module never reads the clock. Text is tidied before it is written: ``\\r\\n`` and
``\\r`` become ``\\n`` and control characters other than newline and tab are dropped (RFC 5545
TEXT forbids them); then commas, semicolons, backslashes and newlines are escaped exactly as
RFC 5545 3.3.11 says (`_ExactText`), since the library's own escaping turns a literal
backslash followed by ``N`` into a newline.

VALARM reminders (DISPLAY, a time before the start) ride along with a confirmed event.

ORGANIZER carries the business name as its CN. iTIP needs a calendar address there, so when
no organizer e-mail is given we use ``mailto:noreply@<domain of the UID>``.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from icalendar import Alarm, Calendar, Event, vCalAddress, vText

__all__ = ["PRODID", "IcsEvent", "IcsMethod", "IcsStatus", "booking_ics", "ics_filename"]

PRODID = "-//bookbot//bookbot//EN"

IcsMethod = Literal["PUBLISH", "REQUEST", "CANCEL"]
IcsStatus = Literal["CONFIRMED", "CANCELLED"]

_KEPT_CONTROLS = frozenset("\n\t")
_FALLBACK_DOMAIN = "bookbot.invalid"
_FILENAME_STEM_MAX = 40


class _ExactText(vText):
    """A TEXT value escaped exactly per RFC 5545 3.3.11 (backslash first, then ``;``, ``,``
    and newline). icalendar's vText first rewrites a literal ``\\N`` as a newline escape."""

    def to_ical(self) -> bytes:
        escaped = (
            self.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")
        )
        return escaped.encode("utf-8")


@dataclass(frozen=True, slots=True, kw_only=True)
class IcsEvent:
    """One booking as a calendar event; validated on construction."""

    uid: str
    sequence: int
    start: datetime
    end: datetime
    summary: str
    organizer_name: str
    dtstamp: datetime
    status: IcsStatus = "CONFIRMED"
    description: str = ""
    location: str = ""
    organizer_email: str = ""
    url: str | None = None
    alarms: tuple[timedelta, ...] = ()  # VALARM reminders this long before the start
    alarm_text: str = ""  # what a reminder says (the summary when empty)

    def __post_init__(self) -> None:
        if not self.uid or self.uid != self.uid.strip() or _has_control(self.uid):
            raise ValueError("uid must be non-empty, without spaces around or control characters")
        if self.sequence < 0:
            raise ValueError("sequence must not be negative")
        for name in ("start", "end", "dtstamp"):
            moment: datetime = getattr(self, name)
            if moment.tzinfo is None or moment.utcoffset() is None:
                raise ValueError(f"{name} must be an aware datetime")
        # Compare in UTC: same-zone comparison uses wall time and ignores fold (DST fall back).
        if self.end.astimezone(UTC) <= self.start.astimezone(UTC):
            raise ValueError("end must be after start")
        if self.status not in ("CONFIRMED", "CANCELLED"):
            raise ValueError(f"unknown status {self.status!r}")
        if any(before < timedelta(0) for before in self.alarms):
            raise ValueError("alarms are given as a time before the start, not negative")
        if self.url is not None and (not self.url or _has_control(self.url) or " " in self.url):
            raise ValueError("url must be a non-empty URI without spaces")


def booking_ics(event: IcsEvent, *, method: IcsMethod) -> bytes:
    """Serialize one booking as an RFC 5545 VCALENDAR with the given iTIP method."""
    if method not in ("PUBLISH", "REQUEST", "CANCEL"):
        raise ValueError(f"unknown method {method!r}")
    if method == "CANCEL" and event.status != "CANCELLED":
        raise ValueError("METHOD:CANCEL needs status CANCELLED")
    if method == "REQUEST" and event.status != "CONFIRMED":
        raise ValueError("METHOD:REQUEST needs status CONFIRMED")

    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)

    vevent = Event()
    vevent.add("uid", event.uid)
    vevent.add("sequence", event.sequence)
    vevent.add("dtstamp", event.dtstamp.astimezone(UTC))
    vevent.add("dtstart", event.start.astimezone(UTC))
    vevent.add("dtend", event.end.astimezone(UTC))
    vevent.add("summary", _ExactText(_tidy(event.summary)))
    if event.description:
        vevent.add("description", _ExactText(_tidy(event.description)))
    if event.location:
        vevent.add("location", _ExactText(_tidy(event.location)))
    vevent.add("status", event.status)
    vevent.add("transp", "TRANSPARENT" if event.status == "CANCELLED" else "OPAQUE")
    vevent.add("organizer", _organizer(event))
    if event.url is not None:
        vevent.add("url", event.url)
    if event.status == "CONFIRMED":
        for before in event.alarms:
            alarm = Alarm()
            alarm.add("action", "DISPLAY")
            alarm.add("trigger", -before)
            alarm.add("description", _ExactText(_tidy(event.alarm_text or event.summary)))
            vevent.add_component(alarm)
    calendar.add_component(vevent)
    result: bytes = calendar.to_ical()
    return result


def ics_filename(summary: str, start: datetime) -> str:
    """Return a safe ASCII attachment name like ``haircut-2024-03-31-1430.ics``."""
    if start.tzinfo is None or start.utcoffset() is None:
        raise ValueError("start must be an aware datetime")
    ascii_text = unicodedata.normalize("NFKD", summary).encode("ascii", "ignore").decode()
    stem = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    stem = stem[:_FILENAME_STEM_MAX].rstrip("-") or "booking"
    return f"{stem}-{start.strftime('%Y-%m-%d-%H%M')}.ics"


def _organizer(event: IcsEvent) -> vCalAddress:
    if event.organizer_email:
        address = event.organizer_email
    else:
        domain = event.uid.rpartition("@")[2] if "@" in event.uid else ""
        address = f"noreply@{domain or _FALLBACK_DOMAIN}"
    organizer = vCalAddress(f"mailto:{address}")
    name = " ".join(_tidy(event.organizer_name).split())
    if name:
        organizer.params["CN"] = vText(name)
    return organizer


def _has_control(text: str) -> bool:
    return any(unicodedata.category(ch) == "Cc" for ch in text)


def _tidy(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return "".join(
        ch for ch in text if ch in _KEPT_CONTROLS or unicodedata.category(ch) not in ("Cc", "Cs")
    )
