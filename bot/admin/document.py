"""The whole configuration as one setup document: the `[business]` table, `[[services]]` and
`[[staff]]` exactly as `bookbot load-config` reads them.

Settings made in chat are edits of this document, validated by the same rules as a setup
file (`bot.setup_file.validate_setup`) and applied by the same loader, so a chat change and
a file load can never disagree; `to_toml` turns it into the file the Export screen sends,
which loads back to the same configuration. Only active services and staff are in it (a
file that leaves one out deactivates it, which they already are).
"""

from __future__ import annotations

import copy
import json
import re
import unicodedata
from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal
from typing import Any

import tomli_w

from bot import service_texts
from bot.business import BusinessSettings
from bot.domain.money import decimals
from bot.setup_file import WEEKDAYS
from storage.catalog import CatalogRepository
from storage.records import OverrideRow, ServiceRecord

Document = dict[str, Any]
_EVERY_DAY = date.min  # overrides from any date: a rewrite must keep past days off too
_NOT_SLUG = re.compile(r"[^a-z0-9]+")
MAX_SLUG = 40


def clock_text(minute: int) -> str:
    """540 -> '09:00'; 1440 -> '24:00' (an end of day)."""
    return f"{minute // 60:02d}:{minute % 60:02d}"


def range_text(start: int, end: int) -> str:
    """(540, 780) -> '09:00-13:00'."""
    return f"{clock_text(start)}-{clock_text(end)}"


def price_text(minor: int, currency: str) -> str:
    """4550 EUR -> '45.50'; the exact amount in major units, as the setup file reads it."""
    places = decimals(currency)
    return f"{Decimal(minor).scaleb(-places):.{places}f}"


def _minutes(value: Any) -> int:
    return int(value.total_seconds() // 60)


def business_table(business: BusinessSettings) -> dict[str, Any]:
    """The `[business]` table of these settings."""
    cutoff_hours = business.cancellation_cutoff.total_seconds() / 3600
    return {
        "name": business.name,
        "address": business.address,
        "timezone": business.timezone,
        "horizon_days": business.horizon_days,
        "min_notice_minutes": _minutes(business.min_notice),
        "slot_step_minutes": _minutes(business.slot_step),
        "cancellation_cutoff_hours": int(cutoff_hours)
        if cutoff_hours == int(cutoff_hours)
        else cutoff_hours,
        "ask_phone": business.ask_phone,
        "ask_email": business.ask_email,
        "max_active_bookings": business.max_active_bookings,
        "event_title": business.event_title,
        "event_description": business.event_description,
        "event_meet": business.event_meet,
        "event_invite_customer": business.event_invite_customer,
        "event_send_updates": business.event_send_updates,
        "default_language": business.default_language,
        "reminder_offsets_hours": [_hours(offset) for offset in business.reminder_offsets],
        "contact_phone": business.contact_phone,
        "contact_telegram": business.contact_telegram,
        "contact_email": business.contact_email,
    }


def _hours(value: Any) -> int | float:
    """timedelta(hours=2) -> 2; timedelta(minutes=90) -> 1.5 (as the setup file writes it)."""
    hours = value.total_seconds() / 3600
    return int(hours) if hours == int(hours) else hours


def _service_table(
    service: ServiceRecord, translations: service_texts.Translations
) -> dict[str, Any]:
    table: dict[str, Any] = {
        "id": service.slug,
        "name": service.name,
        "description": service.description,
        "duration_minutes": _minutes(service.duration),
        "currency": service.currency,
        "buffer_before_minutes": _minutes(service.buffer_before),
        "buffer_after_minutes": _minutes(service.buffer_after),
    }
    if service.price_minor:
        table["price"] = price_text(service.price_minor, service.currency)
    given = translations.get(service.slug)
    if given:
        table["translations"] = {code: dict(texts) for code, texts in sorted(given.items())}
    return table


def _overrides(rows: Iterable[OverrideRow]) -> tuple[list[date], dict[str, list[str]]]:
    days_off: list[date] = []
    special: dict[str, list[str]] = {}
    for row in rows:
        if row.start_minute is None or row.end_minute is None:
            days_off.append(row.day)
        else:
            special.setdefault(row.day.isoformat(), []).append(
                range_text(row.start_minute, row.end_minute)
            )
    return sorted(set(days_off)), dict(sorted(special.items()))


async def read_document(
    catalog: CatalogRepository,
    business: BusinessSettings,
    translations: service_texts.Translations | None = None,
) -> Document:
    """The current configuration as a setup document (with the services' translations when
    given, see `bot.service_texts`)."""
    services = await catalog.active_services()
    slugs = {s.id: s.slug for s in services}
    staff = [m for m in await catalog.all_staff() if m.active]
    hours = await catalog.hours([m.id for m in staff], _EVERY_DAY)
    offered = await _offered_services(catalog, [s.id for s in services])
    members = []
    for member in staff:
        weekly: dict[str, list[str]] = {}
        for row in hours[member.id].weekly:
            weekly.setdefault(WEEKDAYS[row.weekday], []).append(
                range_text(row.start_minute, row.end_minute)
            )
        days_off, special = _overrides(hours[member.id].overrides)
        table: dict[str, Any] = {
            "id": member.slug,
            "name": member.name,
            "services": [slugs[s.id] for s in services if member.id in offered.get(s.id, set())],
            "hours": {day: weekly[day] for day in WEEKDAYS if day in weekly},
        }
        if days_off:
            table["days_off"] = days_off
        if special:
            table["special_hours"] = special
        members.append(table)
    return {
        "business": business_table(business),
        "services": [_service_table(s, translations or {}) for s in services],
        "staff": members,
    }


async def _offered_services(
    catalog: CatalogRepository, service_ids: list[int]
) -> dict[int, set[int]]:
    """Service id -> ids of the active staff offering it."""
    return {i: {m.id for m in await catalog.staff_for_service(i)} for i in service_ids}


def to_toml(document: Document) -> str:
    """The document as a setup file (`bookbot load-config` reads it back)."""
    header = (
        "# bookbot configuration, exported from chat. Load it with: bookbot load-config FILE\n"
        "# Prices are in whole units of the currency; times are HH:MM-HH:MM in the business\n"
        "# time zone.\n\n"
    )
    return header + tomli_w.dumps(copy.deepcopy(document), multiline_strings=True)


def flatten(document: Mapping[str, Any]) -> dict[str, str]:
    """Every leaf of the document under a readable path, for the audit log:
    'business.timezone', 'service "cut".price', 'staff "anna".hours.mon'."""
    flat: dict[str, str] = {}
    for key, value in document.get("business", {}).items():
        flat[f"business.{key}"] = _text(value)
    for kind, label in (("services", "service"), ("staff", "staff")):
        for item in document.get(kind, []):
            prefix = f"{label} {json.dumps(item['id'])}"
            flat[prefix] = "active"
            for key, value in item.items():
                if key == "id":
                    continue
                if isinstance(value, dict):
                    for sub, subvalue in value.items():
                        flat[f"{prefix}.{key}.{sub}"] = _text(subvalue)
                else:
                    flat[f"{prefix}.{key}"] = _text(value)
    return flat


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return ", ".join(_text(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def new_slug(name: str, taken: Iterable[str], fallback: str) -> str:
    """A setup-file id for a new item, from its name: 'Hair Colour' -> 'hair-colour';
    '-2', '-3'... when taken (archived items keep theirs); `fallback` for names without
    latin letters or digits."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    base = _NOT_SLUG.sub("-", ascii_name.lower()).strip("-")[: MAX_SLUG - 4] or fallback
    used = set(taken)
    slug, number = base, 2
    while slug in used:
        slug = f"{base}-{number}"
        number += 1
    return slug
