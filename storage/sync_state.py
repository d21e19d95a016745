"""Per-calendar sync state: the incremental sync token and the push channel of each staff
calendar (one row per staff member and calendar, so a second process can share it)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from storage.db import Database
from storage.records import from_epoch, to_epoch


@dataclass(frozen=True, slots=True, kw_only=True)
class CalendarSyncState:
    """Where the sync of one staff calendar stands."""

    staff_id: int
    calendar_id: str
    sync_token: str | None
    channel_id: str | None
    resource_id: str | None
    channel_expires_at: datetime | None
    updated_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class PushChannel:
    """An `events.watch` channel Google notifies about changes of a calendar."""

    channel_id: str
    resource_id: str
    expires_at: datetime


def _state(row: aiosqlite.Row) -> CalendarSyncState:
    expires = row["channel_expires_at"]
    return CalendarSyncState(
        staff_id=row["staff_id"],
        calendar_id=row["calendar_id"],
        sync_token=row["sync_token"],
        channel_id=row["channel_id"],
        resource_id=row["resource_id"],
        channel_expires_at=from_epoch(expires) if expires is not None else None,
        updated_at=from_epoch(row["updated_at"]),
    )


class SyncStateRepository:
    """Reads and writes `calendar_sync_state`."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, staff_id: int, calendar_id: str) -> CalendarSyncState | None:
        """The state of one staff calendar, if it was ever synced."""
        rows = list(
            await self._db.reader.execute_fetchall(
                "SELECT * FROM calendar_sync_state WHERE staff_id = ? AND calendar_id = ?",
                (staff_id, calendar_id),
            )
        )
        return _state(rows[0]) if rows else None

    async def all(self) -> list[CalendarSyncState]:
        """Every synced calendar."""
        rows = await self._db.reader.execute_fetchall(
            "SELECT * FROM calendar_sync_state ORDER BY staff_id, calendar_id"
        )
        return [_state(r) for r in rows]

    async def save_sync_token(
        self, staff_id: int, calendar_id: str, sync_token: str | None, *, now: datetime
    ) -> None:
        """Remember the token of the last complete sync (None: the next sync is a full one)."""
        async with self._db.transaction() as tx:
            await tx.execute(
                "INSERT INTO calendar_sync_state (staff_id, calendar_id, sync_token, updated_at) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (staff_id, calendar_id) DO UPDATE SET "
                "sync_token = excluded.sync_token, updated_at = excluded.updated_at",
                (staff_id, calendar_id, sync_token, to_epoch(now)),
            )

    async def save_channel(
        self, staff_id: int, calendar_id: str, channel: PushChannel | None, *, now: datetime
    ) -> None:
        """Remember the calendar's push channel (None: it has none any more)."""
        values = (
            (channel.channel_id, channel.resource_id, to_epoch(channel.expires_at))
            if channel is not None
            else (None, None, None)
        )
        async with self._db.transaction() as tx:
            await tx.execute(
                "INSERT INTO calendar_sync_state (staff_id, calendar_id, channel_id, "
                "resource_id, channel_expires_at, updated_at) VALUES (?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (staff_id, calendar_id) DO UPDATE SET "
                "channel_id = excluded.channel_id, resource_id = excluded.resource_id, "
                "channel_expires_at = excluded.channel_expires_at, "
                "updated_at = excluded.updated_at",
                (staff_id, calendar_id, *values, to_epoch(now)),
            )

    async def forget(self, staff_id: int, calendar_id: str | None = None) -> None:
        """Drop the state of one calendar, or of all the staff member's calendars."""
        async with self._db.transaction() as tx:
            if calendar_id is None:
                await tx.execute("DELETE FROM calendar_sync_state WHERE staff_id = ?", (staff_id,))
            else:
                await tx.execute(
                    "DELETE FROM calendar_sync_state WHERE staff_id = ? AND calendar_id = ?",
                    (staff_id, calendar_id),
                )

    async def by_channel(self, channel_id: str) -> CalendarSyncState | None:
        """The calendar a push channel belongs to, if the channel is current."""
        rows = list(
            await self._db.reader.execute_fetchall(
                "SELECT * FROM calendar_sync_state WHERE channel_id = ?", (channel_id,)
            )
        )
        return _state(rows[0]) if rows else None

    async def undelivered_writes(self, booking_id: str) -> int:
        """Outbox rows of the booking still to be delivered (dead letters do not count): while
        any wait, the bot's own change is newer than what Google shows, so Google's copy must
        not be read back."""
        rows = list(
            await self._db.reader.execute_fetchall(
                "SELECT count(*) FROM outbox WHERE booking_id = ? AND delivered_at IS NULL "
                "AND dead_at IS NULL",
                (booking_id,),
            )
        )
        return int(rows[0][0])
