"""The outbox: Google writes waiting for the sync worker, one row per booking change.

`enqueue` is the only code that writes outbox rows. It runs inside the transaction of the
booking change it carries, so a change and its Google write are stored together or not at
all. A change that came from Google (origin "google") is not queued: writing it back would
echo Google's own change to Google.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import aiosqlite

from storage.db import Database
from storage.records import Origin, from_epoch, to_epoch

OutboxAction = Literal["upsert", "delete"]


@dataclass(frozen=True, slots=True, kw_only=True)
class OutboxEntry:
    """One undelivered Google write."""

    id: int
    booking_id: str
    action: OutboxAction
    origin: Origin
    created_at: datetime
    attempts: int


async def enqueue(
    tx: aiosqlite.Connection,
    *,
    booking_id: str,
    action: OutboxAction,
    origin: Origin,
    now: datetime,
) -> bool:
    """Queue the Google write of a booking change in the change's own transaction; False
    (nothing queued) for a change that came from Google."""
    if origin == "google":
        return False
    stamp = to_epoch(now)
    await tx.execute(
        "INSERT INTO outbox (booking_id, action, origin, created_at, next_attempt_at) "
        "VALUES (?, ?, ?, ?, ?)",
        (booking_id, action, origin, stamp, stamp),
    )
    return True


class OutboxRepository:
    """Reads the outbox (the sync worker adds its claim and delivery methods here)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def pending(self) -> list[OutboxEntry]:
        """Undelivered rows, oldest first."""
        rows = await self._db.reader.execute_fetchall(
            "SELECT id, booking_id, action, origin, created_at, attempts FROM outbox "
            "WHERE delivered_at IS NULL ORDER BY id"
        )
        return [
            OutboxEntry(
                id=r["id"],
                booking_id=r["booking_id"],
                action=r["action"],
                origin=r["origin"],
                created_at=from_epoch(r["created_at"]),
                attempts=r["attempts"],
            )
            for r in rows
        ]
