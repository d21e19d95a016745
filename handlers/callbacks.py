"""Typed callback data for inline buttons: pack to a short string, parse strictly back.

Each button kind is a frozen dataclass with a short prefix; `parse()` returns None for
anything malformed or forged (unknown prefix, wrong field count, bad types), so handlers
never split strings themselves. Everything fits Telegram's 64-byte limit.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, ClassVar, TypeVar, get_type_hints

from telegram import Update

_BOOKING_ID = re.compile(r"^[0-9a-v]{5,64}$")
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
MAX_BYTES = 64


class Callback:
    """Base of all callback kinds; subclasses are frozen dataclasses with a `prefix`."""

    prefix: ClassVar[str]

    def pack(self) -> str:
        """The string sent as callback_data."""
        parts = [self.prefix]
        for field in dataclasses.fields(self):  # type: ignore[arg-type]
            parts.append(_encode(getattr(self, field.name)))
        packed = ":".join(parts)
        if len(packed.encode()) > MAX_BYTES:
            raise ValueError(f"callback data too long: {packed!r}")
        return packed


def _encode(value: object) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, datetime):
        return str(int(value.timestamp()))
    if isinstance(value, date):
        return value.strftime("%Y%m%d")
    if isinstance(value, str):
        if ":" in value:
            raise ValueError("strings in callback data cannot contain ':'")
        return value
    raise TypeError(f"cannot pack {type(value).__name__}")


def _decode(kind: Any, text: str) -> object:
    if kind is int:
        if not re.fullmatch(r"0|[1-9][0-9]{0,11}", text):
            raise ValueError(text)
        return int(text)
    if kind is datetime:
        if not re.fullmatch(r"[1-9][0-9]{8,10}", text):
            raise ValueError(text)
        return datetime.fromtimestamp(int(text), UTC)
    if kind is date:
        if not re.fullmatch(r"[0-9]{8}", text):
            raise ValueError(text)
        return datetime.strptime(text, "%Y%m%d").date()  # noqa: DTZ007 - a plain date
    if kind is BookingId:
        if not _BOOKING_ID.match(text):
            raise ValueError(text)
        return BookingId(text)
    if kind is Token:
        if not _TOKEN.match(text):
            raise ValueError(text)
        return Token(text)
    raise TypeError(kind)


class BookingId(str):
    """A booking id inside callback data (base32hex)."""


class Token(str):
    """A short random token inside callback data (URL-safe base64)."""


_REGISTRY: dict[str, type[Callback]] = {}
C = TypeVar("C", bound=type[Callback])
CB = TypeVar("CB", bound=Callback)


def register(cls: C) -> C:
    """Class decorator: make a callback kind parseable."""
    if cls.prefix in _REGISTRY:
        raise ValueError(f"duplicate callback prefix {cls.prefix!r}")
    _REGISTRY[cls.prefix] = cls
    return cls


_HINTS: dict[type[Callback], dict[str, Any]] = {}


def _hints(cls: type[Callback]) -> dict[str, Any]:
    hints = _HINTS.get(cls)
    if hints is None:
        hints = _HINTS[cls] = get_type_hints(cls)
    return hints


def parse(data: str | None) -> Callback | None:
    """The callback a button carries, or None if the data is malformed or unknown."""
    if not data or len(data.encode()) > MAX_BYTES:
        return None
    prefix, _, rest = data.partition(":")
    cls = _REGISTRY.get(prefix)
    if cls is None:
        return None
    fields = dataclasses.fields(cls)  # type: ignore[arg-type]
    parts = rest.split(":") if rest else []
    if len(parts) != len(fields):
        return None
    hints = _hints(cls)
    try:
        values = [_decode(hints[f.name], p) for f, p in zip(fields, parts, strict=True)]
    except (ValueError, TypeError, OverflowError, OSError):
        return None
    return cls(*values)


def pattern(cls: type[Callback]) -> Callable[[object], bool]:
    """A CallbackQueryHandler pattern accepting only well-formed data of this kind."""

    prefix = cls.prefix + ":"

    def matches(data: object) -> bool:
        if not isinstance(data, str) or not (data == cls.prefix or data.startswith(prefix)):
            return False
        return isinstance(parse(data), cls)

    return matches


class StaleCallback(LookupError):
    """The pressed button's data is not of the expected kind."""


def unpack(update: Update, cls: type[CB]) -> CB:
    """The typed callback data of this update (the handler's pattern already checked it)."""
    query = update.callback_query
    data = parse(query.data if query is not None else None)
    if not isinstance(data, cls):
        raise StaleCallback(cls.__name__)
    return data


# --- booking flow -----------------------------------------------------------------------


@register
@dataclass(frozen=True, slots=True)
class ShowServices(Callback):
    """Back to the list of services."""

    prefix: ClassVar[str] = "sv"


@register
@dataclass(frozen=True, slots=True)
class PickService(Callback):
    """A service was chosen."""

    prefix: ClassVar[str] = "s"
    service_id: int


ANYONE = 0


@register
@dataclass(frozen=True, slots=True)
class PickStaff(Callback):
    """A staff member (or ANYONE) was chosen for a service."""

    prefix: ClassVar[str] = "t"
    service_id: int
    staff_id: int


@register
@dataclass(frozen=True, slots=True)
class ShowWeek(Callback):
    """Show the day picker at the week containing `day`."""

    prefix: ClassVar[str] = "w"
    service_id: int
    staff_id: int
    day: date


@register
@dataclass(frozen=True, slots=True)
class PickDay(Callback):
    """A day was chosen."""

    prefix: ClassVar[str] = "d"
    service_id: int
    staff_id: int
    day: date


@register
@dataclass(frozen=True, slots=True)
class PickSlot(Callback):
    """A start time was chosen."""

    prefix: ClassVar[str] = "z"
    service_id: int
    staff_id: int
    start: datetime


@register
@dataclass(frozen=True, slots=True)
class UseName(Callback):
    """Keep the name we suggested."""

    prefix: ClassVar[str] = "un"


@register
@dataclass(frozen=True, slots=True)
class SkipField(Callback):
    """Skip an optional contact field."""

    prefix: ClassVar[str] = "sk"


@register
@dataclass(frozen=True, slots=True)
class EditContact(Callback):
    """Change the remembered contact details before confirming."""

    prefix: ClassVar[str] = "ed"


@register
@dataclass(frozen=True, slots=True)
class Confirm(Callback):
    """Confirm the summary with this draft key."""

    prefix: ClassVar[str] = "ok"
    key: Token


@register
@dataclass(frozen=True, slots=True)
class Abort(Callback):
    """Leave the booking flow."""

    prefix: ClassVar[str] = "x"


@register
@dataclass(frozen=True, slots=True)
class Noop(Callback):
    """A button that only explains itself (calendar headers, empty days)."""

    prefix: ClassVar[str] = "n"


# --- the customer's bookings ------------------------------------------------------------


@register
@dataclass(frozen=True, slots=True)
class ShowMyBookings(Callback):
    """List the customer's upcoming bookings."""

    prefix: ClassVar[str] = "mb"


@register
@dataclass(frozen=True, slots=True)
class ShowBooking(Callback):
    """Details of one booking with its actions."""

    prefix: ClassVar[str] = "b"
    booking_id: BookingId


@register
@dataclass(frozen=True, slots=True)
class AskCancel(Callback):
    """Ask before cancelling."""

    prefix: ClassVar[str] = "bc"
    booking_id: BookingId


@register
@dataclass(frozen=True, slots=True)
class DoCancel(Callback):
    """Cancel, confirmed."""

    prefix: ClassVar[str] = "bx"
    booking_id: BookingId


@register
@dataclass(frozen=True, slots=True)
class MoveWeek(Callback):
    """Reschedule: show the week containing `day`."""

    prefix: ClassVar[str] = "mw"
    booking_id: BookingId
    day: date


@register
@dataclass(frozen=True, slots=True)
class MoveDay(Callback):
    """Reschedule: a day was chosen."""

    prefix: ClassVar[str] = "md"
    booking_id: BookingId
    day: date


@register
@dataclass(frozen=True, slots=True)
class MoveSlot(Callback):
    """Reschedule: a new time was chosen; ask to confirm."""

    prefix: ClassVar[str] = "mz"
    booking_id: BookingId
    start: datetime


@register
@dataclass(frozen=True, slots=True)
class DoMove(Callback):
    """Reschedule, confirmed."""

    prefix: ClassVar[str] = "my"
    booking_id: BookingId
    start: datetime


# --- staff calendars --------------------------------------------------------------------


@register
@dataclass(frozen=True, slots=True)
class CalStart(Callback):
    """Open the calendar picker."""

    prefix: ClassVar[str] = "cs"


@register
@dataclass(frozen=True, slots=True)
class CalDest(Callback):
    """Bookings go to calendar number `index` of the picker's list."""

    prefix: ClassVar[str] = "cd"
    nonce: Token
    index: int


@register
@dataclass(frozen=True, slots=True)
class CalNew(Callback):
    """Bookings go to a new dedicated calendar."""

    prefix: ClassVar[str] = "cn"
    nonce: Token


@register
@dataclass(frozen=True, slots=True)
class CalToggle(Callback):
    """Toggle whether calendar number `index` blocks time."""

    prefix: ClassVar[str] = "ct"
    nonce: Token
    index: int


@register
@dataclass(frozen=True, slots=True)
class CalDone(Callback):
    """Save the calendar choices."""

    prefix: ClassVar[str] = "cf"
    nonce: Token
