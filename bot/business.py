"""Business-wide settings (name, address, zone, booking rules) as stored in the database.

The time zone falls back to `BUSINESS_TIMEZONE` from the environment until the setup file
or an admin sets one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from datetime import timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from babel import Locale, UnknownLocaleError

from bot.domain.event_template import DEFAULT_DESCRIPTION, DEFAULT_TITLE, validate

ContactField = Literal["no", "optional", "required"]
SendUpdates = Literal["all", "externalOnly", "none"]
_SEND_UPDATES = ("all", "externalOnly", "none")
_CONTACT_CHOICES = ("no", "optional", "required")
MAX_ACTIVE_BOOKINGS_LIMIT = 100
CONTACT_LIMIT = 64
_USERNAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{4,31}")

# Every number has a bound, so no date arithmetic downstream can overflow.
MAX_HORIZON_DAYS = 366
MIN_SLOT_STEP = timedelta(minutes=5)
MAX_SLOT_STEP = timedelta(hours=24)
# Customer reminders: at most this many, each between these bounds before the appointment.
DEFAULT_REMINDER_OFFSETS = (timedelta(hours=24), timedelta(hours=2))
MAX_REMINDERS = 5
MIN_REMINDER_OFFSET = timedelta(minutes=5)
MAX_REMINDER_OFFSET = timedelta(days=30)


@dataclass(frozen=True, slots=True, kw_only=True)
class BusinessSettings:
    """How the business takes bookings."""

    name: str = "bookbot"
    address: str = ""
    timezone: str = "UTC"
    horizon_days: int = 30
    min_notice: timedelta = field(default=timedelta(hours=2))
    slot_step: timedelta = field(default=timedelta(minutes=15))
    cancellation_cutoff: timedelta = field(default=timedelta(hours=24))
    ask_phone: ContactField = "optional"
    ask_email: ContactField = "optional"
    # Upcoming bookings one customer may hold at once, so one account cannot hoard the calendar.
    max_active_bookings: int = 5
    # The Google event of a booking: title and description templates (bot.domain.event_template),
    # a Meet link, the customer as attendee (when an e-mail is known) and whom Google e-mails.
    event_title: str = DEFAULT_TITLE
    event_description: str = DEFAULT_DESCRIPTION
    event_meet: bool = False
    event_invite_customer: bool = False
    event_send_updates: SendUpdates = "none"
    # The language of users whose own language has no catalog (a BCP 47 / CLDR code).
    default_language: str = "en"
    # How long before an appointment the customer is reminded (none: no reminders).
    reminder_offsets: tuple[timedelta, ...] = DEFAULT_REMINDER_OFFSETS
    # How customers reach the business, shown wherever the bot says "contact us".
    contact_phone: str = ""
    contact_telegram: str = ""  # a Telegram username, without the @
    contact_email: str = ""  # also the ORGANIZER of the .ics files customers get

    def __post_init__(self) -> None:
        ZoneInfo(self.timezone)
        if not 1 <= self.horizon_days <= MAX_HORIZON_DAYS:
            raise ValueError(f"horizon_days must be between 1 and {MAX_HORIZON_DAYS}")
        if not MIN_SLOT_STEP <= self.slot_step <= MAX_SLOT_STEP:
            raise ValueError("slot_step must be between 5 minutes and 24 hours")
        if self.min_notice < timedelta(0) or self.cancellation_cutoff < timedelta(0):
            raise ValueError("minimum notice and cancellation cutoff cannot be negative")
        horizon = timedelta(days=self.horizon_days)
        if self.min_notice > horizon:
            raise ValueError(
                f"minimum notice ({self.min_notice}) is longer than the booking horizon "
                f"({self.horizon_days} days): nothing could ever be booked"
            )
        if self.cancellation_cutoff > timedelta(days=MAX_HORIZON_DAYS):
            raise ValueError(f"cancellation cutoff must be at most {MAX_HORIZON_DAYS} days")
        if not 1 <= self.max_active_bookings <= MAX_ACTIVE_BOOKINGS_LIMIT:
            raise ValueError(
                f"max_active_bookings must be between 1 and {MAX_ACTIVE_BOOKINGS_LIMIT}"
            )
        validate(self.event_title)
        validate(self.event_description)
        if self.event_send_updates not in _SEND_UPDATES:
            raise ValueError(f"event_send_updates must be one of {_SEND_UPDATES}")
        try:
            Locale.parse(self.default_language.replace("-", "_"))
        except (ValueError, UnknownLocaleError) as err:
            wrong = f"default_language {self.default_language!r} is not a language code"
            raise ValueError(wrong) from err
        if len(self.reminder_offsets) > MAX_REMINDERS:
            raise ValueError(f"at most {MAX_REMINDERS} reminder offsets")
        if len(set(self.reminder_offsets)) != len(self.reminder_offsets):
            raise ValueError("reminder offsets must differ")
        for offset in self.reminder_offsets:
            if not MIN_REMINDER_OFFSET <= offset <= MAX_REMINDER_OFFSET:
                raise ValueError("each reminder offset must be between 5 minutes and 30 days")
        if max(map(len, (self.contact_phone, self.contact_telegram, self.contact_email))) > (
            CONTACT_LIMIT
        ):
            limit = CONTACT_LIMIT
            raise ValueError(f"contact phone, Telegram and e-mail: {limit} characters at most")
        if self.contact_telegram and not _USERNAME.fullmatch(self.contact_telegram):
            raise ValueError(
                "contact_telegram must be a Telegram username like my_salon (5-32 "
                "letters, digits or _), without @"
            )
        if self.ask_phone not in _CONTACT_CHOICES or self.ask_email not in _CONTACT_CHOICES:
            raise ValueError(f"ask_phone/ask_email must be one of {_CONTACT_CHOICES}")

    @property
    def tz(self) -> ZoneInfo:
        """The business time zone."""
        return ZoneInfo(self.timezone)

    def to_store(self) -> dict[str, Any]:
        """Flat JSON-friendly values for the settings table."""
        values = asdict(self)
        for key in ("min_notice", "slot_step", "cancellation_cutoff"):
            values[key + "_minutes"] = int(values.pop(key).total_seconds() // 60)
        values["reminder_offsets"] = [int(o.total_seconds() // 60) for o in self.reminder_offsets]
        return {"business." + k: v for k, v in values.items()}

    @classmethod
    def from_store(cls, stored: Mapping[str, Any], *, default_timezone: str) -> BusinessSettings:
        """Settings from the settings table, defaults where nothing is stored."""
        base = cls(timezone=default_timezone)
        values: dict[str, Any] = {}
        for key, value in stored.items():
            if not key.startswith("business."):
                continue
            name = key.removeprefix("business.")
            if name == "reminder_offsets":  # stored as minutes
                values[name] = tuple(timedelta(minutes=int(m)) for m in value)
            elif name.endswith("_minutes"):
                values[name.removesuffix("_minutes")] = timedelta(minutes=int(value))
            else:
                values[name] = value
        known = {k: v for k, v in values.items() if k in cls.__dataclass_fields__}
        return replace(base, **known)
