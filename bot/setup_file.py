"""`bookbot load-config business.toml`: services, staff, hours and business settings.

The file is validated as a whole before anything is written, and loading the same file
twice changes nothing (services and staff are matched by their `id` in the file). Services
and staff that disappear from the file are deactivated, never deleted: bookings keep them.
"""

from __future__ import annotations

import itertools
import re
import tomllib
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from bot.business import BusinessSettings
from storage.catalog import CatalogRepository, ServiceSpec, StaffSpec
from storage.db import Database
from storage.records import HoursRow, OverrideRow
from storage.settings_store import SettingsRepository

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_RANGE = re.compile(r"^(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})$")
Slug = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$")]


class SetupFileError(ValueError):
    """The setup file cannot be loaded; the message says where and why."""


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


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class BusinessSection(_Strict):
    name: str = Field(min_length=1, max_length=100)
    address: str = ""
    timezone: str | None = None
    horizon_days: int = Field(default=30, ge=1, le=366)
    min_notice_minutes: int = Field(default=120, ge=0)
    slot_step_minutes: int = Field(default=15, ge=5, le=1440)
    cancellation_cutoff_hours: float = Field(default=24, ge=0)
    ask_phone: Literal["no", "optional", "required"] = "optional"
    ask_email: Literal["no", "optional", "required"] = "optional"

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError) as err:
                raise ValueError(f"{value!r} is not an IANA time zone name") from err
        return value


class ServiceSection(_Strict):
    id: Slug
    name: str = Field(min_length=1, max_length=100)
    description: str = Field(default="", max_length=1000)
    duration_minutes: int = Field(ge=5, le=24 * 60)
    price: int = Field(default=0, ge=0, description="minor units, e.g. cents")
    currency: str = Field(default="EUR", pattern=r"^[A-Z]{3}$")
    buffer_before_minutes: int = Field(default=0, ge=0, le=240)
    buffer_after_minutes: int = Field(default=0, ge=0, le=240)


class StaffSection(_Strict):
    id: Slug
    name: str = Field(min_length=1, max_length=100)
    services: list[Slug] = Field(min_length=1)
    hours: dict[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"], list[str]]
    days_off: list[date] = []
    special_hours: dict[date, list[str]] = {}

    @field_validator("hours")
    @classmethod
    def _hours(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for ranges in value.values():
            _check_ranges(ranges)
        return value

    @field_validator("special_hours")
    @classmethod
    def _special(cls, value: dict[date, list[str]]) -> dict[date, list[str]]:
        for ranges in value.values():
            if not ranges:
                raise ValueError("special hours need at least one range; use days_off instead")
            _check_ranges(ranges)
        return value


class SetupFile(_Strict):
    business: BusinessSection
    services: list[ServiceSection] = Field(min_length=1)
    staff: list[StaffSection] = Field(min_length=1)


def read_setup_file(path: Path) -> SetupFile:
    """Parse and validate a setup file, raising SetupFileError with a readable message."""
    try:
        raw = tomllib.loads(path.read_text("utf-8"))
    except FileNotFoundError as err:
        raise SetupFileError(f"{path}: no such file") from err
    except tomllib.TOMLDecodeError as err:
        raise SetupFileError(f"{path}: not valid TOML: {err}") from err
    try:
        setup = SetupFile.model_validate(raw)
    except ValidationError as err:
        lines = [f"  {'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in err.errors()]
        raise SetupFileError(f"{path}: invalid setup file:\n" + "\n".join(lines)) from err
    service_ids = {s.id for s in setup.services}
    if len(service_ids) != len(setup.services):
        raise SetupFileError(f"{path}: service ids must be unique")
    if len({s.id for s in setup.staff}) != len(setup.staff):
        raise SetupFileError(f"{path}: staff ids must be unique")
    for member in setup.staff:
        unknown = set(member.services) - service_ids
        if unknown:
            raise SetupFileError(f"{path}: staff {member.id!r} offers unknown {sorted(unknown)}")
        clash = set(member.days_off) & set(member.special_hours)
        if clash:
            raise SetupFileError(
                f"{path}: staff {member.id!r} has {sorted(clash)} both off and special"
            )
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


async def load_setup_file(path: Path, db: Database, *, default_timezone: str) -> dict[str, int]:
    """Validate then apply a setup file; returns how many records changed of each kind."""
    setup = read_setup_file(path)
    business = _business(setup.business, default_timezone)
    services = [
        ServiceSpec(
            slug=s.id,
            name=s.name,
            description=s.description,
            duration_min=s.duration_minutes,
            price_minor=s.price,
            currency=s.currency,
            buffer_before_min=s.buffer_before_minutes,
            buffer_after_min=s.buffer_after_minutes,
            position=i,
        )
        for i, s in enumerate(setup.services)
    ]
    staff = [_staff_spec(i, m) for i, m in enumerate(setup.staff)]
    changes = await CatalogRepository(db).apply_setup(services, staff)
    changes["settings"] = await SettingsRepository(db).put_many(business.to_store())
    return changes
