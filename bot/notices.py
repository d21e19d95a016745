"""Events the bot tells people about outside a conversation, and the port that delivers them.

Services report what happened as one of these plain dataclasses; `handlers/notices.py`
renders each into messages, and the composition root sends them through `bot.outbound`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from bot.business import BusinessSettings
    from bot.staff_link import RefusalReason
    from storage.records import BookingRecord


@dataclass(frozen=True, slots=True, kw_only=True)
class GoogleConnected:
    """A staff member finished Google sign-in."""

    staff_chat_id: int
    email: str
    missing: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class GoogleSignInFailed:
    """A staff member's Google sign-in did not complete."""

    staff_chat_id: int
    reason: RefusalReason


@dataclass(frozen=True, slots=True, kw_only=True)
class GoogleAccessLost:
    """Google refused a staff member's grant (revoked, or the Testing-mode expiry)."""

    staff_name: str
    staff_chat_id: int | None
    reconnect_url: str | None
    admin_chat_ids: tuple[int, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class CalendarWriteFailed:
    """A booking change could not be written to the staff member's Google Calendar and will not
    be retried (a dead letter, listed by `bookbot doctor`)."""

    booking_id: str
    staff_name: str
    service_name: str
    start: datetime
    timezone: str
    cancelled: bool
    reason: str
    admin_chat_ids: tuple[int, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class VideoLinkReady:
    """The Google Meet link of a customer's booking exists (Google made it with the event)."""

    customer_chat_id: int
    service_name: str
    start: datetime
    timezone: str
    url: str


@dataclass(frozen=True, slots=True, kw_only=True)
class BookingMovedInGoogle:
    """The staff member moved a booking's event in Google Calendar; the booking followed."""

    booking: BookingRecord
    previous_start: datetime
    business: BusinessSettings
    staff_chat_id: int | None


@dataclass(frozen=True, slots=True, kw_only=True)
class GoogleMoveRefused:
    """The staff member moved a booking's event in Google onto another booking's time: the
    booking stays, and its event is being put back."""

    booking: BookingRecord
    wanted_start: datetime
    business: BusinessSettings
    staff_chat_id: int | None


@dataclass(frozen=True, slots=True, kw_only=True)
class BookingCancelledInGoogle:
    """The staff member deleted a booking's event in Google Calendar; the booking is cancelled."""

    booking: BookingRecord
    business: BusinessSettings
    staff_chat_id: int | None


Notice = (
    GoogleConnected
    | GoogleSignInFailed
    | GoogleAccessLost
    | BookingMovedInGoogle
    | BookingCancelledInGoogle
    | GoogleMoveRefused
    | CalendarWriteFailed
    | VideoLinkReady
)


class Notices(Protocol):
    """Tells the people a notice concerns (implemented by the composition root)."""

    async def notify(self, notice: Notice) -> None: ...


class NoNotices:
    """Delivers nothing (for `bookbot doctor` and tools without a running bot)."""

    async def notify(self, notice: Notice) -> None:
        return None
