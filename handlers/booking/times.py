"""The time screen in parts, and what people type instead of pressing a button.

A day's free times are shown at most `PART_SIZE` at once: grouped into morning (before
12:00), afternoon (12:00-17:00) and evening, a long group split into pages, every time
reachable from the part buttons. Typed text: '11:00', '11.30', '11' or '9am' is a time of
day; 'today', 'tomorrow', a weekday name ('friday', 'viernes', 'пятница', in the reader's
language or English) or a date ('24.11', '24/11/2026', '2026-11-24') is a day.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from babel import Locale

from handlers.i18n import N_, Texts

PART_SIZE = 12
NOON, EVENING = 12, 17
_PERIODS = (N_("Morning"), N_("Afternoon"), N_("Evening"))
_TIME = re.compile(r"(\d{1,2})(?:\s*[:.h]\s*(\d{2}))?\s*(am|pm|a\.m\.|p\.m\.)?", re.IGNORECASE)
_DATE = re.compile(r"(\d{1,2})[./](\d{1,2})(?:[./](\d{2}|\d{4}))?\.?")
_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


@dataclass(frozen=True, slots=True)
class Part:
    """Some of a day's times, with the label of their button."""

    label: str
    slots: Sequence[datetime]


def day_parts(t: Texts, slots: Sequence[datetime], tz: ZoneInfo) -> list[Part]:
    """The times in parts of at most PART_SIZE: all of them when they fit, else by period."""
    if len(slots) <= PART_SIZE:
        return [Part("", slots)]
    periods: list[list[datetime]] = [[], [], []]
    for slot in slots:
        hour = slot.astimezone(tz).hour
        periods[0 if hour < NOON else 1 if hour < EVENING else 2].append(slot)
    parts = []
    for name, found in zip(_PERIODS, periods, strict=True):
        chunks = [found[i : i + PART_SIZE] for i in range(0, len(found), PART_SIZE)]
        for chunk in chunks:
            label = t._(name)
            if len(chunks) > 1:
                label = t._("{period} from {time}", period=label, time=t.clock(chunk[0], tz))
            parts.append(Part(label, chunk))
    return parts


def part_label(t: Texts, part: Part) -> str:
    """The button of a part, saying what it holds ('Afternoon: 10 free times')."""
    return t.n_(
        "{period}: {n} free time", "{period}: {n} free times", len(part.slots), period=part.label
    )


def parse_time(text: str) -> time | None:
    """A time of day typed as '11:00', '11.30', '11', '9am' or '2 pm'; None if it is not."""
    match = _TIME.fullmatch(text.strip())
    if match is None:
        return None
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    suffix = (match.group(3) or "").lower().replace(".", "")
    if suffix:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if suffix == "pm" else 0)
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


def pick_time(wanted: time, slots: Sequence[datetime], tz: ZoneInfo) -> datetime | None:
    """The free slot starting at `wanted` (local time), if there is one."""
    for slot in slots:
        if slot.astimezone(tz).time().replace(tzinfo=None) == wanted:
            return slot
    return None


def nearest(
    wanted: time, slots: Sequence[datetime], tz: ZoneInfo, count: int = 3
) -> list[datetime]:
    """The free slots closest to `wanted` on their day, in time order."""
    minutes = wanted.hour * 60 + wanted.minute

    def distance(slot: datetime) -> int:
        local = slot.astimezone(tz)
        return abs(local.hour * 60 + local.minute - minutes)

    return sorted(sorted(slots, key=distance)[:count])


def _weekday_names(locale: Locale) -> dict[str, int]:
    names: dict[str, int] = {}
    for context in ("format", "stand-alone"):
        for width in ("wide", "abbreviated"):
            for index, name in locale.days[context][width].items():
                names[str(name).lower().rstrip(".")] = int(index)
    return names


def parse_day(t: Texts, text: str, today: date) -> date | None:
    """The day meant by 'today', 'tomorrow', a weekday (the next one, today included) or a
    date (this year's, or next year's if already past); None if the text is none of these."""
    word = text.strip().lower().rstrip(".!")
    if not word:
        return None
    if word in {"today", t._("today").lower()}:
        return today
    if word in {"tomorrow", t._("tomorrow").lower()}:
        return today + timedelta(days=1)
    weekdays = {**_weekday_names(Locale.parse("en")), **_weekday_names(t.locale)}
    if word in weekdays:
        return today + timedelta(days=(weekdays[word] - today.weekday()) % 7)
    iso = _ISO.fullmatch(word)
    try:
        if iso is not None:
            return date(int(iso.group(1)), int(iso.group(2)), int(iso.group(3)))
        match = _DATE.fullmatch(word)
        if match is None:
            return None
        day, month, year = int(match.group(1)), int(match.group(2)), match.group(3)
        if year is not None:
            full = int(year) + (2000 if len(year) == 2 else 0)
            return date(full, month, day)
        found = date(today.year, month, day)
        return found if found >= today else date(today.year + 1, month, day)
    except ValueError:
        return None
