"""Typed values read leniently, checked strictly: each parser returns the value in the form
the setup document holds, or raises ValueError whose message (translated) says precisely
what is wrong and shows an example, so the admin stays on the step and tries again.

Durations `45m`, `1h30`, `1h 30m`, `1:30`, `90`, `2d`; prices `25`, `25.50`, `25,50`,
`25 USD`; hours `09:00-13:00, 14:00-18:00`, `9-17`, `off`; dates `2026-12-24`, `24.12.`,
`24.12.2026` and ranges of them; IANA time zones with suggestions for near misses.
"""

from __future__ import annotations

import difflib
import itertools
import re
from datetime import date, timedelta
from decimal import Decimal
from functools import cache
from zoneinfo import available_timezones

from babel import Locale, UnknownLocaleError

from bot.admin.document import price_text, range_text
from bot.domain.event_template import MAX_TEMPLATE_CHARS, PLACEHOLDERS, InvalidTemplate
from bot.domain.event_template import placeholders as template_placeholders
from bot.domain.money import MAX_PRICE, UnknownCurrency, check_currency, decimals, parse_price
from handlers.i18n import Texts

MAX_NAME = 100
MAX_TEXT = 1000
DAY_MINUTES = 24 * 60
_DURATION = re.compile(
    r"(?:(?P<days>\d+)\s*d(?:ays?)?)?\s*"
    r"(?:(?P<hours>\d+(?:[.,]\d+)?)\s*h(?:ours?|rs?)?)?\s*"
    r"(?:(?P<minutes>\d+)\s*(?:m|min|mins|minutes?)?)?",
    re.IGNORECASE,
)
_CLOCK_DURATION = re.compile(r"(\d{1,3}):([0-5]\d)")
_TIME = re.compile(r"(\d{1,2})(?:[:.](\d{2}))?")
_RANGE_SPLIT = re.compile(r"\s*[-–—]\s*|\s+to\s+", re.IGNORECASE)
_OFF_WORDS = {"off", "closed", "-", "none", "0", "no"}
_ISO_DAY = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_DOTTED_DAY = re.compile(r"(\d{1,2})[./](\d{1,2})[./]?(\d{2,4})?\.?")
_AMOUNT = re.compile(r"\d+(?:[.,]\d+)?")
_CURRENCY = re.compile(r"[A-Za-z]{3}")


def text_value(t: Texts, text: str, *, most: int = MAX_TEXT, required: bool = True) -> str:
    """Free text (a name, an address, a description), trimmed and bounded."""
    value = text.strip()
    if required and not value:
        raise ValueError(t._("Please type some text."))
    if len(value) > most:
        raise ValueError(
            t._(
                "That is {length} characters long; at most {most} fit.",
                length=len(value),
                most=most,
            )
        )
    return value


def duration_minutes(t: Texts, text: str, *, least: int, most: int) -> int:
    """'45m', '1h30', '1h 30m', '1:30', '90' (minutes), '1.5h', '2d' -> minutes."""
    raw = text.strip().lower().replace(" ", "")
    minutes: int | None = None
    clock = _CLOCK_DURATION.fullmatch(raw)
    if clock:
        minutes = int(clock.group(1)) * 60 + int(clock.group(2))
    elif raw and (match := _DURATION.fullmatch(raw)) and any(match.groupdict().values()):
        days = int(match["days"] or 0)
        hours = Decimal((match["hours"] or "0").replace(",", "."))
        whole = days * DAY_MINUTES + hours * 60 + int(match["minutes"] or 0)
        if whole == whole.to_integral_value():
            minutes = int(whole)
    if minutes is None:
        raise ValueError(
            t._(
                "“{text}” is not a duration. Write minutes, or hours and minutes, "
                "e.g. 45m, 1h30 or 90.",
                text=text.strip(),
            )
        )
    if minutes < least:
        raise ValueError(t._("That is too short: at least {least}.", least=minutes_text(t, least)))
    if minutes > most:
        raise ValueError(t._("That is too long: at most {most}.", most=minutes_text(t, most)))
    return minutes


def minutes_text(t: Texts, minutes: int) -> str:
    """90 -> '1 h 30 min'; 2880 -> '2 d'."""
    days, rest = divmod(minutes, DAY_MINUTES)
    hours, mins = divmod(rest, 60)
    parts = []
    if days:
        parts.append(t._("{n} d", n=days))
    if hours:
        parts.append(t._("{n} h", n=hours))
    if mins or not parts:
        parts.append(t._("{n} min", n=mins))
    return " ".join(parts)


def whole_number(t: Texts, text: str, *, least: int, most: int) -> int:
    """A whole number within bounds."""
    value = text.strip()
    if not value.isdigit():
        raise ValueError(t._("“{text}” is not a whole number, e.g. 30.", text=value))
    number = int(value)
    if not least <= number <= most:
        raise ValueError(
            t._("Please give a number from {least} to {most}.", least=least, most=most)
        )
    return number


def price(t: Texts, text: str, currency: str) -> tuple[str, str | None]:
    """'25', '25.50', '25,50', '25 USD' -> ('25.50', 'USD' or None if unchanged)."""
    parts = text.strip().replace("\u00a0", " ").split()
    codes = [p.upper() for p in parts if _CURRENCY.fullmatch(p)]
    amounts = [p for p in parts if not _CURRENCY.fullmatch(p)]
    example = t._(
        "Write the amount like 25, 25.50 or 25,50, and a currency code to change it, e.g. 25 USD."
    )
    if len(codes) > 1 or len(amounts) != 1 or not _AMOUNT.fullmatch(amounts[0]):
        raise ValueError(t._("“{text}” is not a price.", text=text.strip()) + " " + example)
    new_currency = codes[0] if codes else None
    if new_currency is not None:
        try:
            check_currency(new_currency)
        except UnknownCurrency:
            raise ValueError(
                t._(
                    "“{code}” is not a currency code I know (e.g. EUR, USD, GBP).",
                    code=new_currency,
                )
            ) from None
    code = new_currency or currency
    amount = amounts[0]
    whole, _, fraction = amount.replace(",", ".").partition(".")
    if "," in amount and len(fraction) == 3:
        raise ValueError(
            t._(
                "“{text}” could mean thousands or decimals: write {whole}{fraction} or "
                "{whole}.{fraction}.",
                text=amount,
                whole=whole,
                fraction=fraction,
            )
        )
    if len(fraction) > decimals(code):
        raise ValueError(
            t._(
                "{currency} has {n} decimals; “{text}” has more.",
                currency=code,
                n=decimals(code),
                text=amount,
            )
        )
    if Decimal(f"{whole}.{fraction or 0}") > MAX_PRICE:
        raise ValueError(t._("That is more than {most} {currency}.", most=MAX_PRICE, currency=code))
    return price_text(parse_price(amount, code), code), new_currency


def _minute_of(t: Texts, text: str, *, end: bool) -> int:
    match = _TIME.fullmatch(text.strip())
    if match is None:
        raise ValueError(
            t._("“{text}” is not a time of day like 9, 09:00 or 17:30.", text=text.strip())
        )
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    if minute > 59 or hour > 24 or (hour == 24 and (minute or not end)):
        raise ValueError(
            t._("“{text}” is not a time of day like 9, 09:00 or 17:30.", text=text.strip())
        )
    return hour * 60 + minute


def day_ranges(t: Texts, text: str) -> list[str]:
    """'09:00-13:00, 14:00-18:00', '9-17', 'off' -> ['09:00-13:00', ...] ([] for off)."""
    value = text.strip().lower()
    if value in _OFF_WORDS:
        return []
    spans = []
    for part in re.split(r"\s*[,;]\s*|\s+(?=\d{1,2}(?:[:.]\d{2})?\s*[-–—])", value):
        if not part:
            continue
        ends = _RANGE_SPLIT.split(part)
        if len(ends) != 2:
            raise ValueError(
                t._(
                    "“{text}” is not a range of hours. Write e.g. 09:00-13:00, 14:00-18:00 or "
                    "9-17, or “off”.",
                    text=part,
                )
            )
        start, end = _minute_of(t, ends[0], end=False), _minute_of(t, ends[1], end=True)
        if start >= end:
            backwards = ends[0] + "-" + ends[1]
            raise ValueError(t._("{range} ends before it starts.", range=backwards))
        spans.append((start, end))
    if not spans:
        raise ValueError(t._("Write the hours, e.g. 09:00-13:00, 14:00-18:00 or 9-17, or “off”."))
    spans.sort()
    for (_, end), (start, _) in itertools.pairwise(spans):
        if start < end:
            raise ValueError(t._("Those ranges overlap. Write each time once."))
    return [range_text(start, end) for start, end in spans]


def one_date(t: Texts, text: str, today: date) -> date:
    """'2026-12-24', '24.12.', '24.12.2026', '24/12' -> a date (no year: the next one)."""
    value = text.strip()
    example = t._("Write a date like 2026-12-24 or 24.12.")
    iso = _ISO_DAY.fullmatch(value)
    dotted = None if iso else _DOTTED_DAY.fullmatch(value)
    try:
        if iso:
            day = date(int(iso[1]), int(iso[2]), int(iso[3]))
        elif dotted:
            year = dotted[3]
            if year is None:
                day = date(today.year, int(dotted[2]), int(dotted[1]))
                if day < today:
                    day = date(today.year + 1, day.month, day.day)
            else:
                full = int(year) + (2000 if len(year) == 2 else 0)
                day = date(full, int(dotted[2]), int(dotted[1]))
        else:
            raise ValueError(t._("“{text}” is not a date.", text=value) + " " + example)
    except ValueError as err:
        if iso or dotted:
            raise ValueError(
                t._("“{text}” is not a date in the calendar.", text=value) + " " + example
            ) from err
        raise
    if day < today:
        raise ValueError(t._("{day} is in the past.", day=t.date(day)))
    if day > today + timedelta(days=3 * 366):
        raise ValueError(t._("{day} is too far ahead.", day=t.date(day)))
    return day


def date_range(t: Texts, text: str, today: date) -> tuple[date, date]:
    """A date or 'first - last' ('24.12.-26.12.', '2026-12-24 - 2026-12-26')."""
    value = text.strip()
    pieces = re.split(r"\s+[-–—]\s+|\s*[–—]\s*|(?<=\.)-|\s+to\s+", value)
    if len(pieces) == 1 and _ISO_DAY.fullmatch(value) is None and value.count("-") == 1:
        pieces = value.split("-")
    if len(pieces) > 2:
        raise ValueError(t._("Write one date, or two joined by a dash, e.g. 24.12.-26.12."))
    first = one_date(t, pieces[0], today)
    last = one_date(t, pieces[-1], today) if len(pieces) == 2 else first
    if last < first:
        raise ValueError(t._("The range ends before it starts."))
    if (last - first).days > 366:
        raise ValueError(t._("At most a year at a time, please."))
    return first, last


def special_day(t: Texts, text: str, today: date) -> tuple[date, list[str]]:
    """'2026-12-24 10:00-14:00' -> the date and its hours ('off' gives none)."""
    value = text.strip()
    first, _, rest = value.partition(" ")
    if not rest.strip():
        raise ValueError(t._("Write a date and its hours, e.g. 2026-12-24 10:00-14:00."))
    return one_date(t, first, today), day_ranges(t, rest)


@cache
def _zones() -> dict[str, str]:
    """Lower-case names -> IANA names: 'europe/helsinki' and 'helsinki' both."""
    names: dict[str, str] = {}
    cities: dict[str, list[str]] = {}
    for zone in available_timezones():
        names[zone.lower()] = zone
        city = zone.rsplit("/", 1)[-1].lower().replace("_", " ")
        cities.setdefault(city, []).append(zone)
    for city, zones in cities.items():
        if len(zones) == 1 and city not in names:
            names[city] = zones[0]
    return names


def time_zone(t: Texts, text: str) -> str:
    """An IANA zone ('Europe/Helsinki', 'helsinki'); near misses get suggestions."""
    value = text.strip()
    key = value.lower().replace("_", " ")
    zones = _zones()
    for candidate in (value.lower(), key, key.replace(" ", "_")):
        if candidate in zones:
            return zones[candidate]
    close = difflib.get_close_matches(key, list(zones), n=3, cutoff=0.75)
    suggestions = sorted({zones[c] for c in close})
    if suggestions:
        raise ValueError(
            t._(
                "“{text}” is not a time zone I know. Did you mean {suggestions}?",
                text=value,
                suggestions=", ".join(suggestions),
            )
        )
    raise ValueError(
        t._(
            "“{text}” is not a time zone I know. Write an IANA name like Europe/Helsinki.",
            text=value,
        )
    )


def language(t: Texts, text: str) -> str:
    """A language code ('en', 'es', 'pt-BR')."""
    value = text.strip()
    try:
        Locale.parse(value.replace("-", "_"))
    except (ValueError, UnknownLocaleError):
        raise ValueError(
            t._("“{text}” is not a language code. Write e.g. en, es or pt-BR.", text=value)
        ) from None
    return value


def template(t: Texts, text: str) -> str:
    """An event title or description template; unknown placeholders are refused."""
    value = text.strip()
    if len(value) > MAX_TEMPLATE_CHARS:
        raise ValueError(
            t._("A template can be at most {most} characters.", most=MAX_TEMPLATE_CHARS)
        )
    known = ", ".join("{" + p + "}" for p in PLACEHOLDERS)
    try:
        names = template_placeholders(value)
    except InvalidTemplate:
        raise ValueError(
            t._(
                "A brace is not closed. Write {{{{ and }}}} for a brace itself. "
                "You can use: {known}",
                known=known,
            )
        ) from None
    for name in names:
        if name not in PLACEHOLDERS:
            raise ValueError(
                t._(
                    "{name} is not a placeholder. You can use: {known}",
                    name="{" + name + "}",
                    known=known,
                )
            )
    return value


def day_and_time(t: Texts, text: str, today: date) -> tuple[date, int]:
    """'2026-11-25 14:00', '25.11. 14:30', '25.11 9' -> the date and the minute of the day."""
    value = text.strip()
    day_text, _, time_text = value.rpartition(" ")
    if not day_text.strip():
        raise ValueError(t._("Write the day and the time, e.g. 2026-12-24 14:00 or 24.12. 14:30."))
    return one_date(t, day_text.strip(), today), _minute_of(t, time_text, end=False)


def reminder_offsets(t: Texts, text: str, *, least: int, most: int, count: int) -> list[int]:
    """'24h, 2h' -> [1440, 120] minutes before the appointment; 'off' -> none."""
    value = text.strip().lower()
    if value in _OFF_WORDS:
        return []
    offsets = [
        duration_minutes(t, part, least=least, most=most)
        for part in re.split(r"\s*[,;]\s*|\s+and\s+", value)
        if part
    ]
    if len(offsets) > count:
        raise ValueError(t._("At most {n} reminders, please.", n=count))
    if len(set(offsets)) != len(offsets):
        raise ValueError(t._("Each reminder once, please: two of them are the same."))
    return sorted(offsets, reverse=True)
