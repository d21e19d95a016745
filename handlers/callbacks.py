"""Typed callback data for inline buttons: pack to a short string, parse strictly back.

Each button kind is a frozen dataclass with a short readable prefix (`svc`, `time`,
`moveday`, ...); `parse()` returns None for anything malformed, forged or from an older
version (unknown prefix, wrong field count, bad types, numbers or dates outside sane
bounds), and such a button gets the "This button has expired" answer. Handlers never split
strings themselves. Everything fits Telegram's 64-byte limit.

Bounds checked at the edge, so no handler can overflow on forged data: ids and indexes are
integers in [0, MAX_NUMBER]; dates and times lie in [EARLIEST_DAY, LATEST_DAY].
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any, ClassVar, TypeVar, get_type_hints

from telegram import Update

_BOOKING_ID = re.compile(r"[0-9a-v]{5,32}")
_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,40}")
_NUMBER = re.compile(r"0|[1-9][0-9]{0,8}")
_DAY = re.compile(r"[0-9]{8}")
_TIMESTAMP = re.compile(r"[1-9][0-9]{8,9}")
_PREFIX = re.compile(r"[a-z]{1,12}")
MAX_BYTES = 64
MAX_NUMBER = 999_999_999
EARLIEST_DAY = date(2000, 1, 1)
LATEST_DAY = date(2199, 12, 31)
_EARLIEST = datetime.combine(EARLIEST_DAY, time(), UTC)
_LATEST = datetime.combine(LATEST_DAY, time(23, 59, 59), UTC)


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


class BookingId(str):
    """A booking id inside callback data (base32hex)."""


class Token(str):
    """A short random token inside callback data (URL-safe base64)."""


@dataclass(frozen=True, slots=True)
class StaffChoice:
    """Who the customer wants: one staff member, or whoever is free (`ANYONE`)."""

    staff_id: int | None

    @property
    def anyone(self) -> bool:
        """Whether any staff member offering the service will do."""
        return self.staff_id is None


ANYONE = StaffChoice(None)
_ANYONE_TEXT = "any"


def _encode(value: object) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        if not 0 <= value <= MAX_NUMBER:
            raise ValueError(f"number out of range: {value}")
        return str(value)
    if isinstance(value, StaffChoice):
        return _ANYONE_TEXT if value.staff_id is None else _encode(value.staff_id)
    if isinstance(value, datetime):
        if not _EARLIEST <= value <= _LATEST:
            raise ValueError(f"time out of range: {value}")
        return str(int(value.timestamp()))
    if isinstance(value, date):
        if not EARLIEST_DAY <= value <= LATEST_DAY:
            raise ValueError(f"day out of range: {value}")
        return value.strftime("%Y%m%d")
    if isinstance(value, str):
        if ":" in value:
            raise ValueError("strings in callback data cannot contain ':'")
        return value
    raise TypeError(f"cannot pack {type(value).__name__}")


def _decode(kind: Any, text: str) -> object:
    """One field from its text; ValueError for anything malformed or out of bounds."""
    if kind is int:
        if not _NUMBER.fullmatch(text):
            raise ValueError(text)
        return int(text)
    if kind is StaffChoice:
        return ANYONE if text == _ANYONE_TEXT else StaffChoice(_decode_id(text))
    if kind is datetime:
        if not _TIMESTAMP.fullmatch(text):
            raise ValueError(text)
        moment = datetime.fromtimestamp(int(text), UTC)
        if not _EARLIEST <= moment <= _LATEST:
            raise ValueError(text)
        return moment
    if kind is date:
        if not _DAY.fullmatch(text):
            raise ValueError(text)
        day = datetime.strptime(text, "%Y%m%d").date()  # noqa: DTZ007 - a plain date
        if not EARLIEST_DAY <= day <= LATEST_DAY:
            raise ValueError(text)
        return day
    if kind is BookingId:
        if not _BOOKING_ID.fullmatch(text):
            raise ValueError(text)
        return BookingId(text)
    if kind is Token:
        if not _TOKEN.fullmatch(text):
            raise ValueError(text)
        return Token(text)
    raise TypeError(kind)


def _decode_id(text: str) -> int:
    if not _NUMBER.fullmatch(text) or text == "0":
        raise ValueError(text)
    return int(text)


_REGISTRY: dict[str, type[Callback]] = {}
C = TypeVar("C", bound=type[Callback])
CB = TypeVar("CB", bound=Callback)


def register(cls: C) -> C:
    """Class decorator: make a callback kind parseable."""
    if not _PREFIX.fullmatch(cls.prefix):
        raise ValueError(f"callback prefix must be 1-12 lower-case letters: {cls.prefix!r}")
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
    """The callback a button carries, or None if the data is malformed, unknown or stale."""
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


def kinds() -> dict[str, type[Callback]]:
    """Every registered callback kind by prefix (for tests and docs)."""
    return dict(_REGISTRY)


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
    """The list of services, at page `page`."""

    prefix: ClassVar[str] = "services"
    page: int = 0


@register
@dataclass(frozen=True, slots=True)
class PickService(Callback):
    """A service was chosen."""

    prefix: ClassVar[str] = "svc"
    service_id: int


@register
@dataclass(frozen=True, slots=True)
class PickStaff(Callback):
    """A staff member (or ANYONE) was chosen for a service."""

    prefix: ClassVar[str] = "staff"
    service_id: int
    staff: StaffChoice


@register
@dataclass(frozen=True, slots=True)
class ShowWeek(Callback):
    """Show the day picker at the week containing `day`."""

    prefix: ClassVar[str] = "week"
    service_id: int
    staff: StaffChoice
    day: date


@register
@dataclass(frozen=True, slots=True)
class PickDay(Callback):
    """A day was chosen."""

    prefix: ClassVar[str] = "day"
    service_id: int
    staff: StaffChoice
    day: date


@register
@dataclass(frozen=True, slots=True)
class DayPart(Callback):
    """Part `part` of a day's free times (morning, afternoon, evening; paged when long)."""

    prefix: ClassVar[str] = "daypart"
    service_id: int
    staff: StaffChoice
    day: date
    part: int


@register
@dataclass(frozen=True, slots=True)
class PickSlot(Callback):
    """A start time was chosen."""

    prefix: ClassVar[str] = "time"
    service_id: int
    staff: StaffChoice
    start: datetime


@register
@dataclass(frozen=True, slots=True)
class UseName(Callback):
    """Keep the name we suggested."""

    prefix: ClassVar[str] = "usename"


NAME_FIELD, PHONE_FIELD, EMAIL_FIELD = 0, 1, 2


@register
@dataclass(frozen=True, slots=True)
class AskField(Callback):
    """Go to a contact step of the booking (Back, or a change from the summary)."""

    prefix: ClassVar[str] = "ask"
    field: int  # NAME_FIELD, PHONE_FIELD or EMAIL_FIELD


@register
@dataclass(frozen=True, slots=True)
class SkipField(Callback):
    """Skip an optional contact field."""

    prefix: ClassVar[str] = "skip"


@register
@dataclass(frozen=True, slots=True)
class EditContact(Callback):
    """Change the remembered contact details before confirming."""

    prefix: ClassVar[str] = "edit"


@register
@dataclass(frozen=True, slots=True)
class Confirm(Callback):
    """Confirm the summary with this draft key."""

    prefix: ClassVar[str] = "confirm"
    key: Token


@register
@dataclass(frozen=True, slots=True)
class Abort(Callback):
    """Leave the booking flow."""

    prefix: ClassVar[str] = "abort"


@register
@dataclass(frozen=True, slots=True)
class Noop(Callback):
    """A button that only explains itself (calendar headers, empty days)."""

    prefix: ClassVar[str] = "noop"


# --- the customer's bookings ------------------------------------------------------------


@register
@dataclass(frozen=True, slots=True)
class ShowMyBookings(Callback):
    """List the customer's upcoming bookings, at page `page`."""

    prefix: ClassVar[str] = "mine"
    page: int = 0


@register
@dataclass(frozen=True, slots=True)
class ShowBooking(Callback):
    """Details of one booking with its actions."""

    prefix: ClassVar[str] = "booking"
    booking_id: BookingId


@register
@dataclass(frozen=True, slots=True)
class AskCancel(Callback):
    """Ask before cancelling."""

    prefix: ClassVar[str] = "askcancel"
    booking_id: BookingId


@register
@dataclass(frozen=True, slots=True)
class DoCancel(Callback):
    """Cancel, confirmed."""

    prefix: ClassVar[str] = "cancel"
    booking_id: BookingId


@register
@dataclass(frozen=True, slots=True)
class MoveWeek(Callback):
    """Reschedule: show the week containing `day`."""

    prefix: ClassVar[str] = "moveweek"
    booking_id: BookingId
    day: date


@register
@dataclass(frozen=True, slots=True)
class MoveDay(Callback):
    """Reschedule: a day was chosen."""

    prefix: ClassVar[str] = "moveday"
    booking_id: BookingId
    day: date


@register
@dataclass(frozen=True, slots=True)
class MoveDayPart(Callback):
    """Reschedule: part `part` of a day's free times."""

    prefix: ClassVar[str] = "movepart"
    booking_id: BookingId
    day: date
    part: int


@register
@dataclass(frozen=True, slots=True)
class MoveSlot(Callback):
    """Reschedule: a new time was chosen; ask to confirm."""

    prefix: ClassVar[str] = "movetime"
    booking_id: BookingId
    start: datetime


@register
@dataclass(frozen=True, slots=True)
class DoMove(Callback):
    """Reschedule, confirmed."""

    prefix: ClassVar[str] = "move"
    booking_id: BookingId
    start: datetime


# --- language ---------------------------------------------------------------------------


@register
@dataclass(frozen=True, slots=True)
class SetLanguage(Callback):
    """Read the bot in this catalog language ('auto': follow Telegram's language again)."""

    prefix: ClassVar[str] = "lang"
    code: Token


# --- staff calendars --------------------------------------------------------------------


@register
@dataclass(frozen=True, slots=True)
class CalStart(Callback):
    """Open the calendar picker."""

    prefix: ClassVar[str] = "cals"


@register
@dataclass(frozen=True, slots=True)
class CalDest(Callback):
    """Bookings go to calendar number `index` of the picker's list."""

    prefix: ClassVar[str] = "caldest"
    nonce: Token
    index: int


@register
@dataclass(frozen=True, slots=True)
class CalNew(Callback):
    """Bookings go to a new dedicated calendar."""

    prefix: ClassVar[str] = "calnew"
    nonce: Token


@register
@dataclass(frozen=True, slots=True)
class CalToggle(Callback):
    """Toggle whether calendar number `index` blocks time."""

    prefix: ClassVar[str] = "calblock"
    nonce: Token
    index: int


@register
@dataclass(frozen=True, slots=True)
class CalDone(Callback):
    """Save the calendar choices."""

    prefix: ClassVar[str] = "calsave"
    nonce: Token
