"""Google -> bot: what one event read from a staff member's destination calendar changes.

Only the bot's own events count (the event id is the booking id, or its private extended
property `OWNER_KEY` names the booking), in the calendar the booking's event was written to;
everything else is ignored and nothing about it is stored.
- moved: the booking takes the event's time (working hours are not checked: the staff member
  decided), buffers kept, origin "google" (so no write goes back to Google);
- deleted (status "cancelled"): the booking is cancelled, origin "google";
- moved onto another booking's time: refused (no double booking, whoever asks); the bot's
  version is queued to be written back, so Google shows the booking where it really is.
The bot's own writes never come back as changes: an event whose etag is the one the outbox
worker recorded, or whose times are the booking's, changes nothing, and while the bot still
has undelivered writes for a booking its own newer change wins.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from bot.google.calendar import EventInfo, parse_event
from bot.sync.event_content import OWNER_KEY
from storage.bookings import MAX_BLOCKED_SECONDS, BookingRepository, Changed, SlotTaken
from storage.records import BookingRecord
from storage.sync_state import SyncStateRepository

log = logging.getLogger(__name__)


Outcome = Literal["moved", "cancelled", "refused", "unchanged", "not_ours", "skipped"]


@dataclass(frozen=True, slots=True)
class Applied:
    """What one event did: its outcome, and the booking before and after when it changed
    (for a refused move: the booking as it stays, and the start Google asked for)."""

    outcome: Outcome
    booking: BookingRecord | None = None
    previous: BookingRecord | None = None
    wanted: datetime | None = None


def booking_id_of(event: EventInfo) -> str:
    """The booking an event claims to be (the event id when no property names one)."""
    return event.private.get(OWNER_KEY) or event.id


class ChangeApplier:
    """Applies events of one staff member's destination calendar to their bookings."""

    def __init__(self, *, bookings: BookingRepository, state: SyncStateRepository) -> None:
        self._bookings = bookings
        self._state = state

    async def apply(
        self, resource: Mapping[str, Any], *, staff_id: int, calendar_id: str, now: datetime
    ) -> Applied:
        """Apply one Event resource; an odd one is logged and `skipped`, never raised."""
        try:
            event = parse_event(resource)
        except (KeyError, TypeError, ValueError, AttributeError) as err:
            log.warning(  # the type only: an event's content is nobody's business here
                "skipped an unreadable event in a calendar of staff %s (%s)",
                staff_id,
                type(err).__name__,
            )
            return Applied("skipped")
        booking = await self._bookings.get(booking_id_of(event))
        if booking is None or booking.staff_id != staff_id:
            return Applied("not_ours")
        if booking.event_calendar_id not in (None, calendar_id):
            # A copy in a calendar the booking's event is not in (events.move leaves a
            # cancelled copy behind when the staff member changes destination calendars).
            return Applied("not_ours")
        if event.etag and event.etag == booking.event_etag:
            return Applied("unchanged")  # the version the bot wrote itself
        if await self._state.undelivered_writes(booking.id):
            return Applied("unchanged")  # the bot's own newer change is on its way to Google
        if event.status == "cancelled":
            return await self._cancel(booking, now)
        return await self._move(event, booking, calendar_id, now)

    async def _cancel(self, booking: BookingRecord, now: datetime) -> Applied:
        if not booking.is_active:
            return Applied("unchanged")
        result = await self._bookings.cancel(
            booking.id, customer_id=None, now=now, origin="google", note="deleted in Google"
        )
        if not isinstance(result, Changed):
            return Applied("unchanged")
        log.info("booking %s cancelled: its event was deleted in Google", booking.id)
        return Applied("cancelled", result.booking, result.previous)

    async def _move(
        self, event: EventInfo, booking: BookingRecord, calendar_id: str, now: datetime
    ) -> Applied:
        start, end = event.start, event.end
        if not isinstance(start, datetime) or not isinstance(end, datetime) or not start < end:
            log.warning("skipped event of booking %s: no usable start and end", booking.id)
            return Applied("skipped")
        if not booking.is_active:
            # The event of a cancelled booking is in the calendar again (restored in Google):
            # it no longer belongs to a booking, it is the staff member's own busy time.
            return Applied("not_ours")
        if (start, end) == (booking.start, booking.end):
            if event.etag:
                await self._bookings.record_event(
                    booking.id, calendar_id=calendar_id, etag=event.etag
                )
            return Applied("unchanged")
        blocked_start = start - (booking.start - booking.blocked_start)
        blocked_end = end + (booking.blocked_end - booking.end)
        if (blocked_end - blocked_start).total_seconds() > MAX_BLOCKED_SECONDS:
            log.warning(
                "skipped event of booking %s: stretched beyond %s hours in Google",
                booking.id,
                MAX_BLOCKED_SECONDS // 3600,
            )
            return Applied("skipped")
        result = await self._bookings.reschedule(
            booking.id,
            customer_id=None,
            start=start,
            end=end,
            blocked_start=blocked_start,
            blocked_end=blocked_end,
            now=now,
            origin="google",
        )
        if isinstance(result, SlotTaken):
            log.warning(
                "booking %s not moved in Google: another booking holds that time", booking.id
            )
            await self._bookings.write_again(booking.id, now=now)
            return Applied("refused", booking, booking, wanted=start)
        if not isinstance(result, Changed):
            log.warning(
                "booking %s not moved to Google's time: %s", booking.id, type(result).__name__
            )
            return Applied("skipped")
        await self._bookings.record_event(booking.id, calendar_id=calendar_id, etag=event.etag)
        log.info("booking %s moved: its event was moved in Google", booking.id)
        return Applied("moved", result.booking, result.previous)
