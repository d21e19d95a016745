"""What goes into the queue: the messages of each booking change, and the daily agendas.

A booking change leaves a "change" row in its own transaction (`storage.notifications`);
`expand_changes` turns it, in one transaction, into the staff member's message, the
customer's reminders (the booking's earlier ones dropped) and, for a booking the customer
made, a confirmation that goes out only if the reply never did (a crash between storing the
booking and answering). Reminders whose time had already passed when the change was made are
skipped. `plan_agendas` queues each linked staff member's agenda for today and the next
`AGENDA_DAYS_AHEAD` days at their local time, in their own zone if they chose one (the
business's otherwise), days ending at midnight there; one is queued only while its time is still
ahead, so after downtime (up to that many days) the agenda queued before goes out late
(until its day ends) and a newly linked staff member starts with the next one.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.booking import BookingService
from bot.clock import Clock
from storage.notifications import (
    BULK,
    PROMPT,
    AgendaPreference,
    NewNotification,
    Notification,
    NotificationRepository,
)
from storage.records import BookingRecord, from_epoch, to_epoch

# A booking's confirmation is the reply to Confirm; the queue sends it only if that reply has
# not been recorded this long after the booking was stored.
CONFIRMATION_GRACE = timedelta(seconds=60)
LEASE_SECONDS = 60
BATCH = 200
AGENDA_DAYS_AHEAD = 2


def reminder_key(booking_id: str, offset: timedelta, start: datetime) -> str:
    """The dedupe key of one reminder of one booking time."""
    return f"reminder:{booking_id}:{int(offset.total_seconds() // 60)}:{to_epoch(start)}"


def confirmation_key(booking_id: str) -> str:
    """The dedupe key of a booking's confirmation."""
    return f"confirm:{booking_id}"


def staff_zone(preference: AgendaPreference | None, business_zone: ZoneInfo) -> ZoneInfo:
    """The zone a staff member's agenda and booking messages use: their own choice, else (or
    if the stored name is no longer known) the business's."""
    if preference is None or not preference.timezone:
        return business_zone
    try:
        return ZoneInfo(preference.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return business_zone


class Planner:
    """Fills the queue from booking changes and the staff's agenda choices."""

    def __init__(
        self, *, queue: NotificationRepository, booking: BookingService, clock: Clock
    ) -> None:
        self._queue = queue
        self._booking = booking
        self._clock = clock

    async def expand_changes(self) -> int:
        """Expand every waiting change row; how many."""
        done = 0
        while True:
            changes = await self._queue.claim(
                changes=True, now=self._clock.now(), lease_seconds=LEASE_SECONDS, limit=BATCH
            )
            for change in changes:
                await self._expand(change)
            done += len(changes)
            if len(changes) < BATCH:
                return done

    async def _expand(self, change: Notification) -> None:
        booking = await self._booking.bookings.get(change.booking_id) if change.booking_id else None
        rows = [] if booking is None else await self._messages(change, booking)
        await self._queue.expand(change, rows, replan_reminders=True, now=self._clock.now())

    async def _messages(
        self, change: Notification, booking: BookingRecord
    ) -> list[NewNotification]:
        action = change.payload.get("action")
        origin = change.payload.get("origin")
        rows: list[NewNotification] = []
        if action == "created" and origin == "customer":
            rows.append(
                NewNotification(
                    dedupe_key=confirmation_key(booking.id),
                    kind="confirmation",
                    chat_id=booking.customer_telegram_id,
                    priority=PROMPT,
                    due=change.created_at + CONFIRMATION_GRACE,
                    expires=booking.start,
                    booking_id=booking.id,
                )
            )
        staff = await self._booking.catalog.staff_member(booking.staff_id)
        if origin != "google" and staff is not None and staff.telegram_user_id is not None:
            rows.append(
                NewNotification(
                    dedupe_key=f"staff:{booking.id}:{change.payload.get('sequence')}",
                    kind="staff_change",
                    chat_id=staff.telegram_user_id,
                    priority=PROMPT,
                    due=change.created_at,
                    expires=booking.end,
                    booking_id=booking.id,
                    payload=dict(change.payload),
                )
            )
        if booking.is_active:
            business = await self._booking.business()
            for offset in business.reminder_offsets:
                due = booking.start - offset
                if due <= change.created_at:
                    continue  # already past when the booking was made or moved
                rows.append(
                    NewNotification(
                        dedupe_key=reminder_key(booking.id, offset, booking.start),
                        kind="reminder",
                        chat_id=booking.customer_telegram_id,
                        priority=BULK,
                        due=due,
                        expires=booking.start,
                        booking_id=booking.id,
                        payload={
                            "offset_minutes": int(offset.total_seconds() // 60),
                            "start": to_epoch(booking.start),
                        },
                    )
                )
        return rows

    async def plan_agendas(self) -> int:
        """Queue the daily agendas still ahead in the next days; how many were new."""
        now = self._clock.now()
        business_zone = (await self._booking.business()).tz
        preferences = await self._queue.agenda_preferences()
        rows = []
        for staff in await self._booking.catalog.all_staff():
            if not staff.active or staff.telegram_user_id is None:
                continue
            preference = preferences.get(staff.id)
            minute, mode = (preference.minute, preference.mode) if preference else (480, "daily")
            if mode == "off":
                continue
            tz = staff_zone(preference, business_zone)
            today = now.astimezone(tz).date()
            for ahead in range(AGENDA_DAYS_AHEAD + 1):
                day = today + timedelta(days=ahead)
                due = datetime.combine(day, time(minute // 60, minute % 60), tzinfo=tz)
                if due <= now:
                    continue
                ends = datetime.combine(day + timedelta(days=1), time(), tzinfo=tz)
                rows.append(
                    NewNotification(
                        dedupe_key=f"agenda:{staff.id}:{day.isoformat()}",
                        kind="agenda",
                        chat_id=staff.telegram_user_id,
                        priority=BULK,
                        due=due,
                        expires=ends,
                        payload={"staff_id": staff.id, "day": day.isoformat()},
                    )
                )
        return await self._queue.add(rows, now=now) if rows else 0


def payload_time(value: object) -> datetime | None:
    """A stored epoch from a payload, as an aware datetime."""
    return from_epoch(int(value)) if isinstance(value, int) else None
