"""`bookbot load-config business.toml`: services, staff, hours and business settings.

The file is validated as a whole before anything is written, and loading the same file
twice changes nothing (services and staff are matched by their `id` in the file). Services
and staff that disappear from the file are deactivated, never deleted: bookings keep them.

Prices: `price` is in major units (45 or 45.50 or "45,50" EUR); `price_minor` is in minor
units (4500 cents). Every number is bounded, so nothing downstream can overflow.
"""

from __future__ import annotations

import itertools
import json
import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale, UnknownLocaleError
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    ValidationError,
    field_validator,
    model_validator,
)

from bot import service_texts
from bot.business import MAX_ACTIVE_BOOKINGS_LIMIT, MAX_HORIZON_DAYS, BusinessSettings
from bot.domain.contact import normalize_email
from bot.domain.event_template import DEFAULT_DESCRIPTION, DEFAULT_TITLE
from bot.domain.event_template import validate as validate_template
from bot.domain.money import InvalidPrice, check_currency, format_money, max_minor, parse_price
from storage.catalog import CatalogChanges, CatalogRepository, KindChanges, ServiceSpec, StaffSpec
from storage.db import Database
from storage.records import HoursRow, OverrideRow
from storage.settings_store import SettingsRepository

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_RANGE = re.compile(r"^(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})$")
Slug = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$")]


MAX_FILE_BYTES = 1_000_000
"""A setup file is a few kilobytes; this refuses /dev/zero or a disk image given by mistake."""
MAX_DAY_MINUTES = 24 * 60
MAX_BUFFER_MINUTES = 240


class SetupFileError(ValueError):
    """The setup file cannot be loaded; the message says where and why."""


@dataclass(frozen=True, slots=True, kw_only=True)
class LoadResult:
    """What loading a setup file changed."""

    services: KindChanges
    staff: KindChanges
    settings: int

    def __bool__(self) -> bool:
        return bool(self.services or self.staff or self.settings)


def parse_range(text: str) -> tuple[int, int]:
    """'09:00-17:30' -> (540, 1050) minutes after midnight; '24:00' allowed as an end."""
    match = _RANGE.match(text.strip())
    if not match:
        raise ValueError(f"{text!r} is not a range like '09:00-17:30'")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    start, end = h1 * 60 + m1, h2 * 60 + m2
    if h1 > 23 or m1 > 59 or m2 > 59 or end > 24 * 60 or start >= end:
        raise ValueError(f"{text!r} must start before it ends, within one day")
    return start, end


def _check_ranges(ranges: list[str]) -> list[str]:
    spans = sorted(parse_range(r) for r in ranges)
    for (_, end), (start, _) in itertools.pairwise(spans):
        if start < end:
            raise ValueError(f"ranges {ranges} overlap")
    return ranges


def _check_special_ranges(ranges: list[str]) -> list[str]:
    if not ranges:
        raise ValueError("special hours need at least one range; use days_off instead")
    return _check_ranges(ranges)


# Validated per day, so an error names the day: hours.mon, special_hours.2026-12-31.
Ranges = Annotated[list[str], AfterValidator(_check_ranges)]
SpecialRanges = Annotated[list[str], AfterValidator(_check_special_ranges)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class BusinessSection(_Strict):
    name: str = Field(min_length=1, max_length=100)
    address: str = ""
    timezone: str | None = None
    horizon_days: int = Field(default=30, ge=1, le=MAX_HORIZON_DAYS)
    min_notice_minutes: int = Field(default=120, ge=0, le=MAX_HORIZON_DAYS * MAX_DAY_MINUTES)
    slot_step_minutes: int = Field(default=15, ge=5, le=MAX_DAY_MINUTES)
    cancellation_cutoff_hours: float = Field(
        default=24, ge=0, le=MAX_HORIZON_DAYS * 24, allow_inf_nan=False
    )
    ask_phone: Literal["no", "optional", "required"] = "optional"
    ask_email: Literal["no", "optional", "required"] = "optional"
    max_active_bookings: int = Field(default=5, ge=1, le=MAX_ACTIVE_BOOKINGS_LIMIT)
    event_title: str = Field(default=DEFAULT_TITLE, min_length=1)
    event_description: str = DEFAULT_DESCRIPTION
    event_meet: bool = False
    event_invite_customer: bool = False
    event_send_updates: Literal["all", "externalOnly", "none"] = "none"
    default_language: str = Field(default="en", min_length=2, max_length=35)
    # Customer reminders, hours before the appointment ([] = none); 0.5 = 30 minutes.
    reminder_offsets_hours: list[float] = Field(default=[24, 2], max_length=5)
    contact_phone: str = Field(default="", max_length=64)
    contact_telegram: str = Field(default="", max_length=64)
    contact_email: str = Field(default="", max_length=64)

    @field_validator("contact_email")
    @classmethod
    def _email(cls, value: str) -> str:
        return normalize_email(value) if value.strip() else ""

    @field_validator("contact_telegram")
    @classmethod
    def _username(cls, value: str) -> str:
        return value.strip().removeprefix("@")

    @field_validator("event_title", "event_description")
    @classmethod
    def _template(cls, value: str) -> str:
        return validate_template(value)

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError, OSError) as err:
                raise ValueError(f"{value!r} is not an IANA time zone name") from err
        return value

    @model_validator(mode="after")
    def _notice_within_horizon(self) -> BusinessSection:
        if self.min_notice_minutes > self.horizon_days * MAX_DAY_MINUTES:
            raise ValueError(
                f"min_notice_minutes ({self.min_notice_minutes}) is longer than horizon_days "
                f"({self.horizon_days} days): nothing could ever be booked"
            )
        return self


class ServiceTranslation(_Strict):
    name: str = Field(default="", max_length=100)
    description: str = Field(default="", max_length=1000)


def _language_code(value: str) -> str:
    try:
        return str(Locale.parse(value.replace("-", "_")))
    except (ValueError, UnknownLocaleError) as err:
        raise ValueError(f"{value!r} is not a language code (like es, ru or pt_BR)") from err


LanguageCode = Annotated[str, AfterValidator(_language_code)]


class ServiceSection(_Strict):
    id: Slug
    name: str = Field(min_length=1, max_length=100)
    description: str = Field(default="", max_length=1000)
    duration_minutes: int = Field(ge=5, le=MAX_DAY_MINUTES)
    price: Any = Field(default=None, description="major units: 45, 45.50 or '45,50'")
    price_minor: StrictInt | None = Field(default=None, ge=0, description="minor units (cents)")
    currency: str = Field(default="EUR", pattern=r"^[A-Z]{3}$")
    buffer_before_minutes: int = Field(default=0, ge=0, le=MAX_BUFFER_MINUTES)
    buffer_after_minutes: int = Field(default=0, ge=0, le=MAX_BUFFER_MINUTES)
    # [services.translations.es] name = "...", description = "..."
    translations: dict[LanguageCode, ServiceTranslation] = {}

    @field_validator("currency")
    @classmethod
    def _known_currency(cls, value: str) -> str:
        return check_currency(value)

    @model_validator(mode="after")
    def _one_price(self) -> ServiceSection:
        if self.price is not None and self.price_minor is not None:
            raise ValueError(
                "give either price (in whole units, e.g. 45.50) or price_minor "
                "(in minor units, e.g. 4550), not both"
            )
        if self.price_minor is not None and self.price_minor > max_minor(self.currency):
            raise ValueError(f"price_minor is more than {max_minor(self.currency):,}")
        try:
            self.minor_price()
        except InvalidPrice as err:
            raise ValueError(f"price {err}") from err
        return self

    def minor_price(self) -> int:
        """The price in minor units of the currency, whichever key the file used."""
        if self.price_minor is not None:
            return self.price_minor
        return 0 if self.price is None else parse_price(self.price, self.currency)


class StaffSection(_Strict):
    id: Slug
    name: str = Field(min_length=1, max_length=100)
    services: list[Slug] = []  # none yet: listed, but nobody can book them
    hours: dict[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"], Ranges]
    days_off: list[date] = []
    special_hours: dict[date, SpecialRanges] = {}


class SetupFile(_Strict):
    business: BusinessSection
    # Empty lists are allowed: a business built up in chat (/settings) starts with none, and
    # its export must load back.
    services: list[ServiceSection] = []
    staff: list[StaffSection] = []


_KIND_NAMES = {"services": "service", "staff": "staff"}


def _where(loc: Sequence[int | str], raw: Mapping[str, Any]) -> str:
    """('staff', 0, 'hours', 'mon') -> 'staff "anna": hours.mon', naming items by their id."""
    kind = loc[0] if loc else ""
    if kind in _KIND_NAMES and len(loc) > 1 and isinstance(loc[1], int):
        items = raw.get(str(kind))
        item = items[loc[1]] if isinstance(items, list) and loc[1] < len(items) else None
        ident = item.get("id") if isinstance(item, dict) else None
        name = _KIND_NAMES[str(kind)]
        label = f"{name} {json.dumps(ident)}" if isinstance(ident, str) else f"{name} #{loc[1] + 1}"
        rest = ".".join(str(p) for p in loc[2:])
        return f"{label}: {rest}" if rest else label
    return ".".join(str(p) for p in loc) or "file"


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as file:
            data = file.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError as err:
        raise SetupFileError(f"{path}: no such file") from err
    except IsADirectoryError as err:
        raise SetupFileError(f"{path}: is a folder, not a setup file") from err
    except OSError as err:
        raise SetupFileError(f"{path}: cannot be read ({err.strerror or err})") from err
    if len(data) > MAX_FILE_BYTES:
        raise SetupFileError(f"{path}: larger than {MAX_FILE_BYTES:,} bytes, not a setup file")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise SetupFileError(
            f"{path}: not UTF-8 text (byte {err.start}): save it as UTF-8 (a binary file?)"
        ) from err
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise SetupFileError(f"{path}: not valid TOML: {err}") from err
    except RecursionError as err:
        raise SetupFileError(f"{path}: not valid TOML: nested too deeply") from err


def _quoted(values: Iterable[object]) -> str:
    return ", ".join(json.dumps(str(v)) for v in sorted(values, key=str))


def _cross_checks(setup: SetupFile) -> list[str]:
    """What the schema cannot see: unique ids, known services, days both off and special."""
    problems = []
    for kind, ids in (
        ("service", [s.id for s in setup.services]),
        ("staff", [m.id for m in setup.staff]),
    ):
        twice = {i for i in ids if ids.count(i) > 1}
        if twice:
            problems.append(f"  {kind} id {_quoted(twice)} used more than once: ids must be unique")
    service_ids = {s.id for s in setup.services}
    for member in setup.staff:
        label = f"  staff {json.dumps(member.id)}"
        unknown = set(member.services) - service_ids
        if unknown:
            problems.append(f"{label}: services: no service with id {_quoted(unknown)}")
        clash = set(member.days_off) & set(member.special_hours)
        if clash:
            problems.append(f"{label}: {_quoted(clash)} both in days_off and special_hours")
    return problems


def read_setup_file(path: Path) -> SetupFile:
    """Parse and validate a setup file, raising SetupFileError with a readable message."""
    return validate_setup(_read_toml(path), source=str(path))


def validate_setup(raw: Mapping[str, Any], *, source: str) -> SetupFile:
    """Validate a setup document (the TOML's tables as a dict); SetupFileError names each
    problem by the item's id. Used by the file loader and by the settings made in chat."""
    try:
        setup = SetupFile.model_validate(raw)
    except ValidationError as err:
        lines = [
            f"  {_where(e['loc'], raw)}: {e['msg'].removeprefix('Value error, ')}"
            for e in err.errors()
        ]
        raise SetupFileError(f"{source}: invalid setup file:\n" + "\n".join(lines)) from err
    except RecursionError as err:
        raise SetupFileError(f"{source}: invalid setup file: nested too deeply") from err
    problems = _cross_checks(setup)
    if problems:
        raise SetupFileError(f"{source}: invalid setup file:\n" + "\n".join(problems))
    return setup


def _business(section: BusinessSection, default_timezone: str) -> BusinessSettings:
    try:
        return BusinessSettings(
            name=section.name,
            address=section.address,
            timezone=section.timezone or default_timezone,
            horizon_days=section.horizon_days,
            min_notice=timedelta(minutes=section.min_notice_minutes),
            slot_step=timedelta(minutes=section.slot_step_minutes),
            cancellation_cutoff=timedelta(hours=section.cancellation_cutoff_hours),
            ask_phone=section.ask_phone,
            ask_email=section.ask_email,
            max_active_bookings=section.max_active_bookings,
            event_title=section.event_title,
            event_description=section.event_description,
            event_meet=section.event_meet,
            event_invite_customer=section.event_invite_customer,
            event_send_updates=section.event_send_updates,
            default_language=section.default_language,
            reminder_offsets=tuple(
                timedelta(minutes=round(h * 60)) for h in section.reminder_offsets_hours
            ),
            contact_phone=section.contact_phone.strip(),
            contact_telegram=section.contact_telegram,
            contact_email=section.contact_email,
        )
    except Exception as err:
        raise SetupFileError(f"business: {err}") from err


def _staff_spec(position: int, member: StaffSection) -> StaffSpec:
    weekly = tuple(
        HoursRow(weekday=WEEKDAYS.index(day), start_minute=start, end_minute=end)
        for day, ranges in member.hours.items()
        for start, end in (parse_range(r) for r in ranges)
    )
    overrides = [OverrideRow(day=d, start_minute=None, end_minute=None) for d in member.days_off]
    for day, ranges in member.special_hours.items():
        for start, end in (parse_range(r) for r in ranges):
            overrides.append(OverrideRow(day=day, start_minute=start, end_minute=end))
    return StaffSpec(
        slug=member.id,
        name=member.name,
        service_slugs=tuple(member.services),
        weekly=weekly,
        overrides=tuple(overrides),
        position=position,
    )


async def _refuse_old_minor_prices(setup: SetupFile, catalog: CatalogRepository) -> None:
    """Refuse a file written when `price` meant cents: `price = 4500` where 45.00 is stored."""
    for service in setup.services:
        if not isinstance(service.price, int) or isinstance(service.price, bool):
            continue
        stored = await catalog.service_by_slug(service.id)
        new = service.minor_price()
        if (
            stored is not None
            and stored.currency == service.currency
            and stored.price_minor == service.price != new
        ):
            raise SetupFileError(
                f"service {json.dumps(service.id)}: price = {service.price} would change the "
                f"price from {format_money(stored.price_minor, stored.currency)} to "
                f"{format_money(new, service.currency)}. `price` is in whole "
                f"{service.currency} now, not in minor units: write "
                f"price = {format_money(stored.price_minor, stored.currency).split()[0]}, or "
                f"price_minor = {service.price} to keep minor units"
            )


async def apply_setup_file(setup: SetupFile, db: Database, *, default_timezone: str) -> LoadResult:
    """Apply a validated setup file; says what it added, changed and deactivated."""
    business = _business(setup.business, default_timezone)
    catalog = CatalogRepository(db)
    await _refuse_old_minor_prices(setup, catalog)
    services = [
        ServiceSpec(
            slug=s.id,
            name=s.name,
            description=s.description,
            duration_min=s.duration_minutes,
            price_minor=s.minor_price(),
            currency=s.currency,
            buffer_before_min=s.buffer_before_minutes,
            buffer_after_min=s.buffer_after_minutes,
            position=i,
        )
        for i, s in enumerate(setup.services)
    ]
    staff = [_staff_spec(i, m) for i, m in enumerate(setup.staff)]
    changes: CatalogChanges = await catalog.apply_setup(services, staff)
    translations = {
        s.id: {
            code: {k: v for k, v in (("name", t.name), ("description", t.description)) if v}
            for code, t in s.translations.items()
        }
        for s in setup.services
        if s.translations
    }
    settings = await SettingsRepository(db).put_many(
        {**business.to_store(), **service_texts.to_store(translations)}
    )
    return LoadResult(services=changes.services, staff=changes.staff, settings=settings)


async def load_setup_file(path: Path, db: Database, *, default_timezone: str) -> LoadResult:
    """Validate then apply a setup file; says what it added, changed and deactivated."""
    return await apply_setup_file(read_setup_file(path), db, default_timezone=default_timezone)
