"""Dataclasses the repositories return: plain values, aware UTC datetimes, no rows or cursors."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Literal

# Who made a change: recorded on the booking history and the outbox. A change whose origin
# is "google" was read back from Google and is never written back there.
Origin = Literal["customer", "admin", "staff", "google", "system"]


def to_epoch(moment: datetime) -> int:
    """Aware datetime -> integer seconds since the epoch (UTC)."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime reached storage")
    return int(moment.timestamp())


def from_epoch(seconds: int) -> datetime:
    """Integer seconds since the epoch -> aware UTC datetime."""
    return datetime.fromtimestamp(seconds, UTC)


@dataclass(frozen=True, slots=True, kw_only=True)
class ServiceRecord:
    """A bookable service."""

    id: int
    slug: str
    name: str
    description: str
    duration: timedelta
    price_minor: int
    currency: str
    buffer_before: timedelta
    buffer_after: timedelta
    active: bool
    position: int


@dataclass(frozen=True, slots=True, kw_only=True)
class StaffRecord:
    """A staff member who takes bookings."""

    id: int
    slug: str
    name: str
    telegram_user_id: int | None
    active: bool
    position: int


@dataclass(frozen=True, slots=True, kw_only=True)
class HoursRow:
    """One working range of a weekday, in minutes after local midnight."""

    weekday: int
    start_minute: int
    end_minute: int


@dataclass(frozen=True, slots=True, kw_only=True)
class OverrideRow:
    """One row of a date override; minutes are None for a day off."""

    day: date
    start_minute: int | None
    end_minute: int | None


@dataclass(frozen=True, slots=True, kw_only=True)
class StaffHours:
    """A staff member's weekly hours and date overrides."""

    staff_id: int
    weekly: tuple[HoursRow, ...]
    overrides: tuple[OverrideRow, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class CustomerRecord:
    """A customer, known by their Telegram user id."""

    id: int
    telegram_user_id: int
    name: str
    phone: str | None
    email: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class BookingRecord:
    """A booking with the names a message needs."""

    id: str
    customer_id: int
    customer_telegram_id: int
    staff_id: int
    staff_name: str
    service_id: int
    service_name: str
    start: datetime
    end: datetime
    blocked_start: datetime
    blocked_end: datetime
    status: str
    customer_name: str
    customer_phone: str | None
    customer_email: str | None
    price_minor: int
    currency: str
    sequence: int
    created_at: datetime
    updated_at: datetime
    event_calendar_id: str | None = None
    event_etag: str | None = None

    @property
    def is_active(self) -> bool:
        """Whether the booking still holds its slot."""
        return self.status == "confirmed"


@dataclass(frozen=True, slots=True, kw_only=True)
class BlockedTimes:
    """The time confirmed bookings block, per staff member, buffers included.

    Unlike the other records it keeps the stored whole POSIX seconds, grouped by staff:
    availability reads thousands of bookings per query and needs nothing else, and making
    datetimes (or an object per booking) of them cost more than finding the free slots.
    """

    spans: dict[int, list[tuple[int, int]]]  # staff id -> [(blocked start, blocked end)]
    starts: dict[int, list[int]]  # staff id -> the same bookings' own start times


@dataclass(frozen=True, slots=True, kw_only=True)
class CustomerDetails:
    """The contact details a customer gave (stored with their booking, in one transaction)."""

    telegram_user_id: int
    name: str
    phone: str | None
    email: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class NewBooking:
    """What the booking service asks storage to insert: the first of `staff_ids` (in order of
    preference) whose time is still free gets the booking."""

    id: str
    customer: CustomerDetails
    staff_ids: tuple[int, ...]
    service_id: int
    start: datetime
    end: datetime
    blocked_start: datetime
    blocked_end: datetime
    price_minor: int
    currency: str
    request_key: str | None
