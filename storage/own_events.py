"""Where the bot's own Google events are: the times of bookings whose events it wrote.

Google's free/busy answer cannot tell which busy block is ours. The busy-time cache subtracts
these intervals from the calendar each event was written to, so a booking never blocks
itself (for example its own reschedule to an overlapping time). Only what the bot already
stores about its bookings is read; nothing about other events is ever stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from storage.db import Database
from storage.records import from_epoch, to_epoch

# Bookings last at most a day (services) plus buffers: one that meets [start, end) started
# after start - this, so the (staff_id, blocked_start_utc) index bounds the scan.
_MAX_SPAN_SECONDS = 2 * 24 * 3600


@dataclass(frozen=True, slots=True)
class WrittenEvent:
    """A confirmed booking's event as the bot wrote it: calendar and times."""

    calendar_id: str
    start: datetime
    end: datetime


class OwnEventRepository:
    """Reads the calendars and times of the bot's own events (read-only)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def written(self, staff_id: int, start: datetime, end: datetime) -> list[WrittenEvent]:
        """Confirmed bookings of the staff member meeting [start, end) whose Google event was
        written (their event calendar is known)."""
        low, high = to_epoch(start), to_epoch(end)
        rows = await self._db.reader.execute_fetchall(
            "SELECT event_calendar_id, start_utc, end_utc FROM bookings "
            "WHERE staff_id = ? AND status = 'confirmed' AND event_calendar_id IS NOT NULL "
            "AND blocked_start_utc > ? AND blocked_start_utc < ? AND end_utc > ?",
            (staff_id, low - _MAX_SPAN_SECONDS, high, low),
        )
        return [
            WrittenEvent(str(calendar_id), from_epoch(s), from_epoch(e))
            for calendar_id, s, e in rows
        ]
